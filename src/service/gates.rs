//! The event's gates: enrolment by one-time token, the list with last seen
//! times, and revocation. A token is made by an admin and stored only as a
//! hash; the new gate spends it in the same transaction as its `gate_enrol`
//! block, which carries its device public key and is signed by it.

use chrono::Duration;
use serde::Serialize;

use super::{Gatehouse, append, require_admin};
use crate::domain::clock::{parse_stamp, shown_stamp, stamp};
use crate::domain::device::{DeviceKey, DevicePublic, db_credential, new_token, token_hash};
use crate::domain::events::{Event, GateEnrol, GateRevoke, GateToken};
use crate::domain::user::Actor;
use crate::domain::validate::{self, ValidationErrors};
use crate::error::{Error, Result};
use crate::store::{GateRow, GateTokenRow};

/// How long a token may wait to be used.
pub const TOKEN_MINUTES: i64 = 30;
/// Tests only: a token's lifetime in seconds, to see one expire.
pub const TEST_TOKEN_SECS_ENV: &str = "GATEHOUSE_TEST_TOKEN_SECS";
/// A gate whose last sync is older than this is shown offline.
pub const ONLINE_SECS: i64 = 120;

fn token_lifetime() -> Duration {
    match std::env::var(TEST_TOKEN_SECS_ENV).ok().and_then(|v| v.parse::<i64>().ok()) {
        Some(s) => {
            tracing::warn!("{TEST_TOKEN_SECS_ENV}={s}: enrolment tokens expire in {s} s; never on a real event");
            Duration::seconds(s)
        }
        None => Duration::minutes(TOKEN_MINUTES),
    }
}

/// A token as `gate token` prints it: shown once, never stored.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub gate: String,
    pub expires_at: String,
    /// The gate's own database login role the token carries, if it does.
    pub db_role: Option<String>,
}

/// One gate as `gate list` and the Stats screen show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateView {
    pub name: String,
    /// `device` (enrolled by token, signs with its own key) or `key file`.
    pub key: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub enrolled_at: String,
    pub enrolled_by: String,
    pub last_seen: Option<String>,
    /// Synced within the online window, and not revoked.
    pub online: bool,
    pub revoked: bool,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    /// Its own database login role, when its token carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_role: Option<String>,
}

impl GateView {
    fn of(g: GateRow, now: chrono::DateTime<chrono::Utc>, within_secs: i64) -> GateView {
        let seen = g.last_seen.as_deref().and_then(parse_stamp);
        let online = g.revoked_at.is_none() && seen.is_some_and(|t| (now - t).num_milliseconds() <= within_secs * 1000);
        GateView {
            key: if g.key_id.is_some() { "device" } else { "key file" },
            key_id: g.key_id,
            name: g.name,
            enrolled_at: g.enrolled_at,
            enrolled_by: g.enrolled_by,
            last_seen: g.last_seen,
            online,
            revoked: g.revoked_at.is_some(),
            revoked_at: g.revoked_at,
            revoked_by: g.revoked_by,
            db_role: g.db_role,
        }
    }
}

/// Why a token cannot be spent at `at`, if it cannot.
fn token_refusal(row: Option<&GateTokenRow>, at: &str) -> Option<String> {
    match row {
        None => Some("this enrolment token is not known to the event's database (mistyped, or made for another event)".into()),
        Some(t) if t.used_at.is_some() => Some(format!(
            "this enrolment token was used already (at {}); ask an admin for a new one (`gatehouse gate token --gate {:?}`)",
            shown_stamp(t.used_at.as_deref().unwrap_or("")),
            t.gate
        )),
        Some(t) if at > t.expires_at.as_str() => Some(format!(
            "this enrolment token expired at {}; ask an admin for a new one (`gatehouse gate token --gate {:?}`)",
            shown_stamp(&t.expires_at),
            t.gate
        )),
        Some(_) => None,
    }
}

/// The device public keys of the gates table, revoked ones marked.
pub fn device_publics(rows: &[GateRow]) -> Vec<DevicePublic> {
    rows.iter()
        .filter_map(|g| {
            let mut k = DevicePublic::from_hex(g.key_id.as_deref()?, &g.name, g.public_key.as_deref()?)?;
            k.revoked = g.revoked_at.is_some();
            Some(k)
        })
        .collect()
}

impl Gatehouse {
    fn require_shared(&mut self, what: &str) -> Result<()> {
        if self.store.server().is_none() {
            return Err(Error::Unsupported(format!(
                "{what} needs a shared PostgreSQL database; a gate on its own SQLite file is the only gate"
            )));
        }
        Ok(())
    }

    /// A one-time token that lets one new laptop enrol as `gate` (admins).
    pub fn gate_token(&mut self, actor: &Actor, gate: &str) -> Result<IssuedToken> {
        require_admin(actor, "make enrolment tokens")?;
        self.require_shared("enrolling a gate")?;
        let mut errs = ValidationErrors::default();
        let gate = validate::label(&mut errs, "gate", gate, 64);
        errs.into_result(())?;
        if self.issuing_keys()?.is_empty() {
            return Err(Error::Conflict(
                "this event has no Ed25519 issuing key, and an enrolled gate holds no HMAC key to check codes with: run `gatehouse key rotate --ed25519` first".into(),
            ));
        }
        // A role per gate when this database user may make one: the token then carries it.
        let with_role = self.store.read(|db| db.can_create_roles())?;
        let token = new_token(with_role).map_err(|e| Error::Internal(format!("no randomness from the OS: {e}")))?;
        let credential = db_credential(&token);
        let now = self.clock.now();
        let expires_at = stamp(now + token_lifetime());
        let hash = token_hash(&token);
        let (g2, e2) = (gate.clone(), expires_at.clone());
        self.record(&actor.username, |db, at| {
            if let Some(g) = db.gates()?.into_iter().find(|g| g.name == g2 && g.revoked_at.is_none()) {
                return Err(Error::Conflict(format!(
                    "gate {:?} is enrolled already (since {}); revoke it first",
                    g.name,
                    shown_stamp(&g.enrolled_at)
                )));
            }
            let row = GateTokenRow {
                token_hash: hash.clone(),
                gate: g2.clone(),
                created_at: at.to_string(),
                created_by: actor.username.clone(),
                expires_at: e2.clone(),
                used_at: None,
            };
            db.insert_gate_token(&row)?;
            if let Some((role, password)) = &credential {
                db.create_gate_role(role, password, &e2)?;
            }
            Ok((
                (),
                Event::GateToken(GateToken { gate: g2.as_str().into(), token_hash: hash.as_str().into(), expires_at: e2.as_str().into() }),
            ))
        })?;
        let db_role = credential.map(|(role, _)| role);
        Ok(IssuedToken { token, gate, expires_at, db_role })
    }

    /// Spend `token` for this core's device key: the gate's row and its
    /// `gate_enrol` block (signed by the device key), in one transaction.
    /// Returns the gate's name, as the token gave it.
    pub fn enrol_gate(&mut self, token: &str) -> Result<GateRow> {
        self.require_shared("enrolling a gate")?;
        let device: &DeviceKey =
            self.keys.device().ok_or_else(|| Error::Internal("enrolment needs this gate's device key in its key ring".into()))?;
        let (key_id, public) = (device.key_id().to_string(), device.public_hex());
        let hash = token_hash(token);
        let at = stamp(self.clock.now());
        let keys = &self.keys;
        self.store.write(|db| {
            let row = db.gate_token_locked(&hash)?;
            if let Some(why) = token_refusal(row.as_ref(), &at) {
                return Err(Error::Auth(why));
            }
            let Some(t) = row else { return Err(Error::Auth("this enrolment token is not known".into())) };
            if db.gates()?.iter().any(|g| g.name == t.gate && g.revoked_at.is_none()) {
                return Err(Error::Conflict(format!("gate {:?} is enrolled already; an admin must revoke it first", t.gate)));
            }
            db.mark_gate_token_used(&hash, &at)?;
            let event = Event::GateEnrol(GateEnrol {
                gate: t.gate.as_str().into(),
                key_id: Some(key_id.as_str().into()),
                public: Some(public.as_str().into()),
                token: Some(token.trim().into()),
            });
            let block = append(db, keys, &at, "enrol", &t.gate, &event)?;
            let g = GateRow {
                name: t.gate.clone(),
                key_id: Some(key_id.clone()),
                public_key: Some(public.clone()),
                enrolled_at: at.clone(),
                enrolled_by: t.created_by.clone(),
                block,
                last_seen: Some(at.clone()),
                revoked_at: None,
                revoked_by: None,
                db_role: db_credential(token).map(|(role, _)| role),
            };
            db.put_gate(&g)?;
            // The token's role may log in past the token's expiry now.
            if g.db_role.is_some() && !db.keep_gate_role()? {
                return Err(Error::Auth(
                    "this gate's database role is not the one its token made; connect as that role (init --enroll does)".into(),
                ));
            }
            Ok(g)
        })
    }

    /// List this gate (one joined with the key file) among the event's
    /// gates, once: `gate list` then shows it with the enrolled ones.
    pub fn register_key_file_gate(&mut self, by: &str) -> Result<()> {
        let name = self.cfg.gate.name.clone();
        if self.store.read(|db| db.gates())?.iter().any(|g| g.name == name) {
            return Ok(());
        }
        let n2 = name.clone();
        self.record(by, |db, at| {
            let g = GateRow {
                name: n2.clone(),
                key_id: None,
                public_key: None,
                enrolled_at: at.to_string(),
                enrolled_by: by.to_string(),
                block: 0,
                last_seen: Some(at.to_string()),
                revoked_at: None,
                revoked_by: None,
                db_role: None,
            };
            db.put_gate(&g)?;
            Ok(((), Event::GateEnrol(GateEnrol { gate: n2.as_str().into(), key_id: None, public: None, token: None })))
        })?;
        Ok(())
    }

    /// Every gate, online when it synced within `within_secs`.
    pub fn gates(&mut self, within_secs: i64) -> Result<Vec<GateView>> {
        let now = self.clock.now();
        Ok(self.store.read(|db| db.gates())?.into_iter().map(|g| GateView::of(g, now, within_secs)).collect())
    }

    /// This gate was seen now (its sync's heartbeat); false when it is not
    /// among the event's gates.
    pub fn touch_gate(&mut self) -> Result<bool> {
        let (name, at) = (self.cfg.gate.name.clone(), stamp(self.clock.now()));
        self.store.write(|db| db.touch_gate(&name, &at))
    }

    /// Disown a gate (admins): its device key signs nothing of the event
    /// from this block on, and its uploads are refused.
    pub fn revoke_gate(&mut self, actor: &Actor, name: &str) -> Result<GateView> {
        require_admin(actor, "revoke gates")?;
        let n2 = name.trim().to_string();
        let by = actor.username.clone();
        let (row, _) = self.record(&actor.username, |db, at| {
            let Some(mut g) = db.gates()?.into_iter().find(|g| g.name == n2) else {
                return Err(Error::NotFound { what: "gate", id: n2.clone() });
            };
            if g.revoked_at.is_some() {
                return Err(Error::Conflict(format!(
                    "gate {:?} was revoked already (at {})",
                    g.name,
                    shown_stamp(g.revoked_at.as_deref().unwrap_or(""))
                )));
            }
            if g.key_id.is_none() {
                // Every key-file gate holds the same key: revoking one would disown nothing.
                return Err(Error::Conflict(format!(
                    "gate {:?} joined with the event key file, which every such gate shares: revoking it would disown nothing it signs; rotate the key file (`gatehouse key rotate`) instead",
                    g.name
                )));
            }
            db.revoke_gate(&g.name, at, &by)?;
            // Its own login role, if it has one, logs in no more.
            if let Some(role) = &g.db_role {
                db.disable_gate_role(role)?;
            }
            g.revoked_at = Some(at.to_string());
            g.revoked_by = Some(by.clone());
            let event = Event::GateRevoke(GateRevoke { gate: n2.as_str().into(), key_id: g.key_id.clone().map(Into::into) });
            Ok((g, event))
        })?;
        self.load_gate_keys()?;
        Ok(GateView::of(row, self.clock.now(), ONLINE_SECS))
    }

    /// Sign this core's blocks with `device` from now on (`bench verify
    /// --device-key`: a ledger of Ed25519 blocks on a scratch database).
    pub fn sign_blocks_with(&mut self, device: DeviceKey) {
        self.keys = self.keys.clone().with_device(device);
    }

    /// Read the enrolled gates' public keys into this core's ring: uploads
    /// are checked against them, and a revoked gate seals nothing more.
    pub fn load_gate_keys(&mut self) -> Result<()> {
        let rows = self.store.read(|db| db.gates())?;
        self.keys.set_gates(device_publics(&rows));
        Ok(())
    }

    /// Why this gate may not upload, if it is revoked.
    pub fn revoked_here(&self, rows: &[GateRow]) -> Option<String> {
        let d = self.keys.device()?;
        rows.iter().find(|g| g.key_id.as_deref() == Some(d.key_id()) && g.revoked_at.is_some()).map(|g| {
            format!(
                "gate {:?} was revoked at {} by {}; its uploads are refused",
                g.name,
                g.revoked_at.as_deref().unwrap_or(""),
                g.revoked_by.as_deref().unwrap_or("")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(used: Option<&str>) -> GateTokenRow {
        GateTokenRow {
            token_hash: "h".into(),
            gate: "Gate B".into(),
            created_at: "2026-12-01T10:00:00Z".into(),
            created_by: "asha".into(),
            expires_at: "2026-12-01T10:30:00Z".into(),
            used_at: used.map(String::from),
        }
    }

    #[test]
    fn a_token_is_spent_once_and_only_in_time() {
        assert!(token_refusal(Some(&token(None)), "2026-12-01T10:29:59Z").is_none());
        assert!(token_refusal(Some(&token(None)), "2026-12-01T10:30:01Z").unwrap().contains("expired"));
        assert!(token_refusal(Some(&token(Some("2026-12-01T10:05:00Z"))), "2026-12-01T10:06:00Z").unwrap().contains("used already"));
        assert!(token_refusal(None, "2026-12-01T10:06:00Z").unwrap().contains("not known"));
    }
}
