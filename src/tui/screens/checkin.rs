//! Manual check-in, opened from Scan with `/`: find a pass or resident by
//! name (any word order), phone or the short id on the ticket, pick one,
//! give an optional reason, and confirm. The core runs the same scan as for
//! a code, so the verdict is the same; the ledger records it as manual.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{field_row, short, text_keys};
use crate::service::Candidate;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::forms::TextField;
use crate::tui::theme::Theme;
use crate::tui::widgets::layout::centered;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone)]
pub struct CheckIn {
    pub query: TextField,
    pub reason: TextField,
    pub found: Vec<Candidate>,
    /// The query the rows were found for (answers to older queries are dropped).
    pub found_for: String,
    pub selected: usize,
    /// Picked: asking for the reason and the confirmation.
    pub confirming: bool,
}

impl CheckIn {
    pub fn new(query: &str) -> (CheckIn, Vec<Effect>) {
        let mut c = CheckIn {
            query: TextField::new("Find", "query"),
            reason: TextField::new("Reason", "reason"),
            found: Vec::new(),
            found_for: String::new(),
            selected: 0,
            confirming: false,
        };
        c.query.set(query);
        let fx = c.search();
        (c, fx)
    }

    fn search(&self) -> Vec<Effect> {
        let q = self.query.value();
        if q.trim().is_empty() { vec![] } else { vec![Effect::FindCheckIn(q)] }
    }

    pub fn key(&self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Tab | KeyCode::BackTab => Action::Down,
            _ => text_keys(key),
        }
    }

    /// None: close the overlay.
    pub fn update(&mut self, action: Action) -> Option<Vec<Effect>> {
        if self.confirming {
            match action {
                Action::Back => self.confirming = false,
                Action::Type(k) => self.reason.input(k),
                Action::Paste(s) => self.reason.paste(&s),
                Action::Submit => {
                    let c = self.found.get(self.selected)?;
                    return Some(vec![Effect::ScanManual { id: c.id.clone(), reason: self.reason.value().trim().to_string() }]);
                }
                _ => {}
            }
            return Some(vec![]);
        }
        match action {
            Action::Back => return None,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(self.found.len().saturating_sub(1)),
            Action::Type(k) => {
                self.query.input(k);
                self.selected = 0;
                return Some(self.search());
            }
            Action::Paste(s) => {
                self.query.paste(&s);
                return Some(self.search());
            }
            Action::Submit if !self.found.is_empty() => self.confirming = true,
            _ => {}
        }
        Some(vec![])
    }

    pub fn found(&mut self, query: String, rows: Vec<Candidate>) {
        if query == self.query.value() {
            self.found = rows;
            self.found_for = query;
            self.selected = self.selected.min(self.found.len().saturating_sub(1));
        }
    }

    pub fn render(&self, theme: &Theme, body: Rect, buf: &mut Buffer) {
        let r = centered(body, 76, body.height.min(16));
        Clear.render(r, buf);
        let block = Block::bordered().title(" Manual check-in ").border_style(theme.focus());
        let inner = block.inner(r);
        block.render(r, buf);
        let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
        field_row(&self.query, !self.confirming, 6, theme, row(0), buf);
        let list_h = inner.height.saturating_sub(if self.confirming { 6 } else { 3 });
        // Two rows a candidate: who and status, then the detail (type,
        // phone, slot) whole rather than cut at the box's edge.
        let per_row = (list_h as usize / 2).max(1);
        let start = self.selected.saturating_sub(per_row - 1);
        let w = inner.width as usize;
        let mut lines: Vec<Line> = self
            .found
            .iter()
            .enumerate()
            .skip(start)
            .take(per_row)
            .flat_map(|(i, c)| {
                let mark = if i == self.selected { "▸" } else { " " };
                let status = visible(&c.status);
                let name_w = w.saturating_sub(10 + text::width(&status) + 1);
                let head = format!("{mark}{} {} {status}", short(&c.id), text::pad(&visible(&c.name), name_w));
                let style = if i == self.selected { theme.selected() } else { Default::default() };
                [
                    Line::from(Span::styled(text::pad(&head, w), style)),
                    Line::from(Span::styled(format!("          {}", text::fit(&visible(&c.detail), w.saturating_sub(10))), theme.dim())),
                ]
            })
            .take(list_h as usize)
            .collect();
        if lines.is_empty() {
            let msg = if self.query.is_empty() {
                "type a name (any order), a phone, or the short id on the ticket"
            } else if self.found_for == self.query.value() {
                "nothing found"
            } else {
                "searching…"
            };
            lines.push(Line::from(Span::styled(msg, theme.dim())));
        }
        Paragraph::new(lines).render(Rect { y: inner.y + 2, height: list_h, ..inner }, buf);
        let foot = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1, ..inner };
        if let (true, Some(c)) = (self.confirming, self.found.get(self.selected)) {
            let ask = Rect { y: foot.y.saturating_sub(3), height: 2, ..inner };
            Paragraph::new(Span::styled(format!("Check in {} ({})?", visible(&c.name), short(&c.id)), theme.title()))
                .wrap(Wrap { trim: true })
                .render(ask, buf);
            field_row(&self.reason, true, 6, theme, Rect { y: foot.y.saturating_sub(1), height: 1, ..inner }, buf);
            Paragraph::new(Span::styled("Enter check in (same rules as a scan)  Esc back", theme.dim())).render(foot, buf);
        } else {
            Paragraph::new(Span::styled("↑↓ choose  Enter pick  Esc close", theme.dim())).render(foot, buf);
        }
    }
}
