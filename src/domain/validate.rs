//! Field validation shared by passes, residents and users: one clear message
//! per field, in words an admin can fix.

use std::fmt;

use serde::Serialize;

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

/// The key two names are compared by: case and extra spaces ignored.
pub fn name_key(s: &str) -> String {
    fold_spaces(s).to_lowercase()
}

/// A required person's name: trimmed, spaces folded, at most 80 characters,
/// no control characters.
pub fn name(errs: &mut ValidationErrors, field: &'static str, raw: &str) -> String {
    let v = fold_spaces(raw);
    if v.is_empty() {
        errs.add(field, "is required");
    } else if v.chars().count() > MAX_NAME {
        errs.add(field, format!("is longer than {MAX_NAME} characters"));
    } else if v.chars().any(char::is_control) {
        errs.add(field, "contains control characters");
    }
    v
}

/// An optional free-text field: folded, bounded, may be empty.
pub fn optional_text(errs: &mut ValidationErrors, field: &'static str, raw: &str, max: usize) -> String {
    let v = fold_spaces(raw);
    if v.chars().count() > max {
        errs.add(field, format!("is longer than {max} characters"));
    } else if v.chars().any(char::is_control) {
        errs.add(field, "contains control characters");
    }
    v
}

/// Optional text that may span lines (a postal address): each line folded,
/// blank lines dropped, lines joined with `\n`.
pub fn multiline_text(errs: &mut ValidationErrors, field: &'static str, raw: &str, max: usize) -> String {
    let v = raw.lines().map(fold_spaces).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    if v.chars().count() > max {
        errs.add(field, format!("is longer than {max} characters"));
    } else if v.chars().any(|c| c.is_control() && c != '\n') {
        errs.add(field, "contains control characters");
    }
    v
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
