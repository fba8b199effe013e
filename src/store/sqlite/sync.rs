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

    fn offline_upload_of(&self, hash: &str) -> Result<Option<u64>> {
        let pattern = format!("%\"hash\":{}%", serde_json::Value::from(hash));
        let sql =
            "SELECT idx FROM ledger WHERE event IN ('offline_scan', 'offline_seen', 'offline_event') AND data LIKE ?1 ORDER BY seq LIMIT 1";
        Ok(self.conn.prepare_cached(sql)?.query_row([pattern], |r| r.get::<_, i64>(0)).optional()?.map(|i| i.max(0) as u64))
    }

    /// A write transaction here holds the whole file already.
    fn lock_for_upload(&self, _passes: &[String], _residents: &[String]) -> Result<()> {
        Ok(())
    }
}
