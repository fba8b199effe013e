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
    let issued = app.issue.issued.is_some();
    let KeyCode::Char(c) = code else {
        return match app.screen {
            Screen::Issue if issued => (code == KeyCode::Enter).then_some(Action::IssueAnother),
            Screen::Stats => None,
            _ => nav,
        };
    };
    // Each screen's letter keys; anything else falls through to the global keys.
    match (app.screen, c) {
        (Screen::Issue, 'p') if issued => Some(Action::Print),
        (Screen::Issue, 's') if issued => Some(Action::SavePng),
        (Screen::Issue, 'n') if issued => Some(Action::IssueAnother),
        (Screen::Issue, ' ') if !issued => nav,
        (Screen::Passes, '/') | (Screen::Residents, '/') => Some(Action::StartSearch),
        (Screen::Passes, 't') => Some(Action::FilterType),
        (Screen::Passes, 's') => Some(Action::FilterStatus),
        (Screen::Passes, 'm') => Some(Action::FilterPayment),
        (Screen::Passes, 'o') => Some(Action::CycleSort),
        (Screen::Passes, 'v') => Some(Action::Void),
        (Screen::Passes, 'u') => Some(Action::Unscan),
        (Screen::Passes, 'p') | (Screen::Residents, 'p') => Some(Action::Print),
        (Screen::Passes, 'e') => Some(Action::Export),
        (Screen::Passes | Screen::Residents | Screen::Ledger | Screen::Stats, 'r') => Some(Action::Refresh),
        (Screen::Passes | Screen::Residents | Screen::Ledger, ' ') => nav,
        (Screen::Residents, 'a') => Some(Action::AddResident),
        (Screen::Residents, 'd') => Some(Action::Deactivate),
        (Screen::Ledger, 'v') => Some(Action::Verify),
        _ => None,
    }
}
