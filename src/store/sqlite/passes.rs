//! Pass rows.

use rusqlite::{OptionalExtension, params};

use super::{SqliteDb, parse_col};
use crate::domain::pass::{HolderKey, Pass, PaymentMode, ValidPass};
use crate::domain::text::search_fold;
use crate::error::Result;
use crate::store::{filters, ids};
// Residents use the same pattern escaping.
use crate::domain::rules::EntryState;
pub(super) use crate::store::ids::escape_like;
use crate::store::interface::{FirstAdmission, PassFilter, PassRows};

pub(super) const COLS: &str = "id, pass_type, persons, holder_name, holder_phone, holder2_name, holder2_phone, price_cents, \
    payment_mode, txn_ref, slot, key_id, created_at, created_by, scanned_at, scanned_by, gate, voided_at, voided_by, void_reason, \
    inside, entered, entry_day, last_in_at, last_in_gate, note";

fn row_to_pass(r: &rusqlite::Row) -> rusqlite::Result<Pass> {
    Ok(Pass {
        id: r.get(0)?,
        pass_type: r.get(1)?,
        persons: r.get(2)?,
        holder_name: r.get(3)?,
        holder_phone: r.get(4)?,
        holder2_name: r.get(5)?,
        holder2_phone: r.get(6)?,
        price_cents: r.get(7)?,
        payment_mode: parse_col(r.get(8)?, "payment mode", PaymentMode::parse)?,
        txn_ref: r.get(9)?,
        slot: r.get(10)?,
        key_id: r.get(11)?,
        created_at: r.get(12)?,
        created_by: r.get(13)?,
        scanned_at: r.get(14)?,
        scanned_by: r.get(15)?,
        gate: r.get(16)?,
        voided_at: r.get(17)?,
        voided_by: r.get(18)?,
        void_reason: r.get(19)?,
        inside: r.get(20)?,
        entered: r.get(21)?,
        entry_day: r.get(22)?,
        last_in_at: r.get(23)?,
        last_in_gate: r.get(24)?,
        note: r.get(25)?,
    })
}

impl PassRows for SqliteDb<'_> {
    fn insert_pass(&self, id: &str, v: &ValidPass, key_id: &str, at: &str, by: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO passes (id, pass_type, persons, holder_name, holder_phone, name_key, holder2_name, holder2_phone,
                    price_cents, payment_mode, txn_ref, slot, key_id, created_at, created_by, search_key, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                id,
                v.pass_type,
                v.persons,
                v.holder_name,
                v.holder_phone,
                v.name_key,
                v.holder2_name,
                v.holder2_phone,
                v.price_cents,
                v.payment_mode.as_str(),
                v.txn_ref,
                v.slot,
                key_id,
                at,
                by,
                search_fold(&format!("{} {}", v.holder_name, v.holder2_name.as_deref().unwrap_or(""))),
                v.note
            ])?;
        Ok(())
    }

    fn find_duplicate_pass(&self, k: &HolderKey) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM passes WHERE name_key = ?1 AND holder_phone = ?2 AND pass_type = ?3 AND slot = ?4
                 AND voided_at IS NULL ORDER BY created_at, id LIMIT 1",
            )?
            .query_row(params![k.name_key, k.phone, k.pass_type, k.slot], |r| r.get(0))
            .optional()?)
    }

    fn get_pass(&self, id: &str) -> Result<Option<Pass>> {
        Ok(self.conn.prepare_cached(&format!("SELECT {COLS} FROM passes WHERE id = ?1"))?.query_row([id], row_to_pass).optional()?)
    }

    /// The full id for an unambiguous prefix (at least 4 characters).
    fn resolve_pass_id(&self, prefix: &str) -> Result<String> {
        resolve(self, "passes", "pass", prefix)
    }

    /// Record the first admission: the pass as now stored, or None if
    /// another scan got there first; the WHERE clause makes that impossible to miss.
    fn mark_pass_scanned(&self, id: &str, at: &str, by: &str, gate: &str) -> Result<Option<Pass>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "UPDATE passes SET scanned_at = ?2, scanned_by = ?3, gate = ?4, inside = persons, entered = persons
                 WHERE id = ?1 AND scanned_at IS NULL AND voided_at IS NULL RETURNING {COLS}"
            ))?
            .query_row(params![id, at, by, gate], row_to_pass)
            .optional()?)
    }

    fn clear_pass_scan(&self, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE passes SET scanned_at = NULL, scanned_by = NULL, gate = NULL,
                inside = 0, entered = 0, entry_day = NULL, last_in_at = NULL, last_in_gate = NULL WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    fn move_pass(&self, id: &str, was: &EntryState, now: &EntryState, first: Option<FirstAdmission>) -> Result<Option<Pass>> {
        let (at, by, gate) = first.map_or((None, None, None), |f| (Some(f.at), Some(f.by), Some(f.gate)));
        Ok(self
            .conn
            .prepare_cached(&format!(
                "UPDATE passes SET inside = ?2, entered = ?3, entry_day = ?4, last_in_at = ?5, last_in_gate = ?6,
                    scanned_at = coalesce(scanned_at, ?10), scanned_by = coalesce(scanned_by, ?11), gate = coalesce(gate, ?12)
                 WHERE id = ?1 AND voided_at IS NULL AND inside = ?7 AND entered = ?8 AND entry_day IS ?9 RETURNING {COLS}"
            ))?
            .query_row(
                params![
                    id,
                    now.inside,
                    now.entered,
                    now.entry_day,
                    now.last_in_at,
                    now.last_in_gate,
                    was.inside,
                    was.entered,
                    was.entry_day,
                    at,
                    by,
                    gate
                ],
                row_to_pass,
            )
            .optional()?)
    }

    /// The write transaction is IMMEDIATE: no other writer runs meanwhile.
    fn inside_counts(&self, zone_gates: &[String]) -> Result<(u64, u64)> {
        let gates = serde_json::to_string(zone_gates).map_err(|e| crate::error::Error::Internal(e.to_string()))?;
        let (venue, zone): (i64, i64) = self.conn.prepare_cached(
            "SELECT coalesce(SUM(inside), 0),
                    coalesce(SUM(CASE WHEN lower(coalesce(last_in_gate, gate)) IN (SELECT value FROM json_each(?1)) THEN inside ELSE 0 END), 0)
             FROM passes WHERE inside > 0",
        )?
        .query_row([gates], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((venue.max(0) as u64, zone.max(0) as u64))
    }

    fn void_pass(&self, id: &str, at: &str, by: &str, reason: &str) -> Result<()> {
        self.conn
            .execute("UPDATE passes SET voided_at = ?2, voided_by = ?3, void_reason = ?4 WHERE id = ?1", params![id, at, by, reason])?;
        Ok(())
    }

    fn list_passes(&self, f: &PassFilter) -> Result<Vec<Pass>> {
        let q = filters::passes(f);
        let sql = format!("SELECT {COLS} FROM passes WHERE TRUE{} ORDER BY created_at DESC, id{}", q.conditions, q.limit_clause());
        let mut args: Vec<rusqlite::types::Value> = q.args.into_iter().map(rusqlite::types::Value::Text).collect();
        args.extend(q.limit.map(rusqlite::types::Value::Integer));
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), row_to_pass)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Resolve an id prefix in `table` (a fixed name from this module, never input).
pub(super) fn resolve(db: &SqliteDb, table: &str, what: &'static str, prefix: &str) -> Result<String> {
    let p = ids::prefix(prefix, what)?;
    let mut st = db.conn.prepare_cached(&format!("SELECT id FROM {table} WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT 3"))?;
    let found: Vec<String> = st.query_map([ids::starts_with(&p)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    ids::pick(prefix, what, found)
}
