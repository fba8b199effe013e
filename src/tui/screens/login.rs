//! Sign in: username, password, and the core's answer.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::field_row;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::effect::Effect;
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::ui::centered;

/// What the sign-in screen says to a scan: the guest is not let in.
pub const SCAN_REFUSED: &str = "SIGN IN TO SCAN: that code was not checked; scan it again after signing in";

#[derive(Debug, Clone)]
pub struct LoginState {
    pub user: TextField,
    pub pass: TextField,
    pub focus_pass: bool,
    pub error: Option<String>,
    pub busy: bool,
    /// A scan read while the sign-in was being checked: scanned once it
    /// succeeds, reported as not checked if it fails.
    pub pending_scan: Option<(String, std::time::Instant)>,
}

impl Default for LoginState {
    fn default() -> Self {
        LoginState {
            user: TextField::new("Username", "username"),
            pass: TextField::masked("Password", "password"),
            focus_pass: false,
            error: None,
            busy: false,
            pending_scan: None,
        }
    }
}

impl LoginState {
    pub fn key(&self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Enter => Action::Submit,
            KeyCode::Tab | KeyCode::Down => Action::Down,
            KeyCode::BackTab | KeyCode::Up => Action::Up,
            KeyCode::Esc => Action::Quit,
            _ => Action::Type(key),
        }
    }

    /// A scanner read on this screen: not checked, and not typed anywhere.
    pub fn scan_refused(&mut self) {
        self.error = Some(SCAN_REFUSED.into());
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Up | Action::Down => self.focus_pass = !self.focus_pass,
            Action::Type(k) => {
                if self.focus_pass {
                    self.pass.input(k)
                } else {
                    self.user.input(k)
                }
            }
            Action::Paste(s) => {
                if self.focus_pass {
                    self.pass.paste(&s)
                } else {
                    self.user.paste(&s)
                }
            }
            Action::Submit if !self.busy => {
                if !self.focus_pass {
                    self.focus_pass = true;
                    return vec![];
                }
                let username = self.user.value().trim().to_string();
                if username.is_empty() {
                    self.error = Some("enter your username".into());
                    self.focus_pass = false;
                    return vec![];
                }
                self.busy = true;
                self.error = None;
                let password = self.pass.value();
                self.pass.clear();
                return vec![Effect::Login { username, password }];
            }
            _ => {}
        }
        vec![]
    }
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let r = centered(area, 60, 11);
    let block = Block::bordered().title(Span::styled(format!(" {} · sign in ", app.gate), theme.title()));
    let inner = block.inner(r);
    block.render(r, buf);
    let l = &app.login;
    let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
    Paragraph::new(Line::from(Span::styled(format!(" {}", app.cfg.event.name), theme.title()))).render(row(0), buf);
    field_row(&l.user, !l.focus_pass, 9, theme, row(2), buf);
    field_row(&l.pass, l.focus_pass, 9, theme, row(4), buf);
    let msg = match (&l.error, l.busy) {
        (_, true) => Line::from(Span::styled("checking…", theme.dim())),
        (Some(e), _) => Line::from(Span::styled(e.clone(), theme.error())),
        (None, _) => Line::from(Span::styled("Enter to continue", theme.dim())),
    };
    // A lockout message is long: it wraps over the box's last rows, every
    // row indented alike (the indent is the area's, not leading spaces).
    let rows = Rect { x: inner.x + 2, y: inner.y + 6, width: inner.width.saturating_sub(2), height: inner.height.saturating_sub(6) };
    Paragraph::new(msg).wrap(Wrap { trim: true }).render(rows, buf);
}
