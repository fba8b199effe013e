//! The scan event: one block per scan, whatever its verdict.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::domain::scan::Verdict;

/// What a scanned code named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    Pass,
    Resident,
}

/// A scan's data. Its keys depend on what was read, so each is written only
/// when that case sets it; the constructors below are the cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan<'a> {
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ScanKind>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons: Option<u32>,
    /// A resident's card read again inside the repeat window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeated: Option<bool>,
    /// An admission outside the pass's slot, under the warn policy.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<Cow<'a, str>>,
    /// Why a code was refused unread, or a manual check-in's reason.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
    /// A code refused unread is recorded by its length and a fingerprint,
    /// never as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_len: Option<u64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub input_sha256: Option<Cow<'a, str>>,
    /// An operator checked someone in without their code.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub manual: bool,
    /// The event day a `daily` pass was admitted on: the audit counts a
    /// day's entries by it.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub day: Option<Cow<'a, str>>,
}

impl<'a> Scan<'a> {
    fn of(verdict: Verdict) -> Scan<'a> {
        Scan {
            verdict,
            kind: None,
            id: None,
            persons: None,
            repeated: None,
            warning: None,
            reason: None,
            input_len: None,
            input_sha256: None,
            manual: false,
            day: None,
        }
    }

    /// Admitted on this event day (a `daily` pass).
    pub fn on_day(self, day: impl Into<Cow<'a, str>>) -> Scan<'a> {
        Scan { day: Some(day.into()), ..self }
    }

    /// A code that did not parse or verify.
    pub fn refused(verdict: Verdict, reason: impl Into<Cow<'a, str>>, input_len: usize, input_sha256: String) -> Scan<'a> {
        Scan {
            reason: Some(reason.into()),
            input_len: Some(input_len as u64),
            input_sha256: Some(input_sha256.into()),
            ..Scan::of(verdict)
        }
    }

    /// A signed code for a pass or a resident; `persons` only when the pass was found.
    pub fn subject(verdict: Verdict, kind: ScanKind, id: impl Into<Cow<'a, str>>) -> Scan<'a> {
        Scan { kind: Some(kind), id: Some(id.into()), ..Scan::of(verdict) }
    }

    pub fn pass(verdict: Verdict, id: impl Into<Cow<'a, str>>, persons: u32, warning: Option<Cow<'a, str>>) -> Scan<'a> {
        Scan { persons: Some(persons), warning, ..Scan::subject(verdict, ScanKind::Pass, id) }
    }

    pub fn resident(verdict: Verdict, id: impl Into<Cow<'a, str>>, repeated: bool) -> Scan<'a> {
        Scan { repeated: Some(repeated), ..Scan::subject(verdict, ScanKind::Resident, id) }
    }

    /// Marked as a manual check-in; its reason replaces any other.
    pub fn manual(self, reason: impl Into<Cow<'a, str>>) -> Scan<'a> {
        Scan { manual: true, reason: Some(reason.into()), ..self }
    }
}
