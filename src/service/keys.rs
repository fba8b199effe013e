//! The event's Ed25519 issuing keys: made by an admin, public halves in
//! the event database for every gate to verify with, private seeds only in
//! admins' sealed key slots and, after sign-in, in that session's memory.
//! No file on a gate and nothing an operator can read holds a usable seed.

use uuid::Uuid;

use super::{Gatehouse, require_admin};
use crate::domain::events::{Event, KeyRotate};
use crate::domain::issuing::{self, Issuer, IssuingPublic};
use crate::domain::keyslot::{self, KdfCost};
use crate::domain::payload::{self, Kind};
use crate::domain::user::{Actor, Role};
use crate::error::{Error, Result};

/// The environment setting that picks argon2id's cheap test cost for the
/// slots this process seals; anything else is the standard cost.
pub const TEST_KDF_ENV: &str = "GATEHOUSE_TEST_KDF";

/// The slot cost this process seals with: standard, or the test cost when
/// GATEHOUSE_TEST_KDF=cheap says so (logged, and written in each slot).
pub fn slot_cost_from_env() -> KdfCost {
    match std::env::var(TEST_KDF_ENV).as_deref() {
        Ok("cheap") => {
            tracing::warn!("{TEST_KDF_ENV}=cheap: key slots sealed now use argon2id's test cost; never on a real event");
            KdfCost::TEST
        }
        Ok(other) if !other.is_empty() => {
            tracing::warn!("{TEST_KDF_ENV}={other:?} is not \"cheap\"; key slots use the standard cost");
            KdfCost::STANDARD
        }
        _ => KdfCost::STANDARD,
    }
}

impl Gatehouse {
    /// Seal key slots at this cost from now on (tests choose `KdfCost::TEST`).
    pub fn set_slot_cost(&mut self, cost: KdfCost) {
        self.slot_cost = cost;
    }

    /// The event's issuing public keys, oldest first, read afresh (another
    /// station may have added one); this core's ring learns them too.
    pub fn issuing_keys(&mut self) -> Result<Vec<IssuingPublic>> {
        let rows = self.store.read(|db| db.issuing_keys())?;
        let keys = rows
            .iter()
            .map(|(id, hex)| {
                IssuingPublic::from_hex(id, hex)
                    .ok_or_else(|| Error::Corrupt(format!("issuing key {id} is not a valid Ed25519 public key")))
            })
            .collect::<Result<Vec<_>>>()?;
        self.keys.set_issuing(keys.clone());
        Ok(keys)
    }

    /// Store public keys read from elsewhere (a replica's pull), skipping
    /// those it has; returns how many were new.
    pub fn learn_issuing_keys(&mut self, keys: &[IssuingPublic], at: &str) -> Result<usize> {
        let added = self.store.write(|db| {
            let have = db.issuing_keys()?;
            let mut n = 0;
            for k in keys.iter().filter(|k| !have.iter().any(|(id, _)| *id == k.key_id)) {
                db.insert_issuing_key(&k.key_id, &k.to_hex(), at, "sync")?;
                n += 1;
            }
            Ok(n)
        })?;
        self.issuing_keys()?;
        Ok(added)
    }

    /// Make a new Ed25519 issuing key: new codes are signed with it, older
    /// ones keep verifying. Signs `username` in with `password` (the slot is
    /// sealed under it, so it must be theirs), records the public key with
    /// a `key_rotate` block, and seals the seed into that admin's slot with
    /// the seeds their session held. Other admins get the new key when an
    /// admin who holds it resets their password. `key rotate --ed25519`
    /// calls this; gate enrolment is to call it when an event first enrols
    /// a gate. Returns the session (holding the new key) and the public key.
    pub fn new_issuing_key(&mut self, username: &str, password: &str) -> Result<(Actor, IssuingPublic)> {
        let actor = self.authenticate(username, password)?;
        require_admin(&actor, "rotate keys")?;
        self.issuing_keys()?;
        let taken: Vec<String> =
            self.keys.ids().chain(self.keys.issuing_keys().iter().map(|k| k.key_id.as_str())).map(String::from).collect();
        let id = issuing::next_key_id(taken.iter().map(String::as_str)).ok_or_else(|| Error::Conflict("no issuing key ids left".into()))?;
        let seed = issuing::generate().map_err(|e| Error::Internal(format!("no randomness from the OS: {e}")))?;
        let session = match &actor.issuer {
            Some(s) => s.with(&id, seed),
            None => Issuer::new(&id, seed),
        };
        let public = session.public(&id).ok_or_else(|| Error::Internal("the new issuing key is missing from the session".into()))?;
        let sealed = keyslot::seal(&session.to_plain(), &actor.username, password, self.slot_cost)
            .map_err(|e| Error::Internal(format!("cannot seal the key slot: {e}")))?;
        let (hex, by) = (public.to_hex(), actor.username.clone());
        self.record(&actor.username, |db, at| {
            db.insert_issuing_key(&id, &hex, at, &by)?;
            db.set_key_slot(&by, &sealed, at)?;
            Ok(((), Event::KeyRotate(KeyRotate { key_id: id.as_str().into(), public: Some(hex.as_str().into()) })))
        })?;
        self.issuing_keys()?;
        self.signer = Some(session.clone());
        Ok((Actor { issuer: Some(session), ..actor }, public))
    }

    /// At an admin's sign-in: open their slot with the password they just
    /// proved. No slot, or one that does not open, leaves the session
    /// without issuing keys (said in the log), never the sign-in refused.
    pub(super) fn open_slot(&mut self, username: &str, role: Role, password: &str) -> Option<Issuer> {
        if role != Role::Admin {
            return None;
        }
        let slot = match self.store.read(|db| db.key_slot(username)) {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(user = username, error = %e, "cannot read the key slot");
                return None;
            }
        };
        match keyslot::unseal(&slot, username, password).ok().and_then(|plain| Issuer::from_plain(&plain)) {
            Some(i) => Some(i),
            None => {
                tracing::warn!(user = username, "the key slot does not open with this password; this session cannot issue");
                None
            }
        }
    }

    /// What to store for `username`'s slot when their password becomes
    /// `password`, sealed before any transaction (argon2id takes a moment):
    /// Some(sealed) when the acting session holds issuing keys and the user
    /// is an admin, None when their slot must go (an operator, or no
    /// session to seal from: the old password must not open it any more).
    pub(super) fn slot_for(&self, session: Option<&Issuer>, username: &str, role: Role, password: &str) -> Result<Option<String>> {
        let Some(s) = session.filter(|_| role == Role::Admin) else { return Ok(None) };
        keyslot::seal(&s.to_plain(), username, password, self.slot_cost)
            .map(Some)
            .map_err(|e| Error::Internal(format!("cannot seal the key slot: {e}")))
    }

    /// The session later payloads are signed with: `actor`'s (the console
    /// calls this before each operation it runs for the signed-in person).
    pub fn use_session(&mut self, actor: &Actor) {
        self.signer = actor.issuer.clone();
    }

    /// Forget the signed-in admin's keys (sign-out).
    pub fn forget_keys(&mut self) {
        self.signer = None;
    }

    /// The key new codes are signed with, after a fresh look at the
    /// event's issuing keys, and the session's keys when that is an
    /// issuing key: refused if `actor`'s session does not hold it.
    pub(super) fn code_key_for(&mut self, actor: &Actor) -> Result<(String, Option<String>)> {
        self.issuing_keys()?;
        let key = self.keys.code_key().to_string();
        if self.keys.issuing(&key).is_none() {
            if !self.keys.has_hmac() {
                return Err(Error::Conflict(
                    "this enrolled gate holds no key file, and the event has no Ed25519 issuing key to sign codes with".into(),
                ));
            }
            // A block signed by a device key does not name the code's key: the block data does.
            let named = self.keys.device().is_some().then(|| key.clone());
            return Ok((key, named));
        }
        if !actor.issuer.as_ref().is_some_and(|s| s.holds(&key)) {
            return Err(Error::Forbidden(format!(
                "codes are signed with issuing key {key}, and {}'s sign-in holds no key slot for it; an admin who can issue \
                 gives them one by resetting their password (`gatehouse user passwd {}`)",
                actor.username, actor.username
            )));
        }
        self.signer = actor.issuer.clone();
        Ok((key.clone(), Some(key)))
    }

    /// A code's text for id `id` under key `key_id`: HMAC from the key
    /// file, Ed25519 from the signed-in admin's session. Empty when this
    /// session cannot sign with that key (an operator, or no slot).
    pub(super) fn code_text(&self, key_id: &str, kind: Kind, id: &Uuid) -> String {
        if issuing::is_issuing_id(key_id) {
            return self.signer.as_ref().and_then(|s| payload::encode_ed25519(s, key_id, kind, id)).unwrap_or_default();
        }
        payload::encode_with(&self.keys, key_id, kind, id).unwrap_or_else(|| payload::encode(&self.keys, kind, id))
    }
}
