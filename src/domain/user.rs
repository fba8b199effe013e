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

/// What an offline gate may trust of an account: the fields sign-in
/// decides by, sealed with the event's key when the gate pulls them from
/// the server, so a replica row edited afterwards (another user's hash
/// copied over it, a role raised) no longer matches its seal.
pub fn account_seal(
    keys: &super::keys::KeyRing,
    key_id: &str,
    username: &str,
    role: &str,
    pw_hash: &str,
    disabled: bool,
) -> Option<String> {
    use hmac::Mac;
    let mut m = keys.ledger_mac(key_id)?;
    for field in [b"gatehouse account v1".as_slice(), username.as_bytes(), role.as_bytes(), pw_hash.as_bytes(), &[u8::from(disabled)]] {
        m.update(&(field.len() as u64).to_be_bytes());
        m.update(field);
    }
    Some(format!("{key_id}:{}", super::ledger::to_hex(&m.finalize().into_bytes())))
}

/// Whether `seal` (from `account_seal`) is this account's.
pub fn account_seal_holds(keys: &super::keys::KeyRing, seal: &str, username: &str, role: &str, pw_hash: &str, disabled: bool) -> bool {
    let Some((key_id, _)) = seal.split_once(':') else { return false };
    account_seal(keys, key_id, username, role, pw_hash, disabled).is_some_and(|s| ct_eq(s.as_bytes(), seal.as_bytes()))
}

/// Constant-time comparison of two byte strings of public length.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_account_seal_breaks_when_a_field_changes() {
        let keys = crate::domain::keys::KeyRing::new(&[("01".into(), [7u8; crate::domain::keys::KEY_LEN])]).unwrap();
        let seal = super::account_seal(&keys, "01", "omar", "operator", "$2b$12$hash", false).unwrap();
        assert!(super::account_seal_holds(&keys, &seal, "omar", "operator", "$2b$12$hash", false));
        assert!(!super::account_seal_holds(&keys, &seal, "asha", "operator", "$2b$12$hash", false));
        assert!(!super::account_seal_holds(&keys, &seal, "omar", "admin", "$2b$12$hash", false));
        assert!(!super::account_seal_holds(&keys, &seal, "omar", "operator", "$2b$12$other", false));
        assert!(!super::account_seal_holds(&keys, &seal, "omar", "operator", "$2b$12$hash", true));
        assert!(!super::account_seal_holds(&keys, "nonsense", "omar", "operator", "$2b$12$hash", false));
    }

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
