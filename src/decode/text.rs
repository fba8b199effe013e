//! Turning the raw bytes of a QR symbol into text.
//!
//! rqrr hands back the bytes as they are in the symbol: byte-mode data in
//! whatever encoding the writer used, and Kanji-mode data as Shift_JIS. Most
//! codes are UTF-8 (or ASCII); Japanese codes are often Shift_JIS; the QR
//! standard's default for byte mode is ISO-8859-1. Try them in that order.

/// UTF-8 when the bytes are valid UTF-8, else Shift_JIS when they are valid
/// Shift_JIS, else Latin-1 (every byte is a character).
pub fn bytes_to_text(raw: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(raw) {
        return s.to_owned();
    }
    if let Some(s) = encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(raw) {
        return s.into_owned();
    }
    raw.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_shift_jis_then_latin1() {
        assert_eq!(bytes_to_text(b"GH1-P-01"), "GH1-P-01");
        assert_eq!(bytes_to_text("Grüße".as_bytes()), "Grüße");
        // "日本" in Shift_JIS.
        assert_eq!(bytes_to_text(&[0x93, 0xfa, 0x96, 0x7b]), "日本");
        // "café" in Latin-1: not UTF-8, and 0xe9 alone is not Shift_JIS.
        assert_eq!(bytes_to_text(&[b'c', b'a', b'f', 0xe9]), "café");
        assert_eq!(bytes_to_text(&[]), "");
    }
}
