//! Stats, CSV export, backup and restore.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::Gatehouse;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{PassFilter, Store, Table, apply_retention, next_backup_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Passes,
    Residents,
    Ledger,
}

fn csv_err(path: &Path, e: csv::Error) -> Error {
    Error::Other(format!("cannot write {}: {e}", path.display()))
}

impl Gatehouse {
    pub fn stats(&mut self) -> Result<Stats> {
        let now = self.now();
        let currency = self.cfg.event.currency.clone();
        self.store.read(|db| db.stats(now, &currency))
    }

    /// Write a CSV file. Payloads and keys are never exported: a payload is
    /// a bearer credential, reprint it with `pass qr` instead.
    pub fn export_csv(&mut self, kind: ExportKind, path: &Path) -> Result<u64> {
        let tmp = path.with_extension("csv.partial");
        let mut w = csv::Writer::from_path(&tmp).map_err(|e| csv_err(path, e))?;
        let n = match kind {
            ExportKind::Passes => {
                let rows = self.list_passes(&PassFilter::default())?;
                w.write_record([
                    "id",
                    "type",
                    "persons",
                    "holder_name",
                    "holder_phone",
                    "holder2_name",
                    "holder2_phone",
                    "price",
                    "payment_mode",
                    "txn_ref",
                    "slot",
                    "status",
                    "created_at",
                    "created_by",
                    "scanned_at",
                    "scanned_by",
                    "gate",
                    "voided_at",
                    "voided_by",
                    "void_reason",
                ])
                .map_err(|e| csv_err(path, e))?;
                for p in &rows {
                    let price = format!("{:.2}", p.price_cents as f64 / 100.0);
                    let o = |s: &Option<String>| s.clone().unwrap_or_default();
                    w.write_record([
                        p.id.clone(),
                        p.pass_type.clone(),
                        p.persons.to_string(),
                        p.holder_name.clone(),
                        p.holder_phone.clone(),
                        o(&p.holder2_name),
                        o(&p.holder2_phone),
                        price,
                        p.payment_mode.as_str().into(),
                        o(&p.txn_ref),
                        p.slot.clone(),
                        p.status().as_str().into(),
                        p.created_at.clone(),
                        p.created_by.clone(),
                        o(&p.scanned_at),
                        o(&p.scanned_by),
                        o(&p.gate),
                        o(&p.voided_at),
                        o(&p.voided_by),
                        o(&p.void_reason),
                    ])
                    .map_err(|e| csv_err(path, e))?;
                }
                rows.len()
            }
            ExportKind::Residents => {
                let rows = self.list_residents(None, true)?;
                w.write_record([
                    "id",
                    "name",
                    "room",
                    "floor",
                    "phone",
                    "email",
                    "address",
                    "move_in",
                    "occupation",
                    "emergency_contact",
                    "photo",
                    "status",
                    "active",
                    "created_at",
                    "created_by",
                ])
                .map_err(|e| csv_err(path, e))?;
                for r in &rows {
                    w.write_record([
                        r.id.clone(),
                        r.name.clone(),
                        r.room.clone(),
                        r.floor.clone(),
                        r.phone.clone(),
                        r.email.clone(),
                        r.address.clone(),
                        r.move_in.clone(),
                        r.occupation.clone(),
                        r.emergency_contact.clone(),
                        r.photo.clone().unwrap_or_default(),
                        r.status.as_str().into(),
                        r.active.to_string(),
                        r.created_at.clone(),
                        r.created_by.clone(),
                    ])
                    .map_err(|e| csv_err(path, e))?;
                }
                rows.len()
            }
            ExportKind::Ledger => {
                let rows = self.ledger_blocks(0, usize::MAX >> 1)?;
                w.write_record(["index", "ts", "operator", "gate", "event", "data", "prev_hash", "hash", "key_id", "signature"])
                    .map_err(|e| csv_err(path, e))?;
                for b in &rows {
                    w.write_record([
                        b.index.to_string().as_str(),
                        &b.ts,
                        &b.operator,
                        &b.gate,
                        &b.event,
                        &b.data,
                        &b.prev_hash,
                        &b.hash,
                        &b.key_id,
                        &b.signature,
                    ])
                    .map_err(|e| csv_err(path, e))?;
                }
                rows.len()
            }
        };
        w.flush().map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        Ok(n as u64)
    }

    /// Take a consistent copy into `dir` (default: the configured backup
    /// folder) and apply the retention. Returns the new file and the deleted ones.
    pub fn backup(&mut self, dir: Option<&Path>) -> Result<(PathBuf, Vec<PathBuf>)> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => match &self.paths {
                Some(p) => p.backup_dir(&self.cfg),
                None => return Err(Error::Other("no backup folder: pass --to DIR".into())),
            },
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("cannot create backup folder {}", dir.display()), e))?;
        let dest = dir.join(next_backup_name(&dir, self.now()));
        self.store.backup_to(&dest)?;
        let deleted = apply_retention(&dir, self.cfg.backup.keep_hourly, self.cfg.backup.keep_daily)?;
        Ok((dest, deleted))
    }

    /// Replace the live data with a backup copy, only when the copy is
    /// sound: a sound file with gatehouse's schema and nothing else, a
    /// ledger that verifies with our keys, tables that match it, and not
    /// empty. A copy that would roll the ledger back (older, or diverging
    /// from this database's) needs `force`. The restore is itself a block.
    pub fn restore(&mut self, actor: &Actor, src: &Path, force: bool) -> Result<RestoreReport> {
        super::require_admin(actor, "restore backups")?;
        if !src.is_file() {
            return Err(Error::NotFound { what: "backup file", id: src.display().to_string() });
        }
        let refuse = |why: String| Error::Conflict(format!("refusing to restore {}: {why}", src.display()));
        // Check a private copy, so the file cannot change between check and use.
        let staging = tempfile_in(self.store.path())?;
        std::fs::copy(src, &staging).map_err(|e| Error::io(format!("cannot read {}", src.display()), e))?;
        let result = (|| {
            let mut copy =
                Store::open(&staging).map_err(|e| Error::Other(format!("{} is not a gatehouse database: {e}", src.display())))?;
            let keys = self.keys.clone();
            let checked = copy.read(|db| {
                let v = super::ledger::verify_db(db, &keys, None, false, &mut |_| {})?;
                Ok((v, db.count(Table::Users)?))
            });
            let (v, users) = checked.map_err(|e| refuse(format!("it cannot be read as a gatehouse database: {e}")))?;
            if !v.chain.ok {
                let why = v.chain.problem.as_ref().map(|p| p.to_string()).unwrap_or_default();
                return Err(refuse(format!("its ledger does not verify: {why}")));
            }
            if !v.ok {
                let problems = v.problems();
                let shown: Vec<String> = problems.iter().take(5).cloned().collect();
                let more = if problems.len() > 5 { format!(" (and {} more)", problems.len() - 5) } else { String::new() };
                return Err(refuse(format!("it fails the audit: {}{more}", shown.join("; "))));
            }
            if v.chain.blocks == 0 || users == 0 {
                return Err(refuse("it is empty: no ledger blocks or no users".into()));
            }
            let loss = self.what_restore_loses(&mut copy)?;
            if loss.blocks > 0 && !force {
                return Err(refuse(format!(
                    "{}; restoring it would lose {} ledger block(s) and {} pass(es) of this database. Use --force to restore it anyway",
                    loss.how, loss.blocks, loss.passes
                )));
            }
            drop(copy);
            let replaced = self.ledger_head()?;
            self.store.restore_from(&staging)?;
            Ok((v, replaced, loss))
        })();
        remove_staging(&staging);
        let (v, replaced, loss) = result?;
        let head = |h: &Option<(u64, String)>| h.as_ref().map(|(i, h)| format!("{i}:{h}"));
        let restored = v.chain.head_index.zip(v.chain.head_hash.clone());
        let data = json!({
            "from": src.display().to_string(),
            "blocks": v.chain.blocks,
            "replaced_head": head(&replaced),
            "restored_head": head(&restored),
            "lost_blocks": loss.blocks,
            "lost_passes": loss.passes,
            "forced": force && loss.blocks > 0,
        });
        self.record(&actor.username, "restore", |_, _| Ok(((), data)))?;
        Ok(RestoreReport { blocks: v.chain.blocks, lost_blocks: loss.blocks, lost_passes: loss.passes })
    }

    /// What this database holds that the copy does not: the blocks past the
    /// last block both share, and the passes the copy lacks.
    fn what_restore_loses(&mut self, copy: &mut Store) -> Result<Loss> {
        let Some((cur_head, _)) = self.ledger_head()? else {
            return Ok(Loss { blocks: 0, passes: 0, how: String::new() });
        };
        let hash_at = |s: &mut Store, i: u64| -> Result<Option<String>> {
            Ok(s.read(|db| db.ledger_blocks(i, 1))?.into_iter().find(|b| b.index == i).map(|b| b.hash))
        };
        let copy_head = copy.read(|db| db.ledger_head())?.map_or(0, |(i, _)| i);
        // Hashes chain, so the blocks both hold are a prefix: find its end.
        let (mut lo, mut hi) = (0u64, cur_head.min(copy_head) + 1);
        if hash_at(&mut self.store, 0)? != hash_at(copy, 0)? {
            hi = 0;
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if hash_at(&mut self.store, mid)? == hash_at(copy, mid)? { lo = mid } else { hi = mid }
        }
        let shared = if hi == 0 { 0 } else { lo + 1 };
        let blocks = (cur_head + 1).saturating_sub(shared);
        if blocks == 0 {
            return Ok(Loss { blocks: 0, passes: 0, how: String::new() });
        }
        let mine: Vec<String> = self.store.read(|db| db.list_passes(&PassFilter::default()))?.into_iter().map(|p| p.id).collect();
        let theirs: std::collections::HashSet<String> =
            copy.read(|db| db.list_passes(&PassFilter::default()))?.into_iter().map(|p| p.id).collect();
        let passes = mine.iter().filter(|id| !theirs.contains(*id)).count() as u64;
        let how = if shared == copy_head + 1 {
            format!("the copy is older than this database: its ledger ends at block {copy_head}, this one's at block {cur_head}")
        } else {
            format!("the copy's ledger diverges from this database's after block {}", shared.saturating_sub(1))
        };
        Ok(Loss { blocks, passes, how })
    }
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    /// Blocks in the restored ledger, all verified.
    pub blocks: u64,
    /// Blocks of the replaced ledger that the copy did not hold (with --force).
    pub lost_blocks: u64,
    pub lost_passes: u64,
}

struct Loss {
    blocks: u64,
    passes: u64,
    how: String,
}

fn remove_staging(staging: &Path) {
    for ext in ["db", "db-wal", "db-shm"] {
        let _ = std::fs::remove_file(staging.with_extension(ext));
    }
}

/// Staging copies an interrupted restore left in the data directory.
pub fn clean_restore_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(".restore-") && (name.ends_with(".db") || name.ends_with(".db-wal") || name.ends_with(".db-shm")) {
            match std::fs::remove_file(e.path()) {
                Ok(()) => tracing::info!(file = %name, "removed a staging copy left by an interrupted restore"),
                Err(err) => tracing::warn!(file = %name, "cannot remove a restore's staging copy: {err}"),
            }
        }
    }
}

fn tempfile_in(db: &Path) -> Result<PathBuf> {
    let dir = db.parent().unwrap_or(Path::new("."));
    let name = format!(".restore-{}.db", uuid::Uuid::new_v4().simple());
    Ok(dir.join(name))
}
