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

both_backends!(
    a_nonce_reused_with_another_code_is_refused_not_replayed,
    a_nonce_out_of_bounds_is_refused_at_scan_time,
    the_right_password_during_a_flood_of_wrong_ones_is_refused_once_locked,
);

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

/// An event with its admin and the operator the gates scan as.
fn staffed(env: &Env) -> gatehouse::Gatehouse {
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();
    g
}

/// A synced gate whose link is then cut.
fn offline_gate(env: &Env, relay: &Relay, dir: &Path) -> Gate {
    let mut north = gate(env, relay, dir, "North");
    let r = north.sync().unwrap();
    assert!(r.pulled, "{r:?}");
    relay.refuse();
    north
}

/// Bring the link back and sync (the first sync after a cut may only learn
/// the link dropped).
fn relink(north: &mut Gate, relay: &Relay) -> gatehouse::service::offline::SyncReport {
    assert!(north.sync().unwrap().error.is_some(), "the link is down");
    relay.restore();
    north.sync().unwrap()
}

fn refusals(g: &mut gatehouse::Gatehouse) -> Vec<String> {
    g.conflicts().unwrap().into_iter().filter(|c| c.kind == "refused").map(|c| c.reason.unwrap_or_default()).collect()
}

/// The issue's forgery: a used pass scanned offline (ALREADY_USED), then
/// the replica's scans row edited to admit an unused pass. After sync the
/// unused pass is still unused centrally, and the refusal is reported.
#[test]
fn a_replica_scans_row_edited_to_admit_an_unused_pass_is_refused_and_reported() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (used, c_used) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (unused, _) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    assert_eq!(g.scan(c_used.as_bytes(), &admin(), "South").unwrap().verdict, Verdict::Admitted);
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    let out = north.scan(c_used.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::AlreadyUsed, "{out:?}");
    replica_sql(tmp.path(), &format!("UPDATE scans SET verdict = 'ADMITTED', subject = '{}', persons = 1", unused.id));
    let r = relink(&mut north, &relay);
    assert!(r.error.is_none() && r.queued == 0 && r.refused == 1 && r.uploaded == 0, "{r:?}");
    assert!(g.get_pass(&unused.id).unwrap().scanned_at.is_none(), "still unused centrally");
    assert_eq!(g.get_pass(&used.id).unwrap().gate.as_deref(), Some("South"));
    let why = refusals(&mut g);
    assert!(why.len() == 1 && why[0].contains("does not match its signed block"), "{why:?}");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE gate = 'North'"), 0);
    let v = env.open().verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
}

/// The broader edit: a pass admitted offline, then every replica row
/// outside the signed blocks that names it (its scans row, its passes row)
/// rewritten to name another pass. The other pass stays unused centrally,
/// and the refusal is reported.
#[test]
fn every_replica_row_renamed_to_another_pass_is_refused_and_reported() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (a, code_a) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (b, _) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    let out = north.scan(code_a.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    replica_sql(
        tmp.path(),
        &format!(
            "DELETE FROM passes WHERE id = '{b}';
             UPDATE passes SET id = '{b}' WHERE id = '{a}';
             UPDATE scans SET subject = '{b}' WHERE subject = '{a}';",
            a = a.id,
            b = b.id
        ),
    );
    let r = relink(&mut north, &relay);
    assert!(r.error.is_none() && r.queued == 0 && r.refused == 1, "{r:?}");
    assert!(g.get_pass(&b.id).unwrap().scanned_at.is_none(), "the other pass stays unused centrally");
    let list = g.conflicts().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    // The conflict names the pass the signed block names.
    assert_eq!((list[0].kind.as_str(), list[0].pass.as_str()), ("refused", a.id.as_str()));
    let v = env.open().verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
}

/// A pass the server never held, admitted offline from a row slipped into
/// the replica: refused and reported, not dropped silently.
#[test]
fn an_offline_admission_of_a_pass_the_server_never_held_is_refused() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (p, _) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    let ghost = gatehouse::domain::pass::Pass { id: uuid::Uuid::new_v4().to_string(), ..p.clone() };
    replica_sql(
        tmp.path(),
        &format!(
            "CREATE TEMP TABLE t AS SELECT * FROM passes WHERE id = '{}';
             UPDATE t SET id = '{}', name_key = 'ghost', holder_phone = '9000000009';
             INSERT INTO passes SELECT * FROM t;",
            p.id, ghost.id
        ),
    );
    let out = north.scan(g.pass_payload(&ghost).as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    let r = relink(&mut north, &relay);
    assert!(r.error.is_none() && r.refused == 1, "{r:?}");
    let why = refusals(&mut g);
    assert!(why.len() == 1 && why[0].contains("is not a pass or resident of this event"), "{why:?}");
}

/// An outbox replayed under a new chain id (the replica copied, its chain
/// renamed and its upload mark cleared): refused whole, with no duplicate
/// scans and no false conflicts.
#[test]
fn an_outbox_replayed_under_a_new_chain_is_refused() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let codes: Vec<String> = (0..3).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("900000000{i}"))).1).collect();
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let (a, copy) = (tmp.path().join("a"), tmp.path().join("copy"));
    let mut north = offline_gate(&env, &relay, &a);
    for c in &codes {
        assert!(north.scan(c.as_bytes(), &operator(), "North").unwrap().offline);
    }
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["replica.sqlite", "replica.sqlite-wal"] {
        if a.join(f).exists() {
            std::fs::copy(a.join(f), copy.join(f)).unwrap();
        }
    }
    let r = relink(&mut north, &relay);
    assert!(r.error.is_none() && r.uploaded == 3 && r.conflicts == 0, "{r:?}");
    drop(north);
    replica_sql(
        &copy,
        &format!(
            "UPDATE replica_meta SET value = '{}' WHERE key = 'chain'; DELETE FROM replica_meta WHERE key = 'uploaded_through';",
            uuid::Uuid::new_v4()
        ),
    );
    let mut replay = gate(&env, &relay, &copy, "North");
    let r = replay.sync().unwrap();
    assert!(r.error.is_none() && r.uploaded == 0 && r.refused == 3 && r.queued == 0, "{r:?}");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE gate = 'North'"), 3, "no duplicate scans");
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM ledger WHERE event IN ('offline_scan', 'offline_seen')"), 3);
    let list = g.conflicts().unwrap();
    assert!(list.iter().all(|c| c.kind == "refused" && c.reason.as_deref().is_some_and(|r| r.contains("replays"))), "{list:?}");
    let v = env.open().verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
}

// ------------------------------------------------------------------ files

fn run(args: &[&str], stdin: Option<&str>, cwd: Option<&Path>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_PASSWORD", PASSWORD);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn said(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// A PostgreSQL event's `backup` and `db copy --to FILE` are 0600 with an
/// open umask, and `export --csv` refuses the gate's replica however it is
/// named.
#[test]
fn postgres_backup_and_db_copy_are_private_and_export_refuses_the_replica() {
    let db = pg::db_name(&pg::fresh_db());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("gate");
    let d = data.to_str().unwrap();
    let url = pg::server().url(&db);
    let o =
        run(&["--data-dir", d, "--database", &url, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")), None);
    assert!(o.status.success(), "{}", said(&o));
    assert!(run(&["--data-dir", d, "sync"], None, None).status.success());
    let o = run(&["--data-dir", d, "--user", "asha", "backup"], None, None);
    assert!(o.status.success(), "{}", said(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let file = out.lines().find_map(|l| l.strip_prefix("backup written: ")).map(std::path::PathBuf::from).unwrap();
    assert_eq!(mode(&file), 0o600, "{}", file.display());
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    let copy = tmp.path().join("copy.db");
    let o = run(&["--data-dir", d, "--user", "asha", "db", "copy", "--to", copy.to_str().unwrap()], None, None);
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(mode(&copy), 0o600);

    let replica = data.join("replica.sqlite");
    let before = std::fs::read(&replica).unwrap();
    for (target, cwd) in
        [(replica.to_str().unwrap(), None), ("replica.sqlite", Some(data.as_path())), ("replica.sqlite-wal", Some(data.as_path()))]
    {
        let o = run(&["--data-dir", d, "--user", "asha", "export", "passes", "--csv", target], None, cwd);
        assert!(!o.status.success() && said(&o).contains("refusing to export onto"), "{target}: {}", said(&o));
    }
    assert_eq!(std::fs::read(&replica).unwrap(), before, "the replica is untouched");
}

/// A backup folder outside the data directory keeps its mode, and its
/// retention deletes only this event's copies, not another event's.
#[test]
fn a_backup_folder_outside_the_data_directory_keeps_its_mode_and_other_events_copies() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    let other = Env::new();
    let mut og = other.open();
    with_admin(&mut og);
    // Closed, so each file holds its whole ledger.
    drop((g, og));
    let shared = env.dir.path().join("shared-backups");
    std::fs::create_dir_all(&shared).unwrap();
    set_mode(&shared, 0o755);
    // Another event's old copies, under the names retention would delete.
    let theirs: Vec<_> = (1..=5).map(|d| shared.join(format!("gatehouse-202001{d:02}T000000Z.db"))).collect();
    for f in &theirs {
        std::fs::copy(other.db(), f).unwrap();
    }
    // And this event's own old copies, which retention does thin.
    let ours: Vec<_> = (1..=5).map(|d| shared.join(format!("gatehouse-202002{d:02}T000000Z.db"))).collect();
    for f in &ours {
        std::fs::copy(env.db(), f).unwrap();
    }
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    let cfg = cfg
        .replace("dir = \"backups\"", &format!("dir = {:?}", shared.to_str().unwrap()))
        .replace("keep_daily = 7", "keep_daily = 2")
        .replace("keep_hourly = 24", "keep_hourly = 1");
    std::fs::write(&env.paths.config, cfg).unwrap();
    let mut real = gatehouse::Gatehouse::open(&env.paths).unwrap();
    let (file, deleted) = real.backup(None).unwrap();
    assert!(file.starts_with(&shared) && mode(&file) == 0o600, "{}", file.display());
    assert_eq!(mode(&shared), 0o755, "not our folder: its mode stays");
    assert!(theirs.iter().all(|f| f.exists()), "another event's copies are left alone");
    assert_eq!(deleted.len(), 4, "{deleted:?}");
    assert!(deleted.iter().all(|d| ours.contains(d)), "{deleted:?}");
}

// ------------------------------------------------------------------ sign-in

/// 29 wrong passwords in parallel, then the right one 0.15 s later, each on
/// a connection of its own: the right one is refused, and the user locked.
fn the_right_password_during_a_flood_of_wrong_ones_is_refused_once_locked(b: Backend) {
    use std::sync::{Arc, Barrier};
    let env = Env::on(b);
    let mut g = staffed(&env);
    const WRONG: usize = 29;
    let barrier = Arc::new(Barrier::new(WRONG + 1));
    let mut handles: Vec<_> = (0..WRONG)
        .map(|_| {
            let (barrier, mut gi) = (barrier.clone(), env.open());
            std::thread::spawn(move || {
                barrier.wait();
                gi.authenticate("omar", "wrong password").map(|_| ()).map_err(|e| e.to_string())
            })
        })
        .collect();
    let (barrier, mut gi) = (barrier.clone(), env.open());
    handles.push(std::thread::spawn(move || {
        barrier.wait();
        std::thread::sleep(std::time::Duration::from_millis(150));
        gi.authenticate("omar", PASSWORD).map(|_| ()).map_err(|e| e.to_string())
    }));
    let right = handles.pop().unwrap().join().unwrap();
    for h in handles {
        assert!(h.join().unwrap().is_err_and(|e| e.contains("wrong username or password")));
    }
    let e = right.expect_err("the right password got in during the flood");
    assert!(e.contains("locked"), "{e}");
    let omar = g.list_users().unwrap().into_iter().find(|u| u.username == "omar").unwrap();
    assert!(omar.failed_attempts == 5 && omar.locked_until.is_some(), "{omar:?}");
}

// ------------------------------------------------------------------ event identity

/// The same event's server moved to another port (another relay): the gate
/// with a queued scan opens, scans and syncs there.
#[test]
fn the_same_event_on_another_port_is_simply_used() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (p1, c1) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let (p2, c2) = issue(&mut g, &single("Ravi Rao", "9000000002"));
    let (old, new) = (Relay::start(pg::server().port), Relay::start(pg::server().port));
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &old, tmp.path());
    assert!(north.scan(c1.as_bytes(), &operator(), "North").unwrap().offline);
    drop(north);
    let mut moved = gate(&env, &new, tmp.path(), "North");
    assert_eq!(moved.queued().unwrap(), 1);
    let r = moved.sync().unwrap();
    assert!(r.error.is_none() && r.uploaded == 1 && r.queued == 0 && r.pulled, "{r:?}");
    let out = moved.scan(c2.as_bytes(), &operator(), "North").unwrap();
    assert!(!out.offline && out.outcome.verdict == Verdict::Admitted, "{out:?}");
    assert!(g.get_pass(&p1.id).unwrap().scanned_at.is_some() && g.get_pass(&p2.id).unwrap().scanned_at.is_some());
    // Offline again at the new port: its replica is its event's, and scans.
    new.refuse();
    let out = moved.scan(c1.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::AlreadyUsed, "{out:?}");
}

/// The event dropped and a new one made at the same URL (another key, as
/// `init` makes): the old gate refuses to upload its queued scan, says so,
/// and the new event's ledger still verifies.
#[test]
fn a_new_event_at_the_old_url_gets_no_upload_from_the_old_gate() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (_, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    drop(g);
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    assert!(north.scan(code.as_bytes(), &operator(), "North").unwrap().offline);

    let db = env.pg_db();
    pg::server().admin_sql(&format!("DROP DATABASE {db} WITH (FORCE)"));
    pg::server().admin_sql(&format!("CREATE DATABASE {db}"));
    let newkey = tmp.path().join("new.key");
    gatehouse::keyfile::create(&newkey).unwrap();
    let cfg = Config::load(&env.paths.config).unwrap();
    let store = gatehouse::store::Store::open_url(&DbUrl::parse(env.url.as_deref().unwrap()).unwrap()).unwrap();
    let mut fresh = gatehouse::Gatehouse::from_parts(cfg, gatehouse::keyfile::load(&newkey).unwrap(), store, env.clock.clone());
    with_admin(&mut fresh);
    fresh.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, PASSWORD).unwrap();

    let r = relink(&mut north, &relay);
    let e = r.error.clone().unwrap_or_default();
    assert!(e.contains("belongs to event") && e.contains("nothing uploaded"), "{r:?}");
    assert_eq!((r.uploaded, r.queued), (0, 1), "{r:?}");
    assert_eq!(north.queued().unwrap(), 1, "the scan stays queued for its own event");
    let v = fresh.verify_all(None, false, &mut |_| {}).unwrap();
    assert!(v.ok, "{:?}", v.problems());
    assert_eq!(fresh.ledger_blocks(0, 100).unwrap().len(), 2, "nothing of the old gate's reached the new event");
    // Offline scanning from its replica goes on.
    relay.refuse();
    let out = north.scan(code.as_bytes(), &operator(), "North").unwrap();
    assert!(out.offline && out.outcome.verdict == Verdict::AlreadyUsed, "{out:?}");
}

/// Offline sign-in checks the account against the seal made when it was
/// pulled: an operator's hash copied over the admin's row in the replica
/// does not sign in as the admin; the untouched operator still signs in.
#[test]
fn an_edited_replica_account_does_not_sign_in_offline() {
    const OMAR_PW: &str = "operator pass 42";
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", gatehouse::domain::user::Role::Operator, OMAR_PW).unwrap();
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    assert_eq!(north.authenticate("omar", OMAR_PW).unwrap().username, "omar", "offline, from the replica");
    assert_eq!(north.authenticate("asha", PASSWORD).unwrap().username, "asha");
    replica_sql(tmp.path(), "UPDATE users SET pw_hash = (SELECT pw_hash FROM users WHERE username = 'omar') WHERE username = 'asha'");
    let e = north.authenticate("asha", OMAR_PW).unwrap_err().to_string();
    assert!(e.contains("cannot sign in offline"), "{e}");
    replica_sql(tmp.path(), "UPDATE users SET role = 'admin' WHERE username = 'omar'");
    let e = north.authenticate("omar", OMAR_PW).unwrap_err().to_string();
    assert!(e.contains("cannot sign in offline"), "a raised role: {e}");
}

/// Escapes in an offline scan's operator (an account the server does not
/// know) never reach central columns or the conflict list raw: the block is
/// refused, and the refusal names a placeholder. A gate name with escapes is
/// refused at scan time.
#[test]
fn escapes_in_an_offline_operator_or_gate_never_reach_central_rows() {
    let env = Env::on(Backend::Postgres);
    let mut g = staffed(&env);
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let relay = Relay::start(pg::server().port);
    let tmp = tempfile::tempdir().unwrap();
    let mut north = offline_gate(&env, &relay, tmp.path());
    let e = north.scan(code.as_bytes(), &operator(), "North\u{1b}]0;pwned\u{7}").unwrap_err().to_string();
    assert!(e.contains("gate"), "{e}");
    let e = north.scan(code.as_bytes(), &operator(), "North\u{202e}etaG").unwrap_err().to_string();
    assert!(e.contains("gate"), "{e}");
    let evil = gatehouse::domain::user::Actor { username: "om\u{1b}]0;x\u{7}ar".into(), ..operator() };
    assert!(north.scan(code.as_bytes(), &evil, "North").unwrap().offline);
    let r = relink(&mut north, &relay);
    assert!(r.error.is_none() && r.refused == 1 && r.queued == 0, "{r:?}");
    assert!(g.get_pass(&p.id).unwrap().scanned_at.is_none());
    let raw = "SELECT COUNT(*) FROM ledger WHERE strpos(operator, chr(27)) > 0 OR strpos(gate, chr(27)) > 0 OR strpos(data, chr(27)) > 0";
    assert_eq!(env.raw_i64(raw), 0);
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM scans WHERE strpos(operator, chr(27)) > 0"), 0);
    let list = g.conflicts().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!((list[0].kind.as_str(), list[0].second.operator.as_str()), ("refused", "(unreadable operator)"));
    assert!(list[0].reason.as_deref().is_some_and(|r| r.contains("not a user of this event") && !r.contains('\u{1b}')), "{list:?}");
}
