//! The event's entry rules, set by an admin or seeded on first run: the
//! whole rule set in each block, so the ledger alone says which rules held
//! at any scan.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::domain::rules::RuleSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesSet<'a> {
    /// SHA-256 of the rules' canonical text, to compare gates at a glance.
    #[serde(borrow)]
    pub digest: Cow<'a, str>,
    pub rules: RuleSet,
    /// Written on first run from the defaults, not by an admin's file.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub seed: bool,
}
