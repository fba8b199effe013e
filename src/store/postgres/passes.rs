//! Pass rows.

use postgres::Row;

use super::conn::Param;
use super::{PgDb, get, get_u32, parse_col};
use crate::domain::pass::{HolderKey, Pass, PaymentMode, ValidPass};
use crate::domain::rules::EntryState;
use crate::domain::text::search_fold;
use crate::error::Result;
use crate::store::interface::{FirstAdmission, PassFilter, PassRows};
use crate::store::{filters, ids};

/// Taken by the duplicate check of an issue: issues queue from it to their commit.
const HOLDER_LOCK: i64 = 0x6761_7465_686f_6c64; // "gatehold"

macro_rules! cols {
    () => {
        "id, pass_type, persons, holder_name, holder_phone, holder2_name, holder2_phone, price_cents, \
         payment_mode, txn_ref, slot, key_id, created_at, created_by, scanned_at, scanned_by, gate, voided_at, voided_by, void_reason, \
         inside, entered, entry_day, last_in_at, last_in_gate, note"
    };
}
// The audit reads the same columns.
pub(super) use cols;

pub(super) fn row_to_pass(r: &Row) -> Result<Pass> {
    row_to_pass_at(r, 0)
}

/// The columns from `o` on, in `cols!` order.
pub(super) fn row_to_pass_at(r: &Row, o: usize) -> Result<Pass> {
    Ok(Pass {
        id: get(r, o)?,
        pass_type: get(r, o + 1)?,
        persons: get_u32(r, o + 2)?,
        holder_name: get(r, o + 3)?,
        holder_phone: get(r, o + 4)?,
        holder2_name: get(r, o + 5)?,
        holder2_phone: get(r, o + 6)?,
        price_cents: get(r, o + 7)?,
        payment_mode: parse_col(r, o + 8, "payment mode", PaymentMode::parse)?,
        txn_ref: get(r, o + 9)?,
        slot: get(r, o + 10)?,
        key_id: get(r, o + 11)?,
        created_at: get(r, o + 12)?,
        created_by: get(r, o + 13)?,
        scanned_at: get(r, o + 14)?,
        scanned_by: get(r, o + 15)?,
        gate: get(r, o + 16)?,
        voided_at: get(r, o + 17)?,
        voided_by: get(r, o + 18)?,
        void_reason: get(r, o + 19)?,
        inside: get_u32(r, o + 20)?,
        entered: get_u32(r, o + 21)?,
        entry_day: get(r, o + 22)?,
        last_in_at: get(r, o + 23)?,
        last_in_gate: get(r, o + 24)?,
        note: get(r, o + 25)?,
    })
}

/// Record the first admission. Of two racing UPDATEs the second waits on
/// the row lock, re-checks the WHERE clause, and changes nothing.
pub(super) const CLAIM: &str = concat!(
    "UPDATE passes SET scanned_at = $2, scanned_by = $3, gate = $4, inside = persons, entered = persons
     WHERE id = $1 AND scanned_at IS NULL AND voided_at IS NULL RETURNING ",
    cols!()
);

impl PassRows for PgDb<'_> {
    fn insert_pass(&self, id: &str, v: &ValidPass, key_id: &str, at: &str, by: &str) -> Result<()> {
        self.execute(
            "INSERT INTO passes (id, pass_type, persons, holder_name, holder_phone, name_key, holder2_name, holder2_phone,
                price_cents, payment_mode, txn_ref, slot, key_id, created_at, created_by, search_key, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            &[
                &id,
                &v.pass_type,
                &(v.persons as i32),
                &v.holder_name,
                &v.holder_phone,
                &v.name_key,
                &v.holder2_name,
                &v.holder2_phone,
                &v.price_cents,
                &v.payment_mode.as_str(),
                &v.txn_ref,
                &v.slot,
                &key_id,
                &at,
                &by,
                &search_key(v),
                &v.note,
            ],
        )?;
        Ok(())
    }

    /// `BULK` rows per INSERT, each column sent as one array.
    fn insert_passes(&self, items: &[(&str, &ValidPass)], key_id: &str, at: &str, by: &str) -> Result<()> {
        for chunk in items.chunks(BULK) {
            let text = |f: fn(&ValidPass) -> &str| chunk.iter().map(|(_, v)| f(v)).collect::<Vec<&str>>();
            let opt = |f: fn(&ValidPass) -> Option<&str>| chunk.iter().map(|(_, v)| f(v)).collect::<Vec<Option<&str>>>();
            let ids: Vec<&str> = chunk.iter().map(|(id, _)| *id).collect();
            let persons: Vec<i32> = chunk.iter().map(|(_, v)| v.persons as i32).collect();
            let prices: Vec<i64> = chunk.iter().map(|(_, v)| v.price_cents).collect();
            let search: Vec<String> = chunk.iter().map(|(_, v)| search_key(v)).collect();
            self.execute(
                "INSERT INTO passes (id, pass_type, persons, holder_name, holder_phone, name_key, holder2_name, holder2_phone,
                    price_cents, payment_mode, txn_ref, slot, search_key, note, key_id, created_at, created_by)
                 SELECT u.*, $15, $16, $17
                 FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::int8[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[]) AS u",
                &[
                    &ids,
                    &text(|v| &v.pass_type),
                    &persons,
                    &text(|v| &v.holder_name),
                    &text(|v| &v.holder_phone),
                    &text(|v| &v.name_key),
                    &opt(|v| v.holder2_name.as_deref()),
                    &opt(|v| v.holder2_phone.as_deref()),
                    &prices,
                    &text(|v| v.payment_mode.as_str()),
                    &opt(|v| v.txn_ref.as_deref()),
                    &text(|v| &v.slot),
                    &search,
                    &opt(|v| v.note.as_deref()),
                    &key_id,
                    &at,
                    &by,
                ],
            )?;
        }
        Ok(())
    }

    fn find_duplicate_pass(&self, k: &HolderKey) -> Result<Option<String>> {
        Ok(self.find_duplicate_passes(std::slice::from_ref(k))?.pop().flatten())
    }

    /// Under `HOLDER_LOCK`, held to the end of the transaction: no unique
    /// index keeps a holder to one pass any more (an admin may allow a
    /// second), so two gates issuing at once queue here, and the second
    /// sees the first's pass once it commits.
    fn find_duplicate_passes(&self, keys: &[HolderKey]) -> Result<Vec<Option<String>>> {
        self.query("SELECT pg_advisory_xact_lock($1)", &[&HOLDER_LOCK])?;
        let mut out = vec![None; keys.len()];
        for (c, chunk) in keys.chunks(BULK).enumerate() {
            let names: Vec<&str> = chunk.iter().map(|k| k.name_key).collect();
            let phones: Vec<&str> = chunk.iter().map(|k| k.phone).collect();
            let types: Vec<&str> = chunk.iter().map(|k| k.pass_type).collect();
            let slots: Vec<&str> = chunk.iter().map(|k| k.slot).collect();
            let rows = self.query(
                "SELECT DISTINCT ON (h.n) h.n, p.id
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS h(name_key, phone, pass_type, slot, n)
                 JOIN passes p ON p.name_key = h.name_key AND p.holder_phone = h.phone AND p.pass_type = h.pass_type
                   AND p.slot = h.slot AND p.voided_at IS NULL
                 ORDER BY h.n, p.created_at, p.id",
                &[&names, &phones, &types, &slots],
            )?;
            for r in &rows {
                let n = get::<i64>(r, 0)?;
                if let Some(slot) = usize::try_from(n - 1).ok().and_then(|i| out.get_mut(c * BULK + i)) {
                    *slot = Some(get(r, 1)?);
                }
            }
        }
        Ok(out)
    }

    fn get_passes(&self, ids: &[&str]) -> Result<Vec<Option<Pass>>> {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(BULK) {
            for r in &self.query(concat!("SELECT ", cols!(), " FROM passes WHERE id = ANY($1)"), &[&chunk])? {
                let p = row_to_pass(r)?;
                found.insert(p.id.clone(), p);
            }
        }
        Ok(ids.iter().map(|id| found.remove(*id)).collect())
    }

    fn get_pass(&self, id: &str) -> Result<Option<Pass>> {
        self.query_opt(concat!("SELECT ", cols!(), " FROM passes WHERE id = $1"), &[&id])?.as_ref().map(row_to_pass).transpose()
    }

    fn resolve_pass_id(&self, prefix: &str) -> Result<String> {
        resolve(
            self,
            ["SELECT 1 FROM passes WHERE id = $1", "SELECT id FROM passes WHERE id LIKE $1 ESCAPE '\\' ORDER BY id LIMIT 3"],
            "pass",
            prefix,
        )
    }

    /// See `CLAIM`. A scan's claim goes through `Db::write_scan`, which
    /// takes the ledger lock with it.
    fn mark_pass_scanned(&self, id: &str, at: &str, by: &str, gate: &str) -> Result<Option<Pass>> {
        self.query_opt(CLAIM, &[&id, &at, &by, &gate])?.as_ref().map(row_to_pass).transpose()
    }

    fn clear_pass_scan(&self, id: &str) -> Result<()> {
        self.execute(
            "UPDATE passes SET scanned_at = NULL, scanned_by = NULL, gate = NULL,
                inside = 0, entered = 0, entry_day = NULL, last_in_at = NULL, last_in_gate = NULL WHERE id = $1",
            &[&id],
        )?;
        Ok(())
    }

    /// As on SQLite: a compare-and-set. A racing UPDATE waits on the row
    /// lock, re-checks the WHERE clause on the new row, and changes nothing.
    fn move_pass(&self, id: &str, was: &EntryState, now: &EntryState, first: Option<FirstAdmission>) -> Result<Option<Pass>> {
        let (at, by, gate) = first.map_or((None, None, None), |f| (Some(f.at), Some(f.by), Some(f.gate)));
        self.query_opt(
            concat!(
                "UPDATE passes SET inside = $2, entered = $3, entry_day = $4, last_in_at = $5, last_in_gate = $6,
                    scanned_at = coalesce(scanned_at, $10), scanned_by = coalesce(scanned_by, $11), gate = coalesce(gate, $12)
                 WHERE id = $1 AND voided_at IS NULL AND inside = $7 AND entered = $8 AND entry_day IS NOT DISTINCT FROM $9 RETURNING ",
                cols!()
            ),
            &[
                &id,
                &(now.inside as i32),
                &(now.entered as i32),
                &now.entry_day,
                &now.last_in_at,
                &now.last_in_gate,
                &(was.inside as i32),
                &(was.entered as i32),
                &was.entry_day,
                &at,
                &by,
                &gate,
            ],
        )?
        .as_ref()
        .map(row_to_pass)
        .transpose()
    }

    /// See `functions::INSIDE`: the capacity lock and the counts in one call.
    fn inside_counts(&self, zone_gates: &[String]) -> Result<(u64, u64)> {
        let gates: Vec<&str> = zone_gates.iter().map(String::as_str).collect();
        let gates = gates.as_slice();
        let r = self.query_one(super::functions::INSIDE, &[&super::CAPACITY_LOCK, &gates])?;
        Ok((get::<i64>(&r, 0)?.max(0) as u64, get::<i64>(&r, 1)?.max(0) as u64))
    }

    fn void_pass(&self, id: &str, at: &str, by: &str, reason: &str) -> Result<()> {
        self.execute("UPDATE passes SET voided_at = $2, voided_by = $3, void_reason = $4 WHERE id = $1", &[&id, &at, &by, &reason])?;
        Ok(())
    }

    fn list_passes(&self, f: &PassFilter) -> Result<Vec<Pass>> {
        let q = filters::passes(f);
        let sql = format!(
            r#"SELECT {} FROM passes WHERE TRUE{} ORDER BY created_at DESC, id COLLATE "C"{}"#,
            cols!(),
            q.conditions,
            q.limit_clause()
        );
        let mut params: Vec<&dyn Param> = q.args.iter().map(|a| a as &dyn Param).collect();
        if let Some(l) = &q.limit {
            params.push(l);
        }
        self.query_built(&sql, &params)?.iter().map(row_to_pass).collect()
    }
}

/// Rows per multi-row statement in the bulk methods.
const BULK: usize = 5000;

/// Both holders' names folded for search, as on SQLite.
fn search_key(v: &ValidPass) -> String {
    search_fold(&format!("{} {}", v.holder_name, v.holder2_name.as_deref().unwrap_or("")))
}

/// Resolve an id prefix with `sql`: fixed queries for a whole id and for a
/// prefix.
pub(super) fn resolve(db: &PgDb, sql: [&str; 2], what: &'static str, prefix: &str) -> Result<String> {
    let p = ids::prefix(prefix, what)?;
    // A whole id is looked up through the primary key. LIKE cannot use that
    // index under the database's collation, so it reads every id: 50 ms a
    // lookup at 100,000 passes, for the common case of a full id.
    if p.len() == 36 && db.query_opt(sql[0], &[&p])?.is_some() {
        return Ok(p);
    }
    let found: Vec<String> = db.query(sql[1], &[&ids::starts_with(&p)])?.iter().map(|r| get(r, 0)).collect::<Result<_>>()?;
    ids::pick(prefix, what, found)
}
