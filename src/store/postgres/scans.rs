//! The scan log behind the stats: one row per scan attempt, found again by
//! its nonce when a gate retries.

use postgres::Row;

use super::passes::row_to_pass_at;
use super::{PgDb, get, get_u32, parse_col};
use crate::domain::scan::Verdict;
use crate::error::Result;
use crate::store::interface::{ScanRow, ScanRows};

macro_rules! cols {
    () => {
        "at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce"
    };
}

pub(super) fn row_to_scan(r: &Row) -> Result<ScanRow> {
    row_to_scan_at(r, 0)
}

/// The columns from `o` on, in `cols!` order.
pub(super) fn row_to_scan_at(r: &Row, o: usize) -> Result<ScanRow> {
    Ok(ScanRow {
        at: get(r, o)?,
        operator: get(r, o + 1)?,
        gate: get(r, o + 2)?,
        verdict: parse_col(r, o + 3, "verdict", Verdict::parse)?,
        subject: get(r, o + 4)?,
        persons: get_u32(r, o + 5)?,
        repeated: get(r, o + 6)?,
        block: get::<i64>(r, o + 7)?.max(0) as u64,
        reason: get(r, o + 8)?,
        nonce: get(r, o + 9)?,
    })
}

impl PgDb<'_> {
    /// `Db::scan_lookup` in one function call: one row, the scan's columns
    /// then the pass's (each in its `cols!` order), NULL where there is none.
    /// It runs before BEGIN (see `PgStore::write`): the claim that follows
    /// rechecks the pass, and the unique nonce refuses a second scan row.
    pub(super) fn scan_and_pass(&self, nonce: &str, pass_id: Option<&str>) -> Result<crate::store::ScanLookup> {
        let r = self.query_one_early(super::functions::LOOKUP, &[&nonce, &pass_id])?;
        let first = match get::<Option<String>>(&r, 0)? {
            Some(_) => Some(row_to_scan_at(&r, 0)?),
            None => None,
        };
        let pass = match get::<Option<String>>(&r, 10)? {
            Some(_) => Some(row_to_pass_at(&r, 10)?),
            None => None,
        };
        Ok(crate::store::ScanLookup { first, pass, rules_digest: get(&r, 36)? })
    }
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

    fn scan_event_at(&self, subject: &str, at: &str) -> Result<Option<String>> {
        let sql = "SELECT l.event FROM scans s JOIN ledger l ON l.idx = s.block
                   WHERE s.at = $1 AND s.subject = $2 ORDER BY s.id LIMIT 1";
        self.query_opt(sql, &[&at, &subject])?.as_ref().map(|r| get(r, 0)).transpose()
    }
}
