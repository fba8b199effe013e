//! The console on an offline-capable PostgreSQL gate (docs/offline.md): a
//! sync thread of its own keeps the replica fresh (every second while
//! online, every `retry_secs` while not), uploads queued scans, and shares
//! what the header shows: ONLINE/OFFLINE, the replica's age, the queue and
//! open conflicts. It never holds up the worker, so a dead link never
//! stalls a scan beyond its budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Paths;
use crate::domain::offline::Conflict;
use crate::service::offline::{Freshness, Gate};

/// How often the replica is pulled while online.
const PULL_EVERY: Duration = Duration::from_secs(1);
/// How often the conflicts are read.
const CONFLICTS_EVERY: Duration = Duration::from_secs(5);

/// What the header shows, refreshed by the sync thread.
#[derive(Debug, Clone)]
pub struct SyncView {
    pub fresh: Freshness,
    /// Conflicts no one has acknowledged yet (`gatehouse conflicts`).
    pub open_conflicts: usize,
    /// Those conflicts, oldest first: every gate's console shows them
    /// until someone acknowledges each.
    pub conflicts: Vec<Conflict>,
    /// The sync thread's last attempt reached the server (false before its first).
    pub answered: bool,
}

/// Shared between the sync thread and the screen.
#[derive(Debug, Clone, Default)]
pub struct SyncShare(Arc<Mutex<Option<SyncView>>>);

impl SyncShare {
    pub fn get(&self) -> Option<SyncView> {
        self.0.lock().ok().and_then(|v| v.clone())
    }

    pub fn set(&self, v: SyncView) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(v);
        }
    }
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

/// Start the sync thread for the gate in `paths`; it stops with `stop`.
pub fn spawn_sync(paths: Paths, share: SyncShare, stop: Arc<AtomicBool>) -> Option<JoinHandle<()>> {
    let mut gate = match Gate::open(&paths) {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(%e, "no offline replica for the console");
            return None;
        }
    };
    let retry = Duration::from_secs_f64(gate.local().cfg.offline.retry_secs);
    std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || {
            let mut last_conflicts: Option<Instant> = None;
            let mut open: Vec<Conflict> = Vec::new();
            let mut answered = false;
            let mut next = Instant::now();
            // What is known before the first sync answers (or times out).
            if let Ok(fresh) = gate.freshness() {
                share.set(SyncView { fresh, open_conflicts: 0, conflicts: Vec::new(), answered: false });
            }
            while !stop.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    let mut found = false;
                    match gate.sync() {
                        Ok(r) if r.error.is_some() => tracing::info!(error = ?r.error, "sync incomplete"),
                        Ok(r) => found = r.conflicts > 0,
                        Err(e) => tracing::warn!(%e, "sync failed"),
                    }
                    // Read at once when this gate's upload found a conflict,
                    // else every few seconds (other gates' conflicts and acknowledgements).
                    if gate.is_online()
                        && (found || last_conflicts.is_none_or(|t| t.elapsed() >= CONFLICTS_EVERY))
                        && let Ok(list) = gate.conflicts()
                    {
                        open = list.into_iter().filter(|c| !c.acknowledged).collect();
                        last_conflicts = Some(Instant::now());
                    }
                    answered = gate.is_online();
                    next = Instant::now() + if gate.is_online() { PULL_EVERY } else { retry };
                }
                if let Ok(fresh) = gate.freshness() {
                    share.set(SyncView { fresh, open_conflicts: open.len(), conflicts: open.clone(), answered });
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
        .ok()
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
