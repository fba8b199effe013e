//! Enrolled gates and one-time enrolment tokens.

use tokio_postgres::Row;

use super::{PgDb, get};
use crate::error::Result;
use crate::store::interface::{GateRow, GateRows, GateTokenRow};

const TOKEN_COLS: &str = "token_hash, gate, created_at, created_by, expires_at, used_at";

fn token(r: &Row) -> Result<GateTokenRow> {
    Ok(GateTokenRow {
        token_hash: get(r, 0)?,
        gate: get(r, 1)?,
        created_at: get(r, 2)?,
        created_by: get(r, 3)?,
        expires_at: get(r, 4)?,
        used_at: get(r, 5)?,
    })
}

fn gate(r: &Row) -> Result<GateRow> {
    Ok(GateRow {
        name: get(r, 0)?,
        key_id: get(r, 1)?,
        public_key: get(r, 2)?,
        enrolled_at: get(r, 3)?,
        enrolled_by: get(r, 4)?,
        block: get::<i64>(r, 5)?.max(0) as u64,
        last_seen: get(r, 6)?,
        revoked_at: get(r, 7)?,
        revoked_by: get(r, 8)?,
        db_role: get(r, 9)?,
    })
}

impl GateRows for PgDb<'_> {
    fn insert_gate_token(&self, t: &GateTokenRow) -> Result<()> {
        self.execute(
            "INSERT INTO gate_tokens (token_hash, gate, created_at, created_by, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&t.token_hash, &t.gate, &t.created_at, &t.created_by, &t.expires_at, &t.used_at],
        )
    }

    fn gate_token_locked(&self, token_hash: &str) -> Result<Option<GateTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM gate_tokens WHERE token_hash = $1 FOR UPDATE");
        self.query_opt(&sql, &[&token_hash])?.as_ref().map(token).transpose()
    }

    fn mark_gate_token_used(&self, token_hash: &str, at: &str) -> Result<()> {
        self.execute("UPDATE gate_tokens SET used_at = $2 WHERE token_hash = $1", &[&token_hash, &at])
    }

    fn put_gate(&self, g: &GateRow) -> Result<()> {
        self.execute(
            "INSERT INTO gates (name, key_id, public_key, enrolled_at, enrolled_by, block, last_seen, revoked_at, revoked_by, db_role)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key,
                enrolled_at = excluded.enrolled_at, enrolled_by = excluded.enrolled_by, block = excluded.block,
                last_seen = excluded.last_seen, revoked_at = excluded.revoked_at, revoked_by = excluded.revoked_by,
                db_role = excluded.db_role",
            &[
                &g.name,
                &g.key_id,
                &g.public_key,
                &g.enrolled_at,
                &g.enrolled_by,
                &(g.block as i64),
                &g.last_seen,
                &g.revoked_at,
                &g.revoked_by,
                &g.db_role,
            ],
        )
    }

    fn gates(&self) -> Result<Vec<GateRow>> {
        self.query(
            r#"SELECT name, key_id, public_key, enrolled_at, enrolled_by, block, last_seen, revoked_at, revoked_by, db_role
               FROM gates ORDER BY name COLLATE "C""#,
            &[],
        )?
        .iter()
        .map(gate)
        .collect()
    }

    fn touch_gate(&self, name: &str, at: &str) -> Result<bool> {
        Ok(self.query_opt("UPDATE gates SET last_seen = $2 WHERE name = $1 RETURNING 1", &[&name, &at])?.is_some())
    }

    fn revoke_gate(&self, name: &str, at: &str, by: &str) -> Result<()> {
        self.execute("UPDATE gates SET revoked_at = $2, revoked_by = $3 WHERE name = $1", &[&name, &at, &by])
    }

    fn can_create_roles(&self) -> Result<bool> {
        let row = self.query_opt("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user", &[])?;
        Ok(row.as_ref().map(|r| get::<bool>(r, 0)).transpose()?.unwrap_or(false))
    }

    fn create_gate_role(&self, role: &str, password: &str, until: &str) -> Result<()> {
        self.execute("SELECT gatehouse_gate_role($1, $2, $3)", &[&role, &password, &until])
    }

    fn keep_gate_role(&self) -> Result<bool> {
        let row = self.query_opt("SELECT gatehouse_gate_role_kept()", &[])?;
        Ok(row.as_ref().map(|r| get::<bool>(r, 0)).transpose()?.unwrap_or(false))
    }

    fn disable_gate_role(&self, role: &str) -> Result<()> {
        self.execute("SELECT gatehouse_gate_role_off($1)", &[&role])
    }
}
