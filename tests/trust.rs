//! Offline gates that cannot be wedged or fooled (issue 22): bounded
//! inputs, a queue no refused item can stop, uploads rebuilt from their
//! signed blocks, an event known by its id, and the files and sign-in
//! around them. Against a real PostgreSQL server (behind a TCP relay where
//! the link must drop) and, for store rules, on both backends.

mod common;

use std::path::Path;

use common::relay::Relay;
use common::*;
use gatehouse::config::Config;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::offline::Gate;
use gatehouse::store::DbUrl;

both_backends!(a_nonce_reused_with_another_code_is_refused_not_replayed, a_nonce_out_of_bounds_is_refused_at_scan_time);

/// A gate on the env's database reached through `relay`, with its own
/// replica in `dir`, on the env's clock.
fn gate(env: &Env, relay: &Relay, dir: &Path, name: &str) -> Gate {
    let mut cfg = Config::load(&env.paths.config).unwrap();
    cfg.gate.name = name.into();
    let keys = gatehouse::keyfile::load(&env.paths.key()).unwrap();
    let url = DbUrl::parse(&pg::server().tcp_url(&env.pg_db(), relay.port)).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    Gate::from_parts(cfg, keys, url, &dir.join("replica.sqlite"), env.clock.clone()).unwrap()
}

fn a_nonce_reused_with_another_code_is_refused_not_replayed(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p1, c1) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (p2, c2) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    g.void_pass(&admin(), &p2.id, "refunded").unwrap();
    let first = g.scan_with_nonce(c1.as_bytes(), &operator(), "North", "nonce-0001").unwrap();
    assert_eq!(first.verdict, Verdict::Admitted);
    // The same code again is a retry: the first answer, nothing recorded.
    let again = g.scan_with_nonce(c1.as_bytes(), &operator(), "North", "nonce-0001").unwrap();
    assert_eq!((again.verdict, again.block), (Verdict::Admitted, first.block));
    // A voided pass under that nonce is not answered ADMITTED.
    let e = g.scan_with_nonce(c2.as_bytes(), &operator(), "North", "nonce-0001").unwrap_err().to_string();
    assert!(e.contains("nonce nonce-0001 was used for another code"), "{e}");
    // Nor is a code that does not read.
    assert!(g.scan_with_nonce(b"garbage", &operator(), "North", "nonce-0001").is_err());
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans"), 1);
    assert!(g.get_pass(&p2.id).unwrap().scanned_at.is_none());
    assert!(g.get_pass(&p1.id).unwrap().scanned_at.is_some());
}

fn a_nonce_out_of_bounds_is_refused_at_scan_time(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (_, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    for bad in ["n".repeat(4000), String::new(), "short".into(), "has space!".into(), "esc\u{1b}[2Jnonce".into()] {
        let e = g.scan_with_nonce(code.as_bytes(), &operator(), "North", &bad).unwrap_err().to_string();
        assert!(e.contains("nonce"), "{bad:?}: {e}");
    }
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans"), 0, "nothing recorded");
}

/// The issue's wedge: a 4,000-character nonce while offline. It is refused
/// at scan time, never queued, and the gate keeps syncing.
#[test]
fn a_4000_character_nonce_is_refused_offline_and_never_queued() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_admin(&mut g);
    let (_, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = gate(&env, &relay, tmp.path(), "North");
    north.sync().unwrap();
    relay.refuse();
    let e = north.scan_with_nonce(code.as_bytes(), &operator(), "North", &"n".repeat(4000)).unwrap_err().to_string();
    assert!(e.contains("nonce: must be 8 to 64 characters"), "{e}");
    let e = north.scan_with_nonce(code.as_bytes(), &operator(), "North", "").unwrap_err().to_string();
    assert!(e.contains("nonce"), "{e}");
    assert_eq!(north.queued().unwrap(), 0);
    assert!(north.sync().unwrap().error.is_some(), "the link is down");
    relay.restore();
    let r = north.sync().unwrap();
    assert!(r.error.is_none() && r.pulled, "{r:?}");
}

/// Run SQL on a gate's replica file, as a dishonest operator would.
fn replica_sql(dir: &Path, sql: &str) {
    rusqlite::Connection::open(dir.join("replica.sqlite")).unwrap().execute_batch(sql).unwrap();
}

/// Three scans queued offline: the server fails on the first (a trigger
/// raises for its nonce), the second's row was edited to carry a 4,000
/// character nonce (the old wedge), the third is sound. Both bad ones are
/// refused and reported, the third is uploaded, and the pull still brings
/// a central void to the gate.
#[test]
fn a_refused_queue_item_never_blocks_the_ones_behind_it() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
    let (p1, c1) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (p2, c2) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    let (p3, c3) = issue(&mut g, &single("Meena Rao", "9000000003"));
    let (p4, c4) = issue(&mut g, &single("Zoya Rao", "9000000004"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = gate(&env, &relay, tmp.path(), "North");
    north.sync().unwrap();
    relay.refuse();
    for (code, nonce) in [(&c1, "poison-0001"), (&c2, "edited-0002"), (&c3, "sound-0003")] {
        let out = north.scan_with_nonce(code.as_bytes(), &operator(), "North", nonce).unwrap();
        assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    }
    replica_sql(tmp.path(), &format!("UPDATE scans SET nonce = '{}' WHERE nonce = 'edited-0002'", "n".repeat(4000)));
    g.void_pass(&admin(), &p4.id, "refunded").unwrap();
    pg::server().sql_in(
        &env.pg_db(),
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF NEW.nonce = 'poison-0001' THEN RAISE EXCEPTION 'poisoned scan'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER poison BEFORE INSERT ON scans FOR EACH ROW EXECUTE FUNCTION poison();",
    );
    assert!(north.sync().unwrap().error.is_some(), "the link is down");
    relay.restore();
    let r = north.sync().unwrap();
    assert!(r.error.is_none() && r.queued == 0 && r.pulled, "{r:?}");
    assert_eq!((r.uploaded, r.refused, r.conflicts), (1, 2, 2), "{r:?}");
    pg::server().sql_in(&env.pg_db(), "DROP TRIGGER poison ON scans; DROP FUNCTION poison();");
    assert!(g.get_pass(&p3.id).unwrap().scanned_at.is_some(), "the sound scan behind them is uploaded");
    assert!(g.get_pass(&p1.id).unwrap().scanned_at.is_none());
    assert!(g.get_pass(&p2.id).unwrap().scanned_at.is_none());
    let list = g.conflicts().unwrap();
    assert_eq!(list.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["refused", "refused"], "{list:?}");
    assert!(list[0].reason.as_deref().is_some_and(|r| r.contains("poisoned scan")), "{list:?}");
    assert!(list[1].reason.as_deref().is_some_and(|r| r.contains("nonce")), "{list:?}");
    assert_eq!((list[0].pass.as_str(), list[1].pass.as_str()), (p1.id.as_str(), p2.id.as_str()));
    // The void reached the gate: offline now, it says VOIDED.
    relay.refuse();
    let out = north.scan(c4.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Voided, "{out:?}");
    relay.restore();
    // Nothing is retried: a second sync uploads the VOIDED scan only.
    let r = north.sync().unwrap();
    assert!(r.error.is_none() && r.refused == 0 && r.uploaded == 1, "{r:?}");
    let v = env.open().verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
}

/// The race the upload once lost: a gate's online attempt (nonce N) is in
/// flight, waiting on the pass's row, when the gate's upload of the same
/// scan starts. The upload takes the row, then the ledger, and only then
/// looks the nonce up: it finds the attempt's scan and skips it, with no
/// error and nothing refused or retried.
#[test]
fn an_upload_racing_its_own_online_attempt_finds_it_and_skips_it() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = gate(&env, &relay, tmp.path(), "North");
    north.sync().unwrap();
    relay.refuse();
    let out = north.scan_with_nonce(code.as_bytes(), &operator(), "North", "racing-0001").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    assert!(north.sync().unwrap().error.is_some(), "the link is down");
    relay.restore();

    let db = env.pg_db();
    let mut blocker = pg::server().client(&db);
    let mut tx = blocker.transaction().unwrap();
    tx.execute("SELECT 1 FROM passes WHERE id = $1 FOR UPDATE", &[&p.id]).unwrap();
    let waiting = |n: i64| {
        let mut admin = pg::server().client("postgres");
        for _ in 0..1000 {
            let w: i64 = admin
                .query_one("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", &[&db])
                .unwrap()
                .get(0);
            if w >= n {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("never saw {n} waiting on the row");
    };
    let online = std::thread::spawn(move || g.scan_with_nonce(code.as_bytes(), &operator(), "North", "racing-0001").map(|o| o.verdict));
    waiting(1);
    let upload = std::thread::spawn(move || north.sync());
    waiting(2);
    tx.rollback().unwrap();
    assert_eq!(online.join().unwrap().unwrap(), Verdict::Admitted);
    let r = upload.join().unwrap().unwrap();
    assert!(r.error.is_none() && r.skipped == 1 && r.uploaded == 0 && r.refused == 0 && r.conflicts == 0, "{r:?}");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE nonce = 'racing-0001'"), 1);
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event = 'offline_seen'"), 1);
    let v = env.open().verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
}
