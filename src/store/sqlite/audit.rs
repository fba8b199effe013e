//! What the audit reads from a SQLite file: blocks and scans rows streamed,
//! `PRAGMA integrity_check`, and the schema compared with a fresh copy of
//! gatehouse's own.

use std::collections::BTreeMap;

use super::SqliteDb;
use super::ledger::row_to_ref;
use super::passes::COLS as PASS_COLS;
use super::schema;
use crate::domain::audit::{PassFacts, ScanFacts};
use crate::domain::ledger::BlockRef;
use crate::error::Result;
use crate::store::interface::AuditRows;

/// SQLite's own objects, which no migration creates.
fn internal(name: &str) -> bool {
    name.starts_with("sqlite_")
}

/// (type, name) -> (table, sql), for every object in the file.
type Objects = BTreeMap<(String, String), (String, Option<String>)>;

fn objects(conn: &rusqlite::Connection) -> Result<Objects> {
    let mut st = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema")?;
    let rows = st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (k, v): ((String, String), (String, Option<String>)) = row?;
        if !internal(&k.1) {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// A text column, borrowed from the row.
fn text<'r>(r: &'r rusqlite::Row, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn opt_text<'r>(r: &'r rusqlite::Row, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?.as_str_or_null().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn count(r: &rusqlite::Row, i: usize) -> rusqlite::Result<u32> {
    Ok(r.get::<_, i64>(i)?.clamp(0, i64::from(u32::MAX)) as u32)
}

impl AuditRows for SqliteDb<'_> {
    fn for_each_block(&self, f: &mut dyn FnMut(&BlockRef<'_>) -> Result<()>) -> Result<()> {
        // The replay needs no hashes or signatures (the chain walk checks
        // them): leaving them out saves reading and validating 190 bytes a block.
        let mut st = self.conn.prepare("SELECT idx, ts, operator, gate, event, data, '', '', key_id, '' FROM ledger ORDER BY seq")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(&row_to_ref(r)?)?;
        }
        Ok(())
    }

    fn for_each_pass(&self, f: &mut dyn FnMut(&PassFacts<'_>) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare(&format!("SELECT {PASS_COLS} FROM passes"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let facts = PassFacts {
                id: text(r, 0)?,
                pass_type: text(r, 1)?,
                persons: count(r, 2)?,
                holder_name: text(r, 3)?,
                holder_phone: text(r, 4)?,
                holder2_name: opt_text(r, 5)?,
                holder2_phone: opt_text(r, 6)?,
                price_cents: r.get(7)?,
                payment_mode: text(r, 8)?,
                txn_ref: opt_text(r, 9)?,
                slot: text(r, 10)?,
                key_id: text(r, 11)?,
                created_at: text(r, 12)?,
                created_by: text(r, 13)?,
                scanned_at: opt_text(r, 14)?,
                scanned_by: opt_text(r, 15)?,
                gate: opt_text(r, 16)?,
                voided_at: opt_text(r, 17)?,
                voided_by: opt_text(r, 18)?,
                void_reason: opt_text(r, 19)?,
                inside: count(r, 20)?,
                note: opt_text(r, 25)?,
            };
            f(&facts)?;
        }
        Ok(())
    }

    fn for_each_scan(&self, f: &mut dyn FnMut(&ScanFacts<'_>) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare("SELECT block, at, operator, gate, verdict, subject, persons, repeated FROM scans")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let facts = ScanFacts {
                block: r.get::<_, i64>(0)?.max(0) as u64,
                at: text(r, 1)?,
                operator: text(r, 2)?,
                gate: text(r, 3)?,
                verdict: text(r, 4)?,
                subject: opt_text(r, 5)?,
                persons: count(r, 6)?,
                repeated: r.get(7)?,
            };
            f(&facts)?;
        }
        Ok(())
    }

    fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }

    fn foreign_schema(&self) -> Result<Vec<String>> {
        let want = objects(&schema::reference()?)?;
        let have = objects(self.conn)?;
        let mut out = Vec::new();
        for ((kind, name), (table, sql)) in &have {
            match want.get(&(kind.clone(), name.clone())) {
                None => out.push(format!("{kind} {name} on {table} was not created by gatehouse")),
                Some((_, want_sql)) if want_sql != sql => out.push(format!("{kind} {name} differs from gatehouse's definition")),
                Some(_) => {}
            }
        }
        for (kind, name) in want.keys() {
            if !have.contains_key(&(kind.clone(), name.clone())) {
                out.push(format!("{kind} {name} is missing"));
            }
        }
        Ok(out)
    }
}
