//! The stats facts (`store::stats` holds the queries both backends share).

use super::SqliteDb;
use crate::domain::scan::Verdict;
use crate::domain::stats::{MoveGroup, PassGroup, PassState, ResidentGroup, ScanGroup, StatsFacts};
use crate::error::{Error, Result};
use crate::store::interface::StatsQuery;
use crate::store::stats::{INSIDE_BY_GATE, MOVES_BY_MINUTE, PASS_GROUPS, RESIDENT_GROUPS, SCAN_GROUPS, SCANS_BY_HOUR};

impl StatsQuery for SqliteDb<'_> {
    fn stats_facts(&self, since: &str) -> Result<StatsFacts> {
        let c = self.conn;
        let n = |v: i64| v.max(0) as u64;
        let mut f = StatsFacts::default();
        let mut st = c.prepare_cached(PASS_GROUPS)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(4)?;
            f.passes.push(PassGroup {
                pass_type: r.get(0)?,
                slot: r.get(1)?,
                payment: r.get(2)?,
                created_by: r.get(3)?,
                state: PassState::parse(&state).ok_or_else(|| Error::Corrupt(format!("stats: unknown pass state {state:?}")))?,
                gate: r.get(5)?,
                count: n(r.get(6)?),
                persons: n(r.get(7)?),
                price_cents: r.get(8)?,
                inside: n(r.get(9)?),
            });
        }
        let mut st = c.prepare_cached(RESIDENT_GROUPS)?;
        let rows = st.query_map([], |r| Ok(ResidentGroup { active: r.get::<_, i64>(0)? != 0, status: r.get(1)?, count: n(r.get(2)?) }))?;
        f.residents = rows.collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(SCANS_BY_HOUR)?;
        let rows = st.query_map([since], |r| Ok((r.get(0)?, n(r.get(1)?))))?;
        f.scans_by_hour = rows.collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(INSIDE_BY_GATE)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, n(r.get(1)?))))?;
        f.inside_by_gate = rows.collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(SCAN_GROUPS)?;
        let rows = st.query_map([], |r| Ok(ScanGroup { gate: r.get(0)?, verdict: r.get(1)?, count: n(r.get(2)?) }))?;
        f.scans = rows.collect::<rusqlite::Result<_>>()?;
        let mut st = c.prepare_cached(MOVES_BY_MINUTE)?;
        let rows = st.query_map([Verdict::Admitted.as_str(), Verdict::Exited.as_str()], |r| {
            Ok(MoveGroup { minute: r.get(0)?, verdict: r.get(1)?, count: n(r.get(2)?), persons: n(r.get(3)?) })
        })?;
        f.moves_by_minute = rows.collect::<rusqlite::Result<_>>()?;
        Ok(f)
    }
}
