//! User rows, including the lockout state every gate shares.

use postgres::Row;

use super::{PgDb, get, get_u32, parse_col};
use crate::domain::user::{Role, User};
use crate::error::Result;
use crate::store::interface::UserRows;

macro_rules! cols {
    () => {
        "username, display_name, role, created_at, disabled, failed_attempts, locked_until, pw_hash"
    };
}

fn row_to_user(r: &Row) -> Result<(User, String)> {
    Ok((
        User {
            username: get(r, 0)?,
            display_name: get(r, 1)?,
            role: parse_col(r, 2, "role", Role::parse)?,
            created_at: get(r, 3)?,
            disabled: get(r, 4)?,
            failed_attempts: get_u32(r, 5)?,
            locked_until: get(r, 6)?,
        },
        get(r, 7)?,
    ))
}

impl UserRows for PgDb<'_> {
    fn insert_user(&self, u: &User, pw_hash: &str) -> Result<()> {
        self.execute(
            "INSERT INTO users (username, display_name, role, pw_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&u.username, &u.display_name, &u.role.as_str(), &pw_hash, &u.created_at],
        )?;
        Ok(())
    }

    fn get_user(&self, username: &str) -> Result<Option<(User, String)>> {
        self.query_opt(concat!("SELECT ", cols!(), " FROM users WHERE username = $1"), &[&username])?.as_ref().map(row_to_user).transpose()
    }

    fn get_user_locked(&self, username: &str) -> Result<Option<(User, String)>> {
        self.query_opt(concat!("SELECT ", cols!(), " FROM users WHERE username = $1 FOR UPDATE"), &[&username])?
            .as_ref()
            .map(row_to_user)
            .transpose()
    }

    fn list_users(&self) -> Result<Vec<User>> {
        self.query(concat!("SELECT ", cols!(), r#" FROM users ORDER BY username COLLATE "C""#), &[])?
            .iter()
            .map(|r| row_to_user(r).map(|(u, _)| u))
            .collect()
    }

    /// As on SQLite: one atomic UPDATE, so guesses at several gates at
    /// once are each counted. Lock times are RFC 3339 UTC text, which
    /// compares in time order.
    fn count_login_failure(&self, username: &str, now: &str) -> Result<Option<u32>> {
        let row = self.query_opt(
            "UPDATE users SET failed_attempts = CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END,
                locked_until = NULL
             WHERE username = $1 AND (locked_until IS NULL OR locked_until <= $2)
             RETURNING failed_attempts",
            &[&username, &now],
        )?;
        row.as_ref().map(|r| get_u32(r, 0)).transpose()
    }

    fn lock_user(&self, username: &str, until: &str) -> Result<()> {
        self.execute("UPDATE users SET locked_until = $2 WHERE username = $1", &[&username, &until])?;
        Ok(())
    }

    fn clear_login_failures(&self, username: &str) -> Result<()> {
        self.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = $1", &[&username])?;
        Ok(())
    }

    fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        self.execute("UPDATE users SET disabled = $2 WHERE username = $1", &[&username, &disabled])?;
        Ok(())
    }

    fn set_user_password(&self, username: &str, pw_hash: &str) -> Result<()> {
        self.execute(
            "UPDATE users SET pw_hash = $2, failed_attempts = 0, locked_until = NULL WHERE username = $1",
            &[&username, &pw_hash],
        )?;
        Ok(())
    }

    fn active_admins(&self) -> Result<u64> {
        self.count_of("SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled")
    }
}
