//! Verdicts: what a scan means for the person at the gate.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Admitted,
    AlreadyUsed,
    Voided,
    ResidentIn,
    ResidentOut,
    ResidentInactive,
    Unknown,
    Forged,
    Malformed,
    /// A pass scanned outside its slot's window (with the grace), when the
    /// slot policy is `deny`.
    WrongSlot,
    /// A `daily` pass already admitted on this event day.
    AlreadyUsedToday,
    /// A `reentry` pass entering while its people are inside.
    AlreadyInside,
    /// An exit by a pass none of whose people are inside.
    NotInside,
    /// People of a pass went out through an exit scan.
    Exited,
    /// A pass on a day its type is not valid.
    NotToday,
    /// A pass at a gate its type does not admit.
    WrongGate,
    /// An entry that would take the venue or zone past its capacity.
    AtCapacity,
}

impl Verdict {
    pub const ALL: [Verdict; 17] = [
        Verdict::Admitted,
        Verdict::AlreadyUsed,
        Verdict::Voided,
        Verdict::ResidentIn,
        Verdict::ResidentOut,
        Verdict::ResidentInactive,
        Verdict::Unknown,
        Verdict::Forged,
        Verdict::Malformed,
        Verdict::WrongSlot,
        Verdict::AlreadyUsedToday,
        Verdict::AlreadyInside,
        Verdict::NotInside,
        Verdict::Exited,
        Verdict::NotToday,
        Verdict::WrongGate,
        Verdict::AtCapacity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Admitted => "ADMITTED",
            Verdict::AlreadyUsed => "ALREADY_USED",
            Verdict::Voided => "VOIDED",
            Verdict::ResidentIn => "RESIDENT_IN",
            Verdict::ResidentOut => "RESIDENT_OUT",
            Verdict::ResidentInactive => "RESIDENT_INACTIVE",
            Verdict::Unknown => "UNKNOWN",
            Verdict::Forged => "FORGED",
            Verdict::Malformed => "MALFORMED",
            Verdict::WrongSlot => "WRONG_SLOT",
            Verdict::AlreadyUsedToday => "ALREADY_USED_TODAY",
            Verdict::AlreadyInside => "ALREADY_INSIDE",
            Verdict::NotInside => "NOT_INSIDE",
            Verdict::Exited => "EXITED",
            Verdict::NotToday => "NOT_TODAY",
            Verdict::WrongGate => "WRONG_GATE",
            Verdict::AtCapacity => "AT_CAPACITY",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Does the person go through?
    pub fn admits(self) -> bool {
        matches!(self, Verdict::Admitted | Verdict::ResidentIn | Verdict::ResidentOut | Verdict::Exited)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything the screen and the CLI show about one scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanOutcome {
    pub verdict: Verdict,
    /// A short sentence for the operator: why a denial, or who was let in.
    pub reason: String,
    pub at: String,
    pub operator: String,
    pub gate: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<crate::domain::pass::Pass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<crate::domain::resident::Resident>,
    /// For ALREADY_USED: the first admission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_use: Option<FirstUse>,
    /// For residents: the same card read again inside the anti-passback window.
    pub repeated: bool,
    /// Checked in by hand (found by name, phone or id), not from its code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
    /// Admitted, but with something the operator should see (a pass outside
    /// its slot under the `warn` policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Ledger block that recorded this scan.
    pub block: u64,
    /// The pass's note or its type's attention flag: shown loudly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For a pass of several people: how many this scan let in or out,
    /// and how many are still to come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persons: Option<Persons>,
}

/// "1 of 2, 1 still to come".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Persons {
    pub this_scan: u32,
    pub of: u32,
    pub still_to_come: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstUse {
    pub at: String,
    pub operator: String,
    pub gate: String,
}
