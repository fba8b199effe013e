//! The scan: one function from payload to verdict, for every front end.
//! The tag is checked before the database is touched; the verdict, the state
//! change and the ledger block then commit in one IMMEDIATE transaction, so
//! of two racing scans of one pass exactly one is ADMITTED.
//!
//! Each scan carries a nonce. The scan row records it (unique), so a scan
//! retried after a dropped connection is answered from that row, with
//! nothing recorded twice.

use std::io::{BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use super::Gatehouse;
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::events::{Event, Scan, ScanKind};
use crate::domain::ledger::to_hex;
use crate::domain::pass::Pass;
use crate::domain::payload::{self, Kind};
use crate::domain::scan::{FirstUse, ScanOutcome, Verdict};
use crate::domain::slot::{self, SlotPolicy, SlotRule};
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{Db, NewBlock, ScanRow};

impl Gatehouse {
    pub fn scan(&mut self, raw: &[u8], actor: &Actor, gate: &str) -> Result<ScanOutcome> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        self.scan_with_nonce(raw, actor, gate, &nonce)
    }

    /// A scan under the caller's nonce. When the connection drops, the scan
    /// is sent once more on a fresh connection with the same nonce: if the
    /// first attempt committed, its answer comes back and nothing is added.
    pub fn scan_with_nonce(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str) -> Result<ScanOutcome> {
        self.scan_as(raw, actor, gate, None, nonce)
    }

    /// The scan; `manual` is the reason (maybe empty) when an operator
    /// checked someone in without their code (see `scan_manual`).
    pub(super) fn scan_as(&mut self, raw: &[u8], actor: &Actor, gate: &str, manual: Option<&str>, nonce: &str) -> Result<ScanOutcome> {
        let checked = self.check_code(raw);
        self.scan_checked(raw, checked, actor, gate, manual, nonce)
    }

    /// Scan what is already known to be ours: a manual check-in names a
    /// row, and needs no code (an operator cannot sign an Ed25519 one).
    pub(super) fn scan_checked(
        &mut self,
        raw: &[u8],
        checked: Checked,
        actor: &Actor,
        gate: &str,
        manual: Option<&str>,
        nonce: &str,
    ) -> Result<ScanOutcome> {
        match self.scan_once(raw, checked.clone(), actor, gate, manual, nonce) {
            Err(e) if e.is_unreachable() => {
                let why = e.cause();
                tracing::warn!(%why, "connection lost during a scan; retrying with the same nonce");
                self.scan_once(raw, checked, actor, gate, manual, nonce)
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

    fn scan_once(&mut self, raw: &[u8], checked: Checked, actor: &Actor, gate: &str, manual: Option<&str>, nonce: &str) -> Result<ScanOutcome> {
        // The gate is stored and shown with every later ALREADY_USED.
        let mut errs = crate::domain::validate::ValidationErrors::default();
        let gate = crate::domain::validate::label(&mut errs, "gate", gate, 64);
        errs.into_result(())?;
        let gate = gate.as_str();
        let now = self.clock.now();
        let at = stamp(now);
        // The code was checked first (`check_code`); a bad one never reaches a lookup.
        let window = chrono::Duration::seconds(self.cfg.scan.resident_repeat_window_secs as i64);
        let slots = SlotClock { rule: self.cfg.slot_rule(), local: self.cfg.local_time(now) };
        let keys = &self.keys;
        let op = actor.username.as_str();
        let pass_id = checked.as_ref().ok().filter(|p| p.kind == Kind::Pass).map(|p| p.id.to_string());
        self.store.write(|db| {
            let (first, pass) = db.scan_lookup(nonce, pass_id.as_deref())?;
            if let Some(first) = first {
                return replay(db, first);
            }
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
            };
            // A code must be signed with the key its row was issued under:
            // an HMAC tag (from a key file on any gate) for a pass issued
            // under an Ed25519 key is a forgery, however well it verifies.
            let checked = checked.and_then(|p| match row_key(db, &p, pass.as_ref())? {
                Some(k) if k != p.key_id => Err((Verdict::Forged, format!("signed with key {}, but issued under key {k}", p.key_id))),
                _ => Ok(p),
            });
            let (subject, persons, data) = match checked {
                Err((verdict, reason)) => {
                    out.verdict = verdict;
                    out.reason = reason.clone();
                    // Record what was read without storing it: a fingerprint.
                    let digest = Sha256::digest(raw);
                    (None, 0, Scan::refused(verdict, reason, raw.len(), to_hex(&digest[..8])))
                }
                Ok(p) => match p.kind {
                    Kind::Pass => scan_pass(db, &p, pass, &at, op, gate, &slots, &mut out)?,
                    Kind::Resident => scan_resident(db, &p, &at, now, window, &mut out)?,
                },
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
                subject,
                persons,
                repeated: out.repeated,
                block: 0,
                reason: out.reason.clone(),
                nonce: Some(nonce.to_string()),
            };
            out.block = db.append_scan(keys, &block, &row)?;
            Ok(out)
        })
    }
}

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
    })
}

type Recorded = (Option<String>, u32, Scan<'static>);

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

/// The slot rule and the event's local time of this scan.
struct SlotClock {
    rule: SlotRule,
    local: chrono::NaiveDateTime,
}

/// `found`: the pass `p` names, as read with the nonce.
#[allow(clippy::too_many_arguments)]
fn scan_pass(
    db: &dyn Db,
    p: &Subject,
    found: Option<Pass>,
    at: &str,
    op: &str,
    gate: &str,
    slots: &SlotClock,
    out: &mut ScanOutcome,
) -> Result<Recorded> {
    let id = p.id.to_string();
    let Some(pass) = found else {
        out.verdict = Verdict::Unknown;
        out.reason = "no pass with this id (signed by us, but not in this database)".into();
        return Ok((Some(id.clone()), 0, Scan::subject(Verdict::Unknown, ScanKind::Pass, id)));
    };
    let persons = pass.persons;
    if pass.voided_at.is_some() {
        out.verdict = Verdict::Voided;
        out.reason = format!("voided: {}", pass.void_reason.as_deref().unwrap_or("no reason given"));
        out.pass = Some(pass);
    } else if pass.scanned_at.is_some() {
        return Ok(already_used(&id, persons, pass, out));
    } else {
        let problem = slot::describe(slot::check(&pass.slot, slots.local, &slots.rule))
            .map(|how| format!("slot {}; now {} ({how})", pass.slot, slots.local.format("%Y-%m-%d %H:%M")));
        match problem {
            Some(why) if slots.rule.policy == SlotPolicy::Deny => {
                out.verdict = Verdict::WrongSlot;
                out.reason = format!("wrong slot: {why}");
                out.pass = Some(pass);
            }
            warning => match db.mark_pass_scanned(&id, at, op, gate)? {
                Some(now) => {
                    out.verdict = Verdict::Admitted;
                    out.reason = format!("{} ({} × {})", now.holders(), now.pass_type, persons);
                    out.warning = warning.map(|w| format!("outside its slot: {w}"));
                    out.pass = Some(now);
                }
                // A racing scan won (or voided it) after our read: show what it wrote.
                None => return Ok(already_used(&id, persons, db.get_pass(&id)?.unwrap_or(pass), out)),
            },
        }
    }
    let admitted = out.verdict == Verdict::Admitted;
    let data = Scan::pass(out.verdict, id.clone(), persons, out.warning.clone().map(Into::into));
    Ok((Some(id), if admitted { persons } else { 0 }, data))
}

/// ALREADY_USED with the first use, from `first` as last read.
fn already_used(id: &str, persons: u32, first: Pass, out: &mut ScanOutcome) -> Recorded {
    out.verdict = Verdict::AlreadyUsed;
    let fu = FirstUse {
        at: first.scanned_at.clone().unwrap_or_default(),
        operator: first.scanned_by.clone().unwrap_or_default(),
        gate: first.gate.clone().unwrap_or_default(),
    };
    out.reason = format!("already used at {} by {} at {}", fu.at, fu.operator, fu.gate);
    out.first_use = Some(fu);
    out.pass = Some(first);
    let data = Scan::pass(Verdict::AlreadyUsed, id.to_string(), persons, None);
    (Some(id.to_string()), 0, data)
}

fn scan_resident(
    db: &dyn Db,
    p: &Subject,
    at: &str,
    now: chrono::DateTime<chrono::Utc>,
    window: chrono::Duration,
    out: &mut ScanOutcome,
) -> Result<Recorded> {
    let id = p.id.to_string();
    let Some(r) = db.get_resident(&id)? else {
        out.verdict = Verdict::Unknown;
        out.reason = "no resident with this id (signed by us, but not in this database)".into();
        return Ok((Some(id.clone()), 0, Scan::subject(Verdict::Unknown, ScanKind::Resident, id)));
    };
    if !r.active {
        out.verdict = Verdict::ResidentInactive;
        out.reason = format!("{} ({}) is no longer an active resident", r.name, r.room);
        out.resident = Some(r);
        return Ok((Some(id.clone()), 0, Scan::subject(Verdict::ResidentInactive, ScanKind::Resident, id)));
    }
    // Anti-passback: the same card again inside the window is one pass
    // through the gate read twice, not an IN followed by an OUT.
    let recent = r.last_scan_at.as_deref().and_then(parse_stamp).is_some_and(|t| now - t < window && now >= t);
    let status = if recent {
        out.repeated = true;
        r.status
    } else {
        let s = r.status.toggled();
        db.set_resident_status(&id, s, at)?;
        s
    };
    out.verdict = match status {
        crate::domain::resident::Presence::In => Verdict::ResidentIn,
        crate::domain::resident::Presence::Out => Verdict::ResidentOut,
    };
    out.reason = if recent {
        format!("{} ({}): repeated read, still {}", r.name, r.room, status.as_str())
    } else {
        format!("{} ({}) is now {}", r.name, r.room, status.as_str())
    };
    out.resident = db.get_resident(&id)?;
    let data = Scan::resident(out.verdict, id.clone(), recent);
    Ok((Some(id), 0, data))
}
