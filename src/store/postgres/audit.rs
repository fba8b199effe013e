//! What the audit reads from PostgreSQL: blocks and scans rows a page at a
//! time, and the schema compared with what gatehouse's migrations create.

use std::collections::BTreeSet;

use postgres::Row;
use postgres::types::FromSql;

use super::conn::Param;

use super::ledger::row_to_ref;
use super::passes::cols;
use super::{PgDb, get, schema};
use crate::domain::audit::{PassFacts, ScanFacts};
use crate::domain::ledger::BlockRef;
use crate::error::{Error, Result};
use crate::store::interface::AuditRows;

/// Rows fetched per round trip.
const PAGE: i64 = 4096;

impl PgDb<'_> {
    /// Run `sql`, which takes the last key seen as `$1` and the page size as
    /// `$2` and orders by that key, a page at a time; each row goes to `f`.
    fn paged<K>(&self, sql: &'static str, key_col: usize, mut after: K, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<()>
    where
        K: Param + for<'a> FromSql<'a>,
    {
        loop {
            let rows = self.query(sql, &[&after, &PAGE])?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = get(last, key_col)?;
            for r in &rows {
                f(r)?;
            }
        }
    }
}

impl AuditRows for PgDb<'_> {
    fn for_each_block(&self, f: &mut dyn FnMut(&BlockRef<'_>) -> Result<()>) -> Result<()> {
        // No hashes or signatures: the chain walk checks them.
        let sql = "SELECT idx, ts, operator, gate, event, data, '', '', key_id, '', seq FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2";
        self.paged(sql, 10, i64::MIN, &mut |r| f(&row_to_ref(r)?))
    }

    fn for_each_pass(&self, f: &mut dyn FnMut(&PassFacts<'_>) -> Result<()>) -> Result<()> {
        let sql = concat!("SELECT ", cols!(), " FROM passes WHERE id > $1 ORDER BY id LIMIT $2");
        self.paged(sql, 0, String::new(), &mut |r| {
            f(&PassFacts {
                id: get(r, 0)?,
                pass_type: get(r, 1)?,
                persons: get::<i32>(r, 2)?.max(0) as u32,
                holder_name: get(r, 3)?,
                holder_phone: get(r, 4)?,
                holder2_name: get(r, 5)?,
                holder2_phone: get(r, 6)?,
                price_cents: get(r, 7)?,
                payment_mode: get(r, 8)?,
                txn_ref: get(r, 9)?,
                slot: get(r, 10)?,
                key_id: get(r, 11)?,
                created_at: get(r, 12)?,
                created_by: get(r, 13)?,
                scanned_at: get(r, 14)?,
                scanned_by: get(r, 15)?,
                gate: get(r, 16)?,
                voided_at: get(r, 17)?,
                voided_by: get(r, 18)?,
                void_reason: get(r, 19)?,
                inside: get::<i32>(r, 20)?.max(0) as u32,
                note: get(r, 25)?,
            })
        })
    }

    fn for_each_scan(&self, f: &mut dyn FnMut(&ScanFacts<'_>) -> Result<()>) -> Result<()> {
        let sql = "SELECT block, at, operator, gate, verdict, subject, persons, repeated, id FROM scans WHERE id > $1 ORDER BY id LIMIT $2";
        self.paged(sql, 8, i64::MIN, &mut |r| {
            f(&ScanFacts {
                block: get::<i64>(r, 0)?.max(0) as u64,
                at: get(r, 1)?,
                operator: get(r, 2)?,
                gate: get(r, 3)?,
                verdict: get(r, 4)?,
                subject: get(r, 5)?,
                persons: get::<i32>(r, 6)?.max(0) as u32,
                repeated: get(r, 7)?,
            })
        })
    }

    /// amcheck, where the server has it and this role may run it: every
    /// B-tree index of gatehouse's tables (`bt_index_check` with
    /// `heapallindexed`: each row has its index entry) and every table's
    /// pages (`verify_heapam`). Each check runs under a savepoint, so one
    /// that finds damage reports it and the rest still run.
    fn integrity_problems(&self) -> Result<Vec<String>> {
        let Amcheck::Usable(ns) = amcheck(self)? else { return Ok(Vec::new()) };
        let (tables, _) = schema::objects();
        let tables: Vec<String> = tables.into_iter().collect();
        let mut out = Vec::new();
        let indexes = self.query(
            "SELECT ci.relname FROM pg_index i
               JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid
               JOIN pg_am am ON am.oid = ci.relam
              WHERE ct.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND am.amname = 'btree' AND ct.relname = ANY($1)
              ORDER BY ci.relname",
            &[&tables],
        )?;
        for r in &indexes {
            let index: String = get(r, 0)?;
            let sql = format!("SELECT {ns}.bt_index_check(to_regclass($1), true)");
            if let Err(damage) = self.checked(&sql, &index)? {
                out.push(format!("index {index}: {damage}"));
            }
        }
        for table in &tables {
            let sql = format!("SELECT blkno, offnum, msg FROM {ns}.verify_heapam(to_regclass($1)) LIMIT 10");
            match self.checked(&sql, table)? {
                Ok(rows) => {
                    for r in rows {
                        let (blk, off, msg): (i64, Option<i32>, String) = (get(&r, 0)?, get(&r, 1)?, get(&r, 2)?);
                        out.push(format!("table {table}, page {blk}{}: {msg}", off.map(|o| format!(" item {o}")).unwrap_or_default()));
                    }
                }
                Err(e) => out.push(format!("table {table}: {e}")),
            }
        }
        Ok(out)
    }

    fn integrity_notes(&self) -> Result<Vec<String>> {
        Ok(match amcheck(self)? {
            Amcheck::Usable(_) => Vec::new(),
            Amcheck::Missing => vec![
                "PostgreSQL's index and page checks were not run: the amcheck extension is not installed in this database \
                 (a superuser can run CREATE EXTENSION amcheck; gatehouse does when it connects as one)"
                    .into(),
            ],
            Amcheck::Denied(role) => vec![format!(
                "PostgreSQL's index and page checks were not run: role {role} may not run amcheck \
                 (GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean), verify_heapam(regclass, boolean, boolean, text, bigint, bigint) TO {role})"
            )],
        })
    }

    fn foreign_schema(&self) -> Result<Vec<String>> {
        let (want_tables, want_indexes) = schema::objects();
        let mut out = Vec::new();
        let tables: BTreeSet<String> = self
            .query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                &[],
            )?
            .iter()
            .map(|r| get(r, 0))
            .collect::<Result<_>>()?;
        for t in tables.difference(&want_tables) {
            out.push(format!("table {t} was not created by gatehouse"));
        }
        for t in want_tables.difference(&tables) {
            out.push(format!("table {t} is missing"));
        }
        // Primary keys and unique constraints make their own indexes; only
        // those named in the migrations or by a constraint are gatehouse's.
        let indexes: BTreeSet<String> = self
            .query(
                "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema()
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                &[],
            )?
            .iter()
            .map(|r| get(r, 0))
            .collect::<Result<_>>()?;
        for i in indexes.difference(&want_indexes) {
            out.push(format!("index {i} was not created by gatehouse"));
        }
        for i in want_indexes.difference(&indexes) {
            out.push(format!("index {i} is missing"));
        }
        for r in self.query(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
            &[],
        )? {
            let (name, table): (String, String) = (get(&r, 0)?, get(&r, 1)?);
            out.push(format!("trigger {name} on {table} was not created by gatehouse"));
        }
        for r in self.query("SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()", &[])? {
            let name: String = get(&r, 0)?;
            out.push(format!("view {name} was not created by gatehouse"));
        }
        for r in self.query("SELECT r.rulename, r.tablename FROM pg_rules r WHERE r.schemaname = current_schema()", &[])? {
            let (name, table): (String, String) = (get(&r, 0)?, get(&r, 1)?);
            out.push(format!("rule {name} on {table} was not created by gatehouse"));
        }
        Ok(out)
    }
}

/// Whether amcheck can run here, and in which schema its functions live.
enum Amcheck {
    Usable(String),
    Missing,
    Denied(String),
}

fn amcheck(db: &PgDb) -> Result<Amcheck> {
    let row = db.query_opt(
        "SELECT quote_ident(n.nspname), current_user::text,
                has_function_privilege(p.oid, 'EXECUTE')
                  AND has_function_privilege((SELECT h.oid FROM pg_proc h WHERE h.proname = 'verify_heapam' AND h.pronamespace = n.oid), 'EXECUTE')
           FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = 'bt_index_check' AND p.pronargs = 2
          WHERE e.extname = 'amcheck'",
        &[],
    )?;
    Ok(match row {
        None => Amcheck::Missing,
        Some(r) if get::<Option<bool>>(&r, 2)?.unwrap_or(false) => Amcheck::Usable(get(&r, 0)?),
        Some(r) => Amcheck::Denied(get(&r, 1)?),
    })
}

impl PgDb<'_> {
    /// A query under a savepoint: the server's error (damage found) comes
    /// back as its message and the transaction goes on; a lost connection
    /// is the outer error.
    fn checked(&self, sql: &str, arg: &str) -> Result<std::result::Result<Vec<postgres::Row>, String>> {
        // BEGIN (and anything held back) goes first, with the savepoint.
        self.execute("SAVEPOINT gatehouse_check", &[])?;
        match self.conn.query(sql, &[&arg]) {
            Ok(rows) => {
                self.execute("RELEASE SAVEPOINT gatehouse_check", &[])?;
                Ok(Ok(rows))
            }
            Err(e) => match e.as_db_error().map(|d| d.message().to_string()) {
                Some(msg) => {
                    self.run(&[("ROLLBACK TO SAVEPOINT gatehouse_check", &[]), ("RELEASE SAVEPOINT gatehouse_check", &[])])?;
                    Ok(Err(msg))
                }
                None => Err(Error::from(e)),
            },
        }
    }
}
