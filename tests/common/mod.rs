//! Shared set-up: a real data directory (key file, config) in a temp dir,
//! with its database in a SQLite file or on the shared PostgreSQL test server.
#![allow(dead_code)]

pub mod gates;
pub mod pg;
pub mod relay;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeZone;
use gatehouse::config::{Config, Paths};
use gatehouse::domain::clock::FixedClock;
use gatehouse::domain::pass::{Pass, PassRequest};
use gatehouse::domain::user::{Actor, Role};
use gatehouse::keyfile;
use gatehouse::service::Gatehouse;
use gatehouse::store::{DbUrl, Store};

pub const PASSWORD: &str = "correct horse 42";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Emit each named `fn(Backend)` as two tests, `sqlite::NAME` and
/// `postgres::NAME`, so both backends pass the same suite.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub paths: Paths,
    pub clock: Arc<FixedClock>,
    pub backend: Backend,
    /// The PostgreSQL database's URL (also in the data dir's config.toml).
    pub url: Option<String>,
}

impl Env {
    /// Key file and SQLite database created the way `init` does, no users yet.
    pub fn new() -> Env {
        Env::on(Backend::Sqlite)
    }

    /// The same, on `backend`: a PostgreSQL env gets its own fresh database
    /// on the shared test server, named in its config.toml.
    pub fn on(backend: Backend) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("data"), None);
        std::fs::create_dir_all(&paths.data_dir).unwrap();
        keyfile::create(&paths.key()).unwrap();
        let url = match backend {
            Backend::Sqlite => {
                Store::create(&paths.db()).unwrap();
                None
            }
            Backend::Postgres => {
                let url = pg::fresh_db();
                Store::open_url(&DbUrl::parse(&url).unwrap()).unwrap();
                Some(url)
            }
        };
        let config = gatehouse::config::SAMPLE.replace("database = \"\"", &format!("database = {:?}", url.clone().unwrap_or_default()));
        std::fs::write(&paths.config, config).unwrap();
        let clock = Arc::new(FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 21, 18, 30, 0).unwrap()));
        Env { dir, paths, clock, backend, url }
    }

    /// A Gatehouse on this data directory with the fixed clock.
    pub fn open(&self) -> Gatehouse {
        let cfg = Config::load(&self.paths.config).unwrap();
        let keys = keyfile::load(&self.paths.key()).unwrap();
        Gatehouse::from_parts(cfg, keys, self.store(), self.clock.clone())
    }

    /// A new connection to this env's database.
    pub fn store(&self) -> Store {
        match &self.url {
            Some(u) => Store::open_url(&DbUrl::parse(u).unwrap()).unwrap(),
            None => Store::open(&self.paths.db()).unwrap(),
        }
    }

    /// The PostgreSQL database's name (panics on SQLite).
    pub fn pg_db(&self) -> String {
        pg::db_name(self.url.as_deref().expect("a PostgreSQL env"))
    }

    /// One number from SQL run directly against the env's database.
    pub fn raw_i64(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(self.db()).unwrap().query_row(sql, [], |r| r.get(0)).unwrap(),
            Backend::Postgres => pg::server().client(&self.pg_db()).query_one(sql, &[]).unwrap().get(0),
        }
    }

    /// One text column from SQL run directly against the env's database.
    pub fn raw_strings(&self, sql: &str) -> Vec<String> {
        match self.backend {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(self.db()).unwrap();
                let mut st = c.prepare(sql).unwrap();
                st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
            }
            Backend::Postgres => pg::server().client(&self.pg_db()).query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect(),
        }
    }

    /// Run SQL directly against the env's database, as a tamperer would.
    pub fn raw_sql(&self, sqlite: &str, postgres: &str) {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(self.db()).unwrap().execute_batch(sqlite).unwrap(),
            Backend::Postgres => pg::server().sql_in(&self.pg_db(), postgres),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.paths.db()
    }

    pub fn data_dir(&self) -> &Path {
        &self.paths.data_dir
    }
}

pub fn admin() -> Actor {
    Actor { username: "asha".into(), display_name: "Asha".into(), role: Role::Admin, issuer: None }
}

pub fn operator() -> Actor {
    Actor { username: "omar".into(), display_name: "Omar".into(), role: Role::Operator, issuer: None }
}

pub fn single(name: &str, phone: &str) -> PassRequest {
    PassRequest { pass_type: "SINGLE".into(), name: name.into(), phone: phone.into(), payment: "CASH".into(), ..Default::default() }
}

pub fn couple(name: &str, phone: &str, name2: &str, phone2: &str) -> PassRequest {
    PassRequest {
        pass_type: "COUPLE".into(),
        name: name.into(),
        phone: phone.into(),
        name2: Some(name2.into()),
        phone2: Some(phone2.into()),
        payment: "ONLINE".into(),
        txn_ref: Some("UPI-778812".into()),
        ..Default::default()
    }
}

pub fn issue(g: &mut Gatehouse, req: &PassRequest) -> (Pass, String) {
    let p = g.issue_pass(&admin(), req).unwrap();
    let payload = g.pass_payload(&p);
    (p, payload)
}

/// Create the first admin with a real bcrypt hash, as `init` does.
pub fn with_admin(g: &mut Gatehouse) {
    g.add_user(None, "asha", "Asha", Role::Admin, PASSWORD).unwrap();
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gatehouse")
}

/// Whether an outside tool answers `tool ARGS`. When it does not, a test that
/// needs it fails under CI (`CI=true`) and is skipped with a note elsewhere;
/// `./dev test` installs every such tool.
pub fn tool_available(tool: &str, args: &[&str]) -> bool {
    let ok = std::process::Command::new(tool).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "`{tool}` is needed for this test: run ./dev test, which installs it");
        eprintln!("skipped: `{tool}` is missing (./dev test installs it)");
    }
    ok
}
