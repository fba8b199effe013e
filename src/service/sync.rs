//! The server's side of an offline gate's sync (docs/offline.md): upload a
//! local chain's blocks exactly once, apply their effects, write conflicts,
//! and list and acknowledge them. These run on the central `Gatehouse`.

use serde::Serialize;
use serde_json::Value;

use super::{Gatehouse, append};
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::events::{
    Conflict, ConflictAck, ConflictKind, Event, EventError, LocalBlock, OfflineEvent, OfflineScan, OfflineSeen, OfflineSync, Scan,
    ScanKind, Upload,
};
use crate::domain::ledger::StoredBlock;
use crate::domain::offline::{self, Admission, CONFLICT, CONFLICT_ACK};
use crate::domain::pass::Pass;
use crate::domain::resident::Presence;
use crate::domain::rules::{Entry, EntryState, RuleSet};
use crate::domain::scan::Verdict;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{Db, OutboxItem, ScanRow};

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
        let cfg = &self.cfg;
        self.store.write(|db| {
            let rules = super::rules::rules_in(cfg, db)?.rules;
            let mark = db.last_offline_sync(&head.chain)?.and_then(|b| local_to(&b));
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
                let upload = Upload { offline: true, chain: head.chain.as_str().into(), local: LocalBlock::of(b), nonce: None };
                let Some(s) = &item.scan else {
                    // A local block that is not a scan (a sign-in lockout):
                    // kept for the chain, with no effect here.
                    let local_data = match serde_json::from_str(&b.data) {
                        Ok(Value::Object(m)) => m,
                        _ => serde_json::Map::new(),
                    };
                    let event = Event::OfflineEvent(OfflineEvent { local_data, upload });
                    append(db, keys, &b.ts, &b.operator, &b.gate, &event)?;
                    r.uploaded += 1;
                    continue;
                };
                // The gate wrote its scan through the same enum; a block that
                // does not read back as one is refused, not uploaded blind.
                let scan = match Event::parse(&b.event, &b.data)? {
                    Event::Scan(scan) => scan,
                    _ => return Err(EventError::Unknown(b.event.clone()).into()),
                };
                let upload = Upload { nonce: s.nonce.as_deref().map(Into::into), ..upload };
                if let Some(n) = &s.nonce {
                    // Already recorded (an online attempt that committed
                    // after its budget ran out): done, not again.
                    if let Some(central) = db.scan_by_nonce(n)? {
                        r.skipped += 1;
                        // The server answered otherwise than the gate did
                        // (it admitted someone the server had seen before).
                        let clash = late_clash(db, s, &central, &scan)?;
                        // Kept in the chain, with no effect and no scans row.
                        let seen = Event::OfflineSeen(OfflineSeen { scan, upload, online_block: central.block });
                        append(db, keys, &s.at, &s.operator, &s.gate, &seen)?;
                        if let Some((kind, first_use, persons)) = clash {
                            conflict(db, keys, &now, s, kind, first_use, persons, central.block, false)?;
                            r.conflicts += 1;
                        }
                        continue;
                    }
                }
                let effect = apply(db, s, &scan, &rules)?;
                let conflict_found = effect.clash.is_some();
                let event = Event::OfflineScan(OfflineScan { scan, upload, applied: effect.applied, conflict: conflict_found });
                let block = append(db, keys, &s.at, &s.operator, &s.gate, &event)?;
                let persons = if effect.applied { s.persons } else { 0 };
                db.record_scan(&ScanRow { block, persons, ..s.clone() })?;
                r.uploaded += 1;
                if let Some((kind, first_use, persons)) = effect.clash {
                    // Applied and clashing: this offline admission came first in time.
                    conflict(db, keys, &now, s, kind, first_use, persons, block, effect.applied)?;
                    r.conflicts += 1;
                }
            }
            if let (Some(from), Some(to)) = (first, last) {
                let sync = OfflineSync {
                    chain: head.chain.as_str().into(),
                    local_from: from,
                    local_to: to,
                    local_head_index: head.index,
                    local_head_hash: head.hash.as_str().into(),
                    uploaded: r.uploaded,
                    skipped: r.skipped,
                    conflicts: r.conflicts,
                    clock_skew_secs: skew_secs,
                };
                let gate = items.first().map_or("", |i| i.block.gate.as_str());
                append(db, keys, &now, "sync", gate, &Event::OfflineSync(sync))?;
                r.high_water = Some(to);
            }
            Ok(r)
        })
    }

    /// Every conflict the ledger records, open or acknowledged.
    pub fn conflicts(&mut self) -> Result<Vec<offline::Conflict>> {
        let blocks = self.store.read(|db| db.blocks_of_events(&[CONFLICT, CONFLICT_ACK]))?;
        Ok(offline::conflicts_from(&blocks))
    }

    /// Acknowledge conflict block `block`: a `conflict_ack` block.
    pub fn acknowledge_conflict(&mut self, actor: &Actor, block: u64) -> Result<offline::Conflict> {
        let list = self.conflicts()?;
        let Some(c) = list.into_iter().find(|c| c.block == block) else {
            return Err(Error::NotFound { what: "conflict", id: block.to_string() });
        };
        if c.acknowledged {
            return Err(Error::Conflict(format!("conflict {block} is acknowledged already")));
        }
        self.record(&actor.username, |_, _| Ok(((), Event::ConflictAck(ConflictAck { conflict: block, pass: c.pass.as_str().into() }))))?;
        Ok(offline::Conflict { acknowledged: true, acknowledged_by: Some(actor.username.clone()), ..c })
    }
}

/// Write a `conflict` block: the pass, the first admission, the offline one.
#[allow(clippy::too_many_arguments)]
fn conflict(
    db: &dyn Db,
    keys: &crate::domain::keys::KeyRing,
    now: &str,
    s: &ScanRow,
    kind: ConflictKind,
    other: Admission,
    persons: u32,
    block: u64,
    first_offline: bool,
) -> Result<()> {
    let offline = Admission { at: s.at.clone(), operator: s.operator.clone(), gate: s.gate.clone() };
    let pass = s.subject.as_deref().unwrap_or_default();
    // First and second by time: the offline one first when it took the admission over.
    let (first, second) = if first_offline { (offline, other) } else { (other, offline) };
    tracing::warn!(pass = %pass, first_gate = %first.gate, second_gate = %second.gate, "conflict: a pass admitted twice, offline");
    let c = Conflict { kind, pass: pass.into(), persons, first, second, offline_block: block, first_offline };
    append(db, keys, now, &s.operator, &s.gate, &Event::Conflict(c))?;
    Ok(())
}

/// The state an offline admission leaves the pass in, when its rule lets
/// it in again as the pass stands on the server; None when it clashes.
fn admits_again(rules: &RuleSet, p: &Pass, scan: &Scan, s: &ScanRow) -> Option<EntryState> {
    let rule = rules.type_rule(&p.pass_type)?;
    let n = scan.persons.unwrap_or(1);
    if p.voided_at.is_some() {
        return None;
    }
    let new_day = scan.day.as_deref().is_some_and(|d| p.entry_day.as_deref() != Some(d));
    let (entered, inside) = match rule.entry {
        Entry::Once => return None,
        Entry::Reentry if p.inside + n <= p.persons => (p.entered + n, p.inside + n),
        Entry::Daily if new_day => (n, n),
        Entry::Daily if p.entered + n <= p.persons => (p.entered + n, p.inside + n),
        _ => return None,
    };
    let entry_day = scan.day.as_deref().map(str::to_string).or_else(|| p.entry_day.clone());
    Some(EntryState { entered, inside, entry_day, last_in_at: Some(s.at.clone()), last_in_gate: Some(s.gate.clone()) })
}

/// A scan the gate decided offline as ADMITTED while its online attempt,
/// under the same nonce, reached the server late and was refused there.
fn late_clash(db: &dyn Db, s: &ScanRow, central: &ScanRow, scan: &Scan) -> Result<Option<(ConflictKind, Admission, u32)>> {
    let is_pass = scan.kind == Some(ScanKind::Pass);
    if !is_pass || s.verdict != Verdict::Admitted || central.verdict == Verdict::Admitted {
        return Ok(None);
    }
    let Some(p) = db.get_pass(s.subject.as_deref().unwrap_or_default())? else { return Ok(None) };
    Ok(match (&p.scanned_at, &p.voided_at) {
        (Some(at), _) => Some((
            ConflictKind::DoubleAdmission,
            Admission { at: at.clone(), operator: p.scanned_by.clone().unwrap_or_default(), gate: p.gate.clone().unwrap_or_default() },
            p.persons,
        )),
        (None, Some(at)) => Some((
            ConflictKind::Voided,
            Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() },
            p.persons,
        )),
        (None, None) => None,
    })
}

/// The `local_to` an `offline_sync` block names.
fn local_to(b: &StoredBlock) -> Option<u64> {
    match Event::parse(&b.event, &b.data) {
        Ok(Event::OfflineSync(sync)) => Some(sync.local_to),
        _ => None,
    }
}

struct Effect {
    applied: bool,
    /// kind, the first use, persons.
    clash: Option<(ConflictKind, Admission, u32)>,
}

/// Apply an offline scan's effect to the central tables (see the design
/// note): a first admission, a resident toggle newer than the server's, or
/// nothing; and say whether it clashed.
fn apply(db: &dyn Db, s: &ScanRow, scan: &Scan, rules: &RuleSet) -> Result<Effect> {
    let none = Effect { applied: false, clash: None };
    let Some(id) = s.subject.as_deref() else { return Ok(none) };
    match (scan.kind, s.verdict) {
        (Some(ScanKind::Pass), Verdict::Exited) => {
            // An exit applies while the people it lets out are inside here.
            let Some(p) = db.get_pass(id)? else { return Ok(none) };
            let n = scan.persons.unwrap_or(1);
            if p.inside < n {
                return Ok(none);
            }
            let now = EntryState { inside: p.inside - n, ..p.entry_state() };
            Ok(Effect { applied: db.move_pass(id, &p.entry_state(), &now, None)?.is_some(), clash: None })
        }
        (Some(ScanKind::Pass), Verdict::Admitted) => {
            if db.mark_pass_scanned(id, &s.at, &s.operator, &s.gate)?.is_some() {
                return Ok(Effect { applied: true, clash: None });
            }
            let Some(p) = db.get_pass(id)? else { return Ok(none) };
            // Under a rule that admits again, an offline entry that fits the
            // pass as it stands here is applied as a scan here would be:
            // after an exit (reentry), or on another day (daily).
            if let Some(now) = admits_again(rules, &p, scan, s) {
                let first = None;
                if db.move_pass(id, &p.entry_state(), &now, first)?.is_some() {
                    return Ok(Effect { applied: true, clash: None });
                }
            }
            // Admitted here earlier than the admission the server holds: the
            // pass is credited to the first admission by time, this one.
            let earlier = |at: &str| parse_stamp(&s.at).zip(parse_stamp(at)).is_some_and(|(this, held)| this < held);
            if let (Some(at), None) = (&p.scanned_at, &p.voided_at)
                && earlier(at)
            {
                let later = Admission {
                    at: at.clone(),
                    operator: p.scanned_by.clone().unwrap_or_default(),
                    gate: p.gate.clone().unwrap_or_default(),
                };
                db.clear_pass_scan(id)?;
                db.mark_pass_scanned(id, &s.at, &s.operator, &s.gate)?;
                return Ok(Effect { applied: true, clash: Some((ConflictKind::DoubleAdmission, later, p.persons)) });
            }
            let clash = match (&p.scanned_at, &p.voided_at) {
                (Some(at), _) => (
                    ConflictKind::DoubleAdmission,
                    Admission {
                        at: at.clone(),
                        operator: p.scanned_by.clone().unwrap_or_default(),
                        gate: p.gate.clone().unwrap_or_default(),
                    },
                ),
                (None, Some(at)) => (
                    ConflictKind::Voided,
                    Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() },
                ),
                (None, None) => return Ok(none),
            };
            Ok(Effect { applied: false, clash: Some((clash.0, clash.1, p.persons)) })
        }
        (Some(ScanKind::Resident), Verdict::ResidentIn | Verdict::ResidentOut) if !s.repeated => {
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
