//! The worker thread owns the core (and so the database). It runs effects
//! one at a time and sends each result back as an event, so a slow query
//! never holds up a redraw.

use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;

use super::effect::{Effect, Outcome, PHOTO_COLS, PHOTO_ROWS, Photo};
use super::event::Event;
use crate::domain::user::Actor;
use crate::error::Error;
use crate::service::{ExportKind, Gatehouse};

/// The latest camera frame, shared with the capture thread.
pub type FrameShare = crate::camera::FrameSlot;

pub fn spawn(
    mut g: Gatehouse,
    gate: String,
    jobs: Receiver<Effect>,
    events: Sender<Event>,
    frames: FrameShare,
    picker: ratatui_image::picker::Picker,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            let mut actor: Option<Actor> = None;
            // On a PostgreSQL gate, scans go online first within a budget,
            // else offline from the replica (docs/offline.md).
            let mut offline = match (g.db_link(), g.paths().cloned()) {
                (Some(_), Some(paths)) => {
                    crate::service::offline::Gate::open(&paths).map_err(|e| tracing::warn!(%e, "scans stay online-only")).ok()
                }
                _ => None,
            };
            for effect in jobs {
                let outcome = match (&effect, offline.as_mut(), actor.as_ref()) {
                    (Effect::Scan { payload, source }, Some(o), Some(a)) => scan_offline_capable(o, a, &gate, payload, *source, &picker),
                    _ => run(&mut g, &gate, &mut actor, effect, &events, &frames, &picker),
                };
                if events.send(Event::Done(outcome)).is_err() {
                    return;
                }
            }
        })
        .unwrap_or_else(|e| panic!("cannot start the worker thread: {e}")) // ok: no worker, no UI
}

/// A scan through the offline-capable gate; an offline verdict says so on
/// the Scan screen (as its warning line).
fn scan_offline_capable(
    o: &mut crate::service::offline::Gate,
    a: &Actor,
    gate: &str,
    payload: &str,
    source: super::effect::ScanSource,
    picker: &ratatui_image::picker::Picker,
) -> Outcome {
    match o.scan(payload.as_bytes(), a, gate) {
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

fn run(
    g: &mut Gatehouse,
    gate: &str,
    actor: &mut Option<Actor>,
    effect: Effect,
    events: &Sender<Event>,
    frames: &FrameShare,
    picker: &ratatui_image::picker::Picker,
) -> Outcome {
    if let Effect::Login { username, password } = &effect {
        return match g.authenticate(username, password) {
            Ok(a) => {
                tracing::info!(user = %a.username, "signed in to the console");
                *actor = Some(a.clone());
                Outcome::LoggedIn(a)
            }
            Err(e) => Outcome::LoginFailed(e.to_string()),
        };
    }
    if let Effect::SignOut = &effect {
        if let Some(a) = actor.take() {
            tracing::info!(user = %a.username, "signed out of the console");
        }
        return Outcome::Done(String::new());
    }
    let Some(a) = actor.clone() else {
        return Outcome::Failed("sign in first".into());
    };
    match effect {
        Effect::Login { .. } | Effect::SignOut | Effect::Bell(_) | Effect::Quit => Outcome::Done(String::new()),
        Effect::Scan { payload, source } => match g.scan(payload.as_bytes(), &a, gate) {
            Ok(out) => {
                let photo = out.resident.as_ref().and_then(|r| r.photo.as_deref()).and_then(|p| load_photo(p, picker));
                Outcome::Scanned(Box::new(out), source, photo)
            }
            Err(e) => failed("scan not recorded", e),
        },
        Effect::FindCheckIn(q) => match g.find_for_checkin(&q) {
            Ok(rows) => Outcome::Found(q, rows),
            Err(e) => failed("cannot search", e),
        },
        Effect::ScanManual { id, reason } => match g.scan_manual(&id, Some(&reason), &a, gate) {
            Ok(out) => {
                let photo = out.resident.as_ref().and_then(|r| r.photo.as_deref()).and_then(|p| load_photo(p, picker));
                Outcome::Scanned(Box::new(out), super::effect::ScanSource::CheckIn, photo)
            }
            Err(e) => failed("not checked in", e),
        },
        Effect::Issue(req) => match g.issue_pass(&a, &req) {
            Ok(p) => Outcome::Issued(Box::new(g.pass_view(p))),
            Err(Error::Validation(v)) => Outcome::IssueRejected(v),
            Err(Error::DuplicatePass { existing_id }) => {
                let mut v = crate::domain::validate::ValidationErrors::default();
                v.add("name", format!("a pass for this holder exists: {}", &existing_id[..8.min(existing_id.len())]));
                Outcome::IssueRejected(v)
            }
            Err(e) => failed("pass not issued", e),
        },
        Effect::LoadPasses(f) => match g.list_passes(&f) {
            Ok(list) => Outcome::Passes(list.into_iter().map(|p| Box::new(g.pass_view(p))).collect()),
            Err(e) => failed("cannot load passes", e),
        },
        Effect::VoidPass { id, reason } => match g.void_pass(&a, &id, &reason) {
            Ok(p) => Outcome::PassChanged(Box::new(p), "voided"),
            Err(e) => failed("not voided", e),
        },
        Effect::UnscanPass { id, reason } => match g.unscan_pass(&a, &id, &reason) {
            Ok(p) => Outcome::PassChanged(Box::new(p), "is unused again"),
            Err(e) => failed("not unscanned", e),
        },
        Effect::LoadResidents(search) => match g.list_residents(search.as_deref(), true) {
            Ok(list) => Outcome::Residents(list.into_iter().map(|r| g.resident_view(r)).collect()),
            Err(e) => failed("cannot load residents", e),
        },
        Effect::AddResident(req) => match g.add_resident(&a, &req) {
            Ok(r) => Outcome::ResidentAdded(Box::new(g.resident_view(r))),
            Err(Error::Validation(v)) => Outcome::ResidentRejected(v),
            Err(e) => failed("resident not registered", e),
        },
        Effect::DeactivateResident { id, reason } => match g.deactivate_resident(&a, &id, &reason) {
            Ok(r) => Outcome::Done(format!("deactivated {}", r.name)),
            Err(e) => failed("not deactivated", e),
        },
        Effect::CapturePhoto => {
            let frame = frames.lock().ok().and_then(|f| f.as_ref().map(|f| f.image.clone()));
            let Some(img) = frame else {
                return Outcome::Failed("no camera frame to take a photo from".into());
            };
            let Some(dir) = g.paths().map(|p| p.data_dir.join("photos")) else {
                return Outcome::Failed("no data directory".into());
            };
            let path = dir.join(format!("{}.png", uuid::Uuid::new_v4().simple()));
            match std::fs::create_dir_all(&dir).map_err(|e| e.to_string()).and_then(|_| img.save(&path).map_err(|e| e.to_string())) {
                Ok(()) => Outcome::PhotoSaved(path),
                Err(e) => Outcome::Failed(format!("photo not saved: {e}")),
            }
        }
        Effect::LoadLedger => match g.ledger_recent(200).and_then(|b| Ok((b, g.ledger_count()?))) {
            Ok((b, n)) => Outcome::Ledger(b, n),
            Err(e) => failed("cannot load the ledger", e),
        },
        Effect::VerifyLedger => {
            if let Ok(n) = g.ledger_count() {
                let recent = g.ledger_recent(200).unwrap_or_default();
                let _ = events.send(Event::Done(Outcome::Ledger(recent, n)));
            }
            match g.verify_all(None, false, &mut |done| {
                let _ = events.send(Event::Progress(done));
            }) {
                Ok(r) => Outcome::Verified(Box::new(r)),
                Err(e) => failed("verification failed to run", e),
            }
        }
        Effect::LoadStats => match g.stats() {
            Ok(s) => Outcome::Stats(Box::new(s)),
            Err(e) => failed("cannot load stats", e),
        },
        Effect::SaveQr { payload, path } => {
            let made = path.parent().map_or(Ok(()), std::fs::create_dir_all);
            match made.map_err(|e| Error::io("cannot create folder", e)).and_then(|_| crate::qr::write_png(&payload, &path, 8)) {
                Ok(()) => Outcome::Done(format!("saved {}", path.display())),
                Err(e) => failed("PNG not saved", e),
            }
        }
        // A failed print changes nothing; the message says what to fix and
        // the key can be pressed again.
        Effect::Print { pass_id: Some(id), .. } => match g.get_pass(&id) {
            Ok(p) => match crate::print::print_pass(&g.cfg, &p, &g.pass_payload(&p), None, None) {
                Ok(()) => Outcome::Done(format!("printed pass {}", crate::print::short_id(&p.id))),
                Err(e) => Outcome::Failed(format!("print failed: {e}")),
            },
            Err(e) => failed("print failed", e),
        },
        Effect::Print { resident_id: Some(id), .. } => match g.get_resident(&id) {
            Ok(r) => match crate::print::print_resident(&g.cfg, &r, &g.resident_payload(&r), None, None) {
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
        Effect::Backup => match g.backup(None) {
            Ok((file, _)) => {
                tracing::info!("hourly backup {}", file.display());
                Outcome::Done(format!("backup written: {}", file.display()))
            }
            Err(e) => failed("backup failed", e),
        },
    }
}

/// A resident's photo, encoded for this terminal at the Scan screen's size.
fn load_photo(path: &str, picker: &ratatui_image::picker::Picker) -> Option<Photo> {
    let img = image::ImageReader::open(path).ok()?.with_guessed_format().ok()?.decode().ok()?;
    let area = ratatui::layout::Rect::new(0, 0, PHOTO_COLS, PHOTO_ROWS);
    picker.new_protocol(img, area, ratatui_image::Resize::Fit(None)).ok().map(Photo)
}
