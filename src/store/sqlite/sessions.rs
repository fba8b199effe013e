//! Shell sign-in sessions: token hashes with their user and end.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::error::Result;
use crate::store::interface::SessionRows;

impl SessionRows for SqliteDb<'_> {
    fn insert_session(&self, token_hash: &str, username: &str, created_at: &str, expires_at: &str, now: &str) -> Result<()> {
        self.conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
        self.conn.execute(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, username, created_at, expires_at],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &str, now: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT username FROM sessions WHERE token_hash = ?1 AND expires_at > ?2", params![token_hash, now], |r| r.get(0))
            .optional()?)
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn delete_sessions_of(&self, username: &str) -> Result<()> {
        self.conn.execute("DELETE FROM sessions WHERE username = ?1", [username])?;
        Ok(())
    }
}
