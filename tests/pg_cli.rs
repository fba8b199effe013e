//! PostgreSQL through the binary: gates set up with `init --database`,
//! joining with the key file, `db status`, `db copy` SQLite → PostgreSQL →
//! SQLite, and one clear line for every fault with nothing written.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use common::*;

fn run(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    common::gates::gh(args, stdin, env)
}

fn text(o: &Output) -> String {
    common::gates::out_text(o)
}

fn head(dir: &str) -> String {
    let o = run(&["--data-dir", dir, "ledger", "verify", "--json"], None, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["ok"], true, "{v}");
    format!("{}:{}", v["head_index"], v["head_hash"].as_str().unwrap())
}

#[test]
fn two_gates_share_one_database_and_a_wrong_key_is_refused() {
    let url = pg::fresh_db();
    let tmp = tempfile::tempdir().unwrap();
    let north = tmp.path().join("north");
    let south = tmp.path().join("south");
    let (n, s) = (north.to_str().unwrap(), south.to_str().unwrap());
    let o = run(&["--data-dir", n, "--database", &url, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")), &[]);
    assert!(o.status.success(), "{}", text(&o));
    let cfg = std::fs::read_to_string(north.join("config.toml")).unwrap();
    assert!(cfg.contains(&format!("database = \"{url}\"")), "{cfg}");
    assert!(!north.join("gatehouse.db").exists(), "no SQLite file for a shared database");

    // A pass issued at the north gate.
    let o = run(
        &[
            "--data-dir",
            n,
            "--user",
            "asha",
            "pass",
            "issue",
            "--type",
            "SINGLE",
            "--name",
            "Asha Rao",
            "--phone",
            "9000000001",
            "--payment",
            "CASH",
            "--json",
        ],
        None,
        &[("GATEHOUSE_PASSWORD", PASSWORD)],
    );
    assert!(o.status.success(), "{}", text(&o));
    let pass: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let code = pass["payload"].as_str().unwrap_or_else(|| panic!("{pass}")).to_string();

    // The south gate with a key of its own is refused, with one line.
    let wrong = tmp.path().join("wrong.key");
    gatehouse::keyfile::create(&wrong).unwrap();
    let o = run(&["--data-dir", s, "--database", &url, "init", "--key-file", wrong.to_str().unwrap()], None, &[]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("does not match this event's ledger") && e.trim().lines().count() == 1, "{e}");
    assert!(!south.join("gatehouse.key").exists());
    // Without a key file it may not start a second event in the same database.
    let o = run(&["--data-dir", s, "--database", &url, "init", "--admin", "x", "--password-stdin"], Some("pw-long-enough\n"), &[]);
    assert!(!o.status.success() && text(&o).contains("--key-file"), "{}", text(&o));

    // With the first gate's key it joins, named by --gate, and sees the
    // north gate's admission at once.
    let key = north.join("gatehouse.key");
    let o = run(&["--data-dir", s, "--database", &url, "--gate", "South", "init", "--key-file", key.to_str().unwrap()], None, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let scan = |dir: &str, gate: &str| {
        // No --gate: the gate's own config names it.
        let gate: &[&str] = if dir == s { &[] } else { &["--gate", gate] };
        let o = run(
            &[&["--data-dir", dir, "--user", "asha"], gate, &["scan", "--payload", &code, "--json"]].concat(),
            None,
            &[("GATEHOUSE_PASSWORD", PASSWORD)],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        v["verdict"].as_str().unwrap().to_string()
    };
    assert_eq!(scan(n, "North"), "ADMITTED");
    assert_eq!(scan(s, "South"), "ALREADY_USED");
    let o = run(&["--data-dir", s, "stats", "--json"], None, &[]);
    let st: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(st["by_gate"]["North"]["admitted"], 1, "{st}");
    assert_eq!(st["by_gate"]["South"]["scans"], 1, "{st}");
    assert_eq!(head(n), head(s));

    let o = run(&["--data-dir", s, "db", "status", "--json"], None, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["backend"], "postgresql");
    assert_eq!(v["schema_version"], 8);
    assert!(v["server_version"].as_str().unwrap().starts_with(char::is_numeric), "{v}");
    assert!(v["round_trip_ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn db_copy_sqlite_to_postgres_and_back_keeps_the_ledger_head() {
    let env = Env::new();
    let mut g = env.open();
    with_admin(&mut g);
    let codes: Vec<String> = (0..5).map(|i| issue(&mut g, &single(&format!("Guest {i}"), &format!("900000000{i}"))).1).collect();
    g.add_resident(
        &admin(),
        &gatehouse::domain::resident::ResidentRequest { name: "Meera".into(), room: "B-204".into(), ..Default::default() },
    )
    .unwrap();
    for c in &codes[..3] {
        g.scan(c.as_bytes(), &operator(), "North").unwrap();
    }
    g.scan(codes[0].as_bytes(), &operator(), "South").unwrap();
    drop(g);
    let src = env.data_dir().to_str().unwrap().to_string();
    let sqlite_head = head(&src);
    let signed = [("GATEHOUSE_PASSWORD", PASSWORD)];

    let url = pg::fresh_db();
    let o = run(&["--data-dir", &src, "--user", "asha", "db", "copy", "--to", &url], None, &signed);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("copied 1 users, 5 passes, 1 residents, 4 scans, 11 ledger blocks"), "{}", text(&o));
    // The PostgreSQL copy, seen through a gate using it, verifies to the same head.
    let o = run(&["--data-dir", &src, "--database", &url, "ledger", "verify", "--json"], None, &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(format!("{}:{}", v["head_index"], v["head_hash"].as_str().unwrap()), sqlite_head);
    // Copying into it again is refused: the target is not empty.
    let o = run(&["--data-dir", &src, "--user", "asha", "db", "copy", "--to", &url], None, &signed);
    assert!(!o.status.success() && text(&o).contains("not empty"), "{}", text(&o));

    // And back into a new SQLite file, which `restore` accepts.
    let back = env.dir.path().join("back.db");
    let o = run(&["--data-dir", &src, "--database", &url, "--user", "asha", "db", "copy", "--to", back.to_str().unwrap()], None, &signed);
    assert!(o.status.success(), "{}", text(&o));
    let dir2 = env.dir.path().join("again");
    std::fs::create_dir(&dir2).unwrap();
    std::fs::copy(env.paths.key(), dir2.join("gatehouse.key")).unwrap();
    std::fs::rename(&back, dir2.join("gatehouse.db")).unwrap();
    assert_eq!(head(dir2.to_str().unwrap()), sqlite_head);
    let o = run(&["--data-dir", dir2.to_str().unwrap(), "--user", "asha", "scan", "--payload", &codes[4], "--json"], None, &signed);
    assert!(text(&o).contains("ADMITTED"), "{}", text(&o));
}

#[test]
fn faults_are_one_clear_line_and_never_show_the_password() {
    let env = Env::new();
    let dir = env.data_dir().to_str().unwrap().to_string();
    let srv = pg::server();
    let db = pg::fresh_db();
    let name = pg::db_name(&db);
    let tcp = format!("postgresql://gate_pw@127.0.0.1:{}/{name}", srv.port);
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // (URL, environment, what the one line must say)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        ("mysql://root@localhost/ev".into(), vec![], "not a postgresql:// URL"),
        (format!("postgresql://gate_pw:{}@127.0.0.1/{name}", pg::GATE_PASSWORD), vec![], "holds a password"),
        (tcp.clone(), vec![("PGPASSWORD", "not-the-password")], "password authentication failed"),
        (format!("postgresql://gate_pw@127.0.0.1:{dead_port}/{name}"), vec![("PGPASSWORD", pg::GATE_PASSWORD)], "cannot reach"),
        (format!("postgresql://postgres@/no_such_db?host={}&port={}", srv.dir.display(), srv.port), vec![], "does not exist"),
    ];
    for (url, vars, want) in cases {
        let o = run(&["--data-dir", &dir, "--database", &url, "stats"], None, &vars);
        let e = String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert!(!o.status.success(), "{url}: {}", text(&o));
        assert!(e.contains(want) && e.lines().count() == 1, "{url}: {e}");
        assert!(!e.contains(pg::GATE_PASSWORD) && !e.contains("not-the-password"), "{e}");
    }
    // Nothing was written to the database the wrong password was tried on.
    let n: i64 =
        srv.client(&name).query_one("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'", &[]).unwrap().get(0);
    assert_eq!(n, 0);

    // The right password, from PGPASSWORD or from a pgpass file of mode 0600 (not 0644).
    let o = run(&["--data-dir", &dir, "--database", &tcp, "db", "status"], None, &[("PGPASSWORD", pg::GATE_PASSWORD)]);
    assert!(o.status.success(), "{}", text(&o));
    let pgpass = env.dir.path().join("pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:*:{name}:gate_pw:{}\n", pg::GATE_PASSWORD)).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&["--data-dir", &dir, "--database", &tcp, "db", "status"], None, &[("PGPASSFILE", pgpass.to_str().unwrap())]);
    assert!(!o.status.success() && text(&o).contains("chmod 600"), "{}", text(&o));
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run(&["--data-dir", &dir, "--database", &tcp, "db", "status"], None, &[("PGPASSFILE", pgpass.to_str().unwrap())]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("postgresql") && !text(&o).contains(pg::GATE_PASSWORD), "{}", text(&o));
}

#[test]
fn tls_require_verify_full_and_clear_refusals() {
    let env = Env::new();
    let dir = env.data_dir().to_str().unwrap().to_string();
    let home = env.dir.path().to_str().unwrap().to_string(); // no ~/.postgresql/root.crt there
    let t = pg::tls_server();
    let name = pg::db_name(&t.server.fresh_db());
    let port = t.server.port;
    let (ca, wrong_ca) = (t.ca.to_str().unwrap(), t.wrong_ca.to_str().unwrap());
    let vars = [("PGPASSWORD", pg::GATE_PASSWORD), ("HOME", home.as_str())];
    let status = |url: &str| {
        let o = run(&["--data-dir", &dir, "--database", url, "db", "status", "--json"], None, &vars);
        assert!(!text(&o).contains(pg::GATE_PASSWORD), "{}", text(&o));
        o
    };
    let tls_of = |url: &str| {
        let o = status(url);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{url}: {e}: {}", text(&o)));
        v["tls"].as_str().unwrap().to_string()
    };
    let url = |host: &str, query: &str| format!("postgresql://gate_pw@{host}:{port}/{name}?{query}");

    // Encrypted, certificate unchecked; then checked against the CA, with
    // and without the host name (the certificate names localhost only).
    assert!(tls_of(&url("127.0.0.1", "sslmode=require")).starts_with("TLSv1."), "require");
    let full = tls_of(&url("localhost", &format!("sslmode=verify-full&sslrootcert={ca}")));
    assert!(full.starts_with("TLSv1.") && full.ends_with("(sslmode=verify-full)"), "{full}");
    assert!(tls_of(&url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"))).starts_with("TLSv1."));
    // libpq's default, prefer: TLS when offered.
    assert!(tls_of(&url("127.0.0.1", "application_name=x")).starts_with("TLSv1."), "prefer");

    // Refusals: one line each, saying what to change, no password.
    let plain = pg::server();
    let plain_db = pg::db_name(&pg::fresh_db());
    let cases = [
        (url("localhost", &format!("sslmode=verify-full&sslrootcert={wrong_ca}")), format!("not signed by the CA in {wrong_ca}")),
        (url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={ca}")), "does not name this host".to_string()),
        (format!("postgresql://gate_pw@127.0.0.1:{}/{plain_db}?sslmode=require", plain.port), "does not offer TLS".into()),
        (url("localhost", "sslmode=verify-full"), "needs a CA file: add sslrootcert=".into()),
        (url("localhost", "sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"), "CA file /nonexistent/ca.crt".into()),
        (url("localhost", "sslmode=allow-anything"), "use disable, prefer, require, verify-ca or verify-full".into()),
    ];
    for (u, want) in cases {
        let o = status(&u);
        let e = String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert!(!o.status.success(), "{u}: {}", text(&o));
        assert!(e.contains(&want) && e.lines().count() == 1, "{u}: want {want:?}, got: {e}");
    }
    // Without TLS where the server has none, as before.
    let o = status(&format!("postgresql://gate_pw@127.0.0.1:{}/{plain_db}", plain.port));
    assert!(o.status.success() && text(&o).contains("\"off (sslmode=prefer)\""), "{}", text(&o));
}

#[test]
fn another_applications_database_and_a_newer_schema_are_refused_with_nothing_written() {
    let env = Env::new();
    let dir = env.data_dir().to_str().unwrap().to_string();
    let srv = pg::server();
    let count = |db: &str, sql: &str| -> i64 { srv.client(db).query_one(sql, &[]).unwrap().get(0) };
    let tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'";

    // Someone else's tables, and someone else's gatehouse_schema row.
    let foreign = pg::fresh_db();
    let fname = pg::db_name(&foreign);
    srv.sql_in(&fname, "CREATE TABLE invoices (id INT); INSERT INTO invoices VALUES (1)");
    let other_app = pg::fresh_db();
    let oname = pg::db_name(&other_app);
    srv.sql_in(
        &oname,
        "CREATE TABLE gatehouse_schema (app TEXT NOT NULL, version INTEGER NOT NULL); INSERT INTO gatehouse_schema VALUES ('billing', 3)",
    );
    // A gatehouse database from a newer release.
    let newer = Env::on(Backend::Postgres);
    let nname = newer.pg_db();
    srv.sql_in(&nname, "UPDATE gatehouse_schema SET version = 999");
    let newer_url = newer.url.clone().unwrap();

    let cases = [
        (&foreign, "is not a gatehouse database (it holds 1 tables"),
        (&other_app, "it belongs to \"billing\""),
        (&newer_url, "newer than this gatehouse understands"),
    ];
    let fresh = env.dir.path().join("new-gate");
    let fresh = fresh.to_str().unwrap();
    for (url, want) in cases {
        for args in [&["stats"][..], &["init", "--admin", "asha", "--password-stdin"]] {
            let d = if args[0] == "init" { fresh } else { dir.as_str() };
            let mut all = vec!["--data-dir", d, "--database", url.as_str()];
            all.extend_from_slice(args);
            let o = run(&all, Some(&format!("{PASSWORD}\n")), &[]);
            let e = String::from_utf8_lossy(&o.stderr).trim().to_string();
            assert!(!o.status.success() && e.contains(want) && e.lines().count() == 1, "{args:?} {url}: {e}");
        }
    }
    assert_eq!((count(&fname, tables), count(&fname, "SELECT COUNT(*) FROM invoices")), (1, 1), "nothing written");
    assert_eq!(count(&oname, tables), 1);
    assert_eq!(count(&oname, "SELECT version::bigint FROM gatehouse_schema"), 3);
    assert_eq!(count(&nname, "SELECT version::bigint FROM gatehouse_schema"), 999);
    assert_eq!(count(&nname, "SELECT COUNT(*) FROM users"), 0, "no admin added");
}

/// `ledger verify` runs amcheck where it can (a superuser installs it), and
/// finds an index that lacks a row's entry; where it cannot (a plain role,
/// no extension), it says so in a note and still passes.
#[test]
fn ledger_verify_runs_amcheck_or_says_what_it_could_not_check() {
    let srv = pg::server();
    let tmp = tempfile::tempdir().unwrap();
    let verify = |dir: &str| -> serde_json::Value {
        let o = run(&["--data-dir", dir, "ledger", "verify", "--json"], None, &[]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
    };
    let init = |dir: &str, url: &str| {
        let o = run(
            &["--data-dir", dir, "--database", url, "init", "--admin", "asha", "--password-stdin"],
            Some(&format!("{PASSWORD}\n")),
            &[],
        );
        assert!(o.status.success(), "{}", text(&o));
    };

    // As the superuser: amcheck is installed and runs; a sound database passes.
    let url = pg::fresh_db();
    let name = pg::db_name(&url);
    let su = tmp.path().join("su");
    init(su.to_str().unwrap(), &url);
    let v = verify(su.to_str().unwrap());
    assert_eq!((v["ok"].as_bool(), v["notes"].as_array().map(Vec::len)), (Some(true), Some(0)), "{v}");
    // An index the server stopped maintaining misses the next row.
    srv.sql_in(&name, "UPDATE pg_index SET indisready = false WHERE indexrelid = 'passes_created'::regclass");
    let o = run(
        &[
            "--data-dir",
            su.to_str().unwrap(),
            "--user",
            "asha",
            "pass",
            "issue",
            "--type",
            "SINGLE",
            "--name",
            "Index Gap",
            "--phone",
            "9000000042",
            "--payment",
            "CASH",
        ],
        None,
        &[("GATEHOUSE_PASSWORD", PASSWORD)],
    );
    assert!(o.status.success(), "{}", text(&o));
    srv.sql_in(&name, "UPDATE pg_index SET indisready = true WHERE indexrelid = 'passes_created'::regclass");
    let v = verify(su.to_str().unwrap());
    assert_eq!(v["ok"], false, "{v}");
    let found = v["integrity"].as_array().unwrap();
    assert!(found.iter().any(|p| p.as_str().unwrap().starts_with("index passes_created:")), "{v}");

    // A plain role without the extension: a note, and the rest still verifies.
    srv.admin_sql("DO $$ BEGIN CREATE ROLE gate_plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    let plain = pg::fresh_db();
    let pname = pg::db_name(&plain);
    srv.admin_sql(&format!("ALTER DATABASE {pname} OWNER TO gate_plain"));
    srv.sql_in(&pname, "ALTER SCHEMA public OWNER TO gate_plain");
    let plain = plain.replace("postgresql://postgres@", "postgresql://gate_plain@");
    let dir = tmp.path().join("plain");
    init(dir.to_str().unwrap(), &plain);
    let v = verify(dir.to_str().unwrap());
    assert_eq!(v["ok"], true, "{v}");
    let note = v["notes"][0].as_str().unwrap_or_default();
    assert!(note.contains("amcheck extension is not installed"), "{v}");
    let o = run(&["--data-dir", dir.to_str().unwrap(), "ledger", "verify"], None, &[]);
    assert!(text(&o).contains("note: PostgreSQL's index and page checks were not run"), "{}", text(&o));
}

/// A gate that loses its link right after `init`, before any sync of its
/// own, still decides from its replica: init filled it.
#[test]
fn a_joined_gate_scans_offline_before_its_first_sync() {
    let url = pg::fresh_db();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let o = run(&["--data-dir", a, "--database", &url, "init", "--admin", "asha", "--password-stdin"], Some(&format!("{PASSWORD}\n")), &[]);
    assert!(o.status.success(), "{}", text(&o));
    let auth = [("GATEHOUSE_PASSWORD", PASSWORD)];
    let issue = |name: &str, phone: &str| -> String {
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
                name,
                "--phone",
                phone,
                "--payment",
                "CASH",
                "--json",
            ],
            None,
            &auth,
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
        v["payload"].as_str().unwrap().to_string()
    };
    let code = issue("Asha Rao", "9876543210");

    let relay = common::relay::Relay::start(pg::server().port);
    let via_relay = pg::server().tcp_url(&pg::db_name(&url), relay.port);
    let key = format!("{a}/gatehouse.key");
    let o = run(&["--data-dir", b, "--database", &via_relay, "--gate", "B", "init", "--key-file", &key], None, &[]);
    assert!(o.status.success() && text(&o).contains("replica filled: 1 passes"), "{}", text(&o));

    relay.refuse();
    let later = issue("Late Guest", "9876543211");
    let scan = |code: &str| -> serde_json::Value {
        let o = run(&["--data-dir", b, "--user", "asha", "scan", "--payload", code, "--json"], None, &auth);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
    };
    let v = scan(&code);
    assert_eq!((v["verdict"].as_str(), v["offline"].as_bool(), v["gate"].as_str()), (Some("ADMITTED"), Some(true), Some("B")), "{v}");
    // What was issued after the link went is not in the replica: refused, not guessed.
    let v = scan(&later);
    assert_eq!((v["verdict"].as_str(), v["offline"].as_bool()), (Some("UNKNOWN"), Some(true)), "{v}");

    // init also named the event in B's config: with its replica gone and a
    // new event at the same address, B takes nothing from it and gives nothing.
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(format!("{b}/config.toml")).unwrap()).unwrap();
    let pinned = config["storage"]["event"].as_str().unwrap_or_default().to_string();
    assert!(pinned.len() >= 16, "{config}");
    for f in ["replica.sqlite", "replica.sqlite-wal", "replica.sqlite-shm"] {
        let _ = std::fs::remove_file(format!("{b}/{f}"));
    }
    let db = pg::db_name(&url);
    pg::server().admin_sql(&format!("DROP DATABASE {db} WITH (FORCE)"));
    pg::server().admin_sql(&format!("CREATE DATABASE {db}"));
    let c = tmp.path().join("c");
    let o = run(
        &["--data-dir", c.to_str().unwrap(), "--database", &url, "init", "--admin", "asha", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    relay.restore();
    let o = run(&["--data-dir", b, "sync", "--json"], None, &[]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert!(!o.status.success() && r["error"].as_str().unwrap_or_default().contains("belongs to event"), "{r}");
    assert_eq!(r["passes_pulled"], 0, "nothing of the new event reached B: {r}");
}
