//! The admin's issue form, and the pass with its QR once issued.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::{Ctx, error_row, field_row, nav_keys, short, text_keys};
use crate::config::Config;
use crate::domain::pass::{PassRequest, format_money};
use crate::domain::rules::TypeRule;
use crate::domain::validate::ValidationErrors;
use crate::service::PassView;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome};
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::view::View;
use crate::tui::widgets::halfblock;
use crate::tui::widgets::text::visible;

/// The issue form's fields in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueField {
    Type,
    Name,
    Phone,
    Name2,
    Phone2,
    Payment,
    Txn,
    Slot,
    Submit,
}

pub const PAYMENTS: [&str; 2] = ["CASH", "ONLINE"];

#[derive(Debug, Clone)]
pub struct IssueForm {
    pub type_idx: usize,
    pub payment_idx: usize,
    pub slot_idx: usize,
    pub name: TextField,
    pub phone: TextField,
    pub name2: TextField,
    pub phone2: TextField,
    pub txn: TextField,
    pub focus: IssueField,
    pub errors: ValidationErrors,
    pub issued: Option<Box<PassView>>,
    pub busy: bool,
    /// The event's pass types, from its rules in the database (loaded on
    /// entering the screen): what the core validates against.
    pub types: Vec<TypeRule>,
    /// The holder already has a live pass of this type and slot: which, in
    /// words, and its id, until the admin says y (issue another) or n.
    pub duplicate: Option<(String, String)>,
}

impl Default for IssueForm {
    fn default() -> Self {
        IssueForm {
            type_idx: 0,
            payment_idx: 0,
            slot_idx: 0,
            name: TextField::new("Name", "name"),
            phone: TextField::new("Phone", "phone"),
            name2: TextField::new("Second name", "name2"),
            phone2: TextField::new("Second phone", "phone2"),
            txn: TextField::new("Transaction ref", "txn"),
            focus: IssueField::Type,
            errors: ValidationErrors::default(),
            issued: None,
            busy: false,
            types: Vec::new(),
            duplicate: None,
        }
    }
}

impl IssueForm {
    pub fn pass_type(&self) -> Option<&TypeRule> {
        self.types.get(self.type_idx)
    }

    pub fn is_couple(&self, _cfg: &Config) -> bool {
        self.pass_type().is_some_and(|t| t.persons == 2)
    }

    pub fn fields(&self, cfg: &Config) -> Vec<IssueField> {
        use IssueField::*;
        let mut v = vec![Type, Name, Phone];
        if self.is_couple(cfg) {
            v.extend([Name2, Phone2]);
        }
        v.push(Payment);
        if self.payment_idx == 1 {
            v.push(Txn);
        }
        v.extend([Slot, Submit]);
        v
    }

    pub fn text(&self, f: IssueField) -> Option<&TextField> {
        match f {
            IssueField::Name => Some(&self.name),
            IssueField::Phone => Some(&self.phone),
            IssueField::Name2 => Some(&self.name2),
            IssueField::Phone2 => Some(&self.phone2),
            IssueField::Txn => Some(&self.txn),
            _ => None,
        }
    }

    pub fn text_mut(&mut self, f: IssueField) -> Option<&mut TextField> {
        match f {
            IssueField::Name => Some(&mut self.name),
            IssueField::Phone => Some(&mut self.phone),
            IssueField::Name2 => Some(&mut self.name2),
            IssueField::Phone2 => Some(&mut self.phone2),
            IssueField::Txn => Some(&mut self.txn),
            _ => None,
        }
    }

    pub fn move_focus(&mut self, cfg: &Config, delta: isize) {
        let fields = self.fields(cfg);
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = fields.len() as isize;
        self.focus = fields[((i + delta).rem_euclid(n)) as usize];
    }

    /// Cycle a choice field (type, payment, slot) left or right.
    pub fn cycle(&mut self, cfg: &Config, delta: isize) {
        let step = |i: usize, n: usize| ((i as isize + delta).rem_euclid(n.max(1) as isize)) as usize;
        match self.focus {
            IssueField::Type => self.type_idx = step(self.type_idx, self.types.len()),
            IssueField::Payment => self.payment_idx = step(self.payment_idx, PAYMENTS.len()),
            IssueField::Slot => self.slot_idx = step(self.slot_idx, cfg.event.slots.len()),
            _ => {}
        }
    }

    pub fn request(&self, cfg: &Config) -> PassRequest {
        let couple = self.is_couple(cfg);
        let online = self.payment_idx == 1;
        PassRequest {
            pass_type: self.pass_type().map(|t| t.name.clone()).unwrap_or_default(),
            name: self.name.value(),
            phone: self.phone.value(),
            name2: couple.then(|| self.name2.value()),
            phone2: couple.then(|| self.phone2.value()),
            payment: PAYMENTS[self.payment_idx].into(),
            txn_ref: online.then(|| self.txn.value()),
            slot: cfg.event.slots.get(self.slot_idx).cloned(),
            price_override: None,
            note: None,
            allow_duplicate: false,
        }
    }

    /// Start again for the next pass, keeping the choices.
    pub fn reset(&mut self) {
        let (t, p, s) = (self.type_idx, self.payment_idx, self.slot_idx);
        let types = std::mem::take(&mut self.types);
        *self = IssueForm { type_idx: t, payment_idx: p, slot_idx: s, focus: IssueField::Name, types, ..Default::default() };
    }
}

impl Component for IssueForm {
    fn editing_text(&self) -> bool {
        self.issued.is_none()
            && self.duplicate.is_none()
            && matches!(self.focus, IssueField::Name | IssueField::Phone | IssueField::Name2 | IssueField::Phone2 | IssueField::Txn)
    }

    fn dirty(&self) -> bool {
        self.issued.is_none() && [&self.name, &self.phone, &self.name2, &self.phone2, &self.txn].iter().any(|f| !f.is_empty())
    }

    fn footer(&self) -> &'static str {
        if self.issued.is_some() {
            "p print  s save PNG  n/Enter issue another  Tab next screen"
        } else if self.duplicate.is_some() {
            "y issue another pass to this holder  n/Esc back to the form"
        } else {
            "↑↓ field  ←→ choose  Enter next/issue  Esc leave field  F1 help"
        }
    }

    fn sign_out(&mut self) {
        *self = IssueForm::default();
    }

    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        if self.editing_text() {
            return Some(text_keys(key));
        }
        let issued = self.issued.is_some();
        if self.duplicate.is_some() && !issued {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Confirm(true)),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::Confirm(false)),
                _ => None,
            };
        }
        match key.code {
            KeyCode::Char('p') if issued => Some(Action::Print),
            KeyCode::Char('s') if issued => Some(Action::SavePng),
            KeyCode::Char('n') if issued => Some(Action::IssueAnother),
            KeyCode::Char(' ') if !issued => nav_keys(key.code),
            KeyCode::Char(_) => None,
            KeyCode::Enter if issued => Some(Action::IssueAnother),
            _ if issued => None,
            code => nav_keys(code),
        }
    }

    /// Opening the screen: the name field takes the keys, and the event's
    /// pass types are read again (an admin may have changed the rules).
    fn enter(&mut self) -> Vec<Effect> {
        if self.issued.is_none() && self.focus == IssueField::Type && !self.dirty() {
            self.focus = IssueField::Name;
        }
        vec![Effect::LoadPassTypes]
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        let cfg = cx.cfg;
        if let Some(v) = self.issued.clone() {
            return match action {
                Action::IssueAnother | Action::Back => {
                    self.reset();
                    *cx.status = None;
                    vec![]
                }
                Action::SavePng => {
                    let path = cx.data_dir.join("qr").join(format!("pass-{}.png", short(&v.pass.id)));
                    vec![Effect::SaveQr { payload: v.payload.clone(), path }]
                }
                Action::Print => vec![Effect::Print { pass_id: Some(v.pass.id.clone()), resident_id: None }],
                _ => vec![],
            };
        }
        if self.duplicate.is_some() {
            match action {
                Action::Confirm(true) if !self.busy => {
                    self.duplicate = None;
                    self.busy = true;
                    return vec![Effect::Issue(PassRequest { allow_duplicate: true, ..self.request(cfg) })];
                }
                Action::Confirm(false) | Action::Back => {
                    self.duplicate = None;
                    self.focus = IssueField::Name;
                    *cx.status = None;
                }
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::Up => self.move_focus(cfg, -1),
            Action::Down => self.move_focus(cfg, 1),
            Action::Cycle(d) => self.cycle(cfg, d),
            Action::Back => self.focus = IssueField::Type,
            Action::Type(k) => {
                if let Some(t) = self.text_mut(self.focus) {
                    t.input(k);
                    // The field is being fixed: its old error goes.
                    let key = t.key;
                    self.errors.0.retain(|e| e.field != key);
                }
            }
            Action::Paste(s) => {
                if let Some(t) = self.text_mut(self.focus) {
                    t.paste(&s);
                }
            }
            Action::Submit if self.focus != IssueField::Submit => self.move_focus(cfg, 1),
            Action::Submit if !self.busy => {
                self.busy = true;
                self.errors = Default::default();
                return vec![Effect::Issue(self.request(cfg))];
            }
            _ => {}
        }
        vec![]
    }

    fn outcome(&mut self, outcome: Outcome, cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Issued(v) => {
                self.busy = false;
                cx.say(format!("issued pass {}", short(&v.pass.id)));
                self.issued = Some(v);
            }
            Outcome::IssueRejected(e) => {
                self.busy = false;
                if let Some(first) = e.0.first() {
                    cx.warn(format!("{}: {}", first.field, first.message));
                }
                self.errors = e;
            }
            Outcome::IssueDuplicate { held, existing_id } => {
                self.busy = false;
                cx.warn("this holder has such a pass already: y issues another, n goes back");
                self.duplicate = Some((held, existing_id));
            }
            Outcome::PassTypes(types) => {
                self.type_idx = self.type_idx.min(types.len().saturating_sub(1));
                self.types = types;
                // A type that changed from a couple to a single takes the focus off its second holder.
                if !self.fields(cx.cfg).contains(&self.focus) {
                    self.focus = IssueField::Name;
                }
            }
            Outcome::Failed(_) => self.busy = false,
            _ => {}
        }
        vec![]
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        match &self.issued {
            Some(p) => render_issued(v, p, area, buf),
            None => render_form(self, v, area, buf),
        }
    }
}

fn choice_row(label: &str, value: &str, focused: bool, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let marker = if focused { "▸ " } else { "  " };
    let spans = vec![
        Span::styled(format!("{marker}{label:<16}"), if focused { theme.focus() } else { Style::default() }),
        Span::styled(format!("◂ {value} ▸"), if focused { theme.selected() } else { Style::default() }),
    ];
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn render_form(f: &IssueForm, v: &View, area: Rect, buf: &mut Buffer) {
    let (cfg, theme) = (v.cfg, v.theme);
    let block = Block::bordered().title(Span::styled(" Issue a pass ", theme.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let err = |k: &str| f.errors.get(k);
    let ptype = f.pass_type();
    let mut y = inner.y;
    for field in f.fields(cfg) {
        if y >= inner.y + inner.height {
            break;
        }
        let row = Rect { y, height: 1, ..inner };
        let focused = f.focus == field;
        let key = match field {
            IssueField::Type => "type",
            IssueField::Payment => "payment",
            IssueField::Slot => "slot",
            other => f.text(other).map_or("", |t| t.key),
        };
        match field {
            IssueField::Type => {
                let v = ptype.map_or("(reading the event's types…)".to_string(), |t| {
                    format!(
                        "{} · {} person{} · {} · {}",
                        t.name,
                        t.persons,
                        if t.persons == 1 { "" } else { "s" },
                        format_money(t.price_cents, &cfg.event.currency),
                        t.entry.as_str()
                    )
                });
                choice_row("Pass type", &v, focused, theme, row, buf);
            }
            IssueField::Payment => choice_row("Payment", PAYMENTS[f.payment_idx], focused, theme, row, buf),
            IssueField::Slot => {
                choice_row("Time slot", cfg.event.slots.get(f.slot_idx).map_or("?", String::as_str), focused, theme, row, buf)
            }
            IssueField::Submit => {
                y += 1;
                let row = Rect { y, height: 1, ..inner };
                let label = if f.busy { "  [ issuing… ]" } else { "  [ Issue pass ]" };
                Paragraph::new(Span::styled(label, if focused { theme.selected() } else { theme.key() })).render(row, buf);
            }
            other => {
                if let Some(t) = f.text(other) {
                    field_row(t, focused, 16, theme, row, buf);
                }
            }
        }
        y += 1;
        if let Some(e) = err(key).filter(|_| y < inner.y + inner.height) {
            error_row(e, 16, theme, Rect { y, height: 1, ..inner }, buf);
            y += 1;
        }
    }
    if let Some((held, id)) = &f.duplicate {
        y += 1;
        let rows = (inner.y + inner.height).saturating_sub(y);
        let lines = vec![
            Line::from(Span::styled(format!("{} ({})", visible(held), short(id)), theme.error())),
            Line::from(vec![
                Span::raw("Issue another pass to this holder?  "),
                Span::styled("y", theme.key()),
                Span::raw(" yes   "),
                Span::styled("n", theme.key()),
                Span::raw(" no"),
            ]),
        ];
        let x = inner.x + 2.min(inner.width);
        let area = Rect { x, y, width: inner.width.saturating_sub(2), height: rows };
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }).render(area, buf);
        return;
    }
    // Errors the form has no row for go last.
    let shown = ["type", "name", "phone", "name2", "phone2", "payment", "txn", "slot"];
    for e in f.errors.0.iter().filter(|e| !shown.contains(&e.field)) {
        y += 1;
        if y < inner.y + inner.height {
            Paragraph::new(Span::styled(format!("  ✗ {}: {}", e.field, e.message), theme.error()))
                .render(Rect { y, height: 1, ..inner }, buf);
        }
    }
}

fn render_issued(view: &View, v: &PassView, area: Rect, buf: &mut Buffer) {
    let (theme, p) = (view.theme, &v.pass);
    // As wide as the QR where the window allows: a GH2 code is 53 cells.
    let qr_w = halfblock::qr_cells(&v.payload).map_or(41, |(w, _)| (w + 2).max(41));
    let qr_w = if area.width >= 30 + qr_w { qr_w } else { 41 };
    let [left, right] = Layout::horizontal([Constraint::Min(30), Constraint::Length(qr_w)]).areas(area);
    let mut lines = vec![
        Line::from(Span::styled("Pass issued", theme.ok())),
        Line::from(""),
        Line::from(format!("Id       {}", short(&p.id))),
        Line::from(format!("Type     {} · {} person{}", p.pass_type, p.persons, if p.persons == 1 { "" } else { "s" })),
        Line::from(format!("Holder   {}  {}", visible(&p.holder_name), p.holder_phone)),
    ];
    if let (Some(n), Some(ph)) = (&p.holder2_name, &p.holder2_phone) {
        lines.push(Line::from(format!("Holder 2 {}  {ph}", visible(n))));
    }
    lines.extend([
        Line::from(format!("Price    {}", format_money(p.price_cents, &view.cfg.event.currency))),
        Line::from(format!(
            "Payment  {}{}",
            p.payment_mode.as_str(),
            p.txn_ref.as_deref().map(|t| format!(" · ref {}", visible(t))).unwrap_or_default()
        )),
        Line::from(format!("Slot     {}", p.slot)),
        Line::from(""),
        Line::from(vec![
            Span::styled("p", theme.key()),
            Span::raw(" print   "),
            Span::styled("s", theme.key()),
            Span::raw(" save PNG   "),
            Span::styled("n", theme.key()),
            Span::raw(" next pass"),
        ]),
    ]);
    Paragraph::new(lines).block(Block::bordered().title(" Issued ")).render(left, buf);
    let block = Block::bordered().title(" QR ");
    let inner = block.inner(right);
    block.render(right, buf);
    halfblock::qr_panel(&v.payload, inner, buf, theme, "s saves a PNG, p prints the pass.");
}
