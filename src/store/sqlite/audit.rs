//! What the audit reads from a SQLite file: blocks and scans rows streamed,
//! `PRAGMA integrity_check`, and the schema compared with a fresh copy of
//! gatehouse's own.

use std::collections::BTreeMap;

use super::SqliteDb;
use super::ledger::{COLS, row_to_ref};
use super::schema;
use crate::domain::audit::ScanFacts;
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

impl AuditRows for SqliteDb<'_> {
    fn for_each_block(&self, f: &mut dyn FnMut(&BlockRef<'_>) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM ledger ORDER BY seq"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(&row_to_ref(r)?)?;
        }
        Ok(())
    }

    fn for_each_scan(&self, f: &mut dyn FnMut(&ScanFacts<'_>) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare("SELECT block, at, operator, gate, verdict, subject, persons, repeated FROM scans")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<&str> {
                r.get_ref(i)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
            };
            let facts = ScanFacts {
                block: r.get::<_, i64>(0)?.max(0) as u64,
                at: text(1)?,
                operator: text(2)?,
                gate: text(3)?,
                verdict: text(4)?,
                subject: r
                    .get_ref(5)?
                    .as_str_or_null()
                    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e)))?,
                persons: r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
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
