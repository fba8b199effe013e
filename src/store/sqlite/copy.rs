//! Whole-database dump and load for `db copy` and PostgreSQL backups.

use rusqlite::types::{Value, ValueRef};

use super::SqliteStore;
use crate::error::{Error, Result};
use crate::store::copy::{Cell, Dump, TABLES, col_list};

impl SqliteStore {
    /// Every table in one read snapshot.
    pub fn dump(&mut self) -> Result<Dump> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)?;
        let mut out = Vec::new();
        for spec in TABLES {
            let mut st = tx.prepare(&format!("SELECT {} FROM {} ORDER BY {}", col_list(spec), spec.name, spec.order))?;
            let n = spec.cols.len();
            let rows = st.query_map([], |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => Cell::Null,
                            ValueRef::Integer(v) => Cell::Int(v),
                            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                            other => Cell::Text(format!("{other:?}")),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Cell>>>()
            })?;
            out.push(rows.collect::<rusqlite::Result<_>>()?);
        }
        tx.finish()?;
        Ok(out)
    }

    /// Load a dump into this (empty) database in one transaction.
    pub fn load(&mut self, dump: &Dump) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (spec, rows) in TABLES.iter().zip(dump) {
            let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM {}", spec.name), [], |r| r.get(0))?;
            if n > 0 {
                return Err(Error::Conflict(format!("the target is not empty: its {} table has {n} rows", spec.name)));
            }
            let marks: Vec<String> = (1..=spec.cols.len()).map(|i| format!("?{i}")).collect();
            let mut st = tx.prepare(&format!("INSERT INTO {} ({}) VALUES ({})", spec.name, col_list(spec), marks.join(", ")))?;
            for row in rows {
                let values = row.iter().map(|c| match c {
                    Cell::Null => Value::Null,
                    Cell::Int(v) => Value::Integer(*v),
                    Cell::Text(t) => Value::Text(t.clone()),
                });
                st.execute(rusqlite::params_from_iter(values))?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
