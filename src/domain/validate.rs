//! Field validation shared by passes, residents and users: one clear message
//! per field, in words an admin can fix.

use std::fmt;

use serde::Serialize;

use super::text;

pub const MAX_NAME: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field, message: message.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn into_result<T>(self, ok: T) -> Result<T, ValidationErrors> {
        if self.is_empty() { Ok(ok) } else { Err(self) }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        write!(f, "invalid input: {}", parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Trim and collapse runs of white space to one space.
pub fn fold_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key two names are compared by: what a person sees, so Unicode
/// composition (NFC), case and extra spaces are ignored.
pub fn name_key(s: &str) -> String {
    fold_spaces(&text::nfc(s)).to_lowercase()
}

/// Refuse control, invisible and text-direction characters (see
/// `text::is_hidden`) and text longer than `max` characters.
fn check(errs: &mut ValidationErrors, field: &'static str, v: &str, max: usize, allow_newline: bool) {
    if v.chars().count() > max {
        errs.add(field, format!("is longer than {max} characters"));
    } else if let Some(p) = text::problem(v, allow_newline) {
        errs.add(field, p);
    }
}

/// A required person's name: NFC, trimmed, spaces folded, at most 80
/// characters, nothing hidden.
pub fn name(errs: &mut ValidationErrors, field: &'static str, raw: &str) -> String {
    let v = fold_spaces(&text::nfc(raw));
    if v.is_empty() {
        errs.add(field, "is required");
    } else {
        check(errs, field, &v, MAX_NAME, false);
    }
    v
}

/// An optional free-text field: NFC, folded, bounded, may be empty.
pub fn optional_text(errs: &mut ValidationErrors, field: &'static str, raw: &str, max: usize) -> String {
    let v = fold_spaces(&text::nfc(raw));
    check(errs, field, &v, max, false);
    v
}

/// Optional text that may span lines (a postal address): each line folded,
/// blank lines dropped, lines joined with `\n`.
pub fn multiline_text(errs: &mut ValidationErrors, field: &'static str, raw: &str, max: usize) -> String {
    let v = text::nfc(raw).lines().map(fold_spaces).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    check(errs, field, &v, max, true);
    v
}

/// A required one-line label such as a gate name: folded, at most `max`
/// characters, nothing hidden.
pub fn label(errs: &mut ValidationErrors, field: &'static str, raw: &str, max: usize) -> String {
    let v = optional_text(errs, field, raw, max);
    if v.is_empty() {
        errs.add(field, "is required");
    }
    v
}

/// A scan's nonce, chosen by the gate (or `scan --nonce`): 8 to 64 of
/// `A-Za-z0-9_-`, so it fits the unique index and prints as it is.
pub fn nonce(errs: &mut ValidationErrors, raw: &str) {
    let n = raw.chars().count();
    if !(8..=64).contains(&n) {
        errs.add("nonce", format!("must be 8 to 64 characters, not {n}"));
    } else if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        errs.add("nonce", "may hold only A-Z, a-z, 0-9, _ and -");
    }
}

/// A phone number: 7 to 15 digits with an optional leading +. Spaces, dashes,
/// dots and brackets are allowed on input and dropped; the result is stored.
pub fn phone(errs: &mut ValidationErrors, field: &'static str, raw: &str) -> String {
    let t = raw.trim();
    if t.is_empty() {
        errs.add(field, "is required");
        return String::new();
    }
    let (plus, rest) = match t.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                errs.add(field, "must be 7 to 15 digits with an optional leading +");
                return String::new();
            }
        }
    }
    if !(7..=15).contains(&digits.len()) {
        errs.add(field, format!("must be 7 to 15 digits (got {})", digits.len()));
        return String::new();
    }
    if plus { format!("+{digits}") } else { digits }
}

/// An optional phone: empty stays empty, anything else must be valid.
pub fn optional_phone(errs: &mut ValidationErrors, field: &'static str, raw: &str) -> String {
    if raw.trim().is_empty() { String::new() } else { phone(errs, field, raw) }
}

/// A plausible e-mail address (one @, a dot in the domain, no spaces).
pub fn optional_email(errs: &mut ValidationErrors, field: &'static str, raw: &str) -> String {
    let v = raw.trim().to_string();
    if v.is_empty() {
        return v;
    }
    let ok = v.len() <= 254
        && !v.contains(char::is_whitespace)
        && text::first_hidden(&v, false).is_none()
        && v.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@') && !d.starts_with('.') && !d.ends_with('.'));
    if !ok {
        errs.add(field, "is not an e-mail address");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_or_fail() {
        let cases = [
            ("+91 98765-43210", Some("+919876543210")),
            ("(020) 7946 0958", Some("02079460958")),
            ("1234567", Some("1234567")),
            ("123456", None),
            ("1234567890123456", None),
            ("98765abc43", None),
            ("++9876543", None),
            ("", None),
        ];
        for (raw, want) in cases {
            let mut e = ValidationErrors::default();
            let got = phone(&mut e, "phone", raw);
            match want {
                Some(w) => assert_eq!((got.as_str(), e.is_empty()), (w, true), "{raw}"),
                None => assert!(e.get("phone").is_some(), "{raw} should fail"),
            }
        }
    }

    #[test]
    fn names_fold_and_bound() {
        let mut e = ValidationErrors::default();
        assert_eq!(name(&mut e, "name", "  Asha   Rao "), "Asha Rao");
        assert!(e.is_empty());
        name(&mut e, "name", "   ");
        assert_eq!(e.get("name"), Some("is required"));
        let mut e = ValidationErrors::default();
        name(&mut e, "name", &"x".repeat(81));
        assert!(e.get("name").is_some_and(|m| m.contains("80")));
        assert_eq!(name_key(" ASHA  rao"), "asha rao");
        assert_eq!(name_key("E\u{301}LISE"), name_key("élise"));
    }

    /// Each invisible or direction character is refused in names, texts and
    /// labels, and control characters everywhere but an address's line ends.
    #[test]
    fn hidden_characters_are_refused() {
        for c in ['\u{200B}', '\u{2800}', '\u{3164}', '\u{202E}', '\u{FEFF}', '\u{1b}', '\u{7}'] {
            let mut e = ValidationErrors::default();
            name(&mut e, "name", &format!("Asha{c}Rao"));
            name(&mut e, "name2", &c.to_string().repeat(3));
            optional_text(&mut e, "reason", &format!("x{c}"), 200);
            label(&mut e, "gate", &format!("{c}North"), 64);
            multiline_text(&mut e, "address", &format!("1 Rd\nBlock{c}"), 200);
            optional_email(&mut e, "email", &format!("a{c}@b.co"));
            assert_eq!(e.0.len(), 6, "U+{:04X}: {e}", c as u32);
        }
        let mut e = ValidationErrors::default();
        assert_eq!(name(&mut e, "name", "E\u{301}lise"), "Élise");
        assert_eq!(multiline_text(&mut e, "address", "1 Rd\nBlock C", 200), "1 Rd\nBlock C");
        assert!(e.is_empty(), "{e}");
    }

    #[test]
    fn nonces_are_bounded() {
        for ok in ["abcd1234", "late-0001_X", &"a".repeat(64), "0f8e2c5d9b3a4e7f8c1d2e3f4a5b6c7d"] {
            let mut e = ValidationErrors::default();
            nonce(&mut e, ok);
            assert!(e.is_empty(), "{ok}: {e}");
        }
        for bad in ["", "n-1", "abc defg", "abcdefg\u{1b}", "abcd/123", "ééééééééé", &"a".repeat(65), &"n".repeat(4000)] {
            let mut e = ValidationErrors::default();
            nonce(&mut e, bad);
            assert!(e.get("nonce").is_some(), "{bad:?} should fail");
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last@example.org"] {
            let mut e = ValidationErrors::default();
            optional_email(&mut e, "email", ok);
            assert!(e.is_empty(), "{ok}");
        }
        for bad in ["a@b", "@b.co", "a b@c.d", "a@@b.co", "a@.co"] {
            let mut e = ValidationErrors::default();
            optional_email(&mut e, "email", bad);
            assert!(!e.is_empty(), "{bad}");
        }
    }
}
