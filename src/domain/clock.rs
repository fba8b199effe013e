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
    match zone {
        Some(off) => t.with_timezone(&off).format(format).to_string(),
        None => t.with_timezone(&chrono::Local).format(format).to_string(),
    }
}
