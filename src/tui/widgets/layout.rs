//! Placing boxes: a dialog centred in the body.

use ratatui::layout::Rect;

/// A `w` by `h` box in the middle of `area` (smaller when `area` is).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}
