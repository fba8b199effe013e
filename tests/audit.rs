//! The tables answer to the ledger: every edit made behind gatehouse's back
//! (with rusqlite as an attacker with the file would, or with SQL on the
//! PostgreSQL server, on both backends) is found by the audit
//! and named by table, id and field; and restore refuses every such copy,
//! an empty one, and one that would roll the event back unless forced.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use gatehouse::domain::audit::Finding;
use gatehouse::domain::pass;
use gatehouse::domain::resident::ResidentRequest;
use gatehouse::domain::user::Role;
use gatehouse::service::{Gatehouse, Verification};
use gatehouse::store::NewBlock;
use rusqlite::Connection;

/// Ids of what `event` created.
struct Event {
    env: Env,
    used: String,
    unused: String,
    voided: String,
    resident: String,
}

both_backends!(
    an_untouched_event_passes_the_audit,
    a_lowered_price_is_named,
    each_edited_field_of_one_pass_is_named_with_both_values,
    scan_state_edited_either_way_is_named,
    a_revived_voided_pass_is_named,
    an_inserted_or_deleted_pass_row_is_named,
    a_flipped_resident_is_named,
    a_raised_role_is_named,
    a_deleted_or_edited_scans_row_is_named,
    a_second_admission_without_unscan_is_named,
    a_planted_trigger_is_named_and_refused,
    a_corrupted_index_is_named,
    blocks_from_before_fingerprints_leave_phones_unchecked_not_failed,
);

/// An admin and an operator; a used couple pass, an unused single, a voided
/// single; a resident who came IN; one forged scan.
fn event() -> Event {
    event_on(Backend::Sqlite)
}

/// The same event on `b`.
fn event_on(b: Backend) -> Event {
    let env = Env::on(b);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, PASSWORD).unwrap();
    let (used, code) = issue(&mut g, &couple("Ravi Kumar", "9876500000", "Mira Kumar", "9876500001"));
    let (unused, _) = issue(&mut g, &single("Asha Rao", "9876543210"));
    let (voided, _) = issue(&mut g, &single("Élise Ñúñez", "9876543211"));
    g.void_pass(&admin(), &voided.id, "refunded").unwrap();
    assert!(g.scan(code.as_bytes(), &operator(), "North").unwrap().verdict.admits());
    let req = ResidentRequest {
        name: "Kiran Das".into(),
        room: "204".into(),
        floor: "2".into(),
        phone: "9000000001".into(),
        ..Default::default()
    };
    let r = g.add_resident(&admin(), &req).unwrap();
    let rc = g.resident_payload(&r);
    assert!(g.scan(rc.as_bytes(), &operator(), "North").unwrap().verdict.admits());
    g.scan(b"GH1-P-01-NOT-A-REAL-CODE", &operator(), "North").unwrap();
    Event { env, used: used.id, unused: unused.id, voided: voided.id, resident: r.id }
}

fn verify(env: &Env) -> Verification {
    env.open().verify_all(None, false, &mut |_| {}).unwrap()
}

fn sql_on(db: &Path, s: &str) {
    let c = Connection::open(db).unwrap();
    // Out of WAL where nobody else has the file open, so a copy's edit lands
    // in the file itself (restore reads the file alone); a live database
    // open elsewhere stays in WAL, which its readers see.
    let _ = c.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0));
    c.execute_batch(s).unwrap();
}

/// Run `s` on the event's database behind gatehouse's back, as someone
/// with the file or the database role would: the same SQL on both backends.
fn tamper(env: &Env, s: &str) {
    match env.backend {
        Backend::Sqlite => sql_on(&env.db(), s),
        Backend::Postgres => env.raw_sql(s, s),
    }
}

fn findings(v: &Verification) -> Vec<Finding> {
    v.audit.as_ref().expect("the chain verified, so the audit ran").findings.clone()
}

fn diverges(v: &Verification, table: &str, id: &str, field: &str) -> bool {
    findings(v).iter().any(|f| matches!(f, Finding::Diverges { table: t, id: i, field: fd, .. } if *t == table && i == id && *fd == field))
}

fn cli_verify(env: &Env, extra: &[&str]) -> (i32, String) {
    let out = Command::new(bin()).args(["--data-dir", env.data_dir().to_str().unwrap(), "ledger", "verify"]).args(extra).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn an_untouched_event_passes_the_audit(b: Backend) {
    let e = event_on(b);
    let v = verify(&e.env);
    assert!(v.ok, "{:?}", v.problems());
    let a = v.audit.unwrap();
    // 3 passes, 1 resident, 2 users, 3 scans.
    assert_eq!(a.rows, 9);
    assert!(a.not_covered.is_empty(), "new blocks cover every field: {:?}", a.not_covered);
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK: ") && out.contains("the tables match the ledger (9 rows audited)"), "{out}");
}

fn a_lowered_price_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, &format!("UPDATE passes SET price_cents = 1 WHERE id = '{}'", e.unused));
    let v = verify(&e.env);
    assert!(!v.ok && v.chain.ok, "the chain alone cannot see it");
    assert!(diverges(&v, "passes", &e.unused, "price_cents"), "{:?}", v.problems());
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("passes {}: price_cents is 1 in the table, but 54900 in the ledger", e.unused)), "{out}");
    // --chain-only skips the audit, so it passes: the flag is what it says.
    let (code, out) = cli_verify(&e.env, &["--chain-only"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = cli_verify(&e.env, &["--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["ok"], false);
    assert_eq!(j["audit"]["findings"][0]["field"], "price_cents");
    assert_eq!(j["audit"]["findings"][0]["ledger"], "54900");
}

fn each_edited_field_of_one_pass_is_named_with_both_values(b: Backend) {
    // The audit compares rows by fingerprint and explains a differing one
    // field by field: every edited field is listed, the untouched ones not.
    let e = event_on(b);
    tamper(
        &e.env,
        &format!(
            "UPDATE passes SET holder_phone = '9000000099', holder_name = 'Someone Else', txn_ref = 'X1', slot = 'late' WHERE id = '{}';
             UPDATE passes SET void_reason = 'lost' WHERE id = '{}'",
            e.unused, e.voided
        ),
    );
    let v = verify(&e.env);
    let mut fields: Vec<_> = findings(&v)
        .into_iter()
        .filter_map(|f| match f {
            Finding::Diverges { id, field, ledger, found, .. } => Some((id, field, ledger, found)),
            _ => None,
        })
        .collect();
    fields.sort();
    let mut want = vec![
        (e.unused.clone(), "holder_name", "Asha Rao".to_string(), "Someone Else".to_string()),
        (e.unused.clone(), "holder_phone", String::new(), "a different number".to_string()),
        (e.unused.clone(), "slot", String::new(), "late".to_string()),
        (e.unused.clone(), "txn_ref", "none".to_string(), "\"X1\"".to_string()),
        (e.voided.clone(), "void_reason", "\"refunded\"".to_string(), "\"lost\"".to_string()),
    ];
    want.sort();
    assert_eq!(fields.len(), want.len(), "{fields:?}");
    for ((id, field, ledger, found), (wid, wfield, wledger, wfound)) in fields.iter().zip(&want) {
        assert_eq!((id, *field, found), (wid, *wfield, wfound));
        if *wfield == "holder_phone" {
            assert!(ledger.starts_with("fingerprint "), "{ledger}");
        } else if !wledger.is_empty() {
            assert_eq!(ledger, wledger);
        }
    }
}

fn scan_state_edited_either_way_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, &format!("UPDATE passes SET scanned_at = NULL, scanned_by = NULL, gate = NULL WHERE id = '{}'", e.used));
    let v = verify(&e.env);
    assert!(diverges(&v, "passes", &e.used, "scanned_at") && diverges(&v, "passes", &e.used, "gate"), "{:?}", v.problems());

    let e = event_on(b);
    tamper(
        &e.env,
        &format!(
            "UPDATE passes SET scanned_at = '2026-11-21T18:00:00.000000Z', scanned_by = 'omar', gate = 'North' WHERE id = '{}'",
            e.unused
        ),
    );
    let v = verify(&e.env);
    assert!(diverges(&v, "passes", &e.unused, "scanned_at"), "a use with no scan block: {:?}", v.problems());
}

fn a_revived_voided_pass_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, &format!("UPDATE passes SET voided_at = NULL, voided_by = NULL, void_reason = NULL WHERE id = '{}'", e.voided));
    let v = verify(&e.env);
    assert!(diverges(&v, "passes", &e.voided, "voided_at") && diverges(&v, "passes", &e.voided, "void_reason"), "{:?}", v.problems());
}

fn an_inserted_or_deleted_pass_row_is_named(b: Backend) {
    let e = event_on(b);
    let forged = "0f0f0f0f-0000-4000-8000-000000000000";
    tamper(
        &e.env,
        &format!(
            "INSERT INTO passes (id, pass_type, persons, holder_name, holder_phone, name_key, price_cents, payment_mode, slot, key_id, created_at, created_by)
             SELECT '{forged}', 'COUPLE', 2, 'Mallory', '9000000000', 'mallory', 0, 'CASH', slot, key_id, created_at, created_by FROM passes LIMIT 1"
        ),
    );
    let v = verify(&e.env);
    assert!(findings(&v).contains(&Finding::Unrecorded { table: "passes", id: forged.into() }), "{:?}", v.problems());

    let e = event_on(b);
    tamper(&e.env, &format!("DELETE FROM passes WHERE id = '{}'", e.unused));
    let v = verify(&e.env);
    assert!(
        findings(&v).iter().any(|f| matches!(f, Finding::Missing { table: "passes", id, .. } if *id == e.unused)),
        "{:?}",
        v.problems()
    );
}

fn a_flipped_resident_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, &format!("UPDATE residents SET status = 'OUT' WHERE id = '{}'", e.resident));
    let v = verify(&e.env);
    assert!(diverges(&v, "residents", &e.resident, "status"), "{:?}", v.problems());
    let e = event_on(b);
    tamper(&e.env, &format!("UPDATE residents SET phone = '9111111111' WHERE id = '{}'", e.resident));
    assert!(diverges(&verify(&e.env), "residents", &e.resident, "contact details"));
}

fn a_raised_role_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, "UPDATE users SET role = 'admin' WHERE username = 'omar'");
    let v = verify(&e.env);
    assert!(diverges(&v, "users", "omar", "role"), "{:?}", v.problems());
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("users omar: role is admin in the table, but operator in the ledger"), "{out}");
}

fn a_deleted_or_edited_scans_row_is_named(b: Backend) {
    let e = event_on(b);
    tamper(&e.env, "DELETE FROM scans WHERE verdict = 'ADMITTED'");
    let v = verify(&e.env);
    assert!(findings(&v).iter().any(|f| matches!(f, Finding::Missing { table: "scans", .. })), "{:?}", v.problems());

    let e = event_on(b);
    tamper(&e.env, "UPDATE scans SET verdict = 'VOIDED', persons = 0 WHERE verdict = 'ADMITTED'");
    let v = verify(&e.env);
    let scans_verdict =
        findings(&v).iter().any(|f| matches!(f, Finding::Diverges { table: "scans", field: "verdict", found, .. } if found == "VOIDED"));
    assert!(scans_verdict, "{:?}", v.problems());
}

fn a_second_admission_without_unscan_is_named(b: Backend) {
    let e = event_on(b);
    let mut g = e.env.open();
    let p = g.get_pass(&e.unused).unwrap();
    let code = g.pass_payload(&p);
    assert!(g.scan(code.as_bytes(), &operator(), "North").unwrap().verdict.admits());
    // The attacker clears the use; the next scan admits again, with a real block.
    tamper(&e.env, &format!("UPDATE passes SET scanned_at = NULL, scanned_by = NULL, gate = NULL WHERE id = '{}'", e.unused));
    drop(g);
    let mut g = e.env.open();
    assert!(g.scan(code.as_bytes(), &operator(), "South").unwrap().verdict.admits());
    let v = verify(&e.env);
    assert!(findings(&v).iter().any(|f| matches!(f, Finding::DoubleAdmission { pass, .. } if *pass == e.unused)), "{:?}", v.problems());
}

/// A trigger that quietly clears a scan: gatehouse never makes one, so the
/// schema check names it on either backend.
fn a_planted_trigger_is_named_and_refused(b: Backend) {
    let e = event_on(b);
    e.env.raw_sql(
        "CREATE TRIGGER reuse AFTER UPDATE OF scanned_at ON passes BEGIN UPDATE passes SET scanned_at = NULL WHERE id = new.id; END",
        "CREATE FUNCTION unuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.scanned_at := NULL; RETURN NEW; END $$;
         CREATE TRIGGER reuse BEFORE UPDATE OF scanned_at ON passes FOR EACH ROW EXECUTE FUNCTION unuse();",
    );
    let v = verify(&e.env);
    assert!(!v.ok);
    assert!(v.schema.iter().any(|s| s.contains("trigger reuse on passes was not created by gatehouse")), "{:?}", v.schema);
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 1, "{out}");
}

/// An index that no longer lists every row: SQLite's pages swapped behind
/// two indexes; on PostgreSQL an index the server stopped maintaining while
/// a pass was issued (amcheck finds the missing entry).
fn a_corrupted_index_is_named(b: Backend) {
    let e = event_on(b);
    match b {
        Backend::Sqlite => sql_on(
            &e.env.db(),
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET rootpage = (SELECT rootpage FROM sqlite_schema WHERE name = 'scans_at') WHERE name = 'passes_created';
             UPDATE sqlite_schema SET rootpage = (SELECT rootpage FROM sqlite_schema WHERE name = 'passes_holder') WHERE name = 'scans_at';
             PRAGMA writable_schema = OFF;",
        ),
        Backend::Postgres => {
            let off = |ready: bool| format!("UPDATE pg_index SET indisready = {ready} WHERE indexrelid = 'passes_created'::regclass");
            e.env.raw_sql("", &off(false));
            issue(&mut e.env.open(), &single("Index Gap", "9000000042"));
            e.env.raw_sql("", &off(true));
        }
    }
    let v = verify(&e.env);
    assert!(!v.ok);
    assert!(!v.integrity.is_empty(), "the engine's check found nothing");
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 1);
    let named = match b {
        Backend::Sqlite => "database file: ",
        Backend::Postgres => "index passes_created:",
    };
    assert!(out.contains(named), "{out}");
    // A backup still copies it, but says so.
    let out = Command::new(bin())
        .args(["--data-dir", e.env.data_dir().to_str().unwrap(), "--user", "asha", "backup"])
        .env("GATEHOUSE_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    if b == Backend::Sqlite {
        assert!(err.contains("fails SQLite's integrity check"), "{err}");
    }
}

/// A pass issued the way gatehouse did before blocks carried phone
/// fingerprints: the audit checks everything else and says what it cannot.
fn blocks_from_before_fingerprints_leave_phones_unchecked_not_failed(b: Backend) {
    let e = event_on(b);
    let mut g = e.env.open();
    let keys = g.keys().clone();
    let cfg = g.cfg.pass_rules();
    let v = pass::validate(&single("Old Timer", "9000000009"), &cfg).unwrap();
    let id = "1e1e1e1e-0000-4000-8000-000000000000";
    let at = "2026-11-21T17:00:00.000000Z";
    g.store()
        .write(|db| {
            db.insert_pass(id, &v, "01", at, "asha")?;
            let data = serde_json::json!({"id": id, "type": v.pass_type, "persons": v.persons, "holder": v.holder_name, "holder2": null,
                "price_cents": v.price_cents, "payment": "CASH", "txn": null, "slot": v.slot});
            db.append_block(&keys, &NewBlock { ts: at, operator: "asha", gate: "Main", event: "pass_issue", data: &data })?;
            Ok(())
        })
        .unwrap();
    let r = verify(&e.env);
    assert!(r.ok, "{:?}", r.problems());
    let a = r.audit.unwrap();
    assert_eq!(a.not_covered.len(), 1);
    assert_eq!((a.not_covered[0].table, a.not_covered[0].field, a.not_covered[0].rows), ("passes", "holder_phone", 1));
    let (code, out) = cli_verify(&e.env, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note: passes.holder_phone of 1 row(s) not checked"), "{out}");
    // Its other fields are still checked.
    tamper(&e.env, &format!("UPDATE passes SET price_cents = 0 WHERE id = '{id}'"));
    assert!(diverges(&verify(&e.env), "passes", id, "price_cents"));
}

// ---- restore ----

fn backup_of(env: &Env) -> PathBuf {
    let mut g = env.open();
    let dir = env.dir.path().join("copies");
    let (path, _) = g.backup(Some(&dir)).unwrap();
    let copy = env.dir.path().join(format!("copy-{}.db", uuid::Uuid::new_v4().simple()));
    std::fs::copy(&path, &copy).unwrap();
    copy
}

fn head(g: &mut Gatehouse) -> (u64, String) {
    g.ledger_head().unwrap().unwrap()
}

fn restore_err(env: &Env, copy: &Path, force: bool) -> String {
    env.open().restore(&admin(), copy, force).expect_err("restore must refuse").to_string()
}

#[test]
fn restore_refuses_every_tampered_copy_and_changes_nothing() {
    let e = event();
    let tampering = [
        format!("UPDATE passes SET price_cents = 1 WHERE id = '{}'", e.unused),
        format!("UPDATE passes SET scanned_at = NULL WHERE id = '{}'", e.used),
        format!("UPDATE passes SET voided_at = NULL, voided_by = NULL, void_reason = NULL WHERE id = '{}'", e.voided),
        format!("DELETE FROM passes WHERE id = '{}'", e.unused),
        format!("UPDATE residents SET status = 'OUT' WHERE id = '{}'", e.resident),
        "UPDATE users SET role = 'admin' WHERE username = 'omar'".into(),
        "DELETE FROM scans WHERE verdict = 'MALFORMED'".into(),
        "CREATE TRIGGER reuse AFTER UPDATE ON passes BEGIN UPDATE passes SET scanned_at = NULL WHERE id = new.id; END".into(),
        "DELETE FROM ledger WHERE idx = (SELECT MAX(idx) FROM ledger)".into(),
    ];
    let mut g = e.env.open();
    let before = head(&mut g);
    for t in &tampering {
        let copy = backup_of(&e.env);
        sql_on(&copy, t);
        let err = match e.env.open().restore(&admin(), &copy, true) {
            Ok(r) => panic!("{t}: restored {r:?}"),
            Err(err) => err.to_string(),
        };
        assert!(err.starts_with(&format!("refusing to restore {}", copy.display())), "{t}: {err}");
        assert_eq!(head(&mut g), before, "{t}: the live database changed");
    }
    // The truncated copy is caught by the audit (a scan row with no block), the rest by the audit or schema.
    assert!(verify(&e.env).ok);
}

#[test]
fn restore_refuses_an_empty_file() {
    let e = event();
    let empty = e.env.dir.path().join("empty.db");
    Connection::open(&empty).unwrap().execute_batch("PRAGMA user_version = 0").unwrap();
    let err = restore_err(&e.env, &empty, true);
    assert!(err.contains("it is empty"), "{err}");
    assert!(e.env.open().list_users().unwrap().len() == 2, "users kept");
}

#[test]
fn an_older_copy_needs_force_and_the_restore_is_ledgered() {
    let e = event();
    let older = backup_of(&e.env);
    let mut g = e.env.open();
    let (_, _) = issue(&mut g, &single("Late Guest", "9000000042"));
    let replaced = head(&mut g);
    let err = restore_err(&e.env, &older, false);
    assert!(err.contains("the copy is older than this database"), "{err}");
    assert!(err.contains("would lose 1 ledger block(s) and 1 pass(es)") && err.contains("--force"), "{err}");
    assert_eq!(head(&mut g), replaced);

    let r = g.restore(&admin(), &older, true).unwrap();
    assert_eq!((r.lost_blocks, r.lost_passes), (1, 1));
    let last = g.ledger_recent(1).unwrap().remove(0);
    assert_eq!(last.event, "restore");
    let data: serde_json::Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(data["replaced_head"], format!("{}:{}", replaced.0, replaced.1));
    assert_eq!(data["restored_head"], format!("{}:{}", replaced.0 - 1, g.ledger_blocks(replaced.0 - 1, 1).unwrap()[0].hash));
    assert_eq!(data["forced"], true);
    assert_eq!(data["lost_passes"], 1);
    let v = verify(&e.env);
    assert!(v.ok, "{:?}", v.problems());
}

#[test]
fn a_diverging_copy_needs_force() {
    let e = event();
    let fork = backup_of(&e.env);
    {
        // The copy goes on without us: a pass issued in it alone.
        let mut other = e.env.open();
        issue(&mut other, &single("Only Here", "9000000043"));
    }
    let dir = tempfile::tempdir().unwrap();
    let paths = gatehouse::config::Paths::new(dir.path().to_path_buf(), None);
    std::fs::copy(e.env.paths.key(), paths.key()).unwrap();
    std::fs::copy(&e.env.paths.config, &paths.config).unwrap();
    std::fs::copy(&fork, paths.db()).unwrap();
    {
        let mut side = Gatehouse::open(&paths).unwrap();
        side.issue_pass(&admin(), &single("Side Branch", "9000000044")).unwrap();
    }
    let side_copy = e.env.dir.path().join("side.db");
    {
        let mut side = Gatehouse::open(&paths).unwrap();
        let (p, _) = side.backup(Some(&e.env.dir.path().join("side"))).unwrap();
        std::fs::copy(p, &side_copy).unwrap();
    }
    let err = restore_err(&e.env, &side_copy, false);
    assert!(err.contains("diverges from this database's after block"), "{err}");
    assert!(err.contains("would lose 1 ledger block(s) and 1 pass(es)"), "{err}");
}

#[test]
fn a_clean_copy_is_restored_and_verifies_and_leftovers_are_cleaned() {
    let e = event();
    let copy = backup_of(&e.env);
    let mut g = e.env.open();
    let r = g.restore(&admin(), &copy, false).unwrap();
    assert_eq!(r.lost_blocks, 0);
    assert!(verify(&e.env).ok);

    // A restore killed mid-way leaves its staging copy; the next start removes it.
    let left = e.env.data_dir().join(".restore-0123abcd.db");
    std::fs::write(&left, b"partial").unwrap();
    std::fs::write(e.env.data_dir().join(".restore-0123abcd.db-wal"), b"partial").unwrap();
    drop(Gatehouse::open(&e.env.paths).unwrap());
    assert!(!left.exists());
    assert!(!e.env.data_dir().join(".restore-0123abcd.db-wal").exists());
}

/// A PostgreSQL event is not replaced from a file: restore says how to do it
/// instead, and the database is untouched.
#[test]
fn restore_into_postgres_says_how_and_changes_nothing() {
    let e = event_on(Backend::Postgres);
    let copy = backup_of(&e.env);
    let mut g = e.env.open();
    let before = head(&mut g);
    let err = restore_err(&e.env, &copy, true);
    assert!(err.contains("gatehouse db copy --to URL"), "{err}");
    assert_eq!(head(&mut g), before);
}
