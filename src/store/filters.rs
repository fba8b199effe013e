//! The pass list's filters, once for both backends: which conditions a
//! filter adds and what each binds. The backends only run the query.

use super::ids::escape_like;
use super::interface::PassFilter;
use crate::domain::pass::PassStatus;
use crate::domain::text::search_fold;

/// The conditions after `WHERE TRUE`, with `$n` placeholders (SQLite reads
/// `$1` by position too), the text each binds in order, and the limit,
/// whose placeholder is `$` followed by `args.len() + 1`.
#[derive(Debug, PartialEq)]
pub(super) struct PassQuery {
    pub conditions: String,
    pub args: Vec<String>,
    pub limit: Option<i64>,
}

pub(super) fn passes(f: &PassFilter) -> PassQuery {
    let mut sql = String::new();
    let mut args: Vec<String> = Vec::new();
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // Every word, in any order, somewhere in the pass: a holder's name
        // (search_key holds both, folded in Rust, so neither SQLite's ASCII
        // lower() nor the server's locale decides a match), the id's start,
        // the transaction reference, or a phone by its digits. Or the whole
        // query's digits in a phone, however the number was spaced.
        let mut each = Vec::new();
        for w in s.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
            args.push(format!("%{}%", escape_like(&search_fold(w))));
            let key = args.len();
            args.push(format!("{}%", escape_like(&w.to_lowercase())));
            let id = args.len();
            args.push(format!("%{}%", escape_like(&w.to_lowercase())));
            let txn = args.len();
            let mut one = format!(
                "(search_key LIKE ${key} ESCAPE '\\' OR id LIKE ${id} ESCAPE '\\' OR lower(coalesce(txn_ref, '')) LIKE ${txn} ESCAPE '\\'"
            );
            let digits: String = w.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 3 {
                args.push(format!("%{digits}%"));
                let n = args.len();
                one.push_str(&format!(" OR holder_phone LIKE ${n} OR coalesce(holder2_phone, '') LIKE ${n}"));
            }
            one.push(')');
            each.push(one);
        }
        sql.push_str(&format!(" AND (({})", each.join(" AND ")));
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            args.push(format!("%{digits}%"));
            let n = args.len();
            sql.push_str(&format!(" OR holder_phone LIKE ${n} OR coalesce(holder2_phone, '') LIKE ${n}"));
        }
        sql.push(')');
    }
    if let Some(t) = &f.pass_type {
        args.push(t.trim().to_uppercase());
        sql.push_str(&format!(" AND pass_type = ${}", args.len()));
    }
    if let Some(p) = f.payment {
        args.push(p.as_str().into());
        sql.push_str(&format!(" AND payment_mode = ${}", args.len()));
    }
    match f.status {
        Some(PassStatus::Void) => sql.push_str(" AND voided_at IS NOT NULL"),
        Some(PassStatus::Used) => sql.push_str(" AND voided_at IS NULL AND scanned_at IS NOT NULL"),
        Some(PassStatus::Unused) => sql.push_str(" AND voided_at IS NULL AND scanned_at IS NULL"),
        None => {}
    }
    let limit = f.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    PassQuery { conditions: sql, args, limit }
}

impl PassQuery {
    /// ` LIMIT $n` when there is a limit.
    pub fn limit_clause(&self) -> String {
        self.limit.map_or(String::new(), |_| format!(" LIMIT ${}", self.args.len() + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_filter_adds_its_condition_and_binds_its_values_in_order() {
        let f = PassFilter { search: Some(" Ravi_9876 ".into()), pass_type: Some("couple".into()), limit: Some(5), ..Default::default() };
        let q = passes(&f);
        assert_eq!(q.args, vec![r"%ravi\_9876%", r"ravi\_9876%", r"%ravi\_9876%", "%9876%", "%9876%", "COUPLE"]);
        assert!(q.conditions.contains("search_key LIKE $1") && q.conditions.contains("pass_type = $6"), "{}", q.conditions);
        assert_eq!((q.limit, q.limit_clause().as_str()), (Some(5), " LIMIT $7"));
        // Two words: each must match, in any order.
        let q = passes(&PassFilter { search: Some("kumar, ravi".into()), ..Default::default() });
        assert_eq!(q.args.len(), 6);
        assert!(q.conditions.contains(") AND (search_key LIKE $4"), "{}", q.conditions);
        assert_eq!(passes(&PassFilter::default()), PassQuery { conditions: String::new(), args: vec![], limit: None });
    }
}
