//! Versioned migrations, tracked in `PRAGMA user_version`. Each step runs in
//! its own transaction; a database from a newer gatehouse is refused.

use rusqlite::Connection;

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE users (
        username        TEXT PRIMARY KEY,
        display_name    TEXT NOT NULL,
        role            TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
        pw_hash         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        disabled        INTEGER NOT NULL DEFAULT 0,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until    TEXT
    );
    CREATE TABLE passes (
        id            TEXT PRIMARY KEY,
        pass_type     TEXT NOT NULL,
        persons       INTEGER NOT NULL,
        holder_name   TEXT NOT NULL,
        holder_phone  TEXT NOT NULL,
        name_key      TEXT NOT NULL,
        holder2_name  TEXT,
        holder2_phone TEXT,
        price_cents   INTEGER NOT NULL,
        payment_mode  TEXT NOT NULL CHECK (payment_mode IN ('CASH', 'ONLINE')),
        txn_ref       TEXT,
        slot          TEXT NOT NULL,
        key_id        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        scanned_at    TEXT,
        scanned_by    TEXT,
        gate          TEXT,
        voided_at     TEXT,
        voided_by     TEXT,
        void_reason   TEXT
    );
    -- One live pass per holder; a voided pass frees the holder for a new one.
    CREATE UNIQUE INDEX passes_holder ON passes (name_key, holder_phone) WHERE voided_at IS NULL;
    CREATE INDEX passes_created ON passes (created_at);
    CREATE TABLE residents (
        id                TEXT PRIMARY KEY,
        name              TEXT NOT NULL,
        room              TEXT NOT NULL,
        floor             TEXT NOT NULL DEFAULT '',
        phone             TEXT NOT NULL DEFAULT '',
        email             TEXT NOT NULL DEFAULT '',
        address           TEXT NOT NULL DEFAULT '',
        move_in           TEXT NOT NULL DEFAULT '',
        occupation        TEXT NOT NULL DEFAULT '',
        emergency_contact TEXT NOT NULL DEFAULT '',
        photo             TEXT,
        status            TEXT NOT NULL DEFAULT 'OUT' CHECK (status IN ('IN', 'OUT')),
        active            INTEGER NOT NULL DEFAULT 1,
        key_id            TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        created_by        TEXT NOT NULL,
        last_scan_at      TEXT,
        deactivated_at    TEXT,
        deactivated_by    TEXT
    );
    CREATE TABLE scans (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        operator TEXT NOT NULL,
        gate     TEXT NOT NULL,
        verdict  TEXT NOT NULL,
        subject  TEXT,
        persons  INTEGER NOT NULL DEFAULT 0,
        repeated INTEGER NOT NULL DEFAULT 0,
        block    INTEGER NOT NULL
    );
    CREATE INDEX scans_at ON scans (at);
    -- seq is storage order; idx is the index the block's hash covers. Keeping
    -- both lets verify tell a reordered block from a missing one.
    CREATE TABLE ledger (
        seq       INTEGER PRIMARY KEY,
        idx       INTEGER NOT NULL,
        ts        TEXT NOT NULL,
        operator  TEXT NOT NULL,
        gate      TEXT NOT NULL,
        event     TEXT NOT NULL,
        data      TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL,
        key_id    TEXT NOT NULL,
        sig       TEXT NOT NULL
    );
    CREATE INDEX ledger_idx ON ledger (idx);
    "#,
    // 2: search keys, folded in Rust (`domain::text::search_fold`) because
    // SQLite's lower() folds ASCII only; filled for existing rows below.
    r#"
    ALTER TABLE passes ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE residents ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
    "#,
    // 3: scan nonces, so a retried scan is recorded once and answered the same.
    r#"
    ALTER TABLE scans ADD COLUMN nonce TEXT;
    ALTER TABLE scans ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    CREATE UNIQUE INDEX scans_nonce ON scans (nonce);
    "#,
    // 4: shell sign-ins (`gatehouse login`): the hash of each session's
    // token, never the token, with its user and end.
    r#"
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username   TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (username);
    "#,
    // 5: the event's pass types and entry rules, one row, written with a
    // `rules_set` block. No row yet: the config's types are the seed.
    r#"
    CREATE TABLE event_rules (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        rules  TEXT NOT NULL,
        digest TEXT NOT NULL,
        set_at TEXT NOT NULL,
        set_by TEXT NOT NULL,
        block  INTEGER NOT NULL
    );
    "#,
    // 6: each pass's entry state under its rule, and its note. Passes
    // admitted before are inside with all their people.
    r#"
    ALTER TABLE passes ADD COLUMN inside INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE passes ADD COLUMN entered INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE passes ADD COLUMN entry_day TEXT;
    ALTER TABLE passes ADD COLUMN last_in_at TEXT;
    ALTER TABLE passes ADD COLUMN last_in_gate TEXT;
    ALTER TABLE passes ADD COLUMN note TEXT;
    UPDATE passes SET inside = persons, entered = persons WHERE scanned_at IS NOT NULL;
    "#,
    // 7: Ed25519 issuing keys (public halves) and each admin's sealed key
    // slot; no plain seed is ever stored (domain::keyslot).
    r#"
    CREATE TABLE issuing_keys (
        key_id     TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE key_slots (
        username   TEXT PRIMARY KEY,
        sealed     TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    "#,
    // 8: a holder may hold several live passes (another type, another
    // slot, or an admin's --allow-duplicate): the holder index stays, for
    // the duplicate check, but no longer unique.
    r#"
    DROP INDEX IF EXISTS passes_holder;
    CREATE INDEX passes_holder ON passes (name_key, holder_phone) WHERE voided_at IS NULL;
    "#,
    // 9: enrolled gates (device public keys, last seen, revocation) and
    // one-time enrolment tokens, stored only as hashes (service::gates).
    r#"
    CREATE TABLE gates (
        name        TEXT PRIMARY KEY,
        key_id      TEXT UNIQUE,
        public_key  TEXT,
        enrolled_at TEXT NOT NULL,
        enrolled_by TEXT NOT NULL,
        block       INTEGER NOT NULL,
        last_seen   TEXT,
        revoked_at  TEXT,
        revoked_by  TEXT,
        db_role     TEXT
    );
    CREATE TABLE gate_tokens (
        token_hash TEXT PRIMARY KEY,
        gate       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at    TEXT
    );
    "#,
];

/// Steps that need Rust after a migration's SQL, in the same transaction:
/// the search keys of rows written before version 2.
fn backfill(tx: &rusqlite::Transaction, version: u32) -> Result<()> {
    if version != 2 {
        return Ok(());
    }
    let fold = |st: &str, upd: &str| -> Result<()> {
        let rows: Vec<(String, String)> =
            tx.prepare(st)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut u = tx.prepare(upd)?;
        for (id, text) in rows {
            u.execute(rusqlite::params![id, crate::domain::text::search_fold(&text)])?;
        }
        Ok(())
    };
    fold("SELECT id, holder_name || ' ' || coalesce(holder2_name, '') FROM passes", "UPDATE passes SET search_key = ?2 WHERE id = ?1")?;
    fold("SELECT id, name || ' ' || room FROM residents", "UPDATE residents SET search_key = ?2 WHERE id = ?1")
}

pub const LATEST: u32 = MIGRATIONS.len() as u32;

/// A fresh in-memory database with every migration applied: what a
/// gatehouse file's schema must be, for the audit to compare against.
pub fn reference() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    for sql in MIGRATIONS {
        conn.execute_batch(sql)?;
    }
    Ok(conn)
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(Error::Schema(format!(
            "the database schema is version {current}, newer than this gatehouse understands ({LATEST}); upgrade gatehouse"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        // Another process may have opened the same fresh file at the same
        // moment: the version read above is only a hint. Under the write
        // lock (IMMEDIATE) it is read again, and a step already applied is
        // skipped, so any number of processes migrate a file once.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i as u32 {
            continue;
        }
        tx.execute_batch(sql)?;
        backfill(&tx, i as u32 + 1)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied migration");
    }
    Ok(())
}
