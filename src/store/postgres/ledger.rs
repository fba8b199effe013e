//! Ledger blocks. An append takes `LEDGER_LOCK` inside the caller's
//! transaction, so blocks from every gate form one chain with dense indices,
//! committed with their state change or not at all.

use postgres::Row;

use super::conn::{Owned, Param};
use super::functions;
use super::passes::row_to_pass;
use super::{LEDGER_LOCK, PgDb, get};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{self, Sealed, StoredBlock};
use crate::domain::pass::Pass;
use crate::error::{Error, Result};
use crate::store::interface::{LedgerRow, LedgerRows, NewBlock, ScanRow};

macro_rules! cols {
    () => {
        "idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig"
    };
}

/// Rows fetched per round trip while verifying.
const PAGE: i64 = 4096;

pub(super) fn row_to_block(r: &Row) -> Result<StoredBlock> {
    row_to_ref(r).map(|b| b.to_stored())
}

/// The row's text borrowed: no copy per block while verifying.
pub(super) fn row_to_ref(r: &Row) -> Result<ledger::BlockRef<'_>> {
    Ok(ledger::BlockRef {
        index: get::<i64>(r, 0)?.max(0) as u64,
        ts: get(r, 1)?,
        operator: get(r, 2)?,
        gate: get(r, 3)?,
        event: get(r, 4)?,
        data: get(r, 5)?,
        prev_hash: get(r, 6)?,
        hash: get(r, 7)?,
        key_id: get(r, 8)?,
        signature: get(r, 9)?,
    })
}

fn seal(keys: &KeyRing, head: &Option<(u64, String)>, b: &NewBlock) -> Result<Sealed> {
    b.seal(keys, head.as_ref().map(|(i, h)| (*i, h.as_str())))
}

/// Blocks per multi-row INSERT in `append_blocks`.
const BULK: usize = 5000;

/// The newest block: the head an append links to.
const HEAD: &str = "SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1";

/// Taken before `HEAD`, in a statement of its own: in READ COMMITTED each
/// statement takes its own snapshot, so the head is read after the lock is
/// granted and sees every append committed before.
const LOCK: &str = "SELECT pg_advisory_xact_lock($1)";

/// The head from `HEAD`'s rows (none: an empty ledger).
fn head_of(rows: &[Row]) -> Result<Option<(u64, String)>> {
    rows.first().map(|r| Ok((get::<i64>(r, 0)?.max(0) as u64, get(r, 1)?))).transpose()
}

impl PgDb<'_> {
    /// Whether this transaction holds `LEDGER_LOCK` (and so knows the head).
    pub(super) fn holds_ledger_lock(&self) -> bool {
        self.head.borrow().is_some()
    }

    /// Take `LEDGER_LOCK` (once per transaction) and read the head, in one
    /// round trip (with BEGIN, when this is the first statement).
    fn lock_head(&self) -> Result<Option<(u64, String)>> {
        if let Some(head) = self.head.borrow().clone() {
            return Ok(head);
        }
        let rows = self.run(&[(LOCK, &[&LEDGER_LOCK]), (HEAD, &[])])?;
        let head = head_of(&rows[1])?;
        *self.head.borrow_mut() = Some(head.clone());
        Ok(head)
    }

    /// Lock rows (by id, in one order for every upload), then
    /// `LEDGER_LOCK` and the head: see `SyncRows::lock_for_upload`.
    pub(super) fn lock_rows_then_ledger(&self, passes: &[String], residents: &[String]) -> Result<()> {
        if self.holds_ledger_lock() {
            return Err(Error::pg("rows must be locked before the ledger"));
        }
        let passes: Vec<&str> = passes.iter().map(String::as_str).collect();
        let residents: Vec<&str> = residents.iter().map(String::as_str).collect();
        let (passes, residents) = (passes.as_slice(), residents.as_slice());
        let rows = self.run(&[
            (r#"SELECT id FROM passes WHERE id = ANY($1) ORDER BY id COLLATE "C" FOR UPDATE"#, &[&passes]),
            (r#"SELECT id FROM residents WHERE id = ANY($1) ORDER BY id COLLATE "C" FOR UPDATE"#, &[&residents]),
            (LOCK, &[&LEDGER_LOCK]),
            (HEAD, &[]),
        ])?;
        *self.head.borrow_mut() = Some(head_of(&rows[3])?);
        Ok(())
    }

    /// A scan's first admission (`Db::write_scan`): BEGIN, then the conditional UPDATE,
    /// the ledger lock and the head in one function call, in one round
    /// trip. The pass's row lock is taken before the ledger lock, as every
    /// write does.
    pub(super) fn claim(&self, id: &str, at: &str, by: &str, gate: &str) -> Result<Option<Pass>> {
        let rows = self.run(&[(functions::CLAIM, &[&id, &at, &by, &gate, &LEDGER_LOCK])])?;
        let r = rows[0].first().ok_or_else(|| Error::pg("the claim returned no row"))?;
        let head = match get::<Option<i64>>(r, 26)? {
            Some(i) => Some((i.max(0) as u64, get::<String>(r, 27)?)),
            None => None,
        };
        *self.head.borrow_mut() = Some(head);
        match get::<Option<String>>(r, 0)? {
            Some(_) => Ok(Some(row_to_pass(r)?)),
            None => Ok(None),
        }
    }

    /// A scan's block and its scan row in one function call (see
    /// `Db::write_scan`), held back to go with the COMMIT: the ledger lock
    /// is then released in the round trip that writes the block.
    pub(super) fn append_scan_row(&self, keys: &KeyRing, b: &NewBlock, s: &ScanRow) -> Result<u64> {
        let head = self.lock_head()?;
        let k = seal(keys, &head, b)?;
        let text = |v: &str| Box::new(v.to_string()) as Box<dyn Param + Send>;
        let params: Vec<Box<dyn Param + Send>> = vec![
            Box::new(k.index as i64),
            text(b.ts),
            text(b.operator),
            text(b.gate),
            text(b.event),
            text(&k.data),
            text(&k.prev_hash),
            text(&k.hash),
            text(&k.key_id),
            text(&k.signature),
            text(&s.at),
            text(&s.operator),
            text(&s.gate),
            text(s.verdict.as_str()),
            Box::new(s.subject.clone()),
            Box::new(s.persons as i32),
            Box::new(s.repeated),
            text(&s.reason),
            Box::new(s.nonce.clone()),
        ];
        self.defer(Owned { sql: functions::APPEND_SCAN, params });
        *self.head.borrow_mut() = Some(Some((k.index, k.hash)));
        Ok(k.index)
    }
}

impl LedgerRows for PgDb<'_> {
    fn append_block(&self, keys: &KeyRing, b: &NewBlock) -> Result<u64> {
        let head = self.lock_head()?;
        let k = seal(keys, &head, b)?;
        self.execute(
            "INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[&(k.index as i64), &b.ts, &b.operator, &b.gate, &b.event, &k.data, &k.prev_hash, &k.hash, &k.key_id, &k.signature],
        )?;
        *self.head.borrow_mut() = Some(Some((k.index, k.hash)));
        Ok(k.index)
    }

    /// Sealed in order on the client, then sent `BULK` rows per INSERT;
    /// `seq` follows the arrays' order, as the ORDER BY says.
    fn append_blocks(&self, keys: &KeyRing, blocks: &[NewBlock]) -> Result<Vec<u64>> {
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let mut head = self.lock_head()?;
        let mut out = Vec::with_capacity(blocks.len());
        for chunk in blocks.chunks(BULK) {
            let mut sealed = Vec::with_capacity(chunk.len());
            for b in chunk {
                let k = seal(keys, &head, b)?;
                head = Some((k.index, k.hash.clone()));
                out.push(k.index);
                sealed.push(k);
            }
            let col = |f: fn(&Sealed) -> &str| sealed.iter().map(f).collect::<Vec<&str>>();
            let ts: Vec<&str> = chunk.iter().map(|b| b.ts).collect();
            let operator: Vec<&str> = chunk.iter().map(|b| b.operator).collect();
            let gate: Vec<&str> = chunk.iter().map(|b| b.gate).collect();
            let event: Vec<&str> = chunk.iter().map(|b| b.event).collect();
            let idx: Vec<i64> = sealed.iter().map(|k| k.index as i64).collect();
            self.execute(
                "INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
                 SELECT idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig
                 FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::text[], $10::text[]) WITH ORDINALITY
                      AS b(idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig, n)
                 ORDER BY n",
                &[
                    &idx,
                    &ts,
                    &operator,
                    &gate,
                    &event,
                    &col(|k| k.data.as_str()),
                    &col(|k| k.prev_hash.as_str()),
                    &col(|k| k.hash.as_str()),
                    &col(|k| k.key_id.as_str()),
                    &col(|k| k.signature.as_str()),
                ],
            )?;
            *self.head.borrow_mut() = Some(head.clone());
        }
        Ok(out)
    }

    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        if let Some(head) = self.head.borrow().clone() {
            return Ok(head);
        }
        head_of(&self.query(HEAD, &[])?)
    }

    fn ledger_blocks(&self, from: u64, limit: usize) -> Result<Vec<StoredBlock>> {
        self.query(concat!("SELECT ", cols!(), " FROM ledger WHERE idx >= $1 ORDER BY seq LIMIT $2"), &[&(from as i64), &(limit as i64)])?
            .iter()
            .map(row_to_block)
            .collect()
    }

    fn ledger_recent(&self, n: usize) -> Result<Vec<StoredBlock>> {
        self.query(concat!("SELECT ", cols!(), " FROM ledger ORDER BY seq DESC LIMIT $1"), &[&(n as i64)])?
            .iter()
            .map(row_to_block)
            .collect()
    }

    /// A page at a time (keyed on seq), so a million blocks need no million-row vector.
    fn walk_ledger(&self, visit: &mut dyn FnMut(LedgerRow<'_>, &mut dyn FnMut(u64) -> bool) -> bool) -> Result<()> {
        let mut exists =
            |i: u64| self.query_opt("SELECT 1 FROM ledger WHERE idx = $1 LIMIT 1", &[&(i as i64)]).map(|r| r.is_some()).unwrap_or(false);
        let mut after = i64::MIN;
        loop {
            let rows =
                self.query(concat!("SELECT ", cols!(), ", seq FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2"), &[&after, &PAGE])?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = get(last, 10)?;
            for r in &rows {
                let row = match row_to_ref(r) {
                    Ok(b) => LedgerRow::Block(b),
                    Err(e) => LedgerRow::Unreadable { index: r.try_get::<_, i64>(0).unwrap_or(0).max(0) as u64, what: e.to_string() },
                };
                if !visit(row, &mut exists) {
                    return Ok(());
                }
            }
        }
    }

    fn ledger_count(&self) -> Result<u64> {
        self.count_of("SELECT COUNT(*) FROM ledger")
    }
}
