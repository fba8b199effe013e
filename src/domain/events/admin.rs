//! Key rotations and restores: recorded, and compared with no table.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRotate<'a> {
    #[serde(borrow)]
    pub key_id: Cow<'a, str>,
    /// An Ed25519 issuing key's public key (hex): the event data every gate
    /// and replica verifies codes with. Absent for an HMAC key-file rotation.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub public: Option<Cow<'a, str>>,
}

/// A database replaced by a copy; heads are `index:hash`. Restores from
/// before `--force` recorded only `from` and `blocks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restore<'a> {
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    pub blocks: u64,
    #[serde(borrow)]
    pub replaced_head: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub restored_head: Option<Cow<'a, str>>,
    #[serde(default)]
    pub lost_blocks: u64,
    #[serde(default)]
    pub lost_passes: u64,
    #[serde(default)]
    pub forced: bool,
}
