//! Shared set-up: a real data directory (key file, SQLite file) in a temp dir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeZone;
use gatehouse::config::{Config, Paths};
use gatehouse::domain::clock::FixedClock;
use gatehouse::domain::pass::{Pass, PassRequest};
use gatehouse::domain::user::{Actor, Role};
use gatehouse::keyfile;
use gatehouse::service::Gatehouse;
use gatehouse::store::Store;

pub const PASSWORD: &str = "correct horse 42";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub paths: Paths,
    pub clock: Arc<FixedClock>,
}

impl Env {
    /// Key file and database created the way `init` does, no users yet.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path().join("data"), None);
        std::fs::create_dir_all(&paths.data_dir).unwrap();
        std::fs::write(&paths.config, gatehouse::config::SAMPLE).unwrap();
        keyfile::create(&paths.key()).unwrap();
        Store::create(&paths.db()).unwrap();
        let clock = Arc::new(FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 21, 18, 30, 0).unwrap()));
        Env { dir, paths, clock }
    }

    /// A Gatehouse on this data directory with the fixed clock.
    pub fn open(&self) -> Gatehouse {
        let cfg = Config::load(&self.paths.config).unwrap();
        let keys = keyfile::load(&self.paths.key()).unwrap();
        let store = Store::open(&self.paths.db()).unwrap();
        Gatehouse::from_parts(cfg, keys, store, self.clock.clone())
    }

    pub fn db(&self) -> PathBuf {
        self.paths.db()
    }

    pub fn data_dir(&self) -> &Path {
        &self.paths.data_dir
    }
}

pub fn admin() -> Actor {
    Actor { username: "asha".into(), display_name: "Asha".into(), role: Role::Admin }
}

pub fn operator() -> Actor {
    Actor { username: "omar".into(), display_name: "Omar".into(), role: Role::Operator }
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
