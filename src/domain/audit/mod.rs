//! The audit. The chain proves that no block was edited; the audit proves
//! that no table was edited behind the blocks. It replays every block from
//! the first, rebuilds what the passes, residents, users and scans tables
//! must hold, and compares that with what they do hold.
//!
//! Personal fields (phones, a resident's contact details) are not kept in
//! blocks in clear: newer blocks carry a keyed fingerprint of them
//! (`fingerprint`). Blocks written before fingerprints existed leave those
//! fields unchecked, and the report says so per field instead of failing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::events::{Event, EventError, KeyRotate, OfflineSync, Scan, ScanKind};
use super::keys::KeyRing;
use super::ledger::{BlockFields, BlockRef, GENESIS, from_hex, to_hex};
use super::resident::{Presence, Resident};
use super::rules::Entry;
use super::scan::Verdict;
use super::user::User;

mod batch;
mod fingerprint;
mod passes;

pub use batch::Batch;
use fingerprint::Seed;
use passes::{ExpPass, PassKey, Passes};
pub use passes::{PassBlocks, PassFacts};

/// How many findings a report lists; the rest are counted.
const LISTED: usize = 1000;

/// One thing the tables hold that the ledger does not account for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// A field differs from what the blocks say it must be.
    Diverges { table: &'static str, id: String, field: &'static str, ledger: String, found: String },
    /// A row that no block created.
    Unrecorded { table: &'static str, id: String },
    /// A row that a block created, and that is gone.
    Missing { table: &'static str, id: String, block: u64 },
    /// Two admissions of one pass with no unscan between them (for its
    /// rule: a `once` pass's people past its size, a `reentry` pass's
    /// while they were inside).
    DoubleAdmission { pass: String, first_block: u64, second_block: u64 },
    /// An exit of more people than the pass had inside.
    ExitWithoutEntry { pass: String, block: u64 },
    /// An offline gate's local chain, as uploaded, has a gap, a block out
    /// of order, or a block whose hash no longer matches (docs/offline.md).
    OfflineChain { chain: String, block: u64, local_index: u64, why: String },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Diverges { table, id, field, ledger, found } => {
                write!(f, "{table} {id}: {field} is {found} in the table, but {ledger} in the ledger")
            }
            Finding::Unrecorded { table, id } => write!(f, "{table} {id}: no ledger block created this row"),
            Finding::Missing { table: "scans", block, .. } => write!(f, "scans: the row that block {block} wrote is gone"),
            Finding::Missing { table, id, block } => write!(f, "{table} {id}: created by block {block}, but the row is gone"),
            Finding::OfflineChain { chain, block, local_index, why } => {
                write!(f, "offline chain {chain}: block {block} (local block {local_index}) {why}")
            }
            Finding::DoubleAdmission { pass, first_block, second_block } => {
                write!(f, "pass {pass} admitted twice (blocks {first_block} and {second_block}) with no unscan between")
            }
            Finding::ExitWithoutEntry { pass, block } => {
                write!(f, "pass {pass}: block {block} records an exit, but none of its people were inside")
            }
        }
    }
}

/// A field that older blocks do not record, so the audit cannot vouch for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCovered {
    pub table: &'static str,
    pub field: &'static str,
    pub rows: u64,
    pub why: &'static str,
}

/// Why a field is not covered: blocks older than the field's record...
pub const BEFORE_RECORDED: &str = "their blocks were written before the ledger recorded it";
/// ...or a station with no key file, which cannot recompute keyed fingerprints...
pub const NO_KEY_FILE: &str = "this gate holds no event key file to fingerprint them with (audit on the first gate)";
/// ...or blocks written by an enrolled gate, which had no key to make them with.
pub const BY_ENROLLED_GATE: &str = "an enrolled gate wrote their blocks, and it holds no event key file to fingerprint them with";

/// Why a block records no fingerprint of personal data.
fn unrecorded(block_key_id: &str) -> &'static str {
    if super::device::is_device_id(block_key_id) { BY_ENROLLED_GATE } else { BEFORE_RECORDED }
}

impl std::fmt::Display for NotCovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (t, f2, n, why) = (self.table, self.field, self.rows, self.why);
        write!(f, "{t}.{f2} of {n} row(s) not checked: {why}")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub ok: bool,
    /// Blocks replayed.
    pub blocks: u64,
    /// Rows compared, all tables together.
    pub rows: u64,
    pub findings: Vec<Finding>,
    /// Findings past the first 1000, counted but not listed.
    pub more_findings: u64,
    pub not_covered: Vec<NotCovered>,
}

/// One scans row as the store hands it over, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct ScanFacts<'a> {
    pub block: u64,
    pub at: &'a str,
    pub operator: &'a str,
    pub gate: &'a str,
    pub verdict: &'a str,
    pub subject: Option<&'a str>,
    pub persons: u32,
    pub repeated: bool,
}

/// A keyed fingerprint of personal text, for blocks: it proves the table's
/// value unchanged without putting the value in the ledger, and the key keeps
/// a phone number from being found by trying every number.
pub fn fingerprint(keys: &KeyRing, key_id: &str, what: &str, parts: &[&str]) -> Option<String> {
    use hmac::Mac;
    let mut m = keys.fingerprint_mac(key_id)?;
    m.update(b"gatehouse-fingerprint-v1\0");
    m.update(what.as_bytes());
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p.as_bytes());
    }
    Some(to_hex(&m.finalize().into_bytes()[..16]))
}

pub fn pass_phones(keys: &KeyRing, key_id: &str, phone: &str, phone2: Option<&str>) -> Option<String> {
    fingerprint(keys, key_id, "phones", &[phone, phone2.unwrap_or("")])
}

pub fn resident_details(keys: &KeyRing, key_id: &str, r: &Resident) -> Option<String> {
    let photo = r.photo.as_deref().unwrap_or("");
    let parts = [r.phone.as_str(), &r.email, &r.address, &r.move_in, &r.occupation, &r.emergency_contact, photo];
    fingerprint(keys, key_id, "resident", &parts)
}

#[derive(Debug, Clone)]
struct ExpResident {
    block: u64,
    name: String,
    room: String,
    floor: String,
    details: Option<String>,
    /// Why `details` is None.
    no_details: &'static str,
    key_id: String,
    created_at: String,
    created_by: String,
    active: bool,
    status: Presence,
    last_scan_at: Option<String>,
}

#[derive(Debug, Clone)]
struct ExpUser {
    block: u64,
    display_name: String,
    role: String,
    disabled: bool,
}

/// The replay: push every block in order, then check each table.
#[derive(Default)]
pub struct Audit {
    /// Keys the row fingerprints.
    seed: Seed,
    /// The event's rules as the last `rules_set` block left them (None:
    /// the seed, every type admitted once).
    rules: Option<crate::domain::rules::RuleSet>,
    passes: Passes,
    /// Passes whose row differs; the caller re-reads them for detail.
    pass_mismatch: Vec<PassBlocks>,
    residents: HashMap<String, ExpResident>,
    users: HashMap<String, ExpUser>,
    /// Issuing public keys the blocks made: key id → (public key hex, block).
    issuing: HashMap<String, (String, u64)>,
    /// (block, fingerprint of the scans row it must have written), in block order.
    scans: Vec<(u64, u64)>,
    /// Each offline chain's last uploaded local block: index and hash.
    chains: HashMap<String, (u64, String)>,
    scan_seen: Vec<bool>,
    /// Where the next scans row is likely to be in `scans`.
    scan_next: usize,
    /// Blocks whose scans row differs; the caller re-reads them for detail.
    scan_mismatch: Vec<(u64, ScanRowOwned)>,
    findings: Vec<Finding>,
    more: u64,
    not_covered: BTreeMap<(&'static str, &'static str, &'static str), u64>,
    blocks: u64,
    rows: u64,
}

/// A scans row, owned, kept only when it differs from its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRowOwned {
    pub block: u64,
    pub at: String,
    pub operator: String,
    pub gate: String,
    pub verdict: String,
    pub subject: Option<String>,
    pub persons: u32,
    pub repeated: bool,
}

impl ScanFacts<'_> {
    fn to_owned_row(self) -> ScanRowOwned {
        ScanRowOwned {
            block: self.block,
            at: self.at.into(),
            operator: self.operator.into(),
            gate: self.gate.into(),
            verdict: self.verdict.into(),
            subject: self.subject.map(Into::into),
            persons: self.persons,
            repeated: self.repeated,
        }
    }

    fn fingerprint(&self, seed: &Seed) -> u64 {
        seed.fp()
            .str(self.at)
            .str(self.operator)
            .str(self.gate)
            .str(self.verdict)
            .opt(self.subject)
            .num(i64::from(self.persons))
            .num(i64::from(self.repeated))
            .finish()
    }
}

/// What a scan block says its scans row must hold; `applied`: whether the
/// scan changed the tables (an offline one only if its upload says so).
fn expected_scan<'a>(b: &BlockRef<'a>, s: &'a Scan<'a>, applied: bool) -> ScanFacts<'a> {
    // An offline admission that clashed on upload counts nobody.
    let admitted = s.verdict == Verdict::Admitted && applied;
    ScanFacts {
        block: b.index,
        at: b.ts,
        operator: b.operator,
        gate: b.gate,
        verdict: s.verdict.as_str(),
        subject: if s.kind.is_some() { s.id.as_deref() } else { None },
        persons: if admitted && s.kind == Some(ScanKind::Pass) { s.persons.unwrap_or(0) } else { 0 },
        repeated: s.repeated.unwrap_or(false),
    }
}

/// A scan block's scan, and whether it changed the tables.
fn scan_of<'a>(e: &'a Event<'a>) -> Option<(&'a Scan<'a>, bool)> {
    match e {
        Event::Scan(s) => Some((s, true)),
        // An offline gate's scan, uploaded with its original time: it
        // changed the tables only if the upload says `applied`.
        Event::OfflineScan(o) => Some((&o.scan, o.applied)),
        _ => None,
    }
}

impl Audit {
    pub fn new() -> Audit {
        Audit::default()
    }

    fn find(&mut self, f: Finding) {
        if self.findings.len() < LISTED {
            self.findings.push(f);
        } else {
            self.more += 1;
        }
    }

    fn uncovered(&mut self, table: &'static str, field: &'static str, why: &'static str) {
        *self.not_covered.entry((table, field, why)).or_default() += 1;
    }

    /// Replay one block. Blocks must come in chain order (verify the chain
    /// first); a block whose event is unknown or whose data does not fit it
    /// is a finding, not a stop.
    pub fn push(&mut self, b: &BlockRef) {
        self.blocks += 1;
        let e = match Event::parse(b.event, b.data) {
            Ok(e) => e,
            Err(EventError::Unknown(name)) => {
                self.find(Finding::Diverges {
                    table: "ledger",
                    id: b.index.to_string(),
                    field: "event",
                    ledger: "a known event".into(),
                    found: format!("{name:?}"),
                });
                return;
            }
            Err(EventError::Data { .. }) => {
                self.find(Finding::Diverges {
                    table: "ledger",
                    id: b.index.to_string(),
                    field: "data",
                    ledger: "JSON".into(),
                    found: "unreadable data".into(),
                });
                return;
            }
        };
        self.offline_chain(b, &e);
        if let Some((s, applied)) = scan_of(&e) {
            let displaces = matches!(&e, Event::OfflineScan(o) if o.applied && o.conflict);
            self.push_scan(b, s, applied, displaces);
            return;
        }
        match &e {
            Event::PassIssue(d) => {
                self.passes.insert(PassKey::of(&d.id), ExpPass::issued(b, d, &self.seed));
            }
            Event::PassVoid(d) => {
                if let Some(p) = self.passes.get_mut(&PassKey::of(&d.id)) {
                    p.void(b, d, &self.seed);
                }
            }
            Event::PassUnscan(d) => {
                if let Some(p) = self.passes.get_mut(&PassKey::of(&d.id)) {
                    p.scanned = None;
                    p.entered = 0;
                    p.inside = 0;
                    p.day = None;
                }
            }
            Event::RulesSet(d) => self.rules = Some(d.rules.clone()),
            Event::ResidentAdd(d) => {
                let r = ExpResident {
                    block: b.index,
                    name: d.name.to_string(),
                    room: d.room.to_string(),
                    floor: d.floor.to_string(),
                    details: d.details.as_deref().map(str::to_string),
                    no_details: unrecorded(b.key_id),
                    key_id: d.code_key.as_deref().unwrap_or(b.key_id).to_string(),
                    created_at: b.ts.to_string(),
                    created_by: b.operator.to_string(),
                    active: true,
                    status: Presence::Out,
                    last_scan_at: None,
                };
                self.residents.insert(d.id.to_string(), r);
            }
            Event::ResidentDeactivate(d) => {
                if let Some(r) = self.residents.get_mut(d.id.as_ref()) {
                    r.active = false;
                }
            }
            Event::UserAdd(d) => {
                let u = ExpUser { block: b.index, display_name: d.display_name.to_string(), role: d.role.to_string(), disabled: false };
                self.users.insert(d.username.to_string(), u);
            }
            Event::UserDisable(d) | Event::UserEnable(d) => {
                if let Some(u) = self.users.get_mut(d.username.as_ref()) {
                    u.disabled = matches!(e, Event::UserDisable(_));
                }
            }
            // Sign-in failures, password changes, key rotations, restores,
            // uploads already seen and conflicts change nothing the audit
            // compares. Listed, so that a new event is a compile error here.
            Event::Scan(_)
            | Event::OfflineScan(_)
            | Event::OfflineEvent(_)
            | Event::OfflineSeen(_)
            | Event::OfflineSync(_)
            | Event::Conflict(_)
            | Event::ConflictAck(_)
            | Event::UserLocked(_)
            | Event::UserUnlock(_)
            | Event::UserPasswd(_)
            | Event::KeyRotate(_)
            | Event::GateToken(_)
            | Event::GateEnrol(_)
            | Event::GateRevoke(_)
            | Event::Restore(_) => {
                if let Event::KeyRotate(KeyRotate { key_id, public: Some(p) }) = &e {
                    self.issuing.insert(key_id.to_string(), (p.to_string(), b.index));
                }
            }
        }
    }

    /// A scan, online or uploaded: the scans row it wrote, and what it changed.
    fn push_scan(&mut self, b: &BlockRef, s: &Scan, applied: bool, displaces: bool) {
        let facts = expected_scan(b, s, applied);
        self.scans.push((b.index, facts.fingerprint(&self.seed)));
        let id = s.id.as_deref().unwrap_or("");
        match s.kind.filter(|_| applied) {
            Some(ScanKind::Pass) if s.verdict == Verdict::Admitted => {
                let n = s.persons.unwrap_or(1);
                let rules = &self.rules;
                let mut double = None;
                if let Some(p) = self.passes.get_mut(&PassKey::of(id)) {
                    let entry = rules.as_ref().and_then(|r| r.type_rule(&p.pass_type)).map_or(Entry::Once, |t| t.entry);
                    if entry == Entry::Daily && p.day.as_deref() != s.day.as_deref() {
                        // A new event day: a day's entries start afresh.
                        p.day = s.day.as_deref().map(Into::into);
                        p.entered = 0;
                        p.inside = 0;
                    }
                    let past = match entry {
                        Entry::Once | Entry::Daily => p.entered + n > p.persons,
                        Entry::Reentry => p.inside + n > p.persons,
                    };
                    if past {
                        double = p.scanned.map(|s| s.0);
                    }
                    if displaces {
                        // It takes the pass over: the admission held is undone.
                        p.scanned = None;
                        p.entered = 0;
                        p.inside = 0;
                    }
                    p.admit(b, &self.seed, n);
                }
                // An upload admitted earlier than the admission held takes
                // it over; its `conflict` block records the pair.
                if let Some(first_block) = double.filter(|_| !displaces) {
                    self.find(Finding::DoubleAdmission { pass: id.to_string(), first_block, second_block: b.index });
                }
            }
            Some(ScanKind::Pass) if s.verdict == Verdict::Exited => {
                let n = s.persons.unwrap_or(1);
                let mut forged = false;
                if let Some(p) = self.passes.get_mut(&PassKey::of(id)) {
                    forged = p.inside < n;
                    p.inside = p.inside.saturating_sub(n);
                }
                if forged {
                    self.find(Finding::ExitWithoutEntry { pass: id.to_string(), block: b.index });
                }
            }
            Some(ScanKind::Resident) if !s.repeated.unwrap_or(false) => {
                let status = match s.verdict {
                    Verdict::ResidentIn => Some(Presence::In),
                    Verdict::ResidentOut => Some(Presence::Out),
                    _ => None,
                };
                if let (Some(st), Some(r)) = (status, self.residents.get_mut(id)) {
                    r.status = st;
                    r.last_scan_at = Some(b.ts.to_string());
                }
            }
            _ => {}
        }
    }

    /// Follow each offline gate's local chain through its uploaded blocks:
    /// dense from 0, each linked to the one before, each hash recomputed;
    /// an `offline_sync` names the head it reached.
    fn offline_chain(&mut self, b: &BlockRef, e: &Event) {
        let upload = match e {
            Event::OfflineEvent(o) => &o.upload,
            Event::OfflineSeen(o) => &o.upload,
            Event::OfflineScan(o) => &o.upload,
            Event::OfflineSync(sync) => return self.offline_head(b, sync),
            _ => return,
        };
        let chain = upload.chain.as_ref();
        let l = &upload.local;
        let genesis = to_hex(&GENESIS);
        let (want_index, want_prev) = match self.chains.get(chain) {
            Some((i, h)) => (i + 1, h.clone()),
            None => (0, genesis),
        };
        if l.index != want_index || l.prev_hash != want_prev {
            let why = format!("does not follow local block {} (a block was dropped or reordered)", want_index.wrapping_sub(1));
            self.chain_finding(b, chain, l.index, why);
        }
        let recomputed = from_hex(&l.prev_hash).map(|prev| {
            let f = BlockFields {
                index: l.index,
                ts: b.ts,
                operator: b.operator,
                gate: b.gate,
                event: &l.event,
                data: &l.data,
                prev_hash: &prev,
                key_id: &l.key_id,
            };
            to_hex(&f.hash())
        });
        if recomputed.as_deref() != Some(l.hash.as_ref()) {
            self.chain_finding(b, chain, l.index, "was altered: its hash does not match its contents".into());
        }
        self.chains.insert(chain.to_string(), (l.index, l.hash.to_string()));
    }

    /// An upload names the head it reached: it must be the last block uploaded.
    fn offline_head(&mut self, b: &BlockRef, sync: &OfflineSync) {
        let (chain, to) = (sync.chain.as_ref(), sync.local_to);
        match self.chains.get(chain) {
            Some((i, h)) if *i == to => {
                if to == sync.local_head_index && *h != sync.local_head_hash {
                    self.chain_finding(b, chain, to, "is not the head the upload named".into());
                }
            }
            _ => self.chain_finding(b, chain, to, "is named by the upload but was not uploaded".into()),
        }
    }

    fn chain_finding(&mut self, b: &BlockRef, chain: &str, local_index: u64, why: String) {
        self.find(Finding::OfflineChain { chain: chain.to_string(), block: b.index, local_index, why });
    }

    fn diverges(&mut self, table: &'static str, id: &str, field: &'static str, ledger: impl ToString, found: impl ToString) {
        let (ledger, found) = (ledger.to_string(), found.to_string());
        if ledger != found {
            self.find(Finding::Diverges { table, id: id.to_string(), field, ledger, found });
        }
    }

    pub fn check_residents(&mut self, rows: &[Resident], keys: &KeyRing) {
        let mut expected = std::mem::take(&mut self.residents);
        for r in rows {
            self.rows += 1;
            let Some(e) = expected.remove(&r.id) else {
                self.find(Finding::Unrecorded { table: "residents", id: r.id.clone() });
                continue;
            };
            let t = "residents";
            let id = r.id.as_str();
            self.diverges(t, id, "name", &e.name, &r.name);
            self.diverges(t, id, "room", &e.room, &r.room);
            self.diverges(t, id, "floor", &e.floor, &r.floor);
            self.diverges(t, id, "key_id", &e.key_id, &r.key_id);
            self.diverges(t, id, "created_at", &e.created_at, &r.created_at);
            self.diverges(t, id, "created_by", &e.created_by, &r.created_by);
            self.diverges(t, id, "active", e.active, r.active);
            self.diverges(t, id, "status", e.status.as_str(), r.status.as_str());
            self.diverges(t, id, "last_scan_at", show(&e.last_scan_at), show(&r.last_scan_at));
            match &e.details {
                Some(fp) => match resident_details(keys, &e.key_id, r) {
                    None if !keys.has_hmac() => self.uncovered(t, "contact details", NO_KEY_FILE),
                    now if now.as_deref() != Some(fp.as_str()) => {
                        self.find(Finding::Diverges {
                            table: t,
                            id: id.into(),
                            field: "contact details",
                            ledger: format!("fingerprint {fp}"),
                            found: "different details".into(),
                        });
                    }
                    _ => {}
                },
                None => self.uncovered(t, "contact details", e.no_details),
            }
        }
        let mut gone: Vec<_> = expected.into_iter().map(|(id, e)| (e.block, id)).collect();
        gone.sort();
        for (block, id) in gone {
            self.find(Finding::Missing { table: "residents", id, block });
        }
    }

    pub fn check_users(&mut self, rows: &[User]) {
        let mut expected = std::mem::take(&mut self.users);
        for u in rows {
            self.rows += 1;
            let Some(e) = expected.remove(&u.username) else {
                self.find(Finding::Unrecorded { table: "users", id: u.username.clone() });
                continue;
            };
            let id = u.username.as_str();
            self.diverges("users", id, "role", &e.role, u.role.as_str());
            self.diverges("users", id, "display_name", &e.display_name, &u.display_name);
            self.diverges("users", id, "disabled", e.disabled, u.disabled);
        }
        let mut gone: Vec<_> = expected.into_iter().map(|(id, e)| (e.block, id)).collect();
        gone.sort();
        for (block, id) in gone {
            self.find(Finding::Missing { table: "users", id, block });
        }
    }

    /// The `issuing_keys` rows, `(key_id, public key hex)`: each made by a
    /// `key_rotate` block with that very key, so a public key planted in
    /// the table (to pass forged codes) is found.
    pub fn check_issuing_keys(&mut self, rows: &[(String, String)]) {
        let mut expected = std::mem::take(&mut self.issuing);
        for (id, public) in rows {
            self.rows += 1;
            let Some((want, _)) = expected.remove(id) else {
                self.find(Finding::Unrecorded { table: "issuing_keys", id: id.clone() });
                continue;
            };
            self.diverges("issuing_keys", id, "public_key", &want, public);
        }
        let mut gone: Vec<_> = expected.into_iter().map(|(id, (_, block))| (block, id)).collect();
        gone.sort();
        for (block, id) in gone {
            self.find(Finding::Missing { table: "issuing_keys", id, block });
        }
    }

    /// Check one scans row, in any order.
    pub fn check_scan(&mut self, row: &ScanFacts) {
        self.rows += 1;
        if self.scan_seen.len() != self.scans.len() {
            self.scan_seen = vec![false; self.scans.len()];
        }
        // Rows usually come in block order: try the slot after the last one.
        let next = self.scan_next;
        let found = match self.scans.get(next) {
            Some(s) if s.0 == row.block => Ok(next),
            _ => self.scans.binary_search_by_key(&row.block, |s| s.0),
        };
        match found {
            Ok(i) if !self.scan_seen[i] => {
                self.scan_seen[i] = true;
                self.scan_next = i + 1;
                if self.scans[i].1 != row.fingerprint(&self.seed) {
                    if self.scan_mismatch.len() < LISTED {
                        self.scan_mismatch.push((row.block, row.to_owned_row()));
                    } else {
                        self.more += 1;
                    }
                }
            }
            _ => self.find(Finding::Unrecorded { table: "scans", id: format!("row for block {}", row.block) }),
        }
    }

    /// Blocks whose scans row differs from them: re-read each and pass it to
    /// `explain_scan` for the differing fields.
    pub fn scan_mismatches(&self) -> Vec<u64> {
        self.scan_mismatch.iter().map(|(b, _)| *b).collect()
    }

    /// Name the fields in which the scans row for block `b` differs from it.
    pub fn explain_scan(&mut self, b: &BlockRef) {
        let Some(pos) = self.scan_mismatch.iter().position(|(i, _)| *i == b.index) else { return };
        let (_, row) = self.scan_mismatch.swap_remove(pos);
        let Ok(event) = Event::parse(b.event, b.data) else { return };
        let Some((s, applied)) = scan_of(&event) else { return };
        let e = expected_scan(b, s, applied);
        let id = format!("for block {}", b.index);
        self.diverges("scans", &id, "at", e.at, &row.at);
        self.diverges("scans", &id, "operator", e.operator, &row.operator);
        self.diverges("scans", &id, "gate", e.gate, &row.gate);
        self.diverges("scans", &id, "verdict", e.verdict, &row.verdict);
        self.diverges("scans", &id, "subject", show_str(e.subject), show_str(row.subject.as_deref()));
        self.diverges("scans", &id, "persons", e.persons, row.persons);
        self.diverges("scans", &id, "repeated", e.repeated, row.repeated);
    }

    pub fn finish(mut self) -> AuditReport {
        self.finish_passes();
        if self.scan_seen.len() != self.scans.len() {
            self.scan_seen = vec![false; self.scans.len()];
        }
        let missing: Vec<u64> = self.scans.iter().zip(&self.scan_seen).filter(|(_, seen)| !**seen).map(|(s, _)| s.0).collect();
        for block in missing {
            self.find(Finding::Missing { table: "scans", id: format!("for block {block}"), block });
        }
        // Rows that differ but whose block could not be re-read still count.
        for (block, _) in std::mem::take(&mut self.scan_mismatch) {
            self.find(Finding::Diverges {
                table: "scans",
                id: format!("for block {block}"),
                field: "row",
                ledger: "the block's scan".into(),
                found: "a different row".into(),
            });
        }
        let not_covered = self.not_covered.iter().map(|(&(table, field, why), &rows)| NotCovered { table, field, rows, why }).collect();
        AuditReport {
            ok: self.findings.is_empty() && self.more == 0,
            blocks: self.blocks,
            rows: self.rows,
            findings: self.findings,
            more_findings: self.more,
            not_covered,
        }
    }
}

fn show(v: &Option<String>) -> String {
    show_str(v.as_deref())
}

fn show_str(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "none".into(),
    }
}

#[cfg(test)]
mod offline_chain_tests {
    use super::*;
    use crate::domain::events::{LocalBlock, OfflineEvent, Upload};
    use crate::domain::ledger::{BlockFields, GENESIS, StoredBlock, to_hex};

    /// Uploaded blocks for local blocks `0..n` of one chain, linked as the
    /// gate linked them; `skip` leaves one out of the upload, `alter` edits
    /// one after it was hashed.
    fn uploaded(n: u64, skip: Option<u64>, alter: Option<u64>) -> Vec<(String, String)> {
        let mut prev = GENESIS;
        let mut out = Vec::new();
        for i in 0..n {
            let data = format!(r#"{{"username":"omar","failed_attempts":{i},"until":"t"}}"#);
            let f = BlockFields {
                index: i,
                ts: "t",
                operator: "o",
                gate: "g",
                event: "user_locked",
                data: &data,
                prev_hash: &prev,
                key_id: "01",
            };
            let hash = f.hash();
            let shown = if alter == Some(i) { data.replace("omar", "mallory") } else { data.clone() };
            let local = StoredBlock {
                index: i,
                ts: "t".into(),
                operator: "o".into(),
                gate: "g".into(),
                event: "user_locked".into(),
                data: shown,
                prev_hash: to_hex(&prev),
                hash: to_hex(&hash),
                key_id: "01".into(),
                signature: String::new(),
            };
            if skip != Some(i) {
                let upload = Upload { offline: true, chain: "c1".into(), local: LocalBlock::of(&local), nonce: None };
                out.push(block(&Event::OfflineEvent(OfflineEvent { local_data: Default::default(), upload })));
            }
            prev = hash;
        }
        let head = OfflineSync {
            chain: "c1".into(),
            local_from: 0,
            local_to: n - 1,
            local_head_index: n - 1,
            local_head_hash: to_hex(&prev).into(),
            uploaded: n,
            skipped: 0,
            conflicts: 0,
            clock_skew_secs: None,
            local_to_hash: None,
            refused: None,
        };
        out.push(block(&Event::OfflineSync(head)));
        out
    }

    fn block(e: &Event) -> (String, String) {
        let (name, data) = e.to_block().expect("encodes");
        (name.into(), data.to_string())
    }

    fn audit(blocks: &[(String, String)]) -> Vec<Finding> {
        let mut a = Audit::new();
        for (i, (event, data)) in blocks.iter().enumerate() {
            let b = BlockRef {
                index: i as u64,
                ts: "t",
                operator: "o",
                gate: "g",
                event,
                data,
                prev_hash: "",
                hash: "",
                key_id: "01",
                signature: "",
            };
            a.push(&b);
        }
        a.finish().findings
    }

    #[test]
    fn an_intact_upload_follows_its_chain() {
        assert!(audit(&uploaded(4, None, None)).is_empty());
    }

    #[test]
    fn a_dropped_or_altered_local_block_is_found() {
        let dropped = audit(&uploaded(4, Some(2), None));
        assert!(dropped.iter().any(|f| matches!(f, Finding::OfflineChain { local_index: 3, .. })), "{dropped:?}");
        let altered = audit(&uploaded(4, None, Some(1)));
        assert!(
            altered.iter().any(|f| matches!(f, Finding::OfflineChain { local_index: 1, why, .. } if why.contains("altered"))),
            "{altered:?}"
        );
        let cut = &uploaded(4, None, None)[..2];
        let mut short = cut.to_vec();
        short.push(uploaded(4, None, None).pop().unwrap_or_default());
        let named = audit(&short);
        assert!(named.iter().any(|f| matches!(f, Finding::OfflineChain { why, .. } if why.contains("not uploaded"))), "{named:?}");
    }

    #[test]
    fn an_unknown_event_or_data_that_does_not_fit_is_a_finding() {
        let blocks = [
            ("pass_teleport".to_string(), "{}".to_string()),
            ("scan".into(), "not json".into()),
            ("pass_issue".into(), r#"{"id":"p1","persons":"two"}"#.into()),
            ("offline_sync".into(), r#"{"chain":"c1"}"#.into()),
        ];
        let found = audit(&blocks);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(matches!(&found[0], Finding::Diverges { field: "event", found, .. } if found == "\"pass_teleport\""), "{found:?}");
        assert!(found[1..].iter().all(|f| matches!(f, Finding::Diverges { field: "data", .. })), "{found:?}");
    }
}
