//! Manual check-in: a guest who lost the QR is found by name (any word
//! order), phone, or the short id printed on the ticket, and then goes
//! through the same scan as a code, with the same verdicts. The ledger block
//! says it was manual, by whom (the block's operator) and why.
//!
//! The search reuses the store's pass and resident searches and does the
//! word-order matching here, over their results.

use serde::Serialize;

use super::Gatehouse;
use crate::domain::pass::Pass;
use crate::domain::payload::Kind;
use crate::domain::resident::Resident;
use crate::domain::scan::ScanOutcome;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::PassFilter;

/// How many rows each store search may return before the word filter.
const SEARCH_ROWS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateKind {
    Pass,
    Resident,
}

/// A pass or a resident that a manual check-in could admit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub kind: CandidateKind,
    pub id: String,
    /// Holder name(s), or the resident's name.
    pub name: String,
    /// Pass type and phone, or room and phone.
    pub detail: String,
    /// unused / used / void, or IN / OUT / inactive.
    pub status: String,
}

impl Candidate {
    fn pass(p: &Pass) -> Candidate {
        Candidate {
            kind: CandidateKind::Pass,
            id: p.id.clone(),
            name: p.holders(),
            detail: format!("{} · {} · {}", p.pass_type, p.holder_phone, p.slot),
            status: p.status().as_str().to_string(),
        }
    }

    fn resident(r: &Resident) -> Candidate {
        Candidate {
            kind: CandidateKind::Resident,
            id: r.id.clone(),
            name: r.name.clone(),
            detail: format!("room {} · {}", r.room, r.phone),
            status: if r.active { r.status.as_str().to_string() } else { "inactive".into() },
        }
    }

    /// `70f1202e Asha Rao (pass, unused)`: how a candidate is named in errors.
    pub fn label(&self) -> String {
        let kind = match self.kind {
            CandidateKind::Pass => "pass",
            CandidateKind::Resident => "resident",
        };
        format!("{} {} ({kind}, {})", self.id.get(..8).unwrap_or(&self.id), self.name, self.status)
    }
}

/// Lower case, and only letters, digits and spaces: "Rao, Asha" finds "Asha Rao".
fn words(s: &str) -> Vec<String> {
    s.to_lowercase().split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).map(String::from).collect()
}

/// Does every word of the query occur in one of the fields (a phone by its digits)?
fn matches(query: &[String], fields: &[&str]) -> bool {
    let hay = fields.iter().map(|f| f.to_lowercase()).collect::<Vec<_>>().join(" ");
    let digits: String = fields.iter().flat_map(|f| f.chars()).filter(char::is_ascii_digit).collect();
    query.iter().all(|w| hay.contains(w.as_str()) || (w.chars().all(|c| c.is_ascii_digit()) && w.len() >= 3 && digits.contains(w.as_str())))
}

impl Gatehouse {
    /// Passes and residents matching `query`: every word, in any order, in a
    /// name, a phone, or the start of the id.
    pub fn find_for_checkin(&mut self, query: &str) -> Result<Vec<Candidate>> {
        let q = words(query);
        // The longest word narrows the store's search; the rest filter here.
        let Some(key) = q.iter().max_by_key(|w| w.len()).cloned() else { return Ok(vec![]) };
        let filter = PassFilter { search: Some(key.clone()), limit: Some(SEARCH_ROWS), ..Default::default() };
        let passes = self.list_passes(&filter)?;
        let residents = self.list_residents(Some(&key), true)?;
        let id_hit = |id: &str| q.len() == 1 && id.starts_with(&q[0]);
        let mut out: Vec<Candidate> = passes
            .iter()
            .filter(|p| {
                id_hit(&p.id)
                    || matches(
                        &q,
                        &[
                            &p.holder_name,
                            p.holder2_name.as_deref().unwrap_or(""),
                            &p.holder_phone,
                            p.holder2_phone.as_deref().unwrap_or(""),
                        ],
                    )
            })
            .map(Candidate::pass)
            .collect();
        out.extend(residents.iter().filter(|r| id_hit(&r.id) || matches(&q, &[&r.name, &r.phone, &r.room])).map(Candidate::resident));
        Ok(out)
    }

    /// The one pass or resident whose id is, or starts with, `query` (the
    /// short id printed on the ticket is the first 8 characters), or else
    /// the one whose name or phone it names, as the console's manual
    /// check-in finds them (`zoya`, `rao asha`).
    pub fn resolve_checkin(&mut self, query: &str) -> Result<Candidate> {
        let q = query.trim();
        let p = q.to_lowercase();
        if words(q).is_empty() || (p.chars().count() < 4 && p.chars().all(|c| c.is_ascii_hexdigit() || c == '-')) {
            return Err(Error::NotFound {
                what: "pass or resident",
                id: format!("{query} (give a name, a phone or at least 4 characters of the id)"),
            });
        }
        let all = self.find_for_checkin(q)?;
        let by_id: Vec<Candidate> = all.iter().filter(|c| c.id.starts_with(&p)).cloned().collect();
        let mut found = if by_id.is_empty() { all } else { by_id };
        match found.len() {
            0 => Err(Error::NotFound { what: "pass or resident", id: query.to_string() }),
            1 => Ok(found.remove(0)),
            _ => Err(Error::Ambiguous {
                prefix: query.to_string(),
                matches: found.iter().map(Candidate::label).collect::<Vec<_>>().join("; "),
            }),
        }
    }

    /// Check in a pass or resident without its code: the same scan, the same
    /// verdicts, recorded as manual with the reason.
    pub fn scan_manual(&mut self, id_or_prefix: &str, reason: Option<&str>, actor: &Actor, gate: &str) -> Result<ScanOutcome> {
        let c = self.resolve_checkin(id_or_prefix)?;
        // The row itself vouches: no code is made (an operator holds no
        // issuing key), and the scan goes on as one of a verified code.
        let (kind, key_id) = match c.kind {
            CandidateKind::Pass => (Kind::Pass, self.get_pass(&c.id)?.key_id),
            CandidateKind::Resident => (Kind::Resident, self.get_resident(&c.id)?.key_id),
        };
        let id = uuid::Uuid::parse_str(&c.id).map_err(|_| Error::Corrupt(format!("{} is not a UUID", c.id)))?;
        let mut errs = crate::domain::validate::ValidationErrors::default();
        let reason = crate::domain::validate::optional_text(&mut errs, "reason", reason.unwrap_or(""), 200);
        errs.into_result(())?;
        let subject = super::scan::Subject { kind, id, key_id };
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        self.scan_checked(c.id.as_bytes(), Ok(subject), actor, gate, Some(&reason), &nonce, Default::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_any_order_and_phones_by_digits() {
        let q = words("rao, ASHA");
        assert!(matches(&q, &["Asha Rao", "+91 98765 43210"]));
        assert!(!matches(&q, &["Asha Khan", "98765"]));
        assert!(matches(&words("98765 43210"), &["Asha Rao", "+91 98765 43210"]));
        assert!(matches(&words("9876543210"), &["Asha Rao", "+91 98765-43210"]));
    }
}
