//! The only place that speaks SQL. `Store` owns one connection to the
//! event's database; `read` and `write` hand a `&dyn Db` to a closure inside
//! one transaction, so a state change and its ledger block commit together
//! or not at all. The service layer is written once against the traits in
//! `interface`; each backend lives in its own folder.

mod backup;
mod interface;
mod sqlite;

use std::path::Path;
use std::time::Duration;

pub use backup::{BackupInfo, Retention, apply_retention, next_backup_name};
pub use interface::{
    AuditRows, Db, LedgerRows, NewBlock, PassFilter, PassRows, ResidentRows, ScanRow, ScanRows, StatsQuery, Table, UserRows,
};

use crate::error::Result;

/// The event's database, whichever backend holds it.
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(sqlite::SqliteStore),
}

impl Store {
    /// Open an existing SQLite database and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(sqlite::SqliteStore::open(path)?) })
    }

    /// Create (or open) a SQLite database file.
    pub fn create(path: &Path) -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(sqlite::SqliteStore::create(path)?) })
    }

    /// The database file, for backends that keep one.
    pub fn path(&self) -> &Path {
        match &self.backend {
            Backend::Sqlite(s) => s.path(),
        }
    }

    /// Run `f` in a write transaction that serialises against every other
    /// writer, so two gates never both read "unused" for the same pass.
    pub fn write<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.write(f),
        }
    }

    /// Run `f` on a consistent snapshot.
    pub fn read<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.read(f),
        }
    }

    /// How long a write waits for another process's transaction before
    /// giving up with `Error::Busy`.
    pub fn set_busy_timeout(&self, d: Duration) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_busy_timeout(d),
        }
    }

    /// `full` (the default): every commit is on disk before the gate shows
    /// a verdict, even across a power cut. `normal`: commits survive a
    /// crash of gatehouse but the last ones may be lost on power loss;
    /// faster on slow disks.
    pub fn set_synchronous(&self, mode: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_synchronous(mode),
        }
    }

    /// Cap the database at `pages` pages (a quota). A write past it fails
    /// exactly as on a full disk: `Error::DiskFull`, nothing written.
    pub fn set_max_pages(&self, pages: u64) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_max_pages(pages),
        }
    }

    pub fn schema_version(&self) -> Result<u32> {
        match &self.backend {
            Backend::Sqlite(s) => s.schema_version(),
        }
    }

    /// A consistent copy into a SQLite file; safe while other processes write.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.backup_to(dest),
        }
    }

    /// Replace this database's contents with the SQLite file `src` (already verified).
    pub fn restore_from(&mut self, src: &Path) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.restore_from(src),
        }
    }
}
