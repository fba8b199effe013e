//! Issuing public keys and sealed key slots.

use super::{PgDb, get};
use crate::error::Result;
use crate::store::interface::KeyRows;

impl KeyRows for PgDb<'_> {
    fn issuing_keys(&self) -> Result<Vec<(String, String)>> {
        self.query(r#"SELECT key_id, public_key FROM issuing_keys ORDER BY created_at, key_id COLLATE "C""#, &[])?
            .iter()
            .map(|r| Ok((get(r, 0)?, get(r, 1)?)))
            .collect()
    }

    fn insert_issuing_key(&self, key_id: &str, public_hex: &str, at: &str, by: &str) -> Result<()> {
        self.execute(
            "INSERT INTO issuing_keys (key_id, public_key, created_at, created_by) VALUES ($1, $2, $3, $4)",
            &[&key_id, &public_hex, &at, &by],
        )?;
        Ok(())
    }

    fn key_slot(&self, username: &str) -> Result<Option<String>> {
        self.query_opt("SELECT sealed FROM key_slots WHERE username = $1", &[&username])?.as_ref().map(|r| get(r, 0)).transpose()
    }

    fn set_key_slot(&self, username: &str, sealed: &str, at: &str) -> Result<()> {
        self.execute(
            "INSERT INTO key_slots (username, sealed, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (username) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            &[&username, &sealed, &at],
        )?;
        Ok(())
    }

    fn delete_key_slot(&self, username: &str) -> Result<()> {
        self.execute("DELETE FROM key_slots WHERE username = $1", &[&username])
    }
}
