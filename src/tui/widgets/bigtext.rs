//! Verdict words in letters five rows high, readable from a step away.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

const H: usize = 5;

fn glyph(c: char) -> [&'static str; H] {
    match c {
        'A' => [" ### ", "#   #", "#####", "#   #", "#   #"],
        'B' => ["#### ", "#   #", "#### ", "#   #", "#### "],
        'C' => [" ####", "#    ", "#    ", "#    ", " ####"],
        'D' => ["#### ", "#   #", "#   #", "#   #", "#### "],
        'E' => ["#####", "#    ", "#### ", "#    ", "#####"],
        'F' => ["#####", "#    ", "#### ", "#    ", "#    "],
        'G' => [" ####", "#    ", "#  ##", "#   #", " ####"],
        'H' => ["#   #", "#   #", "#####", "#   #", "#   #"],
        'I' => ["#####", "  #  ", "  #  ", "  #  ", "#####"],
        'J' => ["#####", "   # ", "   # ", "#  # ", " ##  "],
        'K' => ["#   #", "#  # ", "###  ", "#  # ", "#   #"],
        'L' => ["#    ", "#    ", "#    ", "#    ", "#####"],
        'M' => ["#   #", "## ##", "# # #", "#   #", "#   #"],
        'N' => ["#   #", "##  #", "# # #", "#  ##", "#   #"],
        'O' => [" ### ", "#   #", "#   #", "#   #", " ### "],
        'P' => ["#### ", "#   #", "#### ", "#    ", "#    "],
        'Q' => [" ### ", "#   #", "# # #", "#  # ", " ## #"],
        'R' => ["#### ", "#   #", "#### ", "#  # ", "#   #"],
        'S' => [" ####", "#    ", " ### ", "    #", "#### "],
        'T' => ["#####", "  #  ", "  #  ", "  #  ", "  #  "],
        'U' => ["#   #", "#   #", "#   #", "#   #", " ### "],
        'V' => ["#   #", "#   #", "#   #", " # # ", "  #  "],
        'W' => ["#   #", "#   #", "# # #", "## ##", "#   #"],
        'X' => ["#   #", " # # ", "  #  ", " # # ", "#   #"],
        'Y' => ["#   #", " # # ", "  #  ", "  #  ", "  #  "],
        'Z' => ["#####", "   # ", "  #  ", " #   ", "#####"],
        '0' => [" ### ", "#  ##", "# # #", "##  #", " ### "],
        '1' => ["  #  ", " ##  ", "  #  ", "  #  ", " ### "],
        '2' => [" ### ", "#   #", "  ## ", " #   ", "#####"],
        '3' => ["#### ", "    #", " ### ", "    #", "#### "],
        '4' => ["#   #", "#   #", "#####", "    #", "    #"],
        '5' => ["#####", "#    ", "#### ", "    #", "#### "],
        '6' => [" ### ", "#    ", "#### ", "#   #", " ### "],
        '7' => ["#####", "    #", "   # ", "  #  ", "  #  "],
        '8' => [" ### ", "#   #", " ### ", "#   #", " ### "],
        '9' => [" ### ", "#   #", " ####", "    #", " ### "],
        _ => ["     ", "     ", "     ", "     ", "     "],
    }
}

/// Width in cells of `text` drawn big.
pub fn width(text: &str) -> u16 {
    width_at(text, 1)
}

/// Cells `text` takes drawn `scale` times as large.
pub fn width_at(text: &str, scale: u16) -> u16 {
    let n = text.chars().count() as u16;
    if n == 0 { 0 } else { (n * 6 - 1) * scale }
}

pub const HEIGHT: u16 = H as u16;

/// The largest scale, up to 3, at which `text` fits `w` x `h` cells.
pub fn scale_for(text: &str, w: u16, h: u16) -> Option<u16> {
    (1..=3).rev().find(|&s| width_at(text, s) <= w && HEIGHT * s <= h)
}

/// Draw `text` big, centred in `area`. Returns false (drawing nothing) when
/// it does not fit, so the caller can fall back to plain bold text.
pub fn render(text: &str, area: Rect, buf: &mut Buffer, style: Style) -> bool {
    render_at(text, 1, area, buf, style)
}

/// As `render`, each block `scale` cells wide and tall: at 120x40 the
/// verdict reads from further away.
pub fn render_at(text: &str, scale: u16, area: Rect, buf: &mut Buffer, style: Style) -> bool {
    let w = width_at(text, scale);
    let h = HEIGHT * scale;
    if scale == 0 || w > area.width || h > area.height {
        return false;
    }
    let x0 = area.x + (area.width - w) / 2;
    let y0 = area.y + (area.height - h) / 2;
    for (i, c) in text.chars().enumerate() {
        let g = glyph(c.to_ascii_uppercase());
        for (row, line) in g.iter().enumerate() {
            for (col, ch) in line.chars().enumerate() {
                if ch != '#' {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let x = x0 + ((i as u16) * 6 + col as u16) * scale + dx;
                        buf[(x, y0 + row as u16 * scale + dy)].set_symbol("█").set_style(style);
                    }
                }
            }
        }
    }
    true
}
