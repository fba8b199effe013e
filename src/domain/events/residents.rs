//! Resident events. Contact details only as a keyed fingerprint.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidentAdd<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub room: Cow<'a, str>,
    #[serde(borrow)]
    pub floor: Cow<'a, str>,
    /// Blocks from before fingerprints have no such key.
    #[serde(borrow)]
    pub details: Option<Cow<'a, str>>,
    /// The issuing key the card's code is signed with, when it is not the
    /// block's own (HMAC) key. Absent from older blocks.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub code_key: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidentDeactivate<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
}
