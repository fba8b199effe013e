//! The ESC/POS commands gatehouse sends, written byte by byte. Only the
//! common subset every receipt printer since the Epson TM-T88 understands.

use super::bitmap::Bitmap;

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const LF: u8 = 0x0A;

/// Rows per `GS v 0` command. Long images are sent in bands so cheap
/// printers with small buffers do not drop data.
pub const RASTER_BAND_ROWS: u32 = 240;

/// QR error correction for `GS ( k` function 169: '0' L, '1' M, '2' Q, '3' H.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrEc {
    L = 48,
    M = 49,
    Q = 50,
    H = 51,
}

#[derive(Debug, Default)]
pub struct Escpos {
    out: Vec<u8>,
}

impl Escpos {
    pub fn new() -> Escpos {
        Escpos::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// ESC @: reset the printer's modes.
    pub fn init(&mut self) -> &mut Self {
        self.out.extend([ESC, b'@']);
        self
    }

    /// ESC t n: the character code table (0 = PC437).
    pub fn code_table(&mut self, n: u8) -> &mut Self {
        self.out.extend([ESC, b't', n]);
        self
    }

    /// ESC a n: 0 left, 1 centre, 2 right.
    pub fn align(&mut self, n: u8) -> &mut Self {
        self.out.extend([ESC, b'a', n]);
        self
    }

    /// ESC E n: emphasised (bold) on or off.
    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.out.extend([ESC, b'E', u8::from(on)]);
        self
    }

    /// GS ! n: character width and height multipliers, 1 to 8 each.
    pub fn size(&mut self, w: u8, h: u8) -> &mut Self {
        let (w, h) = (w.clamp(1, 8) - 1, h.clamp(1, 8) - 1);
        self.out.extend([GS, b'!', (w << 4) | h]);
        self
    }

    /// Text in the printer's code page, then LF.
    pub fn line(&mut self, text: &str) -> &mut Self {
        self.out.extend(text.chars().map(to_cp437));
        self.out.push(LF);
        self
    }

    pub fn lf(&mut self) -> &mut Self {
        self.out.push(LF);
        self
    }

    /// ESC d n: print and feed n lines.
    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.out.extend([ESC, b'd', n]);
        self
    }

    /// GS V 1: partial cut (printers without a cutter ignore it).
    pub fn cut(&mut self) -> &mut Self {
        self.out.extend([GS, b'V', 1]);
        self
    }

    /// GS v 0 m xL xH yL yH d1..dk: a raster bit image, in bands of at most
    /// `RASTER_BAND_ROWS` rows; m = 0 is normal density.
    pub fn raster(&mut self, img: &Bitmap) -> &mut Self {
        let wb = img.width_bytes();
        let mut y = 0;
        while y < img.height() {
            let rows = (img.height() - y).min(RASTER_BAND_ROWS);
            self.out.extend([GS, b'v', b'0', 0, (wb & 0xFF) as u8, (wb >> 8) as u8, (rows & 0xFF) as u8, (rows >> 8) as u8]);
            self.out.extend_from_slice(img.rows(y, y + rows));
            y += rows;
        }
        self
    }

    /// `GS ( k` with cn = 49 (QR): select model 2 (fn 165), module size
    /// (fn 167), error correction (fn 169), store the data (fn 180), print
    /// it (fn 181).
    pub fn qr_native(&mut self, data: &[u8], module: u8, ec: QrEc) -> &mut Self {
        self.gs_k(&[49, 65, 50, 0]); // fn 165: model 2
        self.gs_k(&[49, 67, module.clamp(1, 16)]); // fn 167: module size in dots
        self.gs_k(&[49, 69, ec as u8]); // fn 169: error correction
        let mut store = vec![49, 80, 48]; // fn 180: store in the symbol area
        store.extend_from_slice(data);
        self.gs_k(&store);
        self.gs_k(&[49, 81, 48]) // fn 181: print the stored symbol
    }

    /// GS ( k pL pH followed by `params` (pL + pH * 256 = params.len()).
    fn gs_k(&mut self, params: &[u8]) -> &mut Self {
        let n = params.len();
        self.out.extend([GS, b'(', b'k', (n & 0xFF) as u8, (n >> 8) as u8]);
        self.out.extend_from_slice(params);
        self
    }
}

/// Code page 437's upper half, 0x80..=0xFF.
const CP437_HIGH: &str =
    "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}";

/// One character in PC437 (the table every printer starts in); `?` when
/// it has none. Control characters never reach the printer.
pub fn to_cp437(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        _ => CP437_HIGH.chars().position(|h| h == c).map_or(b'?', |i| 0x80 + i as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp437_table_is_complete() {
        assert_eq!(CP437_HIGH.chars().count(), 128);
        assert_eq!(to_cp437('A'), b'A');
        assert_eq!(to_cp437('é'), 0x82);
        assert_eq!(to_cp437('·'), 0xFA);
        assert_eq!(to_cp437('\n'), b'?');
        assert_eq!(to_cp437('₹'), b'?');
    }

    #[test]
    fn raster_bands() {
        let mut b = Bitmap::new(20, RASTER_BAND_ROWS + 5);
        b.set(0, 0);
        let mut e = Escpos::new();
        e.raster(&b);
        let out = e.into_bytes();
        assert_eq!(&out[..8], &[GS, b'v', b'0', 0, 3, 0, RASTER_BAND_ROWS as u8, 0]);
        assert_eq!(out[8], 0x80);
        let second = 8 + 3 * RASTER_BAND_ROWS as usize;
        assert_eq!(&out[second..second + 8], &[GS, b'v', b'0', 0, 3, 0, 5, 0]);
        assert_eq!(out.len(), second + 8 + 15);
    }
}
