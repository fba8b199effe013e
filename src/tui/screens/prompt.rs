//! A one-line question in a box over a screen: a reason, a file path, or
//! yes/no. The screen that asked owns it and acts on the answer.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::tui::action::Action;
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::ui::centered;

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextField,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    VoidReason,
    VoidConfirm,
    UnscanReason,
    ExportPath,
    DeactivateConfirm,
}

impl Prompt {
    pub fn new(kind: PromptKind, input: TextField) -> Prompt {
        Prompt { kind, input }
    }

    /// A yes/no question rather than a line of text.
    pub fn is_confirm(&self) -> bool {
        matches!(self.kind, PromptKind::VoidConfirm | PromptKind::DeactivateConfirm)
    }

    /// A prompt takes every key.
    pub fn key(&self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Esc => Action::Back,
            KeyCode::Enter => Action::Submit,
            KeyCode::Char('y') if self.is_confirm() => Action::Confirm(true),
            KeyCode::Char('n') if self.is_confirm() => Action::Confirm(false),
            _ => Action::Type(key),
        }
    }

    pub fn render(&self, theme: &Theme, body: Rect, buf: &mut Buffer) {
        let r = centered(body, 64, 5);
        Clear.render(r, buf);
        let title = format!(" {} ", self.input.label);
        let block = Block::bordered().title(title).border_style(theme.focus());
        let inner = block.inner(r);
        block.render(r, buf);
        let text = if self.is_confirm() {
            let v = self.input.value();
            if v.is_empty() { "Press y to confirm, n to cancel".to_string() } else { format!("{v}   (y / n)") }
        } else {
            format!("{}▏", self.input.value())
        };
        Paragraph::new(text).render(Rect { y: inner.y + 1, height: 1, ..inner }, buf);
    }
}
