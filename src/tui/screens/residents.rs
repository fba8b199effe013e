//! Residents: who is IN and OUT, registration, detail with the card's QR.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::{error_row, field_row, short};
use crate::domain::resident::Presence;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::widgets::halfblock;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let r = &app.residents;
    if let Some(form) = &r.form {
        let block = Block::bordered().title(Span::styled(" Register a resident ", theme.title()));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut y = inner.y;
        for (i, f) in form.fields.iter().enumerate() {
            if y >= inner.y + inner.height {
                break;
            }
            field_row(f, form.focus == i, 18, theme, Rect { y, height: 1, ..inner }, buf);
            y += 1;
            if let Some(e) = form.errors.get(f.key).filter(|_| y < inner.y + inner.height) {
                error_row(e, 18, theme, Rect { y, height: 1, ..inner }, buf);
                y += 1;
            }
        }
        let y = y + 1;
        if y < inner.y + inner.height {
            let hint = if form.busy { "saving…" } else { "Enter on the last field saves · F5 takes the photo with the camera" };
            Paragraph::new(Span::styled(format!("  {hint}"), theme.dim())).render(Rect { y, height: 1, ..inner }, buf);
        }
        return;
    }
    let active: Vec<_> = r.rows.iter().filter(|v| v.resident.active).collect();
    let inside = active.iter().filter(|v| v.resident.status == Presence::In).count();
    let [bar, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    Paragraph::new(Line::from(vec![
        Span::raw(format!(" {} residents · ", active.len())),
        Span::styled(format!("{inside} IN"), theme.ok()),
        Span::raw(format!(" · {} OUT", active.len() - inside)),
    ]))
    .render(bar, buf);
    let (table_area, detail_area) = super::split_detail(body, r.detail);
    // Only columns that fit, so the layout has one answer.
    let wide = table_area.width >= 50;
    let (start, visible) = super::table_window(r.selected, table_area.height);
    let rows: Vec<Row> = r
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, v)| {
            let x = &v.resident;
            let status = if x.active { x.status.as_str() } else { "off" };
            let mut cells = vec![Cell::from(x.room.clone()), Cell::from(x.name.clone()), Cell::from(status)];
            if wide {
                cells.push(Cell::from(x.phone.clone()));
            }
            let row = Row::new(cells);
            if i == r.selected { row.style(theme.selected()) } else { row }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![Constraint::Length(8), Constraint::Fill(1), Constraint::Length(4), Constraint::Length(14)]
    } else {
        vec![Constraint::Length(8), Constraint::Fill(1), Constraint::Length(4)]
    };
    let header = if wide { Row::new(["ROOM", "NAME", "NOW", "PHONE"]) } else { Row::new(["ROOM", "NAME", "NOW"]) }.style(theme.title());
    Widget::render(Table::new(rows, widths).header(header).block(Block::bordered().title(" Residents ")), table_area, buf);
    if let (Some(area), Some(v)) = (detail_area, r.rows.get(r.selected)) {
        let x = &v.resident;
        let block = Block::bordered().title(format!(" {} ", short(&x.id)));
        let inner = block.inner(area);
        block.render(area, buf);
        let lines = vec![
            Line::from(Span::styled(x.name.clone(), theme.title())),
            Line::from(format!("room {} floor {} · {}", x.room, x.floor, if x.active { x.status.as_str() } else { "inactive" })),
        ];
        Paragraph::new(lines).render(inner, buf);
        halfblock::render_qr(&v.payload, Rect { y: inner.y + 2, height: inner.height.saturating_sub(2), ..inner }, buf);
    }
}
