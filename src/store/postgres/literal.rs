//! SQL literals for the few statements sent in a simple query, where
//! several statements share one round trip (a scan's claim with the ledger
//! lock, its block with the COMMIT) and parameters cannot be bound.
//!
//! Safe only with `standard_conforming_strings = on`, which `session` sets
//! on every connection: a backslash is then an ordinary character and a
//! quote is escaped by doubling it, so no value can end its literal early.

use std::fmt::Write;

use crate::error::{Error, Result};

/// Appends `'s'` with quotes doubled. PostgreSQL text cannot hold NUL,
/// which is refused here rather than cut short by the server.
pub(super) fn text(out: &mut String, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(Error::Pg("a value holds a NUL character, which PostgreSQL text cannot store".into()));
    }
    out.push('\'');
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        out.push_str(part);
    }
    out.push('\'');
    Ok(())
}

/// NULL, or the text.
pub(super) fn opt_text(out: &mut String, s: Option<&str>) -> Result<()> {
    match s {
        Some(s) => text(out, s),
        None => {
            out.push_str("NULL");
            Ok(())
        }
    }
}

pub(super) fn int(out: &mut String, n: i64) {
    let _ = write!(out, "{n}");
}

pub(super) fn boolean(out: &mut String, b: bool) {
    out.push_str(if b { "TRUE" } else { "FALSE" });
}

/// `EXECUTE name(a, b, ...)` from arguments already written as literals.
pub(super) struct Execute {
    sql: String,
    first: bool,
}

impl Execute {
    pub(super) fn new(name: &str) -> Execute {
        Execute { sql: format!("EXECUTE {name}("), first: true }
    }

    /// The next argument's place: a comma after the first.
    pub(super) fn arg(&mut self) -> &mut String {
        if !self.first {
            self.sql.push_str(", ");
        }
        self.first = false;
        &mut self.sql
    }

    pub(super) fn text(&mut self, s: &str) -> Result<&mut Execute> {
        text(self.arg(), s)?;
        Ok(self)
    }

    pub(super) fn opt_text(&mut self, s: Option<&str>) -> Result<&mut Execute> {
        opt_text(self.arg(), s)?;
        Ok(self)
    }

    pub(super) fn int(&mut self, n: i64) -> &mut Execute {
        int(self.arg(), n);
        self
    }

    pub(super) fn boolean(&mut self, b: bool) -> &mut Execute {
        boolean(self.arg(), b);
        self
    }

    /// The statement, ending in `;`.
    pub(super) fn done(&mut self) -> String {
        let mut sql = std::mem::take(&mut self.sql);
        sql.push_str(");");
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        text(&mut out, s).expect("no NUL");
        out
    }

    #[test]
    fn quotes_are_doubled_and_backslashes_left_alone() {
        assert_eq!(lit("O'Brien"), "'O''Brien'");
        assert_eq!(lit("'); DROP TABLE passes; --"), "'''); DROP TABLE passes; --'");
        assert_eq!(lit(r"a\'b"), r"'a\''b'");
        assert_eq!(lit("''"), "''''''");
        assert_eq!(lit(""), "''");
        assert_eq!(lit("ü € 🎫"), "'ü € 🎫'");
    }

    #[test]
    fn nul_is_refused_and_null_is_written_bare() {
        assert!(text(&mut String::new(), "a\0b").is_err());
        let mut out = String::new();
        opt_text(&mut out, None).expect("none");
        assert_eq!(out, "NULL");
    }

    #[test]
    fn execute_lists_its_arguments_in_order() -> Result<()> {
        let sql = Execute::new("gh_x").text("a'b")?.int(-7).boolean(true).opt_text(None)?.done();
        assert_eq!(sql, "EXECUTE gh_x('a''b', -7, TRUE, NULL);");
        Ok(())
    }
}
