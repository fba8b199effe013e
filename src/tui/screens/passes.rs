//! The admin's pass table: search as you type, filters, sort, detail.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::{hhmmss, short};
use crate::domain::pass::format_money;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::widgets::halfblock;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let p = &app.passes;
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

    let (table_area, detail_area) = super::split_detail(body, p.detail);
    // Only columns that fit: constraints that cannot all be met make the
    // layout solver's answer vary from run to run.
    let wide = table_area.width >= 60;
    let header = if wide { Row::new(["ID", "TYPE", "HOLDERS", "PHONE", "STATUS"]) } else { Row::new(["ID", "HOLDERS", "STATUS"]) }
        .style(theme.title());
    let (start, visible) = super::table_window(p.selected, table_area.height);
    let rows: Vec<Row> = p
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, v)| {
            let r = if wide {
                Row::new(vec![
                    Cell::from(short(&v.pass.id).to_string()),
                    Cell::from(v.pass.pass_type.clone()),
                    Cell::from(v.pass.holders()),
                    Cell::from(v.pass.holder_phone.clone()),
                    Cell::from(v.status.as_str()),
                ])
            } else {
                Row::new(vec![Cell::from(short(&v.pass.id).to_string()), Cell::from(v.pass.holders()), Cell::from(v.status.as_str())])
            };
            if i == p.selected { r.style(theme.selected()) } else { r }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![Constraint::Length(8), Constraint::Length(7), Constraint::Fill(1), Constraint::Length(14), Constraint::Length(6)]
    } else {
        vec![Constraint::Length(8), Constraint::Fill(1), Constraint::Length(6)]
    };
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(" Passes ")), table_area, buf);

    if let (Some(area), Some(v)) = (detail_area, p.rows.get(p.selected)) {
        let q = &v.pass;
        let block = Block::bordered().title(format!(" {} ", short(&q.id)));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut lines = vec![
            Line::from(format!("{} · {} · {}", q.pass_type, q.persons, format_money(q.price_cents, &app.cfg.event.currency))),
            Line::from(q.holders()),
            Line::from(format!("{} {}", q.payment_mode.as_str(), q.txn_ref.clone().unwrap_or_default())),
            Line::from(Span::styled(v.status.as_str().to_uppercase(), theme.title())),
        ];
        if let Some(at) = &q.scanned_at {
            lines.push(Line::from(format!(
                "in {} by {} at {}",
                hhmmss(at),
                q.scanned_by.clone().unwrap_or_default(),
                q.gate.clone().unwrap_or_default()
            )));
        }
        if let Some(r) = &q.void_reason {
            lines.push(Line::from(format!("void: {r}")));
        }
        let n = lines.len() as u16;
        Paragraph::new(lines).render(Rect { height: n.min(inner.height), ..inner }, buf);
        let qr_area = Rect { y: inner.y + n, height: inner.height.saturating_sub(n), ..inner };
        halfblock::render_qr(&v.payload, qr_area, buf);
    }
}
