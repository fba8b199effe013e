//! The central ledger's offline-sync queries, on SQLite (a single gate is
//! never offline, but the interface is the same on both backends).

use rusqlite::OptionalExtension;

use super::SqliteDb;
use crate::domain::ledger::StoredBlock;
use crate::error::Result;
use crate::store::interface::SyncRows;

const COLS: &str = "idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig";

fn row(r: &rusqlite::Row) -> rusqlite::Result<StoredBlock> {
    Ok(StoredBlock {
        index: r.get::<_, i64>(0)?.max(0) as u64,
        ts: r.get(1)?,
        operator: r.get(2)?,
        gate: r.get(3)?,
        event: r.get(4)?,
        data: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
        key_id: r.get(8)?,
        signature: r.get(9)?,
    })
}

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
