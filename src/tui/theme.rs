//! A small theme. With NO_COLOR set every style drops its colour and keeps
//! bold, reverse or underline, so nothing depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::scan::Verdict;

/// AT_CAPACITY's colour (xterm 256 orange).
const ORANGE: Color = Color::Indexed(208);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    fn paint(&self, fg: Color, bg: Option<Color>, m: Modifier) -> Style {
        let s = Style::default().add_modifier(m);
        if !self.color {
            return s;
        }
        let s = s.fg(fg);
        match bg {
            Some(b) => s.bg(b),
            None => s,
        }
    }

    pub fn title(&self) -> Style {
        self.paint(Color::Cyan, None, Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        self.paint(Color::DarkGray, None, Modifier::empty())
    }
    pub fn key(&self) -> Style {
        self.paint(Color::Yellow, None, Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).fg(Color::White).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn focus(&self) -> Style {
        self.paint(Color::Yellow, None, Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.paint(Color::LightRed, None, Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.paint(Color::LightGreen, None, Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        if self.color { Style::default().bg(Color::Blue).fg(Color::White) } else { Style::default().add_modifier(Modifier::REVERSED) }
    }

    /// A pass's note ("CHECK ID"): a colour of its own, never a verdict's;
    /// reversed without colour.
    pub fn note(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Magenta).fg(Color::White).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A mode set for the next scan (an exit, part of a group): black on
    /// amber; reversed without colour.
    pub fn mode(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Yellow).fg(Color::Black).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A venue or zone at 90% of its capacity, before it is full.
    pub fn nearly_full(&self) -> Style {
        self.paint(Color::Yellow, None, Modifier::BOLD)
    }

    /// A full venue or zone: black on orange, the AT_CAPACITY verdict's own
    /// colour; reversed without colour.
    pub fn at_capacity(&self) -> Style {
        if self.color {
            Style::default().bg(ORANGE).fg(Color::Black).add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// Big verdict colour: green admits, red denies, amber for a second use,
    /// blue for residents.
    pub fn verdict(&self, v: Verdict) -> Style {
        let c = match v {
            // A colour of its own: not a forgery, the hall is full.
            Verdict::AtCapacity => ORANGE,
            Verdict::Admitted => Color::LightGreen,
            Verdict::AlreadyUsed | Verdict::AlreadyUsedToday | Verdict::AlreadyInside => Color::Yellow,
            Verdict::ResidentIn | Verdict::ResidentOut | Verdict::Exited => Color::LightCyan,
            _ => Color::LightRed,
        };
        self.paint(c, None, Modifier::BOLD)
    }
}
