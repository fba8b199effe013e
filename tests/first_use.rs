//! Any number of gatehouse processes may open a fresh database at once:
//! its migrations are taken under a lock and re-read inside it, so each
//! step runs once. Eight processes start together, twenty times, on a
//! fresh SQLite file and on a PostgreSQL gate's fresh replica.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

const PROCESSES: usize = 8;
const ROUNDS: usize = 20;

/// Start `PROCESSES` copies of `gatehouse ARGS` before waiting for any.
fn all_at_once(args: &[&str]) -> Vec<Output> {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(bin())
                .args(args)
                .env_remove("PGPASSWORD")
                .env_remove("GATEHOUSE_DATABASE_URL")
                .env("PGPASSFILE", "/nonexistent")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children.into_iter().map(|c| c.wait_with_output().unwrap()).collect()
}

fn assert_all_succeeded(round: usize, outs: &[Output]) {
    for o in outs {
        assert!(o.status.success(), "round {round}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }
}

/// A SQLite file with nothing in it yet: what a first start sees.
fn fresh_file(db: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    std::fs::write(db, b"").unwrap();
}

#[test]
fn eight_processes_opening_a_fresh_sqlite_file_all_succeed() {
    let env = Env::new();
    let dir = env.data_dir().to_str().unwrap().to_string();
    for round in 0..ROUNDS {
        fresh_file(&env.db());
        let outs = all_at_once(&["--data-dir", &dir, "stats", "--json"]);
        assert_all_succeeded(round, &outs);
        // Migrated once: a twice-applied step would have failed a process,
        // and a skipped one would leave the schema short.
        let version = env.raw_i64("PRAGMA user_version");
        assert!(version >= 3, "round {round}: schema version {version}");
        let mut g = env.open();
        assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok, "round {round}");
        assert_eq!(g.stats().unwrap().passes_issued, 0);
    }
    // The file still takes a whole scan after the race.
    let mut g = env.open();
    let (_, code) = issue(&mut g, &single("After Race", "9000000501"));
    assert_eq!(g.scan(code.as_bytes(), &operator(), "Main").unwrap().verdict, gatehouse::domain::scan::Verdict::Admitted);
}

#[test]
fn eight_processes_opening_a_fresh_replica_all_succeed() {
    let env = Env::on(Backend::Postgres);
    let dir = env.data_dir().to_str().unwrap().to_string();
    let replica = env.data_dir().join("replica.sqlite");
    for round in 0..ROUNDS {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", replica.display()));
        }
        let outs = all_at_once(&["--data-dir", &dir, "db", "status", "--json"]);
        assert_all_succeeded(round, &outs);
        for o in &outs {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(v["online"], true, "round {round}: {v}");
        }
        let c = rusqlite::Connection::open(&replica).unwrap();
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert!(version >= 3, "round {round}: replica schema version {version}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&replica).unwrap().permissions().mode() & 0o777, 0o600, "round {round}");
    }
}
