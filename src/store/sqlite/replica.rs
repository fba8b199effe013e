//! A gate's replica (docs/offline.md): a gatehouse SQLite file whose
//! passes, residents and users mirror the server, whose scans and ledger
//! are this gate's outbox and local chain, and whose `replica_meta` table
//! holds the sync state.

use rusqlite::{OptionalExtension, params, params_from_iter};

use super::SqliteStore;
use crate::domain::pass::Pass;
use crate::domain::resident::Resident;
use crate::domain::scan::Verdict;
use crate::error::Result;
use crate::store::ScanRow;
use crate::store::copy::{Cell, RULES, TABLES, TableSpec, col_list};
use crate::store::sync::{Changes, OutboxItem};

fn to_sql(c: &Cell) -> rusqlite::types::Value {
    match c {
        Cell::Null => rusqlite::types::Value::Null,
        Cell::Int(i) => rusqlite::types::Value::Integer(*i),
        Cell::Text(t) => rusqlite::types::Value::Text(t.clone()),
    }
}

fn upsert(tx: &rusqlite::Transaction, spec: &TableSpec, rows: &[Vec<Cell>]) -> Result<()> {
    let marks: Vec<String> = (1..=spec.cols.len()).map(|i| format!("?{i}")).collect();
    let mut st = tx.prepare(&format!("INSERT OR REPLACE INTO {} ({}) VALUES ({})", spec.name, col_list(spec), marks.join(", ")))?;
    for row in rows {
        st.execute(params_from_iter(row.iter().map(to_sql)))?;
    }
    Ok(())
}

impl SqliteStore {
    pub fn replica_prepare(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             DROP INDEX IF EXISTS passes_holder;",
        )?;
        Ok(())
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM replica_meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Store each pair whose key is not set yet, and return what is stored
    /// under the first key: the value of whichever process got there first,
    /// when several open a fresh replica at once.
    pub fn meta_init(&mut self, pairs: &[(&str, String)]) -> Result<Option<String>> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached("INSERT OR IGNORE INTO replica_meta (key, value) VALUES (?1, ?2)")?;
            for (k, v) in pairs {
                st.execute(params![k, v])?;
            }
        }
        let first = match pairs.first() {
            Some((k, _)) => tx.query_row("SELECT value FROM replica_meta WHERE key = ?1", [k], |r| r.get(0)).optional()?,
            None => None,
        };
        tx.commit()?;
        Ok(first)
    }

    pub fn meta_set(&mut self, pairs: &[(&str, String)]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        set_all(&tx, pairs)?;
        tx.commit()?;
        Ok(())
    }

    /// Apply pulled rows, unless the outbox holds scans not yet uploaded
    /// (their effects live in these rows): checked inside the write
    /// transaction, so a scan queued meanwhile is never overwritten.
    pub fn apply(&mut self, c: &Changes, meta: &[(&str, String)]) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let head: Option<i64> = tx.query_row("SELECT MAX(idx) FROM ledger", [], |r| r.get(0))?;
        let mark: Option<i64> = tx
            .query_row("SELECT value FROM replica_meta WHERE key = 'uploaded_through'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok());
        if head.is_some() && head != mark {
            return Ok(false);
        }
        if c.full {
            tx.execute_batch("DELETE FROM passes; DELETE FROM residents; DELETE FROM users;")?;
        }
        upsert(&tx, &TABLES[0], &c.users)?;
        upsert(&tx, &TABLES[1], &c.passes)?;
        upsert(&tx, &TABLES[2], &c.residents)?;
        // The server's rules, whatever this replica held before.
        tx.execute("DELETE FROM event_rules", [])?;
        upsert(&tx, RULES, &c.rules)?;
        set_all(&tx, meta)?;
        tx.commit()?;
        Ok(true)
    }

    pub fn outbox(&self, after: Option<u64>, limit: usize) -> Result<Vec<OutboxItem>> {
        let from = after.map_or(-1, |a| a as i64);
        let mut st = self.conn.prepare_cached(
            "SELECT l.idx, l.ts, l.operator, l.gate, l.event, l.data, l.prev_hash, l.hash, l.key_id, l.sig,
                    s.at, s.operator, s.gate, s.verdict, s.subject, s.persons, s.repeated, s.reason, s.nonce
             FROM ledger l LEFT JOIN scans s ON s.block = l.idx
             WHERE l.idx > ?1 ORDER BY l.seq LIMIT ?2",
        )?;
        let rows = st.query_map(params![from, limit as i64], |r| {
            let block = super::ledger::row_to_block(r)?;
            let at: Option<String> = r.get(10)?;
            let scan = match at {
                None => None,
                Some(at) => Some(ScanRow {
                    at,
                    operator: r.get(11)?,
                    gate: r.get(12)?,
                    verdict: super::parse_col(r.get(13)?, "verdict", Verdict::parse)?,
                    subject: r.get(14)?,
                    persons: r.get(15)?,
                    repeated: r.get(16)?,
                    block: block.index,
                    reason: r.get(17)?,
                    nonce: r.get(18)?,
                }),
            };
            Ok(OutboxItem { block, scan })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn note(&mut self, pass: Option<&Pass>, resident: Option<&Resident>) -> Result<()> {
        if let Some(p) = pass {
            self.conn.execute(
                "UPDATE passes SET scanned_at = ?2, scanned_by = ?3, gate = ?4, voided_at = ?5, voided_by = ?6, void_reason = ?7,
                    inside = ?8, entered = ?9, entry_day = ?10, last_in_at = ?11, last_in_gate = ?12 WHERE id = ?1",
                params![
                    p.id,
                    p.scanned_at,
                    p.scanned_by,
                    p.gate,
                    p.voided_at,
                    p.voided_by,
                    p.void_reason,
                    p.inside,
                    p.entered,
                    p.entry_day,
                    p.last_in_at,
                    p.last_in_gate
                ],
            )?;
        }
        if let Some(r) = resident {
            self.conn.execute(
                "UPDATE residents SET status = ?2, last_scan_at = ?3, active = ?4 WHERE id = ?1",
                params![r.id, r.status.as_str(), r.last_scan_at, r.active],
            )?;
        }
        Ok(())
    }
}

fn set_all(tx: &rusqlite::Transaction, pairs: &[(&str, String)]) -> Result<()> {
    let mut st = tx.prepare_cached("INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?1, ?2)")?;
    for (k, v) in pairs {
        st.execute(params![k, v])?;
    }
    Ok(())
}
