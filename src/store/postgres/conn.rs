//! A blocking connection over tokio-postgres on a current-thread runtime,
//! as the `postgres` crate is, but with what that crate does not offer:
//! several statements sent before any answer is read (a pipeline), so a
//! scan's statements share round trips while every value stays a bound
//! parameter.
//!
//! Every statement is sent unnamed with its parameter types (`query_typed`):
//! parsed and run in one round trip, and nothing is left on the server
//! session that a transaction-pooling proxy (pgbouncer) could lose or hand
//! to another client.

use std::future::Future;

use futures_util::future::{join, join_all};
use tokio::runtime::Runtime;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Row};

/// A value bound to a statement, with the PostgreSQL type it is sent as.
pub(super) trait Param: ToSql + Sync {
    fn ty(&self) -> Type;
}

macro_rules! param {
    ($($t:ty => $ty:expr),* $(,)?) => {
        $(impl Param for $t {
            fn ty(&self) -> Type {
                $ty
            }
        })*
    };
}

param! {
    &str => Type::TEXT,
    String => Type::TEXT,
    Option<&str> => Type::TEXT,
    Option<String> => Type::TEXT,
    i64 => Type::INT8,
    Option<i64> => Type::INT8,
    i32 => Type::INT4,
    bool => Type::BOOL,
    Vec<&str> => Type::TEXT_ARRAY,
    Vec<String> => Type::TEXT_ARRAY,
    Vec<Option<&str>> => Type::TEXT_ARRAY,
    &[&str] => Type::TEXT_ARRAY,
    Vec<i64> => Type::INT8_ARRAY,
    Vec<i32> => Type::INT4_ARRAY,
}

pub(super) type Params<'a> = &'a [&'a dyn Param];

/// One statement of a pipeline, its values owned (held back until the
/// next round trip, see `PgDb::defer`).
pub(super) struct Owned {
    pub(super) sql: &'static str,
    pub(super) params: Vec<Box<dyn Param + Send>>,
}

/// The connection; its task runs on `rt` whenever a call waits.
pub(super) struct Conn {
    client: Client,
    rt: Runtime,
}

fn typed<'a>(params: &'a [&'a dyn Param]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (*p as &(dyn ToSql + Sync), p.ty())).collect()
}

impl Conn {
    /// The runtime a connection is made and driven on.
    pub(super) fn runtime() -> std::io::Result<Runtime> {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    }

    /// Connect with `connect` on `rt` (from `runtime`).
    pub(super) fn open<F, C>(rt: Runtime, connect: F) -> Result<Conn, tokio_postgres::Error>
    where
        F: Future<Output = Result<(Client, C), tokio_postgres::Error>>,
        C: Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
    {
        let (client, connection) = rt.block_on(connect)?;
        // Notices are logged by the connection itself; its end (an error
        // or the server closing) shows as `is_closed`.
        rt.spawn(connection);
        Ok(Conn { client, rt })
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    fn wait<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    pub(super) fn query(&self, sql: &str, params: Params) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.wait(self.client.query_typed(sql, &typed(params)))
    }

    pub(super) fn query_opt(&self, sql: &str, params: Params) -> Result<Option<Row>, tokio_postgres::Error> {
        self.wait(self.client.query_typed_opt(sql, &typed(params)))
    }

    pub(super) fn query_one(&self, sql: &str, params: Params) -> Result<Row, tokio_postgres::Error> {
        self.wait(self.client.query_typed_one(sql, &typed(params)))
    }

    /// Statements sent together, answered in order: every statement's rows,
    /// or the first error. `first`, fixed SQL with no values and no rows
    /// wanted (BEGIN and its `SET LOCAL`s), goes ahead as one simple query.
    /// The server runs them one after another; inside a transaction an
    /// error leaves it aborted, so what follows fails too (and a COMMIT
    /// after it rolls back).
    pub(super) fn pipeline(&self, first: Option<&'static str>, stmts: &[(&str, Params)]) -> Result<Vec<Vec<Row>>, tokio_postgres::Error> {
        let typed: Vec<_> = stmts.iter().map(|(_, p)| typed(p)).collect();
        let first = async {
            match first {
                Some(sql) => self.client.batch_execute(sql).await,
                None => Ok(()),
            }
        };
        // Polled in order, so the statements go out in order.
        let rest = join_all(stmts.iter().zip(&typed).map(|((sql, _), p)| self.client.query_typed(sql, p)));
        let (first, rows) = self.wait(join(first, rest));
        first?;
        rows.into_iter().collect()
    }
}
