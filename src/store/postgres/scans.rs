//! The scan log behind the stats: one row per scan attempt, found again by
//! its nonce when a gate retries.

use postgres::Row;

use super::{PgDb, get, get_u32, parse_col};
use crate::domain::scan::Verdict;
use crate::error::Result;
use crate::store::interface::{ScanRow, ScanRows};

macro_rules! cols {
    () => {
        "at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce"
    };
}

fn row_to_scan(r: &Row) -> Result<ScanRow> {
    Ok(ScanRow {
        at: get(r, 0)?,
        operator: get(r, 1)?,
        gate: get(r, 2)?,
        verdict: parse_col(r, 3, "verdict", Verdict::parse)?,
        subject: get(r, 4)?,
        persons: get_u32(r, 5)?,
        repeated: get(r, 6)?,
        block: get::<i64>(r, 7)?.max(0) as u64,
        reason: get(r, 8)?,
        nonce: get(r, 9)?,
    })
}

impl ScanRows for PgDb<'_> {
    fn record_scan(&self, s: &ScanRow) -> Result<()> {
        self.execute(
            "INSERT INTO scans (at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &s.at,
                &s.operator,
                &s.gate,
                &s.verdict.as_str(),
                &s.subject,
                &(s.persons as i32),
                &s.repeated,
                &(s.block as i64),
                &s.reason,
                &s.nonce,
            ],
        )?;
        Ok(())
    }

    fn recent_scans(&self, n: usize) -> Result<Vec<ScanRow>> {
        self.query(concat!("SELECT ", cols!(), " FROM scans ORDER BY id DESC LIMIT $1"), &[&(n as i64)])?.iter().map(row_to_scan).collect()
    }

    fn scan_by_nonce(&self, nonce: &str) -> Result<Option<ScanRow>> {
        self.query_opt(concat!("SELECT ", cols!(), " FROM scans WHERE nonce = $1"), &[&nonce])?.as_ref().map(row_to_scan).transpose()
    }
}
