//! First use is atomic: of many scans racing for one pass, exactly one is
//! ADMITTED, whether they race in threads or in separate processes.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use common::*;
use gatehouse::domain::scan::Verdict;

#[test]
fn threads_racing_for_one_pass_admit_exactly_once() {
    let env = Env::new();
    let mut g = env.open();
    const N: usize = 8;
    for round in 0..5 {
        let (_, code) = issue(&mut g, &single(&format!("Racer {round}"), &format!("90000000{round:02}")));
        let barrier = Arc::new(Barrier::new(N));
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let (barrier, code) = (barrier.clone(), code.clone());
                // Each thread has its own connection, like separate gates.
                let mut gi = env.open();
                std::thread::spawn(move || {
                    barrier.wait();
                    gi.scan(code.as_bytes(), &operator(), &format!("Gate {i}")).unwrap().verdict
                })
            })
            .collect();
        let verdicts: Vec<Verdict> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let admitted = verdicts.iter().filter(|v| **v == Verdict::Admitted).count();
        assert_eq!(admitted, 1, "round {round}: {verdicts:?}");
        assert!(verdicts.iter().all(|v| matches!(v, Verdict::Admitted | Verdict::AlreadyUsed)));
    }
    let r = g.verify_ledger(None, &mut |_| {}).unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.blocks as usize, 5 + 5 * N);
}

#[test]
fn two_processes_racing_for_one_pass_admit_exactly_once() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    drop(g);

    // Hold the write lock so both processes line up behind it, then let go:
    // they reach BEGIN IMMEDIATE at the same moment.
    let blocker = rusqlite::Connection::open(env.db()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let spawn = |gate: &str| {
        Command::new(bin())
            .args(["--data-dir", env.data_dir().to_str().unwrap(), "--user", "asha", "--gate", gate])
            .args(["scan", "--payload", &code, "--json"])
            .env("GATEHOUSE_PASSWORD", PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("East");
    let b = spawn("West");
    // Both sign in (bcrypt) and then wait on the lock (busy timeout 5 s).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    blocker.execute_batch("COMMIT").unwrap();
    let outs: Vec<_> = [a, b].into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut verdicts = Vec::new();
    for o in &outs {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {} {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)));
        verdicts.push((v["verdict"].as_str().unwrap().to_string(), o.status.code()));
    }
    verdicts.sort();
    assert_eq!(verdicts, vec![("ADMITTED".to_string(), Some(0)), ("ALREADY_USED".to_string(), Some(1))]);
    let mut g = env.open();
    let gate = g.get_pass(&p.id).unwrap().gate.unwrap();
    assert!(gate == "East" || gate == "West");
    assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok);
}
