//! Every kind of tampering with the ledger table is caught and named, by the
//! library and by `gatehouse ledger verify` (exit 1).

#[macro_use]
mod common;

use std::process::Command;

use common::*;
use gatehouse::domain::ledger::{Problem, VerifyReport};

both_backends!(
    intact_ledger_verifies_with_and_without_head,
    edited_row_is_named,
    edited_operator_or_time_is_named,
    deleted_block_is_missing,
    reordered_blocks_are_named,
    inserted_blocks_are_caught,
    truncation_is_caught_against_a_recorded_head,
);

/// A data directory with a ledger of 8 blocks: 4 issues and 4 scans.
fn ledger_of_eight(b: Backend) -> Env {
    let env = Env::on(b);
    let mut g = env.open();
    let codes: Vec<String> = (0..4).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("900000000{i}"))).1).collect();
    for c in &codes {
        g.scan(c.as_bytes(), &operator(), "N").unwrap();
    }
    assert_eq!(g.ledger_count().unwrap(), 8);
    env
}

fn verify(env: &Env, head: Option<&str>) -> VerifyReport {
    env.open().verify_ledger(head.map(|h| h.parse().unwrap()), &mut |_| {}).unwrap()
}

/// The same SQL on either backend: a tamperer's edit.
fn sql(env: &Env, s: &str) {
    env.raw_sql(s, s);
}

fn cli_verify(env: &Env, extra: &[&str]) -> (i32, String) {
    let out = Command::new(bin()).args(["--data-dir", env.data_dir().to_str().unwrap(), "ledger", "verify"]).args(extra).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn intact_ledger_verifies_with_and_without_head(b: Backend) {
    let env = ledger_of_eight(b);
    let r = verify(&env, None);
    assert!(r.ok);
    let head = format!("{}:{}", r.head_index.unwrap(), r.head_hash.unwrap());
    assert!(verify(&env, Some(&head)).ok);
    let (code, out) = cli_verify(&env, &["--expect-head", &head]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: 8 blocks"), "{out}");
}

fn edited_row_is_named(b: Backend) {
    let env = ledger_of_eight(b);
    sql(&env, "UPDATE ledger SET data = replace(data, 'Guest 2', 'Guest X') WHERE idx = 2");
    assert_eq!(verify(&env, None).problem, Some(Problem::Edited { index: 2 }));
    let (code, out) = cli_verify(&env, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("block 2 was edited"), "{out}");
}

fn edited_operator_or_time_is_named(b: Backend) {
    let env = ledger_of_eight(b);
    sql(&env, "UPDATE ledger SET operator = 'mallory' WHERE idx = 5");
    assert_eq!(verify(&env, None).problem, Some(Problem::Edited { index: 5 }));
    let env = ledger_of_eight(b);
    sql(&env, "UPDATE ledger SET ts = '2026-01-01T00:00:00.000000Z' WHERE idx = 6");
    assert_eq!(verify(&env, None).problem, Some(Problem::Edited { index: 6 }));
}

fn deleted_block_is_missing(b: Backend) {
    let env = ledger_of_eight(b);
    sql(&env, "DELETE FROM ledger WHERE idx = 3");
    assert_eq!(verify(&env, None).problem, Some(Problem::Missing { from: 3, to: 3 }));
    let (code, out) = cli_verify(&env, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("missing"), "{out}");
}

fn reordered_blocks_are_named(b: Backend) {
    let env = ledger_of_eight(b);
    // Swap the storage positions of blocks 4 and 5.
    sql(
        &env,
        "UPDATE ledger SET seq = -1 WHERE idx = 4; UPDATE ledger SET seq = 5 WHERE idx = 5; UPDATE ledger SET seq = 6 WHERE seq = -1;",
    );
    let (a, c) = (env.raw_i64("SELECT seq FROM ledger WHERE idx = 4"), env.raw_i64("SELECT seq FROM ledger WHERE idx = 5"));
    assert!(a > c, "swap did not happen: {a} {c}");
    assert_eq!(verify(&env, None).problem, Some(Problem::Reordered { position: 4, expected: 4, found: 5 }));
    let (code, out) = cli_verify(&env, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("reordered"), "{out}");
}

fn inserted_blocks_are_caught(b: Backend) {
    // A copy of an existing block inserted in the middle.
    let env = ledger_of_eight(b);
    sql(
        &env,
        "UPDATE ledger SET seq = seq + 100 WHERE idx >= 4;
               INSERT INTO ledger (seq, idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
                 SELECT 50, idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig FROM ledger WHERE idx = 2;",
    );
    assert_eq!(verify(&env, None).problem, Some(Problem::Reordered { position: 4, expected: 4, found: 2 }));

    // A forged block appended at the end: its hash is right, as anyone can
    // compute SHA-256, but it cannot be signed without the key.
    let env = ledger_of_eight(b);
    let mut g = env.open();
    let head = g.ledger_head().unwrap().unwrap();
    let prev = gatehouse::domain::ledger::from_hex(&head.1).unwrap();
    let f = gatehouse::domain::ledger::BlockFields {
        index: 8,
        ts: "2026-11-21T20:00:00.000000Z",
        operator: "mallory",
        gate: "N",
        event: "scan",
        data: "{\"verdict\":\"ADMITTED\"}",
        prev_hash: &prev,
        key_id: "01",
    };
    let hash = gatehouse::domain::ledger::to_hex(&f.hash());
    sql(
        &env,
        &format!(
            "INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig) VALUES (8, '{}', 'mallory', 'N', 'scan', '{}', '{}', '{hash}', '01', '{}')",
            f.ts,
            f.data,
            head.1,
            "00".repeat(32)
        ),
    );
    assert_eq!(verify(&env, None).problem, Some(Problem::BadSignature { index: 8 }));
    let (code, out) = cli_verify(&env, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("bad signature"), "{out}");
}

fn truncation_is_caught_against_a_recorded_head(b: Backend) {
    let env = ledger_of_eight(b);
    let r = verify(&env, None);
    let head = format!("{}:{}", r.head_index.unwrap(), r.head_hash.unwrap());
    sql(&env, "DELETE FROM ledger WHERE idx >= 6");
    // Without the recorded head a clean truncation looks intact...
    assert!(verify(&env, None).ok);
    // ...with it, it does not.
    assert_eq!(verify(&env, Some(&head)).problem, Some(Problem::Truncated { expected: 7, last: Some(5) }));
    let (code, out) = cli_verify(&env, &["--expect-head", &head]);
    assert_eq!(code, 1);
    assert!(out.contains("truncated"), "{out}");
    // A head whose hash differs (a rewritten history) is also named.
    let env2 = ledger_of_eight(b);
    let other = format!("7:{}", "ab".repeat(32));
    assert!(matches!(verify(&env2, Some(&other)).problem, Some(Problem::HeadMismatch { index: 7, .. })));
}

#[test]
fn sqlite3_cli_edit_is_caught() {
    // The same edit an insider would make with the sqlite3 tool, if present.
    if Command::new("sqlite3").arg("-version").output().is_err() {
        eprintln!("sqlite3 tool not installed; the rusqlite edits above cover this");
        return;
    }
    let env = ledger_of_eight(Backend::Sqlite);
    let st = Command::new("sqlite3")
        .arg(env.db())
        .arg("UPDATE passes SET scanned_at = NULL; UPDATE ledger SET data = replace(data, 'ADMITTED', 'UNKNOWN') WHERE idx = 4;")
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(verify(&env, None).problem, Some(Problem::Edited { index: 4 }));
}
