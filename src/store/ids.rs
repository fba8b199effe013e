//! Id-prefix resolution and LIKE patterns, once for both backends: the
//! rules live here, the backends only run the queries.

use crate::error::{Error, Result};

/// `s` with LIKE's wildcards and the escape character itself escaped; both
/// backends write `ESCAPE '\'` (PostgreSQL's default) after the pattern.
pub(super) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// An id prefix as typed: trimmed, lowercased, and at least 4 characters
/// of an id (hex digits and dashes), or why not.
pub(super) fn prefix(typed: &str, what: &'static str) -> Result<String> {
    let p = typed.trim().to_lowercase();
    if p.len() < 4 || !p.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(Error::NotFound { what, id: format!("{typed} (give at least 4 characters of the id)") });
    }
    Ok(p)
}

/// The LIKE pattern for ids starting with `p` (from `prefix`).
pub(super) fn starts_with(p: &str) -> String {
    format!("{}%", escape_like(p))
}

/// The one id the prefix names, from up to 3 matches in id order.
pub(super) fn pick(typed: &str, what: &'static str, ids: Vec<String>) -> Result<String> {
    let mut it = ids.into_iter();
    match (it.next(), it.next()) {
        (None, _) => Err(Error::NotFound { what, id: typed.to_string() }),
        (Some(id), None) => Ok(id),
        (Some(a), Some(b)) => {
            let matches: Vec<String> = [a, b].into_iter().chain(it).collect();
            Err(Error::Ambiguous { prefix: typed.to_string(), matches: matches.join(", ") })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_escaped_and_short_prefixes_refused() {
        assert_eq!(escape_like(r"a_b%c\d"), r"a\_b\%c\\d");
        assert_eq!(starts_with("ab_"), r"ab\_%");
        assert!(prefix("abc", "pass").is_err());
        assert!(prefix("abcz", "pass").is_err());
        assert_eq!(prefix(" ABCD ", "pass").ok().as_deref(), Some("abcd"));
        assert!(matches!(pick("abcd", "pass", vec![]), Err(Error::NotFound { .. })));
        assert_eq!(pick("abcd", "pass", vec!["abcd-1".into()]).ok().as_deref(), Some("abcd-1"));
        assert!(matches!(pick("abcd", "pass", vec!["a".into(), "b".into()]), Err(Error::Ambiguous { .. })));
    }
}
