//! Grey images (camera preview, QR codes, photos) drawn with half blocks:
//! two pixels per cell, upper in the foreground, lower in the background.

use image::GrayImage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use crate::tui::theme::Theme;

/// Draw `img` scaled to fit `area` (keeping its aspect), centred.
pub fn render(img: &GrayImage, area: Rect, buf: &mut Buffer, color: bool) {
    if img.width() == 0 || img.height() == 0 || area.width == 0 || area.height == 0 {
        return;
    }
    let (iw, ih) = (img.width() as f32, img.height() as f32);
    let scale = (area.width as f32 / iw).min(area.height as f32 * 2.0 / ih);
    let (cw, ch) = (((iw * scale) as u16).max(1), ((ih * scale / 2.0) as u16).max(1));
    let (x0, y0) = (area.x + (area.width - cw.min(area.width)) / 2, area.y + (area.height - ch.min(area.height)) / 2);
    let px = |x: u16, y: u16| -> u8 {
        let sx = ((x as f32 + 0.5) / scale).min(iw - 1.0) as u32;
        let sy = ((y as f32 + 0.5) / scale).min(ih - 1.0) as u32;
        img.get_pixel(sx, sy).0[0]
    };
    for cy in 0..ch.min(area.height) {
        for cx in 0..cw.min(area.width) {
            let (top, bottom) = (px(cx, cy * 2), px(cx, cy * 2 + 1));
            let cell = &mut buf[(x0 + cx, y0 + cy)];
            if color {
                cell.set_symbol("▀").set_style(Style::default().fg(Color::Rgb(top, top, top)).bg(Color::Rgb(bottom, bottom, bottom)));
            } else {
                // Without colour: threshold into the four half-block shapes.
                let sym = match (top >= 128, bottom >= 128) {
                    (true, true) => "█",
                    (true, false) => "▀",
                    (false, true) => "▄",
                    (false, false) => " ",
                };
                cell.set_symbol(sym);
            }
        }
    }
}

/// A QR symbol drawn so one module is one cell wide and half a cell high,
/// light modules as ink: scannable off the screen by a phone.
pub fn render_qr(payload: &str, area: Rect, buf: &mut Buffer) -> bool {
    draw_qr(payload, area, buf).is_ok()
}

/// The cells (columns, rows) a code's QR takes in half blocks.
pub fn qr_cells(payload: &str) -> Option<(u16, u16)> {
    let text = crate::qr::to_terminal(payload).ok()?;
    Some((text.lines().next().map_or(0, |l| l.chars().count()) as u16, text.lines().count() as u16))
}

/// Why a code's QR is not on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoQr {
    /// No code to draw (an Ed25519 code this sign-in cannot sign).
    NoCode(String),
    /// The symbol needs `need` cells (columns, rows); the box has `have`.
    TooSmall { need: (u16, u16), have: (u16, u16) },
}

/// The QR in half blocks (one module a cell wide, two to a cell's height),
/// or why not.
pub fn draw_qr(payload: &str, area: Rect, buf: &mut Buffer) -> Result<(), NoQr> {
    let text = crate::qr::to_terminal(payload).map_err(|e| NoQr::NoCode(e.to_string()))?;
    let lines: Vec<&str> = text.lines().collect();
    let w = lines.first().map_or(0, |l| l.chars().count()) as u16;
    let h = lines.len() as u16;
    if w > area.width || h > area.height {
        return Err(NoQr::TooSmall { need: (w, h), have: (area.width, area.height) });
    }
    let (x0, y0) = (area.x + (area.width - w) / 2, area.y + (area.height - h) / 2);
    for (dy, line) in lines.iter().enumerate() {
        for (dx, ch) in line.chars().enumerate() {
            let mut s = [0u8; 4];
            buf[(x0 + dx as u16, y0 + dy as u16)]
                .set_symbol(ch.encode_utf8(&mut s))
                .set_style(Style::default().fg(Color::White).bg(Color::Black));
        }
    }
    Ok(())
}

/// A code's QR panel: the symbol where it fits; else, plainly, that the
/// window is too small and by how much, and `hint` (what else to do:
/// print, save a PNG). Never the code as text, which looks like a symbol
/// that failed and cannot be scanned.
pub fn qr_panel(payload: &str, area: Rect, buf: &mut Buffer, theme: &Theme, hint: &str) {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Paragraph, Widget, Wrap};
    let why = match draw_qr(payload, area, buf) {
        Ok(()) => return,
        Err(NoQr::NoCode(why)) => vec![Line::from(Span::styled("NO QR TO SHOW", theme.error())), Line::from(why)],
        Err(NoQr::TooSmall { need: (nw, nh), have: (w, h) }) => {
            let mut more = Vec::new();
            if nh > h {
                more.push(format!("{} row{} taller", nh - h, if nh - h == 1 { "" } else { "s" }));
            }
            if nw > w {
                more.push(format!("{} column{} wider", nw - w, if nw - w == 1 { "" } else { "s" }));
            }
            vec![
                Line::from(Span::styled("WINDOW TOO SMALL FOR THE QR", theme.focus())),
                Line::from(format!("The QR needs {nw}×{nh} cells; this box has {w}×{h}.")),
                Line::from(format!("Make the window {}.", more.join(" and "))),
            ]
        }
    };
    let mut lines = why;
    if !hint.is_empty() {
        lines.push(Line::from(Span::styled(hint.to_string(), theme.dim())));
    }
    Paragraph::new(lines).wrap(Wrap { trim: true }).render(area, buf);
}
