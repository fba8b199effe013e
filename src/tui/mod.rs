//! The terminal console. Input, tick and camera threads send `Event`s on one
//! channel; keys become `Action`s; `App::update` changes state and returns
//! `Effect`s; the worker runs them against the core and answers with events;
//! the screen is redrawn from state.

pub mod action;
pub mod app;
pub mod component;
pub mod effect;
pub mod event;
pub mod forms;
pub mod keys;
pub mod offline;
pub mod screens;
pub mod theme;
pub mod ui;
pub mod view;
pub mod wedge;
pub mod widgets;
pub mod worker;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};

use self::action::Action;
use self::app::App;
use self::effect::{Bell, Effect, Job};
use self::event::Event;
use self::theme::Theme;
use crate::camera::SourceSpec;
use crate::service::Gate;

/// 25 redraws a second at most; each tick also refreshes the clock.
const TICK: Duration = Duration::from_millis(40);

/// The pause between the bells of a denial.
const BELL_GAP: Duration = Duration::from_millis(150);

/// How often the console logs its redraw rate and memory.
const STATS_EVERY: Duration = Duration::from_secs(10);

/// Preview frames are shrunk to this width before they reach the state.
const PREVIEW_WIDTH: u32 = 160;

pub fn run(core: Gate, gate: String, camera: SourceSpec, started: std::time::Instant) -> Result<ExitCode> {
    let theme = Theme::from_env();
    let data_dir = core.paths().map(|p| p.data_dir.clone()).unwrap_or_default();
    let mut app = App::new(core.cfg().clone(), gate.clone(), data_dir);
    // A gate with a server keeps scanning offline; a timed sync job feeds the header.
    app.remote = core.has_remote();
    let (tx, rx) = mpsc::channel::<Event>();
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let frames = crate::camera::frame_slot();
    let stop = Arc::new(AtomicBool::new(false));
    let settings = core.cfg().capture_settings();

    let mut terminal = ratatui::try_init().context("cannot open the terminal")?;
    // After ratatui's hook (which restores the terminal): decoder panics are
    // caught, and their messages must stay off the screen we own.
    crate::decode::install_panic_hook();
    let worker = worker::spawn(core, gate, jobs_rx, tx.clone(), frames.clone(), image_picker());
    let input = event::spawn_input(tx.clone(), stop.clone());
    let _ticker = event::spawn_ticker(tx.clone(), TICK);
    // The camera starts once someone is signed in: a code held up before
    // that would be read, dropped, and then debounced while it stays in view.
    let camera_tx = tx.clone();
    let mut camera = Some(camera).filter(|c| *c != SourceSpec::None);
    let mut capture = None;
    drop(tx);
    let mut preview_seq = 0u64;

    let mut last_frame: Option<ratatui::buffer::Buffer> = None;
    let mut draws = 0u64;
    let mut first_drawn = false;
    let mut window = std::time::Instant::now();
    let result = (|| -> Result<()> {
        loop {
            // A row of joined script (Devanagari) that changed is drawn
            // whole: terminals measure its clusters unlike unicode-width,
            // and a diff of single cells would leave stray marks behind.
            let size = terminal.size()?;
            let mut next = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, size.width, size.height));
            ui::render(&app, &theme, next.area, &mut next);
            if last_frame.as_ref().is_some_and(|prev| widgets::text::clustered_rows_changed(prev, &next)) {
                terminal.clear()?;
            }
            last_frame = Some(next);
            terminal.draw(|f| ui::draw(f, &app, &theme))?;
            draws += 1;
            if !first_drawn {
                first_drawn = true;
                tracing::info!(ms = started.elapsed().as_secs_f64() * 1000.0, "console: first screen drawn");
            }
            if window.elapsed() >= STATS_EVERY {
                let fps = draws as f64 / window.elapsed().as_secs_f64();
                tracing::info!(fps = format!("{fps:.1}"), rss_kb = rss_kb(), camera = app.camera_ok, "console: redraw rate");
                draws = 0;
                window = std::time::Instant::now();
            }
            let first = rx.recv().context("the event channel closed")?;
            // Take everything already waiting before the next redraw, so a
            // scanner's burst of keys costs one frame, not sixty.
            let mut pending = vec![first];
            while let Ok(ev) = rx.try_recv() {
                pending.push(ev);
            }
            for ev in pending {
                if matches!(ev, Event::Tick(_)) {
                    refresh_preview(&mut app, &frames, &mut preview_seq);
                }
                let effects = handle(&mut app, ev);
                for job in effects {
                    match job.effect {
                        Effect::Quit => {}
                        Effect::Bell(b) => ring(b),
                        _ => {
                            let _ = jobs_tx.send(job);
                        }
                    }
                }
                if app.quit {
                    return Ok(());
                }
                if app.actor.is_some()
                    && let Some(spec) = camera.take()
                {
                    let ctx = camera_tx.clone();
                    let sink = Box::new(move |e| ctx.send(Event::Camera(e)).is_ok());
                    capture = Some(crate::camera::spawn(spec, settings.clone(), frames.clone(), sink));
                }
            }
        }
    })();
    stop.store(true, Ordering::Relaxed);
    ratatui::restore();
    if let Some(c) = capture {
        c.stop();
    }
    drop(jobs_tx);
    let _ = input.join();
    let _ = worker.join();
    result.map(|_| ExitCode::SUCCESS)
}

/// How photos are drawn. Half blocks work in every terminal and are the
/// default: asking the terminal what it supports leaves a reader on stdin
/// that can swallow the first keys typed (seen in tmux). GATEHOUSE_IMAGES=auto
/// asks anyway; =sixel, =kitty or =iterm2 names the protocol outright.
fn image_picker() -> ratatui_image::picker::Picker {
    use ratatui_image::picker::{Picker, ProtocolType, cap_parser::QueryStdioOptions};
    let want = std::env::var("GATEHOUSE_IMAGES").unwrap_or_default().to_ascii_lowercase();
    let forced = match want.as_str() {
        "sixel" => Some(ProtocolType::Sixel),
        "kitty" => Some(ProtocolType::Kitty),
        "iterm2" => Some(ProtocolType::Iterm2),
        _ => None,
    };
    if let Some(p) = forced {
        let mut picker = Picker::halfblocks();
        picker.set_protocol_type(p);
        return picker;
    }
    if want == "auto" {
        let mut options = QueryStdioOptions::default();
        options.timeout = Duration::from_millis(250);
        return Picker::from_query_stdio_with_options(options).unwrap_or_else(|_| Picker::halfblocks());
    }
    Picker::halfblocks()
}

/// Resident memory of this process in KiB, from /proc (Linux); 0 elsewhere.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))))
        .unwrap_or(0)
}

/// Copy a new camera frame, shrunk, into the state the preview draws from.
fn refresh_preview(app: &mut App, frames: &crate::camera::FrameSlot, seen: &mut u64) {
    if !app.camera_ok {
        return;
    }
    let Ok(slot) = frames.lock() else { return };
    let Some(f) = slot.as_ref().filter(|f| f.seq != *seen) else { return };
    *seen = f.seq;
    let (w, h) = (f.image.width().max(1), f.image.height().max(1));
    let pw = PREVIEW_WIDTH.min(w);
    let ph = (h * pw / w).max(1);
    let small = image::imageops::thumbnail(&f.image, pw, ph);
    drop(slot);
    app.preview = Some(small);
}

fn handle(app: &mut App, ev: Event) -> Vec<Job> {
    match ev {
        Event::Key(k, at) => app.key(k, at),
        Event::Paste(s) => app.update(Action::Paste(s)),
        Event::Resize => vec![],
        Event::Tick(now) => app.tick(now, crate::domain::clock::shown(chrono::Utc::now(), "%H:%M:%S")),
        Event::Camera(note) => app.camera(note),
        Event::Done(to, o) => app.apply(to, o),
    }
}

/// One bell for a person let through; three quick ones for a denial, 150 ms
/// apart so the terminal does not merge them into one beep; two slow ones
/// for a pass already used, so the operator hears "seen before", not
/// "forged". Rung on a thread of its own so the pauses never hold up the screen.
fn ring(b: Bell) {
    let (n, gap) = match b {
        Bell::Admit => (1, BELL_GAP),
        Bell::AlreadyUsed => (2, BELL_GAP * 4),
        Bell::Deny => (3, BELL_GAP),
    };
    let rang = std::thread::Builder::new().name("bell".into()).spawn(move || {
        for i in 0..n {
            if i > 0 {
                std::thread::sleep(gap);
            }
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
        }
    });
    if let Err(e) = rang {
        tracing::warn!("cannot ring the bell: {e}");
    }
}
