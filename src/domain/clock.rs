//! Time comes through a `Clock` so that tests can fix it.

use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(t: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(t))
    }
    pub fn advance(&self, d: chrono::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += d;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_else(|p| *p.into_inner())
    }
}

/// Timestamps are stored as RFC 3339 UTC with microseconds and a `Z`, so that
/// text order is time order.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// A stored stamp as a person reads it, in `zone` (the event's offset; None:
/// this computer's zone), in `format`; as stored when it does not parse.
pub fn local_text(s: &str, zone: Option<chrono::FixedOffset>, format: &str) -> String {
    let Some(t) = parse_stamp(s) else { return s.to_string() };
    in_zone(t, zone, format)
}

fn in_zone(t: DateTime<Utc>, zone: Option<chrono::FixedOffset>, format: &str) -> String {
    match zone {
        Some(off) => t.with_timezone(&off).format(format).to_string(),
        None => t.with_timezone(&chrono::Local).format(format).to_string(),
    }
}

/// The event's UTC offset (`event.utc_offset`) for times shown to people,
/// set once at start; None: this computer's time zone.
static SHOWN_ZONE: std::sync::OnceLock<Option<chrono::FixedOffset>> = std::sync::OnceLock::new();

/// Times people read (console and CLI) are in the event's zone.
pub fn set_shown_zone(offset: Option<chrono::FixedOffset>) {
    let _ = SHOWN_ZONE.set(offset);
}

/// `t` as a person reads it: in the event's zone, else this computer's.
pub fn shown(t: DateTime<Utc>, format: &str) -> String {
    in_zone(t, SHOWN_ZONE.get().copied().flatten(), format)
}

/// A stored stamp as a person reads it, to the second with its offset
/// (`2026-12-03 21:52:34 +05:30`), in the shown zone; as stored when it
/// does not parse. Messages and the CLI's text use it; JSON keeps the stamp.
pub fn shown_stamp(s: &str) -> String {
    local_text(s, SHOWN_ZONE.get().copied().flatten(), "%Y-%m-%d %H:%M:%S %:z")
}

/// `text` with each stored stamp in it (a word, maybe followed by `,;)`)
/// written by `show`: a reason read by a person names local times.
pub fn map_stamps(text: &str, show: impl Fn(DateTime<Utc>) -> String) -> String {
    text.split(' ')
        .map(|w| {
            let core = w.trim_end_matches([',', ';', ')']);
            match parse_stamp(core) {
                Some(t) => format!("{}{}", show(t), &w[core.len()..]),
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod map_stamps_tests {
    #[test]
    fn stamps_in_a_reason_are_rewritten_and_the_rest_kept() {
        let r = "already inside: admitted 2026-12-03T23:53:43.863539Z at Main Gate, no exit since";
        let shown = super::map_stamps(r, |t| t.format("%H:%M").to_string());
        assert_eq!(shown, "already inside: admitted 23:53 at Main Gate, no exit since");
        let r = "first 2026-12-03T10:00:00Z, then 2026-12-03T11:00:00.5Z; done";
        assert_eq!(super::map_stamps(r, |t| t.format("%H").to_string()), "first 10, then 11; done");
        assert_eq!(super::map_stamps("no stamps here", |_| unreachable!()), "no stamps here");
    }
}
