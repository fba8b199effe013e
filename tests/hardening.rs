//! Hardening (issue 14): the lockout under parallel guesses, sign-in answers
//! that do not tell usernames apart, text that reaches terminals and
//! spreadsheets, private files and bounded reads.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use common::*;
use gatehouse::domain::user::{Role, User};
use gatehouse::service::{Gatehouse, bcrypt_runs_on_this_thread};

const OP_PW: &str = "operator pass 1";

fn user(g: &mut Gatehouse, name: &str) -> User {
    g.list_users().unwrap().into_iter().find(|u| u.username == name).unwrap()
}

fn blocks(g: &mut Gatehouse, event: &str) -> usize {
    g.ledger_blocks(0, 10_000).unwrap().iter().filter(|b| b.event == event).count()
}

/// 30 wrong passwords at once, each thread with its own connection to the
/// same SQLite file: exactly 5 are counted, the fifth locks, one block.
#[test]
fn thirty_parallel_wrong_sign_ins_lock_after_exactly_five() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, OP_PW).unwrap();
    const N: usize = 30;
    let barrier = Arc::new(Barrier::new(N));
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let barrier = barrier.clone();
            let mut gi = env.open();
            std::thread::spawn(move || {
                barrier.wait();
                gi.authenticate("omar", "wrong password").unwrap_err().to_string()
            })
        })
        .collect();
    for h in handles {
        let e = h.join().unwrap();
        assert!(e.contains("wrong username or password"), "{e}");
    }
    let omar = user(&mut g, "omar");
    assert_eq!(omar.failed_attempts, 5, "{omar:?}");
    assert!(omar.locked_until.is_some(), "{omar:?}");
    assert_eq!(blocks(&mut g, "user_locked"), 1);
    let e = g.authenticate("omar", OP_PW).unwrap_err().to_string();
    assert!(e.contains("locked"), "{e}");
    assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok);
}

/// The same through separate processes, lined up behind a held write lock
/// so that their counting transactions race.
#[test]
fn parallel_wrong_sign_ins_in_processes_lock_after_exactly_five() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, OP_PW).unwrap();
    const N: usize = 16;
    let blocker = rusqlite::Connection::open(env.db()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let children: Vec<_> = (0..N)
        .map(|_| {
            Command::new(bin())
                .args(["--data-dir", env.data_dir().to_str().unwrap(), "--user", "omar"])
                .args(["scan", "--payload", "hello"])
                .env("GATEHOUSE_PASSWORD", "wrong password")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Every process has read the user and is past bcrypt well before this.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    blocker.execute_batch("COMMIT").unwrap();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("wrong username or password") || err.contains("busy"), "{err}");
    }
    let omar = user(&mut g, "omar");
    assert_eq!((omar.failed_attempts, omar.locked_until.is_some()), (5, true), "{omar:?}");
    assert_eq!(blocks(&mut g, "user_locked"), 1);
}

/// Unknown, disabled and locked users get the wrong-password answer after
/// exactly one bcrypt run each, like a known user with a wrong password.
/// Only the right password tells a disabled or locked user why.
#[test]
fn unknown_disabled_and_locked_users_cannot_be_told_apart() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    for name in ["real", "dis", "lock"] {
        g.add_user(Some(&admin()), name, name, Role::Operator, OP_PW).unwrap();
    }
    g.set_user_disabled(&admin(), "dis", true).unwrap();
    for _ in 0..5 {
        g.authenticate("lock", "wrong password").unwrap_err();
    }
    assert!(user(&mut g, "lock").locked_until.is_some());

    let attempt = |g: &mut Gatehouse, name: &str, pw: &str| {
        let before = bcrypt_runs_on_this_thread();
        let e = g.authenticate(name, pw).unwrap_err().to_string();
        (e, bcrypt_runs_on_this_thread() - before)
    };
    let answers: Vec<(String, u64)> = ["real", "nobody", "dis", "lock"].iter().map(|n| attempt(&mut g, n, "wrong password")).collect();
    for (e, runs) in &answers {
        assert_eq!((e.as_str(), *runs), ("authentication failed: wrong username or password", 1), "{answers:?}");
    }
    assert_eq!(attempt(&mut g, "nobody", OP_PW).1, 1);
    // Wrong guesses at a disabled or locked user do not change it.
    assert_eq!(user(&mut g, "dis").failed_attempts, 0);
    assert_eq!(user(&mut g, "lock").failed_attempts, 5);
    let (e, runs) = attempt(&mut g, "dis", OP_PW);
    assert!(e.contains("disabled") && runs == 1, "{e} {runs}");
    let (e, runs) = attempt(&mut g, "lock", OP_PW);
    assert!(e.contains("locked") && runs == 1, "{e} {runs}");
}

/// `user unlock` and `user enable` lift a lockout, each with its block.
#[test]
fn unlock_and_enable_lift_a_lockout() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, OP_PW).unwrap();
    let lock = |g: &mut Gatehouse| {
        for _ in 0..5 {
            g.authenticate("omar", "wrong password").unwrap_err();
        }
        assert!(g.authenticate("omar", OP_PW).unwrap_err().to_string().contains("locked"));
    };
    lock(&mut g);
    g.unlock_user(&admin(), "omar").unwrap();
    assert_eq!(g.authenticate("omar", OP_PW).unwrap().username, "omar");
    assert!(g.unlock_user(&admin(), "omar").unwrap_err().to_string().contains("not locked"));
    assert!(g.unlock_user(&operator(), "omar").is_err());
    lock(&mut g);
    g.set_user_disabled(&admin(), "omar", false).unwrap();
    assert_eq!(g.authenticate("omar", OP_PW).unwrap().username, "omar");
    assert_eq!((blocks(&mut g, "user_unlock"), blocks(&mut g, "user_enable"), blocks(&mut g, "user_locked")), (1, 1, 2));
    let enable = g.ledger_blocks(0, 100).unwrap().into_iter().find(|b| b.event == "user_enable").unwrap();
    assert!(enable.data.contains("\"unlocked\":true"), "{}", enable.data);
}
