//! Gates on PostgreSQL that keep scanning when the link drops
//! (docs/offline.md), against a real server behind a TCP relay that can
//! refuse, black-hole or delay the link.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::relay::Relay;
use common::*;
use gatehouse::config::Config;
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::offline::Gate;
use gatehouse::store::DbUrl;

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_PASSWORD", PASSWORD);
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

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

/// The admin and the operator the gates scan as: an upload's operator
/// must be a user of the event.
fn with_staff(g: &mut gatehouse::Gatehouse) {
    with_admin(g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
}

fn central_verify(env: &Env) -> gatehouse::service::Verification {
    env.open().verify_all(None, false, &mut |_| {}).unwrap()
}

/// The issue's scenario, through the binary: two gates synced, the link
/// cut, one couple pass admitted at both; the first gate's own queue
/// refuses it again; after both sync, exactly one conflict naming both
/// gates, the central ledger verifies and the couple counts once.
#[test]
fn scenario_two_gates_admit_one_pass_offline_and_the_conflict_is_found_once() {
    let db = pg::db_name(&pg::fresh_db());
    let (ra, rb) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let (url_a, url_b) = (pg::server().tcp_url(&db, ra.port), pg::server().tcp_url(&db, rb.port));
    let o = run(&["--data-dir", a, "--database", &url_a, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    assert!(o.status.success(), "{}", text(&o));
    let key = format!("{a}/gatehouse.key");
    let o = run(&["--data-dir", b, "--database", &url_b, "init", "--key-file", &key], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &["--data-dir", a, "--user", "asha", "user", "add", "omar", "--role", "operator", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &[
            "--data-dir",
            a,
            "--user",
            "asha",
            "pass",
            "issue",
            "--type",
            "COUPLE",
            "--name",
            "Ravi",
            "--phone",
            "9876500001",
            "--name2",
            "Meena",
            "--phone2",
            "9876500002",
            "--payment",
            "CASH",
            "--json",
        ],
        None,
    );
    let code = json(&o)["payload"].as_str().unwrap_or_else(|| panic!("{}", text(&o))).to_string();
    for dir in [a, b] {
        let o = run(&["--data-dir", dir, "sync", "--json"], None);
        let r = json(&o);
        // init filled the replica already: this pull brings the pass issued since.
        assert!(o.status.success() && r["pulled"] == true, "{r}");
        assert_eq!(r["passes_pulled"], 1, "{r}");
    }

    ra.refuse();
    rb.refuse();
    let scan = |dir: &str, user: &str, gate: &str| {
        json(&run(&["--data-dir", dir, "--user", user, "--gate", gate, "scan", "--payload", &code, "--json"], None))
    };
    let at_a = scan(a, "asha", "Gate A");
    assert_eq!((at_a["verdict"].as_str(), at_a["offline"].as_bool()), (Some("ADMITTED"), Some(true)), "{at_a}");
    let at_b = scan(b, "omar", "Gate B");
    assert_eq!((at_b["verdict"].as_str(), at_b["offline"].as_bool()), (Some("ADMITTED"), Some(true)), "{at_b}");
    let again = scan(a, "asha", "Gate A");
    assert_eq!((again["verdict"].as_str(), again["offline"].as_bool()), (Some("ALREADY_USED"), Some(true)), "{again}");
    assert_eq!(again["first_use"]["gate"], "Gate A", "from A's own queue: {again}");
    let st = json(&run(&["--data-dir", a, "db", "status", "--json"], None));
    assert_eq!((st["online"].as_bool(), st["queued"].as_u64()), (Some(false), Some(2)), "{st}");
    // Nothing reached the server while the link was down.
    let sync = run(&["--data-dir", a, "sync", "--json"], None);
    assert!(!sync.status.success() && json(&sync)["queued"] == 2, "{}", text(&sync));

    ra.restore();
    rb.restore();
    for dir in [a, b] {
        let o = run(&["--data-dir", dir, "sync", "--json"], None);
        let r = json(&o);
        assert!(o.status.success() && r["queued"] == 0 && r["online"] == true, "{r}");
    }
    let o = run(&["--data-dir", a, "--user", "asha", "conflicts", "--json"], None);
    let list = json(&o);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let c = &list[0];
    assert_eq!((c["first"]["gate"].as_str(), c["second"]["gate"].as_str()), (Some("Gate A"), Some("Gate B")), "{c}");
    assert_eq!((c["first"]["operator"].as_str(), c["second"]["operator"].as_str()), (Some("asha"), Some("omar")), "{c}");
    assert_eq!((c["kind"].as_str(), c["acknowledged"].as_bool()), (Some("double_admission"), Some(false)), "{c}");
    // Both were made offline, the one the server held (A's upload) too.
    assert_eq!((c["first_offline"].as_bool(), c["held_offline"].as_bool()), (Some(false), Some(true)), "{c}");
    let told = text(&run(&["--data-dir", a, "--user", "asha", "conflicts"], None));
    assert!(told.contains("by asha (offline)  then") && told.contains("by omar (offline)"), "{told}");
    // A second sync changes nothing: still one conflict.
    assert!(run(&["--data-dir", b, "sync"], None).status.success());
    assert_eq!(json(&run(&["--data-dir", b, "--user", "omar", "conflicts", "--json"], None)).as_array().map(Vec::len), Some(1));

    let v = json(&run(&["--data-dir", a, "ledger", "verify", "--json"], None));
    assert_eq!(v["ok"], true, "{v}");
    let st = json(&run(&["--data-dir", b, "stats", "--json"], None));
    assert_eq!((st["passes_admitted"].as_u64(), st["people_admitted"].as_u64()), (Some(1), Some(2)), "{st}");
    assert_eq!((st["conflicts"].as_u64(), st["conflicts_open"].as_u64()), (Some(1), Some(1)), "{st}");
    assert_eq!(st["by_gate"]["Gate A"]["people"], 2, "{st}");
    assert_eq!(st["by_gate"]["Gate B"]["people"], 0, "counted once: {st}");

    // Acknowledged once, by a signed-in user.
    let block = c["block"].as_u64().unwrap().to_string();
    let o = run(&["--data-dir", a, "--user", "asha", "conflicts", "--ack", &block], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["--data-dir", a, "--user", "asha", "conflicts", "--ack", &block], None);
    assert!(!o.status.success(), "{}", text(&o));
    let st = json(&run(&["--data-dir", b, "stats", "--json"], None));
    assert_eq!(st["conflicts_open"], 0, "{st}");
    assert_eq!(json(&run(&["--data-dir", a, "ledger", "verify", "--json"], None))["ok"], true);
}

/// Two gates offline; the pass is admitted at A first, then at B, and B
/// uploads first. "First" is the first admission by time: the pass row is
/// credited to A, A's admission is told first and marked offline, the
/// gates' people add up to the people admitted, and the ledger verifies.
/// Each side is marked offline when it was, the server's held one too.
#[test]
fn the_first_admission_by_time_is_credited_whatever_uploads_first() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_admin(&mut g);
    // Uploads are checked against the event's users: the operator is one.
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
    let (p, code) = issue(&mut g, &couple("Ravi Kumar", "9000000701", "Meena Kumari", "9000000702"));
    // A second pass the other way round (B first, and B uploads first), and
    // a third that A admits offline before the server admits it online.
    let (p2, code2) = issue(&mut g, &couple("Zoya Khan", "9000000703", "Irfan Khan", "9000000704"));
    let (p3, code3) = issue(&mut g, &couple("Anil Rao", "9000000705", "Sita Rao", "9000000706"));
    let (ra, rb) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
    let tmp = tempfile::tempdir().unwrap();
    let mut a = gate(&env, &ra, &tmp.path().join("a"), "Gate A");
    let mut b = gate(&env, &rb, &tmp.path().join("b"), "Gate B");
    for gt in [&mut a, &mut b] {
        assert!(gt.sync().unwrap().pulled);
    }
    ra.refuse();
    rb.refuse();
    let out = b.scan(code2.as_bytes(), &operator(), "Gate B").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    env.clock.advance(chrono::Duration::minutes(1));
    let out = a.scan(code.as_bytes(), &admin(), "Gate A").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    let out = a.scan(code3.as_bytes(), &admin(), "Gate A").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    env.clock.advance(chrono::Duration::minutes(3));
    let out = b.scan(code.as_bytes(), &operator(), "Gate B").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    let out = a.scan(code2.as_bytes(), &admin(), "Gate A").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    assert_eq!(g.scan(code3.as_bytes(), &operator(), "Main Gate").unwrap().verdict, Verdict::Admitted, "online, at the server");
    rb.restore();
    let r = b.sync().unwrap();
    assert!(r.error.is_none() && r.conflicts == 0, "{r:?}");
    assert_eq!(g.get_pass(&p.id).unwrap().gate.as_deref(), Some("Gate B"), "B's upload came first");
    ra.restore();
    let r = a.sync().unwrap();
    assert!(r.error.is_none() && r.conflicts == 3, "{r:?}");

    // The pass is credited to the first admission by time: A's.
    let row = g.get_pass(&p.id).unwrap();
    assert_eq!((row.gate.as_deref(), row.scanned_by.as_deref()), (Some("Gate A"), Some("asha")), "{row:?}");
    let list = g.conflicts().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    let of = |id: &str| list.iter().find(|c| c.pass == id).unwrap_or_else(|| panic!("{id}: {list:?}"));
    let c = of(&p.id);
    assert_eq!((c.first.gate.as_str(), c.second.gate.as_str(), c.first_offline), ("Gate A", "Gate B", true), "{c:?}");
    assert!(c.first.at < c.second.at, "first by time: {c:?}");
    // Both sides were offline: B's, which the server held, came in an upload too.
    let sides = |c: &gatehouse::domain::offline::Conflict| c.in_order().map(|(a, offline)| (a.gate.clone(), offline));
    assert!(c.held_offline, "{c:?}");
    assert_eq!(sides(c), [("Gate A".to_string(), true), ("Gate B".to_string(), true)]);
    // B first in time and in upload: told in that order, both offline.
    let c = of(&p2.id);
    assert_eq!((c.first_offline, c.held_offline), (false, true), "{c:?}");
    assert_eq!(sides(c), [("Gate B".to_string(), true), ("Gate A".to_string(), true)]);
    // The server's own admission was online: only A's is marked offline.
    let c = of(&p3.id);
    assert_eq!((c.first_offline, c.held_offline), (true, false), "{c:?}");
    assert_eq!(sides(c), [("Gate A".to_string(), true), ("Main Gate".to_string(), false)]);
    let s = g.stats().unwrap();
    assert_eq!((s.passes_admitted, s.people_admitted), (3, 6));
    assert_eq!((s.by_gate["Gate A"].people, s.by_gate["Gate B"].people), (4, 2), "{:?}", s.by_gate);
    let people: u64 = s.by_gate.values().map(|g| g.people).sum();
    assert_eq!(people, s.people_admitted);
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
    // Each gate's replica follows: the pass is A's everywhere.
    assert!(b.sync().unwrap().error.is_none());
    let again = b.scan(code.as_bytes(), &operator(), "Gate B").unwrap();
    assert_eq!(again.outcome.first_use.as_ref().map(|f| f.gate.as_str()), Some("Gate A"), "{again:?}");
}

/// A black-holed link (accepted, never answered): the verdict comes from
/// the replica within the budget plus 0.5 s, and is uploaded later.
#[test]
fn black_hole_gives_an_offline_verdict_within_the_budget_and_uploads_later() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (_, code2) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut gate = gate(&env, &relay, tmp.path(), "North");
    let r = gate.sync().unwrap();
    assert!(r.pulled && r.error.is_none(), "{r:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(tmp.path().join("replica.sqlite")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the replica holds phones and password hashes: {mode:o}");
    let budget = Duration::from_secs_f64(gate.cfg().offline.budget_secs);

    relay.black_hole();
    for (c, expect) in [(&code, Verdict::Admitted), (&code, Verdict::AlreadyUsed), (&code2, Verdict::Admitted)] {
        let t = Instant::now();
        let out = gate.scan(c.as_bytes(), &operator(), "North").unwrap();
        let took = t.elapsed();
        // The bound the issue asks for: never a hang, at most budget + 0.5 s.
        assert!(took <= budget + Duration::from_millis(500), "took {took:?}");
        assert!(out.offline, "{out:?}");
        assert_eq!(out.outcome.verdict, expect, "{out:?}");
    }
    assert!(!gate.is_online());
    assert_eq!(gate.queued().unwrap(), 3);
    assert!(g.get_pass(&p.id).unwrap().scanned_at.is_none(), "nothing reached the server");

    relay.restore();
    let r = gate.sync().unwrap();
    // The first scan's online attempt, abandoned on the budget, may still
    // commit once the link is back (its retry, same nonce): then the upload
    // finds it there and skips it. Either way it is recorded once.
    assert!(r.error.is_none() && r.uploaded + r.skipped == 3 && r.queued == 0 && r.conflicts == 0, "{r:?}");
    assert!(gate.is_online());
    let central = g.get_pass(&p.id).unwrap();
    assert_eq!((central.gate.as_deref(), central.scanned_by.as_deref()), (Some("North"), Some("omar")));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE gate = 'North'"), 3);
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
    // Back online, the next scan is decided by the server.
    let out = gate.scan(code.as_bytes(), &operator(), "North").unwrap();
    assert!(!out.offline && out.outcome.verdict == Verdict::AlreadyUsed, "{out:?}");

    // The console's other screens: a call given a long wait still learns
    // of a black hole within the budget (its ping), and says why.
    relay.black_hole();
    let t = Instant::now();
    let e = gate.try_server(Duration::from_secs(60), |g| g.stats()).unwrap_err();
    let took = t.elapsed();
    assert!(took <= budget + Duration::from_millis(500), "took {took:?}");
    assert!(e.is_unreachable() && !gate.is_online(), "{e}");
    assert!(gate.try_server(Duration::from_secs(60), |g| g.stats()).is_err_and(|e| e.is_unreachable()));
    relay.restore();
}

/// kill -9 of `gatehouse sync` at changing moments, again and again: after a
/// final sync every offline scan is in the central ledger exactly once.
#[test]
fn kill_9_during_upload_loses_and_duplicates_nothing() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let codes: Vec<String> = (0..20).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("90000001{i:02}"))).1).collect();
    let relay = Relay::start(pg::server().port);
    let dir = env.data_dir().to_path_buf();
    // The gate's config names the database through the relay.
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    let url = pg::server().tcp_url(&env.pg_db(), relay.port);
    std::fs::write(&env.paths.config, cfg.replace(env.url.as_deref().unwrap(), &url)).unwrap();
    let d = dir.to_str().unwrap().to_string();
    assert!(run(&["--data-dir", &d, "sync"], None).status.success());

    let mut queued = 0u64;
    for round in 0..8u64 {
        relay.refuse();
        {
            let mut gate = Gate::open(&env.paths).unwrap();
            for i in 0..60 {
                let c = &codes[(i + round as usize * 3) % codes.len()];
                let out = gate.scan(c.as_bytes(), &operator(), "North").unwrap();
                assert!(out.offline);
                queued += 1;
            }
        }
        relay.restore();
        let mut child = Command::new(bin())
            .args(["--data-dir", &d, "sync"])
            .env_remove("GATEHOUSE_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + round * 60));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let o = run(&["--data-dir", &d, "sync", "--json"], None);
    let r = json(&o);
    assert!(o.status.success() && r["queued"] == 0, "{r}");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE gate = 'North'"), queued as i64);
    assert_eq!(env.raw_i64("SELECT COUNT(DISTINCT nonce) FROM scans WHERE gate = 'North'"), queued as i64);
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event = 'offline_scan'"), queued as i64);
    let admitted = env.raw_i64("SELECT COUNT(*) FROM passes WHERE scanned_at IS NOT NULL");
    assert_eq!(admitted, codes.len() as i64);
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
}

/// A void at the desk: an online gate asks the server, so it says VOIDED at
/// once; an offline gate learns it at its next sync.
#[test]
fn a_void_reaches_an_online_gate_at_once_and_an_offline_one_after_its_next_sync() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let (p1, c1) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (p2, c2) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    let (p3, c3) = issue(&mut g, &single("Meena Rao", "9000000003"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut gate = gate(&env, &relay, tmp.path(), "North");
    gate.sync().unwrap();

    g.void_pass(&admin(), &p1.id, "refunded").unwrap();
    let out = gate.scan(c1.as_bytes(), &operator(), "North").unwrap();
    assert!(!out.offline && out.outcome.verdict == Verdict::Voided, "{out:?}");

    relay.refuse();
    g.void_pass(&admin(), &p2.id, "refunded").unwrap();
    g.void_pass(&admin(), &p3.id, "lost").unwrap();
    // Offline before a sync, the replica cannot know: admitted and queued,
    // and found on upload as a conflict of its own kind.
    let out = gate.scan(c3.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    relay.restore();
    let r = gate.sync().unwrap();
    assert!(r.error.is_none() && r.conflicts == 1 && r.pulled, "{r:?}");
    assert!(!r.full_pull, "an incremental pull: {r:?}");
    relay.refuse();
    let out = gate.scan(c2.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Voided, "{out:?}");
    relay.restore();
    gate.sync().unwrap();
    let list = g.conflicts().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].kind.as_str(), list[0].pass.as_str()), ("voided", p3.id.as_str()));
    assert!(g.get_pass(&p3.id).unwrap().scanned_at.is_none(), "a voided pass stays unused centrally");
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
}

/// Resident toggles made offline at two gates merge by original time: the
/// later one wins, whichever uploads first; an older one stays history.
#[test]
fn resident_toggles_made_offline_merge_by_time() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let r = g.add_resident(&admin(), &ResidentRequest { name: "Meera".into(), room: "B-204".into(), ..Default::default() }).unwrap();
    let card = g.resident_payload(&r);
    let (ra, rb) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
    let tmp = tempfile::tempdir().unwrap();
    let mut a = gate(&env, &ra, &tmp.path().join("a"), "Gate A");
    let mut b = gate(&env, &rb, &tmp.path().join("b"), "Gate B");
    a.sync().unwrap();
    b.sync().unwrap();
    ra.refuse();
    rb.refuse();
    let at_a = a.scan(card.as_bytes(), &operator(), "Gate A").unwrap(); // IN at t
    env.clock.advance(chrono::Duration::minutes(5));
    let at_b = b.scan(card.as_bytes(), &admin(), "Gate B").unwrap(); // IN at t+5 min
    env.clock.advance(chrono::Duration::minutes(5));
    let out_b = b.scan(card.as_bytes(), &admin(), "Gate B").unwrap(); // OUT at t+10 min
    assert!(at_a.offline && at_b.offline && out_b.offline);
    assert_eq!(
        (at_a.outcome.verdict, at_b.outcome.verdict, out_b.outcome.verdict),
        (Verdict::ResidentIn, Verdict::ResidentIn, Verdict::ResidentOut)
    );
    ra.restore();
    rb.restore();
    // B (newer) uploads first, then A (older): A's toggle stays history.
    assert_eq!(b.sync().unwrap().uploaded, 2);
    assert_eq!(a.sync().unwrap().uploaded, 1);
    let central = g.get_resident(&r.id).unwrap();
    assert_eq!(central.status.as_str(), "OUT");
    assert_eq!(central.last_scan_at.as_deref(), Some(out_b.outcome.at.as_str()));
    assert_eq!(g.conflicts().unwrap().len(), 0, "toggles merge; they never conflict");
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
}

/// A pass the replica does not hold is UNKNOWN offline, with its age.
#[test]
fn unknown_offline_names_the_replica_age_and_a_never_synced_gate_says_so() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut gate = gate(&env, &relay, tmp.path(), "North");
    let (_, early) = issue(&mut g, &single("Asha Rao", "9000000001"));
    relay.refuse();
    let e = gate.scan(early.as_bytes(), &operator(), "North").unwrap_err().to_string();
    assert!(e.contains("never synced"), "{e}");
    relay.restore();
    gate.sync().unwrap();
    let (_, late) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    env.clock.advance(chrono::Duration::seconds(90));
    relay.refuse();
    let out = gate.scan(late.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Unknown, "{out:?}");
    assert!(out.outcome.reason.contains("replica 90 s old"), "{}", out.outcome.reason);
    let f = gate.freshness().unwrap();
    assert!(!f.online && f.queued == 1 && f.stale && f.replica_age_secs == Some(90.0), "{f:?}");
}

/// A slow link: the online attempt outlives its budget, the gate admits
/// offline, another gate admits the pass, and then the slow attempt reaches
/// the server (same nonce) and is refused there. The upload finds the
/// nonce recorded, skips the scan, and still reports the conflict.
#[test]
fn a_late_online_attempt_refused_by_the_server_is_still_a_conflict() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut gate = gate(&env, &relay, tmp.path(), "North");
    gate.sync().unwrap();
    relay.delay(Duration::from_secs(3));
    let out = gate.scan_with_nonce(code.as_bytes(), &operator(), "North", "late-0001").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    // The south gate admits the pass while the north gate's attempt is on its way.
    assert_eq!(g.scan(code.as_bytes(), &admin(), "South").unwrap().verdict, Verdict::Admitted);
    relay.delay(Duration::ZERO);
    let t = Instant::now();
    while env.raw_i64("SELECT COUNT(*) FROM scans WHERE nonce = 'late-0001'") == 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "the slow attempt never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = gate.sync().unwrap();
    assert!(r.error.is_none() && r.skipped == 1 && r.uploaded == 0 && r.conflicts == 1, "{r:?}");
    let list = g.conflicts().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].first.gate.as_str(), list[0].second.gate.as_str(), list[0].pass.as_str()), ("South", "North", p.id.as_str()));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE nonce = 'late-0001'"), 1);
    let v = central_verify(&env);
    assert!(v.ok, "{:?}", v.problems());
}

/// Figures for docs/offline.md; no speed is asserted. Run with
/// `cargo test --release --test offline bench -- --ignored --nocapture`.
#[test]
#[ignore = "a benchmark, run by hand"]
fn bench_queue_drain_and_replica_pull() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let codes: Vec<String> = (0..200).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("9100{i:06}"))).1).collect();
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = gate(&env, &relay, &tmp.path().join("a"), "North");
    north.sync().unwrap();
    relay.refuse();
    let t = Instant::now();
    for i in 0..1000 {
        assert!(north.scan(codes[i % codes.len()].as_bytes(), &operator(), "North").unwrap().offline);
    }
    println!("1000 offline scans queued in {:.2} s", t.elapsed().as_secs_f64());
    relay.restore();
    let t = Instant::now();
    let r = north.sync().unwrap();
    assert!(r.queued == 0 && r.uploaded == 1000, "{r:?}");
    println!("link back -> empty queue (upload 1000 + pull): {:.2} s", t.elapsed().as_secs_f64());

    // 100,000 passes straight into the server (their ledger is not the point here).
    let n = 100_000;
    pg::server().sql_in(
        &env.pg_db(),
        &format!(
            "INSERT INTO passes (id, pass_type, persons, holder_name, holder_phone, name_key, price_cents, payment_mode, slot, key_id, created_at, created_by)
             SELECT 'ffff' || lpad(to_hex(i), 8, '0'), 'SINGLE', 1, 'Guest ' || i, '8' || lpad(i::text, 9, '0'), 'guest ' || i, 54900, 'CASH', 'slot', '01', '2026-11-21T18:00:00.000000Z', 'asha'
             FROM generate_series(1, {n}) AS i"
        ),
    );
    let mut fresh = gate(&env, &relay, &tmp.path().join("b"), "South");
    let t = Instant::now();
    let r = fresh.sync().unwrap();
    assert!(r.full_pull && r.passes_pulled as usize >= n, "{r:?}");
    println!("first pull of {} passes: {:.2} s", r.passes_pulled, t.elapsed().as_secs_f64());
    for i in 1..=1000 {
        g.void_pass(&admin(), &format!("ffff{i:08x}"), "bench").unwrap();
    }
    let t = Instant::now();
    let r = fresh.sync().unwrap();
    assert!(!r.full_pull && r.passes_pulled == 1000, "{r:?}");
    println!("incremental pull after 1000 voids ({} blocks): {:.3} s", r.blocks_read, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let r = fresh.sync().unwrap();
    println!("incremental pull, nothing changed ({} blocks): {:.3} s", r.blocks_read, t.elapsed().as_secs_f64());
}

/// A replica belongs to its event, not to the URL's spelling: another
/// spelling reuses it; another database (another event) opens but refuses
/// the upload while scans are queued (they would be lost), and once nothing
/// is queued the old replica is set aside and a fresh one started.
#[test]
fn a_replica_is_bound_to_its_database_and_queued_scans_are_never_dropped() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_staff(&mut g);
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let replica = tmp.path().join("replica.sqlite");
    let mut north = gate(&env, &relay, tmp.path(), "North");
    north.sync().unwrap();
    let (_, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    north.sync().unwrap();
    relay.refuse();
    assert!(north.scan(code.as_bytes(), &operator(), "North").unwrap().offline);
    drop(north);
    let open = |url: String| {
        let cfg = Config::load(&env.paths.config).unwrap();
        let keys = gatehouse::keyfile::load(&env.paths.key()).unwrap();
        Gate::from_parts(cfg, keys, DbUrl::parse(&url).unwrap(), &replica, env.clock.clone())
    };
    // The same database through the same relay, spelled with localhost and an sslmode.
    let same = format!("postgresql://postgres@localhost:{}/{}?sslmode=disable", relay.port, env.pg_db());
    assert_eq!(open(same).unwrap().freshness().unwrap().queued, 1);
    let other_db = pg::db_name(&pg::fresh_db());
    let other = pg::server().tcp_url(&other_db, pg::server().port);
    // Another database is another event: the gate opens (offline scanning
    // goes on), but its queued scan is never uploaded there.
    let mut wrong = open(other.clone()).expect("the gate still opens");
    let r = wrong.sync().unwrap();
    assert!(r.error.as_deref().is_some_and(|e| e.contains("nothing uploaded")) && r.queued == 1, "{r:?}");
    drop(wrong);
    assert!(!tmp.path().join("replica.sqlite.replaced").exists());
    relay.restore();
    let mut north = gate(&env, &relay, tmp.path(), "North");
    assert_eq!(north.sync().unwrap().queued, 0);
    drop(north);
    let mut fresh = open(other).unwrap();
    assert!(tmp.path().join("replica.sqlite.replaced").exists());
    assert_eq!(fresh.freshness().unwrap().queued, 0);
}

/// The console in tmux at 80x24, driven as a person would.
struct Tmux(String);

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let ok = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "tmux is needed for this test: run ./dev test, which installs it");
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let session = format!("gh-offline-{}-{n}", std::process::id());
        let st = Command::new("tmux").args(["new-session", "-d", "-s", &session, "-x", "80", "-y", "24", cmd]).status().unwrap();
        assert!(st.success(), "tmux new-session failed");
        Tmux(session)
    }

    fn keys(&self, keys: &[&str]) {
        assert!(Command::new("tmux").args(["send-keys", "-t", &self.0]).args(keys).status().unwrap().success());
    }

    /// Text as fast as tmux sends it: a scanner's burst.
    fn type_literal(&self, text: &str) {
        assert!(Command::new("tmux").args(["send-keys", "-t", &self.0, "-l", text]).status().unwrap().success());
    }

    /// Type text as a person does, a key at a time: a burst of eight or
    /// more keys would be taken for a scanner.
    fn type_slowly(&self, text: &str) {
        for c in text.chars() {
            self.type_literal(&c.to_string());
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.0]).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Wait until one capture shows every one of `texts`, or fail with the screen.
    fn wait_all(&self, texts: &[&str], step: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if texts.iter().all(|t| s.contains(t)) {
                return s;
            }
            assert!(Instant::now() < deadline, "step {step}: {texts:?} did not all appear; the screen was:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).stderr(Stdio::null()).status();
    }
}

/// The console starts with its server black-holed (accepted, never
/// answered): sign-in falls back to the replica's users within the budget,
/// it opens on the Scan screen OFFLINE, scans from the replica, and a
/// screen that needs the server says so instead of hanging. The scan is
/// uploaded once the link is back.
#[test]
fn the_console_starts_and_scans_with_its_server_black_holed() {
    let db = pg::db_name(&pg::fresh_db());
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let a = a.to_str().unwrap();
    let url = pg::server().tcp_url(&db, relay.port);
    let o = run(&["--data-dir", a, "--database", &url, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")));
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &[
            "--data-dir",
            a,
            "--user",
            "asha",
            "pass",
            "issue",
            "--type",
            "SINGLE",
            "--name",
            "Ravi",
            "--phone",
            "9876500001",
            "--payment",
            "CASH",
            "--json",
        ],
        None,
    );
    let code = json(&o)["payload"].as_str().unwrap_or_else(|| panic!("{}", text(&o))).to_string();
    assert!(run(&["--data-dir", a, "sync"], None).status.success());

    relay.black_hole();
    let cmd = format!(
        "env -u PGPASSWORD -u GATEHOUSE_DATABASE_URL PGPASSFILE=/nonexistent {} --data-dir {a} --camera none; echo CONSOLE-EXITED $?; sleep 30",
        bin()
    );
    let t = Tmux::start(&cmd);
    t.wait_all(&["sign in"], "start");
    t.type_literal("asha");
    t.keys(&["Tab"]);
    t.type_slowly(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_all(&["┌ Verdict", "OFFLINE", "signed in from the replica"], "signed in from the replica");
    t.type_literal(&code);
    t.keys(&["Enter"]);
    t.wait_all(&["ADMITTED", "OFFLINE: decided from the replica"], "scanned offline");
    // A screen that needs the server says so, and the console still answers.
    t.keys(&["F3"]);
    t.wait_all(&["OFFLINE: Issue needs the server"], "issue offline");
    t.keys(&["F7"]);
    t.wait_all(&["OFFLINE: Stats needs the server", "stats needs the server (offline)"], "stats offline");
    t.keys(&["F2"]);
    // Past the scanner's debounce: a second read, not the same one twice.
    std::thread::sleep(Duration::from_millis(3200));
    t.type_literal(&code);
    t.keys(&["Enter"]);
    t.wait_all(&["ALREADY", "OFFLINE: decided from the replica"], "again from the gate's own queue");

    // Meanwhile the South gate, online, admits the same pass first.
    let mut paths = gatehouse::config::Paths::new(a.into(), None);
    paths.database = Some(pg::server().url(&db));
    let mut south = gatehouse::Gatehouse::open(&paths).unwrap();
    let asha = south.authenticate("asha", PASSWORD).unwrap();
    assert_eq!(south.scan(code.as_bytes(), &asha, "South").unwrap().verdict, Verdict::Admitted);
    // The link returns: the console uploads by itself, and its upload is a
    // conflict the console shows until someone acknowledges it.
    relay.restore();
    t.wait_all(
        // In the order they happened: this gate's offline admission first.
        &["ONLINE", "q0", "CONFLICT: pass", "admitted twice", "first    Main Gate · asha", "(offline)", "second   South · asha", "F9"],
        "conflict alert",
    );
    t.keys(&["F9"]);
    t.wait_all(&["Conflicts · 1 open"], "the conflict list");
    t.keys(&["Enter"]);
    t.wait_all(&["acknowledged"], "acknowledged");
    assert!(!t.screen().contains("CONFLICT: pass"), "the alert is gone:\n{}", t.screen());
    let list = json(&run(&["--data-dir", a, "--user", "asha", "conflicts", "--json"], None));
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!((list[0]["acknowledged"].as_bool(), list[0]["acknowledged_by"].as_str()), (Some(true), Some("asha")), "{list}");
    t.keys(&["q"]);
    t.wait_all(&["Quit gatehouse?"], "quit asks");
    t.keys(&["y"]);
    t.wait_all(&["CONSOLE-EXITED 0"], "quit");
    let st = json(&run(&["--data-dir", a, "stats", "--json"], None));
    assert_eq!(
        (st["people_admitted"].as_u64(), st["conflicts"].as_u64(), st["conflicts_open"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{st}"
    );
}
