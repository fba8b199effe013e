//! Pass events: issue, void, and an admission undone.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassIssue<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    pub pass_type: Cow<'a, str>,
    pub persons: u32,
    #[serde(borrow)]
    pub holder: Cow<'a, str>,
    #[serde(borrow)]
    pub holder2: Option<Cow<'a, str>>,
    pub price_cents: i64,
    #[serde(borrow)]
    pub payment: Cow<'a, str>,
    #[serde(borrow)]
    pub txn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub slot: Cow<'a, str>,
    /// A keyed fingerprint of the phones; blocks from before fingerprints
    /// have no such key.
    #[serde(borrow)]
    pub phones: Option<Cow<'a, str>>,
    /// Shown loudly at the gate; written only when there is one, so blocks
    /// without keep their bytes.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Cow<'a, str>>,
    /// The issuing key the pass's code is signed with, when it is not the
    /// block's own (HMAC) key: an Ed25519 key. Absent from older blocks.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub code_key: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassVoid<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
    pub was_used: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassUnscan<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
    /// The admission undone.
    #[serde(borrow)]
    pub scanned_at: Cow<'a, str>,
    #[serde(borrow)]
    pub scanned_by: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub gate: Option<Cow<'a, str>>,
}
