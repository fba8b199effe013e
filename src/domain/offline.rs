//! Pure rules for gates that keep scanning offline (docs/offline.md): which
//! rows a ledger block touches (the change cursor), the IN/OUT merge rule,
//! conflicts as the ledger records them, and the clock-skew measure.

use serde::{Deserialize, Serialize};

use super::clock::parse_stamp;
use super::events::Event;
use super::ledger::StoredBlock;

/// The events conflicts are listed from, by name, for the store to select
/// (`events::same_bytes` pins them to the enum's names).
pub const CONFLICT: &str = "conflict";
pub const CONFLICT_ACK: &str = "conflict_ack";

/// Default budget for an online answer before the gate decides offline.
pub const DEFAULT_BUDGET_SECS: f64 = 1.5;
/// Default clock-skew limit.
pub const DEFAULT_MAX_SKEW_SECS: f64 = 30.0;

/// What a replica must fetch again after a block. Users are fetched whole
/// on every pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refetch {
    /// The pass or resident rows the block names (none for most others).
    Rows(Vec<String>),
    /// Everything: a restore, or a block this version cannot read (a newer
    /// gatehouse wrote it), so nothing it changed is missed.
    Whole,
}

/// Read through the typed events, so a new event that names a row cannot
/// be forgotten here: the match below is exhaustive.
pub fn refetch(event: &str, data: &str) -> Refetch {
    let Ok(e) = Event::parse(event, data) else { return Refetch::Whole };
    let one = |id: &str| Refetch::Rows(vec![id.to_string()]);
    match &e {
        Event::PassIssue(d) => one(&d.id),
        Event::PassVoid(d) => one(&d.id),
        Event::PassUnscan(d) => one(&d.id),
        Event::ResidentAdd(d) => one(&d.id),
        Event::ResidentDeactivate(d) => one(&d.id),
        Event::Scan(d) => Refetch::Rows(d.id.iter().map(|i| i.to_string()).collect()),
        Event::OfflineScan(d) => Refetch::Rows(d.scan.id.iter().map(|i| i.to_string()).collect()),
        Event::OfflineSeen(d) => Refetch::Rows(d.scan.id.iter().map(|i| i.to_string()).collect()),
        Event::Conflict(d) => one(&d.pass),
        Event::ConflictAck(d) => one(&d.pass),
        Event::Restore(_) => Refetch::Whole,
        // The rules row comes whole with every pull.
        Event::RulesSet(_) => Refetch::Rows(Vec::new()),
        Event::OfflineEvent(_)
        | Event::OfflineSync(_)
        | Event::UserAdd(_)
        | Event::UserLocked(_)
        | Event::UserDisable(_)
        | Event::UserEnable(_)
        | Event::UserUnlock(_)
        | Event::UserPasswd(_)
        | Event::KeyRotate(_)
        | Event::GateToken(_)
        | Event::GateEnrol(_)
        | Event::GateRevoke(_) => Refetch::Rows(Vec::new()),
    }
}

/// The IN/OUT merge rule: a resident toggle made offline at `offline_at`
/// is applied centrally only if it is newer than the resident's last scan
/// there (`central_last`); otherwise it stays history. Last one by
/// original time wins, whichever gate uploads first. Stamps are RFC 3339
/// UTC with a `Z`, so text order is time order.
pub fn resident_toggle_applies(central_last: Option<&str>, offline_at: &str) -> bool {
    central_last.is_none_or(|c| c < offline_at)
}

/// One side of a conflict: who admitted the pass, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    pub at: String,
    pub operator: String,
    pub gate: String,
}

/// A pass admitted offline that the central ledger already held as
/// admitted (or voided) when the offline scan was uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The `conflict` block.
    pub block: u64,
    /// "double_admission", "voided" or "refused".
    pub kind: String,
    pub pass: String,
    pub persons: u32,
    /// The first admission by time (for `voided`: the void).
    pub first: Admission,
    /// The later admission: the offline one uploaded, unless `first_offline`.
    pub second: Admission,
    /// `first` is the offline admission: it came first and took the pass
    /// over from the one the server held.
    pub first_offline: bool,
    /// The admission the server held was an offline upload too.
    pub held_offline: bool,
    /// For "refused": why the server would not take the upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the clash was found (the upload).
    pub found_at: String,
    pub acknowledged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
}

impl Conflict {
    /// A double admission's two sides by the time they happened, not by
    /// which was uploaded first, each with whether it was made offline: the
    /// upload always was, the admission the server held when `held_offline`.
    pub fn in_order(&self) -> [(&Admission, bool); 2] {
        let held = self.held_offline;
        if self.first_offline {
            return [(&self.first, true), (&self.second, held)];
        }
        // Blocks from before `first_offline` kept upload order.
        let swapped = parse_stamp(&self.second.at).zip(parse_stamp(&self.first.at)).is_some_and(|(second, first)| second < first);
        if swapped { [(&self.second, true), (&self.first, held)] } else { [(&self.first, held), (&self.second, true)] }
    }
}

/// Conflicts from `conflict` and `conflict_ack` blocks in ledger order.
pub fn conflicts_from(blocks: &[StoredBlock]) -> Vec<Conflict> {
    let mut out: Vec<Conflict> = Vec::new();
    for b in blocks {
        // A block that does not read is left out, as the audit names it.
        match Event::parse(&b.event, &b.data) {
            Ok(Event::Conflict(d)) => out.push(Conflict {
                block: b.index,
                kind: d.kind.as_str().to_string(),
                pass: d.pass.into_owned(),
                persons: d.persons,
                first: d.first,
                second: d.second,
                first_offline: d.first_offline,
                held_offline: d.held_offline,
                reason: d.reason.map(|r| r.into_owned()),
                found_at: b.ts.clone(),
                acknowledged: false,
                acknowledged_by: None,
            }),
            Ok(Event::ConflictAck(a)) => {
                if let Some(c) = out.iter_mut().find(|c| c.block == a.conflict) {
                    c.acknowledged = true;
                    c.acknowledged_by = Some(b.operator.clone());
                }
            }
            _ => {}
        }
    }
    out
}

/// The gate's clock minus the server's, in seconds, from one round trip:
/// the server's time is taken as read at the midpoint.
pub fn skew_secs(local_before: f64, server: f64, local_after: f64) -> f64 {
    (local_before + local_after) / 2.0 - server
}

pub fn skew_too_large(skew: f64, limit: f64) -> bool {
    skew.abs() > limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_name_the_rows_they_touch() {
        use crate::domain::events::{PassVoid, Scan};
        use crate::domain::scan::Verdict;
        let rows = |v: &[&str]| Refetch::Rows(v.iter().map(|s| s.to_string()).collect());
        let of = |e: Event| {
            let (event, data) = e.to_block().unwrap();
            refetch(event, &data.to_string())
        };
        assert_eq!(of(Event::Scan(Scan::pass(Verdict::Admitted, "p1", 1, None))), rows(&["p1"]));
        assert_eq!(of(Event::Scan(Scan::refused(Verdict::Malformed, "bad", 3, "ab".to_string()))), rows(&[]));
        assert_eq!(of(Event::PassVoid(PassVoid { id: "p3".into(), reason: "refund".into(), was_used: false })), rows(&["p3"]));
        assert_eq!(refetch("user_unlock", r#"{"username":"omar"}"#), rows(&[]));
        // What cannot be read is fetched whole, never skipped.
        assert_eq!(refetch("restore", r#"{}"#), Refetch::Whole);
        assert_eq!(refetch("pass_void", "not json"), Refetch::Whole);
        assert_eq!(refetch("from_a_newer_gatehouse", "{}"), Refetch::Whole);
    }

    #[test]
    fn the_later_toggle_wins() {
        let t1 = "2026-11-21T18:30:00.000000Z";
        let t2 = "2026-11-21T18:31:00.000000Z";
        assert!(resident_toggle_applies(None, t1));
        assert!(resident_toggle_applies(Some(t1), t2));
        assert!(!resident_toggle_applies(Some(t2), t1));
        assert!(!resident_toggle_applies(Some(t1), t1), "a tie keeps what the server holds");
    }

    #[test]
    fn acknowledgements_close_their_conflict() {
        let b = |index, event: &str, data: &str, op: &str| StoredBlock {
            index,
            ts: "t".into(),
            operator: op.into(),
            gate: "g".into(),
            event: event.into(),
            data: data.into(),
            prev_hash: String::new(),
            hash: String::new(),
            key_id: String::new(),
            signature: String::new(),
        };
        let c = r#"{"kind":"double_admission","pass":"p","persons":2,"first":{"at":"1","operator":"a","gate":"A"},"second":{"at":"2","operator":"b","gate":"B"},"offline_block":4}"#;
        let ack = r#"{"conflict":5,"pass":"p"}"#;
        let list = conflicts_from(&[b(5, CONFLICT, c, "b"), b(6, CONFLICT, c, "b"), b(7, CONFLICT_ACK, ack, "asha")]);
        assert_eq!(list.len(), 2);
        assert!(list[0].acknowledged && list[0].acknowledged_by.as_deref() == Some("asha"));
        assert!(!list[1].acknowledged);
        assert_eq!(list[1].second.gate, "B");
    }

    #[test]
    fn skew_is_measured_at_the_midpoint() {
        assert_eq!(skew_secs(100.0, 70.0, 102.0), 31.0);
        assert!(skew_too_large(-31.0, 30.0) && !skew_too_large(29.9, 30.0));
    }
}
