//! Users, for admins: who may sign in, in what role, and whether they are
//! disabled or locked out; add one, unlock, disable or enable, and set a
//! new password. The core does the work (`service/users.rs`, as the CLI's
//! `user` commands): bcrypt cost 12, no default password, every change in
//! the ledger. A password is typed twice, masked, and never kept once sent.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::prompt::{Prompt, PromptKind};
use super::{Ctx, error_row, field_row, hhmmss, nav_keys, text_keys};
use crate::domain::user::{Role, User};
use crate::domain::validate::ValidationErrors;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome, Secret};
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::view::View;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Default)]
pub struct UsersState {
    pub rows: Vec<User>,
    pub selected: usize,
    pub form: Option<UserForm>,
    pub prompt: Option<Prompt>,
}

/// A new user, or a new password for `for_user`.
#[derive(Debug, Clone)]
pub struct UserForm {
    /// Some: setting this user's password; None: adding a user.
    pub for_user: Option<String>,
    pub username: TextField,
    pub display_name: TextField,
    pub role: Role,
    pub password: TextField,
    pub again: TextField,
    pub focus: usize,
    pub errors: ValidationErrors,
    pub busy: bool,
}

/// The rows of the form, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormRow {
    Username,
    Display,
    Role,
    Password,
    Again,
}

impl UserForm {
    pub fn add() -> UserForm {
        UserForm {
            for_user: None,
            username: TextField::new("Username", "username"),
            display_name: TextField::new("Display name", "display_name"),
            role: Role::Operator,
            password: TextField::masked("Password", "password"),
            again: TextField::masked("Again", "again"),
            focus: 0,
            errors: ValidationErrors::default(),
            busy: false,
        }
    }

    pub fn password_for(username: &str) -> UserForm {
        UserForm { for_user: Some(username.to_string()), ..UserForm::add() }
    }

    fn rows(&self) -> Vec<FormRow> {
        match self.for_user {
            Some(_) => vec![FormRow::Password, FormRow::Again],
            None => vec![FormRow::Username, FormRow::Display, FormRow::Role, FormRow::Password, FormRow::Again],
        }
    }

    fn focused(&self) -> FormRow {
        let rows = self.rows();
        rows[self.focus.min(rows.len() - 1)]
    }

    fn field_mut(&mut self, r: FormRow) -> Option<&mut TextField> {
        match r {
            FormRow::Username => Some(&mut self.username),
            FormRow::Display => Some(&mut self.display_name),
            FormRow::Password => Some(&mut self.password),
            FormRow::Again => Some(&mut self.again),
            FormRow::Role => None,
        }
    }

    fn field(&self, r: FormRow) -> Option<&TextField> {
        match r {
            FormRow::Username => Some(&self.username),
            FormRow::Display => Some(&self.display_name),
            FormRow::Password => Some(&self.password),
            FormRow::Again => Some(&self.again),
            FormRow::Role => None,
        }
    }

    fn dirty(&self) -> bool {
        [&self.username, &self.display_name, &self.password, &self.again].iter().any(|f| !f.is_empty())
    }

    /// The effect the form asks for, or what to fix first. The passwords
    /// leave the form with it.
    fn submit(&mut self) -> Option<Effect> {
        self.errors = ValidationErrors::default();
        let (pw, again) = (self.password.value(), self.again.value());
        if pw.is_empty() {
            self.errors.add("password", "type the new password (there is no default)");
        } else if pw != again {
            self.errors.add("again", "the two passwords differ");
        }
        if !self.errors.is_empty() {
            self.again.clear();
            return None;
        }
        self.password.clear();
        self.again.clear();
        self.busy = true;
        Some(match &self.for_user {
            Some(u) => Effect::SetPassword { username: u.clone(), password: Secret(pw) },
            None => Effect::AddUser {
                username: self.username.value().trim().to_string(),
                display_name: self.display_name.value().trim().to_string(),
                role: self.role,
                password: Secret(pw),
            },
        })
    }
}

impl UsersState {
    fn selected_user(&self) -> Option<&User> {
        self.rows.get(self.selected)
    }
}

/// `disabled`, `locked till 18:35`, `2 wrong`, or `active`. A lock stays
/// stored (with its end) until the next good sign-in or an unlock.
fn state(u: &User) -> String {
    match (u.disabled, &u.locked_until) {
        (true, _) => "disabled".into(),
        (false, Some(t)) => format!("locked till {}", hhmm(t)),
        _ if u.failed_attempts > 0 => format!("{} wrong", u.failed_attempts),
        _ => "active".into(),
    }
}

fn hhmm(stamp: &str) -> String {
    let t = hhmmss(stamp);
    t.get(..5).map(str::to_string).unwrap_or(t)
}

impl Component for UsersState {
    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        if let Some(f) = &self.form {
            // The role is a choice: ←→ or Space change it.
            if f.focused() == FormRow::Role && matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')) {
                return nav_keys(key.code);
            }
            return Some(text_keys(key));
        }
        let KeyCode::Char(c) = key.code else { return nav_keys(key.code) };
        match c {
            'a' => Some(Action::AddUser),
            'u' => Some(Action::Unlock),
            'd' => Some(Action::Deactivate),
            'p' => Some(Action::ResetPassword),
            'r' => Some(Action::Refresh),
            _ => None,
        }
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(prompt) = self.prompt.as_ref() {
            let kind = prompt.kind;
            return match (action, self.selected_user()) {
                (Action::Confirm(true), Some(u)) if kind == PromptKind::UserToggleConfirm => {
                    let e = Effect::SetUserDisabled { username: u.username.clone(), disabled: !u.disabled };
                    self.prompt = None;
                    vec![e]
                }
                (Action::Back | Action::Confirm(_), _) => {
                    self.prompt = None;
                    vec![]
                }
                _ => vec![],
            };
        }
        if let Some(form) = self.form.as_mut() {
            let n = form.rows().len();
            match action {
                Action::Back => self.form = None,
                Action::Up => form.focus = (form.focus + n - 1) % n,
                Action::Down => form.focus = (form.focus + 1) % n,
                Action::Cycle(_) => form.role = if form.role == Role::Admin { Role::Operator } else { Role::Admin },
                Action::Type(k) => {
                    let r = form.focused();
                    if let Some(f) = form.field_mut(r) {
                        f.input(k);
                        let key = f.key;
                        form.errors.0.retain(|e| e.field != key);
                    }
                }
                Action::Paste(s) => {
                    let r = form.focused();
                    if let Some(f) = form.field_mut(r) {
                        f.paste(&s);
                    }
                }
                Action::Submit if form.focus + 1 < n => form.focus += 1,
                Action::Submit if !form.busy => {
                    if let Some(e) = form.submit() {
                        return vec![e];
                    }
                    if let Some(first) = form.errors.0.first() {
                        cx.warn(first.message.clone());
                    }
                }
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            Action::Refresh => return vec![Effect::LoadUsers],
            Action::AddUser => self.form = Some(UserForm::add()),
            Action::ResetPassword => {
                if let Some(u) = self.selected_user() {
                    self.form = Some(UserForm::password_for(&u.username));
                }
            }
            Action::Unlock => match self.selected_user() {
                Some(u) if u.locked_until.is_some() || u.failed_attempts > 0 => {
                    return vec![Effect::UnlockUser(u.username.clone())];
                }
                Some(u) => cx.warn(format!("{} is not locked", u.username)),
                None => {}
            },
            Action::Deactivate => {
                if let Some(u) = self.selected_user() {
                    let q = if u.disabled {
                        format!("Enable {} ({}) so they can sign in again?", u.username, u.role.as_str())
                    } else {
                        format!("Disable {} ({})? They cannot sign in until enabled.", u.username, u.role.as_str())
                    };
                    self.prompt = Some(Prompt::asking(PromptKind::UserToggleConfirm, "User", q, ""));
                }
            }
            _ => {}
        }
        vec![]
    }

    fn outcome(&mut self, outcome: Outcome, cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Users(rows) => {
                self.rows = rows;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Outcome::UserChanged(msg) => {
                self.form = None;
                cx.say(msg);
                return vec![Effect::LoadUsers];
            }
            Outcome::UserRejected(e) => {
                if let Some(f) = self.form.as_mut() {
                    f.busy = false;
                    if let Some(first) = e.0.first() {
                        cx.warn(first.message.clone());
                        // To the field to fix.
                        let rows = f.rows();
                        if let Some(i) = rows.iter().position(|r| f.field(*r).is_some_and(|t| t.key == first.field)) {
                            f.focus = i;
                        }
                    }
                    f.errors = e;
                }
            }
            Outcome::Failed(_) => {
                if let Some(f) = self.form.as_mut() {
                    f.busy = false;
                }
            }
            _ => {}
        }
        vec![]
    }

    fn enter(&mut self) -> Vec<Effect> {
        vec![Effect::LoadUsers]
    }

    fn footer(&self) -> &'static str {
        match &self.form {
            Some(_) => "↑↓ field  ←→ role  Enter next/save  Esc cancel",
            None => "a add  u unlock  d disable/enable  p new password  r refresh  ? help",
        }
    }

    fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    fn editing_text(&self) -> bool {
        self.form.is_some()
    }

    fn dirty(&self) -> bool {
        self.form.as_ref().is_some_and(UserForm::dirty)
    }

    fn sign_out(&mut self) {
        *self = UsersState::default();
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        let theme = v.theme;
        match &self.form {
            Some(f) => render_form(f, theme, area, buf),
            None => render_list(self, theme, area, buf),
        }
        if let Some(p) = &self.prompt {
            p.render(theme, area, buf);
        }
    }
}

fn render_list(s: &UsersState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let [table, note] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let (start, shown) = super::table_window(s.selected, table.height);
    let name_w = table.width.saturating_sub(2 + 16 + 9 + 17 + 3) as usize;
    let rows: Vec<Row> = s
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
        .map(|(i, u)| {
            let st = state(u);
            let style = if u.disabled || st.starts_with("locked") { theme.error() } else { Style::default() };
            let r = Row::new(vec![
                Cell::from(text::fit(&visible(&u.username), 16).into_owned()),
                Cell::from(text::fit(&visible(&u.display_name), name_w).into_owned()),
                Cell::from(u.role.as_str()),
                Cell::from(Span::styled(st, style)),
            ]);
            if i == s.selected { r.style(theme.selected()) } else { r }
        })
        .collect();
    let widths = [Constraint::Length(16), Constraint::Fill(1), Constraint::Length(9), Constraint::Length(17)];
    let header = Row::new(["USERNAME", "NAME", "ROLE", "STATE"]).style(theme.title());
    let title = format!(" Users ({}) ", s.rows.len());
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(title)), table, buf);
    Paragraph::new(Span::styled(" Five wrong passwords lock a user for five minutes; u lifts it now.", theme.dim())).render(note, buf);
}

fn render_form(f: &UserForm, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let title = match &f.for_user {
        Some(u) => format!(" New password for {} ", visible(u)),
        None => " Add a user ".to_string(),
    };
    let block = Block::bordered().title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    for (i, r) in f.rows().into_iter().enumerate() {
        if y >= bottom {
            break;
        }
        let row = Rect { y, height: 1, ..inner };
        let focused = f.focus == i;
        match f.field(r) {
            Some(t) => field_row(t, focused, 14, theme, row, buf),
            None => {
                let marker = if focused { "▸ " } else { "  " };
                let spans = vec![
                    Span::styled(format!("{marker}{:<14}", "Role"), if focused { theme.focus() } else { Style::default() }),
                    Span::styled(format!("◂ {} ▸", f.role.as_str()), if focused { theme.selected() } else { Style::default() }),
                    Span::styled("  operators scan; admins also issue and manage", theme.dim()),
                ];
                Paragraph::new(Line::from(spans)).render(row, buf);
            }
        }
        y += 1;
        let key = f.field(r).map_or("role", |t| t.key);
        if let Some(e) = f.errors.get(key).filter(|_| y < bottom) {
            error_row(e, 14, theme, Rect { y, height: 1, ..inner }, buf);
            y += 1;
        }
    }
    // Errors with no row of their own (a name taken).
    for e in f.errors.0.iter().filter(|e| !["username", "display_name", "password", "again"].contains(&e.field)) {
        y += 1;
        if y < bottom {
            Paragraph::new(Span::styled(format!("  ✗ {}", e.message), theme.error())).render(Rect { y, height: 1, ..inner }, buf);
        }
    }
    let y = y + 1;
    if y < bottom {
        let hint = if f.busy { "saving… (a password takes a moment to hash)" } else { "at least 8 characters; typed twice; never shown" };
        Paragraph::new(Span::styled(format!("  {hint}"), theme.dim())).render(Rect { y, height: 1, ..inner }, buf);
    }
}
