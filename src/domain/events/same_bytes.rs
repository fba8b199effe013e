//! Each event, written both ways: the `json!` value its writer built before
//! this enum existed, and the enum. The bytes must match, or ledgers written
//! before would no longer verify; and each must read back as it was written.

use serde_json::{Map, Value, json};

use super::*;
use crate::domain::ledger::StoredBlock;
use crate::domain::offline::Admission;
use crate::domain::scan::Verdict;

const ID: &str = "1e1e1e1e-0000-4000-8000-00000000000a";

/// The old block (name and `json!` data) against the enum's, byte for byte,
/// and the enum read back from those bytes.
fn same(old_name: &str, old: Value, new: Event) {
    let (name, data) = new.to_block().expect("encodes");
    assert_eq!(name, old_name);
    let text = data.to_string();
    assert_eq!(text, old.to_string(), "{old_name}");
    let back = Event::parse(name, &text).expect("reads back");
    if !matches!(new, Event::OfflineEvent(_)) {
        assert_eq!(back, new, "{old_name}");
    }
    // serde's own tagging agrees with `name` and `parse`.
    let tagged = serde_json::to_value(&new).expect("encodes");
    assert_eq!(tagged, json!({"event": old_name, "data": old}));
}

fn admission(gate: &str) -> Admission {
    Admission { at: "2026-11-21T18:30:00.000000Z".into(), operator: "omar".into(), gate: gate.into() }
}

#[test]
fn pass_events_write_what_json_wrote() {
    for (holder2, txn, phones) in [(None, None, None), (Some("Ravi"), Some("UPI-1"), Some("0a1b"))] {
        let old = json!({
            "id": ID, "type": "COUPLE", "persons": 2,
            "holder": "Asha", "holder2": holder2,
            "price_cents": 150000, "payment": "ONLINE",
            "txn": txn, "slot": "2026-12-31 20:00",
            "phones": phones,
        });
        let new = PassIssue {
            id: ID.into(),
            pass_type: "COUPLE".into(),
            persons: 2,
            holder: "Asha".into(),
            holder2: holder2.map(Into::into),
            price_cents: 150000,
            payment: "ONLINE".into(),
            txn: txn.map(Into::into),
            slot: "2026-12-31 20:00".into(),
            phones: phones.map(Into::into),
            note: None,
            code_key: None,
        };
        same("pass_issue", old, Event::PassIssue(new));
    }
    same(
        "pass_void",
        json!({"id": ID, "reason": "refund \"late\"", "was_used": true}),
        Event::PassVoid(PassVoid { id: ID.into(), reason: "refund \"late\"".into(), was_used: true }),
    );
    for (by, gate) in [(None, None), (Some("omar"), Some("North"))] {
        let old = json!({"id": ID, "reason": "mistake", "scanned_at": "t1", "scanned_by": by, "gate": gate});
        let new = PassUnscan {
            id: ID.into(),
            reason: "mistake".into(),
            scanned_at: "t1".into(),
            scanned_by: by.map(Into::into),
            gate: gate.map(Into::into),
        };
        same("pass_unscan", old, Event::PassUnscan(new));
    }
}

/// Every shape `service::scan` wrote, with and without the manual marks.
fn scans() -> Vec<(Value, Scan<'static>)> {
    let v = |verdict: Verdict| verdict.as_str();
    let mut all = vec![
        (
            json!({"verdict": v(Verdict::Malformed), "reason": "not a gatehouse code", "input_len": 7, "input_sha256": "00ff00ff00ff00ff"}),
            Scan::refused(Verdict::Malformed, "not a gatehouse code", 7, "00ff00ff00ff00ff".into()),
        ),
        (
            json!({"verdict": v(Verdict::Forged), "reason": "bad tag", "input_len": 80, "input_sha256": "0102030405060708"}),
            Scan::refused(Verdict::Forged, "bad tag", 80, "0102030405060708".into()),
        ),
        (json!({"verdict": "UNKNOWN", "kind": "pass", "id": ID}), Scan::subject(Verdict::Unknown, ScanKind::Pass, ID)),
        (json!({"verdict": "UNKNOWN", "kind": "resident", "id": ID}), Scan::subject(Verdict::Unknown, ScanKind::Resident, ID)),
        (
            json!({"verdict": "RESIDENT_INACTIVE", "kind": "resident", "id": ID}),
            Scan::subject(Verdict::ResidentInactive, ScanKind::Resident, ID),
        ),
        (json!({"verdict": "ALREADY_USED", "kind": "pass", "id": ID, "persons": 3}), Scan::pass(Verdict::AlreadyUsed, ID, 3, None)),
    ];
    for verdict in [Verdict::Admitted, Verdict::Voided, Verdict::WrongSlot] {
        all.push((json!({"verdict": v(verdict), "kind": "pass", "id": ID, "persons": 2}), Scan::pass(verdict, ID, 2, None)));
    }
    let w = "outside its slot: slot 20:00; now 23:10 (late)";
    all.push((
        json!({"verdict": "ADMITTED", "kind": "pass", "id": ID, "persons": 2, "warning": w}),
        Scan::pass(Verdict::Admitted, ID, 2, Some(w.into())),
    ));
    for (verdict, repeated) in [(Verdict::ResidentIn, false), (Verdict::ResidentOut, true)] {
        let old = json!({"verdict": v(verdict), "kind": "resident", "id": ID, "repeated": repeated});
        all.push((old, Scan::resident(verdict, ID, repeated)));
    }
    let manual: Vec<_> = all
        .iter()
        .map(|(old, new)| {
            let mut old = old.clone();
            if let Some(obj) = old.as_object_mut() {
                obj.insert("manual".into(), json!(true));
                obj.insert("reason".into(), json!("card at home"));
            }
            (old, new.clone().manual("card at home"))
        })
        .collect();
    all.extend(manual);
    all
}

#[test]
fn scans_write_what_json_wrote() {
    for (old, new) in scans() {
        same("scan", old, Event::Scan(new));
    }
}

fn local(index: u64, event: &str, data: &Value) -> StoredBlock {
    StoredBlock {
        index,
        ts: "2026-11-21T18:30:00.000000Z".into(),
        operator: "omar".into(),
        gate: "North".into(),
        event: event.into(),
        data: data.to_string(),
        prev_hash: "ab".repeat(32),
        hash: "cd".repeat(32),
        key_id: "01".into(),
        signature: "ef".repeat(32),
    }
}

/// What `service::sync` built before: the local data with the upload's keys.
fn uploaded_old(b: &StoredBlock) -> Map<String, Value> {
    let mut data: Map<String, Value> = match serde_json::from_str(&b.data) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    data.insert("offline".into(), json!(true));
    data.insert("chain".into(), json!("c1"));
    data.insert(
        "local".into(),
        json!({"index": b.index, "hash": b.hash, "prev_hash": b.prev_hash, "event": b.event, "data": b.data, "key_id": b.key_id}),
    );
    data
}

fn upload<'a>(b: &'a StoredBlock, nonce: Option<&'a str>) -> Upload<'a> {
    Upload { offline: true, chain: "c1".into(), local: LocalBlock::of(b), nonce: nonce.map(Into::into) }
}

#[test]
fn offline_uploads_write_what_json_wrote() {
    let nonce = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    for (i, (old_scan, new_scan)) in scans().into_iter().enumerate() {
        let b = local(i as u64, "scan", &old_scan);
        for (applied, conflict) in [(true, false), (false, false), (false, true)] {
            let mut old = uploaded_old(&b);
            old.insert("nonce".into(), json!(nonce));
            old.insert("applied".into(), json!(applied));
            if conflict {
                old.insert("conflict".into(), json!(true));
            }
            let new = OfflineScan { scan: new_scan.clone(), upload: upload(&b, Some(nonce)), applied, conflict };
            same("offline_scan", Value::Object(old), Event::OfflineScan(new));
        }
        // A scan the gate recorded with no nonce.
        let mut old = uploaded_old(&b);
        old.insert("applied".into(), json!(false));
        let new = OfflineScan { scan: new_scan.clone(), upload: upload(&b, None), applied: false, conflict: false };
        same("offline_scan", Value::Object(old), Event::OfflineScan(new));

        let mut old = uploaded_old(&b);
        old.insert("nonce".into(), json!(nonce));
        old.insert("online_block".into(), json!(41));
        let new = OfflineSeen { scan: new_scan, upload: upload(&b, Some(nonce)), online_block: 41 };
        same("offline_seen", Value::Object(old), Event::OfflineSeen(new));
    }
    let lockout = json!({"username": "omar", "failed_attempts": 5, "until": "2026-11-21T18:35:00.000000Z"});
    for b in [local(3, "user_locked", &lockout), StoredBlock { data: "not json".into(), ..local(4, "user_locked", &lockout) }] {
        let local_data = match serde_json::from_str(&b.data) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let new = OfflineEvent { local_data, upload: upload(&b, None) };
        same("offline_event", Value::Object(uploaded_old(&b)), Event::OfflineEvent(new));
    }
    for skew in [None, Some(-1.25)] {
        let old = json!({
            "chain": "c1", "local_from": 3, "local_to": 9, "local_head_index": 9, "local_head_hash": "cd".repeat(32),
            "uploaded": 6, "skipped": 1, "conflicts": 0, "clock_skew_secs": skew,
        });
        let new = OfflineSync {
            chain: "c1".into(),
            local_from: 3,
            local_to: 9,
            local_head_index: 9,
            local_head_hash: "cd".repeat(32).into(),
            uploaded: 6,
            skipped: 1,
            conflicts: 0,
            clock_skew_secs: skew,
            local_to_hash: None,
            refused: None,
        };
        same("offline_sync", old, Event::OfflineSync(new));
    }
}

#[test]
fn conflicts_write_what_json_wrote() {
    for (kind, old_kind) in [(ConflictKind::DoubleAdmission, "double_admission"), (ConflictKind::Voided, "voided")] {
        let (first, second) = (admission(if kind == ConflictKind::Voided { "" } else { "South" }), admission("North"));
        let old = json!({"kind": old_kind, "pass": ID, "persons": 2, "first": first, "second": second, "offline_block": 17});
        let new = Conflict {
            kind,
            pass: ID.into(),
            persons: 2,
            first,
            second,
            offline_block: 17,
            first_offline: false,
            held_offline: false,
            reason: None,
        };
        same("conflict", old, Event::Conflict(new));
    }
    let ack = Event::ConflictAck(ConflictAck { conflict: 17, pass: ID.into() });
    same("conflict_ack", json!({"conflict": 17, "pass": ID}), ack.clone());
    // The store selects conflicts by these names.
    assert_eq!(ack.name(), crate::domain::offline::CONFLICT_ACK);
    assert_eq!("conflict", crate::domain::offline::CONFLICT);
}

#[test]
fn user_events_write_what_json_wrote() {
    same(
        "user_add",
        json!({"username": "omar", "display_name": "Omar K", "role": "operator"}),
        Event::UserAdd(UserAdd { username: "omar".into(), display_name: "Omar K".into(), role: "operator".into() }),
    );
    same(
        "user_locked",
        json!({"username": "omar", "failed_attempts": 5, "until": "2026-11-21T18:35:00.000000Z"}),
        Event::UserLocked(UserLocked { username: "omar".into(), failed_attempts: 5, until: "2026-11-21T18:35:00.000000Z".into() }),
    );
    for unlocked in [false, true] {
        let old = json!({"username": "omar", "unlocked": unlocked});
        same("user_disable", old.clone(), Event::UserDisable(UserToggle { username: "omar".into(), unlocked }));
        same("user_enable", old, Event::UserEnable(UserToggle { username: "omar".into(), unlocked }));
    }
    for until in [None, Some("2026-11-21T18:35:00.000000Z")] {
        let old = json!({"username": "omar", "was_locked_until": until});
        same("user_unlock", old, Event::UserUnlock(UserUnlock { username: "omar".into(), was_locked_until: until.map(Into::into) }));
    }
    same("user_passwd", json!({"username": "omar"}), Event::UserPasswd(UserPasswd { username: "omar".into() }));
    same("key_rotate", json!({"key_id": "02"}), Event::KeyRotate(KeyRotate { key_id: "02".into(), public: None }));
}

#[test]
fn resident_and_restore_events_write_what_json_wrote() {
    for details in [None, Some("77aa")] {
        let old = json!({"id": ID, "name": "Ravi Rao", "room": "B-204", "floor": "2", "details": details});
        let new = ResidentAdd {
            id: ID.into(),
            name: "Ravi Rao".into(),
            room: "B-204".into(),
            floor: "2".into(),
            details: details.map(Into::into),
            code_key: None,
        };
        same("resident_add", old, Event::ResidentAdd(new));
    }
    same(
        "resident_deactivate",
        json!({"id": ID, "reason": "moved out"}),
        Event::ResidentDeactivate(ResidentDeactivate { id: ID.into(), reason: "moved out".into() }),
    );
    for (replaced, restored, forced) in [(None, None, false), (Some("9:ab"), Some("8:cd"), true)] {
        let old = json!({
            "from": "/backups/gate.db", "blocks": 9, "replaced_head": replaced, "restored_head": restored,
            "lost_blocks": 1, "lost_passes": 0, "forced": forced,
        });
        let new = Restore {
            from: "/backups/gate.db".into(),
            blocks: 9,
            replaced_head: replaced.map(Into::into),
            restored_head: restored.map(Into::into),
            lost_blocks: 1,
            lost_passes: 0,
            forced,
        };
        same("restore", old, Event::Restore(new));
    }
}

/// Blocks as older versions wrote them, before a field was added: they
/// still read, so their ledgers still pass the audit.
#[test]
fn blocks_from_older_versions_still_read() {
    let old = [
        (
            "pass_issue",
            r#"{"holder":"A","holder2":null,"id":"p","payment":"CASH","persons":1,"price_cents":0,"slot":"","txn":null,"type":"SINGLE"}"#,
        ),
        ("resident_add", r#"{"floor":"2","id":"r","name":"R","room":"B-2"}"#),
        ("user_locked", r#"{"until":"t","username":"omar"}"#),
        ("user_disable", r#"{"username":"omar"}"#),
        ("user_enable", r#"{"username":"omar"}"#),
        ("restore", r#"{"blocks":9,"from":"/backups/gate.db"}"#),
    ];
    for (event, data) in old {
        assert!(Event::parse(event, data).is_ok(), "{event}: {:?}", Event::parse(event, data));
    }
}

#[test]
fn an_unknown_event_or_data_that_does_not_fit_is_an_error() {
    assert!(matches!(Event::parse("pass_teleport", "{}"), Err(EventError::Unknown(_))));
    assert!(matches!(Event::parse("scan", "not json"), Err(EventError::Data { event: "scan", .. })));
    assert!(matches!(Event::parse("pass_void", r#"{"id":"p","reason":"r"}"#), Err(EventError::Data { .. })));
    assert!(matches!(Event::parse("scan", r#"{"verdict":"WAVED_THROUGH"}"#), Err(EventError::Data { .. })));
}

#[test]
fn strings_are_borrowed_from_the_block_unless_escaped() {
    let text = format!(r#"{{"id":"{ID}","reason":"a \"quoted\" reason","was_used":false}}"#);
    let Ok(Event::PassVoid(v)) = Event::parse("pass_void", &text) else { panic!("reads") };
    assert!(matches!(v.id, std::borrow::Cow::Borrowed(_)));
    assert!(matches!(v.reason, std::borrow::Cow::Owned(_)));
}

/// The rules block is new: its bytes are pinned here from the start, the
/// whole rule set with sorted keys and defaults left out.
#[test]
fn rules_set_writes_its_rules_whole() {
    use crate::domain::pass::PassType;
    use crate::domain::rules::{Entry, RuleSet};
    let mut rules = RuleSet::seed(&[PassType { name: "SINGLE".into(), persons: 1, price_cents: 54900 }]);
    let old = json!({
        "digest": "ab12",
        "rules": {"types": [{"entry": "once", "name": "SINGLE", "persons": 1, "price_cents": 54900}]},
        "seed": true,
    });
    same("rules_set", old, Event::RulesSet(RulesSet { digest: "ab12".into(), rules: rules.clone(), seed: true }));
    rules.types[0].entry = Entry::Reentry;
    rules.types[0].gates = vec!["VIP".into()];
    rules.capacity = Some(500);
    let old = json!({
        "digest": "cd34",
        "rules": {"capacity": 500, "types": [{"entry": "reentry", "gates": ["VIP"], "name": "SINGLE", "persons": 1, "price_cents": 54900}]},
    });
    same("rules_set", old, Event::RulesSet(RulesSet { digest: "cd34".into(), rules, seed: false }));
}
