//! A one-line question in a box over a screen: a reason, a file path, or
//! yes/no. The screen that asked owns it and acts on the answer.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use crate::tui::action::Action;
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::widgets::layout::centered;

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextField,
    /// The question in full, naming who it is about; else the input's label.
    pub question: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    VoidReason,
    VoidConfirm,
    UnscanReason,
    UnscanConfirm,
    ExportPath,
    DeactivateReason,
    DeactivateConfirm,
}

impl Prompt {
    pub fn new(kind: PromptKind, input: TextField) -> Prompt {
        Prompt { kind, input, question: None }
    }

    /// A prompt whose title names the pass or person it acts on.
    pub fn asking(kind: PromptKind, label: &'static str, question: String, answer: &str) -> Prompt {
        let mut input = TextField::new(label, "reason");
        input.set(answer);
        Prompt { kind, input, question: Some(question) }
    }

    /// A yes/no question rather than a line of text.
    pub fn is_confirm(&self) -> bool {
        matches!(self.kind, PromptKind::VoidConfirm | PromptKind::UnscanConfirm | PromptKind::DeactivateConfirm)
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
        // The question names the holder, so it may be long: it wraps
        // inside the box rather than being cut in the title.
        let r = centered(body, 64, if self.question.is_some() { 6 } else { 5 });
        Clear.render(r, buf);
        let title = format!(" {} ", self.input.label);
        let block = Block::bordered().title(title).border_style(theme.focus());
        let mut inner = block.inner(r);
        block.render(r, buf);
        if let Some(q) = &self.question {
            Paragraph::new(q.as_str()).style(theme.title()).wrap(Wrap { trim: true }).render(Rect { height: 2, ..inner }, buf);
            inner = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
        }
        let text = if self.is_confirm() {
            let v = self.input.value();
            if v.is_empty() { "Press y to confirm, n to cancel".to_string() } else { format!("{v}   (y / n)") }
        } else {
            format!("{}▏", self.input.value())
        };
        Paragraph::new(text).render(Rect { y: inner.y + 1, height: 1, ..inner }, buf);
    }
}
