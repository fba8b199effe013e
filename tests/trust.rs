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
