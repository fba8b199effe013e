//! One channel for everything the loop reacts to: keys from the input
//! thread, ticks, camera events and the worker's results.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event as CtEvent, KeyEvent, KeyEventKind};

use super::effect::{Asker, Outcome};

#[derive(Debug)]
pub enum Event {
    /// A key and the moment it arrived, for telling a wedge scanner's burst from typing.
    Key(KeyEvent, Instant),
    Paste(String),
    Resize,
    Tick(Instant),
    /// A camera event, already debounced by the capture thread.
    Camera(CameraNote),
    /// A finished effect from the worker, for the one who asked.
    Done(Asker, Outcome),
}

/// What the camera path tells the UI: the capture thread's own events.
pub use crate::camera::CameraEvent as CameraNote;

/// Read terminal input until `stop` is set or the receiver is gone.
pub fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Poll, so the thread notices `stop` within a tenth of a second.
                match event::poll(Duration::from_millis(100)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => return,
                }
                let ev = match event::read() {
                    Ok(CtEvent::Key(k)) if k.kind != KeyEventKind::Release => Event::Key(k, Instant::now()),
                    Ok(CtEvent::Paste(s)) => Event::Paste(s),
                    Ok(CtEvent::Resize(..)) => Event::Resize,
                    Ok(_) => continue,
                    Err(_) => return,
                };
                if tx.send(ev).is_err() {
                    return;
                }
            }
        })
        .unwrap_or_else(|e| panic!("cannot start the input thread: {e}")) // ok: no thread, no UI
}

/// A tick every `every`, for the clock, wedge pauses and the preview.
pub fn spawn_ticker(tx: Sender<Event>, every: Duration) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("tick".into())
        .spawn(move || {
            while tx.send(Event::Tick(Instant::now())).is_ok() {
                std::thread::sleep(every);
            }
        })
        .unwrap_or_else(|e| panic!("cannot start the tick thread: {e}")) // ok: no thread, no UI
}
