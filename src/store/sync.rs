//! What an offline-capable gate asks of storage (docs/offline.md): the
//! central change pull (PostgreSQL), and the replica's own operations
//! (SQLite): applying changes, its key/value state, the outbox, and the
//! write-through of an online verdict.

use super::copy::Cell;
use super::{Backend, Store};
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
    /// Blocks read after the cursor.
    pub blocks: u64,
    /// The server's clock (Unix seconds) during the snapshot.
    pub server_time: f64,
}

/// One local block waiting for upload, with the scans row it wrote.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub block: StoredBlock,
    pub scan: Option<ScanRow>,
}

impl Store {
    /// Changed passes, residents and users since `since` (index and hash
    /// of the last block applied), or everything when that block is gone
    /// or changed (a restore) or there is no cursor yet.
    pub fn pull_changes(&mut self, since: Option<(u64, String)>) -> Result<Changes> {
        match &mut self.backend {
            Backend::Postgres(p) => p.pull_changes(since),
            Backend::Sqlite(_) => Err(Error::Other("changes are pulled from a PostgreSQL database only".into())),
        }
    }

    /// The server's clock, as Unix seconds.
    pub fn server_time(&mut self) -> Result<f64> {
        match &mut self.backend {
            Backend::Postgres(p) => p.server_time(),
            Backend::Sqlite(_) => Ok(chrono::Utc::now().timestamp_micros() as f64 / 1e6),
        }
    }

    fn replica(&mut self) -> Result<&mut super::sqlite::SqliteStore> {
        match &mut self.backend {
            Backend::Sqlite(s) => Ok(s),
            Backend::Postgres(_) => Err(Error::Other("a replica is a SQLite file".into())),
        }
    }

    /// Make this SQLite file a replica: its state table, and no holder
    /// uniqueness (the server enforces it; rows arrive in any order).
    pub fn replica_prepare(&mut self) -> Result<()> {
        self.replica()?.replica_prepare()
    }

    pub fn replica_meta(&mut self, key: &str) -> Result<Option<String>> {
        self.replica()?.meta_get(key)
    }

    /// Set the pairs whose keys are unset; the value now under the first key.
    pub fn replica_init_meta(&mut self, pairs: &[(&str, String)]) -> Result<Option<String>> {
        self.replica()?.meta_init(pairs)
    }

    pub fn replica_set_meta(&mut self, pairs: &[(&str, String)]) -> Result<()> {
        self.replica()?.meta_set(pairs)
    }

    /// Apply pulled rows and the new cursor (plus `meta`) in one
    /// transaction; false (nothing applied) while scans wait for upload.
    pub fn replica_apply(&mut self, c: &Changes, meta: &[(&str, String)]) -> Result<bool> {
        self.replica()?.apply(c, meta)
    }

    /// Local blocks after index `after` (all when None), oldest first.
    pub fn replica_outbox(&mut self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxItem>> {
        self.replica()?.outbox(after, limit)
    }

    /// Write an online verdict's pass or resident state through to the
    /// replica (rows the replica does not hold yet are left to the pull).
    pub fn replica_note(&mut self, pass: Option<&Pass>, resident: Option<&Resident>) -> Result<()> {
        self.replica()?.note(pass, resident)
    }
}
