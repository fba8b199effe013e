//! Keys to actions: the current overlay or screen first, then global keys.

use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::{App, Screen};
use super::wedge::is_payload_char;

pub fn map(app: &App, key: KeyEvent, at: Instant) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.confirm_quit {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::ForceQuit),
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
    // In the resident form F5 takes the photo; elsewhere F2-F7 jump to a screen.
    if key.code == KeyCode::F(5) && app.screen == Screen::Residents && app.residents.form.is_some() {
        return Some(Action::CapturePhoto);
    }
    if let KeyCode::F(n @ 2..=7) = key.code {
        return Some(Action::GoTo(n as usize - 2));
    }
    // A prompt (void reason, export path, confirmation) takes every key.
    if app.prompt_open() {
        return Some(match key.code {
            KeyCode::Esc => Action::Back,
            KeyCode::Enter => Action::Submit,
            KeyCode::Char('y') if app.prompt_is_confirm() => Action::Confirm(true),
            KeyCode::Char('n') if app.prompt_is_confirm() => Action::Confirm(false),
            _ => Action::Type(key),
        });
    }
    match app.screen {
        Screen::Login => Some(match key.code {
            KeyCode::Enter => Action::Submit,
            KeyCode::Tab | KeyCode::Down => Action::Down,
            KeyCode::BackTab | KeyCode::Up => Action::Up,
            KeyCode::Esc => Action::Quit,
            _ => Action::Type(key),
        }),
        Screen::Scan => scan_keys(app, key, at),
        _ if app.editing_text() => Some(match key.code {
            KeyCode::Esc => Action::Back,
            KeyCode::Enter => Action::Submit,
            KeyCode::Up => Action::Up,
            KeyCode::Down => Action::Down,
            KeyCode::Tab => Action::NextTab,
            KeyCode::BackTab => Action::PrevTab,
            _ => Action::Type(key),
        }),
        _ => screen_keys(app, key).or_else(|| global(key)),
    }
}

/// On the Scan screen the payload alphabet goes to the entry; `?`, `q`,
/// Escape and lower-case letters stay hotkeys.
fn scan_keys(app: &App, key: KeyEvent, at: Instant) -> Option<Action> {
    match key.code {
        KeyCode::Char(c) if is_payload_char(c) && !key.modifiers.contains(KeyModifiers::CONTROL) => Some(Action::ScanChar(c, at)),
        KeyCode::Enter => Some(Action::ScanSubmit),
        // A wedge scanner may end a code with Tab.
        KeyCode::Tab if !app.scan.wedge.buffer.is_empty() => Some(Action::ScanSubmit),
        KeyCode::Backspace => Some(Action::ScanBackspace),
        KeyCode::Esc => Some(Action::Back),
        _ => global(key),
    }
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

fn screen_keys(app: &App, key: KeyEvent) -> Option<Action> {
    let code = key.code;
    let nav = match code {
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::Left => Some(Action::Cycle(-1)),
        KeyCode::Right | KeyCode::Char(' ') => Some(Action::Cycle(1)),
        KeyCode::Enter => Some(Action::Submit),
        _ => None,
    };
    let letter = |c: char| code == KeyCode::Char(c);
    match app.screen {
        Screen::Issue if app.issue.issued.is_some() => match code {
            KeyCode::Char('p') => Some(Action::Print),
            KeyCode::Char('s') => Some(Action::SavePng),
            KeyCode::Char('n') | KeyCode::Enter => Some(Action::IssueAnother),
            _ => None,
        },
        Screen::Issue => nav,
        Screen::Passes => {
            if letter('/') {
                Some(Action::StartSearch)
            } else if letter('t') {
                Some(Action::FilterType)
            } else if letter('s') {
                Some(Action::FilterStatus)
            } else if letter('m') {
                Some(Action::FilterPayment)
            } else if letter('o') {
                Some(Action::CycleSort)
            } else if letter('v') {
                Some(Action::Void)
            } else if letter('u') {
                Some(Action::Unscan)
            } else if letter('p') {
                Some(Action::Print)
            } else if letter('e') {
                Some(Action::Export)
            } else if letter('r') {
                Some(Action::Refresh)
            } else {
                nav
            }
        }
        Screen::Residents => {
            if letter('a') {
                Some(Action::AddResident)
            } else if letter('d') {
                Some(Action::Deactivate)
            } else if letter('p') {
                Some(Action::Print)
            } else if letter('r') {
                Some(Action::Refresh)
            } else if letter('/') {
                Some(Action::StartSearch)
            } else {
                nav
            }
        }
        Screen::Ledger => {
            if letter('v') {
                Some(Action::Verify)
            } else if letter('r') {
                Some(Action::Refresh)
            } else {
                nav
            }
        }
        Screen::Stats => letter('r').then_some(Action::Refresh),
        Screen::Login | Screen::Scan => None,
    }
}
