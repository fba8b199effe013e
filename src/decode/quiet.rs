//! Calling a decoder that may panic, without a word on stderr.
//!
//! rqrr 0.11 panics on some photos (an assertion in its perspective
//! geometry). `catch_unwind` keeps the program alive, but the default panic
//! hook would still print the message over the terminal UI. A wrapper hook,
//! installed once, stays silent while this thread is inside a decoder call
//! and hands every other panic to the hook that was there before.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Whether this thread is inside a decoder call. A panic hook installed
/// later (a terminal UI restoring the screen) can check it and stay out of
/// the way of a panic that is about to be caught.
pub fn in_decoder() -> bool {
    INSIDE.with(Cell::get)
}

/// Install the silencing wrapper around the current panic hook; later calls
/// do nothing. Called by every decode, so calling it is only needed to fix
/// the order of hooks (install the terminal's hook first, then this).
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if in_decoder() {
                tracing::debug!("decoder panic caught: {info}");
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`; a panic inside it becomes `None`, silently.
pub fn catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    install_panic_hook();
    let was = INSIDE.with(|c| c.replace(true));
    let out = catch_unwind(AssertUnwindSafe(f));
    INSIDE.with(|c| c.set(was));
    out.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_none_and_the_flag_is_cleared() {
        assert_eq!(catch(|| 7), Some(7));
        let r: Option<()> = catch(|| panic!("inside the decoder"));
        assert!(r.is_none());
        assert!(!in_decoder());
    }
}
