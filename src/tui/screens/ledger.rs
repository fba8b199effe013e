//! The ledger: recent blocks, and verification (file, schema, chain and
//! the audit of the tables) with a progress bar.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Table, Widget, Wrap};

use super::{Ctx, hhmmss, nav_keys, short};
use crate::domain::ledger::StoredBlock;
use crate::service::Verification;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome};
use crate::tui::theme::Theme;
use crate::tui::view::View;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Default)]
pub struct LedgerState {
    pub blocks: Vec<StoredBlock>,
    pub total: u64,
    pub verifying: bool,
    pub progress: u64,
    pub report: Option<Verification>,
    /// The block chosen in the list (newest first), and whether it is open.
    pub selected: usize,
    pub open: bool,
}

impl Component for LedgerState {
    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        match key.code {
            KeyCode::Char('v') => Some(Action::Verify),
            KeyCode::Char('b') => Some(Action::Backup),
            KeyCode::Char('r') => Some(Action::Refresh),
            KeyCode::Char(' ') => nav_keys(key.code),
            KeyCode::Char(_) => None,
            code => nav_keys(code),
        }
    }

    fn update(&mut self, action: Action, _cx: &mut Ctx) -> Vec<Effect> {
        match action {
            Action::Verify if !self.verifying => {
                self.verifying = true;
                self.progress = 0;
                self.report = None;
                vec![Effect::VerifyLedger]
            }
            Action::Refresh => vec![Effect::LoadLedger],
            Action::Backup => vec![Effect::Backup],
            Action::Up => {
                self.selected = self.selected.saturating_sub(1);
                vec![]
            }
            Action::Down => {
                self.selected = (self.selected + 1).min(self.blocks.len().saturating_sub(1));
                vec![]
            }
            Action::Submit => {
                self.open = !self.blocks.is_empty() && !self.open;
                vec![]
            }
            Action::Back => {
                self.open = false;
                vec![]
            }
            _ => vec![],
        }
    }

    fn outcome(&mut self, outcome: Outcome, _cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Ledger(blocks, total) => {
                self.blocks = blocks;
                self.total = total;
                self.selected = self.selected.min(self.blocks.len().saturating_sub(1));
            }
            Outcome::Progress(done) => self.progress = done,
            Outcome::Verified(r) => {
                self.verifying = false;
                self.report = Some(*r);
            }
            Outcome::Failed(_) => self.verifying = false,
            _ => {}
        }
        vec![]
    }

    fn enter(&mut self) -> Vec<Effect> {
        vec![Effect::LoadLedger]
    }

    fn footer(&self) -> &'static str {
        if self.open {
            "Esc close the block  ↑↓ another  v verify  q quit"
        } else {
            "↑↓ choose  Enter open a block  v verify  b backup  r refresh  ? help"
        }
    }

    fn sign_out(&mut self) {
        *self = LedgerState::default();
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(self, v.theme, area, buf)
    }
}

/// A scan block's verdict, read from its data; empty for other events.
pub fn verdict_of(b: &StoredBlock) -> String {
    if b.event != "scan" {
        return String::new();
    }
    serde_json::from_str::<serde_json::Value>(&b.data)
        .ok()
        .and_then(|v| v.get("verdict").and_then(|x| x.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn render(l: &LedgerState, theme: &Theme, area: Rect, buf: &mut Buffer) {
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
    // (`resident_deactivate` whole), a scan's verdict beside it; the hash
    // when there is room (the opened block shows it whole), the data the rest.
    let event_w = l.blocks.iter().map(|b| text::width(&b.event)).max().unwrap_or(5).clamp(5, 20);
    let op_w = l.blocks.iter().map(|b| text::width(&visible(&b.operator))).max().unwrap_or(8).clamp(8, 12);
    let with_hash = table.width >= 100;
    let fixed = 2 + 6 + 8 + op_w as u16 + event_w as u16 + 12 + if with_hash { 9 } else { 0 } + 6;
    let data_w = table.width.saturating_sub(fixed) as usize;
    let (start, shown) = super::table_window(l.selected, table.height);
    let rows: Vec<Row> = l
        .blocks
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
        .map(|(i, b)| {
            let verdict = verdict_of(b);
            let vstyle = crate::domain::scan::Verdict::parse(&verdict).map(|v| theme.verdict(v)).unwrap_or_default();
            let mut cells = vec![
                Cell::from(b.index.to_string()),
                Cell::from(hhmmss(&b.ts)),
                Cell::from(text::fit(&visible(&b.operator), op_w).into_owned()),
                Cell::from(text::fit(&visible(&b.event), event_w).into_owned()),
                Cell::from(Span::styled(text::fit(&verdict, 12).into_owned(), vstyle)),
            ];
            if with_hash {
                cells.push(Cell::from(short(&b.hash).to_string()));
            }
            cells.push(Cell::from(text::fit(&visible(&b.data), data_w).into_owned()));
            let row = Row::new(cells);
            if i == l.selected { row.style(theme.selected()) } else { row }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Length(op_w as u16),
        Constraint::Length(event_w as u16),
        Constraint::Length(12),
    ];
    let mut head = vec!["#", "TIME", "OPERATOR", "EVENT", "VERDICT"];
    if with_hash {
        widths.push(Constraint::Length(8));
        head.push("HASH");
    }
    widths.push(Constraint::Fill(1));
    head.push("DATA");
    let header = Row::new(head).style(theme.title());
    let title = format!(" Recent blocks of {} · ↑↓ Enter opens ", l.total);
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(title)), table, buf);
    if let (true, Some(b)) = (l.open, l.blocks.get(l.selected)) {
        render_block(b, theme, area, buf);
    }
}

/// One block whole: who, when, where, its hashes and its data.
fn render_block(b: &StoredBlock, theme: &Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::widgets::Clear;
    let r = crate::tui::widgets::layout::centered(area, 78, area.height);
    Clear.render(r, buf);
    let block = Block::bordered().title(format!(" Block {} · Esc closes ", b.index)).border_style(theme.focus());
    let inner = block.inner(r);
    block.render(r, buf);
    let data = serde_json::from_str::<serde_json::Value>(&b.data)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| b.data.clone());
    let k = |key: &str, val: String| Line::from(vec![Span::styled(format!("{key:<10}"), theme.key()), Span::raw(val)]);
    let mut lines = vec![
        k("time", day_time(&b.ts)),
        k("event", visible(&b.event).into_owned()),
        k("operator", visible(&b.operator).into_owned()),
        k("gate", visible(&b.gate).into_owned()),
        k("hash", b.hash.clone()),
        k("prev", b.prev_hash.clone()),
        k("key", b.key_id.clone()),
    ];
    let verdict = verdict_of(b);
    if !verdict.is_empty() {
        lines.insert(2, k("verdict", verdict));
    }
    lines.push(Line::from(Span::styled("data", theme.key())));
    lines.extend(data.lines().map(|l| Line::from(format!("  {}", visible(l)))));
    Paragraph::new(lines).wrap(Wrap { trim: false }).render(inner, buf);
}

/// `2026-12-03 21:52:34` in local time.
fn day_time(stamp: &str) -> String {
    crate::domain::clock::parse_stamp(stamp)
        .map(|t| crate::domain::clock::shown(t, "%Y-%m-%d %H:%M:%S"))
        .unwrap_or_else(|| stamp.to_string())
}
