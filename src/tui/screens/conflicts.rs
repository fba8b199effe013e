//! The open conflicts, listed over any screen with F9: each offline double
//! admission or void, acknowledged one by one with Enter, or all at once
//! with `a` after a y/n. Ten conflicts are one list, not ten blind presses.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::domain::offline::Conflict;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::theme::Theme;
use crate::tui::widgets::layout::centered;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConflictList {
    pub selected: usize,
    /// Asking "acknowledge all N?".
    pub confirm_all: bool,
}

impl ConflictList {
    pub fn key(&self, key: KeyEvent) -> Option<Action> {
        if self.confirm_all {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => Some(Action::Confirm(true)),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => Some(Action::Confirm(false)),
                _ => None,
            };
        }
        match key.code {
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Char('a') | KeyCode::Char('A') => Some(Action::AckAll),
            KeyCode::Esc | KeyCode::F(9) => Some(Action::Back),
            _ => None,
        }
    }

    /// The list's answer to an action over the `open` conflicts; None closes it.
    pub fn update(&mut self, action: Action, open: &[Conflict]) -> Option<Vec<Effect>> {
        if self.confirm_all {
            self.confirm_all = false;
            return match action {
                Action::Confirm(true) => Some(open.iter().map(|c| Effect::AckConflict(c.block)).collect()),
                _ => Some(vec![]),
            };
        }
        match action {
            Action::Back => return None,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(open.len().saturating_sub(1)),
            Action::Submit => return Some(open.get(self.selected).map(|c| vec![Effect::AckConflict(c.block)]).unwrap_or_default()),
            Action::AckAll if open.len() > 1 => self.confirm_all = true,
            Action::AckAll => return Some(open.iter().map(|c| Effect::AckConflict(c.block)).collect()),
            _ => {}
        }
        Some(vec![])
    }

    pub fn render(&self, open: &[Conflict], theme: &Theme, body: Rect, buf: &mut Buffer) {
        let r = centered(body, 78, body.height.min(open.len() as u16 * 2 + 5).max(7));
        Clear.render(r, buf);
        let block = Block::bordered().title(format!(" Conflicts · {} open ", open.len())).border_style(theme.error());
        let inner = block.inner(r);
        block.render(r, buf);
        let w = inner.width as usize;
        let list_h = inner.height.saturating_sub(2) as usize;
        let per = (list_h / 2).max(1);
        let start = self.selected.saturating_sub(per - 1);
        let mut lines: Vec<Line> = Vec::new();
        for (i, c) in open.iter().enumerate().skip(start).take(per) {
            let mark = if i == self.selected { "▸" } else { " " };
            let what = match (c.kind.as_str(), &c.reason) {
                ("voided", _) => "admitted offline, pass voided".into(),
                ("refused", _) => "offline upload refused".into(),
                ("over_capacity", _) => "admitted offline past capacity".into(),
                // A daily or re-entry pass: the reason says which rule.
                (_, Some(why)) => visible(why),
                _ => "admitted twice, counted once".into(),
            };
            let head = format!("{mark}#{} pass {} {what}", c.block, c.pass.get(..8).unwrap_or(&c.pass));
            let detail = if c.kind == "over_capacity" {
                let why = c.reason.as_deref().unwrap_or("").trim_start_matches("admitted offline past capacity ");
                format!("   {} {}", side(&c.first), visible(why))
            } else if c.kind == "refused" {
                format!("   {} / {}", crate::tui::widgets::text::visible(c.reason.as_deref().unwrap_or("")), side(&c.second))
            } else if c.kind == "voided" {
                format!("   voided {} / admitted {}", side(&c.first), side(&c.second))
            } else {
                let [(a, _), (b, _)] = c.in_order();
                format!("   {} / then {}", side(a), side(b))
            };
            let style = if i == self.selected { theme.selected() } else { Default::default() };
            lines.push(Line::from(Span::styled(text::pad(&head, w), style)));
            lines.push(Line::from(text::fit(&detail, w).into_owned()));
        }
        Paragraph::new(lines).render(Rect { height: inner.height.saturating_sub(1), ..inner }, buf);
        let foot = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1, ..inner };
        let hint = if self.confirm_all {
            Span::styled(format!("Acknowledge all {} conflicts?  y / n", open.len()), theme.error())
        } else {
            Span::styled("↑↓ choose  Enter acknowledge  a all  Esc close", theme.dim())
        };
        Paragraph::new(hint).render(foot, buf);
    }
}

/// `Gate A · asha · 18:30:01`; a void made away from any gate has no gate to name.
pub fn side(a: &crate::domain::offline::Admission) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !a.gate.is_empty() {
        parts.push(visible(&a.gate).into_owned());
    }
    parts.push(if a.operator.is_empty() { "-".into() } else { visible(&a.operator).into_owned() });
    parts.push(super::hhmmss(&a.at));
    parts.join(" · ")
}
