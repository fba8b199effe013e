//! Grey images (camera preview, QR codes, photos) drawn with half blocks:
//! two pixels per cell, upper in the foreground, lower in the background.

use image::GrayImage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

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
    let Ok(text) = crate::qr::to_terminal(payload) else { return false };
    let lines: Vec<&str> = text.lines().collect();
    let w = lines.first().map_or(0, |l| l.chars().count()) as u16;
    let h = lines.len() as u16;
    if w > area.width || h > area.height {
        return false;
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
    true
}
