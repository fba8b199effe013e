//! Stats: counts, revenue, occupancy, each slot and each gate, and scans
//! per hour, refreshed live.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Widget, Wrap};

use super::Ctx;
use super::scan::Level;
use crate::domain::pass::format_money;
use crate::domain::stats::Stats;
use crate::tui::action::Action;
use crate::tui::component::Component;
use crate::tui::effect::Effect;
use crate::tui::view::View;
use crate::tui::widgets::text::visible;

/// The counts are the console's (the Scan screen shows them too): this
/// screen has no state of its own.
#[derive(Debug, Clone, Default)]
pub struct StatsScreen;

impl Component for StatsScreen {
    fn key(&self, key: KeyEvent, _at: std::time::Instant) -> Option<Action> {
        (key.code == KeyCode::Char('r')).then_some(Action::Refresh)
    }

    fn update(&mut self, action: Action, _cx: &mut Ctx) -> Vec<Effect> {
        match action {
            Action::Refresh => vec![Effect::LoadStats],
            _ => vec![],
        }
    }

    fn enter(&mut self) -> Vec<Effect> {
        vec![Effect::LoadStats]
    }

    fn footer(&self) -> &'static str {
        "r refresh (live while scanning)  ? help  q quit"
    }

    fn render(&self, v: &View, area: Rect, buf: &mut Buffer) {
        render(v, area, buf)
    }
}

fn render(v: &View, area: Rect, buf: &mut Buffer) {
    let theme = v.theme;
    let Some(s) = v.stats else {
        let text = v.stats_offline.map_or_else(|| "loading…".into(), str::to_string);
        Paragraph::new(text).wrap(Wrap { trim: true }).block(Block::bordered().title(" Stats ")).render(area, buf);
        return;
    };
    let (slot_lines, gate_lines) = (lines_for(s.by_slot.len(), s.by_gate.len()), lines_for(s.by_gate.len(), s.by_slot.len()));
    let rows_h = if slot_lines + gate_lines == 0 { 0 } else { (slot_lines + gate_lines) as u16 + 2 };
    let top_h = top_height(s, area.width);
    // Short of rows (a conflict banner above), the chart gives way first:
    // the counts and the denial reasons stay whole.
    let gates_h = crate::tui::widgets::gates::height(v.gates);
    let [top, rows, gates, chart] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Length(rows_h), Constraint::Length(gates_h), Constraint::Fill(1)])
            .areas(area);
    if gates_h > 0 {
        crate::tui::widgets::gates::GatesBox { gates: v.gates, theme }.render(gates, buf);
    }
    let [counts, money] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let cur = &s.currency;
    let mut left = vec![
        Line::from(vec![
            Span::raw("Admitted   "),
            Span::styled(crate::domain::stats::people(s.people_admitted), theme.ok()),
            Span::raw(format!(" ({})", crate::domain::stats::passes(s.passes_admitted))),
        ]),
        inside_line(v, s),
        Line::from(format!("Issued     {}   Unused {}   Voided {}", s.passes_issued, s.passes_unused, s.passes_voided)),
        Line::from(format!("Residents  {} IN · {} OUT", s.residents_in, s.residents_out)),
    ];
    if !s.by_zone.is_empty() {
        left.push(zones_line(v, s));
    }
    if s.conflicts > 0 {
        // Offline double admissions (docs/offline.md): each person counted once above.
        left.push(Line::from(vec![
            Span::raw("Conflicts  "),
            Span::styled(format!("{}", s.conflicts), theme.error()),
            Span::raw(format!(" ({} open)", s.conflicts_open)),
        ]));
    }
    let denied: u64 = s.denied_by_reason.values().sum();
    left.push(Line::from(format!("Denied     {denied}")));
    // Every reason, wrapped: none may fall off the box.
    // A no-break space keeps each reason with its count when the line wraps.
    let reasons: Vec<String> = s.denied_by_reason.iter().map(|(v, n)| format!("{v}\u{a0}{n}")).collect();
    if !reasons.is_empty() {
        left.push(Line::from(Span::styled(reasons.join(" · "), theme.dim())));
    }
    let title = if v.stats_offline.is_some() { " People · not current " } else { " People " };
    Paragraph::new(left).wrap(Wrap { trim: false }).block(Block::bordered().title(title)).render(counts, buf);
    let m = |v: f64| format_money((v * 100.0).round() as i64, cur);
    let mut right = vec![Line::from(vec![Span::raw("Revenue "), Span::styled(format_money(s.revenue_total_cents, cur), theme.ok())])];
    for (k, v) in &s.revenue_by_payment {
        right.push(Line::from(format!("  {k:<8} {}", m(*v))));
    }
    for (k, v) in &s.revenue_by_operator {
        right.push(Line::from(format!("  by {k:<10} {}", m(*v))));
    }
    for (t, n) in &s.sold_by_type {
        right.push(Line::from(Span::styled(format!("  {t} × {n}"), theme.dim())));
    }
    Paragraph::new(right).block(Block::bordered().title(" Revenue (voided excluded) ")).render(money, buf);

    if rows_h > 0 {
        // Slots, then gates: the same columns ("scans" where a slot has "issued").
        let mut lines: Vec<Line> = s
            .by_slot
            .iter()
            .take(slot_lines)
            .map(|(slot, n)| Line::from(format!("{slot:<32} issued {:>4}  admitted {:>4}  people {:>4}", n.issued, n.admitted, n.people)))
            .collect();
        lines.extend(s.by_gate.iter().take(gate_lines).map(|(gate, n)| {
            Line::from(vec![
                Span::styled(format!("{:<32}", format!("gate {gate}")), theme.title()),
                Span::raw(format!(" scans  {:>4}  admitted {:>4}  people {:>4}", n.scans, n.admitted, n.people)),
            ])
        }));
        let count = |what: &str, n: usize, shown: usize| match (n, shown) {
            (0, _) => None,
            (n, s) if s < n => Some(format!("{what} ({n}, {s} shown)")),
            (n, _) => Some(format!("{what} ({n})")),
        };
        let title: Vec<String> =
            [count("Slots", s.by_slot.len(), slot_lines), count("Gates", s.by_gate.len(), gate_lines)].into_iter().flatten().collect();
        Paragraph::new(lines).block(Block::bordered().title(format!(" {} ", title.join(" · ")))).render(rows, buf);
    }

    let bars: Vec<Bar> = s
        .scans_per_hour
        .iter()
        .map(|(h, n)| {
            let hour = crate::domain::clock::parse_stamp(h).map(|t| crate::domain::clock::shown(t, "%H")).unwrap_or_default();
            Bar::default().value(*n).label(Line::from(hour)).text_value(if *n > 0 { n.to_string() } else { String::new() })
        })
        .collect();
    if chart.height < 5 {
        return;
    }
    let bar_w = ((chart.width.saturating_sub(2)) / 24).saturating_sub(1).clamp(1, 4);
    BarChart::default()
        .block(Block::bordered().title(format!(" Scans per hour, last 24 h ({}) ", s.scans_total_24h)))
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_w)
        .bar_gap(1)
        .bar_style(theme.ok())
        .render(chart, buf);
}

/// Guests inside now (residents have their own line), against the
/// venue's capacity when it has one, in
/// the warning or AT_CAPACITY colour as the Scan screen shows it.
fn inside_line(v: &View, s: &Stats) -> Line<'static> {
    let mut spans = vec![Span::raw("Inside now ")];
    match s.venue_capacity {
        Some(cap) => spans.push(Span::styled(format!("{}/{cap}", s.inside_now), level_style(v, Level::of(s.inside_now, cap)))),
        None => spans.push(Span::raw(s.inside_now.to_string())),
    }
    // In words too: nothing rests on colour alone.
    match s.venue_capacity.map(|cap| Level::of(s.inside_now, cap)) {
        Some(Level::Full) => spans.push(Span::styled(" AT CAPACITY", v.theme.at_capacity())),
        Some(Level::Nearly) => spans.push(Span::styled(" NEARLY FULL", v.theme.nearly_full())),
        _ => {}
    }
    Line::from(spans)
}

/// Each zone's people inside, against its capacity when it has one.
fn zones_line(v: &View, s: &Stats) -> Line<'static> {
    let mut spans = vec![Span::raw("Zones      ")];
    for (i, (name, z)) in s.by_zone.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(match z.capacity {
            Some(cap) => Span::styled(format!("{}\u{a0}{}/{cap}", visible(name), z.inside), level_style(v, Level::of(z.inside, cap))),
            None => Span::raw(format!("{}\u{a0}{}", visible(name), z.inside)),
        });
    }
    Line::from(spans)
}

fn zones_text(s: &Stats) -> String {
    let parts: Vec<String> = s
        .by_zone
        .iter()
        .map(|(n, z)| z.capacity.map_or_else(|| format!("{n}\u{a0}{}", z.inside), |c| format!("{n}\u{a0}{}/{c}", z.inside)))
        .collect();
    format!("Zones      {}", parts.join(" · "))
}

fn level_style(v: &View, level: Level) -> ratatui::style::Style {
    match level {
        Level::Full => v.theme.at_capacity(),
        Level::Nearly => v.theme.nearly_full(),
        Level::Room => v.theme.ok(),
    }
}

/// Lines for `n` rows of one kind beside `other` rows of the other: four
/// between them, each kind keeping at least two when both have more.
fn lines_for(n: usize, other: usize) -> usize {
    const ROWS: usize = 4;
    n.min(ROWS.saturating_sub(other.min(ROWS / 2)).max(ROWS / 2))
}

/// The People and Revenue boxes as tall as their longer text, so the chart
/// keeps the rest: 5 lines and the denial reasons wrapped on the left,
/// revenue by payment, operator and type on the right.
fn top_height(s: &Stats, width: u16) -> u16 {
    let inner = (width / 2).saturating_sub(2).max(1) as usize;
    let reasons: Vec<String> = s.denied_by_reason.iter().map(|(v, n)| format!("{v}\u{a0}{n}")).collect();
    let zones = if s.by_zone.is_empty() { 0 } else { wrapped_lines(&zones_text(s), inner) };
    let left = 5 + usize::from(s.conflicts > 0) + zones + wrapped_lines(&reasons.join(" · "), inner);
    let right = 1 + s.revenue_by_payment.len() + s.revenue_by_operator.len() + s.sold_by_type.len();
    (left.max(right) as u16 + 2).clamp(7, 11)
}

/// Lines `text` takes when wrapped at word boundaries to `width` columns.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let (mut lines, mut col) = (0, 0);
    for w in text.split(' ').map(|w| w.chars().count()) {
        if lines == 0 || col + 1 + w > width {
            lines += 1;
            col = w;
        } else {
            col += 1 + w;
        }
    }
    lines
}
