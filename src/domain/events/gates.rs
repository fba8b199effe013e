//! Gate enrolment: a one-time token made by an admin, the gate that used it
//! with its device public key, and a gate disowned. The ledger alone says
//! which key each gate signs with, and since which block it no longer may.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A one-time enrolment token was made for `gate`: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateToken<'a> {
    #[serde(borrow)]
    pub gate: Cow<'a, str>,
    #[serde(borrow)]
    pub token_hash: Cow<'a, str>,
    #[serde(borrow)]
    pub expires_at: Cow<'a, str>,
}

/// A gate joined the event. An enrolled gate's block carries its device
/// public key and the token it used (spent by this block), and is signed
/// by that key; a gate joined with the key file carries neither.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateEnrol<'a> {
    #[serde(borrow)]
    pub gate: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub public: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Cow<'a, str>>,
}

/// A gate disowned: blocks its key signs after this one are not the event's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRevoke<'a> {
    #[serde(borrow)]
    pub gate: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<Cow<'a, str>>,
}
