//! Gates on PostgreSQL through pgbouncer in transaction pooling mode, as
//! many deployments put one in front of the server: each transaction may
//! run on a different server connection, so nothing a gate relies on may
//! live in the session (prepared statements, SET). Four gates share two
//! server connections here; every pass is admitted exactly once and the
//! ledger verifies.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::Gatehouse;
use gatehouse::store::{DbUrl, Store};

/// A pgbouncer process in front of the shared test server; killed on drop.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

/// pgbouncer in transaction mode with `pool` server connections per
/// database, on a free loopback port. It refuses to run as root, so under
/// root it runs as the postgres user, as the server does.
fn start_bouncer(pool: u32) -> Bouncer {
    assert!(Path::new(PGBOUNCER).exists(), "{PGBOUNCER} is missing (./dev setup installs Debian's pgbouncer package)");
    let server = pg::server();
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let d = dir.path();
    std::fs::write(d.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
    let ini = format!(
        "[databases]\n* = host={} port={}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         auth_type = trust\nauth_file = {users}\npool_mode = transaction\ndefault_pool_size = {pool}\nmax_client_conn = 100\n\
         logfile = {log}\npidfile = {pid}\n",
        server.dir.display(),
        server.port,
        users = d.join("users.txt").display(),
        log = d.join("pgbouncer.log").display(),
        pid = d.join("pgbouncer.pid").display(),
    );
    std::fs::write(d.join("pgbouncer.ini"), ini).unwrap();
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", PGBOUNCER]);
        c
    } else {
        Command::new(PGBOUNCER)
    };
    let child = cmd.arg(d.join("pgbouncer.ini")).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let b = Bouncer { child, port, _dir: dir };
    // Ready once it accepts connections.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let log = std::fs::read_to_string(b._dir.path().join("pgbouncer.log")).unwrap_or_default();
        assert!(Instant::now() < deadline, "pgbouncer did not start:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    b
}

#[test]
fn gates_scan_through_pgbouncer_in_transaction_mode() {
    let bouncer = start_bouncer(2);
    let env = Env::on(Backend::Postgres);
    let url = format!("postgresql://postgres@127.0.0.1:{}/{}?sslmode=disable", bouncer.port, env.pg_db());
    let url = DbUrl::parse(&url).unwrap();
    let gate = || {
        let cfg = gatehouse::config::Config::load(&env.paths.config).unwrap();
        let keys = gatehouse::keyfile::load(&env.paths.key()).unwrap();
        let mut store = Store::open_url(&url).unwrap();
        // A lock wait, which each transaction sets for itself.
        store.set_busy_timeout(Duration::from_secs(5)).unwrap();
        Gatehouse::from_parts(cfg, keys, store, env.clock.clone())
    };
    let mut g = gate();
    const PASSES: usize = 40;
    let codes: Vec<String> = (0..PASSES).map(|i| issue(&mut g, &single(&format!("Pooled {i}"), &format!("92000000{i:02}"))).1).collect();

    // Four gates, each scanning every pass (in its own order): exactly one
    // ADMITTED per pass, all the others ALREADY_USED.
    const GATES: usize = 4;
    let verdicts: Vec<Vec<Verdict>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..GATES)
            .map(|n| {
                let (codes, mut gi) = (&codes, gate());
                s.spawn(move || {
                    let mut out = vec![Verdict::Malformed; PASSES];
                    for k in 0..PASSES {
                        let i = (k + n * 7) % PASSES;
                        let o = gi.scan(codes[i].as_bytes(), &operator(), &format!("Gate {n}")).unwrap();
                        out[i] = o.verdict;
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for i in 0..PASSES {
        let admitted = verdicts.iter().filter(|v| v[i] == Verdict::Admitted).count();
        assert_eq!(admitted, 1, "pass {i}: {:?}", verdicts.iter().map(|v| v[i]).collect::<Vec<_>>());
        assert!(verdicts.iter().all(|v| matches!(v[i], Verdict::Admitted | Verdict::AlreadyUsed)));
    }
    // Reads (a snapshot each) through the pooler too.
    let (scans, blocks) = g.store().read(|db| Ok((db.recent_scans(1000)?.len(), db.ledger_count()?))).unwrap();
    assert_eq!((scans, blocks as usize), (PASSES * GATES, PASSES + PASSES * GATES));
    let r = g.verify_ledger(None, &mut |_| {}).unwrap();
    assert!(r.ok, "{r:?}");
}

#[test]
fn a_fresh_database_is_set_up_through_pgbouncer() {
    let bouncer = start_bouncer(1);
    let db = pg::db_name(&pg::fresh_db());
    let url = DbUrl::parse(&format!("postgresql://postgres@127.0.0.1:{}/{db}?sslmode=disable", bouncer.port)).unwrap();
    // The migrations run in one transaction; a second open finds them done.
    let mut first = Store::open_url(&url).unwrap();
    let mut second = Store::open_url(&url).unwrap();
    assert_eq!(first.schema_version().unwrap(), second.schema_version().unwrap());
}
