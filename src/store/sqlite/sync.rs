//! The central ledger's offline-sync queries, on SQLite (a single gate is
//! never offline, but the interface is the same on both backends).

use rusqlite::OptionalExtension;

use super::SqliteDb;
use super::ledger::{COLS, row_to_block as row};
use crate::domain::ledger::StoredBlock;
use crate::error::Result;
use crate::store::interface::SyncRows;

impl SyncRows for SqliteDb<'_> {
    fn blocks_of_events(&self, events: &[&str]) -> Result<Vec<StoredBlock>> {
        let list = serde_json::to_string(events).unwrap_or_else(|_| "[]".into());
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT {COLS} FROM ledger WHERE event IN (SELECT value FROM json_each(?1)) ORDER BY seq"))?;
        let rows = st.query_map([list], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn last_offline_sync(&self, chain: &str) -> Result<Option<StoredBlock>> {
        let pattern = format!("%\"chain\":{}%", serde_json::Value::from(chain));
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLS} FROM ledger WHERE event = 'offline_sync' AND data LIKE ?1 ORDER BY seq DESC LIMIT 1"))?
            .query_row([pattern], row)
            .optional()?)
    }
}
