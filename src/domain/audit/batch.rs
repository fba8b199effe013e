//! Rows packed for another thread. The store lends each row for the length
//! of one call, so the audit's second core cannot read it where it lies: a
//! batch copies the strings of a few thousand rows into one buffer (one
//! allocation, not one per field) and lends them out again on the other side.

use super::{PassFacts, ScanFacts};
use crate::domain::ledger::BlockRef;

/// Where one string lies in `text`; `NONE` in the length stands for `None`.
type Span = (u32, u32);
const NONE: u32 = u32::MAX;

/// A batch is handed over once its text passes this size.
const FULL: usize = 1 << 20;

#[derive(Default)]
pub struct Batch {
    text: String,
    spans: Vec<Span>,
    nums: Vec<i64>,
    rows: usize,
}

impl Batch {
    pub fn is_full(&self) -> bool {
        self.text.len() >= FULL
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn put(&mut self, s: &str) {
        self.put_opt(Some(s));
    }

    fn put_opt(&mut self, s: Option<&str>) {
        let span = match s {
            Some(s) => {
                let start = self.text.len() as u32;
                self.text.push_str(s);
                (start, s.len() as u32)
            }
            None => (0, NONE),
        };
        self.spans.push(span);
    }

    fn num(&mut self, n: i64) {
        self.nums.push(n);
    }

    fn reader(&self) -> Reader<'_> {
        Reader { b: self, span: 0, num: 0 }
    }

    pub fn push_block(&mut self, b: &BlockRef) {
        self.num(b.index as i64);
        for s in [b.ts, b.operator, b.gate, b.event, b.data, b.prev_hash, b.hash, b.key_id, b.signature] {
            self.put(s);
        }
        self.rows += 1;
    }

    pub fn each_block(&self, mut f: impl FnMut(&BlockRef)) {
        let mut r = self.reader();
        for _ in 0..self.rows {
            let index = r.num() as u64;
            let b = BlockRef {
                index,
                ts: r.str(),
                operator: r.str(),
                gate: r.str(),
                event: r.str(),
                data: r.str(),
                prev_hash: r.str(),
                hash: r.str(),
                key_id: r.str(),
                signature: r.str(),
            };
            f(&b);
        }
    }

    pub fn push_pass(&mut self, p: &PassFacts) {
        self.num(i64::from(p.persons));
        self.num(p.price_cents);
        self.num(i64::from(p.inside));
        for s in [p.id, p.pass_type, p.holder_name, p.holder_phone] {
            self.put(s);
        }
        self.put_opt(p.holder2_name);
        self.put_opt(p.holder2_phone);
        for s in [p.payment_mode, p.slot, p.key_id, p.created_at, p.created_by] {
            self.put(s);
        }
        for s in [p.txn_ref, p.scanned_at, p.scanned_by, p.gate, p.voided_at, p.voided_by, p.void_reason, p.note] {
            self.put_opt(s);
        }
        self.rows += 1;
    }

    pub fn each_pass(&self, mut f: impl FnMut(&PassFacts)) {
        let mut r = self.reader();
        for _ in 0..self.rows {
            let (persons, price_cents, inside) = (r.num() as u32, r.num(), r.num() as u32);
            let (id, pass_type, holder_name, holder_phone) = (r.str(), r.str(), r.str(), r.str());
            let (holder2_name, holder2_phone) = (r.opt(), r.opt());
            let (payment_mode, slot, key_id, created_at, created_by) = (r.str(), r.str(), r.str(), r.str(), r.str());
            let p = PassFacts {
                id,
                pass_type,
                persons,
                holder_name,
                holder_phone,
                holder2_name,
                holder2_phone,
                price_cents,
                payment_mode,
                txn_ref: r.opt(),
                slot,
                key_id,
                created_at,
                created_by,
                scanned_at: r.opt(),
                scanned_by: r.opt(),
                gate: r.opt(),
                voided_at: r.opt(),
                voided_by: r.opt(),
                void_reason: r.opt(),
                inside,
                note: r.opt(),
            };
            f(&p);
        }
    }

    pub fn push_scan(&mut self, s: &ScanFacts) {
        self.num(s.block as i64);
        self.num(i64::from(s.persons));
        self.num(i64::from(s.repeated));
        for t in [s.at, s.operator, s.gate, s.verdict] {
            self.put(t);
        }
        self.put_opt(s.subject);
        self.rows += 1;
    }

    pub fn each_scan(&self, mut f: impl FnMut(&ScanFacts)) {
        let mut r = self.reader();
        for _ in 0..self.rows {
            let (block, persons, repeated) = (r.num() as u64, r.num() as u32, r.num() != 0);
            let s =
                ScanFacts { block, persons, repeated, at: r.str(), operator: r.str(), gate: r.str(), verdict: r.str(), subject: r.opt() };
            f(&s);
        }
    }
}

/// Reads a batch back in the order it was written.
struct Reader<'a> {
    b: &'a Batch,
    span: usize,
    num: usize,
}

impl<'a> Reader<'a> {
    fn opt(&mut self) -> Option<&'a str> {
        let (start, len) = self.b.spans[self.span];
        self.span += 1;
        (len != NONE).then(|| &self.b.text[start as usize..(start + len) as usize])
    }

    fn str(&mut self) -> &'a str {
        self.opt().unwrap_or("")
    }

    fn num(&mut self) -> i64 {
        let n = self.b.nums[self.num];
        self.num += 1;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_they_went_in_with_none_kept_apart_from_empty() {
        let mut b = Batch::default();
        let block = BlockRef {
            index: 7,
            ts: "2026-12-02T03:00:00Z",
            operator: "asha",
            gate: "North",
            event: "scan",
            data: "{\"id\":\"é\"}",
            prev_hash: "",
            hash: "ab",
            key_id: "01",
            signature: "cd",
        };
        b.push_block(&block);
        let scan = ScanFacts { block: 9, at: "t", operator: "o", gate: "", verdict: "ADMITTED", subject: None, persons: 2, repeated: true };
        b.push_scan(&scan);
        let mut seen = Vec::new();
        // Each row kind is read from its own batch in use; here one reader
        // walks both kinds to show the layout is self-consistent.
        let mut r = b.reader();
        assert_eq!(r.num(), 7);
        for _ in 0..9 {
            seen.push(r.opt());
        }
        assert_eq!(seen[4], Some("{\"id\":\"é\"}"));
        assert_eq!(seen[5], Some(""));
        assert_eq!((r.num(), r.num(), r.num()), (9, 2, 1));
        for _ in 0..4 {
            r.opt();
        }
        assert_eq!(r.opt(), None);

        let mut one = Batch::default();
        one.push_block(&block);
        let mut got = Vec::new();
        one.each_block(|x| got.push(format!("{x:?}")));
        assert_eq!(got, [format!("{block:?}")]);

        let pass = PassFacts {
            id: "p1",
            pass_type: "COUPLE",
            persons: 2,
            holder_name: "Asha",
            holder_phone: "9000000001",
            holder2_name: Some("Ravi"),
            holder2_phone: None,
            price_cents: -5,
            payment_mode: "ONLINE",
            txn_ref: Some("UPI-1"),
            slot: "",
            key_id: "01",
            created_at: "t0",
            created_by: "asha",
            scanned_at: Some("t1"),
            scanned_by: Some("omar"),
            gate: Some("South"),
            voided_at: None,
            voided_by: None,
            void_reason: Some(""),
            inside: 2,
            note: Some("CHECK ID"),
        };
        let mut passes = Batch::default();
        passes.push_pass(&pass);
        passes.push_pass(&pass);
        let mut got = Vec::new();
        passes.each_pass(|x| got.push(format!("{x:?}")));
        assert_eq!(got, [format!("{pass:?}"), format!("{pass:?}")]);
        let mut scans = Batch::default();
        scans.push_scan(&scan);
        let mut got = Vec::new();
        scans.each_scan(|x| got.push(format!("{x:?}")));
        assert_eq!(got, [format!("{scan:?}")]);
    }
}
