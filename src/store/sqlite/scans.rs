//! The scan log behind the stats: one row per scan attempt, found again by
//! its nonce when a gate retries.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::domain::scan::Verdict;
use crate::error::Result;
use crate::store::interface::{ScanRow, ScanRows};

const COLS: &str = "at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce";

fn row_to_scan(r: &rusqlite::Row) -> rusqlite::Result<ScanRow> {
    Ok(ScanRow {
        at: r.get(0)?,
        operator: r.get(1)?,
        gate: r.get(2)?,
        verdict: super::parse_col(r.get(3)?, "verdict", Verdict::parse)?,
        subject: r.get(4)?,
        persons: r.get(5)?,
        repeated: r.get(6)?,
        block: r.get::<_, i64>(7)? as u64,
        reason: r.get(8)?,
        nonce: r.get(9)?,
    })
}

impl ScanRows for SqliteDb<'_> {
    fn record_scan(&self, s: &ScanRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO scans (at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                s.at,
                s.operator,
                s.gate,
                s.verdict.as_str(),
                s.subject,
                s.persons,
                s.repeated,
                s.block as i64,
                s.reason,
                s.nonce
            ])?;
        Ok(())
    }

    /// The newest scans, newest first.
    fn recent_scans(&self, n: usize) -> Result<Vec<ScanRow>> {
        let mut st = self.conn.prepare_cached(&format!("SELECT {COLS} FROM scans ORDER BY id DESC LIMIT ?1"))?;
        let rows = st.query_map([n as i64], row_to_scan)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn scan_by_nonce(&self, nonce: &str) -> Result<Option<ScanRow>> {
        Ok(self.conn.prepare_cached(&format!("SELECT {COLS} FROM scans WHERE nonce = ?1"))?.query_row([nonce], row_to_scan).optional()?)
    }

    fn scan_event_at(&self, subject: &str, at: &str) -> Result<Option<String>> {
        let sql = "SELECT l.event FROM scans s JOIN ledger l ON l.idx = s.block
                   WHERE s.at = ?1 AND s.subject = ?2 ORDER BY s.id LIMIT 1";
        Ok(self.conn.prepare_cached(sql)?.query_row([at, subject], |r| r.get(0)).optional()?)
    }
}
