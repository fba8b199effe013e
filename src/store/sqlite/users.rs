//! User rows, including the stored lockout state.

use rusqlite::{OptionalExtension, params};

use super::{SqliteDb, parse_col};
use crate::domain::user::{Role, User};
use crate::error::Result;
use crate::store::interface::UserRows;

fn row_to_user(r: &rusqlite::Row) -> rusqlite::Result<(User, String)> {
    Ok((
        User {
            username: r.get(0)?,
            display_name: r.get(1)?,
            role: parse_col(r.get(2)?, "role", Role::parse)?,
            created_at: r.get(3)?,
            disabled: r.get(4)?,
            failed_attempts: r.get(5)?,
            locked_until: r.get(6)?,
        },
        r.get(7)?,
    ))
}

const COLS: &str = "username, display_name, role, created_at, disabled, failed_attempts, locked_until, pw_hash";

impl UserRows for SqliteDb<'_> {
    fn insert_user(&self, u: &User, pw_hash: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO users (username, display_name, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![u.username, u.display_name, u.role.as_str(), pw_hash, u.created_at],
        )?;
        Ok(())
    }

    /// The user and their bcrypt hash.
    fn get_user(&self, username: &str) -> Result<Option<(User, String)>> {
        Ok(self.conn.query_row(&format!("SELECT {COLS} FROM users WHERE username = ?1"), [username], row_to_user).optional()?)
    }

    fn list_users(&self) -> Result<Vec<User>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLS} FROM users ORDER BY username"))?;
        let rows = st.query_map([], row_to_user)?;
        Ok(rows.map(|r| r.map(|(u, _)| u)).collect::<rusqlite::Result<_>>()?)
    }

    /// Count one wrong password, unless a lock holds at `now`: the new
    /// count, or None when the user is locked (or gone). An expired lock
    /// starts a fresh count. One atomic UPDATE, so parallel guesses never
    /// overwrite each other's count.
    fn count_login_failure(&self, username: &str, now: &str) -> Result<Option<u32>> {
        Ok(self
            .conn
            .query_row(
                "UPDATE users SET failed_attempts = CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END,
                    locked_until = NULL
                 WHERE username = ?1 AND (locked_until IS NULL OR locked_until <= ?2)
                 RETURNING failed_attempts",
                params![username, now],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Lock until the given time; the count stays, to show what locked it.
    fn lock_user(&self, username: &str, until: &str) -> Result<()> {
        self.conn.execute("UPDATE users SET locked_until = ?2 WHERE username = ?1", params![username, until])?;
        Ok(())
    }

    fn clear_login_failures(&self, username: &str) -> Result<()> {
        self.conn.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = ?1", [username])?;
        Ok(())
    }

    fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        self.conn.execute("UPDATE users SET disabled = ?2 WHERE username = ?1", params![username, disabled])?;
        Ok(())
    }

    fn set_user_password(&self, username: &str, pw_hash: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE users SET pw_hash = ?2, failed_attempts = 0, locked_until = NULL WHERE username = ?1",
            params![username, pw_hash],
        )?;
        Ok(())
    }

    fn active_admins(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0", [], |r| r.get::<_, i64>(0))? as u64)
    }
}
