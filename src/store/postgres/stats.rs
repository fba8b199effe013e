//! Aggregates for `gatehouse stats` and the Stats screen; the same figures
//! as `sqlite/stats.rs`, in PostgreSQL's dialect.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};

use super::{PgDb, get};
use crate::domain::clock::stamp;
use crate::domain::scan::Verdict;
use crate::domain::stats::{GateStats, Stats};
use crate::error::Result;
use crate::store::interface::StatsQuery;

impl StatsQuery for PgDb<'_> {
    fn stats(&self, now: DateTime<Utc>, currency: &str) -> Result<Stats> {
        let mut s = Stats { currency: currency.to_string(), ..Default::default() };
        for r in self.query(r#"SELECT pass_type, COUNT(*) FROM passes GROUP BY pass_type ORDER BY pass_type COLLATE "C""#, &[])? {
            let n = get::<i64>(&r, 1)? as u64;
            s.passes_issued += n;
            s.issued_by_type.insert(get(&r, 0)?, n);
        }
        let r = self.query_one(
            "SELECT
                COUNT(*) FILTER (WHERE voided_at IS NULL AND scanned_at IS NOT NULL),
                COUNT(*) FILTER (WHERE voided_at IS NULL AND scanned_at IS NULL),
                COUNT(*) FILTER (WHERE voided_at IS NOT NULL),
                COALESCE(SUM(persons) FILTER (WHERE voided_at IS NULL AND scanned_at IS NOT NULL), 0)::BIGINT,
                COALESCE(SUM(price_cents) FILTER (WHERE voided_at IS NULL), 0)::BIGINT
             FROM passes",
            &[],
        )?;
        s.passes_admitted = get::<i64>(&r, 0)? as u64;
        s.passes_unused = get::<i64>(&r, 1)? as u64;
        s.passes_voided = get::<i64>(&r, 2)? as u64;
        s.people_admitted = get::<i64>(&r, 3)? as u64;
        s.revenue_total_cents = get(&r, 4)?;
        s.revenue_total = s.revenue_total_cents as f64 / 100.0;
        s.revenue_by_payment =
            self.money_by("SELECT payment_mode, SUM(price_cents)::BIGINT FROM passes WHERE voided_at IS NULL GROUP BY 1 ORDER BY 1")?;
        s.revenue_by_operator =
            self.money_by("SELECT created_by, SUM(price_cents)::BIGINT FROM passes WHERE voided_at IS NULL GROUP BY 1 ORDER BY 1")?;
        let r = self.query_one(
            "SELECT COUNT(*) FILTER (WHERE status = 'IN'), COUNT(*) FILTER (WHERE status = 'OUT') FROM residents WHERE active",
            &[],
        )?;
        s.residents_in = get::<i64>(&r, 0)? as u64;
        s.residents_out = get::<i64>(&r, 1)? as u64;
        s.residents_active = s.residents_in + s.residents_out;

        // 24 hourly buckets ending with the current hour.
        let this_hour = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        let start = this_hour - Duration::hours(23);
        let mut buckets: Vec<(String, u64)> = (0..24).map(|h| (stamp(start + Duration::hours(h)), 0)).collect();
        for r in self.query("SELECT substr(at, 1, 13), COUNT(*) FROM scans WHERE at >= $1 GROUP BY 1", &[&stamp(start)])? {
            let (hour, n): (String, i64) = (get(&r, 0)?, get(&r, 1)?);
            if let Some(b) = buckets.iter_mut().find(|(h, _)| h.starts_with(&hour)) {
                b.1 += n as u64;
                s.scans_total_24h += n as u64;
            }
        }
        s.scans_per_hour = buckets;

        for r in self.query("SELECT verdict, COUNT(*) FROM scans GROUP BY verdict", &[])? {
            let v: String = get(&r, 0)?;
            if Verdict::parse(&v).is_some_and(|v| !v.admits()) {
                s.denied_by_reason.insert(v, get::<i64>(&r, 1)? as u64);
            }
        }
        for r in self.query(
            "SELECT gate, COUNT(*), COUNT(*) FILTER (WHERE verdict = 'ADMITTED'), COALESCE(SUM(persons), 0)::BIGINT FROM scans GROUP BY gate",
            &[],
        )? {
            let g = GateStats { scans: get::<i64>(&r, 1)? as u64, admitted: get::<i64>(&r, 2)? as u64, people: get::<i64>(&r, 3)? as u64 };
            s.by_gate.insert(get(&r, 0)?, g);
        }
        Ok(s)
    }
}

impl PgDb<'_> {
    /// Revenue of live passes, from a fixed two-column query.
    fn money_by(&self, sql: &'static str) -> Result<BTreeMap<String, f64>> {
        self.query(sql, &[])?.iter().map(|r| Ok((get(r, 0)?, get::<i64>(r, 1)? as f64 / 100.0))).collect()
    }
}
