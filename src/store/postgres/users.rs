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

    fn list_users(&self) -> Result<Vec<User>> {
        self.query(concat!("SELECT ", cols!(), r#" FROM users ORDER BY username COLLATE "C""#), &[])?
            .iter()
            .map(|r| row_to_user(r).map(|(u, _)| u))
            .collect()
    }

    fn set_login_failures(&self, username: &str, failed: u32, locked_until: Option<&str>) -> Result<()> {
        self.execute(
            "UPDATE users SET failed_attempts = $2, locked_until = $3 WHERE username = $1",
            &[&username, &(failed as i32), &locked_until],
        )?;
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
