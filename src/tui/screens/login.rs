use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::field_row;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::ui::centered;

pub fn render(app: &App, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let r = centered(area, 60, 11);
    let block = Block::bordered().title(Span::styled(format!(" {} · sign in ", app.gate), theme.title()));
    let inner = block.inner(r);
    block.render(r, buf);
    let l = &app.login;
    let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
    Paragraph::new(Line::from(Span::styled(format!(" {}", app.cfg.event.name), theme.title()))).render(row(0), buf);
    field_row(&l.user, !l.focus_pass, 9, theme, row(2), buf);
    field_row(&l.pass, l.focus_pass, 9, theme, row(4), buf);
    let msg = match (&l.error, l.busy) {
        (_, true) => Line::from(Span::styled("  checking…", theme.dim())),
        (Some(e), _) => Line::from(Span::styled(format!("  {e}"), theme.error())),
        (None, _) => Line::from(Span::styled("  Enter to continue", theme.dim())),
    };
    Paragraph::new(msg).render(row(6), buf);
}
