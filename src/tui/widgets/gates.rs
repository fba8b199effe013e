//! The event's gates on the Stats screen: each gate's name, online or
//! offline (it synced within `service::ONLINE_SECS`), when it was last
//! seen, how it signs (its own device key or the event key file), and
//! whether it was revoked. Drawn from `View::gates` only.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::service::GateView;
use crate::tui::theme::Theme;

/// Gates listed at most; the title says how many there are.
const SHOWN: usize = 4;

/// Rows the box takes: none while no gate is listed (a gate on its own
/// SQLite file), else its gates and the border.
pub fn height(gates: &[GateView]) -> u16 {
    if gates.is_empty() { 0 } else { gates.len().min(SHOWN) as u16 + 2 }
}

pub struct GatesBox<'a> {
    pub gates: &'a [GateView],
    pub theme: &'a Theme,
}

/// A stamp as local wall-clock time, or the stamp itself if it does not parse.
fn clock(stamp: &str) -> String {
    crate::domain::clock::parse_stamp(stamp)
        .map(|t| t.with_timezone(&chrono::Local).format("%H:%M:%S").to_string())
        .unwrap_or_else(|| stamp.to_string())
}

impl Widget for GatesBox<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let lines: Vec<Line> = self
            .gates
            .iter()
            .take(SHOWN)
            .map(|g| {
                let (state, style) = match (g.revoked, g.online) {
                    (true, _) => ("REVOKED", t.error()),
                    (false, true) => ("online", t.ok()),
                    (false, false) => ("offline", t.focus()),
                };
                let seen = g.last_seen.as_deref().map_or_else(|| "never seen".to_string(), |s| format!("seen {}", clock(s)));
                let name: String = g.name.chars().take(24).collect();
                Line::from(vec![
                    Span::styled(format!("{name:<25}"), t.title()),
                    Span::styled(format!("{state:<8}"), style),
                    Span::raw(format!(" {seen:<14} ")),
                    Span::styled(g.key, t.dim()),
                ])
            })
            .collect();
        let title = match self.gates.len() {
            n if n > SHOWN => format!(" Gates ({n}, {SHOWN} shown; `gatehouse gate list` has all) "),
            n => format!(" Gates ({n}) "),
        };
        Paragraph::new(lines).block(Block::bordered().title(title)).render(area, buf);
    }
}
