//! Time slots as times. A slot label that starts with a date and a time
//! range, `2026-12-24 19:00-23:00` (anything after is a free label), is a
//! window the scan checks; any other label (`7:00 PM - 11:00 PM`) is free
//! text, as before, and never checked. Plain data: the service passes the
//! policy and grace from its config, and the local time.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// What a scan outside its pass's slot window does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SlotPolicy {
    /// Refuse it: the verdict is WRONG_SLOT.
    #[default]
    Deny,
    /// Admit it, with a warning on the verdict.
    Warn,
    /// Do not check slots.
    Off,
}

impl SlotPolicy {
    pub fn parse(s: &str) -> Option<SlotPolicy> {
        match s {
            "deny" => Some(SlotPolicy::Deny),
            "warn" => Some(SlotPolicy::Warn),
            "off" => Some(SlotPolicy::Off),
            _ => None,
        }
    }
}

/// The rule a scan applies, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotRule {
    pub policy: SlotPolicy,
    /// Accepted before the start and after the end.
    pub grace: Duration,
}

/// A slot's window in the event's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWindow {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// Where `now` falls against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotCheck {
    /// Inside the window, or inside the grace around it, or no window.
    Ok,
    /// Before the window (less the grace) by this much.
    Early(Duration),
    /// After the window (plus the grace) by this much.
    Late(Duration),
}

/// The window a slot label carries, if it carries one. An end before the
/// start runs past midnight.
pub fn window(label: &str) -> Option<SlotWindow> {
    let mut parts = label.split_whitespace();
    let date = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    let range = parts.next()?;
    let (a, b) = range.split_once('-')?;
    let start = NaiveTime::parse_from_str(a, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(b, "%H:%M").ok()?;
    let start = date.and_time(start);
    let mut end = date.and_time(end);
    if end <= start {
        end += Duration::days(1);
    }
    Some(SlotWindow { start, end })
}

/// The free label after a dated slot's date and times (`Day 2` in
/// `2026-12-04 10:00-23:59 Day 2`), if it has one.
pub fn short_label(label: &str) -> Option<&str> {
    window(label)?;
    let mut rest = label.trim_start();
    for _ in 0..2 {
        let cut = rest.find(char::is_whitespace)?;
        rest = rest[cut..].trim_start();
    }
    Some(rest).filter(|r| !r.is_empty())
}

/// Check a scan at local time `now` against the slot `label`.
pub fn check(label: &str, now: NaiveDateTime, rule: &SlotRule) -> SlotCheck {
    let Some(w) = window(label).filter(|_| rule.policy != SlotPolicy::Off) else { return SlotCheck::Ok };
    if now < w.start - rule.grace {
        SlotCheck::Early(w.start - now)
    } else if now > w.end + rule.grace {
        SlotCheck::Late(now - w.end)
    } else {
        SlotCheck::Ok
    }
}

/// `50 min early`, `2 h 5 min late`: how far outside, for the operator.
pub fn describe(c: SlotCheck) -> Option<String> {
    let (d, word) = match c {
        SlotCheck::Ok => return None,
        SlotCheck::Early(d) => (d, "early"),
        SlotCheck::Late(d) => (d, "late"),
    };
    let m = d.num_minutes().max(1);
    if m >= 48 * 60 {
        return Some(format!("{} d {word}", m / (24 * 60)));
    }
    Some(match (m / 60, m % 60) {
        (0, m) => format!("{m} min {word}"),
        (h, 0) => format!("{h} h {word}"),
        (h, m) => format!("{h} h {m} min {word}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn labels_with_a_date_and_times_are_windows_others_are_free_text() {
        let w = window("2026-12-24 19:00-23:00 Christmas Eve").unwrap();
        assert_eq!((w.start, w.end), (at("2026-12-24 19:00"), at("2026-12-24 23:00")));
        let night = window("2026-12-31 22:00-02:00").unwrap();
        assert_eq!(night.end, at("2027-01-01 02:00"), "past midnight");
        for free in ["7:00 PM - 11:00 PM", "Evening", "2026-12-24", "2026-13-01 19:00-23:00", "2026-12-24 7pm-11pm"] {
            assert_eq!(window(free), None, "{free}");
        }
    }

    #[test]
    fn before_inside_after_and_grace() {
        let slot = "2026-12-24 19:00-23:00";
        let rule = SlotRule { policy: SlotPolicy::Deny, grace: Duration::minutes(15) };
        assert_eq!(check(slot, at("2026-12-24 18:10"), &rule), SlotCheck::Early(Duration::minutes(50)));
        assert_eq!(check(slot, at("2026-12-24 18:50"), &rule), SlotCheck::Ok, "inside the grace before");
        assert_eq!(check(slot, at("2026-12-24 21:00"), &rule), SlotCheck::Ok);
        assert_eq!(check(slot, at("2026-12-24 23:10"), &rule), SlotCheck::Ok, "inside the grace after");
        assert_eq!(check(slot, at("2026-12-25 01:05"), &rule), SlotCheck::Late(Duration::minutes(125)));
        assert_eq!(check(slot, at("2026-12-23 21:00"), &rule), SlotCheck::Early(Duration::hours(22)), "another day");
        assert_eq!(check("7:00 PM - 11:00 PM", at("2026-12-23 09:00"), &rule), SlotCheck::Ok, "free text");
        let off = SlotRule { policy: SlotPolicy::Off, ..rule };
        assert_eq!(check(slot, at("2026-12-23 21:00"), &off), SlotCheck::Ok);
        assert_eq!(describe(SlotCheck::Late(Duration::minutes(125))).as_deref(), Some("2 h 5 min late"));
        assert_eq!(describe(SlotCheck::Early(Duration::minutes(50))).as_deref(), Some("50 min early"));
    }

    #[test]
    fn a_dated_slot_has_a_short_label() {
        assert_eq!(short_label("2026-12-04 10:00-23:59 Day 2"), Some("Day 2"));
        assert_eq!(short_label("2026-12-04 10:00-23:59"), None);
        assert_eq!(short_label("7:00 PM - 11:00 PM"), None);
    }
}
