//! Resident rows.

use rusqlite::{OptionalExtension, params};

use super::{SqliteDb, parse_col};
use crate::domain::resident::{Presence, Resident, ValidResident};
use crate::error::Result;
use crate::store::interface::ResidentRows;

const COLS: &str = "id, name, room, floor, phone, email, address, move_in, occupation, emergency_contact, photo, \
    status, active, key_id, created_at, created_by, last_scan_at";

fn row_to_resident(r: &rusqlite::Row) -> rusqlite::Result<Resident> {
    Ok(Resident {
        id: r.get(0)?,
        name: r.get(1)?,
        room: r.get(2)?,
        floor: r.get(3)?,
        phone: r.get(4)?,
        email: r.get(5)?,
        address: r.get(6)?,
        move_in: r.get(7)?,
        occupation: r.get(8)?,
        emergency_contact: r.get(9)?,
        photo: r.get(10)?,
        status: parse_col(r.get(11)?, "resident status", Presence::parse)?,
        active: r.get(12)?,
        key_id: r.get(13)?,
        created_at: r.get(14)?,
        created_by: r.get(15)?,
        last_scan_at: r.get(16)?,
    })
}

impl ResidentRows for SqliteDb<'_> {
    fn insert_resident(&self, id: &str, v: &ValidResident, key_id: &str, at: &str, by: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO residents (id, name, room, floor, phone, email, address, move_in, occupation, emergency_contact,
                photo, key_id, created_at, created_by, search_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                id,
                v.name,
                v.room,
                v.floor,
                v.phone,
                v.email,
                v.address,
                v.move_in,
                v.occupation,
                v.emergency_contact,
                v.photo,
                key_id,
                at,
                by,
                crate::domain::text::search_fold(&format!("{} {}", v.name, v.room))
            ],
        )?;
        Ok(())
    }

    fn get_resident(&self, id: &str) -> Result<Option<Resident>> {
        Ok(self.conn.prepare_cached(&format!("SELECT {COLS} FROM residents WHERE id = ?1"))?.query_row([id], row_to_resident).optional()?)
    }

    fn resolve_resident_id(&self, prefix: &str) -> Result<String> {
        super::passes::resolve(self, "residents", "resident", prefix)
    }

    fn set_resident_status(&self, id: &str, status: Presence, at: &str) -> Result<()> {
        self.conn.prepare_cached("UPDATE residents SET status = ?2, last_scan_at = ?3 WHERE id = ?1")?.execute(params![
            id,
            status.as_str(),
            at
        ])?;
        Ok(())
    }

    fn deactivate_resident(&self, id: &str, at: &str, by: &str) -> Result<()> {
        self.conn
            .execute("UPDATE residents SET active = 0, deactivated_at = ?2, deactivated_by = ?3 WHERE id = ?1", params![id, at, by])?;
        Ok(())
    }

    /// Residents matching `search` (name, room, phone, id prefix), by room.
    fn list_residents(&self, search: Option<&str>, include_inactive: bool) -> Result<Vec<Resident>> {
        let mut sql = format!("SELECT {COLS} FROM residents WHERE 1=1");
        let mut args = Vec::new();
        if !include_inactive {
            sql.push_str(" AND active = 1");
        }
        if let Some(s) = search.map(str::trim).filter(|s| !s.is_empty()) {
            // search_key: name and room folded in Rust (see passes.rs).
            args.push(format!("%{}%", super::passes::escape_like(&crate::domain::text::search_fold(s))));
            args.push(format!("{}%", super::passes::escape_like(&s.to_lowercase())));
            args.push(format!("%{}%", super::passes::escape_like(s)));
            sql.push_str(" AND (search_key LIKE ?1 ESCAPE '\\' OR phone LIKE ?3 ESCAPE '\\' OR id LIKE ?2 ESCAPE '\\')");
        }
        sql.push_str(" ORDER BY room, name");
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), row_to_resident)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
