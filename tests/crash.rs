//! kill -9 in the middle of a loop of scans: afterwards the ledger verifies
//! and every admitted pass has its ADMITTED block (and no block is orphaned).

#[macro_use]
mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn admitted_ids(env: &Env) -> (HashSet<String>, HashSet<String>) {
    let passes: HashSet<String> = env.raw_strings("SELECT id FROM passes WHERE scanned_at IS NOT NULL").into_iter().collect();
    let blocks: HashSet<String> = env
        .raw_strings("SELECT data FROM ledger WHERE event = 'scan'")
        .into_iter()
        .filter_map(|d| {
            let v: serde_json::Value = serde_json::from_str(&d).unwrap();
            (v["verdict"] == "ADMITTED").then(|| v["id"].as_str().unwrap().to_string())
        })
        .collect();
    (passes, blocks)
}

both_backends!(kill_9_during_scans_leaves_a_consistent_ledger);

fn kill_9_during_scans_leaves_a_consistent_ledger(b: Backend) {
    let env = Env::on(b);
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
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let n = env.raw_i64("SELECT COUNT(*) FROM scans");
            if n as usize >= last + kill_after || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let n = env.raw_i64("SELECT COUNT(*) FROM scans");
        assert!(n as usize > last, "the scanner made no progress");
        assert!((n as usize) < last + codes.len(), "the kill came after the run had finished");
        last = n as usize;

        let r = env.open().verify_ledger(None, &mut |_| {}).unwrap();
        assert!(r.ok, "after kill at {kill_after}: {r:?}");
        let (passes, blocks) = admitted_ids(&env);
        assert_eq!(passes, blocks, "every admitted pass has exactly its ADMITTED block");
        // Each scan row has its block, and the counts agree.
        assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans"), env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event = 'scan'"));
    }
}
