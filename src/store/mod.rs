//! The only place that speaks SQL. A `Store` owns one SQLite connection;
//! `read` and `write` hand a `Db` to a closure inside one transaction, so a
//! state change and its ledger block commit together or not at all.
//! A PostgreSQL backend for many gates would implement the same `Db` methods.

mod backup;
mod ledger;
mod passes;
mod residents;
mod scans;
mod schema;
mod stats;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use backup::{BackupInfo, Retention, apply_retention, next_backup_name};
pub use ledger::NewBlock;
pub use passes::PassFilter;
pub use scans::ScanRow;

use crate::error::{Error, Result};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A connection inside a transaction. Every typed query lives on `Db`.
pub struct Db<'c> {
    conn: &'c Connection,
}

impl Store {
    /// Open an existing database and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::NotInitialised(path.to_path_buf()));
        }
        Self::open_with(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    /// Create (or open) the database file.
    pub fn create(path: &Path) -> Result<Store> {
        Self::open_with(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Store> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| match Error::from(e) {
            Error::Db(e) => Error::Other(format!("cannot open database {}: {e}", path.display())),
            other => other,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers (stats, backup) run beside the writer; FULL sync
        // makes each admission durable before the gate shows ADMITTED.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("journal_mode is {mode}, not WAL");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` in a write transaction taken at once (BEGIN IMMEDIATE), so
    /// two gates never both read "unused" for the same pass.
    pub fn write<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Db { conn: &tx })?;
        tx.commit()?;
        Ok(out)
    }

    /// Run `f` on a consistent snapshot.
    pub fn read<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&Db { conn: &tx })?;
        tx.finish()?;
        Ok(out)
    }

    /// How long a write waits for another process's transaction before
    /// giving up with `Error::Busy`.
    pub fn set_busy_timeout(&self, d: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(d)?)
    }

    /// `full` (the default): every commit is on disk before the gate shows
    /// a verdict, even across a power cut. `normal`: commits survive a
    /// crash of gatehouse but the last ones may be lost on power loss;
    /// faster on slow disks.
    pub fn set_synchronous(&self, mode: &str) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", mode)?)
    }

    /// Cap the database at `pages` pages (a quota). A write past it fails
    /// exactly as on a full disk: `Error::DiskFull`, nothing written.
    pub fn set_max_pages(&self, pages: u64) -> Result<u64> {
        Ok(self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// A consistent copy through SQLite's online backup API; safe while
    /// other processes write.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        backup::copy(&self.conn, dest)
    }

    /// Replace this database's contents with `src` (already verified).
    pub fn restore_from(&mut self, src: &Path) -> Result<()> {
        backup::restore(&mut self.conn, src)
    }
}

impl Db<'_> {
    /// Whether a table's row count is zero; used by first-run checks.
    pub fn count(&self, table: Table) -> Result<u64> {
        let sql = match table {
            Table::Users => "SELECT COUNT(*) FROM users",
            Table::Passes => "SELECT COUNT(*) FROM passes",
            Table::Residents => "SELECT COUNT(*) FROM residents",
            Table::Ledger => "SELECT COUNT(*) FROM ledger",
        };
        Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Table {
    Users,
    Passes,
    Residents,
    Ledger,
}

/// Map a row's text column to an enum, or a clear corruption error.
fn parse_col<T>(v: String, what: &str, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(&v).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("bad {what} {v:?} in database").into())
    })
}
