//! A screen as a component (ratatui's component template, gitui's tabs):
//! its own state, its keys, its `update` (actions in, effects out as data),
//! the results of the effects it asked for, and its drawing, which only
//! reads. The `App` routes to the open one and knows no screen's insides.

use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::action::Action;
use super::effect::{Effect, Outcome};
use super::screens::Ctx;
use super::screens::prompt::Prompt;
use super::view::View;

pub trait Component {
    /// The screen's key map. None: the global keys decide.
    fn key(&self, key: KeyEvent, at: Instant) -> Option<Action>;

    /// Keys the screen takes before the screen jumps (F2-F7), e.g. a form's
    /// own function key.
    fn hotkey(&self, _key: KeyEvent) -> Option<Action> {
        None
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect>;

    /// The result of an effect this screen asked for. A failure reaches
    /// only the screen that asked (the App puts its message in the footer).
    fn outcome(&mut self, _outcome: Outcome, _cx: &mut Ctx) -> Vec<Effect> {
        vec![]
    }

    fn render(&self, view: &View, area: Rect, buf: &mut Buffer);

    /// The screen opens: what it loads.
    fn enter(&mut self) -> Vec<Effect> {
        vec![]
    }

    /// A scan changed what the screen may show (a pass's status).
    fn scanned(&mut self) -> Vec<Effect> {
        vec![]
    }

    /// The keys of the screen as it stands, for the footer.
    fn footer(&self) -> &'static str;

    /// A question the screen asked, which then takes every key.
    fn prompt(&self) -> Option<&Prompt> {
        None
    }

    /// Is a text input focused, so that letters and digits are text?
    fn editing_text(&self) -> bool {
        false
    }

    /// Unsaved input that quitting or signing out would lose.
    fn dirty(&self) -> bool {
        false
    }

    /// Someone signed out: forget what the next operator must not see.
    fn sign_out(&mut self) {}
}
