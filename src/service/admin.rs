//! Stats, CSV export, backup and restore.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::Gatehouse;
use crate::domain::stats::Stats;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{PassFilter, Store, apply_retention, next_backup_name};

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
        self.export_csv_filtered(kind, path, &PassFilter::default())
    }

    /// `export_csv`, with only the passes `passes` keeps (the console's
    /// search and filters); the other kinds ignore it.
    pub fn export_csv_filtered(&mut self, kind: ExportKind, path: &Path, passes: &PassFilter) -> Result<u64> {
        let tmp = path.with_extension("csv.partial");
        let mut w = csv::Writer::from_path(&tmp).map_err(|e| csv_err(path, e))?;
        let n = match kind {
            ExportKind::Passes => {
                let rows = self.list_passes(passes)?;
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

    /// Verify a copy's ledger with our keys, then replace the live data with
    /// it. Nothing is replaced when the copy does not verify.
    pub fn restore(&mut self, actor: &Actor, src: &Path) -> Result<crate::domain::ledger::VerifyReport> {
        super::require_admin(actor, "restore backups")?;
        if !src.is_file() {
            return Err(Error::NotFound { what: "backup file", id: src.display().to_string() });
        }
        // Verify a private copy, so the file cannot change between check and use.
        let staging = tempfile_in(self.store.path())?;
        std::fs::copy(src, &staging).map_err(|e| Error::io(format!("cannot read {}", src.display()), e))?;
        let result = (|| {
            let mut copy =
                Store::open(&staging).map_err(|e| Error::Other(format!("{} is not a gatehouse database: {e}", src.display())))?;
            let keys = self.keys.clone();
            let report = copy.read(|db| db.verify_ledger(&keys, None, &mut |_| {}))?;
            if !report.ok {
                let why = report.problem.as_ref().map(|p| p.to_string()).unwrap_or_default();
                return Err(Error::Conflict(format!("refusing to restore {}: its ledger does not verify: {why}", src.display())));
            }
            drop(copy);
            self.store.restore_from(&staging)?;
            Ok(report)
        })();
        let _ = std::fs::remove_file(&staging);
        let _ = std::fs::remove_file(staging.with_extension("db-wal"));
        let _ = std::fs::remove_file(staging.with_extension("db-shm"));
        let report = result?;
        self.record(&actor.username, "restore", |_, _| Ok(((), json!({"from": src.display().to_string(), "blocks": report.blocks}))))?;
        Ok(report)
    }
}

fn tempfile_in(db: &Path) -> Result<PathBuf> {
    let dir = db.parent().unwrap_or(Path::new("."));
    let name = format!(".restore-{}.db", uuid::Uuid::new_v4().simple());
    Ok(dir.join(name))
}
