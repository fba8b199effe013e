//! Ledger blocks. An append takes `LEDGER_LOCK` inside the caller's
//! transaction, so blocks from every gate form one chain with dense indices,
//! committed with their state change or not at all.

use postgres::Row;

use super::{LEDGER_LOCK, PgDb, get};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::{self, BlockFields, GENESIS, StoredBlock, Verifier, VerifyReport};
use crate::error::{Error, Result};
use crate::store::interface::{LedgerRows, NewBlock};

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

impl LedgerRows for PgDb<'_> {
    fn append_block(&self, keys: &KeyRing, b: &NewBlock) -> Result<u64> {
        let head = match self.head.borrow().clone() {
            Some(head) => head,
            None => {
                self.execute("SELECT pg_advisory_xact_lock($1)", &[&LEDGER_LOCK])?;
                self.ledger_head()?
            }
        };
        let (index, prev) = match head {
            None => (0u64, GENESIS),
            Some((i, h)) => {
                let prev = ledger::from_hex(&h)
                    .ok_or_else(|| Error::Other(format!("ledger head block {i} is corrupt; run `gatehouse ledger verify`")))?;
                (i + 1, prev)
            }
        };
        let data = b.data.to_string();
        let key_id = keys.active_id();
        let fields =
            BlockFields { index, ts: b.ts, operator: b.operator, gate: b.gate, event: b.event, data: &data, prev_hash: &prev, key_id };
        let hash = fields.hash();
        let sig = ledger::sign(keys, key_id, &hash).ok_or_else(|| Error::Other("active key missing from key ring".into()))?;
        self.execute(
            "INSERT INTO ledger (idx, ts, operator, gate, event, data, prev_hash, hash, key_id, sig)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &(index as i64),
                &b.ts,
                &b.operator,
                &b.gate,
                &b.event,
                &data,
                &ledger::to_hex(&prev),
                &ledger::to_hex(&hash),
                &key_id,
                &ledger::to_hex(&sig),
            ],
        )?;
        *self.head.borrow_mut() = Some(Some((index, ledger::to_hex(&hash))));
        Ok(index)
    }

    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        if let Some(head) = self.head.borrow().clone() {
            return Ok(head);
        }
        match self.query_opt("SELECT idx, hash FROM ledger ORDER BY seq DESC LIMIT 1", &[])? {
            Some(r) => Ok(Some((get::<i64>(&r, 0)?.max(0) as u64, get(&r, 1)?))),
            None => Ok(None),
        }
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

    /// Walk every block in storage order, a page at a time (keyed on seq).
    fn verify_ledger(&self, keys: &KeyRing, expect: Option<ledger::ExpectedHead>, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        let mut exists =
            |i: u64| self.query_opt("SELECT 1 FROM ledger WHERE idx = $1 LIMIT 1", &[&(i as i64)]).map(|r| r.is_some()).unwrap_or(false);
        let mut v = Verifier::new(keys, expect);
        let (mut n, mut after) = (0u64, i64::MIN);
        loop {
            let rows =
                self.query(concat!("SELECT ", cols!(), ", seq FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2"), &[&after, &PAGE])?;
            let Some(last) = rows.last() else { break };
            after = get(last, 10)?;
            for r in &rows {
                let b = match row_to_ref(r) {
                    Ok(b) => b,
                    Err(e) => {
                        let index = r.try_get::<_, i64>(0).unwrap_or(0).max(0) as u64;
                        return Ok(v.failed(ledger::Problem::Corrupt { index, what: e.to_string() }));
                    }
                };
                if let Err(p) = v.push(&b, &mut exists) {
                    return Ok(v.failed(p));
                }
                n += 1;
                if n % 4096 == 0 {
                    progress(n);
                }
            }
        }
        Ok(v.finish())
    }

    fn ledger_count(&self) -> Result<u64> {
        self.count_of("SELECT COUNT(*) FROM ledger")
    }
}
