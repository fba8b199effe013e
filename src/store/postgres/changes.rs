//! The change pull for offline-capable gates (docs/offline.md): the ledger
//! is the cursor. One repeatable-read snapshot reads the blocks after the
//! cursor, the ids they name, and those rows whole.

use super::conn::Params;
use super::copy::cells;
use super::{PgDb, PgStore, get};
use crate::domain::offline::{Refetch, refetch};
use crate::error::Result;
use crate::store::copy::{Cell, RULES, TABLES, TableSpec};
use crate::store::sync::Changes;

/// Rows of `spec` matching `filter` (SQL after WHERE), as cells.
fn rows(db: &PgDb, spec: &TableSpec, filter: &str, params: Params) -> Result<Vec<Vec<Cell>>> {
    cells(db, spec, &format!("WHERE {filter}"), params)
}

impl PgStore {
    pub fn pull_changes(&mut self, since: Option<(u64, String)>) -> Result<Changes> {
        self.snapshot(|db| pull_in_snapshot(db, since))
    }

    /// The server's clock, as Unix seconds.
    pub fn server_time(&mut self) -> Result<f64> {
        self.ensure_connected()?;
        let r = self.conn.query_one("SELECT extract(epoch FROM clock_timestamp())::FLOAT8", &[]);
        self.link.set(!self.conn.is_closed());
        get(&r?, 0)
    }
}

fn pull_in_snapshot(tx: &PgDb, since: Option<(u64, String)>) -> Result<Changes> {
    let server_time: f64 = get(&tx.query_one("SELECT extract(epoch FROM clock_timestamp())::FLOAT8", &[])?, 0)?;
    let head = match tx.query_opt("SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1", &[])? {
        Some(r) => Some((get::<i64>(&r, 0)?.max(0) as u64, get::<String>(&r, 1)?)),
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
    c.users = rows(tx, users, "TRUE", &[])?;
    c.rules = rows(tx, RULES, "TRUE", &[])?;
    if !full {
        let from = since.as_ref().map_or(0, |s| s.0 as i64);
        let mut ids: Vec<String> = Vec::new();
        for r in tx.query("SELECT event, data FROM ledger WHERE idx > $1 ORDER BY seq", &[&from])? {
            let (event, data): (String, String) = (get(&r, 0)?, get(&r, 1)?);
            c.blocks += 1;
            match refetch(&event, &data) {
                Refetch::Rows(touched) => ids.extend(touched),
                Refetch::Whole => {
                    c.full = true;
                    break;
                }
            }
        }
        if !c.full {
            ids.sort();
            ids.dedup();
            c.passes = rows(tx, passes, "id = ANY($1)", &[&ids])?;
            c.residents = rows(tx, residents, "id = ANY($1)", &[&ids])?;
        }
    }
    if c.full {
        c.passes = rows(tx, passes, "TRUE", &[])?;
        c.residents = rows(tx, residents, "TRUE", &[])?;
    }
    Ok(c)
}
