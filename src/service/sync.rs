//! The server's side of an offline gate's sync (docs/offline.md): upload a
//! local chain's blocks exactly once, apply their effects, write conflicts,
//! and list and acknowledge them. These run on the central `Gatehouse`.

use serde::Serialize;
use serde_json::{Value, json};

use super::Gatehouse;
use crate::domain::clock::stamp;
use crate::domain::offline::{self, Admission, CONFLICT, CONFLICT_ACK, Conflict, OFFLINE_SCAN, OFFLINE_SYNC};
use crate::domain::resident::Presence;
use crate::domain::scan::Verdict;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{Db, NewBlock, OutboxItem, ScanRow};

/// What one upload transaction did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    /// Scans (and other local blocks) appended to the central ledger.
    pub uploaded: u64,
    /// Already there: by nonce, or at or below the chain's mark.
    pub skipped: u64,
    pub conflicts: u64,
    /// The local chain's last index the server now holds.
    pub high_water: Option<u64>,
}

/// How the local chain's head travels with an upload.
#[derive(Debug, Clone)]
pub struct ChainHead {
    pub chain: String,
    pub index: u64,
    pub hash: String,
}

impl Gatehouse {
    /// Upload `items` (local blocks in chain order) in one transaction.
    /// Blocks the server holds already (the chain's mark, or a scan's
    /// nonce) are skipped, so a repeated upload adds nothing.
    pub fn upload_offline(&mut self, head: &ChainHead, items: &[OutboxItem], skew_secs: Option<f64>) -> Result<UploadReport> {
        let now = stamp(self.clock.now());
        let keys = &self.keys;
        self.store.write(|db| {
            let mark = db.last_offline_sync(&head.chain)?.and_then(|b| local_to(&b.data));
            let mut r = UploadReport { high_water: mark, ..Default::default() };
            let (mut first, mut last) = (None, None);
            for item in items {
                let b = &item.block;
                if mark.is_some_and(|m| b.index <= m) {
                    r.skipped += 1;
                    continue;
                }
                first.get_or_insert(b.index);
                last = Some(b.index);
                let mut data: serde_json::Map<String, Value> = match serde_json::from_str(&b.data) {
                    Ok(Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                data.insert("offline".into(), json!(true));
                data.insert("chain".into(), json!(head.chain));
                // Enough of the local block to recompute its hash (the
                // audit follows each chain: nothing dropped or altered).
                data.insert(
                    "local".into(),
                    json!({"index": b.index, "hash": b.hash, "prev_hash": b.prev_hash, "event": b.event, "data": b.data, "key_id": b.key_id}),
                );
                let Some(s) = &item.scan else {
                    // A local block that is not a scan (a sign-in lockout):
                    // kept for the chain, with no effect here.
                    let nb =
                        NewBlock { ts: &b.ts, operator: &b.operator, gate: &b.gate, event: "offline_event", data: &Value::Object(data) };
                    db.append_block(keys, &nb)?;
                    r.uploaded += 1;
                    continue;
                };
                if let Some(n) = &s.nonce {
                    data.insert("nonce".into(), json!(n));
                    // Already recorded (an online attempt that committed
                    // after its budget ran out): done, not again.
                    if let Some(central) = db.scan_by_nonce(n)? {
                        r.skipped += 1;
                        // Kept in the chain, with no effect and no scans row.
                        data.insert("online_block".into(), json!(central.block));
                        let nb = NewBlock { ts: &s.at, operator: &s.operator, gate: &s.gate, event: "offline_seen", data: &Value::Object(data.clone()) };
                        db.append_block(keys, &nb)?;
                        // The server answered otherwise than the gate did
                        // (it admitted someone the server had seen before).
                        if let Some((kind, first_use, persons)) = late_clash(db, s, &central, &data)? {
                            conflict(db, keys, &now, s, kind, &first_use, persons, central.block)?;
                            r.conflicts += 1;
                        }
                        continue;
                    }
                }
                let effect = apply(db, s, &data)?;
                data.insert("applied".into(), json!(effect.applied));
                if effect.clash.is_some() {
                    data.insert("conflict".into(), json!(true));
                }
                let nb = NewBlock { ts: &s.at, operator: &s.operator, gate: &s.gate, event: OFFLINE_SCAN, data: &Value::Object(data) };
                let block = db.append_block(keys, &nb)?;
                let persons = if effect.applied { s.persons } else { 0 };
                db.record_scan(&ScanRow { block, persons, ..s.clone() })?;
                r.uploaded += 1;
                if let Some((kind, first_use, persons)) = effect.clash {
                    conflict(db, keys, &now, s, kind, &first_use, persons, block)?;
                    r.conflicts += 1;
                }
            }
            if let (Some(from), Some(to)) = (first, last) {
                let d = json!({
                    "chain": head.chain,
                    "local_from": from,
                    "local_to": to,
                    "local_head_index": head.index,
                    "local_head_hash": head.hash,
                    "uploaded": r.uploaded,
                    "skipped": r.skipped,
                    "conflicts": r.conflicts,
                    "clock_skew_secs": skew_secs,
                });
                let gate = items.first().map_or("", |i| i.block.gate.as_str());
                db.append_block(keys, &NewBlock { ts: &now, operator: "sync", gate, event: OFFLINE_SYNC, data: &d })?;
                r.high_water = Some(to);
            }
            Ok(r)
        })
    }

    /// Every conflict the ledger records, open or acknowledged.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>> {
        let blocks = self.store.read(|db| db.blocks_of_events(&[CONFLICT, CONFLICT_ACK]))?;
        Ok(offline::conflicts_from(&blocks))
    }

    /// Acknowledge conflict block `block`: a `conflict_ack` block.
    pub fn acknowledge_conflict(&mut self, actor: &Actor, block: u64) -> Result<Conflict> {
        let list = self.conflicts()?;
        let Some(c) = list.into_iter().find(|c| c.block == block) else {
            return Err(Error::NotFound { what: "conflict", id: block.to_string() });
        };
        if c.acknowledged {
            return Err(Error::Conflict(format!("conflict {block} is acknowledged already")));
        }
        self.record(&actor.username, CONFLICT_ACK, |_, _| Ok(((), json!({"conflict": block, "pass": c.pass}))))?;
        Ok(Conflict { acknowledged: true, acknowledged_by: Some(actor.username.clone()), ..c })
    }
}

/// Write a `conflict` block: the pass, the first admission, the offline one.
#[allow(clippy::too_many_arguments)]
fn conflict(
    db: &dyn Db,
    keys: &crate::domain::keys::KeyRing,
    now: &str,
    s: &ScanRow,
    kind: &str,
    first: &Admission,
    persons: u32,
    block: u64,
) -> Result<()> {
    let second = Admission { at: s.at.clone(), operator: s.operator.clone(), gate: s.gate.clone() };
    let pass = s.subject.clone().unwrap_or_default();
    let data = json!({"kind": kind, "pass": pass, "persons": persons, "first": first, "second": second, "offline_block": block});
    db.append_block(keys, &NewBlock { ts: now, operator: &s.operator, gate: &s.gate, event: CONFLICT, data: &data })?;
    tracing::warn!(pass = %pass, first_gate = %first.gate, second_gate = %s.gate, "conflict: a pass admitted offline was admitted elsewhere first");
    Ok(())
}

/// A scan the gate decided offline as ADMITTED while its online attempt,
/// under the same nonce, reached the server late and was refused there.
fn late_clash(
    db: &dyn Db,
    s: &ScanRow,
    central: &ScanRow,
    data: &serde_json::Map<String, Value>,
) -> Result<Option<(&'static str, Admission, u32)>> {
    let is_pass = data.get("kind").and_then(Value::as_str) == Some("pass");
    if !is_pass || s.verdict != Verdict::Admitted || central.verdict == Verdict::Admitted {
        return Ok(None);
    }
    let Some(p) = db.get_pass(s.subject.as_deref().unwrap_or_default())? else { return Ok(None) };
    Ok(match (&p.scanned_at, &p.voided_at) {
        (Some(at), _) => Some((
            "double_admission",
            Admission { at: at.clone(), operator: p.scanned_by.clone().unwrap_or_default(), gate: p.gate.clone().unwrap_or_default() },
            p.persons,
        )),
        (None, Some(at)) => Some((
            "voided",
            Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() },
            p.persons,
        )),
        (None, None) => None,
    })
}

/// The `local_to` an `offline_sync` block's data names.
fn local_to(data: &str) -> Option<u64> {
    serde_json::from_str::<Value>(data).ok()?.get("local_to")?.as_u64()
}

struct Effect {
    applied: bool,
    /// kind, the first use, persons.
    clash: Option<(&'static str, Admission, u32)>,
}

/// Apply an offline scan's effect to the central tables (see the design
/// note): a first admission, a resident toggle newer than the server's, or
/// nothing; and say whether it clashed.
fn apply(db: &dyn Db, s: &ScanRow, data: &serde_json::Map<String, Value>) -> Result<Effect> {
    let none = Effect { applied: false, clash: None };
    let Some(id) = s.subject.as_deref() else { return Ok(none) };
    let kind = data.get("kind").and_then(Value::as_str);
    match (kind, s.verdict) {
        (Some("pass"), Verdict::Admitted) => {
            if db.mark_pass_scanned(id, &s.at, &s.operator, &s.gate)?.is_some() {
                return Ok(Effect { applied: true, clash: None });
            }
            let Some(p) = db.get_pass(id)? else { return Ok(none) };
            let clash = match (&p.scanned_at, &p.voided_at) {
                (Some(at), _) => (
                    "double_admission",
                    Admission {
                        at: at.clone(),
                        operator: p.scanned_by.clone().unwrap_or_default(),
                        gate: p.gate.clone().unwrap_or_default(),
                    },
                ),
                (None, Some(at)) => {
                    ("voided", Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() })
                }
                (None, None) => return Ok(none),
            };
            Ok(Effect { applied: false, clash: Some((clash.0, clash.1, p.persons)) })
        }
        (Some("resident"), Verdict::ResidentIn | Verdict::ResidentOut) if !s.repeated => {
            let Some(r) = db.get_resident(id)? else { return Ok(none) };
            if !offline::resident_toggle_applies(r.last_scan_at.as_deref(), &s.at) {
                return Ok(none);
            }
            let status = if s.verdict == Verdict::ResidentIn { Presence::In } else { Presence::Out };
            db.set_resident_status(id, status, &s.at)?;
            Ok(Effect { applied: true, clash: None })
        }
        _ => Ok(none),
    }
}
