//! What a gate with a server asks of storage (docs/offline.md), each on a
//! type of its own rather than methods that fail on the other backend:
//! `Server`, the central change pull (PostgreSQL only), and `Replica`, the
//! replica's own operations (a SQLite file only): applying changes, its
//! key/value state, the outbox, and the write-through of an online verdict.

use std::path::{Path, PathBuf};

use super::copy::Cell;
use super::{Backend, Store, postgres, sqlite};
use crate::domain::ledger::StoredBlock;
use crate::domain::pass::Pass;
use crate::domain::resident::Resident;
use crate::error::{Error, Result};
use crate::store::ScanRow;

/// Rows changed on the server since a cursor, read in one snapshot.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Every row of the three tables, not just changed ones: the replica
    /// replaces its tables.
    pub full: bool,
    /// The central ledger's head at the snapshot: the new cursor.
    pub head: Option<(u64, String)>,
    /// Rows in `copy::TABLES` column order: users, passes, residents.
    pub users: Vec<Vec<Cell>>,
    pub passes: Vec<Vec<Cell>>,
    pub residents: Vec<Vec<Cell>>,
    /// The event's rules row (none before the first are set), pulled whole
    /// every time: one small row, so every replica scans by the server's rules.
    pub rules: Vec<Vec<Cell>>,
    /// Blocks read after the cursor.
    pub blocks: u64,
    /// The server's clock (Unix seconds) during the snapshot.
    pub server_time: f64,
}

/// One pulled account, as sign-in decides by it.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledAccount {
    pub username: String,
    pub role: String,
    pub pw_hash: String,
    pub disabled: bool,
}

impl Changes {
    /// The pulled users rows (`copy::TABLES` order), read as accounts.
    pub fn accounts(&self) -> Vec<PulledAccount> {
        let text = |c: Option<&Cell>| match c {
            Some(Cell::Text(t)) => t.clone(),
            _ => String::new(),
        };
        self.users
            .iter()
            .map(|row| PulledAccount {
                username: text(row.first()),
                role: text(row.get(2)),
                pw_hash: text(row.get(3)),
                disabled: matches!(row.get(5), Some(Cell::Int(n)) if *n != 0),
            })
            .collect()
    }
}

/// One local block waiting for upload, with the scans row it wrote.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub block: StoredBlock,
    pub scan: Option<ScanRow>,
}

/// The shared server's side of a sync: a `Store` on PostgreSQL.
pub struct Server<'a>(&'a mut postgres::PgStore);

impl Store {
    /// The server's sync operations; None for a SQLite file, which is
    /// never a server.
    pub fn server(&mut self) -> Option<Server<'_>> {
        match &mut self.backend {
            Backend::Postgres(p) => Some(Server(p)),
            Backend::Sqlite(_) => None,
        }
    }
}

impl Server<'_> {
    /// Changed passes, residents and users since `since` (index and hash
    /// of the last block applied), or everything when that block is gone
    /// or changed (a restore) or there is no cursor yet.
    pub fn pull_changes(&mut self, since: Option<(u64, String)>) -> Result<Changes> {
        self.0.pull_changes(since)
    }

    /// The server's clock, as Unix seconds.
    pub fn time(&mut self) -> Result<f64> {
        self.0.server_time()
    }
}

/// A gate's replica: a SQLite file that mirrors the server's passes,
/// residents and users, and whose scans and ledger are the gate's outbox
/// and local chain. It holds a connection of its own; the core reads and
/// scans through another (`store`), as any process on the file would.
pub struct Replica {
    db: sqlite::SqliteStore,
    path: PathBuf,
}

impl Replica {
    /// Open the replica at `path`, creating it (readable by the owner only:
    /// names, phones and password hashes) on first use. Any number of
    /// processes may open a fresh one at once.
    pub fn open(path: &Path) -> Result<Replica> {
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
                // Another process starting at the same moment made it first.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(format!("cannot create {}", path.display()), e)),
                Ok(_) => {}
            }
        }
        let mut db = sqlite::SqliteStore::create(path)?;
        db.replica_prepare()?;
        Ok(Replica { db, path: path.to_path_buf() })
    }

    /// A second connection to the file, for the core's own reads and scans.
    pub fn store(&self) -> Result<Store> {
        Store::open(&self.path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&mut self, key: &str) -> Result<Option<String>> {
        self.db.meta_get(key)
    }

    pub fn set_meta(&mut self, pairs: &[(&str, String)]) -> Result<()> {
        self.db.meta_set(pairs)
    }

    /// Set the pairs whose keys are unset; the value now under the first key.
    pub fn init_meta(&mut self, pairs: &[(&str, String)]) -> Result<Option<String>> {
        self.db.meta_init(pairs)
    }

    /// Apply pulled rows and the new cursor (plus `meta`) in one
    /// transaction; false (nothing applied) while scans wait for upload.
    pub fn apply(&mut self, c: &Changes, meta: &[(&str, String)]) -> Result<bool> {
        self.db.apply(c, meta)
    }

    /// Local blocks after index `after` (all when None), oldest first.
    pub fn outbox(&mut self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxItem>> {
        self.db.outbox(after, limit)
    }

    /// Write an online verdict's pass or resident state through to the
    /// replica (rows the replica does not hold yet are left to the pull).
    pub fn note(&mut self, pass: Option<&Pass>, resident: Option<&Resident>) -> Result<()> {
        self.db.note(pass, resident)
    }
}
