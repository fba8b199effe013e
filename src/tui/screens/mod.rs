//! One module per screen, each a `Component`: its state, its key map, its
//! `update` (actions in, effects out as data), the results it asked for,
//! and its drawing, which only reads. `Screen` names them, and its one
//! `match` is all a new screen adds besides its module and field.

pub mod checkin;
pub mod conflicts;
pub mod issue;
pub mod ledger;
pub mod login;
pub mod passes;
pub mod prompt;
pub mod residents;
pub mod scan;
pub mod stats;
pub mod users;

use std::path::Path;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::action::Action;
use super::component::Component;
use super::forms::TextField;
use super::theme::Theme;
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    Scan,
    Issue,
    Passes,
    Residents,
    Ledger,
    Stats,
    Users,
}

/// Every screen's state.
#[derive(Debug, Clone, Default)]
pub struct Screens {
    pub login: login::LoginState,
    pub scan: scan::ScanState,
    pub issue: issue::IssueForm,
    pub passes: passes::PassesState,
    pub residents: residents::ResidentsState,
    pub ledger: ledger::LedgerState,
    pub stats: stats::StatsScreen,
    pub users: users::UsersState,
}

/// A screen's name, who may open it, and where its state is.
struct Entry {
    title: &'static str,
    admin_only: bool,
    get: for<'a> fn(&'a Screens) -> &'a dyn Component,
    get_mut: for<'a> fn(&'a mut Screens) -> &'a mut dyn Component,
}

impl Screen {
    /// Every screen after sign-in, in tab order. A screen's place here is
    /// its key for every role (F2 + place, or 1 + place off Scan), so F3 is
    /// Issue for everyone and an operator is told it is not theirs.
    pub const FIXED: [Screen; 7] =
        [Screen::Scan, Screen::Issue, Screen::Passes, Screen::Residents, Screen::Ledger, Screen::Stats, Screen::Users];

    /// Every screen: the signed-in ones and the sign-in.
    pub const ALL: [Screen; 8] =
        [Screen::Login, Screen::Scan, Screen::Issue, Screen::Passes, Screen::Residents, Screen::Ledger, Screen::Stats, Screen::Users];

    /// The one place a screen is named: its title and its state.
    fn entry(self) -> Entry {
        match self {
            Screen::Login => Entry { title: "Login", admin_only: false, get: |s| &s.login, get_mut: |s| &mut s.login },
            Screen::Scan => Entry { title: "Scan", admin_only: false, get: |s| &s.scan, get_mut: |s| &mut s.scan },
            Screen::Issue => Entry { title: "Issue", admin_only: true, get: |s| &s.issue, get_mut: |s| &mut s.issue },
            Screen::Passes => Entry { title: "Passes", admin_only: true, get: |s| &s.passes, get_mut: |s| &mut s.passes },
            Screen::Residents => Entry { title: "Residents", admin_only: true, get: |s| &s.residents, get_mut: |s| &mut s.residents },
            Screen::Ledger => Entry { title: "Ledger", admin_only: true, get: |s| &s.ledger, get_mut: |s| &mut s.ledger },
            Screen::Stats => Entry { title: "Stats", admin_only: false, get: |s| &s.stats, get_mut: |s| &mut s.stats },
            Screen::Users => Entry { title: "Users", admin_only: true, get: |s| &s.users, get_mut: |s| &mut s.users },
        }
    }

    /// The screen's place in `FIXED` (Login has none).
    pub fn place(self) -> Option<usize> {
        Screen::FIXED.iter().position(|s| *s == self)
    }

    /// Its function key: F2 Scan … F7 Stats, then past F8 (sign out) and
    /// F9 (conflicts): F10 Users.
    pub fn fkey(self) -> Option<u8> {
        self.place().map(|i| if i < 6 { i as u8 + 2 } else { i as u8 + 4 })
    }

    /// The screen a function key opens.
    pub fn for_fkey(n: u8) -> Option<usize> {
        Screen::FIXED.iter().position(|s| s.fkey() == Some(n))
    }

    pub fn title(self) -> &'static str {
        self.entry().title
    }

    /// Operators have Scan and Stats; admins every screen.
    pub fn admin_only(self) -> bool {
        self.entry().admin_only
    }
}

impl Screens {
    pub fn get(&self, s: Screen) -> &dyn Component {
        (s.entry().get)(self)
    }

    pub fn get_mut(&mut self, s: Screen) -> &mut dyn Component {
        (s.entry().get_mut)(self)
    }
}

/// The footer's message: what just happened, or what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// What a screen's `update` may read besides its own state, and the one
/// shared thing it may set: the footer's message.
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub data_dir: &'a Path,
    pub status: &'a mut Option<Status>,
}

impl Ctx<'_> {
    pub fn say(&mut self, text: impl Into<String>) {
        *self.status = Some(Status { text: text.into(), error: false });
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        *self.status = Some(Status { text: text.into(), error: true });
    }
}

/// Keys while a text input has focus: letters and digits are text.
pub fn text_keys(key: KeyEvent) -> Action {
    match key.code {
        KeyCode::Esc => Action::Back,
        KeyCode::Enter => Action::Submit,
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        _ => Action::Type(key),
    }
}

/// Moving in a list or form, and changing a choice.
pub fn nav_keys(code: KeyCode) -> Option<Action> {
    match code {
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::Left => Some(Action::Cycle(-1)),
        KeyCode::Right | KeyCode::Char(' ') => Some(Action::Cycle(1)),
        KeyCode::Enter => Some(Action::Submit),
        _ => None,
    }
}

/// Pick the next value of a filter: all, then each value in turn.
pub fn cycle_opt<T: Clone + PartialEq>(all: &[T], cur: Option<&T>) -> Option<T> {
    match cur.and_then(|c| all.iter().position(|x| x == c)) {
        None => all.first().cloned(),
        Some(i) if i + 1 < all.len() => Some(all[i + 1].clone()),
        Some(_) => None,
    }
}

/// One labelled input row: `Label  value`, the focused one with a cursor.
pub fn field_row(f: &TextField, focused: bool, label_w: u16, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let marker = if focused { "▸ " } else { "  " };
    let label = format!("{marker}{:<w$}", f.label, w = label_w as usize);
    let lw = (label.chars().count() as u16).min(area.width);
    Paragraph::new(Span::styled(label, if focused { theme.focus() } else { Style::default() })).render(Rect { width: lw, ..area }, buf);
    let rest = Rect { x: area.x + lw, width: area.width.saturating_sub(lw), ..area };
    let value_w = rest.width.min(30);
    let vrect = Rect { width: value_w, ..rest };
    if focused {
        let mut ta = f.input.clone();
        ta.set_cursor_line_style(Style::default());
        ta.set_style(theme.selected());
        ta.render(vrect, buf);
    } else {
        let shown = match f.input.mask_char() {
            Some(m) => m.to_string().repeat(f.value().chars().count()),
            None => f.value(),
        };
        let shown = if shown.is_empty() { "·".repeat(value_w.min(3) as usize) } else { shown };
        Paragraph::new(Span::styled(shown, theme.dim().patch(Style::default()))).render(vrect, buf);
    }
}

/// The core's message for a field, on the line under it, lined up with the value.
pub fn error_row(error: &str, label_w: u16, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let indent = label_w + 2;
    let r = Rect { x: area.x + indent.min(area.width), width: area.width.saturating_sub(indent), ..area };
    Paragraph::new(Line::from(Span::styled(format!("✗ {error}"), theme.error()))).render(r, buf);
}

/// A list with, when open, its detail panel on the right.
pub fn split_detail(body: Rect, detail: bool, qr: Option<&str>) -> (Rect, Option<Rect>) {
    if !detail {
        return (body, None);
    }
    // Wide enough for the QR of the code shown where the window allows (a
    // GH2 code is 53 cells), else 42.
    let want = qr.and_then(crate::tui::widgets::halfblock::qr_cells).map_or(42, |(w, _)| (w + 2).max(42));
    let w = if body.width >= 30 + want { want } else { 42 };
    let [list, panel] =
        ratatui::layout::Layout::horizontal([ratatui::layout::Constraint::Min(30), ratatui::layout::Constraint::Length(w)]).areas(body);
    (list, Some(panel))
}

/// The rows a table of `height` cells shows so that `selected` stays in
/// view: (first row, how many). Three cells go to the borders and header.
pub fn table_window(selected: usize, height: u16) -> (usize, usize) {
    let visible = height.saturating_sub(3) as usize;
    (selected.saturating_sub(visible.saturating_sub(1)), visible)
}

pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// A timestamp shown as local wall time `HH:MM:SS`, or as stored when unparsable.
pub fn hhmmss(stamp: &str) -> String {
    crate::domain::clock::parse_stamp(stamp).map(|t| crate::domain::clock::shown(t, "%H:%M:%S")).unwrap_or_else(|| stamp.to_string())
}
