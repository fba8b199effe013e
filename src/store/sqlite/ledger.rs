//! Ledger blocks: append inside the caller's transaction, read back for
//! `ledger show`, and stream every block for verification.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{self, StoredBlock};
use crate::error::Result;
use crate::store::interface::{LedgerRow, LedgerRows, NewBlock};

pub(super) const COLS: &str = "idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig";

pub(super) fn row_to_block(r: &rusqlite::Row) -> rusqlite::Result<StoredBlock> {
    Ok(StoredBlock {
        index: r.get::<_, i64>(0)? as u64,
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

/// The row's text borrowed from SQLite: no copy per block while verifying.
pub(super) fn row_to_ref<'r>(r: &'r rusqlite::Row) -> rusqlite::Result<ledger::BlockRef<'r>> {
    let text = |i: usize| -> rusqlite::Result<&'r str> {
        r.get_ref(i)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    };
    Ok(ledger::BlockRef {
        index: r.get::<_, i64>(0)? as u64,
        ts: text(1)?,
        operator: text(2)?,
        gate: text(3)?,
        event: text(4)?,
        data: text(5)?,
        prev_hash: text(6)?,
        hash: text(7)?,
        key_id: text(8)?,
        signature: text(9)?,
    })
}

impl LedgerRows for SqliteDb<'_> {
    /// Append a block linked to the current head. Call inside `write`.
    fn append_block(&self, keys: &KeyRing, b: &NewBlock) -> Result<u64> {
        let head: Option<(i64, String)> =
            self.conn.query_row("SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let k = b.seal(keys, head.as_ref().map(|(i, h)| ((*i).max(0) as u64, h.as_str())))?;
        self.conn
            .prepare_cached(
                "INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![k.index as i64, b.ts, b.operator, b.gate, b.event, k.data, k.prev_hash, k.hash, k.key_id, k.signature])?;
        Ok(k.index)
    }

    /// The last block's index and hash, as stored.
    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn
            .query_row("SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?)
    }

    /// Blocks in storage order from index `from`, at most `limit`.
    fn ledger_blocks(&self, from: u64, limit: usize) -> Result<Vec<StoredBlock>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM ledger WHERE idx >= ?1 ORDER BY seq LIMIT ?2"))?;
        let rows = st.query_map(params![from as i64, limit as i64], row_to_block)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest `n` blocks, newest first.
    fn ledger_recent(&self, n: usize) -> Result<Vec<StoredBlock>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM ledger ORDER BY seq DESC LIMIT ?1"))?;
        let rows = st.query_map([n as i64], row_to_block)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn walk_ledger(&self, visit: &mut dyn FnMut(LedgerRow<'_>, &mut dyn FnMut(u64) -> bool) -> bool) -> Result<()> {
        let mut exists_st = self.conn.prepare("SELECT 1 FROM ledger WHERE idx = ?1 LIMIT 1")?;
        let mut exists = |i: u64| exists_st.exists([i as i64]).unwrap_or(false);
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM ledger ORDER BY seq"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let row = match row_to_ref(r) {
                Ok(b) => LedgerRow::Block(b),
                Err(e) => LedgerRow::Unreadable { index: r.get::<_, i64>(0).unwrap_or(0).max(0) as u64, what: e.to_string() },
            };
            if !visit(row, &mut exists) {
                break;
            }
        }
        Ok(())
    }

    fn ledger_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get::<_, i64>(0))? as u64)
    }
}
