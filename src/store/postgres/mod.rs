//! The PostgreSQL backend: one server shared by every gate of an event.
//! `PgDb` is a transaction; one file per table implements its part of the
//! storage interface, as in `sqlite/`. The synchronous `postgres` client
//! needs `&mut` for every query, so the transaction sits in a `RefCell`
//! behind the interface's `&self` methods.

mod audit;
mod changes;
mod connect;
mod copy;
mod ledger;
mod literal;
mod passes;
mod residents;
mod scans;
mod schema;
mod stats;
mod sync;
mod tls;
mod users;

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postgres::types::{FromSql, ToSql};
use postgres::{Client, Row, SimpleQueryMessage, SimpleQueryRow, Statement};

pub use connect::{DbUrl, Endpoint, is_postgres_url, redact as redact_url, url_has_password};

use super::interface::{Db, Table};
use crate::error::{Error, Result};

/// Every ledger append takes this transaction-scoped advisory lock, so
/// appends from all gates are serialised and the indices stay dense.
const LEDGER_LOCK: i64 = 0x6761_7465_6c65_6467; // "gateledg"

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
    client: Client,
    link: DbLink,
    url: DbUrl,
    /// Statements prepared once per connection: a scan is then one round
    /// trip per query instead of two.
    stmts: HashMap<&'static str, Statement>,
    /// How a commit is made durable on this connection.
    flush: Flush,
    /// `[storage] synchronous = "full"`: a write returns only once on disk.
    durable: bool,
}

/// Durability without holding the ledger lock through a disk flush.
///
/// A ledger append holds `LEDGER_LOCK` until commit; with a synchronous
/// commit that includes the WAL flush, so every gate would wait for one
/// fsync after another (about 270 a second on this kind of disk). Instead
/// the session commits asynchronously (the lock goes as soon as the commit
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

/// Read the server's durability level and set the session up for `Flush`.
fn session(client: &mut Client) -> Result<Flush> {
    let row = client.query_one(
        "SELECT current_setting('synchronous_commit'),
                has_function_privilege('pg_logical_emit_message(boolean,text,text)', 'EXECUTE')",
        &[],
    )?;
    let (level, may_emit): (String, bool) = (get(&row, 0)?, get(&row, 1)?);
    // `literal` relies on it; and the statements a scan sends in simple
    // queries are planned once per connection.
    client.batch_execute(&["SET standard_conforming_strings = on;", passes::PREPARE_CLAIM, ledger::PREPARE_APPEND_SCAN].concat())?;
    Ok(match level.as_str() {
        "off" => Flush::Off,
        "on" | "local" | "remote_write" | "remote_apply" if may_emit => {
            client.batch_execute("SET synchronous_commit = off")?;
            Flush::Barrier(level)
        }
        _ => Flush::Commit,
    })
}

/// A transaction on the server. Every typed query lives on it.
///
/// It is begun and ended by hand (not with the client's `Transaction`) so
/// that a write's COMMIT and its flush barrier travel in one round trip.
/// Dropped unfinished (an error, a panic), it rolls back.
pub struct PgDb<'t> {
    tx: RefCell<&'t mut Client>,
    /// Whether BEGIN has been sent. A write sends it with its first
    /// statement that needs the transaction, in the same round trip where
    /// it can (see `PgStore::write`).
    begun: Cell<bool>,
    /// Statements held back to travel with the next ones (a scan's block,
    /// sent with the COMMIT), and how many; sent before anything else runs.
    pending: RefCell<(String, usize)>,
    /// Set once COMMIT or ROLLBACK has been sent.
    done: Cell<bool>,
    stmts: RefCell<&'t mut HashMap<&'static str, Statement>>,
    /// Once this transaction holds `LEDGER_LOCK`: the head it last wrote
    /// (no other gate can move it until commit), so a batch of appends
    /// takes the lock and reads the head once.
    head: RefCell<Option<Option<(u64, String)>>>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgStore {
    /// Connect and bring the schema up to date (refusing another
    /// application's database or a newer schema, with nothing written).
    pub fn open(url: &DbUrl) -> Result<PgStore> {
        let mut client = url.connect()?;
        schema::migrate(&mut client, url)?;
        schema::offer_amcheck(&mut client);
        let flush = session(&mut client)?;
        let link = DbLink::default();
        link.set(true);
        Ok(PgStore { client, link, url: url.clone(), stmts: HashMap::new(), flush, durable: true })
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// A dropped connection is replaced before the next transaction; the
    /// caller decides whether to retry (a scan does, with its nonce).
    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.stmts.clear();
            let fresh = self.url.connect().and_then(|mut c| session(&mut c).map(|f| (c, f)));
            self.link.set(fresh.is_ok());
            let (client, flush) = fresh?;
            self.client = client;
            self.flush = flush;
            if !self.durable {
                self.client.batch_execute("SET synchronous_commit = off")?;
            }
            tracing::info!("reconnected to PostgreSQL");
        }
        Ok(())
    }

    pub fn link(&self) -> DbLink {
        self.link.clone()
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
        self.ensure_connected()?;
        let commit = self.commit_sql();
        let out = PgDb::begin(&mut self.client, &mut self.stmts, None).and_then(|db| {
            // On an error `db` is dropped here, which rolls it back.
            let v = f(&db)?;
            db.finish(&commit)?;
            Ok(v)
        });
        self.link.set(!self.client.is_closed());
        out
    }

    /// What ends a write: COMMIT, and for `Flush::Barrier` the barrier in
    /// the same round trip. The barrier returns once this connection's
    /// commit is as durable as a synchronous commit would have made it. If
    /// the COMMIT fails, the server skips the rest.
    fn commit_sql(&self) -> String {
        match &self.flush {
            // `level` is one of four words checked in `session`.
            Flush::Barrier(level) if self.durable => format!(
                "COMMIT; BEGIN; SET LOCAL synchronous_commit = {level}; \
                 SELECT pg_logical_emit_message(true, 'gatehouse', 'flush'); COMMIT"
            ),
            _ => "COMMIT".into(),
        }
    }

    /// What this connection's commits wait for, and the server's settings
    /// that decide what a flush costs (for `bench`).
    pub fn durability(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.client.query_one(
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
        self.ensure_connected()?;
        let out = PgDb::begin(&mut self.client, &mut self.stmts, Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")).and_then(|db| {
            // On an error `db` is dropped here, which rolls it back.
            let v = f(&db)?;
            db.finish("COMMIT")?;
            Ok(v)
        });
        self.link.set(!self.client.is_closed());
        out
    }

    /// How long a statement may wait for a lock before `Error::Busy`.
    pub fn set_busy_timeout(&mut self, d: Duration) -> Result<()> {
        self.ensure_connected()?;
        self.client.batch_execute(&format!("SET lock_timeout = {}", d.as_millis()))?;
        Ok(())
    }

    /// `on`: every write waits until durable (by the barrier, or by its
    /// own synchronous commit); off: commits are not waited for.
    pub fn set_synchronous(&mut self, on: bool) -> Result<()> {
        self.ensure_connected()?;
        self.durable = on;
        match (&self.flush, on) {
            (Flush::Commit, true) => self.client.batch_execute("RESET synchronous_commit")?,
            (_, false) => self.client.batch_execute("SET synchronous_commit = off")?,
            _ => {}
        }
        Ok(())
    }

    pub fn schema_version(&mut self) -> Result<u32> {
        self.ensure_connected()?;
        schema::version(&mut self.client)
    }

    /// The server's version string, e.g. "15.8".
    pub fn server_version(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.client.query_one("SHOW server_version", &[])?;
        Ok(row.try_get(0)?)
    }

    /// "TLSv1.3 TLS_AES_256_GCM_SHA384 (sslmode=verify-full)", or "off (sslmode=...)".
    pub fn tls_status(&mut self) -> Result<String> {
        self.ensure_connected()?;
        let row = self.client.query_opt("SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl", &[])?;
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
        self.client.simple_query("SELECT 1")?;
        Ok(t.elapsed())
    }

    /// Statistics and the visibility map of the bulk-loaded tables brought
    /// up to date (for `bench`). Not `scans`: analyzed while empty, it would
    /// lead the gates' cached plans to read it whole for every nonce until
    /// autovacuum analyzes it again.
    pub fn vacuum_analyze(&mut self) -> Result<()> {
        self.ensure_connected()?;
        Ok(self.client.batch_execute("VACUUM (ANALYZE) passes, ledger")?)
    }

    /// The server process serving this connection (for `bench`, which
    /// reads its CPU time when the server runs on this machine).
    pub fn backend_pid(&mut self) -> Result<u32> {
        self.ensure_connected()?;
        let row = self.client.query_one("SELECT pg_backend_pid()", &[])?;
        Ok(get::<i32>(&row, 0)?.max(0) as u32)
    }

    pub fn is_connected(&self) -> bool {
        !self.client.is_closed()
    }
}

impl<'t> PgDb<'t> {
    /// `begin`: sent now (a read's snapshot); None: BEGIN goes with the
    /// first statement that needs it.
    fn begin(client: &'t mut Client, stmts: &'t mut HashMap<&'static str, Statement>, begin: Option<&str>) -> Result<PgDb<'t>> {
        if let Some(sql) = begin {
            client.batch_execute(sql)?;
        }
        Ok(PgDb {
            tx: RefCell::new(client),
            begun: Cell::new(begin.is_some()),
            pending: RefCell::new((String::new(), 0)),
            done: Cell::new(false),
            stmts: RefCell::new(stmts),
            head: RefCell::new(None),
        })
    }

    /// What must run before the next statement, and how many statements
    /// that is: BEGIN if not yet sent, and what was held back. Taken: the
    /// caller sends it.
    fn prelude(&self) -> (String, usize) {
        let (mut pre, mut n) = std::mem::take(&mut *self.pending.borrow_mut());
        if !self.begun.replace(true) {
            pre.insert_str(0, "BEGIN; ");
            n += 1;
        }
        (pre, n)
    }

    /// The connection inside the transaction, with the prelude sent.
    fn conn(&self) -> Result<RefMut<'_, &'t mut Client>> {
        let mut c = self.tx.borrow_mut();
        let (pre, n) = self.prelude();
        if n > 0 {
            c.batch_execute(&pre)?;
        }
        Ok(c)
    }

    /// `sql`, `n` statements with literals, after the prelude, in one
    /// round trip: each statement's rows in order, the prelude's left out.
    fn simple(&self, sql: &str, n: usize) -> Result<Vec<Vec<SimpleQueryRow>>> {
        let (pre, skip) = self.prelude();
        let msgs = self.tx.borrow_mut().simple_query(&format!("{pre}{sql}"))?;
        let mut out = vec![Vec::new()];
        for m in msgs {
            match m {
                SimpleQueryMessage::Row(r) => {
                    if let Some(rows) = out.last_mut() {
                        rows.push(r)
                    }
                }
                SimpleQueryMessage::CommandComplete(_) => out.push(Vec::new()),
                _ => {}
            }
        }
        out.pop(); // the empty list after the last statement
        if out.len() != skip + n {
            return Err(Error::Pg("a batch of statements did not complete".into()));
        }
        Ok(out.split_off(skip))
    }

    /// Hold one statement (ending in `;`) back until the next round trip.
    fn defer(&self, sql: &str) {
        let mut p = self.pending.borrow_mut();
        p.0.push_str(sql);
        p.1 += 1;
    }

    /// Send `sql`, which ends the transaction (COMMIT, and maybe more),
    /// with whatever was held back. A write that never began has nothing
    /// to commit. If a held-back statement (or the barrier) fails, the
    /// server skips the rest, so what is left open is rolled back here.
    fn finish(&self, sql: &str) -> Result<()> {
        if !self.begun.get() {
            self.done.set(true);
            return Ok(());
        }
        let (pending, _) = std::mem::take(&mut *self.pending.borrow_mut());
        self.done.set(true);
        let mut c = self.tx.borrow_mut();
        let out = c.batch_execute(&format!("{pending}{sql}"));
        if out.is_err() && !c.is_closed() {
            let _ = c.batch_execute("ROLLBACK");
        }
        Ok(out?)
    }

    fn stmt(&self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.stmts.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.borrow_mut().prepare(sql)?;
        self.stmts.borrow_mut().insert(sql, s.clone());
        Ok(s)
    }

    fn query(&self, sql: &'static str, params: Params) -> Result<Vec<Row>> {
        let st = self.stmt(sql)?;
        Ok(self.conn()?.query(&st, params)?)
    }

    fn query_opt(&self, sql: &'static str, params: Params) -> Result<Option<Row>> {
        let st = self.stmt(sql)?;
        Ok(self.conn()?.query_opt(&st, params)?)
    }

    fn query_one(&self, sql: &'static str, params: Params) -> Result<Row> {
        let st = self.stmt(sql)?;
        Ok(self.conn()?.query_one(&st, params)?)
    }

    /// A read that may run before BEGIN, in its own snapshot, when the
    /// transaction has not begun (see `PgStore::write`).
    fn query_one_early(&self, sql: &'static str, params: Params) -> Result<Row> {
        let st = self.stmt(sql)?;
        if self.begun.get() {
            return self.query_one(sql, params);
        }
        Ok(self.tx.borrow_mut().query_one(&st, params)?)
    }

    fn execute(&self, sql: &'static str, params: Params) -> Result<u64> {
        let st = self.stmt(sql)?;
        Ok(self.conn()?.execute(&st, params)?)
    }

    /// SQL built at run time (filters); not cached.
    fn query_built(&self, sql: &str, params: Params) -> Result<Vec<Row>> {
        Ok(self.conn()?.query(sql, params)?)
    }

    fn count_of(&self, sql: &'static str) -> Result<u64> {
        Ok(get::<i64>(&self.query_one(sql, &[])?, 0)?.max(0) as u64)
    }
}

impl Drop for PgDb<'_> {
    fn drop(&mut self) {
        if self.begun.get() && !self.done.get() {
            // As the client's own Transaction does; a lost connection is
            // noticed (and replaced) before the next transaction.
            let _ = self.tx.get_mut().batch_execute("ROLLBACK");
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

    fn scan_lookup(&self, nonce: &str, pass_id: Option<&str>) -> Result<(Option<super::ScanRow>, Option<crate::domain::pass::Pass>)> {
        self.scan_and_pass(nonce, pass_id)
    }

    fn append_scan(&self, keys: &crate::domain::keys::KeyRing, b: &super::NewBlock, s: &super::ScanRow) -> Result<u64> {
        self.append_scan_row(keys, b, s)
    }
}

/// A column's value, or a clear error naming the column (never a panic).
fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(|e| Error::Pg(format!("bad value in column {:?}: {e}", r.columns().get(i).map(|c| c.name()).unwrap_or("?"))))
}

/// A row to read by column: typed (extended protocol) or all text (a
/// simple query, see `literal`), so one function reads a row of either.
pub(super) trait Cells {
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;

    fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| Error::Pg(format!("NULL in column {i}, which cannot be empty")))
    }

    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| Error::Pg(format!("NULL in column {i}, which cannot be empty")))
    }

    /// A count stored as INTEGER; the domain uses u32.
    fn count(&self, i: usize) -> Result<u32> {
        Ok(self.int(i)?.clamp(0, u32::MAX as i64) as u32)
    }

    /// A text column mapped to an enum, or a clear corruption error.
    fn parsed<T>(&self, i: usize, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let v = self.text(i)?;
        parse(&v).ok_or_else(|| Error::Pg(format!("bad {what} {v:?} in database")))
    }
}

impl Cells for Row {
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        get(self, i)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.columns().get(i).map(|c| c.type_()) {
            Some(&postgres::types::Type::INT4) => Ok(get::<Option<i32>>(self, i)?.map(i64::from)),
            _ => get(self, i),
        }
    }
}

impl Cells for SimpleQueryRow {
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.try_get(i)?.map(str::to_owned))
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.try_get(i)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| Error::Pg(format!("bad integer {v:?} in column {i}"))),
        }
    }
}

/// Map a text column to an enum, or a clear corruption error.
fn parse_col<T>(r: &Row, i: usize, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let v: String = get(r, i)?;
    parse(&v).ok_or_else(|| Error::Pg(format!("bad {what} {v:?} in database")))
}

/// Counts are stored as INTEGER; the domain uses u32.
fn get_u32(r: &Row, i: usize) -> Result<u32> {
    Ok(get::<i32>(r, i)?.max(0) as u32)
}
