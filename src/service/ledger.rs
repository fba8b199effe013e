//! Reading and verifying the ledger, and auditing the tables against it.

use serde::Serialize;

use super::Gatehouse;
use super::audit::audit_db;
use crate::domain::audit::AuditReport;
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{ExpectedHead, Problem, StoredBlock, Verifier, VerifyReport};
use crate::error::Result;
use crate::store::Db;
use crate::store::{LedgerRow, LedgerRows};

/// The whole check that `ledger verify` runs: the file, its schema, the
/// chain, and the tables against the chain.
#[derive(Debug, Clone)]
pub struct Verification {
    pub ok: bool,
    /// What the database engine finds wrong with its own files.
    pub integrity: Vec<String>,
    /// What the engine's check could not cover here (not a failure).
    pub notes: Vec<String>,
    /// Objects in the database that gatehouse did not create.
    pub schema: Vec<String>,
    pub chain: VerifyReport,
    /// None when the chain failed (a broken chain cannot be replayed) or
    /// the audit was skipped.
    pub audit: Option<AuditReport>,
}

/// The JSON keeps the chain report's fields at the top (`blocks`,
/// `head_index`, `head_hash`, `problem`), as before the audit existed;
/// `ok` is the whole verdict and `chain_ok` the chain's alone.
impl Serialize for Verification {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let c = &self.chain;
        let mut st = s.serialize_struct("Verification", 11)?;
        st.serialize_field("ok", &self.ok)?;
        st.serialize_field("blocks", &c.blocks)?;
        st.serialize_field("head_index", &c.head_index)?;
        st.serialize_field("head_hash", &c.head_hash)?;
        st.serialize_field("problem", &c.problem)?;
        st.serialize_field("chain_ok", &c.ok)?;
        st.serialize_field("hmac_unchecked", &c.hmac_unchecked)?;
        st.serialize_field("integrity", &self.integrity)?;
        st.serialize_field("notes", &self.notes)?;
        st.serialize_field("schema", &self.schema)?;
        st.serialize_field("audit", &self.audit)?;
        st.end()
    }
}

impl Verification {
    /// One line per problem, most basic first.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.integrity.iter().map(|p| format!("database file: {p}")).collect();
        out.extend(self.schema.iter().map(|p| format!("schema: {p}")));
        if let Some(p) = &self.chain.problem {
            out.push(format!("chain: {p}"));
        }
        if let Some(a) = &self.audit {
            out.extend(a.findings.iter().map(|f| format!("audit: {f}")));
            if a.more_findings > 0 {
                out.push(format!("audit: ... and {} more", a.more_findings));
            }
        }
        out
    }
}

impl Gatehouse {
    pub fn verify_ledger(&mut self, expect: Option<ExpectedHead>, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        let keys = self.keys.clone();
        self.store.read(|db| verify_chain(db, &keys, expect, progress))
    }

    /// The file, the schema, the chain and (unless `chain_only`) the audit,
    /// all on one snapshot.
    pub fn verify_all(&mut self, expect: Option<ExpectedHead>, chain_only: bool, progress: &mut dyn FnMut(u64)) -> Result<Verification> {
        let keys = self.keys.clone();
        self.store.read(|db| verify_db(db, &keys, expect, chain_only, progress))
    }

    /// Only the audit, assuming the chain verified.
    pub fn audit(&mut self) -> Result<AuditReport> {
        let keys = self.keys.clone();
        self.store.read(|db| audit_db(db, &keys))
    }

    /// What the database engine finds wrong with its own file; empty when sound.
    pub fn integrity_problems(&mut self) -> Result<Vec<String>> {
        self.store.read(|db| db.integrity_problems())
    }

    /// The event's id: the signature of its first ledger block, fixed when
    /// the event was made, the same on every gate, and another for an event
    /// made with another key (None before any block).
    pub fn event_id(&mut self) -> Result<Option<String>> {
        Ok(self.store.read(|db| db.ledger_blocks(0, 1))?.into_iter().find(|b| b.index == 0).map(|b| b.signature))
    }

    pub fn ledger_head(&mut self) -> Result<Option<(u64, String)>> {
        self.store.read(|db| db.ledger_head())
    }

    pub fn ledger_blocks(&mut self, from: u64, limit: usize) -> Result<Vec<StoredBlock>> {
        self.store.read(|db| db.ledger_blocks(from, limit))
    }

    pub fn ledger_recent(&mut self, n: usize) -> Result<Vec<StoredBlock>> {
        self.store.read(|db| db.ledger_recent(n))
    }

    pub fn ledger_count(&mut self) -> Result<u64> {
        self.store.read(|db| db.ledger_count())
    }
}

pub(super) fn verify_db(
    db: &dyn Db,
    keys: &crate::domain::keys::KeyRing,
    expect: Option<ExpectedHead>,
    chain_only: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification> {
    let integrity = db.integrity_problems()?;
    let notes = db.integrity_notes()?;
    let schema = db.foreign_schema()?;
    let chain = verify_chain(db, keys, expect, progress)?;
    let audit = if chain_only || !chain.ok { None } else { Some(audit_db(db, keys)?) };
    let ok = integrity.is_empty() && schema.is_empty() && chain.ok && audit.as_ref().is_none_or(|a| a.ok);
    Ok(Verification { ok, integrity, notes, schema, chain, audit })
}

/// Walk the chain in storage order through the domain's `Verifier`, the one
/// verify loop for every backend. `progress(done)` is called every 4096
/// blocks so a screen can draw a bar.
pub fn verify_chain(
    db: &dyn LedgerRows,
    keys: &KeyRing,
    expect: Option<ExpectedHead>,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport> {
    let mut verifier = Some(Verifier::new(keys, expect));
    let mut failed = None;
    let mut n = 0u64;
    db.walk_ledger(&mut |row, exists| {
        let Some(v) = verifier.as_mut() else { return false };
        let problem = match row {
            LedgerRow::Block(b) => v.push(&b, exists).err(),
            LedgerRow::Unreadable { index, what } => Some(Problem::Corrupt { index, what }),
        };
        if let Some(p) = problem {
            failed = verifier.take().map(|v| v.failed(p));
            return false;
        }
        n += 1;
        if n.is_multiple_of(4096) {
            progress(n);
        }
        true
    })?;
    match (failed, verifier) {
        (Some(report), _) => Ok(report),
        (None, Some(v)) => Ok(v.finish()),
        (None, None) => unreachable!("the verifier is taken only with a report"),
    }
}
