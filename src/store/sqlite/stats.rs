//! Aggregates for `gatehouse stats` and the Stats screen.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};

use super::SqliteDb;
use crate::domain::clock::stamp;
use crate::domain::scan::Verdict;
use crate::domain::stats::{GateStats, SlotStats, Stats};
use crate::error::Result;
use crate::store::interface::StatsQuery;

impl StatsQuery for SqliteDb<'_> {
    fn stats(&self, now: DateTime<Utc>, currency: &str) -> Result<Stats> {
        let c = self.conn;
        let mut s = Stats { currency: currency.to_string(), ..Default::default() };
        {
            let mut st = c.prepare("SELECT pass_type, COUNT(*) FROM passes GROUP BY pass_type ORDER BY pass_type")?;
            for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (t, n) = row?;
                s.passes_issued += n as u64;
                s.issued_by_type.insert(t, n as u64);
            }
        }
        let (admitted, unused, voided, people, revenue): (i64, i64, i64, i64, i64) = c.query_row(
            "SELECT
                COALESCE(SUM(voided_at IS NULL AND scanned_at IS NOT NULL), 0),
                COALESCE(SUM(voided_at IS NULL AND scanned_at IS NULL), 0),
                COALESCE(SUM(voided_at IS NOT NULL), 0),
                COALESCE(SUM(CASE WHEN voided_at IS NULL AND scanned_at IS NOT NULL THEN persons ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN voided_at IS NULL THEN price_cents ELSE 0 END), 0)
             FROM passes",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        s.passes_admitted = admitted as u64;
        s.passes_unused = unused as u64;
        s.passes_voided = voided as u64;
        s.people_admitted = people as u64;
        s.revenue_total_cents = revenue;
        s.revenue_total = revenue as f64 / 100.0;
        s.revenue_by_payment = money_by(c, "payment_mode")?;
        s.revenue_by_operator = money_by(c, "created_by")?;
        let (r_in, r_out): (i64, i64) = c.query_row(
            "SELECT COALESCE(SUM(status = 'IN'), 0), COALESCE(SUM(status = 'OUT'), 0) FROM residents WHERE active = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        s.residents_in = r_in as u64;
        s.residents_out = r_out as u64;
        s.residents_active = (r_in + r_out) as u64;

        // 24 hourly buckets ending with the current hour.
        let this_hour = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        let start = this_hour - Duration::hours(23);
        let mut buckets: Vec<(String, u64)> = (0..24).map(|h| (stamp(start + Duration::hours(h)), 0)).collect();
        let mut st = c.prepare("SELECT substr(at, 1, 13), COUNT(*) FROM scans WHERE at >= ?1 GROUP BY 1")?;
        for row in st.query_map([stamp(start)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (hour, n) = row?;
            if let Some(b) = buckets.iter_mut().find(|(h, _)| h.starts_with(&hour)) {
                b.1 += n as u64;
                s.scans_total_24h += n as u64;
            }
        }
        s.scans_per_hour = buckets;

        let mut st = c.prepare(
            "SELECT slot, COUNT(*),
                COALESCE(SUM(voided_at IS NULL AND scanned_at IS NOT NULL), 0),
                COALESCE(SUM(CASE WHEN voided_at IS NULL AND scanned_at IS NOT NULL THEN persons ELSE 0 END), 0)
             FROM passes GROUP BY slot ORDER BY slot",
        )?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))? {
            let (slot, issued, admitted, people) = row?;
            s.by_slot.insert(slot, SlotStats { issued: issued as u64, admitted: admitted as u64, people: people as u64 });
        }

        let mut st = c.prepare("SELECT verdict, COUNT(*) FROM scans GROUP BY verdict")?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (v, n) = row?;
            if Verdict::parse(&v).is_some_and(|v| !v.admits()) {
                s.denied_by_reason.insert(v, n as u64);
            }
        }
        let mut st =
            c.prepare("SELECT gate, COUNT(*), COALESCE(SUM(verdict = 'ADMITTED'), 0), COALESCE(SUM(persons), 0) FROM scans GROUP BY gate")?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))? {
            let (gate, scans, admitted, people) = row?;
            s.by_gate.insert(gate, GateStats { scans: scans as u64, admitted: admitted as u64, people: people as u64 });
        }
        Ok(s)
    }
}

/// Revenue of live (not voided) passes grouped by a fixed column name.
fn money_by(c: &rusqlite::Connection, col: &str) -> Result<BTreeMap<String, f64>> {
    let mut st = c.prepare(&format!("SELECT {col}, SUM(price_cents) FROM passes WHERE voided_at IS NULL GROUP BY {col} ORDER BY {col}"))?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as f64 / 100.0)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
