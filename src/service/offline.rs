//! The one service every gate runs, opened from its data directory's
//! database setting: a file path (or none) is a gate with no remote, whose
//! SQLite file is the event's database; a postgresql:// URL is a gate with
//! a remote and a replica (docs/offline.md). The CLI and the console call
//! the same `Gate` methods either way.
//!
//! With a remote, `Gate` owns the replica (a `Gatehouse` over
//! `DATA_DIR/replica.sqlite`) and a worker thread that owns the connection
//! to the server. Every server call is a job waited for at most a budget;
//! on a timeout or a dropped link the gate decides locally, queues the scan
//! in the replica's outbox and local chain, and uploads it on the next sync.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::sync::{ChainHead, UploadReport};
use super::{Gatehouse, load_config};
use crate::config::{Config, Paths};
use crate::domain::clock::{Clock, SystemClock, parse_stamp, stamp};
use crate::domain::keys::KeyRing;
use crate::domain::offline::{self, Conflict};
use crate::domain::scan::{ScanOutcome, Verdict};
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{DbUrl, Replica, Store};

/// Local blocks per upload transaction.
const CHUNK: usize = 200;

/// A verdict and where it was decided.
#[derive(Debug, Clone, Serialize)]
pub struct GateOutcome {
    #[serde(flatten)]
    pub outcome: ScanOutcome,
    /// Decided from the replica and queued, not by the server.
    pub offline: bool,
    /// For an offline verdict: how old the replica was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_age_secs: Option<f64>,
}

/// What the header and `db status` show.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    pub online: bool,
    /// Seconds since the last successful pull; None before the first.
    pub replica_age_secs: Option<f64>,
    /// Offline scans not yet uploaded.
    pub queued: u64,
    /// This gate's clock minus the server's, at the last sync.
    pub clock_skew_secs: Option<f64>,
    /// Whether that skew is above `[offline] max_skew_secs`.
    pub clock_skew_warning: bool,
    /// Whether the replica is older than `[offline] stale_secs`.
    pub stale: bool,
}

/// What `gatehouse sync` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub online: bool,
    pub uploaded: u64,
    pub skipped: u64,
    pub conflicts: u64,
    /// Queued blocks the server refused (each also a conflict).
    pub refused: u64,
    /// Queued scans left (0 after a complete push).
    pub queued: u64,
    /// Whether the pull ran (it waits until the outbox is empty).
    pub pulled: bool,
    pub full_pull: bool,
    pub passes_pulled: u64,
    pub residents_pulled: u64,
    pub users_pulled: u64,
    /// Central ledger blocks read after the cursor.
    pub blocks_read: u64,
    pub cursor: Option<u64>,
    pub clock_skew_secs: Option<f64>,
    pub clock_skew_warning: bool,
    /// Why the sync stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A call on the server; it gets the connection, or why there is none.
type Job = Box<dyn FnOnce(&mut Option<Gatehouse>, &str) + Send>;

/// Everything the worker needs to (re)connect.
#[derive(Clone)]
struct Remote {
    cfg: Config,
    keys: KeyRing,
    clock: Arc<dyn Clock>,
    url: DbUrl,
}

impl Link {
    fn set_online(&mut self, up: bool) {
        if up != self.online {
            if up {
                tracing::info!("back ONLINE");
            } else {
                tracing::warn!("server unreachable: gate is OFFLINE");
            }
        }
        self.online = up;
    }
}

impl Remote {
    fn spawn(&self) -> mpsc::Sender<Job> {
        let (tx, rx) = mpsc::channel::<Job>();
        let me = self.clone();
        std::thread::spawn(move || {
            let mut g: Option<Gatehouse> = None;
            let mut why = String::new();
            for job in rx {
                if g.is_none() {
                    match me.connect() {
                        Ok(c) => g = Some(c),
                        Err(e) => {
                            tracing::debug!(%e, "server unreachable");
                            // Kept for the caller: a wrong CA or password says more than "unreachable".
                            why = e.cause();
                        }
                    }
                }
                job(&mut g, &why);
            }
        });
        tx
    }

    fn connect(&self) -> Result<Gatehouse> {
        let mut store = Store::open_url(&self.url)?;
        store.set_synchronous(&self.cfg.storage.synchronous)?;
        let mut g = Gatehouse::from_parts(self.cfg.clone(), self.keys.clone(), store, self.clock.clone());
        // An enrolled gate learns whether it was revoked: it then seals nothing more.
        if g.keys().device().is_some() {
            g.load_gate_keys()?;
        }
        Ok(g)
    }
}

pub struct Gate {
    cfg: Config,
    /// The data directory (None when assembled from parts).
    paths: Option<Paths>,
    clock: Arc<dyn Clock>,
    /// The event's database on a gate with no remote; else the replica.
    local: Gatehouse,
    /// The shared server, for a gate that has one.
    link: Option<Link>,
}

/// A gate's way to the shared server, and what it knows of it.
struct Link {
    remote: Remote,
    /// The replica's own state: sync marks, outbox, pulled rows.
    replica: Replica,
    worker: Option<mpsc::Sender<Job>>,
    online: bool,
    last_try: Option<Instant>,
    /// This replica's local chain of offline blocks.
    chain: String,
    /// A connection of this thread's own, for callers that may wait on
    /// the server as long as it takes (a CLI command).
    direct: Option<Box<Gatehouse>>,
}

/// Why a server call gave no answer.
fn is_link_error(e: &Error) -> bool {
    e.is_unreachable()
}

impl Gate {
    /// Open a gate's data directory: config, key, and its database. With
    /// a PostgreSQL URL that is the replica (created empty on first use),
    /// and the server is not waited for; else the SQLite file.
    pub fn open(paths: &Paths) -> Result<Gate> {
        let cfg = load_config(paths)?;
        super::check_data_dir(&paths.data_dir)?;
        let Some(url) = paths.database_url(&cfg) else {
            return Ok(Gate::local(Gatehouse::open(paths)?));
        };
        let url = DbUrl::parse(&url)?;
        let keys = crate::devicefile::load_station(paths)?;
        let mut gate = Gate::from_parts(cfg, keys, url, &paths.data_dir.join("replica.sqlite"), Arc::new(SystemClock))?;
        gate.paths = Some(paths.clone());
        Ok(gate)
    }

    /// A gate with no remote: `g`'s database is the event's.
    pub fn local(g: Gatehouse) -> Gate {
        Gate { cfg: g.cfg.clone(), paths: g.paths().cloned(), clock: g.clock(), local: g, link: None }
    }

    /// The event's database itself, to call and wait on: the gate's own
    /// file, or the server over a connection of this thread's (opened on
    /// first use). For commands run once, with no budget to keep.
    pub fn direct(&mut self) -> Result<&mut Gatehouse> {
        let Some(link) = self.link.as_mut() else { return Ok(&mut self.local) };
        if link.direct.is_none() {
            let g = match &self.paths {
                Some(p) => Gatehouse::open(p)?,
                None => link.remote.connect()?,
            };
            link.direct = Some(Box::new(g));
        }
        match link.direct.as_deref_mut() {
            Some(g) => Ok(g),
            None => Err(Error::unreachable("no connection to the server")),
        }
    }

    /// Whether this gate shares a server (and so has a replica and a queue).
    pub fn has_remote(&self) -> bool {
        self.link.is_some()
    }

    /// Assemble from parts; tests use this with their own clock.
    pub fn from_parts(cfg: Config, keys: KeyRing, url: DbUrl, replica: &std::path::Path, clock: Arc<dyn Clock>) -> Result<Gate> {
        let mut rep = Replica::open(replica)?;
        // One chain per replica, whichever of several first-run processes names it.
        let fresh = uuid::Uuid::new_v4().to_string();
        let chain = rep.init_meta(&[("chain", fresh.clone()), ("database", url.to_string())])?.unwrap_or(fresh);
        // The same database spelled another way (localhost or 127.0.0.1,
        // another sslmode) is the same address. At another address, or once
        // a sync found another event there, an empty queue lets the replica
        // be set aside for a fresh one; a full one is kept for its event.
        let moved = rep.meta("database")?.filter(|db| DbUrl::parse(db).map(|d| d.identity()).ok() != Some(url.identity()));
        let foreign = rep.meta("foreign_event")?.map(|e| format!("another event ({e})"));
        let other = foreign.or(moved);
        let local = Gatehouse::from_parts(cfg.clone(), keys.clone(), rep.store()?, clock.clone());
        let remote = Remote { cfg: cfg.clone(), keys: keys.clone(), clock: clock.clone(), url: url.clone() };
        let link = Link { remote, replica: rep, worker: None, online: true, last_try: None, chain, direct: None };
        let mut gate = Gate { cfg: cfg.clone(), paths: None, clock: clock.clone(), local, link: Some(link) };
        if let Some(db) = other {
            if gate.queued()? > 0 {
                // The replica knows its event by id, not by address: a server
                // that moved is used as it is; another event refuses the
                // upload at sync, and says so. Offline scanning goes on.
                tracing::info!(from = %db, to = %url, "the replica was synced at another address; its event is checked at the next sync");
                return Ok(gate);
            }
            // Nothing would be lost: set the old replica aside and start afresh.
            drop(gate);
            let aside = replica.with_extension("sqlite.replaced");
            tracing::warn!(from = %db, to = %url, aside = %aside.display(), "the replica belonged to another database; starting a fresh one");
            std::fs::rename(replica, &aside).map_err(|e| Error::io(format!("cannot set {} aside", replica.display()), e))?;
            return Gate::from_parts(cfg, keys, url, replica, clock);
        }
        Ok(gate)
    }

    /// How long an online answer is waited for before deciding offline.
    pub fn budget(&self) -> Duration {
        Duration::from_secs_f64(self.cfg.offline.budget_secs)
    }

    pub fn cfg(&self) -> &Config {
        &self.cfg
    }

    pub fn paths(&self) -> Option<&Paths> {
        self.paths.as_ref()
    }

    /// How long a sync step may take: pulls and uploads move many rows.
    fn sync_wait(&self) -> Duration {
        Duration::from_secs_f64((self.cfg.offline.budget_secs * 20.0).max(30.0))
    }

    /// Whether the server answered last time (always, with no remote).
    pub fn is_online(&self) -> bool {
        self.link.as_ref().is_none_or(|l| l.online)
    }

    /// Whether this gate was enrolled (it signs with its own device key).
    pub fn enrolled(&self) -> bool {
        self.local.keys().device().is_some()
    }

    /// This gate's name, as the config gives it.
    pub fn gate_name(&self) -> &str {
        &self.cfg.gate.name
    }

    /// Whether to try the server now: always while online, and every
    /// `retry_secs` while offline.
    fn worth_trying(&self) -> bool {
        self.link.as_ref().is_none_or(|l| l.online || l.last_try.is_none_or(|t| t.elapsed().as_secs_f64() >= self.cfg.offline.retry_secs))
    }

    /// Run `f` on the server's `Gatehouse`, waiting at most `wait`. A
    /// timeout abandons the worker (a black-holed socket cannot be
    /// interrupted); the next call starts a fresh one.
    ///
    /// With no remote, `f` runs here on the gate's own database.
    fn call<R: Send + 'static>(&mut self, wait: Duration, f: impl FnOnce(&mut Gatehouse) -> Result<R> + Send + 'static) -> Result<R> {
        let Some(link) = self.link.as_mut() else { return f(&mut self.local) };
        link.last_try = Some(Instant::now());
        let worker = match &link.worker {
            Some(w) => w.clone(),
            None => {
                let w = link.remote.spawn();
                link.worker = Some(w.clone());
                w
            }
        };
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |g: &mut Option<Gatehouse>, why: &str| {
            let r = match g.as_mut() {
                Some(gh) => f(gh),
                None if why.is_empty() => Err(Error::unreachable("the server cannot be reached")),
                None => Err(Error::unreachable(why.to_string())),
            };
            // A dropped link: connect afresh for the next job.
            if g.as_ref().is_some_and(|gh| gh.db_link().is_some_and(|l| !l.is_up())) || r.as_ref().is_err_and(|e| e.is_unreachable()) {
                *g = None;
            }
            let _ = tx.send(r);
        });
        if worker.send(job).is_err() {
            link.worker = None;
            link.set_online(false);
            return Err(Error::unreachable("the connection worker stopped"));
        }
        match rx.recv_timeout(wait) {
            Ok(Ok(v)) => {
                link.set_online(true);
                Ok(v)
            }
            Ok(Err(e)) => {
                if is_link_error(&e) {
                    link.set_online(false);
                }
                Err(e)
            }
            Err(RecvTimeoutError::Timeout) => {
                link.worker = None;
                link.set_online(false);
                Err(Error::unreachable(format!("no answer from the server within {:.1} s", wait.as_secs_f64())))
            }
            Err(RecvTimeoutError::Disconnected) => {
                link.worker = None;
                link.set_online(false);
                Err(Error::unreachable("the connection worker stopped"))
            }
        }
    }

    /// Sign in: on the server when it answers within the budget, else
    /// against the replica's users.
    pub fn authenticate(&mut self, username: &str, password: &str) -> Result<Actor> {
        if self.link.is_none() {
            return self.local.authenticate(username, password);
        }
        // A server that does not answer within the budget is not waited
        // for again with bcrypt's allowance: sign in from the replica.
        if self.worth_trying() && self.ping().is_ok() {
            let (u, p) = (username.to_string(), password.to_string());
            // bcrypt runs on the worker: allow it time beyond the budget.
            let wait = self.budget() + Duration::from_secs(5);
            match self.call(wait, move |g| g.authenticate(&u, &p)) {
                Err(e) if is_link_error(&e) => {}
                other => return other,
            }
        }
        self.require_replica()?;
        let actor = self.local.authenticate(username, password)?;
        // The replica's users table is only a copy: the account must match
        // the seal made when it was pulled from the server.
        let seals: serde_json::Map<String, serde_json::Value> =
            self.meta("account_seals")?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        let row = self.local.store().read(|db| db.get_user(&actor.username))?;
        let holds = match (row, seals.get(&actor.username).and_then(|v| v.as_str()), self.link.as_ref()) {
            (Some((u, hash)), Some(seal), Some(link)) => {
                crate::domain::user::account_seal_holds(&link.remote.keys, seal, &u.username, u.role.as_str(), &hash, u.disabled)
            }
            _ => false,
        };
        if !holds {
            tracing::warn!(user = %actor.username, "offline sign-in refused: the replica's account does not match its sealed copy");
            return Err(Error::Auth(format!(
                "{} cannot sign in offline: this gate's copy of the account does not match the one pulled from the server; sign in when the server answers",
                actor.username
            )));
        }
        Ok(actor)
    }

    /// A shell session's user (`gatehouse login`). Sessions live in the
    /// event's database: a gate with a server asks it, within the budget.
    pub fn session_actor(&mut self, username: &str, token: &str) -> Result<Actor> {
        let (u, t) = (username.to_string(), token.to_string());
        self.call(self.budget(), move |g| g.session_actor(&u, &t))
    }

    /// Sign-out: no core of this gate keeps the admin's issuing keys. The
    /// server's connection forgets them on its worker, if it has one.
    pub fn forget_keys(&mut self) {
        self.local.forget_keys();
        let Some(link) = self.link.as_mut() else { return };
        if let Some(d) = link.direct.as_deref_mut() {
            d.forget_keys();
        }
        if let Some(w) = &link.worker {
            let job: Job = Box::new(|g: &mut Option<Gatehouse>, _: &str| {
                if let Some(g) = g.as_mut() {
                    g.forget_keys();
                }
            });
            let _ = w.send(job);
        }
    }

    /// One round trip to the server within the budget (connecting if need be).
    fn ping(&mut self) -> Result<()> {
        if self.link.is_none() {
            return Ok(());
        }
        self.call(self.budget(), |g| server_of(g)?.time().map(|_| ()))
    }

    /// Run `f` on the server, for the console's screens: refused at once
    /// while OFFLINE (between reconnect attempts); otherwise the server
    /// must answer a ping within the budget before `f` is given `wait`.
    /// So a dead or black-holed link costs at most the budget.
    pub fn try_server<R: Send + 'static>(
        &mut self,
        wait: Duration,
        f: impl FnOnce(&mut Gatehouse) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        if !self.worth_trying() {
            return Err(Error::unreachable("the server did not answer; this gate is OFFLINE"));
        }
        self.ping()?;
        self.call(wait, f)
    }

    fn require_replica(&mut self) -> Result<()> {
        if let Some(link) = self.link.as_mut()
            && link.replica.meta("cursor")?.is_none()
        {
            return Err(Error::unreachable(
                "the server cannot be reached, and this gate has never synced: run `gatehouse sync` while the link is up",
            ));
        }
        Ok(())
    }

    /// Scan: online first within the budget, else offline from the
    /// replica and the gate's own queue.
    pub fn scan(&mut self, raw: &[u8], actor: &Actor, gate: &str) -> Result<GateOutcome> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        self.scan_with_nonce(raw, actor, gate, &nonce)
    }

    pub fn scan_with_nonce(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str) -> Result<GateOutcome> {
        self.scan_opts(raw, actor, gate, nonce, super::ScanOpts::default())
    }

    /// A scan with its options (an exit, some of a group), decided as
    /// `scan_with_nonce` decides.
    pub fn scan_opts(&mut self, raw: &[u8], actor: &Actor, gate: &str, nonce: &str, opts: super::ScanOpts) -> Result<GateOutcome> {
        // Refused here, before it could be queued: the server would refuse it too.
        let mut errs = crate::domain::validate::ValidationErrors::default();
        crate::domain::validate::nonce(&mut errs, nonce);
        errs.into_result(())?;
        if self.link.is_none() {
            let outcome = self.local.scan_opts(raw, actor, gate, nonce, opts)?;
            return Ok(GateOutcome { outcome, offline: false, replica_age_secs: None });
        }
        if self.worth_trying() && self.queued()? > 0 {
            // Queued scans go first, so the server sees them in order.
            if let Err(e) = self.push(self.budget()) {
                tracing::info!(%e, "queued scans not uploaded; deciding offline");
            }
        }
        if self.worth_trying() && self.queued()? == 0 {
            let (raw2, actor2, gate2, nonce2) = (raw.to_vec(), actor.clone(), gate.to_string(), nonce.to_string());
            match self.call(self.budget(), move |g| g.scan_opts(&raw2, &actor2, &gate2, &nonce2, opts)) {
                Ok(out) => {
                    // Write through, so a link that drops now cannot admit twice.
                    let note = self.link.as_mut().map_or(Ok(()), |l| l.replica.note(out.pass.as_ref(), out.resident.as_ref()));
                    if let Err(e) = note {
                        tracing::warn!(%e, "cannot note an online verdict in the replica");
                    }
                    return Ok(GateOutcome { outcome: out, offline: false, replica_age_secs: None });
                }
                Err(e) if is_link_error(&e) => tracing::info!(%e, "deciding offline"),
                Err(e) => return Err(e),
            }
        }
        self.require_replica()?;
        let age = self.replica_age()?;
        let mut out = self.local.scan_opts(raw, actor, gate, nonce, opts)?;
        if out.verdict == Verdict::Unknown {
            out.reason = format!("{}; offline, replica {} old", out.reason, age_text(age));
        }
        Ok(GateOutcome { outcome: out, offline: true, replica_age_secs: age })
    }

    fn replica_age(&mut self) -> Result<Option<f64>> {
        let Some(link) = self.link.as_mut() else { return Ok(None) };
        let pulled = link.replica.meta("pulled_at")?;
        let now = self.clock.now();
        Ok(pulled.as_deref().and_then(parse_stamp).map(|t| ((now - t).num_milliseconds() as f64 / 1000.0).max(0.0)))
    }

    /// Offline scans (local blocks) not yet uploaded. The local chain is
    /// dense, so this is its head minus the upload mark.
    pub fn queued(&mut self) -> Result<u64> {
        if self.link.is_none() {
            return Ok(0);
        }
        let head = self.local.ledger_head()?.map(|(i, _)| i);
        let mark = self.upload_mark()?;
        Ok(match (head, mark) {
            (None, _) => 0,
            (Some(h), None) => h + 1,
            (Some(h), Some(m)) => h.saturating_sub(m),
        })
    }

    fn upload_mark(&mut self) -> Result<Option<u64>> {
        Ok(self.meta("uploaded_through")?.and_then(|v| v.parse().ok()))
    }

    pub fn freshness(&mut self) -> Result<Freshness> {
        if self.link.is_none() {
            let none = Freshness {
                online: true,
                replica_age_secs: None,
                queued: 0,
                clock_skew_secs: None,
                clock_skew_warning: false,
                stale: false,
            };
            return Ok(none);
        }
        let age = self.replica_age()?;
        let skew: Option<f64> = self.meta("clock_skew_secs")?.and_then(|v| v.parse().ok());
        Ok(Freshness {
            online: self.is_online(),
            replica_age_secs: age,
            queued: self.queued()?,
            clock_skew_secs: skew,
            clock_skew_warning: skew.is_some_and(|s| offline::skew_too_large(s, self.cfg.offline.max_skew_secs)),
            stale: age.is_none_or(|a| a > self.cfg.offline.stale_secs),
        })
    }

    /// Upload the outbox in chunks, each one server transaction; the local
    /// mark moves only after the server committed.
    fn push(&mut self, wait: Duration) -> Result<UploadReport> {
        let mut total = UploadReport::default();
        if self.queued()? == 0 {
            return Ok(total);
        }
        let verified = self.local.verify_ledger(None, &mut |_| {})?;
        if !verified.ok {
            return Err(Error::Sync(format!(
                "the local chain of offline scans does not verify ({}); nothing uploaded",
                verified.problem.map(|p| p.to_string()).unwrap_or_default()
            )));
        }
        let skew: Option<f64> = self.meta("clock_skew_secs")?.and_then(|v| v.parse().ok());
        let event = self.same_event(wait)?;
        loop {
            let mark = self.upload_mark()?;
            let Some(link) = self.link.as_mut() else { return Ok(total) };
            let items = link.replica.outbox(mark, CHUNK)?;
            if items.is_empty() {
                return Ok(total);
            }
            let Some((index, hash)) = self.local.ledger_head()? else { return Ok(total) };
            let Some(chain) = self.link.as_ref().map(|l| l.chain.clone()) else { return Ok(total) };
            let head = ChainHead { chain, index, hash, event: event.clone() };
            let (h2, chunk) = (head.clone(), items.clone());
            let r = match self.call(wait, move |g| g.upload_offline(&h2, &chunk, skew)) {
                Ok(r) => r,
                Err(e) if is_link_error(&e) => return Err(e),
                // The server failed on the chunk: block by block, so a
                // block it fails on costs only itself.
                Err(e) => {
                    tracing::info!(%e, "upload failed; uploading block by block");
                    self.push_each(wait, &head, items, skew)?
                }
            };
            total.uploaded += r.uploaded;
            total.skipped += r.skipped;
            total.conflicts += r.conflicts;
            total.refused += r.refused;
            total.high_water = r.high_water;
            match r.high_water {
                Some(h) if mark.is_none_or(|m| h > m) => self.set_meta(&[("uploaded_through", h.to_string())])?,
                _ => return Err(Error::Sync("the server did not take the queued scans".into())),
            }
        }
    }

    /// The event this gate's replica belongs to (None before its first sync).
    pub fn event(&mut self) -> Result<Option<String>> {
        if self.link.is_none() {
            return Ok(None);
        }
        self.meta("event")
    }

    /// The event this replica belongs to, checked against the server's:
    /// a replica that names none yet takes the server's; another event is
    /// refused, with what to do.
    fn same_event(&mut self, wait: Duration) -> Result<Option<String>> {
        let server = self.call(wait, |g| g.event_id())?;
        // The replica's record, else the one `init` wrote in the config: a
        // replica made afresh still knows its event.
        let recorded = self.meta("event")?;
        let pinned = recorded.clone().or_else(|| Some(self.cfg.storage.event.clone()).filter(|e| !e.is_empty()));
        match (pinned, server) {
            (Some(mine), theirs) if Some(&mine) != theirs.as_ref() => {
                let why = super::sync::foreign_event(&mine, theirs.as_deref());
                if self.queued()? > 0 {
                    return Err(Error::Sync(format!("{why}; its queued scans stay here for their own event's server")));
                }
                // Nothing of the old event is lost: set aside at the next start.
                let short: String = theirs.unwrap_or_default().chars().take(12).collect();
                self.set_meta(&[("foreign_event", short)])?;
                Err(Error::Sync(format!("{why}; the replica holds nothing to upload and is replaced when gatehouse next starts")))
            }
            (_, Some(theirs)) => {
                if recorded.is_none() {
                    self.set_meta(&[("event", theirs.clone())])?;
                }
                Ok(Some(theirs))
            }
            (mine, None) => Ok(mine),
        }
    }

    /// Upload `items` one transaction each; one the server fails on alone
    /// is recorded there as refused (a conflict), and the rest go on.
    fn push_each(
        &mut self,
        wait: Duration,
        head: &ChainHead,
        items: Vec<crate::store::OutboxItem>,
        skew: Option<f64>,
    ) -> Result<UploadReport> {
        let mut total = UploadReport::default();
        for item in items {
            let (h, one) = (head.clone(), vec![item.clone()]);
            let r = match self.call(wait, move |g| g.upload_offline(&h, &one, skew)) {
                Ok(r) => r,
                Err(e) if is_link_error(&e) => return Err(e),
                Err(e) => {
                    let (h, one, why) = (head.clone(), vec![item], format!("the server failed on it: {e}"));
                    self.call(wait, move |g| g.refuse_offline(&h, &one, skew, &why))?
                }
            };
            total.uploaded += r.uploaded;
            total.skipped += r.skipped;
            total.conflicts += r.conflicts;
            total.refused += r.refused;
            total.high_water = r.high_water.or(total.high_water);
        }
        Ok(total)
    }

    /// Push the queue, then pull changes, and measure the clock skew.
    pub fn sync(&mut self) -> Result<SyncReport> {
        let wait = self.sync_wait();
        let mut rep = SyncReport::default();
        if self.link.is_none() {
            rep.error = Some("this gate has no server to sync with: its database is a local SQLite file".into());
            rep.online = true;
            return Ok(rep);
        }
        // A dead or black-holed link is found within the budget, not the sync's long wait.
        if let Err(e) = self.ping() {
            rep.error = Some(e.to_string());
            rep.queued = self.queued()?;
            rep.online = self.is_online();
            return Ok(rep);
        }
        // The heartbeat `gate list` reads: it stops when the link does.
        if let Err(e) = self.call(wait, |g| g.touch_gate()) {
            tracing::info!(%e, "last seen not recorded");
        }
        match self.push(wait) {
            Ok(u) => {
                rep.uploaded = u.uploaded;
                rep.skipped = u.skipped;
                rep.conflicts = u.conflicts;
                rep.refused = u.refused;
            }
            Err(e) => rep.error = Some(e.to_string()),
        }
        rep.queued = self.queued()?;
        if rep.error.is_none()
            && rep.queued == 0
            && let Err(e) = self.pull(wait, &mut rep)
        {
            rep.error = Some(e.to_string());
        }
        rep.online = self.is_online();
        if let Some(s) = rep.clock_skew_secs {
            rep.clock_skew_warning = offline::skew_too_large(s, self.cfg.offline.max_skew_secs);
        }
        Ok(rep)
    }

    fn pull(&mut self, wait: Duration, rep: &mut SyncReport) -> Result<()> {
        let clock = self.clock.clone();
        let epoch = move || clock.now().timestamp_micros() as f64 / 1e6;
        let e2 = epoch.clone();
        let (before, server, after) = self.call(wait, move |g| {
            let before = e2();
            let server = server_of(g)?.time()?;
            Ok((before, server, e2()))
        })?;
        let skew = offline::skew_secs(before, server, after);
        if offline::skew_too_large(skew, self.cfg.offline.max_skew_secs) {
            tracing::warn!(skew_secs = skew, limit = self.cfg.offline.max_skew_secs, "this gate's clock differs from the server's");
        } else {
            tracing::info!(skew_secs = skew, "clock skew measured");
        }
        rep.clock_skew_secs = Some(skew);
        // Rows of another event never enter this replica.
        self.same_event(wait)?;
        let since = match (self.meta("cursor")?, self.meta("cursor_hash")?) {
            (Some(i), Some(h)) => i.parse().ok().map(|i: u64| (i, h)),
            _ => None,
        };
        let changes = self.call(wait, move |g| server_of(g)?.pull_changes(since))?;
        let mut meta = vec![("pulled_at", stamp(self.clock.now())), ("clock_skew_secs", format!("{skew:.3}"))];
        // Where the event was last reached: a server that moved is its new
        // home. And each account as the server holds it, sealed, for
        // sign-in while offline.
        if let Some(link) = self.link.as_ref() {
            meta.push(("database", link.remote.url.to_string()));
            meta.push(("account_seals", account_seals(&link.remote.keys, &changes)));
        }
        match &changes.head {
            Some((i, h)) => {
                meta.push(("cursor", i.to_string()));
                meta.push(("cursor_hash", h.clone()));
                rep.cursor = Some(*i);
            }
            // An empty server ledger: remember that a pull happened.
            None => meta.push(("cursor", "none".into())),
        }
        // The event's issuing public keys, so codes signed with a key made
        // since the last pull verify offline too.
        let issuing = self.call(wait, |g| g.issuing_keys())?;
        self.local.learn_issuing_keys(&issuing, &stamp(self.clock.now()))?;
        let applied = match self.link.as_mut() {
            Some(link) => link.replica.apply(&changes, &meta)?,
            None => false,
        };
        if !applied {
            // A scan was queued while the pull ran: upload it first.
            rep.queued = self.queued()?;
            return Ok(());
        }
        rep.pulled = true;
        rep.full_pull = changes.full;
        rep.passes_pulled = changes.passes.len() as u64;
        rep.residents_pulled = changes.residents.len() as u64;
        rep.users_pulled = changes.users.len() as u64;
        rep.blocks_read = changes.blocks;
        Ok(())
    }

    /// The rules this gate scans by: the server's while it answers within
    /// the budget, else the replica's as last pulled.
    pub fn rules(&mut self) -> Result<super::EventRules> {
        if self.link.is_some() && self.worth_trying() {
            match self.try_server(self.budget(), |g| g.rules()) {
                Ok(r) => return Ok(r),
                Err(e) if is_link_error(&e) => tracing::info!(%e, "rules from the replica"),
                Err(e) => return Err(e),
            }
        }
        self.local.rules()
    }

    /// Every conflict the server's ledger records.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>> {
        self.call(self.sync_wait(), |g| g.conflicts())
    }

    pub fn acknowledge_conflict(&mut self, actor: &Actor, block: u64) -> Result<Conflict> {
        let a = actor.clone();
        self.call(self.sync_wait(), move |g| g.acknowledge_conflict(&a, block))
    }

    /// Run any read or write on the server within the sync wait.
    pub fn on_server<R: Send + 'static>(&mut self, f: impl FnOnce(&mut Gatehouse) -> Result<R> + Send + 'static) -> Result<R> {
        self.call(self.sync_wait(), f)
    }
}

/// The server's sync side of a core on PostgreSQL.
fn server_of(g: &mut Gatehouse) -> Result<crate::store::Server<'_>> {
    g.store().server().ok_or_else(|| Error::Unsupported("this database is a SQLite file, not a shared server".into()))
}

impl Gate {
    /// A replica state value (None on a gate with no remote).
    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        self.link.as_mut().map_or(Ok(None), |l| l.replica.meta(key))
    }

    fn set_meta(&mut self, pairs: &[(&str, String)]) -> Result<()> {
        self.link.as_mut().map_or(Ok(()), |l| l.replica.set_meta(pairs))
    }
}

/// Each pulled account's seal (`domain::user::account_seal`) by username, as JSON.
fn account_seals(keys: &KeyRing, changes: &crate::store::Changes) -> String {
    let mut out = serde_json::Map::new();
    for a in changes.accounts() {
        if let Some(seal) = crate::domain::user::account_seal(keys, keys.active_id(), &a.username, &a.role, &a.pw_hash, a.disabled) {
            out.insert(a.username, seal.into());
        }
    }
    serde_json::Value::Object(out).to_string()
}

/// "42 s", "3 min", "2 h", or "unknown" before the first pull.
pub fn age_text(age: Option<f64>) -> String {
    match age {
        None => "never pulled".into(),
        Some(s) if s < 120.0 => format!("{s:.0} s"),
        Some(s) if s < 7200.0 => format!("{:.0} min", s / 60.0),
        Some(s) => format!("{:.1} h", s / 3600.0),
    }
}
