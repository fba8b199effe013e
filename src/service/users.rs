//! Accounts: first admin, sign-in with lockout, and user management.

use super::{Gatehouse, require_admin};
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::events::{Event, KeyRotate, UserAdd, UserLocked, UserPasswd, UserToggle, UserUnlock};
use crate::domain::user::{self, Actor, BCRYPT_COST, Role, User};
use crate::error::{Error, Result};

/// A cost-12 bcrypt hash of a random password nobody knows, compiled in so
/// that an unknown username costs exactly one bcrypt run, the same as a
/// known one (a hash made at run time would cost a second run).
const DUMMY_HASH: &str = "$2b$12$nA2v1DhC6Gv.rg1DZ4CgBOTtA4cyTP6Nhm1Z.1/nCeFDD0TIUVlr6";

thread_local! {
    static BCRYPT_RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many bcrypt verifications this thread has run. Tests count them to
/// show that every sign-in answer costs the same, without timing anything.
pub fn bcrypt_runs_on_this_thread() -> u64 {
    BCRYPT_RUNS.with(std::cell::Cell::get)
}

fn verify_password(password: &str, hash: &str) -> bool {
    BCRYPT_RUNS.with(|c| c.set(c.get() + 1));
    let _turn = Turn::take();
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// Turns at bcrypt: at most one run per core at a time, in the order
/// sign-ins arrive. A flood of parallel guesses is then decided in turn,
/// each counted before a later attempt (the right password) is decided,
/// and the process keeps its cores for scanning meanwhile.
struct Turn;

/// Tickets handed out, and runs finished.
static TURNS: (std::sync::Mutex<(u64, u64)>, std::sync::Condvar) = (std::sync::Mutex::new((0, 0)), std::sync::Condvar::new());

impl Turn {
    fn take() -> Turn {
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let (lock, cv) = &TURNS;
        let mut t = lock.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = t.0;
        t.0 += 1;
        while ticket >= t.1 + slots {
            t = cv.wait(t).unwrap_or_else(|e| e.into_inner());
        }
        Turn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (lock, cv) = &TURNS;
        lock.lock().unwrap_or_else(|e| e.into_inner()).1 += 1;
        cv.notify_all();
    }
}

/// The one answer to a failed sign-in, whatever the account's state.
fn wrong_credentials() -> Error {
    Error::Auth("wrong username or password".into())
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
    bcrypt::hash(pw, BCRYPT_COST).map_err(|e| Error::Internal(format!("cannot hash password: {e}")))
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
        let slot = self.slot_for(actor.and_then(|a| a.issuer.as_ref()), &username, role, password)?;
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
        self.record(&by, move |db, _| {
            if first_run && db.count(crate::store::Table::Users)? > 0 {
                return Err(Error::Forbidden("users exist already; sign in as an admin to add more".into()));
            }
            if db.get_user(&uc.username)?.is_some() {
                return Err(Error::Conflict(format!("user {} exists already", uc.username)));
            }
            db.insert_user(&uc, &hash)?;
            if let Some(sealed) = &slot {
                db.set_key_slot(&uc.username, sealed, &uc.created_at)?;
            }
            let added = UserAdd { username: uc.username.into(), display_name: uc.display_name.into(), role: uc.role.as_str().into() };
            Ok(((), Event::UserAdd(added)))
        })?;
        Ok(u)
    }

    /// Check a password. Five wrong in a row lock the user for five minutes;
    /// the lock is stored, so it survives a restart. Unknown, disabled and
    /// locked users get the same answer after the same single bcrypt run;
    /// only someone who gave the right password learns why they are refused.
    pub fn authenticate(&mut self, username: &str, password: &str) -> Result<Actor> {
        let username = username.trim().to_lowercase();
        let now = self.now();
        let found = self.store.read(|db| db.get_user(&username))?;
        // bcrypt runs outside any transaction: it takes a quarter second.
        let ok = verify_password(password, found.as_ref().map_or(DUMMY_HASH, |(_, h)| h.as_str()));
        let Some((u, _)) = found else {
            return Err(wrong_credentials());
        };
        let locked = u.locked_until.as_deref().and_then(parse_stamp).filter(|until| *until > now);
        if !ok {
            if !u.disabled && locked.is_none() {
                self.count_failed_sign_in(&username)?;
            }
            return Err(wrong_credentials());
        }
        // The right password: the account is read again in the transaction
        // that clears its count, so wrong guesses counted while bcrypt ran
        // (a flood in parallel) lock it out before this one gets in.
        let now = self.now();
        let actor = self.store.write(|db| {
            let Some((u, _)) = db.get_user_locked(&username)? else { return Err(wrong_credentials()) };
            if u.disabled {
                return Err(Error::Auth(format!("user {username} is disabled; an admin can enable it")));
            }
            if let Some(until) = u.locked_until.as_deref().and_then(parse_stamp).filter(|until| *until > now) {
                let mins = ((until - now).num_seconds().max(1) + 59) / 60;
                return Err(Error::Auth(format!(
                    "user {username} is locked after {} wrong passwords; try again in {mins} min, or ask an admin to run `gatehouse user unlock {username}`",
                    user::MAX_FAILED
                )));
            }
            if u.failed_attempts > 0 || u.locked_until.is_some() {
                db.clear_login_failures(&username)?;
            }
            Ok(Actor { username: u.username, display_name: u.display_name, role: u.role, issuer: None })
        })?;
        // An admin's sign-in opens their key slot for this session.
        let issuer = self.open_slot(&username, actor.role, password);
        self.signer = issuer.clone();
        Ok(Actor { issuer, ..actor })
    }

    /// Count one wrong password. The increment and the lock decision happen
    /// in one write transaction, so parallel guesses are counted one by one
    /// and exactly the fifth locks; guesses that arrive once the lock holds
    /// are not counted at all.
    fn count_failed_sign_in(&mut self, username: &str) -> Result<()> {
        let now = self.now();
        let at = stamp(now);
        let until = stamp(user::lock_until(now));
        let gate = self.cfg.gate.name.clone();
        let keys = &self.keys;
        self.store.write(|db| {
            let Some(failed) = db.count_login_failure(username, &at)? else {
                return Ok(());
            };
            if user::locks(failed) {
                db.lock_user(username, &until)?;
                let locked = UserLocked { username: username.into(), failed_attempts: failed, until: until.as_str().into() };
                super::append(db, keys, &at, username, &gate, &Event::UserLocked(locked))?;
            }
            Ok(())
        })
    }

    pub fn list_users(&mut self) -> Result<Vec<User>> {
        self.store.read(|db| db.list_users())
    }

    /// Disable or enable a user. Enabling also lifts a lockout, so an
    /// enabled user can sign in at once.
    pub fn set_user_disabled(&mut self, actor: &Actor, username: &str, disabled: bool) -> Result<()> {
        require_admin(actor, "manage users")?;
        let username = username.trim().to_lowercase();
        if disabled && username == actor.username {
            return Err(Error::Conflict("you cannot disable yourself".into()));
        }
        self.record(&actor.username, |db, _| {
            let (u, _) = db.get_user(&username)?.ok_or_else(|| Error::NotFound { what: "user", id: username.clone() })?;
            if disabled && u.role == Role::Admin && !u.disabled && db.active_admins()? <= 1 {
                return Err(Error::Conflict("cannot disable the last admin".into()));
            }
            db.set_user_disabled(&username, disabled)?;
            if disabled {
                db.delete_sessions_of(&username)?;
            }
            let unlocked = !disabled && (u.locked_until.is_some() || u.failed_attempts > 0);
            if unlocked {
                db.clear_login_failures(&username)?;
            }
            let toggled = UserToggle { username: username.as_str().into(), unlocked };
            Ok(((), if disabled { Event::UserDisable(toggled) } else { Event::UserEnable(toggled) }))
        })?;
        Ok(())
    }

    /// Lift a lockout (and forget earlier wrong passwords) before it ends.
    pub fn unlock_user(&mut self, actor: &Actor, username: &str) -> Result<()> {
        require_admin(actor, "unlock users")?;
        let username = username.trim().to_lowercase();
        self.record(&actor.username, |db, _| {
            let (u, _) = db.get_user(&username)?.ok_or_else(|| Error::NotFound { what: "user", id: username.clone() })?;
            if u.locked_until.is_none() && u.failed_attempts == 0 {
                return Err(Error::Conflict(format!("user {username} is not locked")));
            }
            db.clear_login_failures(&username)?;
            let unlocked = UserUnlock { username: username.as_str().into(), was_locked_until: u.locked_until.map(Into::into) };
            Ok(((), Event::UserUnlock(unlocked)))
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
        // An admin's key slot is re-sealed under the new password, or dropped.
        let role = self.store.read(|db| db.get_user(&username))?.map_or(Role::Operator, |(u, _)| u.role);
        let slot = self.slot_for(actor.issuer.as_ref(), &username, role, password)?;
        self.record(&actor.username, |db, at| {
            db.get_user(&username)?.ok_or_else(|| Error::NotFound { what: "user", id: username.clone() })?;
            db.set_user_password(&username, &hash)?;
            // A shell signed in with the old password is signed out.
            db.delete_sessions_of(&username)?;
            match &slot {
                Some(sealed) => db.set_key_slot(&username, sealed, at)?,
                None => db.delete_key_slot(&username)?,
            }
            // Never the hash: the ledger is exported and printed.
            Ok(((), Event::UserPasswd(UserPasswd { username: username.as_str().into() })))
        })?;
        Ok(())
    }

    /// Record that a new signing key was added to the key file.
    pub fn note_key_rotation(&mut self, actor: &Actor, new_id: &str) -> Result<()> {
        require_admin(actor, "rotate keys")?;
        self.record(&actor.username, |_, _| Ok(((), Event::KeyRotate(KeyRotate { key_id: new_id.into(), public: None }))))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The dummy is a real cost-12 hash, so checking it costs what checking
    /// a user's does.
    #[test]
    fn dummy_hash_is_a_real_cost_12_hash() {
        assert!(super::DUMMY_HASH.starts_with("$2b$12$"), "{}", super::DUMMY_HASH);
        assert_eq!(bcrypt::verify("gatehouse", super::DUMMY_HASH).ok(), Some(false));
    }
}
