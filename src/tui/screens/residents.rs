//! Residents: who is IN and OUT, registration, detail with the card's QR.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::prompt::{Prompt, PromptKind};
use super::{Ctx, error_row, field_row, nav_keys, text_keys};
use crate::domain::resident::{Presence, ResidentRequest};
use crate::domain::validate::ValidationErrors;
use crate::service::ResidentView;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome};
use crate::tui::forms::TextField;
use crate::tui::view::View;
use crate::tui::widgets::halfblock;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Default)]
pub struct ResidentsState {
    pub rows: Vec<ResidentView>,
    pub selected: usize,
    pub detail: bool,
    pub form: Option<ResidentForm>,
    pub prompt: Option<Prompt>,
    /// Esc was pressed once on a filled form: the next Esc discards it.
    pub discard_armed: bool,
    /// `/`: name, room, phone or id prefix, searched as you type.
    pub search: String,
    pub searching: bool,
}

#[derive(Debug, Clone)]
pub struct ResidentForm {
    pub fields: Vec<TextField>,
    pub focus: usize,
    pub errors: ValidationErrors,
    pub busy: bool,
}

impl Default for ResidentForm {
    fn default() -> Self {
        ResidentForm {
            fields: vec![
                TextField::new("Name", "name"),
                TextField::new("Room", "room"),
                TextField::new("Floor", "floor"),
                TextField::new("Phone", "phone"),
                TextField::new("E-mail", "email"),
                TextField::new("Address", "address"),
                TextField::new("Move-in date", "move_in"),
                TextField::new("Occupation", "occupation"),
                TextField::new("Emergency contact", "emergency_contact"),
                TextField::new("Photo file", "photo"),
            ],
            focus: 0,
            errors: ValidationErrors::default(),
            busy: false,
        }
    }
}

impl ResidentForm {
    pub fn get(&self, key: &str) -> String {
        self.fields.iter().find(|f| f.key == key).map(TextField::value).unwrap_or_default()
    }

    pub fn set(&mut self, key: &str, v: &str) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == key) {
            f.set(v);
        }
    }

    pub fn dirty(&self) -> bool {
        self.fields.iter().any(|f| !f.is_empty())
    }

    pub fn request(&self) -> ResidentRequest {
        let photo = self.get("photo");
        ResidentRequest {
            name: self.get("name"),
            room: self.get("room"),
            floor: self.get("floor"),
            phone: self.get("phone"),
            email: self.get("email"),
            address: self.get("address"),
            move_in: self.get("move_in"),
            occupation: self.get("occupation"),
            emergency_contact: self.get("emergency_contact"),
            photo: (!photo.trim().is_empty()).then_some(photo),
        }
    }
}

impl ResidentsState {
    fn selected_resident(&self) -> Option<&ResidentView> {
        self.rows.get(self.selected)
    }

    pub fn reload(&self) -> Effect {
        Effect::LoadResidents(Some(self.search.trim().to_string()).filter(|s| !s.is_empty()))
    }
}

impl Component for ResidentsState {
    fn hotkey(&self, key: KeyEvent) -> Option<Action> {
        // In the form F5 takes the photo; elsewhere it opens a screen.
        (key.code == KeyCode::F(5) && self.form.is_some()).then_some(Action::CapturePhoto)
    }

    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        if self.searching {
            return Some(text_keys(key));
        }
        if self.form.is_some() {
            return Some(if key.code == KeyCode::F(5) { Action::CapturePhoto } else { text_keys(key) });
        }
        let KeyCode::Char(c) = key.code else { return nav_keys(key.code) };
        match c {
            '/' => Some(Action::StartSearch),
            'p' => Some(Action::Print),
            'r' => Some(Action::Refresh),
            'a' => Some(Action::AddResident),
            'd' => Some(Action::Deactivate),
            ' ' => nav_keys(key.code),
            _ => None,
        }
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        if self.prompt.is_some() {
            return self.answer(action, cx);
        }
        if let Some(form) = self.form.as_mut() {
            let n = form.fields.len();
            if action != Action::Back {
                self.discard_armed = false;
            }
            match action {
                Action::Up => form.focus = (form.focus + n - 1) % n,
                Action::Down => form.focus = (form.focus + 1) % n,
                Action::Type(k) => {
                    let f = &mut form.fields[form.focus];
                    f.input(k);
                    let key = f.key;
                    form.errors.0.retain(|e| e.field != key);
                }
                Action::Paste(s) => form.fields[form.focus].paste(&s),
                Action::Back if form.dirty() && !self.discard_armed => {
                    self.discard_armed = true;
                    cx.warn("the form holds input: press Esc again to discard it");
                    return vec![];
                }
                Action::Back => {
                    self.form = None;
                    *cx.status = None;
                }
                Action::CapturePhoto => return vec![Effect::CapturePhoto],
                Action::Submit if form.focus + 1 < n => form.focus += 1,
                Action::Submit if !form.busy => {
                    form.busy = true;
                    form.errors = Default::default();
                    return vec![Effect::AddResident(form.request())];
                }
                _ => {}
            }
            return vec![];
        }
        if self.searching {
            match action {
                Action::Type(k) => {
                    match k.code {
                        KeyCode::Char(c) => self.search.push(c),
                        KeyCode::Backspace => {
                            self.search.pop();
                        }
                        _ => return vec![],
                    }
                    self.selected = 0;
                    return vec![self.reload()];
                }
                Action::Paste(s) => {
                    self.search.push_str(&s.replace(['\n', '\r'], " "));
                    return vec![self.reload()];
                }
                Action::Back | Action::Submit | Action::Down => self.searching = false,
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::StartSearch => self.searching = true,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            Action::Submit => self.detail = !self.rows.is_empty(),
            Action::Back if !self.detail && !self.search.is_empty() => {
                self.search.clear();
                return vec![self.reload()];
            }
            Action::Back => self.detail = false,
            Action::AddResident => {
                self.form = Some(ResidentForm::default());
                self.detail = false;
            }
            Action::Refresh => return vec![self.reload()],
            Action::Deactivate if self.selected_resident().is_some_and(|v| v.resident.active) => {
                let who = self.selected_resident().map(|v| format!("{} ({})", v.resident.name, v.resident.room)).unwrap_or_default();
                self.prompt =
                    Some(Prompt::asking(PromptKind::DeactivateReason, "Reason", format!("Deactivate the card of {who}: reason"), ""));
            }
            Action::Print => {
                if let Some(v) = self.selected_resident() {
                    return vec![Effect::Print { pass_id: None, resident_id: Some(v.resident.id.clone()) }];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn outcome(&mut self, outcome: Outcome, cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Residents(rows) => {
                self.rows = rows;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Outcome::ResidentAdded(v) => {
                self.form = None;
                cx.say(format!("registered {} ({})", v.resident.name, v.resident.room));
                let id = v.resident.id.clone();
                self.rows.push(*v);
                self.selected = self.rows.iter().position(|r| r.resident.id == id).unwrap_or(0);
                self.detail = true;
                return vec![self.reload()];
            }
            Outcome::ResidentRejected(e) => {
                if let Some(f) = self.form.as_mut() {
                    f.busy = false;
                    f.errors = e;
                }
            }
            Outcome::PhotoSaved(path) => {
                if let Some(f) = self.form.as_mut() {
                    f.set("photo", &path.display().to_string());
                }
                cx.say(format!("photo saved to {}", path.display()));
            }
            Outcome::Failed(_) => {
                if let Some(f) = self.form.as_mut() {
                    f.busy = false;
                }
            }
            // A deactivation (or a print) done: the list shows it without `r`.
            Outcome::Done(_) => return vec![self.reload()],
            _ => {}
        }
        vec![]
    }

    fn enter(&mut self) -> Vec<Effect> {
        vec![self.reload()]
    }

    /// A resident's card read meanwhile turns them IN or OUT: shown without `r`.
    fn scanned(&mut self) -> Vec<Effect> {
        vec![self.reload()]
    }

    fn footer(&self) -> &'static str {
        if self.searching {
            "type a name, room or phone  Enter/Esc done"
        } else if self.form.is_some() {
            "↑↓ field  Enter next/save  F5 photo from camera  Esc cancel"
        } else {
            "/ search  a add  Enter detail/QR  d deactivate  p print  r refresh  ? help"
        }
    }

    fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    fn editing_text(&self) -> bool {
        self.searching || self.form.is_some()
    }

    fn dirty(&self) -> bool {
        self.form.as_ref().is_some_and(ResidentForm::dirty) || self.prompt.is_some()
    }

    fn sign_out(&mut self) {
        *self = ResidentsState::default();
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(self, v, area, buf)
    }
}

impl ResidentsState {
    fn answer(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else { return vec![] };
        let reason = prompt.input.value().trim().to_string();
        match (action, prompt.kind) {
            (Action::Back | Action::Confirm(false), _) => self.prompt = None,
            (Action::Type(k), _) => prompt.input.input(k),
            (Action::Paste(s), _) => prompt.input.paste(&s),
            (Action::Submit, PromptKind::DeactivateReason) if reason.is_empty() => cx.warn("a reason is required"),
            (Action::Submit, PromptKind::DeactivateReason) => {
                let who = self.selected_resident().map(|v| format!("{} ({})", v.resident.name, v.resident.room)).unwrap_or_default();
                self.prompt = Some(Prompt::asking(PromptKind::DeactivateConfirm, "Reason", format!("Deactivate {who}? y/n"), &reason));
            }
            (Action::Confirm(true), PromptKind::DeactivateConfirm) => {
                self.prompt = None;
                if let Some(r) = self.selected_resident() {
                    return vec![Effect::DeactivateResident { id: r.resident.id.clone(), reason }];
                }
            }
            _ => {}
        }
        vec![]
    }
}

fn render(r: &ResidentsState, v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    if let Some(form) = &r.form {
        let block = Block::bordered().title(Span::styled(" Register a resident ", theme.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut y = inner.y;
        for (i, f) in form.fields.iter().enumerate() {
            if y >= inner.y + inner.height {
                break;
            }
            field_row(f, form.focus == i, 18, theme, Rect { y, height: 1, ..inner }, buf);
            y += 1;
            if let Some(e) = form.errors.get(f.key).filter(|_| y < inner.y + inner.height) {
                error_row(e, 18, theme, Rect { y, height: 1, ..inner }, buf);
                y += 1;
            }
        }
        let y = y + 1;
        if y < inner.y + inner.height {
            let hint = if form.busy { "saving…" } else { "Enter on the last field saves · F5 takes the photo with the camera" };
            Paragraph::new(Span::styled(format!("  {hint}"), theme.dim())).render(Rect { y, height: 1, ..inner }, buf);
        }
        return;
    }
    let active: Vec<_> = r.rows.iter().filter(|v| v.resident.active).collect();
    let inside = active.iter().filter(|v| v.resident.status == Presence::In).count();
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    Paragraph::new(Line::from(vec![
        Span::styled(" / ", theme.key()),
        Span::styled(
            text::pad(&if r.searching { format!("{}▏", visible(&r.search)) } else { visible(&r.search).into_owned() }, 14),
            if r.searching { theme.selected() } else { theme.dim() },
        ),
        Span::raw(format!(" {} resident{} · ", active.len(), if active.len() == 1 { "" } else { "s" })),
        Span::styled(format!("{inside} IN"), theme.ok()),
        Span::raw(format!(" · {} OUT", active.len() - inside)),
    ]))
    .render(bar, buf);
    let (table_area, detail_area) = super::split_detail(body, r.detail, r.rows.get(r.selected).map(|v| v.payload.as_str()));
    // Only columns that fit, so the layout has one answer.
    let wide = table_area.width >= 50;
    let (start, shown) = super::table_window(r.selected, table_area.height);
    let rows: Vec<Row> = r
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
        .map(|(i, v)| {
            let x = &v.resident;
            let status = if x.active { x.status.as_str() } else { "off" };
            let name_w = table_area.width.saturating_sub(if wide { 2 + 8 + 4 + 14 + 3 } else { 2 + 8 + 4 + 2 }) as usize;
            let mut cells = vec![
                Cell::from(text::fit(&visible(&x.room), 8).into_owned()),
                Cell::from(text::fit(&visible(&x.name), name_w).into_owned()),
                Cell::from(status),
            ];
            if wide {
                cells.push(Cell::from(text::fit(&visible(&x.phone), 14).into_owned()));
            }
            let row = Row::new(cells);
            if i == r.selected { row.style(theme.selected()) } else { row }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![Constraint::Length(8), Constraint::Fill(1), Constraint::Length(4), Constraint::Length(14)]
    } else {
        vec![Constraint::Length(8), Constraint::Fill(1), Constraint::Length(4)]
    };
    let header = if wide { Row::new(["ROOM", "NAME", "NOW", "PHONE"]) } else { Row::new(["ROOM", "NAME", "NOW"]) }.style(theme.title());
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(" Residents ")), table_area, buf);
    if let (Some(area), Some(v)) = (detail_area, r.rows.get(r.selected)) {
        let x = &v.resident;
        // Who, room and status ride on the border, and the panel has no
        // bottom border: the card's QR needs every row there is at 80x24.
        let status = if x.active { x.status.as_str() } else { "inactive" };
        let title = format!(" {} · room {} · {status} ", visible(&x.name), visible(&x.room));
        let block = Block::new()
            .borders(ratatui::widgets::Borders::TOP | ratatui::widgets::Borders::LEFT | ratatui::widgets::Borders::RIGHT)
            .title(Span::styled(text::fit(&title, area.width.saturating_sub(2) as usize).into_owned(), theme.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        halfblock::qr_panel(&v.payload, inner, buf, theme, "p prints the card.");
    }
    if let Some(prompt) = &r.prompt {
        prompt.render(theme, area, buf);
    }
}
