//! What an offline gate's sync writes centrally (docs/offline.md): its local
//! blocks as uploaded, the upload itself, and conflicts.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Scan;
use crate::domain::ledger::StoredBlock;
use crate::domain::offline::Admission;

/// The local block an uploaded block carries, enough to recompute its hash
/// (the audit follows each chain: nothing dropped or altered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalBlock<'a> {
    pub index: u64,
    #[serde(borrow)]
    pub hash: Cow<'a, str>,
    #[serde(borrow)]
    pub prev_hash: Cow<'a, str>,
    #[serde(borrow)]
    pub event: Cow<'a, str>,
    #[serde(borrow)]
    pub data: Cow<'a, str>,
    #[serde(borrow)]
    pub key_id: Cow<'a, str>,
}

impl<'a> LocalBlock<'a> {
    pub fn of(b: &'a StoredBlock) -> LocalBlock<'a> {
        LocalBlock {
            index: b.index,
            hash: b.hash.as_str().into(),
            prev_hash: b.prev_hash.as_str().into(),
            event: b.event.as_str().into(),
            data: b.data.as_str().into(),
            key_id: b.key_id.as_str().into(),
        }
    }
}

/// Where an uploaded block sat: written beside the local block's own data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload<'a> {
    pub offline: bool,
    #[serde(borrow)]
    pub chain: Cow<'a, str>,
    #[serde(borrow)]
    pub local: LocalBlock<'a>,
    /// The scan's nonce, when the local block is a scan that has one.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Cow<'a, str>>,
}

/// A local block that is not a scan, with its data as the gate wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineEvent<'a> {
    #[serde(flatten)]
    pub local_data: Map<String, Value>,
    #[serde(flatten, borrow)]
    pub upload: Upload<'a>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineSeen<'a> {
    #[serde(flatten, borrow)]
    pub scan: Scan<'a>,
    #[serde(flatten, borrow)]
    pub upload: Upload<'a>,
    /// The central block that recorded the scan's online attempt.
    pub online_block: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineScan<'a> {
    #[serde(flatten, borrow)]
    pub scan: Scan<'a>,
    #[serde(flatten, borrow)]
    pub upload: Upload<'a>,
    /// Whether the upload changed the tables (a first admission, or a
    /// resident toggle newer than the server's).
    pub applied: bool,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub conflict: bool,
}

/// One upload: the local blocks it carried and the chain's head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineSync<'a> {
    #[serde(borrow)]
    pub chain: Cow<'a, str>,
    pub local_from: u64,
    pub local_to: u64,
    pub local_head_index: u64,
    #[serde(borrow)]
    pub local_head_hash: Cow<'a, str>,
    pub uploaded: u64,
    pub skipped: u64,
    pub conflicts: u64,
    pub clock_skew_secs: Option<f64>,
    /// The hash of local block `local_to`: the next upload must link to it.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub local_to_hash: Option<Cow<'a, str>>,
    /// Why every block of this chain is refused from now on (it replays
    /// another chain).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Admitted centrally before the offline admission was uploaded.
    DoubleAdmission,
    /// Voided centrally before the offline admission was uploaded.
    Voided,
    /// An uploaded block the server would not take (it does not prove
    /// itself, or the server failed on it alone): kept out, reported.
    Refused,
    /// An admission made offline that took the venue or a zone past its
    /// capacity, found when it was uploaded (`reason` says which).
    OverCapacity,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::DoubleAdmission => "double_admission",
            ConflictKind::Voided => "voided",
            ConflictKind::Refused => "refused",
            ConflictKind::OverCapacity => "over_capacity",
        }
    }
}

/// A pass admitted offline that the server held as admitted or voided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict<'a> {
    pub kind: ConflictKind,
    #[serde(borrow)]
    pub pass: Cow<'a, str>,
    #[serde(default)]
    pub persons: u32,
    /// The admission the server held first (for `voided`: the void).
    pub first: Admission,
    /// The offline admission uploaded later.
    pub second: Admission,
    pub offline_block: u64,
    /// The upload came first in time and took the pass's admission over:
    /// `first` is that offline admission, `second` the later one it
    /// displaced. Absent (false) in blocks written before.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub first_offline: bool,
    /// The admission the server held was itself an offline upload (two
    /// gates offline at once): both sides were offline. Absent (false) in
    /// blocks written before, and when the server's was an online scan.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub held_offline: bool,
    /// Why, in words: for `refused` and `over_capacity`, and for a second
    /// entry under a `daily` or `reentry` rule.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictAck<'a> {
    /// The `conflict` block acknowledged.
    pub conflict: u64,
    #[serde(borrow)]
    pub pass: Cow<'a, str>,
}
