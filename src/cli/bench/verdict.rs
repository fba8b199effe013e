//! The console's answer to a camera read, without a terminal, for `bench
//! camera`: the console's own `App` takes the read (`App::camera`), the
//! scan runs on a gate over a scratch SQLite file, the outcome goes back
//! to the screen that asked (`App::apply`), and the screen is drawn by the console's render
//! (`tui::ui::draw`) into a ratatui `TestBackend` of 80x24. The time each
//! verdict finished drawing is what the code-to-verdict figure ends on.

use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Result, anyhow};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::camera::CameraEvent;
use crate::config::Config;
use crate::tui::app::{App, Screen};
use crate::tui::effect::{Effect, Job, Outcome};
use crate::tui::theme::Theme;

/// What the console did with the reads it was handed: when each verdict
/// was drawn (in the order of the reads), and the verdicts' words.
#[derive(Debug, Default)]
pub struct Drawn {
    pub at: Vec<Instant>,
    pub verdicts: std::collections::BTreeMap<String, usize>,
    pub errors: Vec<String>,
    /// The last screen drawn, as text (rows joined by newlines).
    pub last_screen: String,
}

/// A console on a thread of its own, answering the camera's events from
/// `events` until the sender is dropped.
pub fn spawn(events: Receiver<CameraEvent>) -> Result<JoinHandle<Result<Drawn>>> {
    let (scratch, gate) = super::scratch(None)?;
    std::thread::Builder::new()
        .name("bench-console".into())
        .spawn(move || {
            let _scratch = scratch;
            answer(gate, events)
        })
        .map_err(|e| anyhow!("cannot start the bench console: {e}"))
}

fn answer(mut gate: crate::service::Gatehouse, events: Receiver<CameraEvent>) -> Result<Drawn> {
    let actor = super::admin();
    let theme = Theme::from_env();
    let mut app = App::new(Config::default(), "bench".into(), std::env::temp_dir());
    // Signed in, on the scan screen, as a console is when codes arrive.
    app.apply(Screen::Login, Outcome::LoggedIn(actor.clone()));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).map_err(|e| anyhow!("test terminal: {e}"))?;
    let mut drawn = Drawn::default();
    for event in events {
        if let CameraEvent::Error(m) = &event {
            drawn.errors.push(m.clone());
        }
        let decoded = matches!(event, CameraEvent::Decoded(_));
        for Job { asker, effect } in app.camera(event) {
            if let Effect::Scan { payload, source, .. } = effect {
                // As the console's worker scans a read (`tui::worker`), on
                // the gate's own file.
                let outcome = match gate.scan(payload.as_bytes(), &actor, "bench") {
                    Ok(out) => {
                        *drawn.verdicts.entry(out.verdict.to_string()).or_default() += 1;
                        Outcome::Scanned(Box::new(out), source, None)
                    }
                    Err(e) => Outcome::Failed(format!("scan not recorded: {e}")),
                };
                // Back to the screen that asked, as the worker's answer goes.
                app.apply(asker, outcome);
            }
        }
        if decoded {
            terminal.draw(|f| crate::tui::ui::draw(f, &app, &theme)).map_err(|e| anyhow!("drawing: {e}"))?;
            drawn.at.push(Instant::now());
        }
    }
    let buffer = terminal.backend().buffer();
    let rows = (0..buffer.area.height).map(|y| (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect::<String>());
    drawn.last_screen = rows.collect::<Vec<_>>().join("\n");
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_scanned_and_its_verdict_drawn_on_the_scan_screen() {
        let (tx, rx) = std::sync::mpsc::channel();
        let console = spawn(rx).unwrap();
        tx.send(CameraEvent::Opened("replay".into())).unwrap();
        tx.send(CameraEvent::Decoded("not a pass".into())).unwrap();
        drop(tx);
        let drawn = console.join().unwrap().unwrap();
        assert_eq!(drawn.at.len(), 1);
        assert_eq!(drawn.verdicts.iter().map(|(v, n)| (v.as_str(), *n)).collect::<Vec<_>>(), [("MALFORMED", 1)]);
        // The verdict's box, headed by the scan's number and verdict.
        assert!(drawn.last_screen.contains("#1 MALFORMED"), "{}", drawn.last_screen);
    }
}
