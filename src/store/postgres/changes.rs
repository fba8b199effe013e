//! The change pull for offline-capable gates (docs/offline.md): the ledger
//! is the cursor. One repeatable-read snapshot reads the blocks after the
//! cursor, the ids they name, and those rows whole.

use postgres::Transaction;
use postgres::types::ToSql;

use super::PgStore;
use super::copy::cells;
use crate::domain::offline::{forces_full_pull, touched_ids};
use crate::error::Result;
use crate::store::copy::{Cell, TABLES, TableSpec};
use crate::store::sync::Changes;

/// Rows of `spec` matching `filter` (SQL after WHERE), as cells.
fn rows(tx: &mut Transaction, spec: &TableSpec, filter: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Vec<Cell>>> {
    cells(tx, spec, &format!("WHERE {filter}"), params)
}

impl PgStore {
    pub fn pull_changes(&mut self, since: Option<(u64, String)>) -> Result<Changes> {
        self.ensure_connected()?;
        let out = self.pull_in_snapshot(since);
        self.link.set(!self.client.is_closed());
        out
    }

    fn pull_in_snapshot(&mut self, since: Option<(u64, String)>) -> Result<Changes> {
        let mut tx = self.client.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start()?;
        let server_time: f64 = tx.query_one("SELECT extract(epoch FROM clock_timestamp())::FLOAT8", &[])?.try_get(0)?;
        let head = match tx.query_opt("SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1", &[])? {
            Some(r) => Some((r.try_get::<_, i64>(0)?.max(0) as u64, r.try_get::<_, String>(1)?)),
            None => None,
        };
        // The cursor's block must still be there, unchanged; else copy all.
        let mut full = true;
        if let (Some((at, hash)), Some((h, _))) = (&since, &head)
            && at <= h
        {
            let same = tx.query_opt("SELECT 1 FROM ledger WHERE idx = $1 AND hash = $2", &[&(*at as i64), hash])?;
            full = same.is_none();
        }
        let (users, passes, residents) = (&TABLES[0], &TABLES[1], &TABLES[2]);
        let mut c = Changes { full, head, server_time, ..Default::default() };
        c.users = rows(&mut tx, users, "TRUE", &[])?;
        if !full {
            let from = since.as_ref().map_or(0, |s| s.0 as i64);
            let mut ids: Vec<String> = Vec::new();
            for r in tx.query("SELECT event, data FROM ledger WHERE idx > $1 ORDER BY seq", &[&from])? {
                let (event, data): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                c.blocks += 1;
                if forces_full_pull(&event) {
                    c.full = true;
                    break;
                }
                ids.extend(touched_ids(&data));
            }
            if !c.full {
                ids.sort();
                ids.dedup();
                c.passes = rows(&mut tx, passes, "id = ANY($1)", &[&ids])?;
                c.residents = rows(&mut tx, residents, "id = ANY($1)", &[&ids])?;
            }
        }
        if c.full {
            c.passes = rows(&mut tx, passes, "TRUE", &[])?;
            c.residents = rows(&mut tx, residents, "TRUE", &[])?;
        }
        tx.commit()?;
        Ok(c)
    }

    /// The server's clock, as Unix seconds.
    pub fn server_time(&mut self) -> Result<f64> {
        self.ensure_connected()?;
        let r = self.client.query_one("SELECT extract(epoch FROM clock_timestamp())::FLOAT8", &[]);
        self.link.set(!self.client.is_closed());
        Ok(r?.try_get(0)?)
    }
}
