//! kill -9 in the middle of a loop of scans: afterwards the ledger verifies
//! and every admitted pass has its ADMITTED block (and no block is orphaned).

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use rusqlite::Connection;

fn admitted_ids(db: &std::path::Path) -> (HashSet<String>, HashSet<String>) {
    let c = Connection::open(db).unwrap();
    let passes: HashSet<String> = c
        .prepare("SELECT id FROM passes WHERE scanned_at IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let blocks: HashSet<String> = c
        .prepare("SELECT data FROM ledger WHERE event = 'scan'")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|d| {
            let v: serde_json::Value = serde_json::from_str(&d).unwrap();
            (v["verdict"] == "ADMITTED").then(|| v["id"].as_str().unwrap().to_string())
        })
        .collect();
    (passes, blocks)
}

#[test]
fn kill_9_during_scans_leaves_a_consistent_ledger() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    let codes: Vec<String> = (0..600).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("91{i:08}"))).1).collect();
    drop(g);
    let list = env.dir.path().join("codes.txt");
    std::fs::write(&list, codes.join("\n")).unwrap();

    let mut last = 0;
    for kill_after in [40, 150, 320] {
        let mut child = Command::new(bin())
            .args(["--data-dir", env.data_dir().to_str().unwrap(), "--user", "asha", "scan", "--payload-file"])
            .arg(&list)
            .env("GATEHOUSE_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until this run has committed some scans, then SIGKILL it.
        let c = Connection::open(env.db()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM scans", [], |r| r.get(0)).unwrap();
            if n as usize >= last + kill_after || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let n: i64 = c.query_row("SELECT COUNT(*) FROM scans", [], |r| r.get(0)).unwrap();
        assert!(n as usize > last, "the scanner made no progress");
        assert!((n as usize) < last + codes.len(), "the kill came after the run had finished");
        last = n as usize;

        let r = env.open().verify_ledger(None, &mut |_| {}).unwrap();
        assert!(r.ok, "after kill at {kill_after}: {r:?}");
        let (passes, blocks) = admitted_ids(&env.db());
        assert_eq!(passes, blocks, "every admitted pass has exactly its ADMITTED block");
        // Each scan row has its block, and the counts agree.
        let (scans, scan_blocks): (i64, i64) = c
            .query_row("SELECT (SELECT COUNT(*) FROM scans), (SELECT COUNT(*) FROM ledger WHERE event = 'scan')", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(scans, scan_blocks);
    }
}
