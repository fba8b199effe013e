//! The admin's issue form, and the pass with its QR once issued.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::{error_row, field_row, short};
use crate::domain::pass::{format_money, to_cents};
use crate::tui::app::App;
use crate::tui::forms::{IssueField, PAYMENTS};
use crate::tui::theme::Theme;
use crate::tui::widgets::halfblock;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    match &app.issue.issued {
        Some(v) => render_issued(app, v, theme, area, buf),
        None => render_form(app, theme, area, buf),
    }
}

fn choice_row(label: &str, value: &str, focused: bool, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let marker = if focused { "▸ " } else { "  " };
    let spans = vec![
        Span::styled(format!("{marker}{label:<16}"), if focused { theme.focus() } else { Style::default() }),
        Span::styled(format!("◂ {value} ▸"), if focused { theme.selected() } else { Style::default() }),
    ];
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn render_form(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let f = &app.issue;
    let cfg = &app.cfg;
    let block = Block::bordered().title(Span::styled(" Issue a pass ", theme.title()));
    let inner = block.inner(area);
    block.render(area, buf);
    let err = |k: &str| f.errors.get(k);
    let ptype = cfg.pass_types.get(f.type_idx);
    let mut y = inner.y;
    for field in f.fields(cfg) {
        if y >= inner.y + inner.height {
            break;
        }
        let row = Rect { y, height: 1, ..inner };
        let focused = f.focus == field;
        let key = match field {
            IssueField::Type => "type",
            IssueField::Payment => "payment",
            IssueField::Slot => "slot",
            other => f.text(other).map_or("", |t| t.key),
        };
        match field {
            IssueField::Type => {
                let v = ptype.map_or("?".to_string(), |t| {
                    format!(
                        "{} · {} person{} · {}",
                        t.name,
                        t.persons,
                        if t.persons == 1 { "" } else { "s" },
                        format_money(to_cents(t.price), &cfg.event.currency)
                    )
                });
                choice_row("Pass type", &v, focused, theme, row, buf);
            }
            IssueField::Payment => choice_row("Payment", PAYMENTS[f.payment_idx], focused, theme, row, buf),
            IssueField::Slot => {
                choice_row("Time slot", cfg.event.slots.get(f.slot_idx).map_or("?", String::as_str), focused, theme, row, buf)
            }
            IssueField::Submit => {
                y += 1;
                let row = Rect { y, height: 1, ..inner };
                let label = if f.busy { "  [ issuing… ]" } else { "  [ Issue pass ]" };
                Paragraph::new(Span::styled(label, if focused { theme.selected() } else { theme.key() })).render(row, buf);
            }
            other => {
                if let Some(t) = f.text(other) {
                    field_row(t, focused, 16, theme, row, buf);
                }
            }
        }
        y += 1;
        if let Some(e) = err(key).filter(|_| y < inner.y + inner.height) {
            error_row(e, 16, theme, Rect { y, height: 1, ..inner }, buf);
            y += 1;
        }
    }
    // Errors the form has no row for (e.g. a duplicate holder) go last.
    let shown = ["type", "name", "phone", "name2", "phone2", "payment", "txn", "slot"];
    for e in f.errors.0.iter().filter(|e| !shown.contains(&e.field)) {
        y += 1;
        if y < inner.y + inner.height {
            Paragraph::new(Span::styled(format!("  ✗ {}: {}", e.field, e.message), theme.error()))
                .render(Rect { y, height: 1, ..inner }, buf);
        }
    }
}

fn render_issued(app: &App, v: &crate::service::PassView, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let p = &v.pass;
    let [left, right] = Layout::horizontal([Constraint::Min(30), Constraint::Length(41)]).areas(area);
    let mut lines = vec![
        Line::from(Span::styled("Pass issued", theme.ok())),
        Line::from(""),
        Line::from(format!("Id       {}", short(&p.id))),
        Line::from(format!("Type     {} · {} person{}", p.pass_type, p.persons, if p.persons == 1 { "" } else { "s" })),
        Line::from(format!("Holder   {}  {}", p.holder_name, p.holder_phone)),
    ];
    if let (Some(n), Some(ph)) = (&p.holder2_name, &p.holder2_phone) {
        lines.push(Line::from(format!("Holder 2 {n}  {ph}")));
    }
    lines.extend([
        Line::from(format!("Price    {} {}", format_money(p.price_cents, &app.cfg.event.currency), p.payment_mode.as_str())),
        Line::from(format!("Slot     {}", p.slot)),
        Line::from(""),
        Line::from(vec![
            Span::styled("p", theme.key()),
            Span::raw(" print   "),
            Span::styled("s", theme.key()),
            Span::raw(" save PNG   "),
            Span::styled("n", theme.key()),
            Span::raw(" next pass"),
        ]),
    ]);
    Paragraph::new(lines).block(Block::bordered().title(" Issued ")).render(left, buf);
    let block = Block::bordered().title(" QR ");
    let inner = block.inner(right);
    block.render(right, buf);
    if !halfblock::render_qr(&v.payload, inner, buf) {
        Paragraph::new(v.payload.clone()).wrap(ratatui::widgets::Wrap { trim: true }).render(inner, buf);
    }
}
