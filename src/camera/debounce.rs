//! The same code read again and again while it stays in front of the lens
//! (or a scanner firing twice) must be scanned once: otherwise a person just
//! admitted would see ALREADY USED on the next frame.

use std::collections::HashMap;
use std::time::Duration;

/// Remembers when each text was last seen. A text is let through when it
/// was not seen within `window` before now; every sighting, let through or
/// not, restarts its window (sliding), so a code held up for a minute is
/// scanned once, and again only after it has been out of sight for `window`.
///
/// Time is an explicit input (any monotonic clock, as a duration since a
/// start of your choosing), so the type is pure and testable.
#[derive(Debug, Clone)]
pub struct Debouncer {
    window: Duration,
    last_seen: HashMap<String, Duration>,
}

/// Distinct texts remembered at most; the oldest is forgotten first. Bounds
/// the memory when junk codes flood in.
const CAPACITY: usize = 64;

impl Debouncer {
    pub fn new(window: Duration) -> Debouncer {
        Debouncer { window, last_seen: HashMap::new() }
    }

    /// From `scan.camera_debounce_secs` (validated as finite and >= 0).
    pub fn from_secs(secs: f64) -> Debouncer {
        Debouncer::new(Duration::try_from_secs_f64(secs).unwrap_or_default())
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Record that `text` was seen at `now`; `true` when it should be acted on.
    pub fn accept(&mut self, text: &str, now: Duration) -> bool {
        let window = self.window;
        self.last_seen.retain(|_, &mut t| now.saturating_sub(t) < window);
        let fresh = match self.last_seen.get(text) {
            Some(&t) => now.saturating_sub(t) >= window,
            None => true,
        };
        if self.last_seen.len() >= CAPACITY
            && !self.last_seen.contains_key(text)
            && let Some(oldest) = self.last_seen.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone())
        {
            self.last_seen.remove(&oldest);
        }
        self.last_seen.insert(text.to_owned(), now);
        fresh
    }

    /// Forget everything (e.g. when the operator switches gates).
    pub fn clear(&mut self) {
        self.last_seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    #[test]
    fn first_sighting_passes_repeats_within_the_window_do_not() {
        let mut d = Debouncer::new(s(3.0));
        assert!(d.accept("A", s(0.0)));
        assert!(!d.accept("A", s(0.1)));
        assert!(!d.accept("A", s(2.9)));
    }

    #[test]
    fn the_window_slides_from_the_last_sighting() {
        let mut d = Debouncer::new(s(3.0));
        assert!(d.accept("A", s(0.0)));
        // Held in view: seen every second for ten seconds, never re-sent.
        for t in 1..=10 {
            assert!(!d.accept("A", s(t as f64)), "re-sent at {t} s");
        }
        // Out of sight for exactly the window: sent again.
        assert!(d.accept("A", s(13.0)));
    }

    #[test]
    fn texts_are_independent() {
        let mut d = Debouncer::new(s(3.0));
        assert!(d.accept("A", s(0.0)));
        assert!(d.accept("B", s(0.5)));
        assert!(!d.accept("A", s(1.0)));
        assert!(!d.accept("B", s(1.0)));
        assert!(d.accept("C", s(1.0)));
    }

    #[test]
    fn zero_window_lets_everything_through() {
        let mut d = Debouncer::from_secs(0.0);
        assert!(d.accept("A", s(0.0)));
        assert!(d.accept("A", s(0.0)));
    }

    #[test]
    fn memory_is_bounded_and_time_going_backwards_is_harmless() {
        let mut d = Debouncer::new(s(100.0));
        for i in 0..1000 {
            assert!(d.accept(&format!("junk {i}"), s(i as f64 * 0.01)));
        }
        assert!(d.last_seen.len() <= CAPACITY);
        // The newest are remembered.
        assert!(!d.accept("junk 999", s(10.0)));
        // A clock that steps back counts as "just now".
        assert!(!d.accept("junk 999", s(1.0)));
    }
}
