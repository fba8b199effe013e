//! Telling a USB keyboard-wedge scanner from a person typing. A scanner
//! types a whole code in a burst, a few milliseconds a key, then Enter, Tab,
//! or nothing at all. A burst ended by a pause counts as a scan too.

use std::time::{Duration, Instant};

/// Longest gap between two keys of one burst.
pub const BURST_GAP: Duration = Duration::from_millis(40);
/// Silence after a burst that ends it, for scanners that send no terminator.
pub const END_PAUSE: Duration = Duration::from_millis(250);
/// Shortest burst taken for a scan without a terminator.
pub const MIN_BURST: usize = 12;

/// The characters of the payload alphabet.
pub fn is_payload_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'
}

#[derive(Debug, Clone, Default)]
pub struct Wedge {
    /// Keys typed into the scan entry so far.
    pub buffer: String,
    last_key: Option<Instant>,
    /// How many keys in a row arrived within BURST_GAP of the one before.
    fast_run: usize,
}

impl Wedge {
    pub fn push(&mut self, c: char, at: Instant) {
        let fast = self.last_key.is_some_and(|t| at.saturating_duration_since(t) <= BURST_GAP);
        self.fast_run = if fast { self.fast_run + 1 } else { 0 };
        self.buffer.push(c);
        self.last_key = Some(at);
    }

    pub fn backspace(&mut self) {
        self.buffer.pop();
        self.fast_run = 0;
    }

    /// Was the buffer typed as a scanner burst (rather than by hand)?
    pub fn was_burst(&self) -> bool {
        self.buffer.len() >= MIN_BURST && self.fast_run + 1 >= self.buffer.len() * 3 / 4
    }

    /// Enter or Tab: take whatever is in the buffer.
    pub fn take(&mut self) -> Option<String> {
        self.last_key = None;
        self.fast_run = 0;
        let s = std::mem::take(&mut self.buffer);
        (!s.trim().is_empty()).then_some(s)
    }

    /// On a tick: a burst followed by silence is a complete scan.
    pub fn take_if_paused(&mut self, now: Instant) -> Option<String> {
        let paused = self.last_key.is_some_and(|t| now.saturating_duration_since(t) >= END_PAUSE);
        if paused && self.was_burst() { self.take() } else { None }
    }

    pub fn clear(&mut self) {
        self.buffer.clear();
        self.last_key = None;
        self.fast_run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(w: &mut Wedge, s: &str, start: Instant, gap_ms: u64) -> Instant {
        let mut t = start;
        for c in s.chars() {
            w.push(c, t);
            t += Duration::from_millis(gap_ms);
        }
        t
    }

    #[test]
    fn burst_then_pause_is_a_scan() {
        let mut w = Wedge::default();
        let t0 = Instant::now();
        let end = typed(&mut w, "GH1-P-01-ABCDEFGHJK", t0, 5);
        assert_eq!(w.take_if_paused(end), None, "not yet paused");
        assert_eq!(w.take_if_paused(end + END_PAUSE).as_deref(), Some("GH1-P-01-ABCDEFGHJK"));
        assert!(w.buffer.is_empty());
    }

    #[test]
    fn slow_typing_waits_for_enter() {
        let mut w = Wedge::default();
        let t0 = Instant::now();
        let end = typed(&mut w, "GH1-P-01-ABCDEFGHJK", t0, 180);
        assert!(!w.was_burst());
        assert_eq!(w.take_if_paused(end + Duration::from_secs(5)), None);
        assert_eq!(w.take().as_deref(), Some("GH1-P-01-ABCDEFGHJK"));
    }

    #[test]
    fn short_bursts_are_not_scans() {
        let mut w = Wedge::default();
        let end = typed(&mut w, "ABC", Instant::now(), 5);
        assert_eq!(w.take_if_paused(end + END_PAUSE), None);
    }
}
