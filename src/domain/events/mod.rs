//! The ledger's events: one enum, written by the services and read back by
//! the audit and the conflict list through the same types, so a field
//! renamed on one side is a compile error on the other, not a silent gap.
//!
//! A block stores the event's name and its data as JSON text. The data goes
//! through `serde_json::Value` before it is sealed, so its keys come out
//! sorted; the bytes each event writes are pinned by `same_bytes` against
//! what the hand-built `json!` values wrote before this enum existed, so
//! ledgers written then still verify.
//!
//! Reading borrows: a block's strings stay in the block's text unless they
//! carry escapes, so the audit allocates nothing for most blocks.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod admin;
mod gates;
mod offline;
mod passes;
mod residents;
mod rules;
mod scan;
mod users;

#[cfg(test)]
mod same_bytes;

pub use admin::{KeyRotate, Restore};
pub use gates::{GateEnrol, GateRevoke, GateToken};
pub use offline::{Conflict, ConflictAck, ConflictKind, LocalBlock, OfflineEvent, OfflineScan, OfflineSeen, OfflineSync, Upload};
pub use passes::{PassIssue, PassUnscan, PassVoid};
pub use residents::{ResidentAdd, ResidentDeactivate};
pub use rules::RulesSet;
pub use scan::{Scan, ScanKind};
pub use users::{UserAdd, UserLocked, UserPasswd, UserToggle, UserUnlock};

/// Why a block's event could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("unknown event {0:?}")]
    Unknown(String),
    #[error("{event} data: {why}")]
    Data { event: &'static str, why: serde_json::Error },
}

/// Declares the enum with each variant's block name once: serde's tag and
/// `name()` both come from it.
macro_rules! events {
    ($($(#[$doc:meta])* $variant:ident($data:ident) = $name:literal,)*) => {
        /// One ledger event: the block's name (`event`) and its data.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "event", content = "data")]
        pub enum Event<'a> {
            $($(#[$doc])* #[serde(rename = $name, borrow)] $variant($data<'a>),)*
        }

        impl<'a> Event<'a> {
            /// The name a block of this event carries.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Event::$variant(_) => $name,)*
                }
            }

            /// A stored block's event, borrowing from its text: an unknown
            /// name or data that does not fit the event is an error.
            pub fn parse(event: &str, data: &'a str) -> Result<Event<'a>, EventError> {
                match event {
                    $($name => serde_json::from_str(data).map(Event::$variant).map_err(|why| EventError::Data { event: $name, why }),)*
                    other => Err(EventError::Unknown(other.to_string())),
                }
            }

            /// The block's name and data, as `store::NewBlock` takes them.
            pub fn to_block(&self) -> Result<(&'static str, Value), EventError> {
                let (event, data) = match self {
                    $(Event::$variant(d) => ($name, serde_json::to_value(d)),)*
                };
                data.map(|d| (event, d)).map_err(|why| EventError::Data { event, why })
            }
        }
    };
}

// Most blocks are scans and issues: they are matched first.
events! {
    PassIssue(PassIssue) = "pass_issue",
    Scan(Scan) = "scan",
    PassVoid(PassVoid) = "pass_void",
    PassUnscan(PassUnscan) = "pass_unscan",
    /// A local block of an offline gate that is not a scan (a lockout):
    /// kept for its chain, with no effect on the server.
    OfflineEvent(OfflineEvent) = "offline_event",
    /// An offline scan whose online attempt the server had recorded already.
    OfflineSeen(OfflineSeen) = "offline_seen",
    OfflineScan(OfflineScan) = "offline_scan",
    OfflineSync(OfflineSync) = "offline_sync",
    Conflict(Conflict) = "conflict",
    ConflictAck(ConflictAck) = "conflict_ack",
    UserAdd(UserAdd) = "user_add",
    UserLocked(UserLocked) = "user_locked",
    UserDisable(UserToggle) = "user_disable",
    UserEnable(UserToggle) = "user_enable",
    UserUnlock(UserUnlock) = "user_unlock",
    UserPasswd(UserPasswd) = "user_passwd",
    KeyRotate(KeyRotate) = "key_rotate",
    ResidentAdd(ResidentAdd) = "resident_add",
    ResidentDeactivate(ResidentDeactivate) = "resident_deactivate",
    Restore(Restore) = "restore",
    /// The event's pass types and entry rules, whole.
    RulesSet(RulesSet) = "rules_set",
    /// A one-time enrolment token made for a gate (its hash only).
    GateToken(GateToken) = "gate_token",
    /// A gate joined: its device public key, signed by that key.
    GateEnrol(GateEnrol) = "gate_enrol",
    /// A gate disowned from this block on.
    GateRevoke(GateRevoke) = "gate_revoke",
}

/// Serialize a flag only when it is set, as the writers did.
fn is_false(b: &bool) -> bool {
    !*b
}
