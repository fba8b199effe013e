//! Accounts: first admin, sign-in with lockout, and user management.

use serde_json::json;

use super::{Gatehouse, require_admin};
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::user::{self, Actor, BCRYPT_COST, Role, User};
use crate::error::{Error, Result};

/// A cost-12 hash checked for unknown usernames, made once when first needed.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| bcrypt::hash("gatehouse: no such user", BCRYPT_COST).unwrap_or_default())
}

/// Who the core acts as when a change has no signed-in person (first run).
pub const SYSTEM: &str = "system";

fn hash_password(pw: &str) -> Result<String> {
    if let Some(p) = user::password_problem(pw) {
        return Err(Error::Validation({
            let mut e = crate::domain::validate::ValidationErrors::default();
            e.add("password", p);
            e
        }));
    }
    bcrypt::hash(pw, BCRYPT_COST).map_err(|e| Error::Other(format!("cannot hash password: {e}")))
}

impl Gatehouse {
    pub fn user_count(&mut self) -> Result<u64> {
        self.store.read(|db| db.count(crate::store::Table::Users))
    }

    /// Create a user. With `actor` None this is the first-run path, allowed
    /// only while there are no users at all.
    pub fn add_user(&mut self, actor: Option<&Actor>, username: &str, display_name: &str, role: Role, password: &str) -> Result<User> {
        let username = username.trim().to_string();
        if !user::valid_username(&username) {
            let mut e = crate::domain::validate::ValidationErrors::default();
            e.add("username", "must be 2 to 32 of a-z, 0-9, . _ - and start with a letter");
            return Err(e.into());
        }
        let mut verr = crate::domain::validate::ValidationErrors::default();
        let display = crate::domain::validate::optional_text(&mut verr, "display_name", display_name, 80);
        if !verr.is_empty() {
            return Err(verr.into());
        }
        if let Some(a) = actor {
            require_admin(a, "add users")?;
        }
        let hash = hash_password(password)?;
        let by = actor.map_or(SYSTEM, |a| a.username.as_str()).to_string();
        let first_run = actor.is_none();
        let u = User {
            display_name: if display.is_empty() { username.clone() } else { display },
            username,
            role,
            created_at: stamp(self.now()),
            disabled: false,
            failed_attempts: 0,
            locked_until: None,
        };
        let uc = u.clone();
        self.record(&by, "user_add", move |db, _| {
            if first_run && db.count(crate::store::Table::Users)? > 0 {
                return Err(Error::Forbidden("users exist already; sign in as an admin to add more".into()));
            }
            if db.get_user(&uc.username)?.is_some() {
                return Err(Error::Conflict(format!("user {} exists already", uc.username)));
            }
            db.insert_user(&uc, &hash)?;
            Ok(((), json!({"username": uc.username, "display_name": uc.display_name, "role": uc.role.as_str()})))
        })?;
        Ok(u)
    }

    /// Check a password. Five wrong in a row lock the user for five minutes;
    /// the lock is stored, so it survives a restart.
    pub fn authenticate(&mut self, username: &str, password: &str) -> Result<Actor> {
        let username = username.trim().to_lowercase();
        let now = self.now();
        let found = self.store.read(|db| db.get_user(&username))?;
        let Some((u, hash)) = found else {
            // Same work and same words as a wrong password, so the answer
            // does not tell which usernames exist.
            let _ = bcrypt::verify(password, dummy_hash());
            return Err(Error::Auth("wrong username or password".into()));
        };
        if u.disabled {
            return Err(Error::Auth(format!("user {username} is disabled")));
        }
        if let Some(until) = u.locked_until.as_deref().and_then(parse_stamp) {
            if until > now {
                let mins = ((until - now).num_seconds().max(1) + 59) / 60;
                return Err(Error::Auth(format!(
                    "user {username} is locked after {} wrong passwords; try again in {mins} min",
                    user::MAX_FAILED
                )));
            }
        }
        // bcrypt runs outside any transaction: it takes a quarter second.
        let ok = bcrypt::verify(password, &hash).unwrap_or(false);
        if ok {
            if u.failed_attempts > 0 || u.locked_until.is_some() {
                self.store.write(|db| db.set_login_failures(&username, 0, None))?;
            }
            return Ok(Actor { username: u.username, display_name: u.display_name, role: u.role });
        }
        let (failed, lock) = user::after_failure(u.failed_attempts, now);
        let lock_s = lock.map(stamp);
        let name = username.clone();
        if lock.is_some() {
            self.record(&username, "user_locked", move |db, _| {
                db.set_login_failures(&name, failed, lock_s.as_deref())?;
                Ok(((), json!({"username": name, "until": lock_s})))
            })?;
            return Err(Error::Auth(format!("wrong password; user {username} is now locked for {} minutes", user::LOCK_MINUTES)));
        }
        self.store.write(|db| db.set_login_failures(&name, failed, None))?;
        Err(Error::Auth("wrong username or password".into()))
    }

    pub fn list_users(&mut self) -> Result<Vec<User>> {
        self.store.read(|db| db.list_users())
    }

    pub fn set_user_disabled(&mut self, actor: &Actor, username: &str, disabled: bool) -> Result<()> {
        require_admin(actor, "manage users")?;
        let username = username.trim().to_lowercase();
        if disabled && username == actor.username {
            return Err(Error::Conflict("you cannot disable yourself".into()));
        }
        let event = if disabled { "user_disable" } else { "user_enable" };
        self.record(&actor.username, event, |db, _| {
            let (u, _) = db.get_user(&username)?.ok_or_else(|| Error::NotFound { what: "user", id: username.clone() })?;
            if disabled && u.role == Role::Admin && !u.disabled && db.active_admins()? <= 1 {
                return Err(Error::Conflict("cannot disable the last admin".into()));
            }
            db.set_user_disabled(&username, disabled)?;
            Ok(((), json!({"username": username})))
        })?;
        Ok(())
    }

    /// Set a password. Admins may set anyone's; others only their own.
    pub fn set_password(&mut self, actor: &Actor, username: &str, password: &str) -> Result<()> {
        let username = username.trim().to_lowercase();
        if username != actor.username {
            require_admin(actor, "change another user's password")?;
        }
        let hash = hash_password(password)?;
        self.record(&actor.username, "user_passwd", |db, _| {
            db.get_user(&username)?.ok_or_else(|| Error::NotFound { what: "user", id: username.clone() })?;
            db.set_user_password(&username, &hash)?;
            // Never the hash: the ledger is exported and printed.
            Ok(((), json!({"username": username})))
        })?;
        Ok(())
    }

    /// Record that a new signing key was added to the key file.
    pub fn note_key_rotation(&mut self, actor: &Actor, new_id: &str) -> Result<()> {
        require_admin(actor, "rotate keys")?;
        self.record(&actor.username, "key_rotate", |_, _| Ok(((), json!({"key_id": new_id}))))?;
        Ok(())
    }
}
