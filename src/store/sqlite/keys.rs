//! Issuing public keys and sealed key slots.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::error::Result;
use crate::store::interface::KeyRows;

impl KeyRows for SqliteDb<'_> {
    fn issuing_keys(&self) -> Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare_cached("SELECT key_id, public_key FROM issuing_keys ORDER BY created_at, key_id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn insert_issuing_key(&self, key_id: &str, public_hex: &str, at: &str, by: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO issuing_keys (key_id, public_key, created_at, created_by) VALUES (?1, ?2, ?3, ?4)",
            params![key_id, public_hex, at, by],
        )?;
        Ok(())
    }

    fn key_slot(&self, username: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT sealed FROM key_slots WHERE username = ?1", [username], |r| r.get(0)).optional()?)
    }

    fn set_key_slot(&self, username: &str, sealed: &str, at: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO key_slots (username, sealed, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (username) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            params![username, sealed, at],
        )?;
        Ok(())
    }

    fn delete_key_slot(&self, username: &str) -> Result<()> {
        self.conn.execute("DELETE FROM key_slots WHERE username = ?1", [username])?;
        Ok(())
    }
}
