//! Shell sign-in sessions: token hashes with their user and end.

use super::{PgDb, get};
use crate::error::Result;
use crate::store::interface::SessionRows;

impl SessionRows for PgDb<'_> {
    fn insert_session(&self, token_hash: &str, username: &str, created_at: &str, expires_at: &str, now: &str) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])?;
        self.execute(
            "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &username, &created_at, &expires_at],
        )?;
        Ok(())
    }

    fn session_user(&self, token_hash: &str, now: &str) -> Result<Option<String>> {
        let row = self.query_opt("SELECT username FROM sessions WHERE token_hash = $1 AND expires_at > $2", &[&token_hash, &now])?;
        row.as_ref().map(|r| get(r, 0)).transpose()
    }

    fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
    }

    fn delete_sessions_of(&self, username: &str) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE username = $1", &[&username])
    }
}
