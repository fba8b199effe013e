//! The SQLite backend: one local file, the embedded default for a single
//! gate. `SqliteDb` is a connection inside a transaction; one file per table
//! implements its part of the storage interface.

mod audit;
mod copy;
mod gates;
mod keys;
mod ledger;
mod passes;
mod replica;
mod residents;
mod rules;
mod scans;
mod schema;
mod sessions;
mod stats;
mod sync;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::backup;
use super::interface::{Db, Table};
use crate::error::{Error, Result};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of the file SQLite may map (1 GiB: a million-block event fits).
const MMAP_SIZE: i64 = 1 << 30;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

/// A connection inside a transaction. Every typed query lives on it.
pub struct SqliteDb<'c> {
    conn: &'c Connection,
}

impl SqliteStore {
    /// Open an existing database and bring its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if !path.exists() {
            return Err(Error::NotInitialised(path.to_path_buf()));
        }
        Self::open_with(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    /// Create (or open) the database file.
    pub fn create(path: &Path) -> Result<SqliteStore> {
        Self::open_with(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<SqliteStore> {
        let flags = flags | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| match Error::from(e) {
            Error::Store { kind: crate::error::StoreKind::Sqlite, message } => {
                Error::store(crate::error::StoreKind::Sqlite, format!("cannot open database {}: {message}", path.display()))
            }
            other => other,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A fresh file is still in rollback-journal mode, where two
        // processes opening it together can each hold a read lock the other
        // needs to write; SQLite then answers BUSY at once rather than wait
        // (a deadlock). One of them backs off and tries again.
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match Self::prepare(&mut conn) {
                Err(e) if e.store_kind() == Some(crate::error::StoreKind::Busy) && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                r => break r?,
            }
        }
        Ok(SqliteStore { conn, path: path.to_path_buf() })
    }

    /// The connection's settings and the schema, brought up to date.
    fn prepare(conn: &mut Connection) -> Result<()> {
        // WAL lets readers (stats, backup) run beside the writer; FULL sync
        // makes each admission durable before the gate shows ADMITTED.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("journal_mode is {mode}, not WAL");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Reads through a memory map skip a system call and a copy per page:
        // a third of the time `ledger verify` spends reading a big ledger.
        // SQLite writes through its WAL as before; the map is read-only.
        conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
        schema::migrate(conn)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction taken at once (BEGIN IMMEDIATE), so two gates
    /// never both read "unused" for the same pass.
    pub fn write<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&SqliteDb { conn: &tx })?;
        tx.commit()?;
        Ok(out)
    }

    pub fn read<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&SqliteDb { conn: &tx })?;
        tx.finish()?;
        Ok(out)
    }

    pub fn set_busy_timeout(&self, d: Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(d)?)
    }

    pub fn set_synchronous(&self, mode: &str) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", mode)?)
    }

    /// PRAGMA synchronous as a word: off, normal, full or extra.
    pub fn synchronous(&self) -> Result<&'static str> {
        let n: i64 = self.conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        Ok(["off", "normal", "full", "extra"].get(n.max(0) as usize).copied().unwrap_or("?"))
    }

    pub fn set_max_pages(&self, pages: u64) -> Result<u64> {
        Ok(self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Through SQLite's online backup API; safe while other processes write.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        backup::copy(&self.conn, dest)
    }

    pub fn restore_from(&mut self, src: &Path) -> Result<()> {
        backup::restore(&mut self.conn, src)
    }
}

impl Db for SqliteDb<'_> {
    fn count(&self, table: Table) -> Result<u64> {
        let sql = match table {
            Table::Users => "SELECT COUNT(*) FROM users",
            Table::Passes => "SELECT COUNT(*) FROM passes",
            Table::Residents => "SELECT COUNT(*) FROM residents",
            Table::Ledger => "SELECT COUNT(*) FROM ledger",
        };
        Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// Map a row's text column to an enum, or a clear corruption error.
fn parse_col<T>(v: String, what: &str, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(&v).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("bad {what} {v:?} in database").into())
    })
}
