//! User events. Never a password hash: the ledger is exported and printed.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAdd<'a> {
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    #[serde(borrow)]
    pub display_name: Cow<'a, str>,
    #[serde(borrow)]
    pub role: Cow<'a, str>,
}

/// Locked after too many wrong passwords.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLocked<'a> {
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    /// Blocks from before the count was recorded have none.
    #[serde(default)]
    pub failed_attempts: u32,
    #[serde(borrow)]
    pub until: Cow<'a, str>,
}

/// `user_disable` and `user_enable`; enabling also lifts a lockout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserToggle<'a> {
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    /// Blocks from before enabling lifted lockouts have none.
    #[serde(default)]
    pub unlocked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserUnlock<'a> {
    #[serde(borrow)]
    pub username: Cow<'a, str>,
    #[serde(borrow)]
    pub was_locked_until: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPasswd<'a> {
    #[serde(borrow)]
    pub username: Cow<'a, str>,
}
