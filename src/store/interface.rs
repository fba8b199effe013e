//! The storage interface: every typed query the service layer may make,
//! inside one transaction handed out by `Store::read` or `Store::write`.
//! SQLite and PostgreSQL each implement these traits; the service layer is
//! written once against `&dyn Db`.
//!
//! The methods are grouped by table, one trait each, so each backend keeps
//! one file per table. `Db` ties them together.

use serde::Serialize;

use crate::domain::audit::{PassFacts, ScanFacts};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{BlockRef, StoredBlock};
use crate::domain::pass::{HolderKey, Pass, PassStatus, PaymentMode, ValidPass};
use crate::domain::resident::{Presence, Resident, ValidResident};
use crate::domain::rules::EntryState;
use crate::domain::scan::Verdict;
use crate::domain::stats::StatsFacts;
use crate::domain::user::User;
use crate::error::Result;

/// One transaction's view of the database, whatever the backend.
pub trait Db:
    PassRows + ResidentRows + UserRows + SessionRows + ScanRows + LedgerRows + StatsQuery + AuditRows + SyncRows + RuleRows + KeyRows + GateRows
{
    /// A table's row count; used by first-run checks.
    fn count(&self, table: Table) -> Result<u64>;

    /// What a scan reads first: the scan already recorded under `nonce`
    /// (the scan is a retry), the pass `pass_id` names, and the digest of
    /// the event's rules (None before any are set). A backend with round
    /// trips reads all three in one statement.
    fn scan_lookup(&self, nonce: &str, pass_id: Option<&str>) -> Result<ScanLookup> {
        let first = self.scan_by_nonce(nonce)?;
        let pass = match (&first, pass_id) {
            (None, Some(id)) => self.get_pass(id)?,
            _ => None,
        };
        Ok(ScanLookup { first, pass, rules_digest: self.rules_digest()? })
    }

    /// A scan's one write: its claim on the pass or card (`claim`), its
    /// ledger block and its scan row (with `block` set to the new block's
    /// index), all or nothing. None when the claim no longer holds (a racing
    /// scan moved the pass first, or voided it): nothing is written, and the
    /// scan decides again from a fresh read. A backend with round trips
    /// takes the claim and the ledger head together, and sends the block
    /// with the COMMIT.
    fn write_scan(&self, keys: &KeyRing, claim: &Claim, b: &NewBlock, s: &ScanRow) -> Result<Option<ScanWrite>> {
        let Taken::Held(pass) = take_claim(self, claim, b.ts)? else { return Ok(None) };
        let block = self.append_block(keys, b)?;
        self.record_scan(&ScanRow { block, ..s.clone() })?;
        Ok(Some(ScanWrite { block, pass }))
    }
}

/// Whether a claim held, and the pass as it then stands.
// It lives for one scan write only: boxing the pass would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Taken {
    Held(Option<Pass>),
    Lost,
}

/// Apply a scan's claim through the row calls, at `at`: the part of
/// `Db::write_scan` before the block, for a backend to reuse.
pub fn take_claim<D: Db + ?Sized>(db: &D, claim: &Claim, at: &str) -> Result<Taken> {
    let changed = match claim {
        Claim::Nothing => return Ok(Taken::Held(None)),
        Claim::First { id, first } => db.mark_pass_scanned(id, first.at, first.by, first.gate)?,
        Claim::Move { id, was, now, first } => db.move_pass(id, was, now, *first)?,
        Claim::Card { id, status } => {
            db.set_resident_status(id, *status, at)?;
            return Ok(Taken::Held(None));
        }
    };
    Ok(changed.map_or(Taken::Lost, |p| Taken::Held(Some(p))))
}

/// What a scan changes besides its block and scan row. Only a claim that
/// still holds lets the scan write: the data says so, so no backend has
/// to guess from the order of calls.
#[derive(Debug, Clone)]
pub enum Claim<'a> {
    /// A refusal, or a card read twice: nothing changes.
    Nothing,
    /// The first full admission of a pass that has none (`mark_pass_scanned`).
    First { id: String, first: FirstAdmission<'a> },
    /// A pass moving from entry state `was` to `now` (`move_pass`).
    Move { id: String, was: EntryState, now: EntryState, first: Option<FirstAdmission<'a>> },
    /// A resident card now in or out, from the scan's time.
    Card { id: String, status: Presence },
}

/// What `Db::write_scan` wrote: the block's index, and the pass as now
/// stored when the claim changed one.
#[derive(Debug, Clone)]
pub struct ScanWrite {
    pub block: u64,
    pub pass: Option<Pass>,
}

#[derive(Debug, Clone, Copy)]
pub enum Table {
    Users,
    Passes,
    Residents,
    Ledger,
}

pub trait PassRows {
    fn insert_pass(&self, id: &str, v: &ValidPass, key_id: &str, at: &str, by: &str) -> Result<()>;
    /// Insert passes issued together, `(id, pass)` each, as `insert_pass`
    /// would one by one. A backend with round trips sends them in bulk.
    fn insert_passes(&self, items: &[(&str, &ValidPass)], key_id: &str, at: &str, by: &str) -> Result<()> {
        items.iter().try_for_each(|(id, v)| self.insert_pass(id, v, key_id, at, by))
    }
    /// A live (not voided) pass matching every field of `key`, if any.
    fn find_duplicate_pass(&self, key: &HolderKey) -> Result<Option<String>>;
    /// `find_duplicate_pass` for each key, in order.
    fn find_duplicate_passes(&self, keys: &[HolderKey]) -> Result<Vec<Option<String>>> {
        keys.iter().map(|k| self.find_duplicate_pass(k)).collect()
    }
    fn get_pass(&self, id: &str) -> Result<Option<Pass>>;
    /// `get_pass` for each id, in order.
    fn get_passes(&self, ids: &[&str]) -> Result<Vec<Option<Pass>>> {
        ids.iter().map(|id| self.get_pass(id)).collect()
    }
    /// The full id for an unambiguous prefix (at least 4 characters).
    fn resolve_pass_id(&self, prefix: &str) -> Result<String>;
    /// Record the first admission: the pass as now stored, or None if
    /// another scan got there first (the backend makes that impossible to miss).
    fn mark_pass_scanned(&self, id: &str, at: &str, by: &str, gate: &str) -> Result<Option<Pass>>;
    /// Move a pass from entry state `was` to `now` (an entry or an exit
    /// under its rule), setting the first admission if it has none: the
    /// pass as now stored, or None when its state is no longer `was` (a
    /// racing scan moved it first, or it was voided).
    fn move_pass(&self, id: &str, was: &EntryState, now: &EntryState, first: Option<FirstAdmission>) -> Result<Option<Pass>>;
    fn clear_pass_scan(&self, id: &str) -> Result<()>;
    /// People inside now: everyone (venue) and those whose last entry was
    /// at one of `zone_gates` (lower case). Call before an admission that
    /// the count may refuse: a backend where writers do not queue anyway
    /// takes a lock here, held to the end of the transaction, so the
    /// check and the admission are one step for every gate.
    fn inside_counts(&self, zone_gates: &[String]) -> Result<(u64, u64)>;
    fn void_pass(&self, id: &str, at: &str, by: &str, reason: &str) -> Result<()>;
    fn list_passes(&self, f: &PassFilter) -> Result<Vec<Pass>>;
}

/// What `Db::scan_lookup` reads.
#[derive(Debug, Clone, Default)]
pub struct ScanLookup {
    pub first: Option<ScanRow>,
    pub pass: Option<Pass>,
    pub rules_digest: Option<String>,
}

/// The first admission of a pass, as `mark_pass_scanned` records it.
#[derive(Debug, Clone, Copy)]
pub struct FirstAdmission<'a> {
    pub at: &'a str,
    pub by: &'a str,
    pub gate: &'a str,
}

/// The event's rules: one row, replaced whole.
pub trait RuleRows {
    /// The stored rules, or None before the first are set.
    fn get_rules(&self) -> Result<Option<StoredRules>>;
    /// Just the stored rules' digest: what a scan checks its cached rules by.
    fn rules_digest(&self) -> Result<Option<String>> {
        Ok(self.get_rules()?.map(|r| r.digest))
    }
    fn put_rules(&self, r: &StoredRules) -> Result<()>;
}

/// The rules row: canonical JSON text, its digest, and the block that set it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRules {
    pub rules: String,
    pub digest: String,
    pub set_at: String,
    pub set_by: String,
    pub block: u64,
}

pub trait ResidentRows {
    fn insert_resident(&self, id: &str, v: &ValidResident, key_id: &str, at: &str, by: &str) -> Result<()>;
    fn get_resident(&self, id: &str) -> Result<Option<Resident>>;
    fn resolve_resident_id(&self, prefix: &str) -> Result<String>;
    fn set_resident_status(&self, id: &str, status: Presence, at: &str) -> Result<()>;
    fn deactivate_resident(&self, id: &str, at: &str, by: &str) -> Result<()>;
    /// Residents matching `search` (name, room, phone, id prefix), by room.
    fn list_residents(&self, search: Option<&str>, include_inactive: bool) -> Result<Vec<Resident>>;
}

pub trait UserRows {
    fn insert_user(&self, u: &User, pw_hash: &str) -> Result<()>;
    /// The user and their bcrypt hash.
    fn get_user(&self, username: &str) -> Result<Option<(User, String)>>;
    /// `get_user`, with the row held until the transaction ends: a sign-in
    /// decides on it while counted failures wait (call inside `write`).
    fn get_user_locked(&self, username: &str) -> Result<Option<(User, String)>> {
        self.get_user(username)
    }
    fn list_users(&self) -> Result<Vec<User>>;
    /// Count one wrong password, unless a lock holds at `now`: the new
    /// count, or None when the user is locked (or gone). An expired lock
    /// starts a fresh count. Atomic, so parallel guesses never overwrite
    /// each other's count.
    fn count_login_failure(&self, username: &str, now: &str) -> Result<Option<u32>>;
    /// Lock until the given time; the count stays, to show what locked it.
    fn lock_user(&self, username: &str, until: &str) -> Result<()>;
    fn clear_login_failures(&self, username: &str) -> Result<()>;
    fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<()>;
    fn set_user_password(&self, username: &str, pw_hash: &str) -> Result<()>;
    fn active_admins(&self) -> Result<u64>;
}

/// Shell sign-ins: a session is the hash of a random token, its user and
/// its end. Sessions that ended are dropped when a new one starts.
pub trait SessionRows {
    fn insert_session(&self, token_hash: &str, username: &str, created_at: &str, expires_at: &str, now: &str) -> Result<()>;
    /// The session's user, if it has not ended at `now`.
    fn session_user(&self, token_hash: &str, now: &str) -> Result<Option<String>>;
    fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Every session of a user (a new password, a disabled account).
    fn delete_sessions_of(&self, username: &str) -> Result<()>;
}

/// The event's Ed25519 issuing keys: public keys for every gate, and each
/// admin's sealed key slot (`domain::keyslot`), never plain seeds.
pub trait KeyRows {
    /// `(key_id, public key hex)`, oldest first.
    fn issuing_keys(&self) -> Result<Vec<(String, String)>>;
    fn insert_issuing_key(&self, key_id: &str, public_hex: &str, at: &str, by: &str) -> Result<()>;
    /// A user's sealed slot, if they have one.
    fn key_slot(&self, username: &str) -> Result<Option<String>>;
    /// Store (or replace) a user's sealed slot.
    fn set_key_slot(&self, username: &str, sealed: &str, at: &str) -> Result<()>;
    /// Drop a user's slot (their password changed with no key to re-seal).
    fn delete_key_slot(&self, username: &str) -> Result<()>;
}

/// Enrolled gates and their one-time tokens (`service::gates` holds the rules).
pub trait GateRows {
    fn insert_gate_token(&self, t: &GateTokenRow) -> Result<()>;
    /// A token's row, held until the transaction ends (one enrolment spends it).
    fn gate_token_locked(&self, token_hash: &str) -> Result<Option<GateTokenRow>>;
    fn mark_gate_token_used(&self, token_hash: &str, at: &str) -> Result<()>;
    /// Insert the gate, or replace a row of the same name.
    fn put_gate(&self, g: &GateRow) -> Result<()>;
    /// Every gate, by name.
    fn gates(&self) -> Result<Vec<GateRow>>;
    /// Set a gate's last seen time; false when no gate has that name.
    fn touch_gate(&self, name: &str, at: &str) -> Result<bool>;
    fn revoke_gate(&self, name: &str, at: &str, by: &str) -> Result<()>;
    /// Whether this connection's user may create a login role per gate.
    fn can_create_roles(&self) -> Result<bool>;
    /// A gate's own login role, a member of this connection's role, that
    /// may log in until `until` (the token's expiry).
    fn create_gate_role(&self, role: &str, password: &str, until: &str) -> Result<()>;
    /// Keep this connection's role (a gate's, now enrolled) beyond its
    /// token's expiry: false when no enrolled gate has it.
    fn keep_gate_role(&self) -> Result<bool>;
    /// Refuse that role's logins from now on.
    fn disable_gate_role(&self, role: &str) -> Result<()>;
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateTokenRow {
    pub token_hash: String,
    pub gate: String,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

/// A gate of the event: its device key (none for a gate joined with the
/// key file), when it joined, when it last synced, and its revocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRow {
    pub name: String,
    pub key_id: Option<String>,
    pub public_key: Option<String>,
    pub enrolled_at: String,
    pub enrolled_by: String,
    pub block: u64,
    pub last_seen: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    /// The gate's own database login role, when its token carried one.
    pub db_role: Option<String>,
}

pub trait ScanRows {
    /// A nonce already recorded fails with a unique-constraint error, so a
    /// retried scan can never be counted twice.
    fn record_scan(&self, s: &ScanRow) -> Result<()>;
    /// The newest scans, newest first.
    fn recent_scans(&self, n: usize) -> Result<Vec<ScanRow>>;
    /// The scan a gate recorded under this nonce, if any.
    fn scan_by_nonce(&self, nonce: &str) -> Result<Option<ScanRow>>;
    /// The ledger event of the block that recorded `subject`'s scan at
    /// `at` (`offline_scan` when it came in an upload), if there is one.
    fn scan_event_at(&self, subject: &str, at: &str) -> Result<Option<String>>;
}

/// One stored block as the walk reads it.
pub enum LedgerRow<'r> {
    Block(BlockRef<'r>),
    /// A row whose columns could not be read as a block.
    Unreadable {
        index: u64,
        what: String,
    },
}

pub trait LedgerRows {
    /// Append a block linked to the current head. Call inside `write`; the
    /// backend serialises appends so the indices stay dense.
    fn append_block(&self, keys: &KeyRing, b: &NewBlock) -> Result<u64>;
    /// Append blocks in order, as `append_block` would one by one: their
    /// indices. A backend with round trips sends them in bulk.
    fn append_blocks(&self, keys: &KeyRing, blocks: &[NewBlock]) -> Result<Vec<u64>> {
        blocks.iter().map(|b| self.append_block(keys, b)).collect()
    }
    /// The last block's index and hash, as stored.
    fn ledger_head(&self) -> Result<Option<(u64, String)>>;
    /// Blocks in storage order from index `from`, at most `limit`.
    fn ledger_blocks(&self, from: u64, limit: usize) -> Result<Vec<StoredBlock>>;
    /// The newest `n` blocks, newest first.
    fn ledger_recent(&self, n: usize) -> Result<Vec<StoredBlock>>;
    /// Hand every block to `visit` in storage order, borrowed from storage,
    /// until it returns false. `visit` also gets `exists(index)`, which asks
    /// whether an index is stored anywhere (how a verifier tells a gap from a
    /// block out of order). The verify loop itself is `service::ledger::verify_chain`.
    fn walk_ledger(&self, visit: &mut dyn FnMut(LedgerRow<'_>, &mut dyn FnMut(u64) -> bool) -> bool) -> Result<()>;
    fn ledger_count(&self) -> Result<u64>;
}

/// What the audit reads: every block and every scans row, streamed so a
/// million of each need no million-row vector, and the database's own checks.
pub trait AuditRows {
    /// Every block in storage order, for the audit's replay: its hash,
    /// previous hash and signature may be left empty (the chain walk reads them).
    fn for_each_block(&self, f: &mut dyn FnMut(&BlockRef<'_>) -> Result<()>) -> Result<()>;
    /// Every passes row, in any order.
    fn for_each_pass(&self, f: &mut dyn FnMut(&PassFacts<'_>) -> Result<()>) -> Result<()>;
    /// Every scans row, in any order.
    fn for_each_scan(&self, f: &mut dyn FnMut(&ScanFacts<'_>) -> Result<()>) -> Result<()>;
    /// What the database engine finds wrong with its own files; empty when sound.
    fn integrity_problems(&self) -> Result<Vec<String>>;
    /// What `integrity_problems` could not check here, and why (a note for
    /// the report, not a failure); empty when everything was checked.
    fn integrity_notes(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Tables, indexes, views and triggers that differ from what gatehouse's
    /// migrations create: extra, missing or altered, one line each.
    fn foreign_schema(&self) -> Result<Vec<String>>;
}

/// What offline gates need of the central ledger (see docs/offline.md).
pub trait SyncRows {
    /// Every block whose event is one of `events`, in storage order.
    fn blocks_of_events(&self, events: &[&str]) -> Result<Vec<StoredBlock>>;
    /// The newest `offline_sync` block that names local chain `chain`.
    fn last_offline_sync(&self, chain: &str) -> Result<Option<StoredBlock>>;
    /// The central block that uploaded the local block hashed `hash`, on
    /// whatever chain: a replayed outbox is found by it.
    fn offline_upload_of(&self, hash: &str) -> Result<Option<u64>>;
    /// Lock the pass and resident rows an upload may change, then the
    /// ledger, in that order (every write takes its row before the
    /// ledger), so the upload reads every scan committed before it and
    /// never deadlocks with one in flight.
    fn lock_for_upload(&self, passes: &[String], residents: &[String]) -> Result<()>;
}

pub trait StatsQuery {
    /// Passes, residents and scans grouped and counted, with the scans per
    /// hour from `since` on; `domain::stats::assemble` makes the figures.
    fn stats_facts(&self, since: &str) -> Result<StatsFacts>;
}

/// Filters for `pass list` and the Passes screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassFilter {
    /// Matches holder names, phones, or an id prefix.
    pub search: Option<String>,
    pub pass_type: Option<String>,
    pub status: Option<PassStatus>,
    pub payment: Option<PaymentMode>,
    pub limit: Option<usize>,
}

/// One row of the scan log behind the stats: one per scan attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanRow {
    pub at: String,
    pub operator: String,
    pub gate: String,
    pub verdict: Verdict,
    pub subject: Option<String>,
    pub persons: u32,
    pub repeated: bool,
    pub block: u64,
    /// The reason shown with the verdict, kept to answer a retry the same way.
    pub reason: String,
    /// The gate's id for this scan attempt; a retry carries the same one.
    #[serde(skip)]
    pub nonce: Option<String>,
}

/// What a caller asks to record; the store adds index, links and seals it.
#[derive(Debug, Clone)]
pub struct NewBlock<'a> {
    pub ts: &'a str,
    pub operator: &'a str,
    pub gate: &'a str,
    pub event: &'a str,
    /// Canonical JSON (serde_json::Value prints object keys sorted).
    pub data: &'a serde_json::Value,
}

impl NewBlock<'_> {
    /// This block sealed after `head` (index and hash as stored), ready to
    /// append: every backend stores what `ledger::seal` makes.
    pub fn seal(&self, keys: &KeyRing, head: Option<(u64, &str)>) -> Result<crate::domain::ledger::Sealed> {
        crate::domain::ledger::seal(keys, head, [self.ts, self.operator, self.gate, self.event], self.data)
            .map_err(|e| crate::error::Error::Corrupt(e.to_string()))
    }
}
