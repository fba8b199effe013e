//! The stats facts (`store::stats` holds the queries both backends share).

use super::{PgDb, get};
use crate::domain::scan::Verdict;
use crate::domain::stats::{MoveGroup, PassGroup, PassState, ResidentGroup, ScanGroup, StatsFacts};
use crate::error::{Error, Result};
use crate::store::interface::StatsQuery;
use crate::store::stats::{INSIDE_BY_GATE, MOVES_BY_MINUTE, PASS_GROUPS, RESIDENT_GROUPS, SCAN_GROUPS, SCANS_BY_HOUR};

impl StatsQuery for PgDb<'_> {
    fn stats_facts(&self, since: &str) -> Result<StatsFacts> {
        let n = |v: i64| v.max(0) as u64;
        let mut f = StatsFacts::default();
        for r in self.query(PASS_GROUPS, &[])? {
            let state: String = get(&r, 4)?;
            f.passes.push(PassGroup {
                pass_type: get(&r, 0)?,
                slot: get(&r, 1)?,
                payment: get(&r, 2)?,
                created_by: get(&r, 3)?,
                state: PassState::parse(&state).ok_or_else(|| Error::pg(format!("stats: unknown pass state {state:?}")))?,
                gate: get(&r, 5)?,
                count: n(get(&r, 6)?),
                persons: n(get(&r, 7)?),
                price_cents: get(&r, 8)?,
                inside: n(get(&r, 9)?),
            });
        }
        for r in self.query(RESIDENT_GROUPS, &[])? {
            f.residents.push(ResidentGroup { active: get::<i64>(&r, 0)? != 0, status: get(&r, 1)?, count: n(get(&r, 2)?) });
        }
        for r in self.query(SCANS_BY_HOUR, &[&since])? {
            f.scans_by_hour.push((get(&r, 0)?, n(get(&r, 1)?)));
        }
        for r in self.query(INSIDE_BY_GATE, &[])? {
            f.inside_by_gate.push((get(&r, 0)?, n(get(&r, 1)?)));
        }
        for r in self.query(SCAN_GROUPS, &[])? {
            f.scans.push(ScanGroup { gate: get(&r, 0)?, verdict: get(&r, 1)?, count: n(get(&r, 2)?) });
        }
        for r in self.query(MOVES_BY_MINUTE, &[&Verdict::Admitted.as_str(), &Verdict::Exited.as_str()])? {
            f.moves_by_minute.push(MoveGroup { minute: get(&r, 0)?, verdict: get(&r, 1)?, count: n(get(&r, 2)?), persons: n(get(&r, 3)?) });
        }
        Ok(f)
    }
}
