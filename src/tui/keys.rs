//! Keys to actions: quitting, help and screen jumps first, then an open
//! prompt, then the open screen's own keys, then the global keys.

use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::App;

pub fn map(app: &App, key: KeyEvent, at: Instant) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.confirm_quit || app.confirm_sign_out {
        let yes = if app.confirm_quit { Action::ForceQuit } else { Action::SignOut };
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => Some(yes),
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::Confirm(false)),
            _ => None,
        };
    }
    if app.help {
        return Some(match key.code {
            KeyCode::Char('q') => Action::Quit,
            _ => Action::ToggleHelp,
        });
    }
    if key.code == KeyCode::F(1) {
        return Some(Action::ToggleHelp);
    }
    // The conflicts list, over every screen, answers first.
    if let Some(list) = &app.conflict_list {
        return list.key(key);
    }
    // The conflict alert: F9 lists the open ones to acknowledge, on every screen.
    if key.code == KeyCode::F(9) && app.actor.is_some() && app.alert().is_some() {
        return Some(Action::AckConflict);
    }
    if key.code == KeyCode::F(8) && app.actor.is_some() {
        return Some(Action::SignOut);
    }
    // A screen's own function key (the resident form's F5 photo); else F2-F7 jump to a screen.
    let open = app.open();
    if let Some(a) = open.hotkey(key) {
        return Some(a);
    }
    if let KeyCode::F(n @ 2..=7) = key.code {
        return Some(Action::GoTo(n as usize - 2));
    }
    if let Some(p) = app.prompt() {
        return Some(p.key(key));
    }
    open.key(key, at).or_else(|| global(key))
}

fn global(key: KeyEvent) -> Option<Action> {
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        KeyCode::Char(c @ '1'..='9') => Action::GoTo(c as usize - '1' as usize),
        KeyCode::Esc => Action::Back,
        _ => return None,
    })
}
