//! Accounts: roles, what each may do, and the lockout rule.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub const BCRYPT_COST: u32 = 12;
pub const MAX_FAILED: u32 = 5;
pub const LOCK_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: String,
    pub disabled: bool,
    pub failed_attempts: u32,
    pub locked_until: Option<String>,
}

/// The signed-in person on whose behalf the core acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An admin's issuing keys, unsealed from their key slot at sign-in:
    /// this session's alone, in memory only.
    #[serde(skip)]
    pub issuer: Option<super::issuing::Issuer>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Whether this many wrong passwords in a row lock the user.
pub fn locks(failed: u32) -> bool {
    failed >= MAX_FAILED
}

/// When a lock taken at `now` lifts.
pub fn lock_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::minutes(LOCK_MINUTES)
}

/// A username: 2 to 32 of a-z, 0-9, `.`, `_`, `-`, starting with a letter.
pub fn valid_username(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

/// Passwords: at least 8 characters, at most 72 bytes (bcrypt's limit).
pub fn password_problem(p: &str) -> Option<&'static str> {
    if p.chars().count() < 8 {
        Some("password must be at least 8 characters")
    } else if p.len() > 72 {
        Some("password must be at most 72 bytes")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_failure_locks_for_five_minutes() {
        assert!((0..5).all(|n| !locks(n)));
        assert!(locks(5) && locks(6));
        let now = Utc::now();
        assert_eq!(lock_until(now), now + Duration::minutes(5));
    }

    #[test]
    fn usernames() {
        assert!(valid_username("asha"));
        assert!(valid_username("gate-2.op_1"));
        assert!(!valid_username("A"));
        assert!(!valid_username("1abc"));
        assert!(!valid_username("Asha"));
    }
}
