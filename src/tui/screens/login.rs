//! Sign in: username, password, and the core's answer.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::{Ctx, field_row};
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome};
use crate::tui::forms::TextField;
use crate::tui::view::View;
use crate::tui::widgets::layout::centered;

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
    /// A scanner read on this screen: not checked, and not typed anywhere.
    pub fn scan_refused(&mut self) {
        self.error = Some(SCAN_REFUSED.into());
    }
}

impl Component for LoginState {
    /// Every key is the form's: no global key but the few before it.
    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        Some(match key.code {
            KeyCode::Enter => Action::Submit,
            KeyCode::Tab | KeyCode::Down => Action::Down,
            KeyCode::BackTab | KeyCode::Up => Action::Up,
            KeyCode::Esc => Action::Quit,
            _ => Action::Type(key),
        })
    }

    fn footer(&self) -> &'static str {
        "Enter next/sign in  Tab switch field  Esc quit"
    }

    /// A sign-in that failed: say why, and that a code read meanwhile was lost.
    fn outcome(&mut self, outcome: Outcome, _cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::LoginFailed(e) => {
                self.busy = false;
                let lost = self.pending_scan.take().is_some();
                self.error = Some(if lost { format!("{e} · a code read meanwhile was not checked") } else { e });
            }
            Outcome::Failed(_) => self.busy = false,
            _ => {}
        }
        vec![]
    }

    fn update(&mut self, action: Action, _cx: &mut Ctx) -> Vec<Effect> {
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

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(self, v, area, buf)
    }
}

fn render(l: &LoginState, v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    let r = centered(area, 60, 11);
    let block = Block::bordered().title(Span::styled(format!(" {} · sign in ", v.gate), theme.title()));
    let inner = block.inner(r);
    block.render(r, buf);
    let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
    Paragraph::new(Line::from(Span::styled(format!(" {}", v.cfg.event.name), theme.title()))).render(row(0), buf);
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
