//! The server's side of an offline gate's sync (docs/offline.md): upload a
//! local chain's blocks exactly once, apply their effects, write conflicts,
//! and list and acknowledge them. These run on the central `Gatehouse`.

use serde::Serialize;
use serde_json::Value;

use super::{Gatehouse, append};
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::events::{
    Conflict, ConflictAck, ConflictKind, Event, LocalBlock, OfflineEvent, OfflineScan, OfflineSeen, OfflineSync, Scan, ScanKind, Upload,
};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{GENESIS, Problem, StoredBlock, seal_problem, to_hex};
use crate::domain::offline::{self, Admission, CONFLICT, CONFLICT_ACK};
use crate::domain::pass::Pass;
use crate::domain::resident::Presence;
use crate::domain::rules::{Entry, EntryState, RuleSet};
use crate::domain::scan::Verdict;
use crate::domain::user::Actor;
use crate::domain::validate;
use crate::error::{Error, Result};
use crate::store::{Db, FirstAdmission, OutboxItem, ScanRow};

/// What one upload transaction did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    /// Scans (and other local blocks) appended to the central ledger.
    pub uploaded: u64,
    /// Already there: by nonce, or at or below the chain's mark.
    pub skipped: u64,
    pub conflicts: u64,
    /// Blocks refused (each also a `refused` conflict): kept out, not retried.
    pub refused: u64,
    /// The local chain's last index the server now holds.
    pub high_water: Option<u64>,
}

/// How the local chain's head travels with an upload.
#[derive(Debug, Clone)]
pub struct ChainHead {
    pub chain: String,
    pub index: u64,
    pub hash: String,
    /// The event the gate's replica belongs to (`Gatehouse::event_id`),
    /// when it knows it: an upload into another event is refused.
    pub event: Option<String>,
}

impl Gatehouse {
    /// Upload `items` (local blocks in chain order) in one transaction.
    /// Blocks the server holds already (the chain's mark, or a scan's
    /// nonce) are skipped, so a repeated upload adds nothing. Each scan is
    /// rebuilt from its signed block, not from the replica's row; a block
    /// that does not prove itself is refused and reported as a `refused`
    /// conflict, and the blocks behind it go on.
    pub fn upload_offline(&mut self, head: &ChainHead, items: &[OutboxItem], skew_secs: Option<f64>) -> Result<UploadReport> {
        self.upload_in(head, items, skew_secs, None)
    }

    /// Record `items` as refused for `why` (the server failed on them
    /// alone), with no effect: reported, and the chain's mark moves on.
    pub fn refuse_offline(&mut self, head: &ChainHead, items: &[OutboxItem], skew_secs: Option<f64>, why: &str) -> Result<UploadReport> {
        self.upload_in(head, items, skew_secs, Some(why))
    }

    fn upload_in(&mut self, head: &ChainHead, items: &[OutboxItem], skew_secs: Option<f64>, refuse: Option<&str>) -> Result<UploadReport> {
        let here = self.event_id()?;
        if let Some(theirs) = &head.event
            && here.as_ref() != Some(theirs)
        {
            return Err(Error::Sync(foreign_event(theirs, here.as_deref())));
        }
        let now = stamp(self.clock.now());
        let (passes, residents) = subjects(items);
        // A revoked gate is told so, and nothing of its upload is taken.
        let gates = self.store.read(|db| db.gates())?;
        if let Some(why) = self.revoked_here(&gates) {
            return Err(Error::Forbidden(why));
        }
        let cfg = &self.cfg;
        let mut ring = self.keys.clone();
        self.store.write(|db| {
            // Each block proves itself against the gates as they are now:
            // an enrolled gate's key, for the gate its block names, not revoked.
            ring.set_gates(super::gates::device_publics(&db.gates()?));
            let keys = &ring;
            let rules = super::rules::rules_in(cfg, db)?.rules;
            // Rows, then the ledger; only then is the chain's mark read and
            // each nonce looked up, so a scan committed meanwhile is seen.
            db.lock_for_upload(&passes, &residents)?;
            let last = db.last_offline_sync(&head.chain)?;
            let mut chain = ChainState::after(last.as_ref());
            let mut r = UploadReport { high_water: chain.mark, ..Default::default() };
            let users = std::cell::RefCell::new(std::collections::HashSet::new());
            let (mut first, mut last_hash) = (None, None);
            for item in items {
                let b = &item.block;
                if chain.mark.is_some_and(|m| b.index <= m) {
                    r.skipped += 1;
                    continue;
                }
                first.get_or_insert(b.index);
                let up = Up { db, keys, now: &now, chain: head.chain.as_str(), users: &users, rules: &rules };
                let why = match refuse {
                    Some(why) => Some(why.to_string()),
                    None => chain.refusal(db, b)?,
                };
                let done = match why {
                    Some(why) => up.refuse(item, &why)?,
                    None => up.one(item)?,
                };
                match done {
                    Done::Uploaded { conflict } => {
                        r.uploaded += 1;
                        r.conflicts += u64::from(conflict);
                    }
                    Done::Seen { conflict } => {
                        r.skipped += 1;
                        r.conflicts += u64::from(conflict);
                    }
                    Done::Refused => {
                        r.refused += 1;
                        r.conflicts += 1;
                    }
                }
                chain.mark = Some(b.index);
                chain.prev = Some(b.hash.clone());
                last_hash = Some(b.hash.clone());
            }
            if let (Some(from), Some(to)) = (first, chain.mark) {
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
                    local_to_hash: last_hash.map(Into::into),
                    refused: chain.refused.as_deref().map(Into::into),
                };
                let gate = items.first().map_or(String::new(), |i| shown(&i.block.gate, "gate"));
                append(db, keys, &now, "sync", &gate, &Event::OfflineSync(sync))?;
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

/// Why a gate of event `gate` may not upload into event `server`.
pub fn foreign_event(gate: &str, server: Option<&str>) -> String {
    let short = |e: &str| e.chars().take(12).collect::<String>();
    match server {
        Some(s) => format!(
            "this gate's replica belongs to event {}, but the server holds event {}: nothing uploaded (a new event at the old address?)",
            short(gate),
            short(s)
        ),
        None => format!("this gate's replica belongs to event {}, but the server holds no event yet: nothing uploaded", short(gate)),
    }
}

/// Where a chain stands on the server before this upload.
struct ChainState {
    /// The last local index uploaded.
    mark: Option<u64>,
    /// That block's hash, when the server knows it: the next must link to it.
    prev: Option<String>,
    /// Why the whole chain is refused, once found to replay another.
    refused: Option<String>,
}

impl ChainState {
    fn after(last: Option<&StoredBlock>) -> ChainState {
        let sync = last.and_then(|b| match Event::parse(&b.event, &b.data) {
            Ok(Event::OfflineSync(s)) => Some(s),
            _ => None,
        });
        let Some(s) = sync else { return ChainState { mark: None, prev: None, refused: None } };
        let prev = s.local_to_hash.as_deref().map(str::to_string);
        let prev = prev.or_else(|| (s.local_to == s.local_head_index).then(|| s.local_head_hash.to_string()));
        ChainState { mark: Some(s.local_to), prev, refused: s.refused.map(|r| r.into_owned()) }
    }

    /// Why block `b` cannot continue this chain, if it cannot: a chain
    /// begins at local block 0 from the genesis hash and is not another
    /// chain's outbox replayed; each block links to the one before.
    fn refusal(&mut self, db: &dyn Db, b: &StoredBlock) -> Result<Option<String>> {
        if let Some(why) = &self.refused {
            return Ok(Some(why.clone()));
        }
        // A chain that does not hold together is refused from there on:
        // an honest gate's never breaks (it verifies before each push).
        let Some(mark) = self.mark else {
            if b.index != 0 || b.prev_hash != to_hex(&GENESIS) {
                let why = format!("a new chain must begin at local block 0, not {}", b.index);
                self.refused = Some(why.clone());
                return Ok(Some(why));
            }
            if let Some(at) = db.offline_upload_of(&b.hash)? {
                let why = format!("replays another gate's chain (its first block was uploaded as central block {at})");
                self.refused = Some(why.clone());
                return Ok(Some(why));
            }
            return Ok(None);
        };
        if b.index != mark + 1 || self.prev.as_ref().is_some_and(|p| *p != b.prev_hash) {
            let why = format!("local block {} does not follow local block {mark}", b.index);
            self.refused = Some(why.clone());
            return Ok(Some(why));
        }
        Ok(None)
    }
}

/// The pass and resident ids the items' signed blocks name (not their
/// rows), sorted: the rows an upload locks.
fn subjects(items: &[OutboxItem]) -> (Vec<String>, Vec<String>) {
    let (mut passes, mut residents) = (Vec::new(), Vec::new());
    for i in items {
        if let Ok(Event::Scan(s)) = Event::parse(&i.block.event, &i.block.data)
            && let Some(id) = &s.id
        {
            match s.kind {
                Some(ScanKind::Pass) => passes.push(id.to_string()),
                Some(ScanKind::Resident) => residents.push(id.to_string()),
                None => {}
            }
        }
    }
    for v in [&mut passes, &mut residents] {
        v.sort();
        v.dedup();
    }
    (passes, residents)
}

/// A gate or operator name as received, or a placeholder when it would
/// carry hidden characters (escapes, direction marks) into central rows.
fn shown(raw: &str, what: &'static str) -> String {
    let mut errs = validate::ValidationErrors::default();
    let v = validate::label(&mut errs, what, raw, 64);
    if errs.is_empty() && v == raw { v } else { format!("(unreadable {what})") }
}

/// What became of one uploaded block.
enum Done {
    Uploaded {
        conflict: bool,
    },
    /// Recorded already under its nonce (an online attempt).
    Seen {
        conflict: bool,
    },
    Refused,
}

/// One block's upload, inside the upload's transaction.
struct Up<'a> {
    db: &'a dyn Db,
    keys: &'a KeyRing,
    now: &'a str,
    chain: &'a str,
    /// Operators found among the central users in this upload: one lookup each.
    users: &'a std::cell::RefCell<std::collections::HashSet<String>>,
    /// The event's entry rules, as the server holds them.
    rules: &'a RuleSet,
}

impl Up<'_> {
    fn upload<'b>(&self, b: &'b StoredBlock, nonce: Option<&'b str>) -> Upload<'b> {
        Upload { offline: true, chain: self.chain.to_string().into(), local: LocalBlock::of(b), nonce: nonce.map(Into::into) }
    }

    /// Refuse the block: kept in the central ledger as a local block with
    /// no effect (so its chain still reads whole), plus a `refused` conflict.
    fn refuse(&self, item: &OutboxItem, why: &str) -> Result<Done> {
        let b = &item.block;
        let why: String = why.chars().filter(|c| !crate::domain::text::is_hidden(*c)).take(300).collect();
        tracing::warn!(local = b.index, chain = %self.chain, %why, "offline upload refused");
        let (op, gate) = (shown(&b.operator, "operator"), shown(&b.gate, "gate"));
        let event = Event::OfflineEvent(OfflineEvent { local_data: serde_json::Map::new(), upload: self.upload(b, None) });
        let block = append(self.db, self.keys, &b.ts, &op, &gate, &event)?;
        let pass = match Event::parse(&b.event, &b.data) {
            Ok(Event::Scan(s)) => s.id.as_deref().map(|id| shown(id, "pass")).unwrap_or_default(),
            _ => String::new(),
        };
        let c = Conflict {
            kind: ConflictKind::Refused,
            pass: pass.into(),
            persons: 0,
            first: Admission { at: self.now.to_string(), operator: "sync".into(), gate: String::new() },
            second: Admission { at: b.ts.clone(), operator: op.clone(), gate: gate.clone() },
            offline_block: block,
            reason: Some(why.into()),
            first_offline: false,
            held_offline: false,
        };
        append(self.db, self.keys, self.now, &op, &gate, &Event::Conflict(c))?;
        Ok(Done::Refused)
    }

    /// Upload one block that follows its chain.
    fn one(&self, item: &OutboxItem) -> Result<Done> {
        let (db, keys, now) = (self.db, self.keys, self.now);
        let b = &item.block;
        match seal_problem(keys, &b.as_ref()) {
            None => {}
            Some(p @ (Problem::RevokedSigner { .. } | Problem::WrongSigner { .. })) => return self.refuse(item, &p.to_string()),
            Some(_) => {
                return self.refuse(item, "its block is not signed with this event's key (another event's gate, or an edited block)");
            }
        }
        let scan = match Event::parse(&b.event, &b.data) {
            Ok(Event::Scan(scan)) => scan,
            Ok(_) => {
                // A local block that is not a scan (a sign-in lockout):
                // kept for the chain, with no effect here.
                let local_data = match serde_json::from_str(&b.data) {
                    Ok(Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                let event = Event::OfflineEvent(OfflineEvent { local_data, upload: self.upload(b, None) });
                append(db, keys, &b.ts, &b.operator, &b.gate, &event)?;
                return Ok(Done::Uploaded { conflict: false });
            }
            Err(e) => return self.refuse(item, &format!("its block does not read: {e}")),
        };
        let s = match rebuild(db, &mut self.users.borrow_mut(), b, &scan, item.scan.as_ref())? {
            Ok(s) => s,
            Err(why) => return self.refuse(item, &why),
        };
        let upload = self.upload(b, s.nonce.as_deref());
        if let Some(n) = &s.nonce
            && let Some(central) = db.scan_by_nonce(n)?
        {
            if central.subject != s.subject {
                return self.refuse(item, &format!("nonce {n} names another code centrally"));
            }
            let replayed = db.ledger_blocks(central.block, 1)?.into_iter().next().is_some_and(|c| c.event == OFFLINE_SCAN);
            if replayed {
                return self.refuse(item, &format!("replays a scan uploaded already (central block {})", central.block));
            }
            // Already recorded (an online attempt that committed after
            // its budget ran out): done, not again. The server may have
            // answered otherwise (it admitted someone seen before).
            let clash = late_clash(db, &s, &central, &scan)?;
            let seen = Event::OfflineSeen(OfflineSeen { scan, upload, online_block: central.block });
            append(db, keys, &s.at, &s.operator, &s.gate, &seen)?;
            let found = clash.is_some();
            if let Some(c) = clash {
                conflict(db, keys, now, &s, c, central.block)?;
            }
            return Ok(Done::Seen { conflict: found });
        }
        let effect = apply(db, &s, &scan, self.rules)?;
        if effect.unknown {
            // Nothing was written: the claim found no row to change.
            let id = s.subject.as_deref().unwrap_or_default();
            return self.refuse(item, &format!("{id} is not a pass or resident of this event"));
        }
        let admitted = effect.applied && s.verdict == Verdict::Admitted && scan.kind == Some(ScanKind::Pass);
        let clash = match effect.clash {
            Some(c) => Some(c),
            None if admitted => over_capacity(db, self.rules, &s, s.persons)?,
            None => None,
        };
        let conflict_found = clash.is_some();
        let event = Event::OfflineScan(OfflineScan { scan, upload, applied: effect.applied, conflict: conflict_found });
        let block = append(db, keys, &s.at, &s.operator, &s.gate, &event)?;
        let persons = if effect.applied { s.persons } else { 0 };
        db.record_scan(&ScanRow { block, persons, ..s.clone() })?;
        if let Some(c) = clash {
            conflict(db, keys, now, &s, c, block)?;
        }
        Ok(Done::Uploaded { conflict: conflict_found })
    }
}

/// The name `offline_scan` blocks carry (`events::same_bytes` pins it).
const OFFLINE_SCAN: &str = "offline_scan";

/// The scans row an offline scan must write, rebuilt from its signed block:
/// the replica's row is only a witness, and must agree with it. Its text
/// (nonce, reason, gate, operator) is checked as input is, and the operator
/// must be a user here (a pass or resident it admits must exist: `apply`).
fn rebuild(
    db: &dyn Db,
    users: &mut std::collections::HashSet<String>,
    b: &StoredBlock,
    scan: &Scan,
    row: Option<&ScanRow>,
) -> Result<std::result::Result<ScanRow, String>> {
    let Some(row) = row else { return Ok(Err("the replica holds no scans row for this scan block".into())) };
    let admitted = scan.verdict == Verdict::Admitted && scan.kind == Some(ScanKind::Pass);
    let want = ScanRow {
        at: b.ts.clone(),
        operator: b.operator.clone(),
        gate: b.gate.clone(),
        verdict: scan.verdict,
        subject: if scan.kind.is_some() { scan.id.as_deref().map(str::to_string) } else { None },
        persons: if admitted { scan.persons.unwrap_or(0) } else { 0 },
        repeated: scan.repeated.unwrap_or(false),
        block: row.block,
        reason: row.reason.clone(),
        nonce: row.nonce.clone(),
    };
    if want != *row {
        return Ok(Err("the replica's scans row does not match its signed block (edited)".into()));
    }
    let mut errs = validate::ValidationErrors::default();
    validate::label(&mut errs, "gate", &want.gate, 64);
    validate::optional_text(&mut errs, "reason", &want.reason, 500);
    if let Some(n) = &want.nonce {
        validate::nonce(&mut errs, n);
    }
    if !errs.is_empty() {
        return Ok(Err(errs.to_string()));
    }
    if !users.contains(&want.operator) && db.get_user(&want.operator)?.is_none() {
        return Ok(Err(format!("operator {:?} is not a user of this event", shown(&want.operator, "operator"))));
    }
    users.insert(want.operator.clone());
    Ok(Ok(want))
}

/// What an uploaded scan clashed with: the admission the server held (for
/// `voided`: the void), the pass's people, whether the offline one came
/// first in time, and why in words when the kind does not say it all.
struct Clash {
    kind: ConflictKind,
    other: Admission,
    persons: u32,
    first_offline: bool,
    /// `other` was itself an offline upload (two gates offline at once).
    other_offline: bool,
    reason: Option<String>,
}

impl Clash {
    fn of(kind: ConflictKind, other: Admission, persons: u32) -> Clash {
        Clash { kind, other, persons, first_offline: false, other_offline: false, reason: None }
    }
}

/// Whether the server's admission of `id` at `at` came in an upload (its
/// scan row's block is an `offline_scan`) rather than from a gate online.
fn uploaded(db: &dyn Db, id: &str, at: &str) -> Result<bool> {
    Ok(db.scan_event_at(id, at)?.as_deref() == Some(OFFLINE_SCAN))
}

/// Write a `conflict` block: the pass, the first admission, the offline one.
fn conflict(db: &dyn Db, keys: &KeyRing, now: &str, s: &ScanRow, c: Clash, block: u64) -> Result<()> {
    let offline = Admission { at: s.at.clone(), operator: s.operator.clone(), gate: s.gate.clone() };
    let pass = s.subject.as_deref().unwrap_or_default();
    // First and second by time: the offline one first when it came first.
    let (first, second) = if c.first_offline { (offline, c.other) } else { (c.other, offline) };
    tracing::warn!(pass = %pass, kind = c.kind.as_str(), first_gate = %first.gate, second_gate = %second.gate, "conflict found at upload");
    let (first_offline, held_offline) = (c.first_offline, c.other_offline);
    let reason = c.reason.map(Into::into);
    let c = Conflict {
        kind: c.kind,
        pass: pass.into(),
        persons: c.persons,
        first,
        second,
        offline_block: block,
        first_offline,
        held_offline,
        reason,
    };
    append(db, keys, now, &s.operator, &s.gate, &Event::Conflict(c))?;
    Ok(())
}

/// An offline admission applied here that leaves the venue, or the zone
/// of its gate, past its capacity: the clash to report (the person is in;
/// the count says so and the admins are told).
fn over_capacity(db: &dyn Db, rules: &RuleSet, s: &ScanRow, persons: u32) -> Result<Option<Clash>> {
    if !rules.capped_at(&s.gate) {
        return Ok(None);
    }
    let zone_gates: Vec<String> =
        rules.capped_zone(&s.gate).map(|z| z.gates.iter().map(|g| g.trim().to_lowercase()).collect()).unwrap_or_default();
    let (venue, zone) = db.inside_counts(&zone_gates)?;
    // Counted after this entry: past the cap is more than it, not equal.
    let Err(why) = rules.capacity_check(&s.gate, 0, venue, zone) else { return Ok(None) };
    let offline = Admission { at: s.at.clone(), operator: s.operator.clone(), gate: s.gate.clone() };
    let reason = format!("admitted offline past capacity ({})", why.trim_start_matches("at capacity: "));
    Ok(Some(Clash { reason: Some(reason), first_offline: true, ..Clash::of(ConflictKind::OverCapacity, offline, persons) }))
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
fn late_clash(db: &dyn Db, s: &ScanRow, central: &ScanRow, scan: &Scan) -> Result<Option<Clash>> {
    let is_pass = scan.kind == Some(ScanKind::Pass);
    if !is_pass || s.verdict != Verdict::Admitted || central.verdict == Verdict::Admitted {
        return Ok(None);
    }
    let Some(p) = db.get_pass(s.subject.as_deref().unwrap_or_default())? else { return Ok(None) };
    Ok(match (&p.scanned_at, &p.voided_at) {
        (Some(at), _) => Some(Clash::of(
            ConflictKind::DoubleAdmission,
            Admission { at: at.clone(), operator: p.scanned_by.clone().unwrap_or_default(), gate: p.gate.clone().unwrap_or_default() },
            p.persons,
        )),
        (None, Some(at)) => Some(Clash::of(
            ConflictKind::Voided,
            Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() },
            p.persons,
        )),
        (None, None) => None,
    })
}

struct Effect {
    applied: bool,
    /// It admits a pass, or toggles a resident, that the server never held.
    unknown: bool,
    clash: Option<Clash>,
}

/// Apply an offline scan's effect to the central tables (see the design
/// note): a first admission, a resident toggle newer than the server's, or
/// nothing; and say whether it clashed.
fn apply(db: &dyn Db, s: &ScanRow, scan: &Scan, rules: &RuleSet) -> Result<Effect> {
    let none = Effect { applied: false, unknown: false, clash: None };
    let unknown = Effect { applied: false, unknown: true, clash: None };
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
            Ok(Effect { applied: db.move_pass(id, &p.entry_state(), &now, None)?.is_some(), unknown: false, clash: None })
        }
        (Some(ScanKind::Pass), Verdict::Admitted) => {
            let Some(p) = db.get_pass(id)? else { return Ok(unknown) };
            let rule = rules.type_rule(&p.pass_type);
            // Under a rule that reads the entry state (`daily`, `reentry`),
            // a first admission writes that state too: its day, who is in.
            let tracked = rule.is_some_and(|r| r.entry != Entry::Once);
            if tracked
                && p.scanned_at.is_none()
                && let Some(now) = admits_again(rules, &p, scan, s)
            {
                let first = FirstAdmission { at: &s.at, by: &s.operator, gate: &s.gate };
                if db.move_pass(id, &p.entry_state(), &now, Some(first))?.is_some() {
                    return Ok(Effect { applied: true, unknown: false, clash: None });
                }
            }
            if db.mark_pass_scanned(id, &s.at, &s.operator, &s.gate)?.is_some() {
                return Ok(Effect { applied: true, unknown: false, clash: None });
            }
            let Some(p) = db.get_pass(id)? else { return Ok(unknown) };
            // Under a rule that admits again, an offline entry that fits the
            // pass as it stands here is applied as a scan here would be:
            // after an exit (reentry), or on another day (daily).
            if let Some(now) = admits_again(rules, &p, scan, s) {
                let first = None;
                if db.move_pass(id, &p.entry_state(), &now, first)?.is_some() {
                    return Ok(Effect { applied: true, unknown: false, clash: None });
                }
            }
            let earlier = |at: &str| parse_stamp(&s.at).zip(parse_stamp(at)).is_some_and(|(this, held)| this < held);
            // A second entry under `daily` (the same day) or `reentry` (no
            // exit between): the pass stands as it is, and the clash names
            // the entry the server holds, the two in the order they happened.
            if let (Some(r), Some(_), None) = (rule.filter(|_| tracked), &p.scanned_at, &p.voided_at) {
                let st = p.entry_state();
                let held = Admission {
                    at: st.last_in_at.clone().unwrap_or_default(),
                    // Who let in a later entry is in its scan, not on the pass.
                    operator: if p.last_in_at.is_none() { p.scanned_by.clone().unwrap_or_default() } else { String::new() },
                    gate: st.last_in_gate.clone().unwrap_or_default(),
                };
                let reason = match r.entry {
                    Entry::Daily => {
                        format!("a daily pass entered twice on {}", scan.day.as_deref().or(p.entry_day.as_deref()).unwrap_or("one day"))
                    }
                    _ => "a re-entry pass entered twice with no exit between".to_string(),
                };
                let (first_offline, other_offline) = (earlier(&held.at), uploaded(db, id, &held.at)?);
                let clash = Clash {
                    first_offline,
                    other_offline,
                    reason: Some(reason),
                    ..Clash::of(ConflictKind::DoubleAdmission, held, p.persons)
                };
                return Ok(Effect { applied: false, unknown: false, clash: Some(clash) });
            }
            // Admitted here earlier than the admission the server holds: the
            // pass is credited to the first admission by time, this one.
            if let (Some(at), None) = (&p.scanned_at, &p.voided_at)
                && earlier(at)
            {
                let later = Admission {
                    at: at.clone(),
                    operator: p.scanned_by.clone().unwrap_or_default(),
                    gate: p.gate.clone().unwrap_or_default(),
                };
                let other_offline = uploaded(db, id, at)?;
                db.clear_pass_scan(id)?;
                db.mark_pass_scanned(id, &s.at, &s.operator, &s.gate)?;
                let clash = Clash { first_offline: true, other_offline, ..Clash::of(ConflictKind::DoubleAdmission, later, p.persons) };
                return Ok(Effect { applied: true, unknown: false, clash: Some(clash) });
            }
            let clash = match (&p.scanned_at, &p.voided_at) {
                (Some(at), _) => Clash {
                    other_offline: uploaded(db, id, at)?,
                    ..Clash::of(
                        ConflictKind::DoubleAdmission,
                        Admission {
                            at: at.clone(),
                            operator: p.scanned_by.clone().unwrap_or_default(),
                            gate: p.gate.clone().unwrap_or_default(),
                        },
                        p.persons,
                    )
                },
                (None, Some(at)) => Clash::of(
                    ConflictKind::Voided,
                    Admission { at: at.clone(), operator: p.voided_by.clone().unwrap_or_default(), gate: String::new() },
                    p.persons,
                ),
                (None, None) => return Ok(none),
            };
            Ok(Effect { applied: false, unknown: false, clash: Some(clash) })
        }
        (Some(ScanKind::Resident), Verdict::ResidentIn | Verdict::ResidentOut) if !s.repeated => {
            let Some(r) = db.get_resident(id)? else { return Ok(unknown) };
            if !offline::resident_toggle_applies(r.last_scan_at.as_deref(), &s.at) {
                return Ok(none);
            }
            let status = if s.verdict == Verdict::ResidentIn { Presence::In } else { Presence::Out };
            db.set_resident_status(id, status, &s.at)?;
            Ok(Effect { applied: true, unknown: false, clash: None })
        }
        _ => Ok(none),
    }
}
