//! The worker thread owns the core (and so the database). It runs effects
//! one at a time and sends each result back as an event, so a slow query
//! never holds up a redraw. One dispatcher serves every gate: `Gate` sends
//! an operation to its own SQLite file, or to the server within the
//! budget, and scans and sign-in fall back to the replica when the server
//! does not answer.

use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::effect::{Asker, Effect, Job, Outcome, PHOTO_COLS, PHOTO_ROWS, Photo};
use super::event::Event;
use super::offline::{SyncMemory, sync_once};
use crate::domain::user::Actor;
use crate::error::Error;
use crate::service::{ExportKind, Gate, Gatehouse};

/// The latest camera frame, shared with the capture thread.
pub type FrameShare = crate::camera::FrameSlot;

pub fn spawn(
    core: Gate,
    gate: String,
    jobs: Receiver<Job>,
    events: Sender<Event>,
    frames: FrameShare,
    picker: ratatui_image::picker::Picker,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            let mut w =
                Worker { core, gate, actor: None, sync: SyncMemory::default(), acked: false, events, frames, picker, asker: Asker::App };
            for job in jobs {
                // The answer, and any sent before it, go back to the one who asked.
                w.asker = job.asker;
                let outcome = w.dispatch(job.effect);
                if w.events.send(Event::Done(job.asker, outcome)).is_err() {
                    return;
                }
            }
        })
        .unwrap_or_else(|e| panic!("cannot start the worker thread: {e}")) // ok: no worker, no UI
}

/// What an effect does, for "… needs the server (offline)".
fn needs_server(effect: &Effect) -> &'static str {
    match effect {
        Effect::Issue(_) => "issuing passes",
        Effect::LoadPasses(_) => "the passes list",
        Effect::VoidPass { .. } => "voiding a pass",
        Effect::UnscanPass { .. } => "unscanning a pass",
        Effect::LoadResidents(_) => "the residents list",
        Effect::AddResident(_) => "registering a resident",
        Effect::DeactivateResident { .. } => "deactivating a resident",
        Effect::FindCheckIn(_) | Effect::ScanManual { .. } => "manual check-in",
        Effect::LoadLedger | Effect::VerifyLedger => "the ledger",
        Effect::LoadStats => "stats",
        Effect::Print { .. } => "printing",
        Effect::Export { .. } => "exporting",
        Effect::Backup => "the backup",
        Effect::AckConflict(_) => "acknowledging a conflict",
        Effect::LoadUsers
        | Effect::AddUser { .. }
        | Effect::SetUserDisabled { .. }
        | Effect::UnlockUser(_)
        | Effect::SetPassword { .. } => "managing users",
        _ => "this",
    }
}

/// The worker's state: the gate, who is signed in, and the sync job's memory.
struct Worker {
    core: Gate,
    gate: String,
    actor: Option<Actor>,
    sync: SyncMemory,
    /// A conflict was acknowledged here: the next sync reads the list.
    acked: bool,
    events: Sender<Event>,
    frames: FrameShare,
    picker: ratatui_image::picker::Picker,
    /// Who asked for the effect being run.
    asker: Asker,
}

impl Worker {
    /// Every effect's one path. Nothing here waits on a dead link longer
    /// than the budget: sign-in and scans fall back to the replica,
    /// everything else needs the server and says so.
    fn dispatch(&mut self, effect: Effect) -> Outcome {
        let o = &mut self.core;
        match effect {
            Effect::Login { username, password } => {
                return match o.authenticate(&username, &password) {
                    Ok(a) => {
                        tracing::info!(user = %a.username, online = o.is_online(), "signed in to the console");
                        self.actor = Some(a.clone());
                        if o.is_online() {
                            return Outcome::LoggedIn(a);
                        }
                        let _ = self.events.send(Event::Done(self.asker, Outcome::LoggedIn(a)));
                        Outcome::Done("OFFLINE: signed in from the replica; scans are decided here and queued".into())
                    }
                    Err(e) => Outcome::LoginFailed(e.to_string()),
                };
            }
            Effect::SignOut => {
                o.forget_keys();
                if let Some(a) = self.actor.take() {
                    tracing::info!(user = %a.username, "signed out of the console");
                }
                return Outcome::Done(String::new());
            }
            // The replica stays fresh whoever is signed in, or no one.
            Effect::Sync => {
                let conflicts_now = std::mem::take(&mut self.acked);
                return Outcome::Synced(Box::new(sync_once(o, &mut self.sync, conflicts_now)));
            }
            Effect::Bell(_) | Effect::Quit => return Outcome::Done(String::new()),
            _ => {}
        }
        let Some(a) = self.actor.clone() else {
            return Outcome::Failed("sign in first".into());
        };
        let wait = |e: &Effect| match e {
            // Verifying reads the whole ledger; the ping before it found the link alive.
            Effect::VerifyLedger => Duration::from_secs(3600),
            _ => Duration::from_secs(60),
        };
        match effect {
            Effect::Scan { payload, source, opts } => scan(o, &a, &self.gate, &payload, source, opts, &self.picker),
            // From the replica too: the form shows them offline, though issuing needs the server.
            Effect::LoadPassTypes => match o.rules() {
                Ok(r) => Outcome::PassTypes(r.rules.types),
                Err(e) => failed("cannot load the pass types", e),
            },
            Effect::CapturePhoto => capture_photo(&self.frames, o.paths().map(|p| p.data_dir.join("photos"))),
            Effect::SaveQr { payload, path } => save_qr(&payload, &path),
            Effect::LoadStats => {
                match o.try_server(wait(&Effect::LoadStats), |g| Ok((g.stats()?, g.gates(crate::service::ONLINE_SECS)?))) {
                    Ok((s, gates)) => {
                        let _ = self.events.send(Event::Done(self.asker, Outcome::Gates(gates)));
                        Outcome::Stats(Box::new(s))
                    }
                    Err(e) if is_link(&e) => Outcome::StatsOffline(offline_text("stats", &e)),
                    Err(e) => failed("cannot load stats", e),
                }
            }
            Effect::AckConflict(block) => match o.try_server(wait(&effect), move |g| g.acknowledge_conflict(&a, block)) {
                Ok(_) => {
                    self.acked = true;
                    Outcome::ConflictAcked(block, format!("conflict {block} acknowledged"))
                }
                // Another gate's operator was quicker.
                Err(Error::Conflict(m)) => {
                    self.acked = true;
                    Outcome::ConflictAcked(block, m)
                }
                Err(e) if is_link(&e) => Outcome::Failed(offline_text(needs_server(&effect), &e)),
                Err(e) => failed("not acknowledged", e),
            },
            Effect::Backup => {
                let Some(dir) = o.paths().map(|p| p.backup_dir(o.cfg())) else {
                    return Outcome::Failed("no data directory".into());
                };
                match o.try_server(wait(&Effect::Backup), move |g| g.backup(Some(&dir))) {
                    Ok((file, _)) => {
                        tracing::info!("hourly backup {}", file.display());
                        Outcome::BackedUp(file)
                    }
                    Err(e) => failed("backup not taken", e),
                }
            }
            other => {
                let what = needs_server(&other);
                let w = wait(&other);
                let (gate, picker) = (self.gate.clone(), self.picker.clone());
                let (events, asker) = (self.events.clone(), self.asker);
                let r = o.try_server(w, move |g| {
                    let out = apply(g, &gate, &a, other, &|o| events.send(Event::Done(asker, o)).is_ok(), &picker);
                    // A link that dropped under the call is the gate going offline, not the call failing.
                    if g.db_link().is_some_and(|l| !l.is_up()) {
                        return Err(Error::unreachable("the link dropped"));
                    }
                    Ok(out)
                });
                match r {
                    Ok(out) => out,
                    Err(e) => Outcome::Failed(offline_text(what, &e)),
                }
            }
        }
    }
}

fn is_link(e: &Error) -> bool {
    e.is_unreachable()
}

/// "issuing passes needs the server (offline): no answer within 1.5 s".
fn offline_text(what: &str, e: &Error) -> String {
    let why = e.cause();
    if is_link(e) { format!("{what} needs the server (offline): {why}") } else { format!("{what} failed: {why}") }
}

/// A scan through the gate; an offline verdict says so on the Scan screen
/// (as its warning line).
fn scan(
    o: &mut Gate,
    a: &Actor,
    gate: &str,
    payload: &str,
    source: super::effect::ScanSource,
    opts: crate::service::ScanOpts,
    picker: &ratatui_image::picker::Picker,
) -> Outcome {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    match o.scan_opts(payload.as_bytes(), a, gate, &nonce, opts) {
        Ok(r) => {
            let mut out = r.outcome;
            if r.offline {
                let mark = format!(
                    "OFFLINE: decided from the replica ({} old), queued for upload",
                    crate::service::offline::age_text(r.replica_age_secs)
                );
                out.warning = Some(match out.warning.take() {
                    Some(w) => format!("{mark}; {w}"),
                    None => mark,
                });
            }
            let photo = out.resident.as_ref().and_then(|r| r.photo.as_deref()).and_then(|p| load_photo(p, picker));
            Outcome::Scanned(Box::new(out), source, photo)
        }
        Err(e) => failed("scan not recorded", e),
    }
}

fn failed(what: &str, e: Error) -> Outcome {
    tracing::warn!("{what}: {e}");
    Outcome::Failed(format!("{what}: {e}"))
}

/// An operation on the event's database: the gate's own file, or the
/// server (inside `Gate::try_server`, so within its wait).
fn apply(
    g: &mut Gatehouse,
    gate: &str,
    a: &Actor,
    effect: Effect,
    early: &dyn Fn(Outcome) -> bool,
    picker: &ratatui_image::picker::Picker,
) -> Outcome {
    // Codes are signed with the signed-in admin's own unsealed keys.
    g.use_session(a);
    match effect {
        Effect::FindCheckIn(q) => match g.find_for_checkin(&q) {
            Ok(rows) => Outcome::Found(q, rows),
            Err(e) => failed("cannot search", e),
        },
        Effect::ScanManual { id, reason } => match g.scan_manual(&id, Some(&reason), a, gate) {
            Ok(out) => {
                let photo = out.resident.as_ref().and_then(|r| r.photo.as_deref()).and_then(|p| load_photo(p, picker));
                Outcome::Scanned(Box::new(out), super::effect::ScanSource::CheckIn, photo)
            }
            Err(e) => failed("not checked in", e),
        },
        Effect::Issue(req) => match g.issue_pass(a, &req) {
            Ok(p) => Outcome::Issued(Box::new(g.pass_view(p))),
            Err(Error::Validation(v)) => Outcome::IssueRejected(v),
            Err(Error::DuplicatePass { existing_id, held }) => Outcome::IssueDuplicate { held, existing_id },
            Err(e) => failed("pass not issued", e),
        },
        Effect::LoadPasses(f) => match g.list_passes(&f) {
            Ok(list) => Outcome::Passes(list.into_iter().map(|p| Box::new(g.pass_view(p))).collect()),
            Err(e) => failed("cannot load passes", e),
        },
        Effect::VoidPass { id, reason } => match g.void_pass(a, &id, &reason) {
            Ok(p) => Outcome::PassChanged(Box::new(p), "voided"),
            Err(e) => failed("not voided", e),
        },
        Effect::UnscanPass { id, reason } => match g.unscan_pass(a, &id, &reason) {
            Ok(p) => Outcome::PassChanged(Box::new(p), "is unused again"),
            Err(e) => failed("not unscanned", e),
        },
        Effect::LoadResidents(search) => match g.list_residents(search.as_deref(), true) {
            Ok(list) => Outcome::Residents(list.into_iter().map(|r| g.resident_view(r)).collect()),
            Err(e) => failed("cannot load residents", e),
        },
        Effect::AddResident(req) => match g.add_resident(a, &req) {
            Ok(r) => Outcome::ResidentAdded(Box::new(g.resident_view(r))),
            Err(Error::Validation(v)) => Outcome::ResidentRejected(v),
            Err(e) => failed("resident not registered", e),
        },
        Effect::DeactivateResident { id, reason } => match g.deactivate_resident(a, &id, &reason) {
            Ok(r) => Outcome::Done(format!("deactivated {}", r.name)),
            Err(e) => failed("not deactivated", e),
        },
        Effect::LoadUsers => match g.list_users() {
            Ok(rows) => Outcome::Users(rows),
            Err(e) => failed("cannot load users", e),
        },
        Effect::AddUser { username, display_name, role, password } => {
            match g.add_user(Some(a), &username, &display_name, role, &password.0) {
                Ok(u) => {
                    Outcome::UserChanged(format!("added {} ({}); they sign in with the password you gave", u.username, u.role.as_str()))
                }
                Err(Error::Validation(v)) => Outcome::UserRejected(v),
                Err(e) => failed("user not added", e),
            }
        }
        Effect::SetUserDisabled { username, disabled } => match g.set_user_disabled(a, &username, disabled) {
            Ok(()) if disabled => Outcome::UserChanged(format!("disabled {username}: they cannot sign in")),
            Ok(()) => Outcome::UserChanged(format!("enabled {username} (any lockout lifted)")),
            Err(e) => failed(if disabled { "not disabled" } else { "not enabled" }, e),
        },
        Effect::UnlockUser(username) => match g.unlock_user(a, &username) {
            Ok(()) => Outcome::UserChanged(format!("unlocked {username}")),
            Err(e) => failed("not unlocked", e),
        },
        Effect::SetPassword { username, password } => match g.set_password(a, &username, &password.0) {
            Ok(()) => Outcome::UserChanged(format!("new password set for {username}")),
            Err(Error::Validation(v)) => Outcome::UserRejected(v),
            Err(e) => failed("password not changed", e),
        },
        Effect::LoadLedger => match g.ledger_recent(200).and_then(|b| Ok((b, g.ledger_count()?))) {
            Ok((b, n)) => Outcome::Ledger(b, n),
            Err(e) => failed("cannot load the ledger", e),
        },
        Effect::VerifyLedger => {
            if let Ok(n) = g.ledger_count() {
                let recent = g.ledger_recent(200).unwrap_or_default();
                early(Outcome::Ledger(recent, n));
            }
            match g.verify_all(None, false, &mut |done| {
                early(Outcome::Progress(done));
            }) {
                Ok(r) => Outcome::Verified(Box::new(r)),
                Err(e) => failed("verification failed to run", e),
            }
        }
        // A failed print changes nothing; the message says what to fix and
        // the key can be pressed again.
        Effect::Print { pass_id: Some(id), .. } => match g.get_pass(&id) {
            Ok(p) => match g.pass_rule(&p).map_err(|e| e.to_string()).and_then(|rule| {
                crate::print::print_pass(&g.cfg.printing(), &p, rule.as_ref(), &g.pass_payload(&p), None, None).map_err(|e| e.to_string())
            }) {
                Ok(()) => Outcome::Done(format!("printed pass {}", crate::print::short_id(&p.id))),
                Err(e) => Outcome::Failed(format!("print failed: {e}")),
            },
            Err(e) => failed("print failed", e),
        },
        Effect::Print { resident_id: Some(id), .. } => match g.get_resident(&id) {
            Ok(r) => match crate::print::print_resident(&g.cfg.printing(), &r, &g.resident_payload(&r), None, None) {
                Ok(()) => Outcome::Done(format!("printed card for {}", r.name)),
                Err(e) => Outcome::Failed(format!("print failed: {e}")),
            },
            Err(e) => failed("print failed", e),
        },
        Effect::Print { .. } => Outcome::Failed("nothing to print".into()),
        Effect::Export { kind, path, filter } => match g.export_csv_filtered(kind, &path, &filter) {
            Ok(n) => {
                Outcome::Done(format!("exported {n} {} to {}", if kind == ExportKind::Passes { "passes" } else { "rows" }, path.display()))
            }
            Err(e) => failed("export failed", e),
        },
        // Run by `Worker::dispatch` itself.
        _ => Outcome::Done(String::new()),
    }
}

/// Save the camera's latest frame as a resident's photo.
fn capture_photo(frames: &FrameShare, dir: Option<std::path::PathBuf>) -> Outcome {
    let frame = frames.lock().ok().and_then(|f| f.as_ref().map(|f| f.image.clone()));
    let Some(img) = frame else {
        return Outcome::Failed("no camera frame to take a photo from".into());
    };
    let Some(dir) = dir else {
        return Outcome::Failed("no data directory".into());
    };
    let path = dir.join(format!("{}.png", uuid::Uuid::new_v4().simple()));
    match std::fs::create_dir_all(&dir).map_err(|e| e.to_string()).and_then(|_| img.save(&path).map_err(|e| e.to_string())) {
        Ok(()) => Outcome::PhotoSaved(path),
        Err(e) => Outcome::Failed(format!("photo not saved: {e}")),
    }
}

fn save_qr(payload: &str, path: &std::path::Path) -> Outcome {
    let made = path.parent().map_or(Ok(()), std::fs::create_dir_all);
    match made.map_err(|e| Error::io("cannot create folder", e)).and_then(|_| crate::qr::write_png(payload, path, 8)) {
        Ok(()) => Outcome::Done(format!("saved {}", path.display())),
        Err(e) => failed("PNG not saved", e),
    }
}

/// A resident's photo, encoded for this terminal at the Scan screen's size.
fn load_photo(path: &str, picker: &ratatui_image::picker::Picker) -> Option<Photo> {
    let img = image::ImageReader::open(path).ok()?.with_guessed_format().ok()?.decode().ok()?;
    let area = ratatui::layout::Rect::new(0, 0, PHOTO_COLS, PHOTO_ROWS);
    picker.new_protocol(img, area, ratatui_image::Resize::Fit(None)).ok().map(Photo)
}
