//! Server-side functions for a scan's three statements: the lookup, the
//! claim with the ledger lock and the head, and the block with its scan
//! row. PL/pgSQL keeps each function's plans for the life of the server
//! connection, so a scan is not parsed and planned afresh every time, as
//! unnamed statements (`conn`) otherwise are; a cached plan is only speed,
//! never state a pooled connection could lose. Measured: 8 gates back to
//! back about a quarter more scans a second, a fifth less server CPU a
//! scan, than the same statements sent unnamed (README, PostgreSQL).
//!
//! Installed (or replaced) when `PgStore::open` finds them missing or of
//! another version, under a lock of their own, in one transaction.

/// Stands for the set: bumped with any change to the functions below.
macro_rules! version {
    () => {
        "gatehouse functions 2"
    };
}
pub(super) const VERSION: &str = version!();

/// The signature whose comment names the installed version.
macro_rules! marked {
    () => {
        "gatehouse_append_scan(bigint,text,text,text,text,text,text,text,text,text,text,text,text,text,text,integer,boolean,text,text)"
    };
}

/// Written last: fixed text, no value from outside.
const COMMENT: &str = concat!("COMMENT ON FUNCTION ", marked!(), " IS '", version!(), "'");

/// Whether this version is installed (one row, one boolean).
pub(super) const CHECK: &str = concat!("SELECT coalesce(obj_description(to_regprocedure('", marked!(), "'), 'pg_proc') = $1, false)");

/// Taken while installing: gates opening at once install once.
const INSTALL_LOCK: i64 = 0x6761_7465_6675_6e63; // "gatefunc"

/// `Db::scan_lookup` (see `scans.rs`): the scan under the nonce, else the
/// pass, as one row.
pub(super) const LOOKUP: &str = "SELECT * FROM gatehouse_scan_lookup($1, $2)";

/// `mark_pass_scanned` for a scan, then `LEDGER_LOCK` and the head: the
/// pass's columns (all NULL when another scan got there first), then the
/// head's index and hash (NULL for an empty ledger).
pub(super) const CLAIM: &str = "SELECT * FROM gatehouse_claim($1, $2, $3, $4, $5)";

/// Take the capacity lock (held to the end of the transaction), then
/// count the people inside: admissions under a capacity queue here, so of
/// any number of gates racing for the last place exactly one gets it.
pub(super) const INSIDE: &str = "SELECT * FROM gatehouse_inside($1, $2)";

/// A scan's block and its scan row.
pub(super) const APPEND_SCAN: &str =
    "SELECT gatehouse_append_scan($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

/// The functions. Each statement in a VOLATILE function takes a fresh
/// snapshot under READ COMMITTED, so the claim's head is read after its
/// lock is granted, as separate statements would.
const CREATE: &str = r#"
-- Version 1 returned fewer columns; a function's row type cannot be replaced.
DROP FUNCTION IF EXISTS gatehouse_scan_lookup(text, text);
DROP FUNCTION IF EXISTS gatehouse_claim(text, text, text, text, bigint);

CREATE OR REPLACE FUNCTION gatehouse_scan_lookup(p_nonce text, p_pass text)
RETURNS TABLE (s_at text, s_operator text, s_gate text, s_verdict text, s_subject text, s_persons integer, s_repeated boolean,
  s_block bigint, s_reason text, s_nonce text, id text, pass_type text, persons integer, holder_name text, holder_phone text, holder2_name text, holder2_phone text,
  price_cents bigint, payment_mode text, txn_ref text, slot text, key_id text, created_at text, created_by text,
  scanned_at text, scanned_by text, gate text, voided_at text, voided_by text, void_reason text,
  inside integer, entered integer, entry_day text, last_in_at text, last_in_gate text, note text, rules_digest text)
LANGUAGE plpgsql STABLE AS $f$
BEGIN
  RETURN QUERY
  SELECT s.at, s.operator, s.gate, s.verdict, s.subject, s.persons, s.repeated, s.block, s.reason, s.nonce,
         p.id, p.pass_type, p.persons, p.holder_name, p.holder_phone, p.holder2_name, p.holder2_phone,
         p.price_cents, p.payment_mode, p.txn_ref, p.slot, p.key_id, p.created_at, p.created_by,
         p.scanned_at, p.scanned_by, p.gate, p.voided_at, p.voided_by, p.void_reason,
         p.inside, p.entered, p.entry_day, p.last_in_at, p.last_in_gate, p.note,
         (SELECT r.digest FROM event_rules r WHERE r.id = 1)
    FROM (SELECT 1) AS one
    LEFT JOIN scans s ON s.nonce = p_nonce
    LEFT JOIN passes p ON p.id = p_pass AND s.nonce IS NULL;
END $f$;

CREATE OR REPLACE FUNCTION gatehouse_claim(p_id text, p_at text, p_by text, p_gate text, p_lock bigint)
RETURNS TABLE (id text, pass_type text, persons integer, holder_name text, holder_phone text, holder2_name text, holder2_phone text,
  price_cents bigint, payment_mode text, txn_ref text, slot text, key_id text, created_at text, created_by text,
  scanned_at text, scanned_by text, gate text, voided_at text, voided_by text, void_reason text,
  inside integer, entered integer, entry_day text, last_in_at text, last_in_gate text, note text, head_idx bigint, head_hash text)
LANGUAGE plpgsql VOLATILE AS $f$
#variable_conflict use_column
DECLARE r record; h record; claimed boolean;
BEGIN
  UPDATE passes AS p SET scanned_at = p_at, scanned_by = p_by, gate = p_gate, inside = p.persons, entered = p.persons
   WHERE p.id = p_id AND p.scanned_at IS NULL AND p.voided_at IS NULL
   RETURNING p.id, p.pass_type, p.persons, p.holder_name, p.holder_phone, p.holder2_name, p.holder2_phone, p.price_cents,
             p.payment_mode, p.txn_ref, p.slot, p.key_id, p.created_at, p.created_by, p.scanned_at, p.scanned_by, p.gate,
             p.voided_at, p.voided_by, p.void_reason, p.inside, p.entered, p.entry_day, p.last_in_at, p.last_in_gate, p.note INTO r;
  claimed := FOUND;
  PERFORM pg_advisory_xact_lock(p_lock);
  SELECT l.idx, l.hash INTO h FROM ledger AS l ORDER BY l.seq DESC LIMIT 1;
  IF claimed THEN
    RETURN QUERY SELECT r.id, r.pass_type, r.persons, r.holder_name, r.holder_phone, r.holder2_name, r.holder2_phone, r.price_cents,
      r.payment_mode, r.txn_ref, r.slot, r.key_id, r.created_at, r.created_by, r.scanned_at, r.scanned_by, r.gate,
      r.voided_at, r.voided_by, r.void_reason, r.inside, r.entered, r.entry_day, r.last_in_at, r.last_in_gate, r.note, h.idx, h.hash;
  ELSE
    RETURN QUERY SELECT NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
      NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,
      NULL::text, NULL::text, NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, h.idx, h.hash;
  END IF;
END $f$;

CREATE OR REPLACE FUNCTION gatehouse_inside(p_lock bigint, p_gates text[])
RETURNS TABLE (venue bigint, zone bigint)
LANGUAGE plpgsql VOLATILE AS $f$
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock);
  RETURN QUERY SELECT coalesce(SUM(p.inside), 0)::bigint,
                      coalesce(SUM(CASE WHEN lower(coalesce(p.last_in_gate, p.gate)) = ANY(p_gates) THEN p.inside ELSE 0 END), 0)::bigint
                 FROM passes AS p WHERE p.inside > 0;
END $f$;

CREATE OR REPLACE FUNCTION gatehouse_append_scan(p_idx bigint, p_ts text, p_operator text, p_gate text, p_event text, p_data text,
  p_prev text, p_hash text, p_key text, p_sig text, s_at text, s_operator text, s_gate text, s_verdict text, s_subject text,
  s_persons integer, s_repeated boolean, s_reason text, s_nonce text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $f$
BEGIN
  INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
  VALUES (p_idx, p_ts, p_operator, p_gate, p_event, p_data, p_prev, p_hash, p_key, p_sig);
  INSERT INTO scans (at, operator, gate, verdict, subject, persons, repeated, block, reason, nonce)
  VALUES (s_at, s_operator, s_gate, s_verdict, s_subject, s_persons, s_repeated, p_idx, s_reason, s_nonce);
END $f$;
"#;

/// Install this version of the functions (on the connection that runs the
/// migrations), unless another gate did while this one waited.
pub(super) fn install(client: &mut postgres::Client) -> crate::error::Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INSTALL_LOCK])?;
    let current: bool = tx.query_one(CHECK, &[&VERSION])?.try_get(0)?;
    if !current {
        tx.batch_execute(CREATE)?;
        tx.batch_execute(COMMENT)?;
        tracing::info!(version = VERSION, "installed gatehouse's PostgreSQL functions");
    }
    tx.commit()?;
    Ok(())
}
