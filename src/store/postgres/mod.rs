//! The PostgreSQL backend: one server shared by every gate of an event.
//! `PgDb` is a transaction; one file per table implements its part of the
//! storage interface, as in `sqlite/`. Every value is a bound parameter;
//! statements that share a round trip are pipelined (`conn`).

mod audit;
mod changes;
mod conn;
mod connect;
mod copy;
mod functions;
mod gates;
mod keys;
mod ledger;
mod passes;
mod residents;
mod rules;
mod scans;
mod schema;
mod sessions;
mod stats;
mod sync;
mod tls;
mod users;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postgres::Row;
use postgres::types::FromSql;

use conn::{Conn, Owned, Params};
pub use connect::{DbUrl, Endpoint, is_postgres_url, redact as redact_url, role_url, url_has_password};

use super::interface::{Db, Table};
use crate::error::{Error, Result};

/// Every ledger append takes this transaction-scoped advisory lock, so
/// appends from all gates are serialised and the indices stay dense.
const LEDGER_LOCK: i64 = 0x6761_7465_6c65_6467; // "gateledg"
/// Held by an admission under a capacity, from its count to its commit.
const CAPACITY_LOCK: i64 = 0x6761_7465_6361_7061; // "gatecapa"

/// Whether the last transaction reached the server; read by the console
/// header while the worker thread owns the store.
#[derive(Clone, Debug, Default)]
pub struct DbLink(Arc<AtomicBool>);

impl DbLink {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

pub struct PgStore {
    conn: Conn,
    link: DbLink,
    url: DbUrl,
    /// How a commit is made durable on this connection.
    flush: Flush,
    /// `[storage] synchronous = "full"`: a write returns only once on disk.
    durable: bool,
    /// `lock_timeout` in milliseconds, set in every transaction (never on
    /// the session: a pooled server connection would not keep it). Unset,
    /// a transaction waits 5 s for a lock, as SQLite waits for its file,
    /// then fails `Busy`: a session left open on a row never hangs a gate.
    lock_timeout: Option<String>,
}

/// Durability without holding the ledger lock through a disk flush.
///
/// A ledger append holds `LEDGER_LOCK` until commit; with a synchronous
/// commit that includes the WAL flush, so every gate would wait for one
/// fsync after another (about 270 a second on this kind of disk). Instead
/// a write commits asynchronously (the lock goes as soon as the commit
/// record is in the WAL) and, before `write` returns, a tiny transaction
/// with the server's own `synchronous_commit` writes one WAL record and
/// waits for its flush. WAL is flushed in order, so that covers this commit
/// and everything it read; concurrent gates share one fsync. No verdict is
/// shown before its scan is on disk, and a crash can only lose commits no
/// gate has answered yet (their scans are retried by nonce).
#[derive(Debug, Clone, PartialEq)]
enum Flush {
    /// Async commits, then a barrier at the server's level ("on", "remote_apply", ...).
    Barrier(String),
    /// Commits wait for their own flush (no right to write the barrier record).
    Commit,
    /// The server's synchronous_commit is off: nothing to wait for.
    Off,
}

/// Read the server's durability level. Nothing is set on the session:
/// each transaction sets what it needs (`PgStore::settings`).
fn session(conn: &Conn) -> Result<Flush> {
    let row = conn.query_one(
        "SELECT current_setting('synchronous_commit'),
                has_function_privilege('pg_logical_emit_message(boolean,text,text)', 'EXECUTE')",
        &[],
    )?;
    let (level, may_emit): (String, bool) = (get(&row, 0)?, get(&row, 1)?);
    Ok(match level.as_str() {
        "off" => Flush::Off,
        "on" | "local" | "remote_write" | "remote_apply" if may_emit => Flush::Barrier(level),
        _ => Flush::Commit,
    })
}

/// Settings for one transaction, as `set_config(name, value, true)`.
const SETTINGS: &str = "SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)";

/// The flush barrier (see `Flush`): one WAL record in a transaction of its
/// own (the implicit one of an extended-protocol statement), committed at
/// the server's `synchronous_commit` level, given as `$1`.
const BARRIER: &str = "SELECT set_config('synchronous_commit', $1, true), pg_logical_emit_message(true, 'gatehouse', 'flush')";

/// How a transaction begins: sent with its first statement.
struct Begin {
    /// BEGIN, and for a write that commits asynchronously its `SET LOCAL`:
    /// fixed text, sent as one simple query.
    sql: &'static str,
    /// `(name, value)` for `SETTINGS`.
    settings: Vec<(&'static str, String)>,
    /// A read-committed write, whose first read may run before BEGIN
    /// (`PgDb::query_one_early`).
    write: bool,
}

/// A transaction on the server. Every typed query lives on it.
///
/// It is begun and ended by hand (not with the client's `Transaction`) so
/// that BEGIN travels with the first statement and a write's COMMIT with
/// its last statement and the flush barrier. Dropped unfinished (an error,
/// a panic), it rolls back.
pub struct PgDb<'t> {
    conn: &'t Conn,
    begin: Begin,
    /// Whether BEGIN has been sent.
    begun: Cell<bool>,
    /// Statements held back to travel with the next ones (a scan's block,
    /// sent with the COMMIT); sent before anything else runs.
    pending: RefCell<Vec<Owned>>,
    /// Set once the transaction's end has been sent.
    done: Cell<bool>,
    /// Once this transaction holds `LEDGER_LOCK`: the head it last wrote
    /// (no other gate can move it until commit), so a batch of appends
    /// takes the lock and reads the head once.
    head: RefCell<Option<Option<(u64, String)>>>,
}

impl PgStore {
    /// Connect and bring the schema up to date (refusing another
    /// application's database or a newer schema, with nothing written).
    pub fn open(url: &DbUrl) -> Result<PgStore> {
        let conn = url.connect()?;
        schema_check(&conn, url)?;
        let flush = session(&conn)?;
        let link = DbLink::default();
        link.set(true);
        Ok(PgStore { conn, link, url: url.clone(), flush, durable: true, lock_timeout: None })
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// A dropped connection is replaced before the next transaction; the
    /// caller decides whether to retry (a scan does, with its nonce).
    fn ensure_connected(&mut self) -> Result<()> {
        if self.conn.is_closed() {
            let fresh = self.url.connect().and_then(|c| session(&c).map(|f| (c, f)));
            self.link.set(fresh.is_ok());
            let (conn, flush) = fresh?;
            self.conn = conn;
            self.flush = flush;
            tracing::info!("reconnected to PostgreSQL");
        }
        Ok(())
    }

    pub fn link(&self) -> DbLink {
        self.link.clone()
    }

    /// What a transaction sets for itself with `SETTINGS`: the lock wait.
    fn settings(&self) -> Vec<(&'static str, String)> {
        self.lock_timeout.iter().map(|ms| ("lock_timeout", ms.clone())).collect()
    }

    /// How a write begins: asynchronously committed when its durability
    /// comes from the barrier (or is not wanted).
    fn begin_write(&self) -> &'static str {
        let async_commit = match self.flush {
            Flush::Barrier(_) => true,
            Flush::Commit => !self.durable,
            Flush::Off => false,
        };
        // The lock wait is fixed text in BEGIN's own query, so it costs no
        // statement; `set_busy_timeout` overrides it through SETTINGS.
        if async_commit {
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '5s'; SET LOCAL synchronous_commit = off"
        } else {
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '5s'"
        }
    }

    /// A read-committed transaction. First use is decided by a conditional
    /// UPDATE (the second scan waits on the row lock, then sees it used);
    /// the ledger append takes `LEDGER_LOCK`, held until commit.
    ///
    /// BEGIN is not sent on its own: it goes with the transaction's first
    /// statement, and a scan's lookup (`Db::scan_lookup`) runs before it,
    /// since the conditional UPDATE rechecks all it decides. A scan is then
    /// three round trips: the lookup; BEGIN, the claim, the ledger lock and
    /// the head; the block with COMMIT and the flush barrier. The lock is
    /// held for one of them.
    pub fn write<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        self.transaction(|db| f(db))
    }

    /// `write` for this backend's own queries (load).
    fn transaction<T>(&mut self, f: impl FnOnce(&PgDb) -> Result<T>) -> Result<T> {
        self.ensure_connected()?;
        let begin = Begin { sql: self.begin_write(), settings: self.settings(), write: true };
        let level = match &self.flush {
            Flush::Barrier(level) if self.durable => Some(level.clone()),
            _ => None,
        };
        let db = PgDb::new(&self.conn, begin);
        // On an error `db` is dropped here, which rolls it back.
        let out = f(&db).and_then(|v| {
            // The barrier returns once this commit is as durable as a
            // synchronous commit would have made it.
            match &level {
                Some(level) => db.finish(&[("COMMIT", &[]), (BARRIER, &[level as &dyn conn::Param])])?,
                None => db.finish(&[("COMMIT", &[])])?,
            }
            Ok(v)
        });
        drop(db);
        self.link.set(!self.conn.is_closed());
        out
    }

    /// What this connection's commits wait for, and the server's settings
    /// that decide what a flush costs (for `bench`).
    pub fn durability(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.conn.query_one(
            "SELECT current_setting('fsync'), current_setting('wal_sync_method'), current_setting('synchronous_commit', true)",
            &[],
        )?;
        let (fsync, method): (String, String) = (get(&row, 0)?, get(&row, 1)?);
        Ok(format!("{}; server fsync={fsync}, wal_sync_method={method}", self.commit_wait()))
    }

    fn commit_wait(&self) -> String {
        match (&self.flush, self.durable) {
            (Flush::Off, _) => "server synchronous_commit=off: commits are not waited for".into(),
            (_, false) => "synchronous=normal: commits are not waited for".into(),
            (Flush::Barrier(l), true) => format!("async commit, then a flush barrier at synchronous_commit={l}"),
            (Flush::Commit, true) => "synchronous commit".into(),
        }
    }

    /// A repeatable-read snapshot: every query in `f` sees the same data.
    pub fn read<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        self.snapshot(|db| f(db))
    }

    /// `read` for this backend's own queries (dump, change pull).
    fn snapshot<T>(&mut self, f: impl FnOnce(&PgDb) -> Result<T>) -> Result<T> {
        self.ensure_connected()?;
        let begin = Begin {
            sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL lock_timeout = '5s'",
            settings: self.settings(),
            write: false,
        };
        let db = PgDb::new(&self.conn, begin);
        // On an error `db` is dropped here, which rolls it back.
        let out = f(&db).and_then(|v| db.finish(&[("COMMIT", &[])]).map(|()| v));
        drop(db);
        self.link.set(!self.conn.is_closed());
        out
    }

    /// How long a statement may wait for a lock before `Error::Busy`.
    pub fn set_busy_timeout(&mut self, d: Duration) -> Result<()> {
        self.lock_timeout = Some(d.as_millis().to_string());
        Ok(())
    }

    /// `on`: every write waits until durable (by the barrier, or by its
    /// own synchronous commit); off: commits are not waited for.
    pub fn set_synchronous(&mut self, on: bool) -> Result<()> {
        self.durable = on;
        Ok(())
    }

    pub fn schema_version(&mut self) -> Result<u32> {
        self.ensure_connected()?;
        let v: i32 = get(&self.conn.query_one("SELECT version FROM gatehouse_schema", &[])?, 0)?;
        Ok(v.max(0) as u32)
    }

    /// The server's version string, e.g. "15.8".
    pub fn server_version(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.conn.query_one("SELECT current_setting('server_version')", &[])?;
        get(&row, 0)
    }

    /// "TLSv1.3 TLS_AES_256_GCM_SHA384 (sslmode=verify-full)", or "off (sslmode=...)".
    pub fn tls_status(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.conn.query_opt("SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl", &[])?;
        let mode = self.url.ssl_mode().as_str();
        Ok(match row {
            Some(r) => format!("{} {} (sslmode={mode})", get::<String>(&r, 0)?, get::<String>(&r, 1)?),
            None => format!("off (sslmode={mode})"),
        })
    }

    /// One trivial query's round trip.
    pub fn ping(&mut self) -> Result<Duration> {
        self.ensure_connected()?;
        let t = Instant::now();
        self.conn.query("SELECT 1", &[])?;
        Ok(t.elapsed())
    }

    /// Statistics and the visibility map of the bulk-loaded tables brought
    /// up to date (for `bench`). Not `scans`: analyzed while empty, it would
    /// lead the gates' plans to read it whole for every nonce until
    /// autovacuum analyzes it again.
    pub fn vacuum_analyze(&mut self) -> Result<()> {
        self.ensure_connected()?;
        self.conn.query("VACUUM (ANALYZE) passes, ledger", &[])?;
        Ok(())
    }

    /// The server process serving this connection (for `bench`, which
    /// reads its CPU time when the server runs on this machine).
    pub fn backend_pid(&mut self) -> Result<u32> {
        self.ensure_connected()?;
        let row = self.conn.query_one("SELECT pg_backend_pid()", &[])?;
        Ok(get::<i32>(&row, 0)?.max(0) as u32)
    }

    pub fn is_connected(&self) -> bool {
        !self.conn.is_closed()
    }
}

/// The schema's owner, as `schema::migrate` writes it.
const APP: &str = "gatehouse";

/// Whether the schema and the scan's functions are current (one round
/// trip). Only when they are not (or amcheck could be installed) does a
/// second connection of the `postgres` crate run `schema::migrate` and
/// `functions::install`, each under its lock.
fn schema_check(conn: &Conn, url: &DbUrl) -> Result<()> {
    let rows = conn.pipeline(
        None,
        &[
            (
                "SELECT NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')
                AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck')
                AND coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)",
                &[],
            ),
            ("SELECT app = $1 AND version = $2 FROM gatehouse_schema", &[&APP, &(schema::LATEST as i32)]),
            (functions::CHECK, &[&functions::VERSION]),
        ],
    );
    let (current, functions) = match &rows {
        Ok(rows) => {
            // The first row of statement `i`'s answer, as a boolean (NULL,
            // or no row: false).
            let flag = |i: usize| -> Result<bool> {
                let row = rows.get(i).and_then(|r| r.first());
                Ok(row.map(|r| get::<Option<bool>>(r, 0)).transpose()?.flatten().unwrap_or(false))
            };
            (flag(1)? && !flag(0)?, flag(2)?)
        }
        // No gatehouse_schema table yet (or no right to read it): the
        // migration says what is wrong.
        Err(e) if e.as_db_error().is_some() => (false, false),
        Err(_) => return rows.map(drop).map_err(Error::from),
    };
    if !current || !functions {
        let mut client = url.connect_blocking()?;
        schema::migrate(&mut client, url)?;
        schema::offer_amcheck(&mut client);
        functions::install(&mut client)?;
    }
    Ok(())
}

impl<'t> PgDb<'t> {
    fn new(conn: &'t Conn, begin: Begin) -> PgDb<'t> {
        PgDb { conn, begin, begun: Cell::new(false), pending: RefCell::new(Vec::new()), done: Cell::new(false), head: RefCell::new(None) }
    }

    /// `stmts` in one round trip, after what must run before them: BEGIN
    /// (with the transaction's settings) if not yet sent, and what was held
    /// back. Each of `stmts`'s rows, in order.
    fn run(&self, stmts: &[(&str, Params)]) -> Result<Vec<Vec<Row>>> {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        let held: Vec<Vec<&dyn conn::Param>> =
            pending.iter().map(|o| o.params.iter().map(|p| &**p as &dyn conn::Param).collect()).collect();
        let names: Vec<&str> = self.begin.settings.iter().map(|s| s.0).collect();
        let values: Vec<&str> = self.begin.settings.iter().map(|s| s.1.as_str()).collect();
        let settings: [&dyn conn::Param; 2] = [&names, &values];
        let mut all: Vec<(&str, Params)> = Vec::with_capacity(stmts.len() + pending.len() + 1);
        let mut begin = None;
        if !self.begun.replace(true) {
            begin = Some(self.begin.sql);
            if !names.is_empty() {
                all.push((SETTINGS, &settings));
            }
        }
        all.extend(pending.iter().zip(&held).map(|(o, p)| (o.sql, p.as_slice())));
        let skip = all.len();
        all.extend_from_slice(stmts);
        let mut rows = self.conn.pipeline(begin, &all)?;
        Ok(rows.split_off(skip))
    }

    /// Hold one statement back until the next round trip.
    fn defer(&self, stmt: Owned) {
        self.pending.borrow_mut().push(stmt);
    }

    /// Send `end` (COMMIT, and maybe the barrier) with whatever was held
    /// back. A write that never began has nothing to commit. Each statement
    /// of the pipeline runs even if one before it failed; after a failure
    /// the transaction is aborted, so its COMMIT rolls back and ends it.
    fn finish(&self, end: &[(&str, Params)]) -> Result<()> {
        if !self.begun.get() {
            self.done.set(true);
            return Ok(());
        }
        self.done.set(true);
        self.run(end).map(drop)
    }

    fn one(&self, sql: &str, params: Params) -> Result<Vec<Row>> {
        self.run(&[(sql, params)])?.pop().ok_or_else(|| Error::pg("a statement sent got no answer"))
    }

    fn query(&self, sql: &str, params: Params) -> Result<Vec<Row>> {
        self.one(sql, params)
    }

    fn query_opt(&self, sql: &str, params: Params) -> Result<Option<Row>> {
        let mut rows = self.one(sql, params)?;
        if rows.len() > 1 {
            return Err(Error::pg("a query for one row returned several"));
        }
        Ok(rows.pop())
    }

    fn query_one(&self, sql: &str, params: Params) -> Result<Row> {
        self.query_opt(sql, params)?.ok_or_else(|| Error::pg("a query for one row returned none"))
    }

    /// A read that may run before BEGIN, in its own snapshot, when the
    /// transaction is a write that has not begun (see `PgStore::write`).
    fn query_one_early(&self, sql: &str, params: Params) -> Result<Row> {
        if self.begin.write && !self.begun.get() {
            return Ok(self.conn.query_one(sql, params)?);
        }
        self.query_one(sql, params)
    }

    fn execute(&self, sql: &str, params: Params) -> Result<()> {
        self.one(sql, params).map(drop)
    }

    /// SQL built at run time (filters).
    fn query_built(&self, sql: &str, params: Params) -> Result<Vec<Row>> {
        self.one(sql, params)
    }

    fn count_of(&self, sql: &str) -> Result<u64> {
        Ok(get::<i64>(&self.query_one(sql, &[])?, 0)?.max(0) as u64)
    }
}

impl Drop for PgDb<'_> {
    fn drop(&mut self) {
        if self.begun.get() && !self.done.get() {
            // A lost connection is noticed (and replaced) before the next
            // transaction.
            let _ = self.conn.query("ROLLBACK", &[]);
        }
    }
}

impl Db for PgDb<'_> {
    fn count(&self, table: Table) -> Result<u64> {
        self.count_of(match table {
            Table::Users => "SELECT COUNT(*) FROM users",
            Table::Passes => "SELECT COUNT(*) FROM passes",
            Table::Residents => "SELECT COUNT(*) FROM residents",
            Table::Ledger => "SELECT COUNT(*) FROM ledger",
        })
    }

    fn scan_lookup(&self, nonce: &str, pass_id: Option<&str>) -> Result<super::ScanLookup> {
        self.scan_and_pass(nonce, pass_id)
    }

    /// Three round trips for a first admission: the lookup (with BEGIN),
    /// the claim with the ledger lock and the head (`functions::CLAIM`),
    /// and the block with its scan row and the COMMIT.
    fn write_scan(
        &self,
        keys: &crate::domain::keys::KeyRing,
        claim: &super::Claim,
        b: &super::NewBlock,
        s: &super::ScanRow,
    ) -> Result<Option<super::ScanWrite>> {
        let pass = match claim {
            super::Claim::First { id, first } if !self.holds_ledger_lock() => match self.claim(id, first.at, first.by, first.gate)? {
                Some(p) => Some(p),
                None => return Ok(None),
            },
            // A move takes the ledger lock only once it holds: a retried
            // move would otherwise wait on a row while holding the ledger.
            _ => match super::interface::take_claim(self, claim, b.ts)? {
                super::interface::Taken::Held(p) => p,
                super::interface::Taken::Lost => return Ok(None),
            },
        };
        let block = self.append_scan_row(keys, b, s)?;
        Ok(Some(super::ScanWrite { block, pass }))
    }
}

/// A column's value, or a clear error naming the column (never a panic).
fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(|e| Error::pg(format!("bad value in column {:?}: {e}", r.columns().get(i).map(|c| c.name()).unwrap_or("?"))))
}

/// Map a text column to an enum, or a clear corruption error.
fn parse_col<T>(r: &Row, i: usize, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let v: String = get(r, i)?;
    parse(&v).ok_or_else(|| Error::pg(format!("bad {what} {v:?} in database")))
}

/// Counts are stored as INTEGER; the domain uses u32.
fn get_u32(r: &Row, i: usize) -> Result<u32> {
    Ok(get::<i32>(r, i)?.max(0) as u32)
}
