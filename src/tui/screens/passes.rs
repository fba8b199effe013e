//! The admin's pass table: search as you type, filters, sort, detail.

use std::path::PathBuf;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::prompt::{Prompt, PromptKind};
use super::{Ctx, cycle_opt, nav_keys, short, text_keys};
use crate::domain::pass::{PassStatus, PaymentMode, format_money};
use crate::service::{ExportKind, PassView};
use crate::store::PassFilter;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::{Effect, Outcome};
use crate::tui::forms::TextField;
use crate::tui::view::View;
use crate::tui::widgets::halfblock;
use crate::tui::widgets::text::{self, visible};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Newest,
    Name,
    Status,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Newest => "newest",
            SortKey::Name => "name",
            SortKey::Status => "status",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PassesState {
    pub search: TextField,
    pub searching: bool,
    pub type_filter: Option<String>,
    pub status_filter: Option<PassStatus>,
    pub payment_filter: Option<PaymentMode>,
    pub sort: SortKey,
    pub rows: Vec<PassView>,
    pub selected: usize,
    pub detail: bool,
    pub prompt: Option<Prompt>,
    /// The event's pass type names (its rules), for the type filter.
    pub types: Vec<String>,
}

impl Default for PassesState {
    fn default() -> Self {
        PassesState {
            search: TextField::new("Search", "search"),
            searching: false,
            type_filter: None,
            status_filter: None,
            payment_filter: None,
            sort: SortKey::default(),
            rows: Vec::new(),
            selected: 0,
            detail: false,
            prompt: None,
            types: Vec::new(),
        }
    }
}

impl PassesState {
    pub fn filter(&self) -> PassFilter {
        PassFilter {
            search: Some(self.search.value()).filter(|s| !s.trim().is_empty()),
            pass_type: self.type_filter.clone(),
            status: self.status_filter,
            payment: self.payment_filter,
            limit: Some(500),
        }
    }

    fn reload(&self) -> Vec<Effect> {
        vec![Effect::LoadPasses(self.filter())]
    }

    fn selected_pass(&self) -> Option<&PassView> {
        self.rows.get(self.selected)
    }
}

impl Component for PassesState {
    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        if self.searching {
            return Some(text_keys(key));
        }
        let KeyCode::Char(c) = key.code else { return nav_keys(key.code) };
        match c {
            '/' => Some(Action::StartSearch),
            't' => Some(Action::FilterType),
            's' => Some(Action::FilterStatus),
            'm' => Some(Action::FilterPayment),
            'o' => Some(Action::CycleSort),
            'v' => Some(Action::Void),
            'u' => Some(Action::Unscan),
            'p' => Some(Action::Print),
            'e' => Some(Action::Export),
            'r' => Some(Action::Refresh),
            ' ' => nav_keys(key.code),
            _ => None,
        }
    }

    fn update(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        if self.prompt.is_some() {
            return self.answer(action, cx);
        }
        if self.searching {
            match action {
                Action::Type(k) => {
                    self.search.input(k);
                    self.selected = 0;
                    return self.reload();
                }
                Action::Paste(s) => {
                    self.search.paste(&s);
                    return self.reload();
                }
                Action::Back | Action::Submit | Action::Down => self.searching = false,
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::StartSearch => self.searching = true,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            Action::Submit => self.detail = !self.rows.is_empty(),
            Action::Back => {
                if self.detail {
                    self.detail = false;
                } else if !self.search.is_empty() {
                    self.search.clear();
                    return self.reload();
                }
            }
            Action::FilterType => {
                self.type_filter = cycle_opt(&self.types, self.type_filter.as_ref());
                return self.reload();
            }
            Action::FilterStatus => {
                self.status_filter = cycle_opt(&[PassStatus::Unused, PassStatus::Used, PassStatus::Void], self.status_filter.as_ref());
                return self.reload();
            }
            Action::FilterPayment => {
                self.payment_filter = cycle_opt(&[PaymentMode::Cash, PaymentMode::Online], self.payment_filter.as_ref());
                return self.reload();
            }
            Action::CycleSort => {
                self.sort = match self.sort {
                    SortKey::Newest => SortKey::Name,
                    SortKey::Name => SortKey::Status,
                    SortKey::Status => SortKey::Newest,
                };
                sort_passes(&mut self.rows, self.sort);
            }
            Action::Refresh => return self.reload(),
            Action::Void if self.selected_pass().is_some() => {
                let who = self.selected_pass().map(holder).unwrap_or_default();
                self.prompt = Some(Prompt::asking(PromptKind::VoidReason, "Reason", format!("Void {who}: reason"), ""));
            }
            Action::Unscan if self.selected_pass().is_some_and(|v| v.status == PassStatus::Used) => {
                let who = self.selected_pass().map(holder).unwrap_or_default();
                self.prompt = Some(Prompt::asking(PromptKind::UnscanReason, "Reason", format!("Undo the admission of {who}: reason"), ""));
            }
            Action::Unscan => cx.warn("only an admitted (used) pass can be unscanned"),
            Action::Print => {
                if let Some(v) = self.selected_pass() {
                    return vec![Effect::Print { pass_id: Some(v.pass.id.clone()), resident_id: None }];
                }
            }
            Action::Export => {
                let filtered = self.filter() != PassFilter { limit: Some(500), ..Default::default() };
                let label = if filtered {
                    "Export the passes shown (search and filters apply) to CSV file"
                } else {
                    "Export all passes to CSV file"
                };
                let mut input = TextField::new(label, "path");
                input.set(&cx.data_dir.join("passes.csv").display().to_string());
                self.prompt = Some(Prompt::new(PromptKind::ExportPath, input));
            }
            _ => {}
        }
        vec![]
    }

    fn outcome(&mut self, outcome: Outcome, cx: &mut Ctx) -> Vec<Effect> {
        match outcome {
            Outcome::Passes(rows) => {
                let mut rows: Vec<PassView> = rows.into_iter().map(|p| *p).collect();
                sort_passes(&mut rows, self.sort);
                self.rows = rows;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
                vec![]
            }
            Outcome::PassTypes(types) => {
                self.types = types.into_iter().map(|t| t.name).collect();
                vec![]
            }
            Outcome::PassChanged(p, what) => {
                cx.say(format!("pass {} {what}", short(&p.id)));
                vec![Effect::LoadPasses(self.filter()), Effect::LoadStats]
            }
            _ => vec![],
        }
    }

    fn enter(&mut self) -> Vec<Effect> {
        let mut fx = self.reload();
        fx.push(Effect::LoadPassTypes);
        fx
    }

    /// The list shows a pass's new status without `r`.
    fn scanned(&mut self) -> Vec<Effect> {
        self.reload()
    }

    fn footer(&self) -> &'static str {
        if self.searching {
            "type to search  Enter/Esc done"
        } else {
            "/ search  tsmo filter  Enter detail  v void  u unscan  p print  e CSV  r reload"
        }
    }

    fn prompt(&self) -> Option<&Prompt> {
        self.prompt.as_ref()
    }

    fn editing_text(&self) -> bool {
        self.searching
    }

    fn dirty(&self) -> bool {
        self.prompt.is_some()
    }

    fn sign_out(&mut self) {
        *self = PassesState::default();
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(self, v, area, buf)
    }
}

impl PassesState {
    /// Keys while a prompt is open: its text, then what the answer does.
    fn answer(&mut self, action: Action, cx: &mut Ctx) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else { return vec![] };
        match action {
            Action::Back | Action::Confirm(false) => self.prompt = None,
            Action::Type(k) => prompt.input.input(k),
            Action::Paste(s) => prompt.input.paste(&s),
            Action::Submit | Action::Confirm(true) => {
                let text = prompt.input.value().trim().to_string();
                match prompt.kind {
                    PromptKind::VoidReason if text.is_empty() => cx.warn("a reason is required"),
                    PromptKind::VoidReason => {
                        // Ask once more: voiding cannot be undone.
                        let who = self.selected_pass().map(holder).unwrap_or_default();
                        self.prompt = Some(Prompt::asking(PromptKind::VoidConfirm, "Reason", format!("Void {who}? y/n"), &text));
                    }
                    PromptKind::VoidConfirm if action == Action::Confirm(true) => {
                        self.prompt = None;
                        if let Some(v) = self.selected_pass() {
                            return vec![Effect::VoidPass { id: v.pass.id.clone(), reason: text }];
                        }
                    }
                    PromptKind::UnscanReason if text.is_empty() => cx.warn("a reason is required"),
                    PromptKind::UnscanReason => {
                        let who = self.selected_pass().map(holder).unwrap_or_default();
                        self.prompt =
                            Some(Prompt::asking(PromptKind::UnscanConfirm, "Reason", format!("Make {who} unused again? y/n"), &text));
                    }
                    PromptKind::UnscanConfirm if action == Action::Confirm(true) => {
                        self.prompt = None;
                        if let Some(v) = self.selected_pass() {
                            return vec![Effect::UnscanPass { id: v.pass.id.clone(), reason: text }];
                        }
                    }
                    PromptKind::ExportPath if !text.is_empty() => {
                        self.prompt = None;
                        // The passes on screen: the search and filters apply, the row limit does not.
                        let filter = PassFilter { limit: None, ..self.filter() };
                        return vec![Effect::Export { kind: ExportKind::Passes, path: PathBuf::from(text), filter }];
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        vec![]
    }
}

/// `pass 3267d1b0 of Asha Rao & Ravi Rao`: who a question is about.
fn holder(v: &PassView) -> String {
    format!("pass {} of {}", short(&v.pass.id), v.pass.holders())
}

fn sort_passes(rows: &mut [PassView], key: SortKey) {
    match key {
        SortKey::Newest => rows.sort_by(|a, b| b.pass.created_at.cmp(&a.pass.created_at)),
        SortKey::Name => rows.sort_by_key(|v| v.pass.holder_name.to_lowercase()),
        SortKey::Status => rows.sort_by_key(|v| v.status.as_str()),
    }
}

fn render(p: &PassesState, view: &View, area: Rect, buf: &mut Buffer) {
    let theme = view.theme;
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let search = if p.searching { format!("{}▏", p.search.value()) } else { p.search.value() };
    let opt = |o: Option<&str>| o.unwrap_or("all").to_string();
    Paragraph::new(Line::from(vec![
        Span::styled(" / ", theme.key()),
        Span::styled(format!("{search:<18}"), if p.searching { theme.selected() } else { theme.dim() }),
        Span::raw(format!(
            "  type {}  status {}  pay {}  sort {}  ",
            opt(p.type_filter.as_deref()),
            opt(p.status_filter.map(|s| s.as_str())),
            opt(p.payment_filter.map(|m| m.as_str())),
            p.sort.label()
        )),
        Span::styled(format!("{} shown", p.rows.len()), theme.dim()),
    ]))
    .render(bar, buf);

    let (table_area, detail_area) = super::split_detail(body, p.detail, p.rows.get(p.selected).map(|v| v.payload.as_str()));
    // Only columns that fit: constraints that cannot all be met make the
    // layout solver's answer vary from run to run.
    // Narrow (beside the detail, which names the id) the holders get the row.
    let wide = table_area.width >= 60;
    let header =
        if wide { Row::new(["ID", "TYPE", "HOLDERS", "PHONE", "STATUS"]) } else { Row::new(["HOLDERS", "STATUS"]) }.style(theme.title());
    let holders_w = table_area.width.saturating_sub(if wide { 2 + 8 + 7 + 14 + 6 + 4 } else { 2 + 6 + 1 }) as usize;
    let (start, shown) = super::table_window(p.selected, table_area.height);
    let rows: Vec<Row> = p
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
        .map(|(i, v)| {
            let holders = text::fit(&visible(&v.pass.holders()), holders_w).into_owned();
            let r = if wide {
                Row::new(vec![
                    Cell::from(short(&v.pass.id).to_string()),
                    Cell::from(text::fit(&visible(&v.pass.pass_type), 7).into_owned()),
                    Cell::from(holders),
                    Cell::from(text::fit(&visible(&v.pass.holder_phone), 14).into_owned()),
                    Cell::from(v.status.as_str()),
                ])
            } else {
                Row::new(vec![Cell::from(holders), Cell::from(v.status.as_str())])
            };
            if i == p.selected { r.style(theme.selected()) } else { r }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![Constraint::Length(8), Constraint::Length(7), Constraint::Fill(1), Constraint::Length(14), Constraint::Length(6)]
    } else {
        vec![Constraint::Fill(1), Constraint::Length(6)]
    };
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(" Passes ")), table_area, buf);

    if let (Some(area), Some(v)) = (detail_area, p.rows.get(p.selected)) {
        let q = &v.pass;
        let block = Block::bordered().title(format!(" {} ", short(&q.id)));
        let inner = block.inner(area);
        block.render(area, buf);
        // Everything an admin asks at the desk: who, how to reach them,
        // when and by whom it was issued, paid, used or voided.
        let w = inner.width as usize;
        let money = format_money(q.price_cents, &view.cfg.event.currency);
        let mut rows: Vec<(String, bool)> = vec![
            (format!("{} · {} · {money}", q.pass_type, q.persons), false),
            (visible(&q.holders()).into_owned(), true),
            (
                format!(
                    "phone {}{}",
                    visible(&q.holder_phone),
                    q.holder2_phone.as_deref().map(|p| format!(" · {}", visible(p))).unwrap_or_default()
                ),
                false,
            ),
            (format!("slot {}", visible(&q.slot)), false),
            (format!("issued {} by {}", day_time(&q.created_at), visible(&q.created_by)), false),
            (
                format!(
                    "{}{}",
                    q.payment_mode.as_str(),
                    q.txn_ref.as_deref().map(|t| format!(" · txn {}", visible(t))).unwrap_or_default()
                ),
                false,
            ),
            (v.status.as_str().to_uppercase(), true),
        ];
        if let Some(at) = &q.scanned_at {
            rows.push((
                format!(
                    "in {} by {} at {}",
                    day_time(at),
                    visible(q.scanned_by.as_deref().unwrap_or("?")),
                    visible(q.gate.as_deref().unwrap_or("?"))
                ),
                false,
            ));
        }
        if let Some(at) = &q.voided_at {
            rows.push((format!("voided {} by {}", day_time(at), visible(q.voided_by.as_deref().unwrap_or("?"))), false));
            rows.push((format!("reason: {}", visible(q.void_reason.as_deref().unwrap_or(""))), false));
        }
        let lines: Vec<Line> = rows
            .into_iter()
            .map(|(t, strong)| {
                let t = text::fit(&t, w).into_owned();
                if strong { Line::from(Span::styled(t, theme.title())) } else { Line::from(t) }
            })
            .collect();
        let n = lines.len() as u16;
        Paragraph::new(lines).render(Rect { height: n.min(inner.height), ..inner }, buf);
        let qr_area = Rect { y: inner.y + n, height: inner.height.saturating_sub(n), ..inner };
        halfblock::qr_panel(&v.payload, qr_area, buf, theme, "p prints the pass.");
    }
    if let Some(prompt) = &p.prompt {
        prompt.render(theme, area, buf);
    }
}

/// `12-03 21:52` in local time: the day matters for issue and void times.
fn day_time(stamp: &str) -> String {
    crate::domain::clock::parse_stamp(stamp).map(|t| crate::domain::clock::shown(t, "%m-%d %H:%M")).unwrap_or_else(|| stamp.to_string())
}
