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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidentDeactivate<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
}
