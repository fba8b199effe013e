//! The scanner path: telling a USB keyboard-wedge scanner from a person
//! typing, ahead of every key binding. A scanner types a whole code in a
//! burst, a few milliseconds a key, then Enter, Tab, or nothing at all.
//!
//! A burst is told by its timing alone, never by its characters: a code
//! from another system (a URL, a UPI link, `HELLO-WORLD`) is still a scan,
//! so it gets a verdict and never acts as keys. Every printable key is held
//! here first, for at most `BURST_GAP`. A long enough burst becomes a scan,
//! whatever the screen (sign-in included); a single key goes on to the
//! bindings as a person's key; a short fast run goes on marked `fast`, so
//! it may be text but never a command.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Longest gap between two keys of one burst. Scanners send a key every
/// 1-10 ms; a person's fastest rollover is about that, but never for long.
pub const BURST_GAP: Duration = Duration::from_millis(30);
/// Silence after a burst that ends it, for scanners that send no terminator.
/// An Enter or Tab inside it still ends the burst (and is not passed on).
pub const END_PAUSE: Duration = Duration::from_millis(250);
/// Shortest burst taken for a scan: eight keys each within `BURST_GAP` of
/// the last is no person's typing. Short ids and 11-character codes count.
pub const MIN_BURST: usize = 8;

/// The characters of the payload alphabet, in either case (a scanner with
/// Caps Lock on, or set to lower case), and of the short id.
pub fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// What the scanner path lets through.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A key for the bindings; `fast` when it came in a run too quick for a
    /// person and too short for a code: text, never a command.
    Key { key: KeyEvent, at: Instant, fast: bool },
    /// A complete burst: a scan, from whatever screen is open.
    Scan { text: String, at: Instant },
}

#[derive(Debug, Clone, Default)]
pub struct Wedge {
    /// Keys that may be a burst, each with its arrival time.
    held: Vec<(KeyEvent, Instant)>,
}

/// Any printable key may be part of a burst: what decides is the timing.
fn could_be_code(key: &KeyEvent) -> bool {
    let KeyCode::Char(c) = key.code else { return false };
    !c.is_control() && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

impl Wedge {
    /// Is a burst being held back right now?
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The text held so far.
    pub fn text(&self) -> String {
        self.held.iter().filter_map(|(k, _)| if let KeyCode::Char(c) = k.code { Some(c) } else { None }).collect()
    }

    /// A burst long enough for a code, and not one key held down: a key's
    /// auto-repeat can be as quick as a scanner, but a code is never one
    /// character over and over.
    fn is_code(&self) -> bool {
        let mut chars = self.held.iter().filter_map(|(k, _)| if let KeyCode::Char(c) = k.code { Some(c) } else { None });
        let first = chars.next();
        self.held.len() >= MIN_BURST && chars.any(|c| Some(c) != first)
    }

    fn last(&self) -> Option<Instant> {
        self.held.last().map(|(_, t)| *t)
    }

    /// One key from the terminal, with the moment it arrived.
    pub fn key(&mut self, key: KeyEvent, at: Instant) -> Vec<Input> {
        let mut out = Vec::new();
        let gap = self.last().map(|t| at.saturating_duration_since(t));
        if could_be_code(&key) {
            if gap.is_some_and(|g| g > BURST_GAP) {
                out.extend(self.settle(at));
            }
            self.held.push((key, at));
            return out;
        }
        let terminator = matches!(key.code, KeyCode::Enter | KeyCode::Tab);
        if terminator && self.is_code() && gap.is_some_and(|g| g <= END_PAUSE) {
            out.push(Input::Scan { text: self.text(), at });
            self.clear();
            return out;
        }
        out.extend(self.settle(at));
        out.push(Input::Key { key, at, fast: false });
        out
    }

    /// On a tick: a burst that stopped is a scan after END_PAUSE; keys
    /// that came alone or in a short run go on after BURST_GAP.
    pub fn tick(&mut self, now: Instant) -> Vec<Input> {
        let Some(last) = self.last() else { return vec![] };
        let quiet = now.saturating_duration_since(last);
        let wait = if self.held.len() >= MIN_BURST { END_PAUSE } else { BURST_GAP + Duration::from_millis(1) };
        if quiet >= wait { self.settle(now) } else { vec![] }
    }

    /// The held keys are finished: a scan, or keys for the bindings.
    fn settle(&mut self, now: Instant) -> Vec<Input> {
        if self.is_code() {
            let text = self.text();
            self.clear();
            return vec![Input::Scan { text, at: now }];
        }
        let held = std::mem::take(&mut self.held);
        let fast = held.len() > 1;
        held.into_iter().map(|(key, at)| Input::Key { key, at, fast }).collect()
    }

    pub fn clear(&mut self) {
        self.held.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn typed(w: &mut Wedge, s: &str, start: Instant, gap_ms: u64) -> (Vec<Input>, Instant) {
        let mut t = start;
        let mut out = Vec::new();
        for c in s.chars() {
            out.extend(w.key(k(c), t));
            out.extend(w.tick(t));
            t += Duration::from_millis(gap_ms);
        }
        (out, t - Duration::from_millis(gap_ms))
    }

    fn scans(v: &[Input]) -> Vec<String> {
        v.iter().filter_map(|i| if let Input::Scan { text, .. } = i { Some(text.clone()) } else { None }).collect()
    }

    #[test]
    fn burst_then_pause_is_a_scan() {
        let mut w = Wedge::default();
        let (out, end) = typed(&mut w, "GH1-P-01-ABCDEFGHJK", Instant::now(), 5);
        assert!(out.is_empty(), "all held: {out:?}");
        assert!(w.tick(end + BURST_GAP * 2).is_empty(), "not yet paused");
        assert_eq!(scans(&w.tick(end + END_PAUSE)), vec!["GH1-P-01-ABCDEFGHJK"]);
        assert!(!w.holding());
    }

    #[test]
    fn burst_then_enter_is_a_scan_and_the_enter_is_not_passed_on() {
        let mut w = Wedge::default();
        let (_, end) = typed(&mut w, "gh1-p-01-qqqqabcd", Instant::now(), 3);
        let out = w.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), end + Duration::from_millis(3));
        assert_eq!(out.len(), 1);
        assert_eq!(scans(&out), vec!["gh1-p-01-qqqqabcd"]);
    }

    #[test]
    fn slow_typing_passes_each_key_on_as_a_persons_key() {
        let mut w = Wedge::default();
        let (out, _) = typed(&mut w, "GH1-P-01-ABCDEFGHJK", Instant::now(), 180);
        assert!(scans(&out).is_empty());
        assert!(out.iter().all(|i| matches!(i, Input::Key { fast: false, .. })));
        assert_eq!(out.len(), 18, "the last key is still held: {out:?}");
    }

    #[test]
    fn short_fast_runs_are_text_only() {
        let mut w = Wedge::default();
        let (_, end) = typed(&mut w, "qv", Instant::now(), 5);
        let out = w.tick(end + BURST_GAP * 2);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|i| matches!(i, Input::Key { fast: true, .. })));
    }

    #[test]
    fn other_keys_end_a_short_run_and_follow_it() {
        let mut w = Wedge::default();
        let t = Instant::now();
        w.key(k('a'), t);
        let out = w.key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE), t + Duration::from_millis(10));
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[1], Input::Key { key, .. } if key.code == KeyCode::Down));
    }

    #[test]
    fn a_foreign_code_is_a_scan_whatever_its_characters() {
        for code in ["https://example.com/t/12345", "upi://pay?pa=shop@bank&am=10", "HELLO-WORLD", "ABCDEFGHIJK", "Some Ticket 42"] {
            let mut w = Wedge::default();
            let (out, end) = typed(&mut w, code, Instant::now(), 2);
            assert!(out.is_empty(), "{code}: a key got through: {out:?}");
            let out = w.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), end + Duration::from_millis(2));
            assert_eq!(scans(&out), vec![code.to_string()], "{code}");
        }
    }

    #[test]
    fn a_short_fast_run_with_a_slash_never_becomes_a_command_key() {
        let mut w = Wedge::default();
        let (_, end) = typed(&mut w, "a/b", Instant::now(), 3);
        let out = w.tick(end + BURST_GAP * 2);
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|i| matches!(i, Input::Key { fast: true, .. })));
    }

    #[test]
    fn a_burst_broken_by_a_persons_pause_is_not_one_scan() {
        let mut w = Wedge::default();
        let t = Instant::now();
        let (out, _) = typed(&mut w, "GH1-P", t, 5);
        assert!(out.is_empty());
        let (out, _) = typed(&mut w, "-01", t + Duration::from_millis(400), 5);
        assert!(scans(&out).is_empty() && out.len() == 5, "{out:?}");
    }

    #[test]
    fn a_key_held_down_is_text_not_a_scan() {
        let mut w = Wedge::default();
        let (out, end) = typed(&mut w, &"x".repeat(20), Instant::now(), 15);
        let mut out = out;
        out.extend(w.tick(end + END_PAUSE));
        assert!(scans(&out).is_empty(), "{out:?}");
        assert_eq!(out.len(), 20);
        assert!(out.iter().all(|i| matches!(i, Input::Key { fast: true, .. })), "text, never a command");
    }
}
