//! One service type for every gate: `Gate::open` on a data directory
//! whose database is a SQLite file or a PostgreSQL URL, and the same calls
//! on both (sign-in, scan, a call that needs the event's database, the
//! gate's freshness, a direct connection for a CLI command).

#[macro_use]
mod common;

use std::time::Duration;

use common::*;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::Gate;

both_backends!(the_same_calls_work_on_every_gate);

fn the_same_calls_work_on_every_gate(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    with_admin(&mut g);
    let (p, code) = issue(&mut g, &single("Gita Gate", "9000000601"));
    drop(g);

    let mut gate = Gate::open(&env.paths).unwrap();
    assert_eq!(gate.has_remote(), b == Backend::Postgres);
    // A shared gate's first sync fills its replica; a local one has none to fill.
    let sync = gate.sync().unwrap();
    assert_eq!(sync.error.is_some(), b == Backend::Sqlite, "{sync:?}");
    let actor = gate.authenticate("asha", PASSWORD).unwrap();
    let out = gate.scan(code.as_bytes(), &actor, "North").unwrap();
    assert_eq!((out.outcome.verdict, out.offline), (Verdict::Admitted, false), "{out:?}");
    let again = gate.scan(code.as_bytes(), &actor, "North").unwrap();
    assert_eq!(again.outcome.verdict, Verdict::AlreadyUsed);
    let stats = gate.try_server(Duration::from_secs(30), |g| g.stats()).unwrap();
    assert_eq!((stats.passes_admitted, stats.by_gate["North"].scans), (1, 2));
    let fresh = gate.freshness().unwrap();
    assert!(fresh.online && fresh.queued == 0, "{fresh:?}");
    assert_eq!(gate.direct().unwrap().get_pass(&p.id).unwrap().gate.as_deref(), Some("North"));
    assert!(gate.conflicts().unwrap().is_empty());
}
