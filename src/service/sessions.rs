//! Shell sign-ins, as `sudo` keeps them: after one password, a random
//! token stands in for it until it expires. The token proves "this user
//! gave the right password here, at most N minutes ago": the store keeps
//! only its SHA-256 (a copied database gives no usable token), with the
//! user and the end. Every use re-reads the user, so a disabled account or
//! a changed role counts at once; a new password or disabling ends every
//! session of that user, and `logout` ends this one.

use sha2::{Digest, Sha256};

use super::Gatehouse;
use crate::domain::clock::stamp;
use crate::domain::ledger::to_hex;
use crate::domain::user::Actor;
use crate::error::{Error, Result};

/// How long a session lasts unless asked otherwise: sudo's 15 minutes.
pub const SESSION_MINUTES: i64 = 15;
/// The longest session: one working shift.
pub const SESSION_MAX_MINUTES: i64 = 12 * 60;

/// A new session: the token to keep (0600) and when it ends.
#[derive(Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: String,
}

/// The stored form of a token.
fn token_hash(token: &str) -> String {
    to_hex(&Sha256::digest(token.trim().as_bytes()))
}

fn session_refused() -> Error {
    Error::Auth("the session has ended or is not known here: sign in again".into())
}

impl Gatehouse {
    /// Start a session for someone who just signed in with their password.
    pub fn start_session(&mut self, actor: &Actor, minutes: i64) -> Result<Session> {
        if !(1..=SESSION_MAX_MINUTES).contains(&minutes) {
            let mut e = crate::domain::validate::ValidationErrors::default();
            e.add("minutes", format!("a session lasts 1 to {SESSION_MAX_MINUTES} minutes, not {minutes}"));
            return Err(e.into());
        }
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| Error::io("no random bytes for a session token", e.into()))?;
        let token = to_hex(&raw);
        let now = self.now();
        let (at, until) = (stamp(now), stamp(now + chrono::Duration::minutes(minutes)));
        let hash = token_hash(&token);
        self.store.write(|db| db.insert_session(&hash, &actor.username, &at, &until, &at))?;
        Ok(Session { token, expires_at: until })
    }

    /// Who a session token signs in, if it is live and its user may still
    /// sign in. A locked account keeps its session (the lock stops guessing
    /// passwords; this user already gave theirs); a disabled one does not.
    pub fn session_actor(&mut self, username: &str, token: &str) -> Result<Actor> {
        let username = username.trim().to_lowercase();
        let (hash, now) = (token_hash(token), stamp(self.now()));
        let owner = self.store.read(|db| db.session_user(&hash, &now))?;
        if owner.as_deref() != Some(username.as_str()) {
            return Err(session_refused());
        }
        let Some((u, _)) = self.store.read(|db| db.get_user(&username))? else {
            return Err(session_refused());
        };
        if u.disabled {
            return Err(Error::Auth(format!("user {username} is disabled; an admin can enable it")));
        }
        Ok(Actor { username: u.username, display_name: u.display_name, role: u.role, issuer: None })
    }

    /// End a session (`gatehouse logout`).
    pub fn end_session(&mut self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        self.store.write(|db| db.delete_session(&hash))
    }
}
