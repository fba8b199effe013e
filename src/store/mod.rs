//! The only place that speaks SQL. `Store` owns one connection to the
//! event's database; `read` and `write` hand a `&dyn Db` to a closure inside
//! one transaction, so a state change and its ledger block commit together
//! or not at all. The service layer is written once against the traits in
//! `interface`; each backend lives in its own folder.

mod backup;
mod copy;
mod filters;
mod ids;
mod interface;
mod postgres;
mod sqlite;
mod stats;
mod sync;

use std::path::Path;
use std::time::Duration;

pub use backup::{BackupInfo, Retention, apply_retention, event_of, next_backup_name, remove_copy, remove_partials};
pub use copy::CopyReport;
pub use interface::{
    AuditRows, Claim, Db, FirstAdmission, GateRow, GateRows, GateTokenRow, KeyRows, LedgerRow, LedgerRows, NewBlock, PassFilter, PassRows,
    ResidentRows, RuleRows, ScanLookup, ScanRow, ScanRows, ScanWrite, SessionRows, StatsQuery, StoredRules, SyncRows, Table, UserRows,
};
pub use postgres::{DbLink, DbUrl, Endpoint, is_postgres_url, redact_url, role_url, url_has_password};
pub use sync::{Changes, OutboxItem, Replica, Server};

use crate::error::{Error, Result};

/// The event's database, whichever backend holds it.
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(sqlite::SqliteStore),
    // Boxed: the client and its statement cache are large; one per Store.
    Postgres(Box<postgres::PgStore>),
}

/// What `db status` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DbStatus {
    pub backend: &'static str,
    /// The file, or the URL (which never holds a password).
    pub location: String,
    pub server_version: String,
    pub schema_version: u32,
    pub round_trip_ms: f64,
    /// PostgreSQL: the TLS version and cipher, or "off" (with the URL's
    /// sslmode); None for a SQLite file.
    pub tls: Option<String>,
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

    /// A new SQLite file only its owner can read (0600 from its creation;
    /// SQLite gives its journal files the same mode): for copies holding
    /// password hashes, names and phones. An existing file is refused.
    pub fn create_private(path: &Path) -> Result<Store> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        Store::create(path)
    }

    /// Connect to a PostgreSQL database and bring its schema up to date.
    pub fn open_url(url: &DbUrl) -> Result<Store> {
        Ok(Store { backend: Backend::Postgres(Box::new(postgres::PgStore::open(url)?)) })
    }

    /// The database file, for backends that keep one.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s.path()),
            Backend::Postgres(_) => None,
        }
    }

    /// The file or the URL, for messages (never a password).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.path().display().to_string(),
            Backend::Postgres(p) => p.url().to_string(),
        }
    }

    /// A PostgreSQL connection's up/down flag, shared with whoever shows it.
    pub fn link(&self) -> Option<DbLink> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Postgres(p) => Some(p.link()),
        }
    }

    /// "sqlite" or "postgresql".
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgresql",
        }
    }

    /// Whether the connection is up (always, for a local file).
    pub fn is_connected(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(_) => true,
            Backend::Postgres(p) => p.is_connected(),
        }
    }

    /// Backend, server version, schema version and one round trip's time.
    pub fn status(&mut self) -> Result<DbStatus> {
        match &mut self.backend {
            Backend::Sqlite(s) => {
                let t = std::time::Instant::now();
                let schema_version = s.schema_version()?;
                Ok(DbStatus {
                    backend: "sqlite",
                    location: s.path().display().to_string(),
                    server_version: rusqlite::version().to_string(),
                    schema_version,
                    round_trip_ms: t.elapsed().as_secs_f64() * 1e3,
                    tls: None,
                })
            }
            Backend::Postgres(p) => {
                let rtt = p.ping()?;
                Ok(DbStatus {
                    backend: "postgresql",
                    location: p.url().to_string(),
                    server_version: p.server_version()?,
                    schema_version: p.schema_version()?,
                    round_trip_ms: rtt.as_secs_f64() * 1e3,
                    tls: Some(p.tls_status()?),
                })
            }
        }
    }

    /// Run `f` in a write transaction that serialises against every other
    /// writer, so two gates never both read "unused" for the same pass.
    pub fn write<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.write(f),
            Backend::Postgres(p) => p.write(f),
        }
    }

    /// Run `f` on a consistent snapshot.
    pub fn read<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.read(f),
            Backend::Postgres(p) => p.read(f),
        }
    }

    /// How long a write waits for another process's transaction before
    /// giving up with `Error::Busy`.
    pub fn set_busy_timeout(&mut self, d: Duration) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.set_busy_timeout(d),
            Backend::Postgres(p) => p.set_busy_timeout(d),
        }
    }

    /// `full` (the default): every commit is on disk before the gate shows
    /// a verdict, even across a power cut. `normal`: commits survive a
    /// crash of gatehouse but the last ones may be lost on power loss;
    /// faster on slow disks. On PostgreSQL, `normal` turns off
    /// `synchronous_commit` for this connection.
    pub fn set_synchronous(&mut self, mode: &str) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.set_synchronous(mode),
            Backend::Postgres(p) => p.set_synchronous(mode == "full"),
        }
    }

    /// What only a database in one file can do, or None on a server: the
    /// caller decides up front, rather than a method failing at run time.
    pub fn file(&mut self) -> Option<File<'_>> {
        match &mut self.backend {
            Backend::Sqlite(s) => Some(File(s)),
            Backend::Postgres(_) => None,
        }
    }

    /// What a write waits for before it returns (for `bench`).
    pub fn durability(&mut self) -> Result<String> {
        match &mut self.backend {
            Backend::Sqlite(s) => Ok(format!("SQLite synchronous={}", s.synchronous()?)),
            Backend::Postgres(p) => p.durability(),
        }
    }

    /// After a bulk load (`bench`): PostgreSQL's VACUUM ANALYZE, which its
    /// autovacuum would have run long before the gates open, so a timed
    /// run is not sharing the server with it. SQLite needs nothing.
    pub fn settle(&mut self) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(p) => p.vacuum_analyze(),
        }
    }

    /// The PostgreSQL server process serving this connection; None for SQLite.
    pub fn backend_pid(&mut self) -> Result<Option<u32>> {
        match &mut self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(p) => p.backend_pid().map(Some),
        }
    }

    pub fn schema_version(&mut self) -> Result<u32> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.schema_version(),
            Backend::Postgres(p) => p.schema_version(),
        }
    }

    /// A consistent copy into a SQLite file; safe while other processes write.
    pub fn backup_to(&mut self, dest: &Path) -> Result<()> {
        match &mut self.backend {
            Backend::Sqlite(s) => s.backup_to(dest),
            // A PostgreSQL event is backed up as a copy into a new SQLite file.
            // Written 0600 under a partial name, renamed only when complete.
            Backend::Postgres(p) => {
                let dump = p.dump()?;
                let tmp = dest.with_extension("partial");
                backup::remove_copy(&tmp);
                let written = Store::create_private(&tmp).and_then(|mut s| match &mut s.backend {
                    Backend::Sqlite(f) => f.load(&dump),
                    Backend::Postgres(_) => Ok(()),
                });
                if let Err(e) = written {
                    backup::remove_copy(&tmp);
                    return Err(e);
                }
                std::fs::rename(&tmp, dest).map_err(|e| Error::io(format!("cannot finish backup {}", dest.display()), e))
            }
        }
    }

    /// Copy everything into `target`, which must be empty.
    pub fn copy_to(&mut self, target: &mut Store) -> Result<CopyReport> {
        let dump = match &mut self.backend {
            Backend::Sqlite(s) => s.dump()?,
            Backend::Postgres(p) => p.dump()?,
        };
        match &mut target.backend {
            Backend::Sqlite(s) => s.load(&dump)?,
            Backend::Postgres(p) => p.load(&dump)?,
        }
        Ok(CopyReport::of(&dump))
    }
}

/// The event's database as one SQLite file (`Store::file`).
pub struct File<'s>(&'s mut sqlite::SqliteStore);

impl File<'_> {
    /// Cap the file at `pages` pages (a quota). A write past it fails
    /// exactly as on a full disk: `Error::DiskFull`, nothing written.
    pub fn set_max_pages(&self, pages: u64) -> Result<u64> {
        self.0.set_max_pages(pages)
    }

    /// Replace the file's contents with the SQLite file `src` (already verified).
    pub fn restore_from(&mut self, src: &Path) -> Result<()> {
        self.0.restore_from(src)
    }
}
