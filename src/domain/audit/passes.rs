//! The passes table against the ledger. The replay keeps, per pass, only
//! fingerprints of what its blocks fix (the issue, the admission in force,
//! the void), and each row is streamed past and fingerprinted the same way:
//! no strings are built for the rows that agree, which is nearly all of
//! them. A row that differs is re-read with its blocks and explained field
//! by field (`explain_pass`).

use std::collections::HashMap;

use super::fingerprint::Seed;
use super::{Audit, Finding, LISTED, pass_phones, show};
use crate::domain::events::{Event, PassIssue, PassVoid};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::BlockRef;
use crate::domain::pass::Pass;

/// One passes row as the store hands it over, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct PassFacts<'a> {
    pub id: &'a str,
    pub pass_type: &'a str,
    pub persons: u32,
    pub holder_name: &'a str,
    pub holder_phone: &'a str,
    pub holder2_name: Option<&'a str>,
    pub holder2_phone: Option<&'a str>,
    pub price_cents: i64,
    pub payment_mode: &'a str,
    pub txn_ref: Option<&'a str>,
    pub slot: &'a str,
    pub key_id: &'a str,
    pub created_at: &'a str,
    pub created_by: &'a str,
    pub scanned_at: Option<&'a str>,
    pub scanned_by: Option<&'a str>,
    pub gate: Option<&'a str>,
    pub voided_at: Option<&'a str>,
    pub voided_by: Option<&'a str>,
    pub void_reason: Option<&'a str>,
    /// People of the pass inside now, as its entries and exits left it.
    pub inside: u32,
    /// Shown loudly at the gate: fixed by the issue block like the holder.
    pub note: Option<&'a str>,
}

/// A pass id as the replay's map key. The ids gatehouse makes are UUIDs in
/// canonical form (lower-case, hyphenated), kept as the number, which hashes
/// and compares in one step where a string costs a pointer chase; any other
/// id, such as one planted by hand, stays text. Only the canonical spelling
/// becomes a number, so two spellings of one UUID remain two ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum PassKey {
    Uuid(u128),
    Text(Box<str>),
}

impl PassKey {
    pub(super) fn of(id: &str) -> PassKey {
        let b = id.as_bytes();
        let mut n: u128 = 0;
        let canonical = b.len() == 36
            && b.iter().enumerate().all(|(i, &c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    return c == b'-';
                }
                let d = match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    _ => return false,
                };
                n = n << 4 | u128::from(d);
                true
            });
        if canonical { PassKey::Uuid(n) } else { PassKey::Text(id.into()) }
    }
}

impl std::fmt::Display for PassKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PassKey::Uuid(n) => write!(f, "{}", uuid::Uuid::from_u128(*n).hyphenated()),
            PassKey::Text(t) => f.write_str(t),
        }
    }
}

/// What the blocks say one passes row must hold, as fingerprints.
#[derive(Debug, Clone)]
pub(super) struct ExpPass {
    pub(super) issue: u64,
    /// The fields the issue block fixes.
    fields: u64,
    /// The phones' fingerprint in the issue block, or why it has none.
    phones: Result<String, &'static str>,
    /// The admission in force: (its block, when/by whom/where).
    pub(super) scanned: Option<(u64, u64)>,
    /// The void: (its block, when/by whom/why).
    voided: Option<(u64, u64)>,
    /// Its type and size, for the rule its scans are replayed by.
    pub(super) pass_type: Box<str>,
    pub(super) persons: u32,
    /// People admitted under the rule so far (since the last unscan), and inside now.
    pub(super) entered: u32,
    pub(super) inside: u32,
    /// A `daily` pass's last day of admission.
    pub(super) day: Option<Box<str>>,
}

/// The passes the replay expects, in the order their issue blocks came.
/// SQLite hands rows back in the order they were inserted, which is that
/// same order, so a row is first tried against the pass after the one the
/// previous row matched: a look at the next slot of an array instead of a
/// hash lookup that misses the cache. Any other order (PostgreSQL after
/// updates, a table rebuilt by hand) falls back to the index.
#[derive(Debug, Default)]
pub(super) struct Passes {
    list: Vec<(PassKey, ExpPass, bool)>,
    index: HashMap<PassKey, u32, foldhash::fast::RandomState>,
    /// Where the next row is likely to be in `list`.
    next: usize,
}

impl Passes {
    pub(super) fn insert(&mut self, key: PassKey, pass: ExpPass) {
        let at = self.list.len() as u32;
        if let Some(old) = self.index.insert(key.clone(), at) {
            // Issued again under the same id: the later block is the one in
            // force, as it was when this was a plain map.
            self.list[old as usize].2 = true;
        }
        self.list.push((key, pass, false));
    }

    pub(super) fn get_mut(&mut self, key: &PassKey) -> Option<&mut ExpPass> {
        let at = *self.index.get(key)? as usize;
        self.list.get_mut(at).map(|e| &mut e.1)
    }

    /// The pass a row answers, once: a second row with its id finds nothing.
    fn take(&mut self, key: &PassKey) -> Option<&ExpPass> {
        let at = match self.list.get(self.next) {
            Some((k, _, false)) if k == key => self.next,
            _ => *self.index.get(key)? as usize,
        };
        let e = self.list.get_mut(at)?;
        if e.2 {
            return None;
        }
        e.2 = true;
        self.next = at + 1;
        Some(&e.1)
    }

    /// Passes that no row answered: (issue block, id).
    fn unanswered(self) -> Vec<(u64, String)> {
        self.list.into_iter().filter(|e| !e.2).map(|(key, e, _)| (e.issue, key.to_string())).collect()
    }
}

/// The blocks a differing row is explained from; the caller re-reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassBlocks {
    pub id: String,
    pub issue: u64,
    pub scanned: Option<u64>,
    pub voided: Option<u64>,
}

#[allow(clippy::too_many_arguments)]
fn fields_fp(
    seed: &Seed,
    pass_type: &str,
    persons: u32,
    price_cents: i64,
    payment: &str,
    txn: Option<&str>,
    slot: &str,
    holder: &str,
    holder2: Option<&str>,
    key_id: &str,
    created_at: &str,
    created_by: &str,
    phones: Option<&str>,
    note: Option<&str>,
) -> u64 {
    seed.fp()
        .str(pass_type)
        .num(i64::from(persons))
        .num(price_cents)
        .str(payment)
        .opt(txn)
        .str(slot)
        .str(holder)
        .opt(holder2)
        .str(key_id)
        .str(created_at)
        .str(created_by)
        .opt(phones)
        .opt(note)
        .finish()
}

/// An admission's or a void's (when, by whom, where or why).
fn event_fp(seed: &Seed, at: Option<&str>, by: Option<&str>, what: Option<&str>) -> Option<u64> {
    if at.is_none() && by.is_none() && what.is_none() {
        return None;
    }
    Some(seed.fp().opt(at).opt(by).opt(what).finish())
}

impl ExpPass {
    pub(super) fn issued(b: &BlockRef, d: &PassIssue, seed: &Seed) -> ExpPass {
        let fields = fields_fp(
            seed,
            &d.pass_type,
            d.persons,
            d.price_cents,
            &d.payment,
            d.txn.as_deref(),
            &d.slot,
            &d.holder,
            d.holder2.as_deref(),
            d.code_key.as_deref().unwrap_or(b.key_id),
            b.ts,
            b.operator,
            d.phones.as_deref(),
            d.note.as_deref(),
        );
        ExpPass {
            issue: b.index,
            fields,
            phones: d.phones.as_deref().map(String::from).ok_or_else(|| super::unrecorded(b.key_id)),
            scanned: None,
            voided: None,
            pass_type: d.pass_type.as_ref().into(),
            persons: d.persons,
            entered: 0,
            inside: 0,
            day: None,
        }
    }

    /// An admission of `n` people: the first one is the pass's scan.
    pub(super) fn admit(&mut self, b: &BlockRef, seed: &Seed, n: u32) {
        if self.scanned.is_none() {
            let fp = event_fp(seed, Some(b.ts), Some(b.operator), Some(b.gate));
            self.scanned = fp.map(|fp| (b.index, fp));
        }
        self.entered += n;
        self.inside += n;
    }

    pub(super) fn void(&mut self, b: &BlockRef, d: &PassVoid, seed: &Seed) {
        let fp = event_fp(seed, Some(b.ts), Some(b.operator), Some(&d.reason));
        self.voided = fp.map(|fp| (b.index, fp));
    }
}

impl Audit {
    /// Compare one passes row, in any order, with the replay.
    pub fn check_pass(&mut self, p: &PassFacts, keys: &KeyRing) {
        self.rows += 1;
        let Some(e) = self.passes.take(&PassKey::of(p.id)).cloned() else {
            self.find(Finding::Unrecorded { table: "passes", id: p.id.to_owned() });
            return;
        };
        let phones = match &e.phones {
            Ok(fp) => match pass_phones(keys, p.key_id, p.holder_phone, p.holder2_phone) {
                Some(now) => Some(now),
                None if keys.has_hmac() => None,
                // No key here to recompute it: the other fields are still compared.
                None => {
                    self.uncovered("passes", "holder_phone", super::NO_KEY_FILE);
                    Some(fp.clone())
                }
            },
            Err(why) => {
                self.uncovered("passes", "holder_phone", why);
                None
            }
        };
        let fields = fields_fp(
            &self.seed,
            p.pass_type,
            p.persons,
            p.price_cents,
            p.payment_mode,
            p.txn_ref,
            p.slot,
            p.holder_name,
            p.holder2_name,
            p.key_id,
            p.created_at,
            p.created_by,
            phones.as_deref(),
            p.note,
        );
        if e.inside != p.inside {
            self.find(Finding::Diverges {
                table: "passes",
                id: p.id.to_owned(),
                field: "inside",
                ledger: e.inside.to_string(),
                found: p.inside.to_string(),
            });
        }
        let same = fields == e.fields
            && e.scanned.map(|s| s.1) == event_fp(&self.seed, p.scanned_at, p.scanned_by, p.gate)
            && e.voided.map(|v| v.1) == event_fp(&self.seed, p.voided_at, p.voided_by, p.void_reason);
        if same {
            return;
        }
        if self.pass_mismatch.len() < LISTED {
            self.pass_mismatch.push(PassBlocks {
                id: p.id.to_owned(),
                issue: e.issue,
                scanned: e.scanned.map(|s| s.0),
                voided: e.voided.map(|v| v.0),
            });
        } else {
            self.more += 1;
        }
    }

    /// Rows that differ from their blocks: re-read each row and its blocks
    /// and pass them to `explain_pass`.
    pub fn pass_mismatches(&self) -> Vec<PassBlocks> {
        self.pass_mismatch.clone()
    }

    /// Name the fields in which pass `row` differs from its blocks.
    pub fn explain_pass(&mut self, row: &Pass, issue: &BlockRef, scanned: Option<&BlockRef>, voided: Option<&BlockRef>, keys: &KeyRing) {
        let Some(pos) = self.pass_mismatch.iter().position(|m| m.id == row.id) else { return };
        self.pass_mismatch.swap_remove(pos);
        let before = self.findings.len() as u64 + self.more;
        let Ok(Event::PassIssue(d)) = Event::parse(issue.event, issue.data) else { return };
        let t = "passes";
        let id = row.id.as_str();
        let opt = |c: &Option<std::borrow::Cow<'_, str>>| c.as_deref().map(str::to_owned);
        self.diverges(t, id, "pass_type", &d.pass_type, &row.pass_type);
        self.diverges(t, id, "persons", d.persons, row.persons);
        self.diverges(t, id, "price_cents", d.price_cents, row.price_cents);
        self.diverges(t, id, "payment_mode", &d.payment, row.payment_mode.as_str());
        self.diverges(t, id, "txn_ref", show(&opt(&d.txn)), show(&row.txn_ref));
        self.diverges(t, id, "slot", &d.slot, &row.slot);
        self.diverges(t, id, "holder_name", &d.holder, &row.holder_name);
        self.diverges(t, id, "holder2_name", show(&opt(&d.holder2)), show(&row.holder2_name));
        let key_id = d.code_key.as_deref().unwrap_or(issue.key_id);
        self.diverges(t, id, "key_id", key_id, &row.key_id);
        self.diverges(t, id, "created_at", issue.ts, &row.created_at);
        self.diverges(t, id, "created_by", issue.operator, &row.created_by);
        self.diverges(t, id, "note", show(&opt(&d.note)), show(&row.note));
        if let Some(fp) = d.phones.as_deref() {
            let now = pass_phones(keys, key_id, &row.holder_phone, row.holder2_phone.as_deref());
            let now = if keys.has_hmac() { Some(now.unwrap_or_default()) } else { now };
            if now.is_some_and(|now| fp != now) {
                self.find(Finding::Diverges {
                    table: t,
                    id: id.into(),
                    field: "holder_phone",
                    ledger: format!("fingerprint {fp}"),
                    found: "a different number".into(),
                });
            }
        }
        let owned = |s: &str| Some(s.to_owned());
        let (s_at, s_by, s_gate) = match scanned {
            Some(b) => (owned(b.ts), owned(b.operator), owned(b.gate)),
            None => (None, None, None),
        };
        self.diverges(t, id, "scanned_at", show(&s_at), show(&row.scanned_at));
        self.diverges(t, id, "scanned_by", show(&s_by), show(&row.scanned_by));
        self.diverges(t, id, "gate", show(&s_gate), show(&row.gate));
        let (v_at, v_by, v_reason) = match voided {
            Some(b) => {
                let reason = match Event::parse(b.event, b.data) {
                    Ok(Event::PassVoid(v)) => Some(v.reason.into_owned()),
                    _ => None,
                };
                (owned(b.ts), owned(b.operator), reason)
            }
            None => (None, None, None),
        };
        self.diverges(t, id, "voided_at", show(&v_at), show(&row.voided_at));
        self.diverges(t, id, "voided_by", show(&v_by), show(&row.voided_by));
        self.diverges(t, id, "void_reason", show(&v_reason), show(&row.void_reason));
        if self.findings.len() as u64 + self.more == before {
            // The fingerprints differed, so something does: never let it pass.
            self.find(Finding::Diverges {
                table: t,
                id: id.into(),
                field: "row",
                ledger: "its blocks".into(),
                found: "a different row".into(),
            });
        }
    }

    /// Passes that blocks created and no row answered; and rows that differ
    /// but could not be re-read for detail.
    pub(super) fn finish_passes(&mut self) {
        let mut gone = std::mem::take(&mut self.passes).unanswered();
        gone.sort();
        for (block, id) in gone {
            self.find(Finding::Missing { table: "passes", id, block });
        }
        for m in std::mem::take(&mut self.pass_mismatch) {
            self.find(Finding::Diverges {
                table: "passes",
                id: m.id,
                field: "row",
                ledger: "its blocks".into(),
                found: "a different row".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PassKey;

    #[test]
    fn only_the_canonical_spelling_of_a_uuid_becomes_a_number() {
        let id = "1e1e1e1e-0000-4000-8000-00000000000a";
        assert!(matches!(PassKey::of(id), PassKey::Uuid(_)));
        assert_eq!(PassKey::of(id).to_string(), id);
        let upper = id.to_uppercase();
        assert_eq!(PassKey::of(&upper), PassKey::Text(upper.clone().into()));
        assert_ne!(PassKey::of(id), PassKey::of(&upper));
        for odd in ["", "x", "1e1e1e1e00004000800000000000000a", "1e1e1e1e-0000-4000-8000-00000000000a0"] {
            assert_eq!(PassKey::of(odd).to_string(), odd);
        }
    }
}
