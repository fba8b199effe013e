//! Resident rows.

use postgres::Row;

use super::passes::resolve;
use super::{PgDb, get, parse_col};
use crate::domain::resident::{Presence, Resident, ValidResident};
use crate::error::Result;
use crate::store::ids::escape_like;
use crate::store::interface::ResidentRows;

macro_rules! cols {
    () => {
        "id, name, room, floor, phone, email, address, move_in, occupation, emergency_contact, photo, \
         status, active, key_id, created_at, created_by, last_scan_at"
    };
}

fn row_to_resident(r: &Row) -> Result<Resident> {
    Ok(Resident {
        id: get(r, 0)?,
        name: get(r, 1)?,
        room: get(r, 2)?,
        floor: get(r, 3)?,
        phone: get(r, 4)?,
        email: get(r, 5)?,
        address: get(r, 6)?,
        move_in: get(r, 7)?,
        occupation: get(r, 8)?,
        emergency_contact: get(r, 9)?,
        photo: get(r, 10)?,
        status: parse_col(r, 11, "resident status", Presence::parse)?,
        active: get(r, 12)?,
        key_id: get(r, 13)?,
        created_at: get(r, 14)?,
        created_by: get(r, 15)?,
        last_scan_at: get(r, 16)?,
    })
}

impl ResidentRows for PgDb<'_> {
    fn insert_resident(&self, id: &str, v: &ValidResident, key_id: &str, at: &str, by: &str) -> Result<()> {
        self.execute(
            "INSERT INTO residents (id, name, room, floor, phone, email, address, move_in, occupation, emergency_contact,
                photo, key_id, created_at, created_by, search_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &id,
                &v.name,
                &v.room,
                &v.floor,
                &v.phone,
                &v.email,
                &v.address,
                &v.move_in,
                &v.occupation,
                &v.emergency_contact,
                &v.photo,
                &key_id,
                &at,
                &by,
                &crate::domain::text::search_fold(&format!("{} {}", v.name, v.room)),
            ],
        )?;
        Ok(())
    }

    fn get_resident(&self, id: &str) -> Result<Option<Resident>> {
        self.query_opt(concat!("SELECT ", cols!(), " FROM residents WHERE id = $1"), &[&id])?.as_ref().map(row_to_resident).transpose()
    }

    fn resolve_resident_id(&self, prefix: &str) -> Result<String> {
        resolve(
            self,
            ["SELECT 1 FROM residents WHERE id = $1", "SELECT id FROM residents WHERE id LIKE $1 ESCAPE '\\' ORDER BY id LIMIT 3"],
            "resident",
            prefix,
        )
    }

    fn set_resident_status(&self, id: &str, status: Presence, at: &str) -> Result<()> {
        self.execute("UPDATE residents SET status = $2, last_scan_at = $3 WHERE id = $1", &[&id, &status.as_str(), &at])?;
        Ok(())
    }

    fn deactivate_resident(&self, id: &str, at: &str, by: &str) -> Result<()> {
        self.execute("UPDATE residents SET active = FALSE, deactivated_at = $2, deactivated_by = $3 WHERE id = $1", &[&id, &at, &by])?;
        Ok(())
    }

    fn list_residents(&self, search: Option<&str>, include_inactive: bool) -> Result<Vec<Resident>> {
        let mut sql = format!("SELECT {} FROM residents WHERE TRUE", cols!());
        let mut args = Vec::new();
        if !include_inactive {
            sql.push_str(" AND active");
        }
        if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
            args.push(format!("%{}%", escape_like(&crate::domain::text::search_fold(s))));
            args.push(format!("{}%", escape_like(&s.to_lowercase())));
            args.push(format!("%{}%", escape_like(s)));
            sql.push_str(" AND (search_key LIKE $1 OR phone LIKE $3 OR id LIKE $2)");
        }
        // COLLATE "C": the same byte order as SQLite, whatever the server's locale.
        sql.push_str(r#" ORDER BY room COLLATE "C", name COLLATE "C""#);
        let params: Vec<&dyn super::conn::Param> = args.iter().map(|a| a as &dyn super::conn::Param).collect();
        self.query_built(&sql, &params)?.iter().map(row_to_resident).collect()
    }
}
