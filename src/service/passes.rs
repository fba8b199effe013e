//! Issuing, voiding and undoing event passes.

use serde::Serialize;
use uuid::Uuid;

use super::{Gatehouse, require_admin};
use crate::domain::audit;
use crate::domain::events::{Event, PassIssue, PassUnscan, PassVoid};
use crate::domain::pass::{self, Pass, PassRequest, PassStatus};
use crate::domain::payload::Kind;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::PassFilter;

/// A pass with what the CLI and screens show beside it.
#[derive(Debug, Clone, Serialize)]
pub struct PassView {
    #[serde(flatten)]
    pub pass: Pass,
    pub status: PassStatus,
    pub price: f64,
    pub payload: String,
}

impl Gatehouse {
    pub fn pass_view(&self, p: Pass) -> PassView {
        let payload = self.pass_payload(&p);
        PassView { status: p.status(), price: p.price_cents as f64 / 100.0, payload, pass: p }
    }

    /// The QR text for a pass, signed with the key it was issued under;
    /// empty for an Ed25519 pass when this session holds no issuing key.
    pub fn pass_payload(&self, p: &Pass) -> String {
        let id = Uuid::parse_str(&p.id).unwrap_or_default();
        self.code_text(&p.key_id, Kind::Pass, &id)
    }

    pub fn issue_pass(&mut self, actor: &Actor, req: &PassRequest) -> Result<Pass> {
        require_admin(actor, "issue passes")?;
        let v = pass::validate(req, &self.pass_rules()?)?;
        self.insert_passes(actor, std::slice::from_ref(&v), req.allow_duplicate).map(|mut ps| ps.remove(0))
    }

    /// Insert validated passes in one transaction, each with its ledger
    /// block: all of them or none. Bulk import uses this too. Unless
    /// `allow_duplicate`, a holder's second live pass of one type and slot
    /// (`pass::HolderKey`) is refused.
    pub fn insert_passes(&mut self, actor: &Actor, items: &[pass::ValidPass], allow_duplicate: bool) -> Result<Vec<Pass>> {
        require_admin(actor, "issue passes")?;
        let at = crate::domain::clock::stamp(self.now());
        let gate = self.cfg.gate.name.clone();
        let (key_id, code_key) = self.code_key_for(actor)?;
        let keys = &self.keys;
        let ids: Vec<String> = items.iter().map(|_| Uuid::new_v4().to_string()).collect();
        let events: Vec<Event> = items
            .iter()
            .zip(&ids)
            .map(|(v, id)| {
                Event::PassIssue(PassIssue {
                    id: id.into(),
                    pass_type: v.pass_type.as_str().into(),
                    persons: v.persons,
                    holder: v.holder_name.as_str().into(),
                    holder2: v.holder2_name.as_deref().map(Into::into),
                    price_cents: v.price_cents,
                    payment: v.payment_mode.as_str().into(),
                    txn: v.txn_ref.as_deref().map(Into::into),
                    slot: v.slot.as_str().into(),
                    phones: audit::pass_phones(keys, &key_id, &v.holder_phone, v.holder2_phone.as_deref()).map(Into::into),
                    note: v.note.as_deref().map(Into::into),
                    code_key: code_key.as_deref().map(Into::into),
                })
            })
            .collect();
        let datas = events.iter().map(Event::to_block).collect::<std::result::Result<Vec<_>, _>>()?;
        let blocks: Vec<_> = datas
            .iter()
            .map(|(event, data)| crate::store::NewBlock { ts: &at, operator: &actor.username, gate: &gate, event, data })
            .collect();
        self.store.write(|db| {
            if !allow_duplicate {
                refuse_duplicates(db, items, &ids)?;
            }
            let rows: Vec<(&str, &pass::ValidPass)> = ids.iter().map(String::as_str).zip(items).collect();
            db.insert_passes(&rows, &key_id, &at, &actor.username)?;
            db.append_blocks(keys, &blocks)?;
            let idrefs: Vec<&str> = ids.iter().map(String::as_str).collect();
            db.get_passes(&idrefs)?.into_iter().map(|p| p.ok_or_else(|| Error::Corrupt("pass vanished after insert".into()))).collect()
        })
    }

    /// Find a pass by id or unambiguous id prefix.
    pub fn get_pass(&mut self, id_or_prefix: &str) -> Result<Pass> {
        self.store.read(|db| {
            let id = db.resolve_pass_id(id_or_prefix)?;
            db.get_pass(&id)?.ok_or(Error::NotFound { what: "pass", id })
        })
    }

    pub fn list_passes(&mut self, f: &PassFilter) -> Result<Vec<Pass>> {
        self.store.read(|db| db.list_passes(f))
    }

    pub fn void_pass(&mut self, actor: &Actor, id_or_prefix: &str, reason: &str) -> Result<Pass> {
        require_admin(actor, "void passes")?;
        let reason = required_reason(reason)?;
        let by = actor.username.clone();
        let (p, _) = self.record(&actor.username, |db, at| {
            let id = db.resolve_pass_id(id_or_prefix)?;
            let p = db.get_pass(&id)?.ok_or_else(|| Error::NotFound { what: "pass", id: id.clone() })?;
            if let Some(when) = &p.voided_at {
                return Err(Error::Conflict(format!("pass {id} was already voided at {when}")));
            }
            db.void_pass(&id, at, &by, &reason)?;
            let p = db.get_pass(&id)?.ok_or_else(|| Error::NotFound { what: "pass", id: id.clone() })?;
            let was_used = p.scanned_at.is_some();
            Ok((p, Event::PassVoid(PassVoid { id: id.into(), reason: reason.as_str().into(), was_used })))
        })?;
        Ok(p)
    }

    /// An admin undoes a mistaken admission: the pass is unused again.
    pub fn unscan_pass(&mut self, actor: &Actor, id_or_prefix: &str, reason: &str) -> Result<Pass> {
        require_admin(actor, "undo an admission")?;
        let reason = required_reason(reason)?;
        let (p, _) = self.record(&actor.username, |db, _| {
            let id = db.resolve_pass_id(id_or_prefix)?;
            let p = db.get_pass(&id)?.ok_or_else(|| Error::NotFound { what: "pass", id: id.clone() })?;
            let Some(scanned_at) = p.scanned_at.clone() else {
                return Err(Error::Conflict(format!("pass {id} has not been admitted")));
            };
            db.clear_pass_scan(&id)?;
            let now = db.get_pass(&id)?.ok_or_else(|| Error::NotFound { what: "pass", id: id.clone() })?;
            let undone = PassUnscan {
                id: id.into(),
                reason: reason.as_str().into(),
                scanned_at: scanned_at.into(),
                scanned_by: p.scanned_by.map(Into::into),
                gate: p.gate.map(Into::into),
            };
            Ok((now, Event::PassUnscan(undone)))
        })?;
        Ok(p)
    }
}

/// A holder with a live pass of the same type and slot already, or twice
/// in this batch: the first such pass in order fails the batch, as one at
/// a time would, naming the pass the holder has.
fn refuse_duplicates(db: &dyn crate::store::Db, items: &[pass::ValidPass], ids: &[String]) -> Result<()> {
    let keys: Vec<pass::HolderKey> = items.iter().map(pass::ValidPass::holder_key).collect();
    let mut seen = std::collections::HashMap::with_capacity(items.len());
    for (((key, existing), id), v) in keys.iter().zip(db.find_duplicate_passes(&keys)?).zip(ids).zip(items) {
        let Some(existing_id) = existing.or_else(|| seen.get(key).map(|s: &&String| s.to_string())) else {
            seen.insert(*key, id);
            continue;
        };
        let held = match db.get_pass(&existing_id)? {
            Some(p) => held(&p),
            None => format!("{} holds a {} pass for {} in this batch already", v.holder_name, v.pass_type, v.slot),
        };
        return Err(Error::DuplicatePass { existing_id, held });
    }
    Ok(())
}

/// Which pass a holder has, in words: "Asha Rao already holds a SINGLE
/// pass for 7:00 PM - 11:00 PM (issued 2026-11-21 18:30, used)".
pub fn held(p: &Pass) -> String {
    let issued: String = p.created_at.chars().take(16).collect::<String>().replace('T', " ");
    format!("{} already holds a {} pass for {} (issued {issued}, {})", p.holder_name, p.pass_type, p.slot, p.status().as_str())
}

pub(super) fn required_reason(reason: &str) -> Result<String> {
    let mut e = crate::domain::validate::ValidationErrors::default();
    let r = crate::domain::validate::optional_text(&mut e, "reason", reason, 200);
    if r.is_empty() {
        e.add("reason", "is required");
    }
    e.into_result(r).map_err(Error::from)
}
