//! `gatehouse bench offline`: an offline-capable gate (docs/offline.md) on a
//! scratch PostgreSQL database, its link cut and restored by a relay in
//! this process. Figures: the time from the link's return to an empty
//! queue, and the replica's pull, first and incremental. Wall and CPU time
//! (this process: the gate, its replica and the relay; not the server).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use super::{admin, fill, scratch, timed};
use crate::cli::output::say;
use crate::domain::clock::SystemClock;
use crate::service::offline::Gate;
use crate::store::{DbUrl, Endpoint};

/// A relay on 127.0.0.1 that passes bytes through, or refuses: closes every
/// open connection and each new one (a link that is down).
struct Relay {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

/// The server side of a relayed connection.
enum Upstream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Upstream {
    fn connect(to: &Endpoint) -> std::io::Result<Upstream> {
        Ok(match to {
            Endpoint::Tcp(h, p) => Upstream::Tcp(TcpStream::connect((h.as_str(), *p))?),
            Endpoint::Unix(path) => Upstream::Unix(UnixStream::connect(path)?),
        })
    }

    fn split(self) -> std::io::Result<(Box<dyn Read + Send>, Box<dyn Write + Send>)> {
        Ok(match self {
            Upstream::Tcp(s) => (Box::new(s.try_clone()?), Box::new(s)),
            Upstream::Unix(s) => (Box::new(s.try_clone()?), Box::new(s)),
        })
    }
}

impl Relay {
    fn start(to: Endpoint) -> Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0").context("relay")?;
        let port = listener.local_addr()?.port();
        let (down, open) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
        let (d, o) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if d.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok((from_server, to_server)) = Upstream::connect(&to).and_then(Upstream::split) else { continue };
                let Ok(c2) = client.try_clone() else { continue };
                if let (Ok(mut list), Ok(c3)) = (o.lock(), client.try_clone()) {
                    list.push(c3);
                }
                std::thread::spawn(move || pipe(Box::new(c2), to_server));
                std::thread::spawn(move || pipe(from_server, Box::new(client)));
            }
        });
        Ok(Relay { port, down, open })
    }

    fn refuse(&self) {
        self.down.store(true, Ordering::SeqCst);
        if let Ok(mut list) = self.open.lock() {
            for s in list.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn pipe(mut from: Box<dyn Read + Send>, mut to: Box<dyn Write + Send>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) if to.write_all(&buf[..n]).is_err() => break,
            Ok(_) => {}
        }
    }
}

pub fn run(url: Option<&str>, scans: usize, passes: usize, voids: usize) -> Result<ExitCode> {
    let Some(url) = url else {
        bail!("bench offline needs a scratch PostgreSQL database: gatehouse --database postgresql://USER@HOST/DB bench offline");
    };
    let (dir, mut g) = scratch(Some(url))?;
    let central = DbUrl::parse(url)?;
    let relay = Relay::start(central.endpoint().context("the database URL names no host")?)?;
    let through = central.through("127.0.0.1", relay.port)?;
    let (cfg, keys) = (g.cfg.clone(), g.keys().clone());
    let open = |name: &str| Gate::from_parts(cfg.clone(), keys.clone(), through.clone(), &dir.0.join(name), Arc::new(SystemClock));

    // 1. The replica's first pull of every pass.
    let ids = fill(&mut g, passes.max(scans).max(1), &admin())?;
    let mut north = open("north.sqlite")?;
    let (r, first) = timed(|| north.sync())?;
    ensure!(r.full_pull && r.error.is_none(), "first pull: {r:?}");
    say!("first pull of {} passes: {:.2} s wall, {:.2} s CPU", r.passes_pulled, first.wall, first.cpu);

    // 2. The queue: `scans` passes admitted offline, then the link returns.
    let payloads: Vec<String> =
        ids.iter().take(scans.max(1)).map(|id| g.get_pass(id).map(|p| g.pass_payload(&p))).collect::<Result<_, _>>()?;
    relay.refuse();
    let actor = admin();
    let (_, queued) = timed(|| {
        for p in &payloads {
            let out = north.scan(p.as_bytes(), &actor, "North")?;
            if !out.offline || !out.outcome.verdict.admits() {
                return Err(crate::error::Error::Internal(format!(
                    "the bench expected an offline admission, got {:?}",
                    out.outcome.verdict
                )));
            }
        }
        Ok(())
    })?;
    say!(
        "{} offline scans queued: {:.2} s wall, {:.2} s CPU ({:.1} ms each)",
        payloads.len(),
        queued.wall,
        queued.cpu,
        queued.wall * 1000.0 / payloads.len() as f64
    );
    relay.restore();
    let (r, drain) = timed(|| north.sync())?;
    ensure!(r.error.is_none() && r.queued == 0 && r.uploaded as usize == payloads.len(), "drain: {r:?}");
    say!(
        "link back -> empty queue: {} scans uploaded ({} transactions) and pulled: {:.2} s wall, {:.2} s CPU",
        r.uploaded,
        r.uploaded.div_ceil(200),
        drain.wall,
        drain.cpu
    );
    say!("  (the console's sync job tries again every retry_secs, {} s, while offline)", north.cfg().offline.retry_secs);

    // 3. Incremental pulls: after `voids` voids at the desk, and after nothing.
    let n = voids.min(ids.len() - payloads.len());
    let t = Instant::now();
    for id in ids.iter().skip(payloads.len()).take(n) {
        g.void_pass(&admin(), id, "bench")?;
    }
    say!("voided {n} passes centrally in {:.1} s", t.elapsed().as_secs_f64());
    let (r, inc) = timed(|| north.sync())?;
    ensure!(!r.full_pull && r.passes_pulled as usize == n && r.error.is_none(), "incremental pull: {r:?}");
    say!("incremental pull after {n} voids ({} blocks): {:.3} s wall, {:.3} s CPU", r.blocks_read, inc.wall, inc.cpu);
    let (r, idle) = timed(|| north.sync())?;
    say!("incremental pull, nothing changed ({} blocks): {:.3} s wall, {:.3} s CPU", r.blocks_read, idle.wall, idle.cpu);
    Ok(ExitCode::SUCCESS)
}
