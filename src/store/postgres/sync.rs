//! The central ledger's offline-sync queries (see docs/offline.md).

use super::PgDb;
use super::ledger::row_to_block as row;
use crate::domain::ledger::StoredBlock;
use crate::error::Result;
use crate::store::interface::SyncRows;

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

    fn offline_upload_of(&self, hash: &str) -> Result<Option<u64>> {
        let pattern = format!("%\"hash\":{}%", serde_json::Value::from(hash));
        let row = self.query_opt(
            "SELECT idx FROM ledger WHERE event IN ('offline_scan', 'offline_seen', 'offline_event') AND data LIKE $1 ORDER BY seq LIMIT 1",
            &[&pattern],
        )?;
        row.as_ref().map(|r| super::get::<i64>(r, 0).map(|i| i.max(0) as u64)).transpose()
    }

    fn lock_for_upload(&self, passes: &[String], residents: &[String]) -> Result<()> {
        self.lock_rows_then_ledger(passes, residents)
    }
}
