//! The console on a gate with a server (docs/offline.md): a sync job,
//! due every second while online and every `retry_secs` while not, runs on
//! the worker like any other effect. It uploads queued scans, keeps the
//! replica fresh, and answers with what the header shows: ONLINE/OFFLINE,
//! the replica's age, the queue and open conflicts. The job's own server
//! calls wait at most the budget, so a dead link never stalls a scan for
//! longer than a scan's own attempt would.

use std::time::{Duration, Instant};

use crate::domain::offline::Conflict;
use crate::service::offline::{Freshness, Gate};

/// How often the replica is pulled while online.
pub const PULL_EVERY: Duration = Duration::from_secs(1);
/// How often the conflicts are read.
const CONFLICTS_EVERY: Duration = Duration::from_secs(5);

/// What the header shows, as the last sync found it.
#[derive(Debug, Clone)]
pub struct SyncView {
    pub fresh: Freshness,
    /// Conflicts no one has acknowledged yet (`gatehouse conflicts`).
    pub open_conflicts: usize,
    /// Those conflicts, oldest first: every gate's console shows them
    /// until someone acknowledges each.
    pub conflicts: Vec<Conflict>,
    /// The last attempt reached the server.
    pub answered: bool,
}

/// What the sync job keeps between runs (the worker holds it).
#[derive(Debug, Default)]
pub struct SyncMemory {
    last_conflicts: Option<Instant>,
    open: Vec<Conflict>,
}

/// One sync: push, pull, and the conflicts when they are due (at once
/// when this gate's upload found one, else every few seconds, for other
/// gates' conflicts and acknowledgements).
pub fn sync_once(gate: &mut Gate, mem: &mut SyncMemory, conflicts_now: bool) -> SyncView {
    let mut found = false;
    match gate.sync() {
        Ok(r) if r.error.is_some() => tracing::info!(error = ?r.error, "sync incomplete"),
        Ok(r) => found = r.conflicts > 0,
        Err(e) => tracing::warn!(%e, "sync failed"),
    }
    let due = conflicts_now || found || mem.last_conflicts.is_none_or(|t| t.elapsed() >= CONFLICTS_EVERY);
    if gate.is_online()
        && due
        && let Ok(list) = gate.conflicts()
    {
        mem.open = list.into_iter().filter(|c| !c.acknowledged).collect();
        mem.last_conflicts = Some(Instant::now());
    }
    let fresh = gate.freshness().unwrap_or_else(|e| {
        tracing::warn!(%e, "cannot read the replica's state");
        Freshness {
            online: gate.is_online(),
            replica_age_secs: None,
            queued: 0,
            clock_skew_secs: None,
            clock_skew_warning: false,
            stale: true,
        }
    });
    SyncView { fresh, open_conflicts: mem.open.len(), conflicts: mem.open.clone(), answered: gate.is_online() }
}

/// The header's words for a view: `ONLINE 2s q0`, `OFFLINE 75s STALE q3 !1 CONFLICT`.
pub fn header_text(v: &SyncView) -> String {
    let f = &v.fresh;
    let age = f.replica_age_secs.map_or("never synced".to_string(), |a| format!("{a:.0}s"));
    let mut s = format!("{} {age}{} q{}", if f.online { "ONLINE" } else { "OFFLINE" }, if f.stale { " STALE" } else { "" }, f.queued);
    if f.clock_skew_warning {
        s.push_str(" CLOCK?");
    }
    if v.open_conflicts > 0 {
        s.push_str(&format!(" !{} CONFLICT{}", v.open_conflicts, if v.open_conflicts == 1 { "" } else { "S" }));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(online: bool, age: Option<f64>, queued: u64, conflicts: usize) -> SyncView {
        let fresh = Freshness {
            online,
            replica_age_secs: age,
            queued,
            clock_skew_secs: Some(0.2),
            clock_skew_warning: false,
            stale: age.is_none_or(|a| a > 60.0),
        };
        SyncView { fresh, open_conflicts: conflicts, conflicts: Vec::new(), answered: true }
    }

    #[test]
    fn the_header_says_where_the_gate_stands() {
        assert_eq!(header_text(&view(true, Some(1.2), 0, 0)), "ONLINE 1s q0");
        assert_eq!(header_text(&view(false, Some(75.0), 3, 1)), "OFFLINE 75s STALE q3 !1 CONFLICT");
        assert_eq!(header_text(&view(false, None, 0, 2)), "OFFLINE never synced STALE q0 !2 CONFLICTS");
    }
}
