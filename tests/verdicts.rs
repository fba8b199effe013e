//! Every verdict and every rule of the core, through the library with a
//! real SQLite file and a fixed clock.

#[macro_use]
mod common;

use common::*;
use gatehouse::Error;
use gatehouse::domain::ledger::VerifyReport;
use gatehouse::domain::payload::{self, Kind};
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::Gatehouse;

both_backends!(
    pass_verdicts_admitted_already_used_voided,
    unknown_forged_and_malformed,
    resident_toggles_with_anti_passback_and_inactive,
    validation_and_duplicates,
    operators_may_only_scan,
    lockout_after_five_failures_survives_restart,
    stats_count_people_revenue_and_denials,
    key_rotation_keeps_old_codes_valid,
    quotes_and_backslashes_in_names_survive_a_scan,
);

/// PostgreSQL sends a scan's claim and block as literals (to save round
/// trips), so names that would end a badly quoted literal must come back
/// exactly as typed.
fn quotes_and_backslashes_in_names_survive_a_scan(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (name, name2) = ("Seán O'Brien", r"D\'Souza'); DROP TABLE passes; --");
    let (p, code) = issue(&mut g, &couple(name, "+91 98765 43210", name2, "9876501234"));
    let first = g.scan(code.as_bytes(), &operator(), "North").unwrap();
    assert_eq!(first.verdict, Verdict::Admitted, "{}", first.reason);
    assert!(first.reason.contains(name) && first.reason.contains(name2), "{}", first.reason);
    let again = g.scan(code.as_bytes(), &operator(), "North").unwrap();
    assert_eq!(again.verdict, Verdict::AlreadyUsed);
    let stored = again.pass.unwrap();
    assert_eq!((stored.holder_name.as_str(), stored.holder2_name.as_deref()), (name, Some(name2)));
    assert_eq!(stored.id, p.id);
    let r = verify(&mut g);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.blocks, 3);
}

fn verify(g: &mut Gatehouse) -> VerifyReport {
    g.verify_ledger(None, &mut |_| {}).unwrap()
}

fn resident(g: &mut Gatehouse, name: &str, room: &str) -> String {
    let r = g.add_resident(&admin(), &ResidentRequest { name: name.into(), room: room.into(), ..Default::default() }).unwrap();
    g.resident_payload(&r)
}

fn pass_verdicts_admitted_already_used_voided(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p, code) = issue(&mut g, &couple("Asha Rao", "+91 98765 43210", "Ravi Rao", "9876501234"));
    let op = operator();

    let first = g.scan(code.as_bytes(), &op, "North").unwrap();
    assert_eq!(first.verdict, Verdict::Admitted);
    assert_eq!(first.pass.as_ref().map(|p| p.persons), Some(2));

    env.clock.advance(chrono::Duration::minutes(7));
    let again = g.scan(code.as_bytes(), &admin(), "South").unwrap();
    assert_eq!(again.verdict, Verdict::AlreadyUsed);
    let fu = again.first_use.unwrap();
    assert_eq!((fu.at.as_str(), fu.operator.as_str(), fu.gate.as_str()), (first.at.as_str(), "omar", "North"));
    // The block that recorded an admission is found by pass and time (how an
    // upload tells an offline admission from an online one); none at another time.
    let (at_first, at_none) =
        g.store().read(|db| Ok((db.scan_event_at(&p.id, &first.at)?, db.scan_event_at(&p.id, "2026-01-01T00:00:00.000000Z")?))).unwrap();
    assert_eq!((at_first.as_deref(), at_none), (Some("scan"), None));

    // Undo, then the pass admits again; void, then it is refused.
    g.unscan_pass(&admin(), &p.id[..8], "let in by mistake").unwrap();
    assert_eq!(g.scan(code.as_bytes(), &op, "North").unwrap().verdict, Verdict::Admitted);
    g.void_pass(&admin(), &p.id, "refunded").unwrap();
    let v = g.scan(code.as_bytes(), &op, "North").unwrap();
    assert_eq!(v.verdict, Verdict::Voided);
    assert!(v.reason.contains("refunded"), "{}", v.reason);
    assert!(matches!(g.void_pass(&admin(), &p.id, "again"), Err(Error::Conflict(_))));

    let r = verify(&mut g);
    assert!(r.ok, "{r:?}");
    // issue, scan, scan, unscan, scan, void, scan
    assert_eq!(r.blocks, 7);
}

fn unknown_forged_and_malformed(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let op = operator();
    let unknown = payload::encode(g.keys(), Kind::Pass, &uuid::Uuid::new_v4());
    let out = g.scan(unknown.as_bytes(), &op, "North").unwrap();
    assert_eq!(out.verdict, Verdict::Unknown);

    // A code signed with someone else's key.
    let other = gatehouse::domain::keys::KeyRing::new(&[("01".into(), [1u8; 32])]).unwrap();
    let forged = payload::encode(&other, Kind::Pass, &uuid::Uuid::new_v4());
    assert_eq!(g.scan(forged.as_bytes(), &op, "North").unwrap().verdict, Verdict::Forged);
    let unknown_key = unknown.replacen("-01-", "-7Z-", 1);
    let out = g.scan(unknown_key.as_bytes(), &op, "North").unwrap();
    assert_eq!(out.verdict, Verdict::Forged);
    assert!(out.reason.contains("unknown key"), "{}", out.reason);

    for bad in [&b""[..], b"hello", &[0xff, 0x00, 0x80], &vec![b'A'; 100_000]] {
        let out = g.scan(bad, &op, "North").unwrap();
        assert_eq!(out.verdict, Verdict::Malformed, "{:?}", String::from_utf8_lossy(&bad[..bad.len().min(20)]));
    }
    // Denials are ledgered too, without storing what was read.
    let r = verify(&mut g);
    assert!(r.ok && r.blocks == 7, "{r:?}");
    let blocks = g.ledger_blocks(0, 100).unwrap();
    assert!(blocks.iter().all(|b| !b.data.contains("AAAAAAAA")));
    assert!(blocks.iter().all(|b| b.event == "scan"));
}

fn resident_toggles_with_anti_passback_and_inactive(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let code = resident(&mut g, "Meera Iyer", "B-204");
    let op = operator();
    let v1 = g.scan(code.as_bytes(), &op, "Lobby").unwrap();
    assert_eq!((v1.verdict, v1.repeated), (Verdict::ResidentIn, false));
    // Same card again within 10 s: a repeated read, no toggle.
    env.clock.advance(chrono::Duration::seconds(4));
    let v2 = g.scan(code.as_bytes(), &op, "Lobby").unwrap();
    assert_eq!((v2.verdict, v2.repeated), (Verdict::ResidentIn, true));
    env.clock.advance(chrono::Duration::seconds(11));
    let v3 = g.scan(code.as_bytes(), &op, "Lobby").unwrap();
    assert_eq!((v3.verdict, v3.repeated), (Verdict::ResidentOut, false));
    env.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(g.scan(code.as_bytes(), &op, "Lobby").unwrap().verdict, Verdict::ResidentIn);

    let r = g.list_residents(None, false).unwrap();
    g.deactivate_resident(&admin(), &r[0].id[..6], "moved out").unwrap();
    env.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(g.scan(code.as_bytes(), &op, "Lobby").unwrap().verdict, Verdict::ResidentInactive);
    // A resident code never opens a pass with the same id, and vice versa.
    let as_pass = payload::encode(g.keys(), Kind::Pass, &uuid::Uuid::parse_str(&r[0].id).unwrap());
    assert_eq!(g.scan(as_pass.as_bytes(), &op, "Lobby").unwrap().verdict, Verdict::Unknown);
    assert!(verify(&mut g).ok);
}

fn validation_and_duplicates(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p, _) = issue(&mut g, &single("Asha Rao", "9876543210"));
    // Same holder, different case and spacing: rejected with the existing id.
    match g.issue_pass(&admin(), &single("  asha   RAO ", "98765 43210")) {
        Err(Error::DuplicatePass { existing_id, .. }) => assert_eq!(existing_id, p.id),
        other => panic!("expected duplicate, got {other:?}"),
    }
    // Each field error carries the field name, in one message per field.
    let mut bad = couple("", "12", "", "");
    bad.payment = "ONLINE".into();
    bad.txn_ref = None;
    match g.issue_pass(&admin(), &bad) {
        Err(Error::Validation(e)) => {
            for f in ["name", "phone", "name2", "phone2", "txn"] {
                assert!(e.get(f).is_some(), "no error for {f}: {e}");
            }
        }
        other => panic!("expected validation errors, got {other:?}"),
    }
    // A voided pass frees the holder for a new one.
    g.void_pass(&admin(), &p.id, "typo in name").unwrap();
    issue(&mut g, &single("Asha Rao", "9876543210"));
    // Nothing invalid reached the database or the ledger.
    assert_eq!(g.list_passes(&Default::default()).unwrap().len(), 2);
    assert_eq!(verify(&mut g).blocks, 3);
}

fn operators_may_only_scan(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (p, code) = issue(&mut g, &single("Asha Rao", "9876543210"));
    let op = operator();
    let forbidden = |r: Result<(), Error>| assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
    forbidden(g.issue_pass(&op, &single("B", "9876543211")).map(|_| ()));
    forbidden(g.void_pass(&op, &p.id, "x").map(|_| ()));
    forbidden(g.unscan_pass(&op, &p.id, "x").map(|_| ()));
    forbidden(g.add_resident(&op, &ResidentRequest { name: "M".into(), room: "1".into(), ..Default::default() }).map(|_| ()));
    forbidden(g.add_user(Some(&op), "eve", "", gatehouse::domain::user::Role::Admin, "password123").map(|_| ()));
    assert_eq!(g.scan(code.as_bytes(), &op, "North").unwrap().verdict, Verdict::Admitted);
}

fn lockout_after_five_failures_survives_restart(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    with_admin(&mut g);
    assert!(g.authenticate("asha", PASSWORD).is_ok());
    for i in 0..5 {
        let e = g.authenticate("asha", "wrong password").unwrap_err().to_string();
        assert!(e.contains("wrong"), "{i}: {e}");
    }
    drop(g);
    let mut g = env.open();
    let e = g.authenticate("asha", PASSWORD).unwrap_err().to_string();
    assert!(e.contains("locked"), "{e}");
    env.clock.advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    assert_eq!(g.authenticate("asha", PASSWORD).unwrap().username, "asha");
    // The lock was ledgered as a user change.
    assert!(g.ledger_blocks(0, 50).unwrap().iter().any(|b| b.event == "user_locked"));
    assert!(verify(&mut g).ok);
}

fn stats_count_people_revenue_and_denials(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (_, c1) = issue(&mut g, &couple("A One", "9000000001", "B One", "9000000002"));
    let (_, c2) = issue(&mut g, &single("C Two", "9000000003"));
    let (p3, _) = issue(&mut g, &single("D Three", "9000000004"));
    let code = resident(&mut g, "Meera", "B-204");
    let op = operator();
    g.scan(c1.as_bytes(), &op, "N").unwrap();
    g.scan(c2.as_bytes(), &op, "N").unwrap();
    g.scan(c2.as_bytes(), &op, "N").unwrap();
    g.scan(b"junk", &op, "N").unwrap();
    g.scan(code.as_bytes(), &op, "N").unwrap();
    g.void_pass(&admin(), &p3.id, "refund").unwrap();
    let s = g.stats().unwrap();
    assert_eq!((s.passes_issued, s.passes_admitted, s.passes_unused, s.passes_voided), (3, 2, 0, 1));
    assert_eq!(s.people_admitted, 3, "a couple counts as two");
    assert_eq!(s.revenue_total_cents, 99900 + 54900, "voided revenue excluded");
    assert_eq!(s.revenue_by_payment.get("ONLINE"), Some(&999.0));
    assert_eq!(s.revenue_by_payment.get("CASH"), Some(&549.0));
    assert_eq!(s.revenue_by_operator.get("asha"), Some(&1548.0));
    assert_eq!((s.residents_in, s.residents_out), (1, 0));
    assert_eq!(s.occupancy(), 4);
    assert_eq!(s.denied_by_reason.get("ALREADY_USED"), Some(&1));
    assert_eq!(s.denied_by_reason.get("MALFORMED"), Some(&1));
    assert_eq!(s.scans_per_hour.len(), 24);
    assert_eq!(s.scans_per_hour.last().map(|b| b.1), Some(5));
    assert_eq!(s.scans_total_24h, 5);
}

fn key_rotation_keeps_old_codes_valid(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let (_, old_code) = issue(&mut g, &single("Old Key", "9000000001"));
    let id = gatehouse::keyfile::rotate(&env.paths.key()).unwrap();
    assert_eq!(id, "02");
    let mut g = env.open();
    let (p, new_code) = issue(&mut g, &single("New Key", "9000000002"));
    assert_eq!(p.key_id, "02");
    assert!(new_code.contains("-02-"));
    assert!(old_code.contains("-01-"));
    let op = operator();
    assert_eq!(g.scan(old_code.as_bytes(), &op, "N").unwrap().verdict, Verdict::Admitted);
    assert_eq!(g.scan(new_code.as_bytes(), &op, "N").unwrap().verdict, Verdict::Admitted);
    // Blocks signed under both keys verify.
    assert!(verify(&mut g).ok);
}

#[test]
fn payload_fits_qr_version_4_and_decodes_from_png() {
    let env = Env::new();
    let mut g = env.open();
    let (_, code) = issue(&mut g, &couple("Asha Rao", "9000000001", "Ravi Rao", "9000000002"));
    let qr = gatehouse::qr::encode(&code).unwrap();
    assert!(gatehouse::qr::version_number(&qr) <= 4, "version {}", gatehouse::qr::version_number(&qr));
    assert!(matches!(qr.error_correction_level(), qrcode::EcLevel::Q | qrcode::EcLevel::H));
    // Also at level M and higher, explicitly.
    for ec in [qrcode::EcLevel::M, qrcode::EcLevel::Q] {
        let c = qrcode::QrCode::with_error_correction_level(code.as_bytes(), ec).unwrap();
        assert!(gatehouse::qr::version_number(&c) <= 4);
    }
    let png = env.dir.path().join("p.png");
    gatehouse::qr::write_png(&code, &png, 4).unwrap();
    let img = gatehouse::decode::load_gray(&png).unwrap();
    assert_eq!(gatehouse::decode::decode_gray(&img), vec![code.clone()]);
    assert!(gatehouse::qr::to_terminal(&code).unwrap().lines().count() > 10);
}

#[test]
fn locked_database_is_a_clear_busy_error_and_loses_nothing() {
    let env = Env::new();
    let mut g = env.open();
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    g.store().set_busy_timeout(std::time::Duration::from_millis(200)).unwrap();
    let other = rusqlite::Connection::open(env.db()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = g.scan(code.as_bytes(), &operator(), "N").unwrap_err();
    assert!(e.store_kind() == Some(gatehouse::error::StoreKind::Busy), "{e:?}");
    assert!(e.to_string().contains("busy"), "{e}");
    other.execute_batch("ROLLBACK").unwrap();
    // The pass is still unused and the retry admits it.
    assert!(g.get_pass(&p.id).unwrap().scanned_at.is_none());
    assert_eq!(g.scan(code.as_bytes(), &operator(), "N").unwrap().verdict, Verdict::Admitted);
    assert!(verify(&mut g).ok);
}

#[test]
fn full_disk_fails_cleanly_and_loses_nothing() {
    let env = Env::new();
    let mut g = env.open();
    let (_, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let pages: i64 = rusqlite::Connection::open(env.db()).unwrap().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    g.store().file().expect("a SQLite gate").set_max_pages(pages as u64).unwrap();
    let mut err = None;
    for i in 0..2000 {
        match g.issue_pass(&admin(), &single(&format!("Guest {i} {}", "x".repeat(60)), &format!("91{:08}", i))) {
            Ok(_) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let e = err.expect("the quota should fill up");
    assert!(e.store_kind() == Some(gatehouse::error::StoreKind::DiskFull), "{e:?}");
    assert!(e.to_string().contains("disk is full"), "{e}");
    // Everything committed before the failure is intact and verifiable.
    let r = verify(&mut g);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.blocks as usize, g.list_passes(&Default::default()).unwrap().len());
    g.store().file().expect("a SQLite gate").set_max_pages(1 << 30).unwrap();
    assert_eq!(g.scan(code.as_bytes(), &operator(), "N").unwrap().verdict, Verdict::Admitted);
}

#[test]
fn migrations_from_empty_and_refuse_newer_schema() {
    let env = Env::new();
    let g = env.open();
    drop(g);
    let v: u32 = rusqlite::Connection::open(env.db()).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert!(v >= 1);
    rusqlite::Connection::open(env.db()).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let e = gatehouse::store::Store::open(&env.db()).err().unwrap().to_string();
    assert!(e.contains("newer"), "{e}");
}

/// On PostgreSQL a scan's block is held back and sent with the COMMIT. If
/// the server refuses it there, the scan is an error, nothing of it stays,
/// and the connection is not left inside the failed transaction.
#[test]
fn postgres_a_block_refused_at_commit_loses_the_whole_scan_and_the_gate_goes_on() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    let head = verify(&mut g).head_hash;
    pg::server().sql_in(&env.pg_db(), "ALTER TABLE scans ADD CONSTRAINT refuse_blocked CHECK (gate <> 'Blocked')");
    let e = g.scan(code.as_bytes(), &operator(), "Blocked").unwrap_err();
    assert!(e.to_string().contains("refuse_blocked"), "{e}");
    assert!(g.get_pass(&p.id).unwrap().scanned_at.is_none(), "the claim was rolled back with the block");
    pg::server().sql_in(&env.pg_db(), "ALTER TABLE scans DROP CONSTRAINT refuse_blocked");
    let r = verify(&mut g);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.head_hash, head, "no block was added");
    // The same connection scans on.
    let ok = g.scan(code.as_bytes(), &operator(), "North").unwrap();
    assert_eq!(ok.verdict, Verdict::Admitted);
    assert!(verify(&mut g).ok);
}

#[test]
fn postgres_locked_row_is_a_clear_busy_error_and_loses_nothing() {
    let env = Env::on(Backend::Postgres);
    let mut g = env.open();
    let (p, code) = issue(&mut g, &single("Asha Rao", "9000000001"));
    g.store().set_busy_timeout(std::time::Duration::from_millis(200)).unwrap();
    // Another gate holds the pass's row in an open transaction.
    let mut other = pg::server().client(&env.pg_db());
    let mut tx = other.transaction().unwrap();
    tx.execute("SELECT 1 FROM passes WHERE id = $1 FOR UPDATE", &[&p.id]).unwrap();
    let e = g.scan(code.as_bytes(), &operator(), "N").unwrap_err();
    assert!(e.store_kind() == Some(gatehouse::error::StoreKind::Busy), "{e:?}");
    // With no wait set, a gate waits as long as SQLite does (5 s), then
    // says the same: it never hangs behind a session left open.
    let e = env.open().scan(code.as_bytes(), &operator(), "N").unwrap_err();
    assert!(e.store_kind() == Some(gatehouse::error::StoreKind::Busy), "{e:?}");
    tx.rollback().unwrap();
    assert!(g.get_pass(&p.id).unwrap().scanned_at.is_none());
    assert_eq!(g.scan(code.as_bytes(), &operator(), "N").unwrap().verdict, Verdict::Admitted);
    assert!(verify(&mut g).ok);
}

#[test]
fn postgres_migrations_refuse_a_newer_schema_and_another_application() {
    let env = Env::on(Backend::Postgres);
    let url = gatehouse::store::DbUrl::parse(env.url.as_deref().unwrap()).unwrap();
    assert_eq!(gatehouse::store::Store::open_url(&url).unwrap().schema_version().unwrap(), 8);
    // A database at version 1 is brought up to date: room left on passes' pages, the sessions table, the rules, the issuing keys.
    let fillfactor = || {
        let mut c = pg::server().client(&env.pg_db());
        let opts: Option<Vec<String>> = c.query_one("SELECT reloptions FROM pg_class WHERE relname = 'passes'", &[]).unwrap().get(0);
        opts.unwrap_or_default()
    };
    assert_eq!(fillfactor(), ["fillfactor=85"]);
    pg::server().sql_in(
        &env.pg_db(),
        "ALTER TABLE passes RESET (fillfactor); DROP TABLE sessions; DROP TABLE event_rules; DROP TABLE issuing_keys, key_slots; DROP TABLE gates, gate_tokens;
         ALTER TABLE passes DROP COLUMN inside, DROP COLUMN entered, DROP COLUMN entry_day, DROP COLUMN last_in_at,
           DROP COLUMN last_in_gate, DROP COLUMN note;
         UPDATE gatehouse_schema SET version = 1",
    );
    assert!(fillfactor().is_empty());
    let holder_unique = || {
        let mut c = pg::server().client(&env.pg_db());
        c.query_one("SELECT indisunique FROM pg_index WHERE indexrelid = 'passes_holder'::regclass", &[]).unwrap().get::<_, bool>(0)
    };
    pg::server().sql_in(
        &env.pg_db(),
        "DROP INDEX passes_holder; CREATE UNIQUE INDEX passes_holder ON passes (name_key, holder_phone) WHERE voided_at IS NULL",
    );
    assert!(holder_unique(), "version 1's holder index");
    assert_eq!(gatehouse::store::Store::open_url(&url).unwrap().schema_version().unwrap(), 8);
    assert_eq!(fillfactor(), ["fillfactor=85"]);
    assert!(!holder_unique(), "a holder may hold several passes (another type, slot, or an allowed duplicate)");

    pg::server().sql_in(&env.pg_db(), "UPDATE gatehouse_schema SET version = 999");
    let e = gatehouse::store::Store::open_url(&url).err().unwrap().to_string();
    assert!(e.contains("newer") && !e.contains('\n'), "{e}");

    // A database holding someone else's tables is refused, and left as it was.
    let other = pg::fresh_db();
    let name = pg::db_name(&other);
    pg::server().sql_in(&name, "CREATE TABLE invoices (id INT)");
    let e = gatehouse::store::Store::open_url(&gatehouse::store::DbUrl::parse(&other).unwrap()).err().unwrap().to_string();
    assert!(e.contains("not a gatehouse database") && !e.contains('\n'), "{e}");
    let mut c = pg::server().client(&name);
    let n: i64 = c.query_one("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'", &[]).unwrap().get(0);
    assert_eq!(n, 1, "nothing written");
}
