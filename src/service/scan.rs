//! The scan: one function from payload to verdict, for every front end.
//! The tag is checked before the database is touched; the verdict, the state
//! change and the ledger block then commit in one IMMEDIATE transaction, so
//! of two racing scans of one pass exactly one is ADMITTED.
//!
//! Each scan carries a nonce. The scan row records it (unique), so a scan
//! retried after a dropped connection is answered from that row, with
//! nothing recorded twice.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::Gatehouse;
use crate::config::{Config, GateDirection};
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::events::{Event, Scan, ScanKind};
use crate::domain::ledger::to_hex;
use crate::domain::pass::Pass;
use crate::domain::payload::{self, Kind};
use crate::domain::rules::{Decision, Direction, Entry, EntryState, RuleSet, ScanContext, TypeRule};
use crate::domain::scan::{FirstUse, Persons, ScanOutcome, Verdict};
use crate::domain::slot::{self, SlotPolicy, SlotRule};
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{Claim, Db, FirstAdmission, NewBlock, ScanRow};

/// What a scan does besides reading the code: an exit, or some of a
/// group's people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOpts {
    /// Record people going out (`scan --exit`; every scan at an `out` gate).
    pub exit: bool,
    /// `scan --persons K`: admit at most K of those left.
    pub persons: Option<u32>,
}

impl Gatehouse {
    pub fn scan(&mut self, raw: &[u8], actor: &Actor, gate: &str) -> Result<ScanOutcome> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        self.scan_with_nonce(raw, actor, gate, &nonce)
    }

    /// A scan under the caller's nonce. When the connection drops, the scan
    /// is sent once more on a fresh connection with the same nonce: if the
    /// first attempt committed, its answer comes back and nothing is added.
    pub fn scan_with_nonce(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str) -> Result<ScanOutcome> {
        self.scan_opts(raw, actor, gate, nonce, ScanOpts::default())
    }

    /// A scan with its options: an exit, or some of a group's people.
    pub fn scan_opts(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str, opts: ScanOpts) -> Result<ScanOutcome> {
        self.scan_as(raw, actor, gate, None, nonce, opts)
    }

    /// The scan; `manual` is the reason (maybe empty) when an operator
    /// checked someone in without their code (see `scan_manual`).
    pub(super) fn scan_as(
        &mut self,
        raw: &[u8],
        actor: &Actor,
        gate: &str,
        manual: Option<&str>,
        nonce: &str,
        opts: ScanOpts,
    ) -> Result<ScanOutcome> {
        let checked = self.check_code(raw);
        self.scan_checked(raw, checked, actor, gate, manual, nonce, opts)
    }

    /// Scan what is already known to be ours: a manual check-in names a
    /// row, and needs no code (an operator cannot sign an Ed25519 one).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scan_checked(
        &mut self,
        raw: &[u8],
        checked: Checked,
        actor: &Actor,
        gate: &str,
        manual: Option<&str>,
        nonce: &str,
        opts: ScanOpts,
    ) -> Result<ScanOutcome> {
        let direction = self.direction(opts)?;
        match self.scan_once(raw, checked.clone(), actor, gate, manual, nonce, direction, opts.persons) {
            Err(e) if e.is_unreachable() => {
                let why = e.cause();
                tracing::warn!(%why, "connection lost during a scan; retrying with the same nonce");
                self.scan_once(raw, checked, actor, gate, manual, nonce, direction, opts.persons)
            }
            other => other,
        }
    }

    /// Parse and verify a code. A GH2 code naming an issuing key this core
    /// has not loaded yet gets one fresh look at the event's keys.
    fn check_code(&mut self, raw: &[u8]) -> Checked {
        let p = payload::parse(raw).map_err(|m| (Verdict::Malformed, m.to_string()))?;
        if p.is_ed25519()
            && self.keys.issuing(&p.key_id).is_none()
            && let Err(e) = self.issuing_keys()
        {
            tracing::warn!(error = %e, "cannot read the event's issuing keys");
        }
        p.verify(&self.keys).map_err(|f| (Verdict::Forged, f.to_string()))?;
        Ok(Subject { kind: p.kind, id: p.id, key_id: p.key_id })
    }

    /// Which way this scan records people, from the gate's direction.
    fn direction(&self, opts: ScanOpts) -> Result<Direction> {
        if opts.persons == Some(0) {
            return Err(crate::domain::validate::ValidationErrors(vec![crate::domain::validate::FieldError {
                field: "persons",
                message: "must be at least 1".into(),
            }])
            .into());
        }
        Ok(match (self.cfg.gate_direction(), opts.exit) {
            (GateDirection::In, true) => {
                return Err(Error::Input(format!(
                    "{} is an entry gate ([gate] direction = \"in\"); exits are scanned at an \"out\" or \"both\" gate",
                    self.cfg.gate.name
                )));
            }
            (GateDirection::Out, _) | (GateDirection::Both, true) => Direction::Out,
            _ => Direction::In,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn scan_once(
        &mut self,
        raw: &[u8],
        checked: Checked,
        actor: &Actor,
        gate: &str,
        manual: Option<&str>,
        nonce: &str,
        direction: Direction,
        want: Option<u32>,
    ) -> Result<ScanOutcome> {
        // The gate is stored and shown with every later ALREADY_USED.
        let mut errs = crate::domain::validate::ValidationErrors::default();
        let gate = crate::domain::validate::label(&mut errs, "gate", gate, 64);
        crate::domain::validate::nonce(&mut errs, nonce);
        errs.into_result(())?;
        let gate = gate.as_str();
        let now = self.clock.now();
        let at = stamp(now);
        // The code was checked first (`check_code`); a bad one never reaches a lookup.
        let window = chrono::Duration::seconds(self.cfg.scan.resident_repeat_window_secs as i64);
        let slots = SlotClock { rule: self.cfg.slot_rule(), local: self.cfg.local_time(now), zone: self.cfg.utc_offset() };
        let toggles = self.cfg.resident_toggles();
        let op = actor.username.as_str();
        let pass_id = checked.as_ref().ok().filter(|p| p.kind == Kind::Pass).map(|p| p.id.to_string());
        let Gatehouse { store, keys, cfg, rules_cache, .. } = self;
        let keys = &*keys;
        store.write(|db| {
            let found = db.scan_lookup(nonce, pass_id.as_deref())?;
            if let Some(first) = found.first {
                // A retry carries the same code; another code under a used
                // nonce is refused, never answered with the first verdict.
                let subject = checked.as_ref().ok().map(|p| p.id.to_string());
                if first.subject != subject {
                    return Err(Error::Conflict(format!("nonce {nonce} was used for another code; a new scan needs a new nonce")));
                }
                return replay(db, first);
            }
            let mut pass = found.pass;
            // A racing scan may move the pass between the read and the
            // write (the claim then fails and nothing is written): read it
            // again and decide again, a few times at most.
            for _ in 0..4 {
                let mut out = ScanOutcome {
                    verdict: Verdict::Malformed,
                    reason: String::new(),
                    at: at.clone(),
                    operator: op.to_string(),
                    gate: gate.to_string(),
                    pass: None,
                    resident: None,
                    first_use: None,
                    repeated: false,
                    manual: manual.is_some(),
                    warning: None,
                    block: 0,
                    note: None,
                    persons: None,
                };
                // A code must be signed with the key its row was issued under:
                // an HMAC tag (from a key file on any gate) for a pass issued
                // under an Ed25519 key is a forgery, however well it verifies.
                let checked = checked.clone().and_then(|p| match row_key(db, &p, pass.as_ref())? {
                    Some(k) if k != p.key_id => Err((Verdict::Forged, format!("signed with key {}, but issued under key {k}", p.key_id))),
                    _ => Ok(p),
                });
                let (claim, (subject, persons, data)) = match checked {
                    Err((verdict, reason)) => {
                        out.verdict = verdict;
                        out.reason = reason.clone();
                        // Record what was read without storing it: a fingerprint.
                        let digest = Sha256::digest(raw);
                        (Claim::Nothing, (None, 0, Scan::refused(verdict, reason, raw.len(), to_hex(&digest[..8]))))
                    }
                    Ok(p) => {
                        let rules = rules_for(cfg, rules_cache, db, found.rules_digest.as_deref())?;
                        let cx = ScanContext { direction, gate, day: rules.event_day(slots.local), at: &at, want };
                        match p.kind {
                            Kind::Pass => scan_pass(db, &p, pass.clone(), &rules, &cx, op, &slots, &mut out)?,
                            Kind::Resident => scan_resident(db, &p, &cx, toggles, now, window, &mut out)?,
                        }
                    }
                };
                let data = match manual {
                    Some(reason) => data.manual(reason),
                    None => data,
                };
                let (event, data) = Event::Scan(data).to_block()?;
                let block = NewBlock { ts: &at, operator: op, gate, event, data: &data };
                let row = ScanRow {
                    at: at.clone(),
                    operator: op.to_string(),
                    gate: gate.to_string(),
                    verdict: out.verdict,
                    subject: subject.clone(),
                    persons,
                    repeated: out.repeated,
                    block: 0,
                    reason: out.reason.clone(),
                    nonce: Some(nonce.to_string()),
                };
                match db.write_scan(keys, &claim, &block, &row)? {
                    Some(w) => {
                        out.block = w.block;
                        if w.pass.is_some() {
                            out.pass = w.pass;
                        }
                        return Ok(out);
                    }
                    None => pass = db.get_pass(subject.as_deref().unwrap_or_default())?,
                }
            }
            let id = pass_id.unwrap_or_default();
            Err(Error::Conflict(format!("pass {id} kept changing under this scan; scan it again")))
        })
    }
}

/// The rules for a scan: the cached set when its digest is the one
/// stored, else read afresh (or the seed, before any are set).
fn rules_for(cfg: &Config, cache: &mut RulesCache, db: &dyn Db, digest: Option<&str>) -> Result<Arc<RuleSet>> {
    if let Some((d, r)) = cache.as_ref()
        && d.as_deref() == digest
    {
        return Ok(r.clone());
    }
    let r = Arc::new(super::rules::rules_in(cfg, db)?.rules);
    *cache = Some((digest.map(str::to_string), r.clone()));
    Ok(r)
}

/// The rules a core last scanned by, under the digest they were stored with.
pub(super) type RulesCache = Option<(Option<String>, Arc<RuleSet>)>;

impl Gatehouse {
    /// Scan every line of `input` in turn (a scanner's offline memory), each
    /// its own transaction, so an interruption loses at most the scan in
    /// flight; `each` gets every outcome. At most 513 bytes are read ahead:
    /// a line longer than a payload's 512 bytes is scanned from those bytes
    /// (MALFORMED, as `--payload` would be) and reading stops there, so a
    /// huge file is never read, let alone held, whole. Returns whether every
    /// scan admitted.
    pub fn scan_lines(&mut self, input: impl Read, actor: &Actor, gate: &str, each: &mut dyn FnMut(&ScanOutcome)) -> Result<bool> {
        const LIMIT: usize = payload::MAX_LEN + 1;
        let mut r = BufReader::with_capacity(LIMIT, input);
        let mut line = Vec::with_capacity(LIMIT);
        let (mut n, mut all_admitted) = (0u64, true);
        loop {
            line.clear();
            let read = (&mut r).take(LIMIT as u64).read_until(b'\n', &mut line);
            if read.map_err(|e| Error::io("cannot read the scan input", e))? == 0 {
                return Ok(all_admitted);
            }
            n += 1;
            let too_long = line.len() == LIMIT && !line.ends_with(b"\n");
            if line.ends_with(b"\n") {
                line.pop();
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let out = self.scan(&line, actor, gate)?;
            all_admitted &= out.verdict.admits();
            each(&out);
            if too_long {
                return Err(Error::Input(format!(
                    "line {n} is longer than {} bytes, so it is not a gatehouse code; stopped reading there",
                    payload::MAX_LEN
                )));
            }
        }
    }
}

/// The first answer to a retried scan, rebuilt from its scan row and the
/// pass or resident it names.
fn replay(db: &dyn Db, first: ScanRow) -> Result<ScanOutcome> {
    let pass = match &first.subject {
        Some(id) => db.get_pass(id)?,
        None => None,
    };
    let resident = match (&first.subject, &pass) {
        (Some(id), None) => db.get_resident(id)?,
        _ => None,
    };
    let first_use = pass.as_ref().filter(|_| first.verdict == Verdict::AlreadyUsed).map(|p| FirstUse {
        at: p.scanned_at.clone().unwrap_or_default(),
        operator: p.scanned_by.clone().unwrap_or_default(),
        gate: p.gate.clone().unwrap_or_default(),
    });
    Ok(ScanOutcome {
        verdict: first.verdict,
        reason: first.reason,
        at: first.at,
        operator: first.operator,
        gate: first.gate,
        pass,
        resident,
        first_use,
        repeated: first.repeated,
        manual: false,
        warning: None,
        block: first.block,
        note: None,
        persons: None,
    })
}

/// What a scan records: its subject, the people it admits, and its block's data.
type Recorded = (Option<String>, u32, Scan<'static>);

/// A decided scan: the claim it writes with its block, and what it records.
type Planned<'a> = (Claim<'a>, Recorded);

/// The slot rule and the event's local time of this scan.
struct SlotClock {
    rule: SlotRule,
    local: chrono::NaiveDateTime,
    /// The event's offset, for times a verdict names.
    zone: Option<chrono::FixedOffset>,
}

/// What a code names, once its signature checked out.
#[derive(Debug, Clone)]
pub(super) struct Subject {
    pub kind: Kind,
    pub id: uuid::Uuid,
    pub key_id: String,
}

/// A verified subject, or the verdict and reason that refuse the code.
pub(super) type Checked = std::result::Result<Subject, (Verdict, String)>;

/// The key the named row was issued under, if the row exists.
fn row_key(db: &dyn Db, p: &Subject, pass: Option<&Pass>) -> std::result::Result<Option<String>, (Verdict, String)> {
    match p.kind {
        Kind::Pass => Ok(pass.map(|r| r.key_id.clone())),
        Kind::Resident => match db.get_resident(&p.id.to_string()) {
            Ok(r) => Ok(r.map(|r| r.key_id)),
            // Left to `scan_resident`, which reads it again and reports the error.
            Err(_) => Ok(None),
        },
    }
}

/// `found`: the pass `p` names, as last read. The pass type's rule
/// decides: the verdict in `out`, and the claim the scan writes with its
/// block. A first full entry of a `once` pass claims the first admission
/// (one statement); everything else is a compare-and-set of the pass's
/// entry state.
#[allow(clippy::too_many_arguments)]
fn scan_pass<'a>(
    db: &dyn Db,
    p: &Subject,
    found: Option<Pass>,
    rules: &RuleSet,
    cx: &ScanContext<'a>,
    op: &'a str,
    slots: &SlotClock,
    out: &mut ScanOutcome,
) -> Result<Planned<'a>> {
    let id = p.id.to_string();
    let Some(pass) = found else {
        out.verdict = Verdict::Unknown;
        out.reason = "no pass with this id (signed by us, but not in this database)".into();
        return Ok((Claim::Nothing, (Some(id.clone()), 0, Scan::subject(Verdict::Unknown, ScanKind::Pass, id))));
    };
    let persons = pass.persons;
    // A type the rules no longer name is scanned as it was issued: once.
    let unnamed;
    let rule = match rules.type_rule(&pass.pass_type) {
        Some(r) => r,
        None => {
            unnamed = TypeRule {
                name: pass.pass_type.clone(),
                persons,
                price_cents: pass.price_cents,
                entry: Entry::Once,
                days: Vec::new(),
                gates: Vec::new(),
                attention: false,
            };
            &unnamed
        }
    };
    out.note = note_of(&pass, rule);
    let entering = cx.direction == Direction::In;
    if pass.voided_at.is_some() {
        out.verdict = Verdict::Voided;
        out.reason = format!("voided: {}", pass.void_reason.as_deref().unwrap_or("no reason given"));
        out.pass = Some(pass);
        let data = Scan::pass(out.verdict, id.clone(), persons, None);
        return Ok((Claim::Nothing, (Some(id), 0, data)));
    }
    // The day as text only where a rule reads it (not on the fast path).
    let day = if rule.entry == Entry::Daily || !rule.days.is_empty() { cx.day.format("%Y-%m-%d").to_string() } else { String::new() };
    // A use with no count (written by a gatehouse from before the counts)
    // is a whole use.
    let used_whole = pass.entered >= persons || (pass.scanned_at.is_some() && pass.entered == 0);
    if entering && rule.entry == Entry::Once && used_whole {
        return Ok((Claim::Nothing, already_used(&id, persons, pass, slots.zone, out)));
    }
    let mut warning = None;
    if entering {
        let problem = slot::describe(slot::check(&pass.slot, slots.local, &slots.rule))
            .map(|how| format!("slot {}; now {} ({how})", pass.slot, slots.local.format("%Y-%m-%d %H:%M")));
        match problem {
            Some(why) if slots.rule.policy == SlotPolicy::Deny => {
                out.verdict = Verdict::WrongSlot;
                out.reason = format!("wrong slot: {why}");
                out.pass = Some(pass);
                let data = Scan::pass(out.verdict, id.clone(), persons, None);
                return Ok((Claim::Nothing, (Some(id), 0, data)));
            }
            w => warning = w.map(|w| format!("outside its slot: {w}")),
        }
    }
    let fast = entering
        && !rules.capped_at(cx.gate)
        && rule.entry == Entry::Once
        && cx.want.is_none()
        && pass.scanned_at.is_none()
        && rule.admits_at(cx.gate)
        && (rule.days.is_empty() || rule.days.contains(&day));
    if fast {
        out.verdict = Verdict::Admitted;
        out.reason = format!("{} ({} × {})", pass.holders(), pass.pass_type, persons);
        out.warning = warning;
        out.persons = (persons > 1).then_some(Persons { this_scan: persons, of: persons, still_to_come: 0 });
        out.pass = Some(pass);
        let data = Scan::pass(out.verdict, id.clone(), persons, out.warning.clone().map(Into::into));
        let first = FirstAdmission { at: cx.at, by: op, gate: cx.gate };
        return Ok((Claim::First { id: id.clone(), first }, (Some(id), persons, data)));
    }
    // Under a capacity the count is taken first: on PostgreSQL that queues
    // every capped admission here, so the count stays true to the commit.
    let zone_gates: Vec<String> =
        rules.capped_zone(cx.gate).map(|z| z.gates.iter().map(|g| g.trim().to_lowercase()).collect()).unwrap_or_default();
    let counts = if entering && rules.capped_at(cx.gate) { Some(db.inside_counts(&zone_gates)?) } else { None };
    let was = pass.entry_state();
    match rule.decide(persons, &was, cx) {
        Decision::Refuse { verdict: Verdict::AlreadyUsed, .. } => Ok((Claim::Nothing, already_used(&id, persons, pass, slots.zone, out))),
        Decision::Refuse { verdict, reason } => {
            out.verdict = verdict;
            out.reason = reason;
            out.pass = Some(pass);
            let data = Scan::pass(verdict, id.clone(), persons, None);
            Ok((Claim::Nothing, (Some(id), 0, data)))
        }
        Decision::Move { verdict, persons: n, state, left } => {
            if let (Some((venue, zone)), true) = (counts, verdict == Verdict::Admitted) {
                // People of this pass inside already are in the count.
                match rules.capacity_check(cx.gate, n, venue, zone) {
                    Err(why) => {
                        out.verdict = Verdict::AtCapacity;
                        out.reason = why;
                        out.pass = Some(pass);
                        return Ok((Claim::Nothing, (Some(id.clone()), 0, Scan::pass(Verdict::AtCapacity, id, persons, None))));
                    }
                    Ok(w) => warning = warning.or(w),
                }
            }
            let first =
                (verdict == Verdict::Admitted && pass.scanned_at.is_none()).then_some(FirstAdmission { at: cx.at, by: op, gate: cx.gate });
            out.verdict = verdict;
            let admitted = verdict == Verdict::Admitted;
            // Told from the state the claim writes: the claim holds only
            // if the pass is still as read.
            out.reason = if admitted {
                let so_far = if rule.entry == Entry::Reentry { state.inside } else { state.entered };
                let group = if persons > 1 {
                    let rest = if left > 0 { format!(", {left} still to come") } else { String::new() };
                    format!(": {so_far} of {persons}{rest}")
                } else {
                    String::new()
                };
                format!("{} ({} × {}, {}){group}", pass.holders(), pass.pass_type, persons, rule.entry.as_str())
            } else {
                format!("{}: {n} out, {} still inside", pass.holders(), state.inside)
            };
            out.persons = (persons > 1).then_some(Persons { this_scan: n, of: persons, still_to_come: left });
            out.warning = if admitted { warning } else { None };
            out.pass = Some(pass);
            let data = Scan::pass(verdict, id.clone(), n, out.warning.clone().map(Into::into));
            let data = if admitted && rule.entry == Entry::Daily { data.on_day(day) } else { data };
            let claim = Claim::Move { id: id.clone(), was, now: state, first };
            Ok((claim, (Some(id), if admitted { n } else { 0 }, data)))
        }
    }
}

/// What the gate must see: the pass's own note, or its type's flag.
fn note_of(pass: &Pass, rule: &TypeRule) -> Option<String> {
    match (&pass.note, rule.attention) {
        (Some(n), _) if !n.is_empty() => Some(n.clone()),
        (_, true) => Some(format!("{}: check this pass with care", rule.name)),
        _ => None,
    }
}

/// ALREADY_USED with the first use, from `first` as last read; its time
/// as a person reads it, in the event's `zone`.
fn already_used(id: &str, persons: u32, first: Pass, zone: Option<chrono::FixedOffset>, out: &mut ScanOutcome) -> Recorded {
    out.verdict = Verdict::AlreadyUsed;
    let fu = FirstUse {
        at: first.scanned_at.clone().unwrap_or_default(),
        operator: first.scanned_by.clone().unwrap_or_default(),
        gate: first.gate.clone().unwrap_or_default(),
    };
    let when = crate::domain::clock::local_text(&fu.at, zone, "%Y-%m-%d %H:%M:%S %:z");
    out.reason = format!("already used at {when} by {} at {}", fu.operator, fu.gate);
    out.first_use = Some(fu);
    out.pass = Some(first);
    let data = Scan::pass(Verdict::AlreadyUsed, id.to_string(), persons, None);
    (Some(id.to_string()), 0, data)
}

/// A resident card: the `reentry` rule with no limits, over the same
/// evaluator. A gate with a direction records it; a gate with none set (or
/// `both`, without an exit) toggles, as cards always have.
fn scan_resident(
    db: &dyn Db,
    p: &Subject,
    cx: &ScanContext,
    toggles: bool,
    now: chrono::DateTime<chrono::Utc>,
    window: chrono::Duration,
    out: &mut ScanOutcome,
) -> Result<Planned<'static>> {
    use crate::domain::resident::Presence;
    let id = p.id.to_string();
    let Some(r) = db.get_resident(&id)? else {
        out.verdict = Verdict::Unknown;
        out.reason = "no resident with this id (signed by us, but not in this database)".into();
        return Ok((Claim::Nothing, (Some(id.clone()), 0, Scan::subject(Verdict::Unknown, ScanKind::Resident, id))));
    };
    if !r.active {
        out.verdict = Verdict::ResidentInactive;
        out.reason = format!("{} ({}) is no longer an active resident", r.name, r.room);
        out.resident = Some(r);
        return Ok((Claim::Nothing, (Some(id.clone()), 0, Scan::subject(Verdict::ResidentInactive, ScanKind::Resident, id))));
    }
    // Anti-passback: the same card again inside the window is one pass
    // through the gate read twice, not an IN followed by an OUT.
    let recent = r.last_scan_at.as_deref().and_then(parse_stamp).is_some_and(|t| now - t < window && now >= t);
    let status = if recent {
        out.repeated = true;
        r.status
    } else {
        let inside = EntryState { inside: u32::from(r.status == Presence::In), ..Default::default() };
        let direction = match (toggles && cx.direction == Direction::In, r.status) {
            (true, Presence::In) => Direction::Out,
            (true, Presence::Out) => Direction::In,
            (false, _) => cx.direction,
        };

        match TypeRule::resident().decide(1, &inside, &ScanContext { direction, ..cx.clone() }) {
            Decision::Move { verdict: Verdict::Exited, .. } => Presence::Out,
            Decision::Move { .. } => Presence::In,
            // Already where this gate records them: recorded again, unchanged.
            Decision::Refuse { .. } => r.status,
        }
    };
    out.verdict = match status {
        Presence::In => Verdict::ResidentIn,
        Presence::Out => Verdict::ResidentOut,
    };
    out.reason = if recent {
        format!("{} ({}): repeated read, still {}", r.name, r.room, status.as_str())
    } else {
        format!("{} ({}) is now {}", r.name, r.room, status.as_str())
    };
    // A card read twice changes nothing; any other read is recorded, even
    // where it leaves the card as it was.
    let claim = if recent { Claim::Nothing } else { Claim::Card { id: id.clone(), status } };
    let last_scan_at = if recent { r.last_scan_at.clone() } else { Some(cx.at.to_string()) };
    out.resident = Some(crate::domain::resident::Resident { status, last_scan_at, ..r });
    let data = Scan::resident(out.verdict, id.clone(), recent);
    Ok((claim, (Some(id), 0, data)))
}
