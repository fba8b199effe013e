//! `gatehouse bench`: the scan transaction and ledger verification measured
//! on a scratch database in a temporary folder, with the real store.

mod offline;
mod sigs;
pub(super) mod verdict;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::args::BenchCmd;
use super::output::{say, say_err};
use crate::config::Config;
use crate::domain::clock::SystemClock;
use crate::domain::keys::KeyRing;
use crate::domain::pass::{self, PassRequest};
use crate::domain::user::{Actor, Role};
use crate::service::Gatehouse;
use crate::store::{DbUrl, Store};

struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How long something took, in seconds: wall time; CPU time of the whole
/// process; of this thread alone; and of the other threads it handed work to.
#[derive(Debug, Clone, Copy)]
struct Took {
    wall: f64,
    cpu: f64,
    here: f64,
    others: f64,
}

impl Took {
    /// Per-field minimum: each figure's least disturbed run.
    fn min(self, o: Took) -> Took {
        Took { wall: self.wall.min(o.wall), cpu: self.cpu.min(o.cpu), here: self.here.min(o.here), others: self.others.min(o.others) }
    }
}

/// What `f` returns, with the time it took. CPU time does not grow when
/// other programs share the cores, so it is the figure to compare across runs.
fn timed<T>(f: impl FnOnce() -> crate::error::Result<T>) -> Result<(T, Took)> {
    let (t, c, h) = (Instant::now(), crate::decode::clock::process_cpu(), crate::decode::clock::thread_cpu());
    let v = f()?;
    let (cpu, here) = ((crate::decode::clock::process_cpu() - c).as_secs_f64(), (crate::decode::clock::thread_cpu() - h).as_secs_f64());
    Ok((v, Took { wall: t.elapsed().as_secs_f64(), cpu, here, others: (cpu - here).max(0.0) }))
}

/// `timed` run `n` times (at least once): the last result, with the least
/// time seen for each figure. The fastest run is the one least disturbed by
/// whatever else the machine was doing.
fn fastest<T>(n: usize, mut f: impl FnMut() -> crate::error::Result<T>) -> Result<(T, Took)> {
    let (mut v, mut best) = timed(&mut f)?;
    for _ in 1..n {
        let (next, t) = timed(&mut f)?;
        (v, best) = (next, best.min(t));
    }
    Ok((v, best))
}

/// A scratch SQLite file, or the (empty) PostgreSQL database `url` names.
fn scratch(url: Option<&str>) -> Result<(Scratch, Gatehouse)> {
    let dir = std::env::temp_dir().join(format!("gatehouse-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let store = open(&dir, url)?;
    let keys = KeyRing::new(&[("01".into(), KeyRing::generate_key()?)]).context("key ring")?;
    let mut g = Gatehouse::from_parts(Config::default(), keys, store, Arc::new(SystemClock));
    if url.is_some() && g.ledger_count()? > 0 {
        anyhow::bail!("bench writes thousands of passes: give it an empty scratch database, not an event's");
    }
    Ok((Scratch(dir), g))
}

/// `bench verify --keep DIR`: the ledger built there by an earlier run (its
/// file and key), or a new one to build and leave there. Building a million
/// blocks takes minutes; timing the verification again should not.
fn kept(dir: &std::path::Path, device_key: bool) -> Result<(Option<Scratch>, Gatehouse, bool)> {
    let (db, key) = (dir.join("bench.db"), dir.join("bench.key"));
    // The device key the blocks were signed with is kept beside them.
    let device = dir.join("bench.device.key");
    anyhow::ensure!(
        !db.exists() || device.exists() == device_key,
        "{} was built {} --device-key; time it the same way",
        dir.display(),
        if device.exists() { "with" } else { "without" }
    );
    let built = db.exists() && key.exists();
    let store = if built {
        Store::open(&db)?
    } else {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::keyfile::create(&key)?;
        Store::create(&db)?
    };
    let mut keys = crate::keyfile::load(&key)?;
    if device_key {
        let d = if device.exists() { crate::devicefile::load(&device)? } else { crate::devicefile::create(&device)? };
        keys = keys.with_device(d);
    }
    Ok((None, Gatehouse::from_parts(Config::default(), keys, store, Arc::new(SystemClock)), built))
}

/// Another connection to the scratch database, as a second gate has.
fn open(dir: &std::path::Path, url: Option<&str>) -> Result<Store> {
    Ok(match url {
        Some(u) => Store::open_url(&DbUrl::parse(u)?)?,
        None => Store::create(&dir.join("bench.db"))?,
    })
}

fn admin() -> Actor {
    Actor { username: "bench".into(), display_name: "Bench".into(), role: Role::Admin, issuer: None }
}

/// An admin whose session holds a new Ed25519 issuing key (`bench scan --ed25519`).
fn issuing_admin(g: &mut Gatehouse) -> Result<Actor> {
    const PW: &str = "bench password";
    g.add_user(None, "bench", "Bench", Role::Admin, PW)?;
    Ok(g.new_issuing_key("bench", PW)?.0)
}

/// Issue `n` passes in batches, each batch one transaction.
fn fill(g: &mut Gatehouse, n: usize, actor: &Actor) -> Result<Vec<String>> {
    let rules = g.pass_rules()?;
    let mut ids = Vec::with_capacity(n);
    let (t, c) = (Instant::now(), crate::decode::clock::process_cpu());
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|i| {
                let req = PassRequest {
                    pass_type: "SINGLE".into(),
                    name: format!("Guest {i}"),
                    phone: format!("9{:09}", i),
                    payment: "CASH".into(),
                    ..Default::default()
                };
                pass::validate(&req, &rules)
            })
            .collect::<Result<_, _>>()?;
        ids.extend(g.insert_passes(actor, &batch, false)?.into_iter().map(|p| p.id));
    }
    say_err!(
        "filled {n} passes in {:.1} s wall, {:.1} s CPU (gatehouse; issued in batches of 5,000, a signed ledger block each)",
        t.elapsed().as_secs_f64(),
        (crate::decode::clock::process_cpu() - c).as_secs_f64()
    );
    Ok(ids)
}

/// A CSV like one a ticket shop exports: singles and couples, cash and
/// online, quoted names with commas.
fn write_import_csv(path: &std::path::Path, rows: usize) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(crate::service::IMPORT_COLUMNS)?;
    for i in 0..rows {
        let phone = format!("9{:09}", i);
        if i % 3 == 0 {
            let (p2, txn) = (format!("8{:09}", i), format!("UPI-{i:08}"));
            w.write_record(["COUPLE", &format!("Rao, Asha {i}"), &phone, &format!("Ravi {i}"), &p2, "ONLINE", &txn, "", ""])?;
        } else {
            w.write_record(["single", &format!("Guest {i}"), &phone, "", "", "cash", "", "", ""])?;
        }
    }
    w.flush()?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A process's CPU time from /proc, if it runs here: the scheduler's own
/// count (schedstat, in ns), which unlike the tick-sampled utime does not
/// miss a process that runs in many short bursts.
fn pid_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// The 1-minute load average, for the record of what else ran.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// What one run of `scan_gates` measured.
struct GateRun {
    /// Each scan's milliseconds.
    ms: Vec<f64>,
    wall: f64,
    /// This process's CPU seconds over the run.
    cpu: f64,
    /// The server processes' CPU seconds, when they run on this machine.
    server_cpu: Option<f64>,
    load: (Option<f64>, Option<f64>),
}

/// `gates` threads, each with its own connection like a gate laptop, scan
/// their share of `payloads` at once: first every pass admits, then a second
/// round reads ALREADY_USED. With `rate` (scans a second, all gates
/// together) each gate scans on a fixed beat, staggered against the others,
/// as people arrive; a scan's time then runs from when it was due, not from
/// when it started, so a backlog shows in the figures instead of hiding.
/// Without it every gate scans back to back.
fn scan_gates(
    g: &mut Gatehouse,
    dir: &std::path::Path,
    url: Option<&str>,
    sync: &str,
    payloads: &[String],
    gates: usize,
    rate: Option<f64>,
) -> Result<GateRun> {
    let per = payloads.len().div_ceil(gates);
    let mut conns = Vec::with_capacity(gates);
    let mut pids = Vec::new();
    for _ in 0..gates {
        let mut store = open(dir, url)?;
        store.set_synchronous(sync)?;
        pids.extend(store.backend_pid()?);
        conns.push(Gatehouse::from_parts(g.cfg.clone(), g.keys().clone(), store, Arc::new(SystemClock)));
    }
    let server_cpu = || pids.iter().map(|p| pid_cpu(*p)).sum::<Option<f64>>().filter(|_| !pids.is_empty());
    let (load0, server0, cpu0) = (load_average(), server_cpu(), crate::decode::clock::process_cpu());
    let t = Instant::now();
    let results: Vec<Result<Vec<f64>>> = std::thread::scope(|s| {
        // Borrowed, not moved: the connections (and their server
        // processes, whose CPU time is read below) outlive the threads.
        let handles: Vec<_> = conns
            .iter_mut()
            .zip(payloads.chunks(per.max(1)))
            .enumerate()
            .map(|(i, (gi, mine))| {
                s.spawn(move || -> Result<Vec<f64>> {
                    let (actor, gate) = (admin(), format!("Bench {i}"));
                    let mut ms = Vec::with_capacity(mine.len() * 2);
                    let beat = rate.map(|r| (t + Duration::from_secs_f64(i as f64 / r), Duration::from_secs_f64(gates as f64 / r)));
                    let mut k = 0u32;
                    for round in 0..2 {
                        for p in mine {
                            let t = match beat {
                                Some((first, every)) => {
                                    let due = first + every * k;
                                    k += 1;
                                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                                    due
                                }
                                None => Instant::now(),
                            };
                            let out = gi.scan(p.as_bytes(), &actor, &gate)?;
                            ms.push(t.elapsed().as_secs_f64() * 1000.0);
                            anyhow::ensure!(out.verdict.admits() == (round == 0), "unexpected verdict {}", out.verdict);
                        }
                    }
                    Ok(ms)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a bench gate panicked")))).collect()
    });
    let wall = t.elapsed().as_secs_f64();
    let cpu = (crate::decode::clock::process_cpu() - cpu0).as_secs_f64();
    let server_cpu = server0.zip(server_cpu()).map(|(a, b)| b - a);
    let mut ms = Vec::new();
    for r in results {
        ms.extend(r?);
    }
    Ok(GateRun { ms, wall, cpu, server_cpu, load: (load0, load_average()) })
}

pub fn run(cmd: &BenchCmd, url: Option<&str>) -> Result<ExitCode> {
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    match *cmd {
        BenchCmd::Scan { passes, scans, ref sync, gates, rate, ed25519, device_key } => {
            let rate = rate.filter(|r| *r > 0.0);
            anyhow::ensure!(rate.is_none_or(f64::is_finite), "--rate must be a number of scans a second");
            let (dir, mut g) = scratch(url)?;
            g.store().set_synchronous(sync)?;
            let actor = if ed25519 { issuing_admin(&mut g)? } else { admin() };
            let ids = fill(&mut g, passes.max(1), &actor)?;
            g.store().settle()?;
            let step = (ids.len() / scans.max(1)).max(1);
            let payloads: Vec<String> =
                ids.iter().step_by(step).take(scans).map(|id| g.get_pass(id).map(|p| g.pass_payload(&p))).collect::<Result<_, _>>()?;
            if device_key {
                g.sign_blocks_with(crate::domain::device::DeviceKey::generate()?);
            }
            let mut run = scan_gates(&mut g, &dir.0, url, sync, &payloads, gates.max(1), rate)?;
            let ms = &mut run.ms;
            ms.sort_by(f64::total_cmp);
            let n = ms.len().max(1) as f64;
            say!("durability: {}", g.store().durability()?);
            let offered = rate.map_or("back to back".into(), |r| format!("offered {r:.0} scans/s, timed from when due"));
            say!(
                "scan ({}, synchronous={sync}, {} gates, {offered}): {} scans over {} passes: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {:.0} scans/s",
                g.store().backend_name(),
                gates.max(1),
                ms.len(),
                passes,
                percentile(ms, 0.5),
                percentile(ms, 0.99),
                ms.last().copied().unwrap_or(0.0),
                ms.len() as f64 / run.wall
            );
            let server = run.server_cpu.map(|s| format!(", server processes {:.3} ms", s * 1e3 / n)).unwrap_or_default();
            let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
            say!(
                "CPU per scan: gatehouse {:.3} ms{server}; load average {} at start, {} at end",
                run.cpu * 1e3 / n,
                load(run.load.0),
                load(run.load.1)
            );
        }
        BenchCmd::Verify { blocks, repeat, ref keep, device_key } => {
            let (_dir, mut g, built) = match keep {
                Some(dir) if url.is_none() => kept(dir, device_key)?,
                Some(_) => anyhow::bail!("--keep is for the SQLite scratch file; a PostgreSQL database is kept anyway"),
                None => {
                    let (dir, mut g) = scratch(url)?;
                    if device_key {
                        g.sign_blocks_with(crate::domain::device::DeviceKey::generate()?);
                    }
                    (Some(dir), g, false)
                }
            };
            if built {
                say_err!(
                    "reusing the ledger of {} blocks kept in {}",
                    g.ledger_count()?,
                    keep.as_deref().unwrap_or(std::path::Path::new("")).display()
                );
            } else {
                // An event's mix: each pass issued, then scanned once. Building
                // the ledger is not what is measured: no flush per scan
                // (SQLite: synchronous=off; PostgreSQL: commits not waited for).
                g.store().set_synchronous("off")?;
                fill(&mut g, (blocks.max(2)) / 2, &admin())?;
                let t = Instant::now();
                let passes = g.list_passes(&Default::default())?;
                for p in &passes {
                    let payload = g.pass_payload(p);
                    g.scan(payload.as_bytes(), &admin(), "Bench")?;
                }
                say_err!("scanned {} passes in {:.1} s", passes.len(), t.elapsed().as_secs_f64());
            }
            let (r, chain) = fastest(repeat, || g.verify_ledger(None, &mut |_| {}))?;
            anyhow::ensure!(r.ok, "fresh ledger did not verify: {:?}", r.problem);
            let (a, audit) = fastest(repeat, || g.audit())?;
            anyhow::ensure!(a.ok, "fresh tables failed the audit: {:?}", a.findings.first());
            let (all, whole) = timed(|| g.verify_all(None, false, &mut |_| {}))?;
            anyhow::ensure!(all.ok, "fresh database failed verification: {:?}", all.problems());
            let rate = |s: f64| r.blocks as f64 / s.max(1e-9);
            say!(
                "chain: {} blocks in {:.3} s wall, {:.3} s CPU = {:.0} blocks/s (wall), {:.0} blocks/s (CPU)",
                r.blocks,
                chain.wall,
                chain.cpu,
                rate(chain.wall),
                rate(chain.cpu)
            );
            // The audit reads the store on this thread and replays on another:
            // on otherwise idle cores the busier of the two sets its pace.
            let paced = audit.here.max(audit.others);
            say!(
                "audit: {} blocks and {} rows in {:.3} s wall, {:.3} s CPU (reading {:.3} s, replay {:.3} s) = {:.0} blocks/s (wall), {:.0} blocks/s (busier thread's CPU)",
                a.blocks,
                a.rows,
                audit.wall,
                audit.cpu,
                audit.here,
                audit.others,
                rate(audit.wall),
                rate(paced)
            );
            say!("ledger verify (integrity check, schema, chain, audit): {:.3} s wall, {:.3} s CPU", whole.wall, whole.cpu);
        }
        BenchCmd::Import { rows } => {
            let (dir, mut g) = scratch(url)?;
            let csv = dir.0.join("import.csv");
            write_import_csv(&csv, rows.max(1))?;
            let t = Instant::now();
            let passes = g.import_passes_file(&admin(), &csv)?;
            let s = t.elapsed().as_secs_f64();
            anyhow::ensure!(passes.len() == rows.max(1), "imported {} of {} rows", passes.len(), rows);
            let r = g.verify_ledger(None, &mut |_| {})?;
            anyhow::ensure!(r.ok && r.blocks as usize == passes.len(), "ledger after import: {:?}", r.problem);
            say!(
                "import: {} rows in {:.3} s = {:.0} rows/s (parse, validate, duplicate checks, one transaction with a ledger block each)",
                passes.len(),
                s,
                passes.len() as f64 / s
            );
        }
        BenchCmd::Offline { scans, passes, voids } => return offline::run(url, scans, passes, voids),
        BenchCmd::Sigs { n, repeat } => return sigs::run(n, repeat),
        BenchCmd::Decode(ref a) => return super::camera::bench_decode(a),
        BenchCmd::Camera(ref a) => return super::camera::bench_camera(a),
        BenchCmd::Frames(ref a) => return super::camera::bench_frames(a),
    }
    Ok(ExitCode::SUCCESS)
}
