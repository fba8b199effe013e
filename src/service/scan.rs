//! The scan: one function from payload to verdict, for every front end.
//! The tag is checked before the database is touched; the verdict, the state
//! change and the ledger block then commit in one IMMEDIATE transaction, so
//! of two racing scans of one pass exactly one is ADMITTED.
//!
//! Each scan carries a nonce. The scan row records it (unique), so a scan
//! retried after a dropped connection is answered from that row, with
//! nothing recorded twice.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::Gatehouse;
use crate::domain::clock::{parse_stamp, stamp};
use crate::domain::ledger::to_hex;
use crate::domain::payload::{self, Kind, Payload};
use crate::domain::scan::{FirstUse, ScanOutcome, Verdict};
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
        match self.scan_once(raw, actor, gate, nonce) {
            Err(Error::PgConnection(why)) => {
                tracing::warn!(%why, "connection lost during a scan; retrying with the same nonce");
                self.scan_once(raw, actor, gate, nonce)
            }
            other => other,
        }
    }

    fn scan_once(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str) -> Result<ScanOutcome> {
        let now = self.clock.now();
        let at = stamp(now);
        // Constant-time tag check first; a bad code never reaches a lookup.
        let checked: std::result::Result<Payload, (Verdict, String)> = match payload::parse(raw) {
            Err(m) => Err((Verdict::Malformed, m.to_string())),
            Ok(p) => match p.verify(&self.keys) {
                Ok(()) => Ok(p),
                Err(f) => Err((Verdict::Forged, f.to_string())),
            },
        };
        let window = chrono::Duration::seconds(self.cfg.scan.resident_repeat_window_secs as i64);
        let keys = &self.keys;
        let op = actor.username.as_str();
        self.store.write(|db| {
            if let Some(first) = db.scan_by_nonce(nonce)? {
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
                block: 0,
            };
            let (subject, persons, data) = match checked {
                Err((verdict, reason)) => {
                    out.verdict = verdict;
                    out.reason = reason.clone();
                    // Record what was read without storing it: a fingerprint.
                    let digest = Sha256::digest(raw);
                    let data = json!({"verdict": verdict.as_str(), "reason": reason, "input_len": raw.len(), "input_sha256": to_hex(&digest[..8])});
                    (None, 0, data)
                }
                Ok(p) => match p.kind {
                    Kind::Pass => scan_pass(db, &p, &at, op, gate, &mut out)?,
                    Kind::Resident => scan_resident(db, &p, &at, now, window, &mut out)?,
                },
            };
            out.block = db.append_block(keys, &NewBlock { ts: &at, operator: op, gate, event: "scan", data: &data })?;
            db.record_scan(&ScanRow {
                at: at.clone(),
                operator: op.to_string(),
                gate: gate.to_string(),
                verdict: out.verdict,
                subject,
                persons,
                repeated: out.repeated,
                block: out.block,
                reason: out.reason.clone(),
                nonce: Some(nonce.to_string()),
            })?;
            Ok(out)
        })
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
        block: first.block,
    })
}

type Recorded = (Option<String>, u32, serde_json::Value);

fn scan_pass(db: &dyn Db, p: &Payload, at: &str, op: &str, gate: &str, out: &mut ScanOutcome) -> Result<Recorded> {
    let id = p.id.to_string();
    let Some(pass) = db.get_pass(&id)? else {
        out.verdict = Verdict::Unknown;
        out.reason = "no pass with this id (signed by us, but not in this database)".into();
        return Ok((Some(id.clone()), 0, json!({"verdict": "UNKNOWN", "kind": "pass", "id": id})));
    };
    let persons = pass.persons;
    if pass.voided_at.is_some() {
        out.verdict = Verdict::Voided;
        out.reason = format!("voided: {}", pass.void_reason.as_deref().unwrap_or("no reason given"));
    } else if pass.scanned_at.is_some() || !db.mark_pass_scanned(&id, at, op, gate)? {
        // Re-read: if a racing scan won, its row now holds the first use.
        let first = db.get_pass(&id)?.unwrap_or(pass.clone());
        out.verdict = Verdict::AlreadyUsed;
        let fu = FirstUse {
            at: first.scanned_at.clone().unwrap_or_default(),
            operator: first.scanned_by.clone().unwrap_or_default(),
            gate: first.gate.clone().unwrap_or_default(),
        };
        out.reason = format!("already used at {} by {} at {}", fu.at, fu.operator, fu.gate);
        out.first_use = Some(fu);
        out.pass = Some(first);
        let data = json!({"verdict": "ALREADY_USED", "kind": "pass", "id": id, "persons": persons});
        return Ok((Some(id), 0, data));
    } else {
        out.verdict = Verdict::Admitted;
        out.reason = format!("{} ({} × {})", pass.holders(), pass.pass_type, persons);
    }
    let admitted = out.verdict == Verdict::Admitted;
    out.pass = db.get_pass(&id)?;
    let data = json!({"verdict": out.verdict.as_str(), "kind": "pass", "id": id, "persons": persons});
    Ok((Some(id), if admitted { persons } else { 0 }, data))
}

fn scan_resident(
    db: &dyn Db,
    p: &Payload,
    at: &str,
    now: chrono::DateTime<chrono::Utc>,
    window: chrono::Duration,
    out: &mut ScanOutcome,
) -> Result<Recorded> {
    let id = p.id.to_string();
    let Some(r) = db.get_resident(&id)? else {
        out.verdict = Verdict::Unknown;
        out.reason = "no resident with this id (signed by us, but not in this database)".into();
        return Ok((Some(id.clone()), 0, json!({"verdict": "UNKNOWN", "kind": "resident", "id": id})));
    };
    if !r.active {
        out.verdict = Verdict::ResidentInactive;
        out.reason = format!("{} ({}) is no longer an active resident", r.name, r.room);
        out.resident = Some(r);
        return Ok((Some(id.clone()), 0, json!({"verdict": "RESIDENT_INACTIVE", "kind": "resident", "id": id})));
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
    let data = json!({"verdict": out.verdict.as_str(), "kind": "resident", "id": id, "repeated": recent});
    Ok((Some(id), 0, data))
}
