//! The ledger: recent blocks, and verification (file, schema, chain and
//! the audit of the tables) with a progress bar.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Table, Widget, Wrap};

use super::{hhmmss, nav_keys, short};
use crate::domain::ledger::StoredBlock;
use crate::service::Verification;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::effect::Effect;
use crate::tui::theme::Theme;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Default)]
pub struct LedgerState {
    pub blocks: Vec<StoredBlock>,
    pub total: u64,
    pub verifying: bool,
    pub progress: u64,
    pub report: Option<Verification>,
}

impl LedgerState {
    pub fn key(&self, key: KeyEvent) -> Option<Action> {
        match key.code {
            KeyCode::Char('v') => Some(Action::Verify),
            KeyCode::Char('r') => Some(Action::Refresh),
            KeyCode::Char(' ') => nav_keys(key.code),
            KeyCode::Char(_) => None,
            code => nav_keys(code),
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Verify if !self.verifying => {
                self.verifying = true;
                self.progress = 0;
                self.report = None;
                vec![Effect::VerifyLedger]
            }
            Action::Refresh => vec![Effect::LoadLedger],
            _ => vec![],
        }
    }
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let l = &app.ledger;
    // Two lines: the head (the value written down off the laptop) is shown whole.
    let [status, table] = Layout::vertical([Constraint::Length(4), Constraint::Min(3)]).areas(area);
    let block = Block::bordered().title(" Verification ");
    if l.verifying {
        let ratio = if l.total == 0 { 0.0 } else { (l.progress as f64 / l.total as f64).min(1.0) };
        Gauge::default()
            .block(block)
            .gauge_style(theme.ok())
            .ratio(ratio)
            .label(format!("verifying {} / {} blocks", l.progress, l.total))
            .render(status, buf);
    } else {
        let lines = match &l.report {
            None => vec![Line::from(Span::styled("press v to verify every block", theme.dim()))],
            Some(v) if v.ok => {
                let c = &v.chain;
                let rows = v.audit.as_ref().map_or(0, |a| a.rows);
                vec![
                    Line::from(vec![
                        Span::styled("OK ", theme.ok()),
                        Span::raw(format!("{} blocks · tables match the ledger ({rows} rows)", c.blocks)),
                    ]),
                    Line::from(format!(
                        "head {}:{}",
                        c.head_index.map_or("-".into(), |i| i.to_string()),
                        c.head_hash.as_deref().unwrap_or("-")
                    )),
                ]
            }
            Some(v) => {
                // The first problem in full; the CLI lists them all.
                let problems = v.problems();
                let more =
                    if problems.len() > 1 { format!(" (+{} more: gatehouse ledger verify)", problems.len() - 1) } else { String::new() };
                vec![Line::from(vec![
                    Span::styled("TAMPERED ", theme.error()),
                    Span::raw(format!("{}{more}", problems.first().cloned().unwrap_or_default())),
                ])]
            }
        };
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block).render(status, buf);
    }
    // The event and operator columns as wide as their longest entry
    // (`resident_deactivate` whole), the data gets the rest.
    let event_w = l.blocks.iter().map(|b| text::width(&b.event)).max().unwrap_or(5).clamp(5, 20);
    let op_w = l.blocks.iter().map(|b| text::width(&visible(&b.operator))).max().unwrap_or(8).clamp(8, 12);
    let data_w = table.width.saturating_sub(2 + 6 + 8 + op_w as u16 + event_w as u16 + 8 + 5) as usize;
    let rows: Vec<Row> = l
        .blocks
        .iter()
        .map(|b| {
            Row::new(vec![
                Cell::from(b.index.to_string()),
                Cell::from(hhmmss(&b.ts)),
                Cell::from(text::fit(&visible(&b.operator), op_w).into_owned()),
                Cell::from(text::fit(&visible(&b.event), event_w).into_owned()),
                Cell::from(short(&b.hash).to_string()),
                Cell::from(text::fit(&visible(&b.data), data_w).into_owned()),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(op_w as u16),
        Constraint::Length(event_w as u16),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    let header = Row::new(["#", "TIME", "OPERATOR", "EVENT", "HASH", "DATA"]).style(theme.title());
    Widget::render(
        Table::new(rows, widths).header(header).block(Block::bordered().title(format!(" Recent blocks of {} ", l.total))),
        table,
        buf,
    );
}
