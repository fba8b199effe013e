//! Form fields: single-line ratatui-textarea inputs with a label and the
//! name of the core's validation field, so errors land beside their field.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::config::Config;
use crate::domain::pass::PassRequest;
use crate::domain::resident::ResidentRequest;
use crate::domain::validate::ValidationErrors;
use crate::service::{PassView, ResidentView};

#[derive(Debug, Clone)]
pub struct TextField {
    pub label: &'static str,
    /// The field name the core's validation uses.
    pub key: &'static str,
    pub input: TextArea<'static>,
}

impl TextField {
    pub fn new(label: &'static str, key: &'static str) -> Self {
        TextField { label, key, input: TextArea::default() }
    }

    pub fn masked(label: &'static str, key: &'static str) -> Self {
        let mut f = Self::new(label, key);
        f.input.set_mask_char('•');
        f
    }

    pub fn value(&self) -> String {
        self.input.lines().join(" ")
    }

    pub fn set(&mut self, v: &str) {
        self.input = TextArea::new(vec![v.to_string()]);
        self.input.move_cursor(ratatui_textarea::CursorMove::End);
    }

    pub fn clear(&mut self) {
        let mask = self.input.mask_char();
        self.input = TextArea::default();
        if let Some(m) = mask {
            self.input.set_mask_char(m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.value().trim().is_empty()
    }

    /// Feed a key; Enter never makes a second line.
    pub fn input(&mut self, key: KeyEvent) {
        if matches!(key.code, KeyCode::Enter) || (key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL)) {
            return;
        }
        self.input.input(key);
    }

    pub fn paste(&mut self, s: &str) {
        self.input.insert_str(s.replace(['\n', '\r'], " "));
    }
}

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
        }
    }
}

impl IssueForm {
    pub fn is_couple(&self, cfg: &Config) -> bool {
        cfg.pass_types.get(self.type_idx).is_some_and(|t| t.persons == 2)
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
            IssueField::Type => self.type_idx = step(self.type_idx, cfg.pass_types.len()),
            IssueField::Payment => self.payment_idx = step(self.payment_idx, PAYMENTS.len()),
            IssueField::Slot => self.slot_idx = step(self.slot_idx, cfg.event.slots.len()),
            _ => {}
        }
    }

    pub fn dirty(&self) -> bool {
        self.issued.is_none() && [&self.name, &self.phone, &self.name2, &self.phone2, &self.txn].iter().any(|f| !f.is_empty())
    }

    pub fn request(&self, cfg: &Config) -> PassRequest {
        let couple = self.is_couple(cfg);
        let online = self.payment_idx == 1;
        PassRequest {
            pass_type: cfg.pass_types.get(self.type_idx).map(|t| t.name.clone()).unwrap_or_default(),
            name: self.name.value(),
            phone: self.phone.value(),
            name2: couple.then(|| self.name2.value()),
            phone2: couple.then(|| self.phone2.value()),
            payment: PAYMENTS[self.payment_idx].into(),
            txn_ref: online.then(|| self.txn.value()),
            slot: cfg.event.slots.get(self.slot_idx).cloned(),
            price_override: None,
        }
    }

    /// Start again for the next pass, keeping the choices.
    pub fn reset(&mut self) {
        let (t, p, s) = (self.type_idx, self.payment_idx, self.slot_idx);
        *self = IssueForm { type_idx: t, payment_idx: p, slot_idx: s, focus: IssueField::Name, ..Default::default() };
    }
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

/// A resident just registered, shown with its QR.
pub type RegisteredResident = Box<ResidentView>;
