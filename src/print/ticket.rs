//! What a ticket says, as a list of items, and its two renderings: a 1-bit
//! bitmap (raster printing and PNG cards) and ESC/POS text with the
//! printer's own QR command (native).

use super::bitmap::{Align, Bitmap, text_block};
use super::escpos::{Escpos, QrEc};
use super::font::FONT;
use super::{PrintError, QrMode, Settings};
use crate::domain::pass::{Pass, format_money};
use crate::domain::resident::Resident;
use crate::domain::rules::TypeRule;

/// Dots left blank at each side of the paper.
const MARGIN: u32 = 8;
/// Dots between two lines of text.
const LINE_GAP: u32 = 4;

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Text wrapped to the paper, at 1x or 2x, centred.
    Text { text: String, scale: u32, bold: bool },
    /// A horizontal line.
    Rule,
    /// Blank dots.
    Gap(u32),
    /// The QR code of the payload.
    Qr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub width: u32,
    pub items: Vec<Item>,
    pub payload: String,
}

fn text(s: impl Into<String>) -> Item {
    Item::Text { text: s.into(), scale: 1, bold: false }
}

fn bold(s: impl Into<String>) -> Item {
    Item::Text { text: s.into(), scale: 1, bold: true }
}

fn title(s: impl Into<String>) -> Item {
    Item::Text { text: s.into(), scale: 2, bold: true }
}

/// The first 8 characters of an id: enough for `gatehouse print ID`.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn footer(cfg: &Settings, items: &mut Vec<Item>) {
    let f = cfg.footer.trim();
    if !f.is_empty() {
        items.extend([Item::Gap(8), Item::Rule, Item::Gap(8), text(f)]);
    }
}

/// A pass's ticket; `rule`, its type's rule, is named under the type
/// ("valid 24-26 Dec, re-entry allowed").
pub fn for_pass(cfg: &Settings, p: &Pass, rule: Option<&TypeRule>, payload: &str) -> Ticket {
    let persons = if p.persons == 1 { "1 person".to_string() } else { format!("{} persons", p.persons) };
    let mut items = vec![title(&cfg.event_name), Item::Gap(8), Item::Rule, Item::Gap(8), bold(format!("{} · {persons}", p.pass_type))];
    if let Some(r) = rule {
        items.push(text(r.summary()));
    }
    items.push(Item::Gap(8));
    items.push(text(&p.holder_name));
    if let Some(n2) = &p.holder2_name {
        items.push(text(format!("& {n2}")));
    }
    items.extend([
        Item::Gap(8),
        text(format!("Slot: {}", p.slot)),
        text(format!("Price: {}", format_money(p.price_cents, &cfg.currency))),
        Item::Gap(16),
        Item::Qr,
        Item::Gap(8),
        bold(format!("ID {}", short_id(&p.id))),
    ]);
    footer(cfg, &mut items);
    Ticket { width: cfg.width_dots, items, payload: payload.to_string() }
}

pub fn for_resident(cfg: &Settings, r: &Resident, payload: &str) -> Ticket {
    let mut place = format!("Room {}", r.room);
    if !r.floor.trim().is_empty() {
        place.push_str(&format!(" · Floor {}", r.floor));
    }
    let mut items = vec![title(&cfg.event_name), Item::Gap(8), Item::Rule, Item::Gap(8), bold("RESIDENT CARD"), Item::Gap(8)];
    items.extend([text(&r.name), text(place), Item::Gap(16), Item::Qr, Item::Gap(8), bold(format!("ID {}", short_id(&r.id)))]);
    footer(cfg, &mut items);
    Ticket { width: cfg.width_dots, items, payload: payload.to_string() }
}

/// Columns of text at `scale` on paper `width` dots wide.
pub fn columns(width: u32, scale: u32) -> usize {
    (width.saturating_sub(2 * MARGIN) / (FONT.width * scale)).max(1) as usize
}

/// Word-wrap to `cols` characters; words longer than a line are split.
/// Newlines and control characters are treated as spaces.
pub fn wrap(s: &str, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = cur.chars().count();
            let need = if used == 0 { word.len() } else { used + 1 + word.len() };
            if need <= cols {
                if used > 0 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut cur));
                continue;
            }
            // A word longer than the line: split it.
            let rest = word.split_off(cols);
            lines.push(word.into_iter().collect());
            word = rest;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Dots per QR module for the raster image: as large as fits in three
/// quarters of the paper, at most 8 (1 mm at 203 dpi).
fn raster_module(width: u32, modules: u32) -> u32 {
    ((width * 3 / 4) / (modules + 2 * crate::qr::QUIET)).clamp(2, 8)
}

/// Dots per module for `GS ( k`: 6 on 58 mm paper, 8 on 80 mm.
pub fn native_module(width: u32) -> u8 {
    if width >= 576 { 8 } else { 6 }
}

impl Ticket {
    /// The whole ticket as a bitmap `width` dots wide.
    pub fn to_bitmap(&self) -> Result<Bitmap, PrintError> {
        let w = self.width;
        let mut out = Bitmap::new(w, 0);
        out.space(16);
        for item in &self.items {
            match item {
                Item::Text { text, scale, .. } => {
                    let lines = wrap(text, columns(w, *scale));
                    out.append(&text_block(w, &lines, *scale, Align::Center, MARGIN, LINE_GAP));
                    out.space(LINE_GAP);
                }
                Item::Rule => {
                    let mut r = Bitmap::new(w, 2);
                    r.fill_rect(MARGIN, 0, w - 2 * MARGIN, 2);
                    out.append(&r);
                }
                Item::Gap(n) => out.space(*n),
                Item::Qr => out.append(&self.qr_bitmap()?),
            }
        }
        out.space(24);
        Ok(out)
    }

    fn qr_bitmap(&self) -> Result<Bitmap, PrintError> {
        let code = crate::qr::encode(&self.payload).map_err(|e| PrintError::Qr(e.to_string()))?;
        let n = code.width() as u32;
        let m = raster_module(self.width, n);
        let side = (n + 2 * crate::qr::QUIET) * m;
        let mut b = Bitmap::new(self.width, side);
        let x0 = self.width.saturating_sub(side) / 2 + crate::qr::QUIET * m;
        let y0 = crate::qr::QUIET * m;
        for (i, c) in code.to_colors().iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (mx, my) = (i as u32 % n, i as u32 / n);
                b.fill_rect(x0 + mx * m, y0 + my * m, m, m);
            }
        }
        Ok(b)
    }

    /// ESC/POS bytes for the ticket in the chosen QR mode.
    pub fn to_escpos(&self, mode: QrMode) -> Result<Vec<u8>, PrintError> {
        let mut e = Escpos::new();
        e.init();
        match mode {
            QrMode::Raster => {
                let img = self.to_bitmap()?;
                e.align(1).raster(&img);
            }
            QrMode::Native => {
                e.code_table(0).align(1);
                // Send size and bold only when they change (ESC @ left both off).
                let (mut cur_scale, mut cur_bold) = (1, false);
                for item in &self.items {
                    match item {
                        Item::Text { text, scale, bold } => {
                            if *scale != cur_scale {
                                let s = *scale as u8;
                                e.size(s, s);
                                cur_scale = *scale;
                            }
                            if *bold != cur_bold {
                                e.bold(*bold);
                                cur_bold = *bold;
                            }
                            for line in wrap(text, columns(self.width, *scale)) {
                                e.line(&line);
                            }
                        }
                        Item::Rule => {
                            if cur_scale != 1 {
                                e.size(1, 1);
                                cur_scale = 1;
                            }
                            e.line(&"-".repeat(columns(self.width, 1)));
                        }
                        Item::Gap(n) if *n >= 16 => {
                            e.lf();
                        }
                        Item::Gap(_) => {}
                        Item::Qr => {
                            // Check the payload encodes before handing it to the printer.
                            crate::qr::encode(&self.payload).map_err(|err| PrintError::Qr(err.to_string()))?;
                            e.qr_native(self.payload.as_bytes(), native_module(self.width), QrEc::Q).lf();
                        }
                    }
                }
            }
        }
        e.feed(4).cut();
        Ok(e.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_words_and_long_words() {
        assert_eq!(wrap("Asha   Rao\nand  friends", 10), vec!["Asha Rao", "and", "friends"]);
        assert_eq!(wrap("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
        assert_eq!(wrap("ab cdefghij", 5), vec!["ab", "cdefg", "hij"]);
    }

    #[test]
    fn columns_match_printer_fonts() {
        // Font A is 12 dots wide: 30 columns inside the margins on 58 mm paper.
        assert_eq!(columns(384, 1), 30);
        assert_eq!(columns(576, 1), 46);
        assert_eq!(columns(384, 2), 15);
    }

    #[test]
    fn qr_fits_the_paper() {
        for w in [384, 576] {
            let m = raster_module(w, 33);
            assert!((33 + 8) * m <= w && m >= 6, "{w}: {m}");
        }
    }
}
