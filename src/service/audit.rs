//! The audit run on both cores. Reading the rows (SQLite's paging and
//! decoding, or PostgreSQL's wire) takes about as long as replaying them
//! (JSON, fingerprints, lookups), so the store is read on this thread while
//! another replays and compares, fed batches through a short queue.

use std::sync::mpsc::{SyncSender, sync_channel};

use crate::domain::audit::{Audit, AuditReport, Batch};
use crate::domain::keys::KeyRing;
use crate::domain::ledger::StoredBlock;
use crate::error::{Error, Result};
use crate::store::Db;

/// Batches in flight: enough to keep both threads busy, few enough that a
/// million blocks never sit in memory at once.
const QUEUE: usize = 4;

enum Rows {
    Blocks(Batch),
    Passes(Batch),
    Scans(Batch),
}

/// The store's rows on their way to the other thread.
struct Feed {
    tx: SyncSender<Rows>,
    batch: Batch,
}

impl Feed {
    /// Hand over the batch when it is full, or (`all`) whatever it holds.
    fn pass_on(&mut self, wrap: fn(Batch) -> Rows, all: bool) -> Result<()> {
        if self.batch.is_empty() || !(all || self.batch.is_full()) {
            return Ok(());
        }
        // A send fails only when the replay thread is gone: it panicked,
        // and joining it says so.
        self.tx.send(wrap(std::mem::take(&mut self.batch))).map_err(|_| Error::Internal("the audit's replay stopped".into()))
    }
}

/// Run `read` here, feeding rows to `audit` on another thread; return the
/// audit once both are done.
fn on_two_cores(audit: Audit, keys: &KeyRing, read: impl FnOnce(&mut Feed) -> Result<()>) -> Result<Audit> {
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Rows>(QUEUE);
        let replay = s.spawn(move || {
            let mut audit = audit;
            for rows in rx {
                match rows {
                    Rows::Blocks(b) => b.each_block(|r| audit.push(r)),
                    Rows::Passes(b) => b.each_pass(|p| audit.check_pass(p, keys)),
                    Rows::Scans(b) => b.each_scan(|r| audit.check_scan(r)),
                }
            }
            audit
        });
        let mut feed = Feed { tx, batch: Batch::default() };
        let read = read(&mut feed);
        drop(feed);
        let audit = replay.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        read.map(|()| audit)
    })
}

/// Replay every block, then compare each table with the replay.
pub(super) fn audit_db(db: &dyn Db, keys: &KeyRing) -> Result<AuditReport> {
    let mut audit = on_two_cores(Audit::new(), keys, |feed| {
        db.for_each_block(&mut |b| {
            feed.batch.push_block(b);
            feed.pass_on(Rows::Blocks, false)
        })?;
        feed.pass_on(Rows::Blocks, true)?;
        db.for_each_pass(&mut |p| {
            feed.batch.push_pass(p);
            feed.pass_on(Rows::Passes, false)
        })?;
        feed.pass_on(Rows::Passes, true)
    })?;
    for m in audit.pass_mismatches() {
        let (Some(row), Some(issue)) = (db.get_pass(&m.id)?, block_at(db, m.issue)?) else { continue };
        let scanned = m.scanned.map(|i| block_at(db, i)).transpose()?.flatten();
        let voided = m.voided.map(|i| block_at(db, i)).transpose()?.flatten();
        audit.explain_pass(
            &row,
            &issue.as_ref(),
            scanned.as_ref().map(|b| b.as_ref()).as_ref(),
            voided.as_ref().map(|b| b.as_ref()).as_ref(),
            keys,
        );
    }
    audit.check_residents(&db.list_residents(None, true)?, keys);
    audit.check_users(&db.list_users()?);
    audit.check_issuing_keys(&db.issuing_keys()?);
    let mut audit = on_two_cores(audit, keys, |feed| {
        db.for_each_scan(&mut |s| {
            feed.batch.push_scan(s);
            feed.pass_on(Rows::Scans, false)
        })?;
        feed.pass_on(Rows::Scans, true)
    })?;
    for block in audit.scan_mismatches() {
        if let Some(b) = block_at(db, block)? {
            audit.explain_scan(&b.as_ref());
        }
    }
    Ok(audit.finish())
}

fn block_at(db: &dyn Db, index: u64) -> Result<Option<StoredBlock>> {
    Ok(db.ledger_blocks(index, 1)?.into_iter().find(|b| b.index == index))
}
