//! The ticket font: Terminus Font bold 12x24 (SIL OFL 1.1, see
//! `assets/fonts/Terminus-LICENSE.txt`) in the PSF2 console-font format,
//! embedded in the binary. 12x24 is the size of a receipt printer's own
//! Font A, so a raster ticket has the same 32 or 48 columns as native text.
//! The file covers Latin (with accents), Greek, Cyrillic and common
//! punctuation; any other character is drawn as `?`.

use std::collections::HashMap;
use std::sync::LazyLock;

const PSF: &[u8] = include_bytes!("../../assets/fonts/Uni2-TerminusBold24x12.psf");
const PSF2_MAGIC: u32 = 0x864a_b572;

pub struct Font {
    pub width: u32,
    pub height: u32,
    row_bytes: usize,
    glyph_bytes: usize,
    glyphs: &'static [u8],
    map: HashMap<char, usize>,
    fallback: usize,
}

/// The font, parsed once. The file is part of the build, so a parse failure
/// is a programming error caught by the unit tests, never a user's problem.
pub static FONT: LazyLock<Font> = LazyLock::new(|| Font::parse(PSF).unwrap_or_else(|e| panic!("embedded ticket font: {e}")));

fn u32_at(b: &[u8], i: usize) -> Result<u32, String> {
    b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "truncated header".to_string())
}

impl Font {
    fn parse(b: &'static [u8]) -> Result<Font, String> {
        if u32_at(b, 0)? != PSF2_MAGIC {
            return Err("not a PSF2 font".into());
        }
        let header = u32_at(b, 8)? as usize;
        let flags = u32_at(b, 12)?;
        let count = u32_at(b, 16)? as usize;
        let glyph_bytes = u32_at(b, 20)? as usize;
        let height = u32_at(b, 24)?;
        let width = u32_at(b, 28)?;
        let row_bytes = width.div_ceil(8) as usize;
        if row_bytes * height as usize != glyph_bytes {
            return Err("glyph size does not match width and height".into());
        }
        let end = header + count * glyph_bytes;
        let glyphs = b.get(header..end).ok_or("truncated glyphs")?;
        let mut map = HashMap::new();
        if flags & 1 == 1 {
            // The Unicode table: per glyph, UTF-8 characters, then optional
            // 0xFE-led sequences (ignored), ended by 0xFF.
            let table = &b[end..];
            for (glyph, entry) in table.split(|&c| c == 0xFF).take(count).enumerate() {
                let singles = entry.split(|&c| c == 0xFE).next().unwrap_or(&[]);
                for c in String::from_utf8_lossy(singles).chars() {
                    map.entry(c).or_insert(glyph);
                }
            }
        } else {
            for i in 0..count.min(256) {
                map.insert(char::from(i as u8), i);
            }
        }
        let fallback = *map.get(&'?').ok_or("no ? glyph")?;
        Ok(Font { width, height, row_bytes, glyph_bytes, glyphs, map, fallback })
    }

    #[cfg(test)]
    pub fn has(&self, c: char) -> bool {
        self.map.contains_key(&c)
    }

    /// Whether pixel (x, y) of `c`'s glyph is ink.
    pub fn pixel(&self, c: char, x: u32, y: u32) -> bool {
        let g = self.map.get(&c).copied().unwrap_or(self.fallback);
        let row = &self.glyphs[g * self.glyph_bytes + y as usize * self.row_bytes..][..self.row_bytes];
        row[(x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_parses_and_covers_tickets() {
        let f = &*FONT;
        assert_eq!((f.width, f.height), (12, 24));
        for c in "AZaz09 .,:-&·éñüÇ@#()/".chars() {
            assert!(f.has(c), "{c:?}");
        }
        // A space is blank; an H has ink in its left column.
        assert!((0..12).all(|x| (0..24).all(|y| !f.pixel(' ', x, y))));
        assert!((0..24).any(|y| f.pixel('H', 1, y) || f.pixel('H', 2, y)));
    }
}
