//! The terminal console. Input, tick and camera threads send `Event`s on one
//! channel; keys become `Action`s; `App::update` changes state and returns
//! `Effect`s; the worker runs them against the core and answers with events;
//! the screen is redrawn from state.

pub mod action;
pub mod app;
pub mod effect;
pub mod event;
pub mod forms;
pub mod keys;
pub mod screens;
pub mod theme;
pub mod ui;
pub mod wedge;
pub mod widgets;
pub mod worker;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};

use self::action::Action;
use self::app::App;
use self::effect::{Bell, Effect};
use self::event::Event;
use self::theme::Theme;
use crate::service::Gatehouse;

/// 25 redraws a second at most; each tick also refreshes the clock.
const TICK: Duration = Duration::from_millis(40);

pub fn run(g: Gatehouse, gate: String) -> Result<ExitCode> {
    let theme = Theme::from_env();
    let data_dir = g.paths().map(|p| p.data_dir.clone()).unwrap_or_default();
    let mut app = App::new(g.cfg.clone(), gate.clone(), data_dir);
    let (tx, rx) = mpsc::channel::<Event>();
    let (jobs_tx, jobs_rx) = mpsc::channel::<Effect>();
    let frames: worker::FrameShare = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));

    let mut terminal = ratatui::try_init().context("cannot open the terminal")?;
    let worker = worker::spawn(g, gate, jobs_rx, tx.clone(), frames.clone());
    let input = event::spawn_input(tx.clone(), stop.clone());
    let _ticker = event::spawn_ticker(tx.clone(), TICK);
    drop(tx);

    let result = (|| -> Result<()> {
        loop {
            terminal.draw(|f| ui::draw(f, &app, &theme))?;
            let first = rx.recv().context("the event channel closed")?;
            // Take everything already waiting before the next redraw, so a
            // scanner's burst of keys costs one frame, not sixty.
            let mut pending = vec![first];
            while let Ok(ev) = rx.try_recv() {
                pending.push(ev);
            }
            for ev in pending {
                let effects = handle(&mut app, ev);
                for e in effects {
                    match e {
                        Effect::Quit => {}
                        Effect::Bell(b) => ring(b),
                        other => {
                            let _ = jobs_tx.send(other);
                        }
                    }
                }
                if app.quit {
                    return Ok(());
                }
            }
        }
    })();
    stop.store(true, Ordering::Relaxed);
    ratatui::restore();
    drop(jobs_tx);
    let _ = input.join();
    let _ = worker.join();
    result.map(|_| ExitCode::SUCCESS)
}

fn handle(app: &mut App, ev: Event) -> Vec<Effect> {
    match ev {
        Event::Key(k, at) => keys::map(app, k, at).map(|a| app.update(a)).unwrap_or_default(),
        Event::Paste(s) => app.update(Action::Paste(s)),
        Event::Resize => vec![],
        Event::Tick(now) => app.tick(now, chrono::Local::now().format("%H:%M:%S").to_string()),
        Event::Camera(note) => app.camera(note),
        Event::Done(o) => app.apply(o),
        Event::Progress(n) => {
            app.progress(n);
            vec![]
        }
    }
}

/// One bell for a person let through; three for a denial.
fn ring(b: Bell) {
    let n = match b {
        Bell::Admit => 1,
        Bell::Deny => 3,
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(&b"\x07\x07\x07"[..n]);
    let _ = out.flush();
}
