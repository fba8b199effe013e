//! Form fields: single-line ratatui-textarea inputs with a label and the
//! name of the core's validation field, so errors land beside their field.
//! The forms themselves live with their screens.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

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
