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
mod passes;
mod residents;
mod scans;
mod schema;
mod stats;
mod sync;
mod users;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postgres::types::{FromSql, ToSql};
use postgres::{Client, Row, Statement, Transaction};

pub use connect::{DbUrl, is_postgres_url, redact as redact_url, url_has_password};

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
}

/// A transaction on the server. Every typed query lives on it.
pub struct PgDb<'t> {
    tx: RefCell<Transaction<'t>>,
    stmts: RefCell<&'t mut HashMap<&'static str, Statement>>,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgStore {
    /// Connect and bring the schema up to date (refusing another
    /// application's database or a newer schema, with nothing written).
    pub fn open(url: &DbUrl) -> Result<PgStore> {
        let mut client = url.connect()?;
        schema::migrate(&mut client, url)?;
        let link = DbLink::default();
        link.set(true);
        Ok(PgStore { client, link, url: url.clone(), stmts: HashMap::new() })
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// A dropped connection is replaced before the next transaction; the
    /// caller decides whether to retry (a scan does, with its nonce).
    fn ensure_connected(&mut self) -> Result<()> {
        if self.client.is_closed() {
            self.stmts.clear();
            let fresh = self.url.connect();
            self.link.set(fresh.is_ok());
            self.client = fresh?;
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
    pub fn write<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        self.ensure_connected()?;
        let tx = self.client.transaction()?;
        let out = {
            let db = PgDb { tx: RefCell::new(tx), stmts: RefCell::new(&mut self.stmts) };
            // On an error the transaction is dropped here, which rolls it back.
            f(&db).and_then(|v| Ok(db.tx.into_inner().commit().map(|_| v)?))
        };
        self.link.set(!self.client.is_closed());
        out
    }

    /// A repeatable-read snapshot: every query in `f` sees the same data.
    pub fn read<T>(&mut self, f: impl FnOnce(&dyn Db) -> Result<T>) -> Result<T> {
        self.ensure_connected()?;
        let tx = self.client.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
        let out = {
            let db = PgDb { tx: RefCell::new(tx), stmts: RefCell::new(&mut self.stmts) };
            // On an error the transaction is dropped here, which rolls it back.
            f(&db).and_then(|v| Ok(db.tx.into_inner().commit().map(|_| v)?))
        };
        self.link.set(!self.client.is_closed());
        out
    }

    /// How long a statement may wait for a lock before `Error::Busy`.
    pub fn set_busy_timeout(&mut self, d: Duration) -> Result<()> {
        self.ensure_connected()?;
        self.client.batch_execute(&format!("SET lock_timeout = {}", d.as_millis()))?;
        Ok(())
    }

    pub fn set_synchronous(&mut self, on: bool) -> Result<()> {
        self.ensure_connected()?;
        self.client.batch_execute(if on { "SET synchronous_commit = on" } else { "SET synchronous_commit = off" })?;
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

    /// One trivial query's round trip.
    pub fn ping(&mut self) -> Result<Duration> {
        self.ensure_connected()?;
        let t = Instant::now();
        self.client.simple_query("SELECT 1")?;
        Ok(t.elapsed())
    }

    pub fn is_connected(&self) -> bool {
        !self.client.is_closed()
    }
}

impl<'t> PgDb<'t> {
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
        Ok(self.tx.borrow_mut().query(&st, params)?)
    }

    fn query_opt(&self, sql: &'static str, params: Params) -> Result<Option<Row>> {
        let st = self.stmt(sql)?;
        Ok(self.tx.borrow_mut().query_opt(&st, params)?)
    }

    fn query_one(&self, sql: &'static str, params: Params) -> Result<Row> {
        let st = self.stmt(sql)?;
        Ok(self.tx.borrow_mut().query_one(&st, params)?)
    }

    fn execute(&self, sql: &'static str, params: Params) -> Result<u64> {
        let st = self.stmt(sql)?;
        Ok(self.tx.borrow_mut().execute(&st, params)?)
    }

    /// SQL built at run time (filters); not cached.
    fn query_built(&self, sql: &str, params: Params) -> Result<Vec<Row>> {
        Ok(self.tx.borrow_mut().query(sql, params)?)
    }

    fn count_of(&self, sql: &'static str) -> Result<u64> {
        Ok(get::<i64>(&self.query_one(sql, &[])?, 0)?.max(0) as u64)
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
}

/// A column's value, or a clear error naming the column (never a panic).
fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(|e| Error::Pg(format!("bad value in column {:?}: {e}", r.columns().get(i).map(|c| c.name()).unwrap_or("?"))))
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
