//! Enrolled gates and one-time enrolment tokens.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::error::Result;
use crate::store::interface::{GateRow, GateRows, GateTokenRow};

fn token(r: &rusqlite::Row) -> rusqlite::Result<GateTokenRow> {
    Ok(GateTokenRow {
        token_hash: r.get(0)?,
        gate: r.get(1)?,
        created_at: r.get(2)?,
        created_by: r.get(3)?,
        expires_at: r.get(4)?,
        used_at: r.get(5)?,
    })
}

fn gate(r: &rusqlite::Row) -> rusqlite::Result<GateRow> {
    Ok(GateRow {
        name: r.get(0)?,
        key_id: r.get(1)?,
        public_key: r.get(2)?,
        enrolled_at: r.get(3)?,
        enrolled_by: r.get(4)?,
        block: r.get::<_, i64>(5)?.max(0) as u64,
        last_seen: r.get(6)?,
        revoked_at: r.get(7)?,
        revoked_by: r.get(8)?,
        db_role: r.get(9)?,
    })
}

impl GateRows for SqliteDb<'_> {
    fn insert_gate_token(&self, t: &GateTokenRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO gate_tokens (token_hash, gate, created_at, created_by, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t.token_hash, t.gate, t.created_at, t.created_by, t.expires_at, t.used_at],
        )?;
        Ok(())
    }

    // SQLite's writers queue for the whole file: reading inside `write` holds it.
    fn gate_token_locked(&self, token_hash: &str) -> Result<Option<GateTokenRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT token_hash, gate, created_at, created_by, expires_at, used_at FROM gate_tokens WHERE token_hash = ?1",
                [token_hash],
                token,
            )
            .optional()?)
    }

    fn mark_gate_token_used(&self, token_hash: &str, at: &str) -> Result<()> {
        self.conn.execute("UPDATE gate_tokens SET used_at = ?2 WHERE token_hash = ?1", params![token_hash, at])?;
        Ok(())
    }

    fn put_gate(&self, g: &GateRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO gates (name, key_id, public_key, enrolled_at, enrolled_by, block, last_seen, revoked_at, revoked_by, db_role)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                enrolled_at = excluded.enrolled_at, enrolled_by = excluded.enrolled_by, block = excluded.block,
                last_seen = excluded.last_seen, revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,
                db_role = excluded.db_role",
            params![
                g.name,
                g.key_id,
                g.public_key,
                g.enrolled_at,
                g.enrolled_by,
                g.block as i64,
                g.last_seen,
                g.revoked_at,
                g.revoked_by,
                g.db_role
            ],
        )?;
        Ok(())
    }

    fn gates(&self) -> Result<Vec<GateRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT name, key_id, public_key, enrolled_at, enrolled_by, block, last_seen, revoked_at, revoked_by, db_role FROM gates ORDER BY name",
        )?;
        let rows = st.query_map([], gate)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn touch_gate(&self, name: &str, at: &str) -> Result<bool> {
        Ok(self.conn.execute("UPDATE gates SET last_seen = ?2 WHERE name = ?1", params![name, at])? > 0)
    }

    fn revoke_gate(&self, name: &str, at: &str, by: &str) -> Result<()> {
        self.conn.execute("UPDATE gates SET revoked_at = ?2, revoked_by = ?3 WHERE name = ?1", params![name, at, by])?;
        Ok(())
    }

    // A SQLite file has no logins: each gate on one is the only gate.
    fn can_create_roles(&self) -> Result<bool> {
        Ok(false)
    }

    fn create_gate_role(&self, _role: &str, _password: &str, _until: &str) -> Result<()> {
        Err(crate::error::Error::Unsupported("a SQLite file has no database roles".into()))
    }

    fn keep_gate_role(&self) -> Result<bool> {
        Ok(false)
    }

    fn disable_gate_role(&self, _role: &str) -> Result<()> {
        Ok(())
    }
}
