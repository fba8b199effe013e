//! A 1-bit bitmap in the layout `GS v 0` sends: rows of `width_bytes`
//! bytes, most significant bit first, a set bit is a printed (black) dot.

use image::{GrayImage, Luma};

use super::font::FONT;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Bitmap {
        let wb = width.div_ceil(8) as usize;
        Bitmap { width, height, bits: vec![0; wb * height as usize] }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn width_bytes(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    /// The packed rows, `width_bytes() * height()` bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bits
    }

    /// Rows `from..to` as packed bytes.
    pub fn rows(&self, from: u32, to: u32) -> &[u8] {
        let wb = self.width_bytes();
        &self.bits[from as usize * wb..to.min(self.height) as usize * wb]
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.bits[y as usize * self.width_bytes() + (x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }

    pub fn set(&mut self, x: u32, y: u32) {
        if x < self.width && y < self.height {
            let wb = self.width_bytes();
            self.bits[y as usize * wb + (x / 8) as usize] |= 0x80 >> (x % 8);
        }
    }

    pub fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32) {
        for yy in y..y.saturating_add(h).min(self.height) {
            for xx in x..x.saturating_add(w).min(self.width) {
                self.set(xx, yy);
            }
        }
    }

    /// Append `other` below this bitmap (same width; a narrower one is
    /// placed at the left).
    pub fn append(&mut self, other: &Bitmap) {
        let (wb, owb) = (self.width_bytes(), other.width_bytes());
        for y in 0..other.height {
            let row = &other.bits[y as usize * owb..][..owb.min(wb)];
            let mut line = vec![0u8; wb];
            line[..row.len()].copy_from_slice(row);
            if other.width < self.width && !other.width.is_multiple_of(8) {
                // Clear bits past the narrower bitmap's edge.
                let last = (other.width / 8) as usize;
                line[last] &= 0xFFu8 << (8 - other.width % 8);
            }
            self.bits.extend_from_slice(&line);
        }
        self.height += other.height;
    }

    /// Grow by `rows` blank rows.
    pub fn space(&mut self, rows: u32) {
        self.bits.resize(self.bits.len() + rows as usize * self.width_bytes(), 0);
        self.height += rows;
    }

    /// Draw one line of text with its top-left corner at (x, y), each font
    /// pixel `scale` dots square.
    pub fn draw_text(&mut self, x: u32, y: u32, text: &str, scale: u32) {
        let f = &*FONT;
        for (i, c) in text.chars().enumerate() {
            let cx = x + i as u32 * f.width * scale;
            for gy in 0..f.height {
                for gx in 0..f.width {
                    if f.pixel(c, gx, gy) {
                        self.fill_rect(cx + gx * scale, y + gy * scale, scale, scale);
                    }
                }
            }
        }
    }

    /// Greyscale, `scale` pixels per dot, with a white border of `border`
    /// pixels: what a phone shows.
    pub fn to_gray(&self, scale: u32, border: u32) -> GrayImage {
        let scale = scale.max(1);
        GrayImage::from_fn(self.width * scale + 2 * border, self.height * scale + 2 * border, |x, y| {
            let inside = x >= border && y >= border;
            let dark = inside && self.get((x - border) / scale, (y - border) / scale);
            Luma([if dark { 0 } else { 255 }])
        })
    }
}

/// Text lines as a bitmap of `width` dots: one row of glyphs per line,
/// `gap` blank dots between lines.
pub fn text_block(width: u32, lines: &[String], scale: u32, align: Align, margin: u32, gap: u32) -> Bitmap {
    let f = &*FONT;
    let line_h = f.height * scale;
    let h = if lines.is_empty() { 0 } else { lines.len() as u32 * (line_h + gap) - gap };
    let mut b = Bitmap::new(width, h);
    for (i, line) in lines.iter().enumerate() {
        let w = line.chars().count() as u32 * f.width * scale;
        let x = match align {
            Align::Left => margin,
            Align::Center => width.saturating_sub(w) / 2,
        };
        b.draw_text(x, i as u32 * (line_h + gap), line, scale);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_msb_first_rows_padded() {
        let mut b = Bitmap::new(10, 2);
        assert_eq!(b.width_bytes(), 2);
        b.set(0, 0);
        b.set(9, 1);
        assert_eq!(b.bytes(), &[0x80, 0x00, 0x00, 0x40]);
        assert!(b.get(0, 0) && b.get(9, 1) && !b.get(1, 0));
        b.set(10, 0); // outside: ignored
        assert_eq!(b.bytes()[1], 0);
    }

    #[test]
    fn append_and_space_stack_rows() {
        let mut a = Bitmap::new(16, 1);
        a.fill_rect(0, 0, 16, 1);
        let mut b = Bitmap::new(16, 2);
        b.set(3, 1);
        a.space(1);
        a.append(&b);
        assert_eq!(a.height(), 4);
        assert!(a.get(15, 0) && !a.get(0, 1) && a.get(3, 3));
    }

    #[test]
    fn text_is_centred() {
        let b = text_block(120, &["HI".into()], 1, Align::Center, 0, 0);
        assert_eq!(b.height(), 24);
        let xs: Vec<u32> = (0..120).filter(|&x| (0..24).any(|y| b.get(x, y))).collect();
        let (lo, hi) = (xs[0], xs[xs.len() - 1]);
        assert!(lo >= 48 && hi < 72, "{lo}..{hi}");
    }
}
