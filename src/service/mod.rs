//! The core's operations: every rule of gatehouse applied in one place, on
//! top of the domain and the store. The CLI, the TUI and the tests all call
//! these same functions.

mod admin;
mod audit;
mod gates;
mod import;
mod keys;
mod ledger;
mod manual;
pub mod offline;
mod passes;
mod residents;
mod rules;
mod scan;
mod sessions;
mod sync;
mod users;

use std::path::Path;
use std::sync::Arc;

pub use admin::{ExportKind, RestoreReport, private_dir};
pub use gates::{GateView, IssuedToken, ONLINE_SECS, TEST_TOKEN_SECS_ENV, TOKEN_MINUTES, device_publics};
pub use import::{IMPORT_COLUMNS, ImportError, ImportRow, ParsedRows, REQUIRED_COLUMNS, RowProblem, parse_rows};
pub use keys::{TEST_KDF_ENV, slot_cost_from_env};
pub use ledger::{Verification, verify_chain};
pub use manual::{Candidate, CandidateKind};
pub use offline::Gate;
pub use passes::PassView;
pub use residents::ResidentView;
pub use rules::{EventRules, parse_rules_file};
pub use scan::ScanOpts;
pub use sessions::{SESSION_MAX_MINUTES, SESSION_MINUTES, Session};
pub use sync::{ChainHead, UploadReport};
pub use users::bcrypt_runs_on_this_thread;

use crate::config::{Config, Paths};
use crate::domain::clock::{Clock, SystemClock, stamp};
use crate::domain::events::Event;
use crate::domain::keys::KeyRing;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::NewBlock;
use crate::store::{Db, DbUrl, Store};

pub struct Gatehouse {
    pub cfg: Config,
    keys: KeyRing,
    store: Store,
    clock: Arc<dyn Clock>,
    paths: Option<Paths>,
    /// The rules the last scan read, by digest: read again only when changed.
    rules_cache: scan::RulesCache,
    /// The signed-in admin's issuing keys, in memory only (service::keys).
    signer: Option<crate::domain::issuing::Issuer>,
    /// The argon2id cost key slots are sealed with.
    slot_cost: crate::domain::keyslot::KdfCost,
}

impl Gatehouse {
    /// Open an initialised data directory: config, key file and database.
    pub fn open(paths: &Paths) -> Result<Gatehouse> {
        let cfg = load_config(paths)?;
        check_data_dir(&paths.data_dir)?;
        let (keys, mut store) = match paths.database_url(&cfg) {
            Some(url) => {
                let url = DbUrl::parse(&url)?;
                (crate::devicefile::load_station(paths)?, Store::open_url(&url)?)
            }
            None => {
                let db = paths.db();
                if !db.exists() {
                    return Err(Error::NotInitialised(paths.data_dir.clone()));
                }
                (crate::devicefile::load_station(paths)?, Store::open(&db)?)
            }
        };
        admin::clean_restore_leftovers(&paths.data_dir);
        store.set_synchronous(&cfg.storage.synchronous)?;
        let mut g = Gatehouse::from_parts(cfg, keys, store, Arc::new(SystemClock));
        g.paths = Some(paths.clone());
        g.issuing_keys()?;
        g.load_gate_keys()?;
        Ok(g)
    }

    /// Assemble from parts; tests use this with a fixed clock.
    pub fn from_parts(cfg: Config, keys: KeyRing, store: Store, clock: Arc<dyn Clock>) -> Gatehouse {
        Gatehouse { cfg, keys, store, clock, paths: None, rules_cache: None, signer: None, slot_cost: keys::slot_cost_from_env() }
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The clock this core reads (tests fix it).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn gate_name(&self) -> &str {
        &self.cfg.gate.name
    }

    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The shared database's connection state, for the console header.
    pub fn db_link(&self) -> Option<crate::store::DbLink> {
        self.store.link()
    }

    pub fn paths(&self) -> Option<&Paths> {
        self.paths.as_ref()
    }

    /// Apply a change and its ledger block (the event `change` returns) in
    /// one transaction.
    fn record<'e, T>(&mut self, actor: &str, change: impl FnOnce(&dyn Db, &str) -> Result<(T, Event<'e>)>) -> Result<(T, u64)> {
        let at = stamp(self.clock.now());
        let gate = self.cfg.gate.name.clone();
        let keys = &self.keys;
        self.store.write(|db| {
            let (out, event) = change(db, &at)?;
            let block = append(db, keys, &at, actor, &gate, &event)?;
            Ok((out, block))
        })
    }
}

/// Append one event's block: the one way services write the ledger.
fn append(db: &dyn Db, keys: &KeyRing, ts: &str, operator: &str, gate: &str, event: &Event) -> Result<u64> {
    let (name, data) = event.to_block()?;
    db.append_block(keys, &NewBlock { ts, operator, gate, event: name, data: &data })
}

fn require_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_admin() { Ok(()) } else { Err(Error::Forbidden(format!("only an admin may {what}; {} is an operator", actor.username))) }
}

/// The config named by `--config`, or the data directory's `config.toml`,
/// or the defaults when the data directory has none yet.
pub fn load_config(paths: &Paths) -> Result<Config> {
    if paths.config.exists() || paths.config != paths.data_dir.join("config.toml") {
        Config::load(&paths.config)
    } else {
        Ok(Config::default())
    }
}

/// A data directory whose mode forbids writing is refused up front, with
/// the same message for root (whom the kernel would let through) and others.
pub fn check_data_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(Error::Input(format!("{} is not a directory", dir.display()))),
        Ok(m) if m.permissions().readonly() => Err(Error::store(
            crate::error::StoreKind::ReadOnly,
            format!(
                "{} cannot be written; gatehouse needs to write its database there (check the folder's permissions or mount)",
                dir.display()
            ),
        )),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotInitialised(dir.to_path_buf())),
        Err(e) => Err(Error::io(format!("cannot open data directory {}", dir.display()), e)),
    }
}
