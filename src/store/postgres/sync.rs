//! The central ledger's offline-sync queries (see docs/offline.md).

use postgres::Row;

use super::{PgDb, get};
use crate::domain::ledger::StoredBlock;
use crate::error::Result;
use crate::store::interface::SyncRows;

fn row(r: &Row) -> Result<StoredBlock> {
    Ok(StoredBlock {
        index: get::<i64>(r, 0)?.max(0) as u64,
        ts: get(r, 1)?,
        operator: get(r, 2)?,
        gate: get(r, 3)?,
        event: get(r, 4)?,
        data: get(r, 5)?,
        prev_hash: get(r, 6)?,
        hash: get(r, 7)?,
        key_id: get(r, 8)?,
        signature: get(r, 9)?,
    })
}

impl SyncRows for PgDb<'_> {
    fn blocks_of_events(&self, events: &[&str]) -> Result<Vec<StoredBlock>> {
        let list: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        self.query(
            "SELECT idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig FROM ledger WHERE event = ANY($1) ORDER BY seq",
            &[&list],
        )?
        .iter()
        .map(row)
        .collect()
    }

    fn last_offline_sync(&self, chain: &str) -> Result<Option<StoredBlock>> {
        let pattern = format!("%\"chain\":{}%", serde_json::Value::from(chain));
        self.query_opt(
            "SELECT idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig FROM ledger
             WHERE event = 'offline_sync' AND data LIKE $1 ORDER BY seq DESC LIMIT 1",
            &[&pattern],
        )?
        .as_ref()
        .map(row)
        .transpose()
    }
}
