//! Text that comes from outside (names, reasons, gate names, config
//! strings): which characters may be stored, Unicode normalisation, and the
//! case folding that search compares with.

use unicode_normalization::UnicodeNormalization;

/// Characters that show nothing (or a blank) yet are not white space, so two
/// names that look the same would compare different: fillers, the Braille
/// blank, the combining grapheme joiner and the Khmer inherent vowels.
const INVISIBLE: [char; 8] = ['\u{034F}', '\u{115F}', '\u{1160}', '\u{17B4}', '\u{17B5}', '\u{2800}', '\u{3164}', '\u{FFA0}'];

/// Unicode's format class (Cf, Unicode 15.1): zero-width characters, the
/// bidi embeddings, overrides and isolates, the BOM, tags, and so on.
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// A character that must never be stored or printed as it is: a control
/// character (C0, DEL, C1), a format character, a line or paragraph
/// separator, or an invisible filler.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}') || INVISIBLE.contains(&c)
}

/// The zero-width joiner and non-joiner shape letters in Indic scripts,
/// Persian and emoji sequences; they are let through only between two
/// visible characters outside ASCII, where they have that job.
fn joiner_in_place(prev: Option<char>, c: char, next: Option<char>) -> bool {
    let shaped = |x: Option<char>| x.is_some_and(|x| !x.is_ascii() && !x.is_whitespace() && !is_hidden(x));
    matches!(c, '\u{200C}' | '\u{200D}') && shaped(prev) && shaped(next)
}

/// Whether `chars[i]` may not be stored or shown as it is, with `\n`
/// allowed or not.
pub fn hidden_at(chars: &[char], i: usize, allow_newline: bool) -> bool {
    let c = chars[i];
    let allowed =
        (allow_newline && c == '\n') || !is_hidden(c) || joiner_in_place(i.checked_sub(1).map(|p| chars[p]), c, chars.get(i + 1).copied());
    !allowed
}

/// The first character of `s` that may not be stored, with `\n` allowed
/// or not.
pub fn first_hidden(s: &str, allow_newline: bool) -> Option<char> {
    let chars: Vec<char> = s.chars().collect();
    (0..chars.len()).find(|&i| hidden_at(&chars, i, allow_newline)).map(|i| chars[i])
}

/// What is wrong with `s`, in words for the field's error.
pub fn problem(s: &str, allow_newline: bool) -> Option<String> {
    first_hidden(s, allow_newline).map(|c| {
        if c.is_control() {
            format!("contains a control character (U+{:04X})", c as u32)
        } else {
            format!("contains an invisible or text-direction character (U+{:04X})", c as u32)
        }
    })
}

/// Canonical composition (NFC): `e` + combining acute becomes `é`, so the
/// same visible name is stored, compared and searched as the same text.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// The key search compares: compatibility-normalised (NFKC, so ligatures
/// and full-width letters match their plain forms) and lower-cased with
/// Unicode's full mapping, so `ÉLISE`, `Élise` and `élise` all match
/// (and the final sigma folds like σ, as in case folding).
pub fn search_fold(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).map(|c| if c == 'ς' { 'σ' } else { c }).nfc().collect()
}

/// First characters that make a spreadsheet read a cell as a formula
/// (OWASP's list for CSV injection).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A free-text CSV cell as a spreadsheet shows it as text: one that starts
/// like a formula gets a leading `'`. `Anna-Lena` is left alone.
pub fn guard_formula(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(FORMULA_START) { format!("'{s}").into() } else { s.into() }
}

/// The reverse of `guard_formula`, for reading an exported file back.
pub fn unguard_formula(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_found() {
        for c in
            ['\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{200B}', '\u{2800}', '\u{3164}', '\u{202E}', '\u{FEFF}', '\u{2066}', '\u{E0041}']
        {
            assert_eq!(first_hidden(&format!("Asha{c}Rao"), false), Some(c), "U+{:04X}", c as u32);
            assert!(problem(&c.to_string(), true).is_some());
        }
        for ok in ["Asha Rao", "Élise Ñúñez", "Anna-Lena", "李小龙", "line\nbreak"] {
            assert_eq!(first_hidden(ok, true), None, "{ok}");
        }
        assert_eq!(first_hidden("a\nb", false), Some('\n'));
        // A joiner between Devanagari letters has a job; between Latin ones it hides.
        assert_eq!(first_hidden("क्\u{200D}ष", false), None);
        assert_eq!(first_hidden("Asha\u{200D}Rao", false), Some('\u{200D}'));
        assert_eq!(first_hidden("\u{200D}", false), Some('\u{200D}'));
    }

    #[test]
    fn formulas_are_guarded_and_unguarded() {
        for cell in ["=HYPERLINK(\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tx", "\rx"] {
            let g = guard_formula(cell);
            assert_eq!(g, format!("'{cell}"));
            assert_eq!(unguard_formula(&g), cell);
        }
        for cell in ["Anna-Lena", "O'Neil", "'quoted'", ""] {
            assert_eq!(guard_formula(cell), cell);
            assert_eq!(unguard_formula(cell), cell);
        }
    }

    #[test]
    fn normalising_and_folding() {
        assert_eq!(nfc("E\u{301}lise"), "Élise");
        assert_eq!(search_fold("ÉLISE Ñúñez"), "élise ñúñez");
        assert_eq!(search_fold("E\u{301}LISE"), search_fold("élise"));
        assert_eq!(search_fold("ΣΊΣΥΦΟΣ"), search_fold("Σίσυφος"));
        assert_eq!(search_fold("ＡＢ ﬁ"), "ab fi");
    }
}
