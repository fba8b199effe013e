//! Stats: counts, revenue, occupancy and scans per hour, refreshed live.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph, Widget, Wrap};

use crate::domain::pass::format_money;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::effect::Effect;
use crate::tui::theme::Theme;

pub fn key(key: KeyEvent) -> Option<Action> {
    (key.code == KeyCode::Char('r')).then_some(Action::Refresh)
}

pub fn update(action: Action) -> Vec<Effect> {
    match action {
        Action::Refresh => vec![Effect::LoadStats],
        _ => vec![],
    }
}

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(s) = &app.stats else {
        Paragraph::new("loading…").block(Block::bordered().title(" Stats ")).render(area, buf);
        return;
    };
    // One line a slot, at most four shown; the chart keeps the rest.
    let slot_h = if s.by_slot.is_empty() { 0 } else { s.by_slot.len().min(4) as u16 + 2 };
    let [top, slots, chart] = Layout::vertical([Constraint::Length(11), Constraint::Length(slot_h), Constraint::Min(5)]).areas(area);
    let [counts, money] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let cur = &s.currency;
    let mut left = vec![
        Line::from(vec![
            Span::raw("Admitted   "),
            Span::styled(format!("{} people", s.people_admitted), theme.ok()),
            Span::raw(format!(" ({} passes)", s.passes_admitted)),
        ]),
        Line::from(format!("Inside now {}  (residents IN {})", s.occupancy(), s.residents_in)),
        Line::from(format!("Issued     {}   Unused {}   Voided {}", s.passes_issued, s.passes_unused, s.passes_voided)),
        Line::from(format!("Residents  {} IN · {} OUT", s.residents_in, s.residents_out)),
    ];
    let denied: u64 = s.denied_by_reason.values().sum();
    left.push(Line::from(format!("Denied     {denied}")));
    // Every reason, wrapped: none may fall off the box.
    let reasons: Vec<String> = s.denied_by_reason.iter().map(|(v, n)| format!("{v} {n}")).collect();
    if !reasons.is_empty() {
        left.push(Line::from(Span::styled(reasons.join(" · "), theme.dim())));
    }
    Paragraph::new(left).wrap(Wrap { trim: false }).block(Block::bordered().title(" People ")).render(counts, buf);
    let m = |v: f64| format_money((v * 100.0).round() as i64, cur);
    let mut right = vec![Line::from(vec![Span::raw("Revenue "), Span::styled(format_money(s.revenue_total_cents, cur), theme.ok())])];
    for (k, v) in &s.revenue_by_payment {
        right.push(Line::from(format!("  {k:<8} {}", m(*v))));
    }
    for (k, v) in &s.revenue_by_operator {
        right.push(Line::from(format!("  by {k:<10} {}", m(*v))));
    }
    for (t, n) in &s.issued_by_type {
        right.push(Line::from(Span::styled(format!("  {t} × {n}"), theme.dim())));
    }
    Paragraph::new(right).block(Block::bordered().title(" Revenue (voided excluded) ")).render(money, buf);

    if slot_h > 0 {
        let lines: Vec<Line> = s
            .by_slot
            .iter()
            .map(|(slot, n)| Line::from(format!("{slot:<32} issued {:>4}  admitted {:>4}  people {:>4}", n.issued, n.admitted, n.people)))
            .collect();
        let title = format!(" Slots ({}) ", s.by_slot.len());
        Paragraph::new(lines).block(Block::bordered().title(title)).render(slots, buf);
    }

    let bars: Vec<Bar> = s
        .scans_per_hour
        .iter()
        .map(|(h, n)| {
            let hour =
                crate::domain::clock::parse_stamp(h).map(|t| t.with_timezone(&chrono::Local).format("%H").to_string()).unwrap_or_default();
            Bar::default().value(*n).label(Line::from(hour)).text_value(if *n > 0 { n.to_string() } else { String::new() })
        })
        .collect();
    let bar_w = ((chart.width.saturating_sub(2)) / 24).saturating_sub(1).clamp(1, 4);
    BarChart::default()
        .block(Block::bordered().title(format!(" Scans per hour, last 24 h ({}) ", s.scans_total_24h)))
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_w)
        .bar_gap(1)
        .bar_style(theme.ok())
        .render(chart, buf);
}
