//! Reading and verifying the ledger.

use super::Gatehouse;
use crate::domain::ledger::{ExpectedHead, StoredBlock, VerifyReport};
use crate::error::Result;

impl Gatehouse {
    pub fn verify_ledger(&mut self, expect: Option<ExpectedHead>, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
        let keys = self.keys.clone();
        self.store.read(|db| db.verify_ledger(&keys, expect, progress))
    }

    pub fn ledger_head(&mut self) -> Result<Option<(u64, String)>> {
        self.store.read(|db| db.ledger_head())
    }

    pub fn ledger_blocks(&mut self, from: u64, limit: usize) -> Result<Vec<StoredBlock>> {
        self.store.read(|db| db.ledger_blocks(from, limit))
    }

    pub fn ledger_recent(&mut self, n: usize) -> Result<Vec<StoredBlock>> {
        self.store.read(|db| db.ledger_recent(n))
    }

    pub fn ledger_count(&mut self) -> Result<u64> {
        self.store.read(|db| db.ledger_count())
    }
}
