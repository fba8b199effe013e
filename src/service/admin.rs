//! Stats, CSV export, backup and restore.

use std::path::{Path, PathBuf};

use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};

use super::Gatehouse;
use crate::domain::events::{Event, Restore};
use crate::domain::stats::Stats;
use crate::domain::text::guard_formula;
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{PassFilter, Retention, Store, Table, apply_retention, next_backup_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Passes,
    Residents,
    Ledger,
}

/// A server's event is not replaced from a file: what to do instead.
fn restore_on_server() -> Error {
    Error::Unsupported("restore into PostgreSQL with `gatehouse db copy --to URL` from the backup, into an empty database".into())
}

fn csv_err(path: &Path, e: csv::Error) -> Error {
    Error::io(format!("cannot write {}", path.display()), e.into())
}

/// A CSV writer that guards every cell against formulas except the
/// columns in `raw` (phones, which validation keeps to `+` and digits).
struct Rows<'a> {
    w: csv::Writer<std::fs::File>,
    path: &'a Path,
    raw: &'static [usize],
}

impl Rows<'_> {
    fn write_record<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> Result<()> {
        let cells: Vec<S> = cells.into_iter().collect();
        let out = cells.iter().enumerate().map(|(i, c)| if self.raw.contains(&i) { c.as_ref().into() } else { guard_formula(c.as_ref()) });
        self.w.write_record(out.map(|c| c.into_owned())).map_err(|e| csv_err(self.path, e))
    }
}

/// A new file that only its owner can read, 0600 from its creation.
pub(super) fn private_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

/// A folder only its owner can enter: created 0700, and an existing one
/// narrowed to 0700 only when it is gatehouse's own (`ours`: inside the
/// data directory). A folder of the admin's elsewhere keeps its mode.
pub fn private_dir(dir: &Path, ours: bool) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create folder {}", dir.display()), e))?;
    if ours {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("cannot make folder {} private", dir.display()), e))?;
    }
    Ok(())
}

/// Whether folder `dir` is `root` or inside it, symlinks resolved.
fn inside(dir: &Path, root: &Path) -> bool {
    let folder = |d: &Path| resolved(&d.join("x")).parent().map(Path::to_path_buf);
    matches!((folder(dir), folder(root)), (Some(d), Some(r)) if d.starts_with(&r))
}

/// Removes a half-written file when dropped; forgotten once it is complete.
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `p` made absolute with its folder's symlinks resolved, for comparing
/// paths of files that may not exist yet.
fn resolved(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (abs.parent().and_then(|d| d.canonicalize().ok()), abs.file_name()) {
        (Some(d), Some(n)) => d.join(n),
        _ => abs,
    }
}

impl Gatehouse {
    pub fn stats(&mut self) -> Result<Stats> {
        let now = self.now();
        let currency = self.cfg.event.currency.clone();
        let since = crate::domain::clock::stamp(crate::domain::stats::window_start(now));
        let cfg = &self.cfg;
        self.store.read(|db| {
            let facts = db.stats_facts(&since)?;
            let mut s = crate::domain::stats::assemble(&facts, now, &currency);
            let rules = super::rules::rules_in(cfg, db)?.rules;
            crate::domain::stats::zones(&mut s, &facts, &rules.zones);
            crate::domain::stats::days(&mut s, &facts, |utc| rules.event_day(cfg.local_time(utc.and_utc())));
            s.venue_capacity = rules.capacity;
            let events = [crate::domain::offline::CONFLICT, crate::domain::offline::CONFLICT_ACK];
            let list = crate::domain::offline::conflicts_from(&db.blocks_of_events(&events)?);
            s.conflicts = list.len() as u64;
            s.conflicts_open = list.iter().filter(|c| !c.acknowledged).count() as u64;
            Ok(s)
        })
    }

    /// Write a CSV file. Payloads and keys are never exported: a payload is
    /// a bearer credential, reprint it with `pass qr` instead.
    ///
    /// The file is created 0600 (it holds names and phones) and never
    /// replaces a file gatehouse itself keeps in its data directory.
    /// Free-text cells that a spreadsheet would run as a formula start with
    /// `'` (`domain::text::guard_formula`); phones are written as stored,
    /// `+` and digits only, which no spreadsheet can run.
    pub fn export_csv(&mut self, kind: ExportKind, path: &Path) -> Result<u64> {
        self.export_csv_filtered(kind, path, &PassFilter::default())
    }

    /// `export_csv`, with only the passes `passes` keeps (the console's
    /// search and filters); the other kinds ignore it.
    pub fn export_csv_filtered(&mut self, kind: ExportKind, path: &Path, passes: &PassFilter) -> Result<u64> {
        self.refuse_own_file(path)?;
        let tmp = path.with_extension("csv.partial");
        let _ = std::fs::remove_file(&tmp);
        let file = private_file(&tmp)?;
        // An export that fails half way leaves no partial file behind.
        let partial = Partial(tmp.clone());
        let mut w = Rows { w: csv::Writer::from_writer(file), path, raw: &[] };
        let n = match kind {
            ExportKind::Passes => {
                let rows = self.list_passes(passes)?;
                // Who may still come in now, by each type's rule.
                let rules = self.rules()?.rules;
                let day = rules.event_day(self.cfg.local_time(self.now())).format("%Y-%m-%d").to_string();
                let left = |p: &crate::domain::pass::Pass| match rules.type_rule(&p.pass_type) {
                    _ if p.voided_at.is_some() => 0,
                    Some(r) => r.left(p.persons, &p.entry_state(), &day),
                    None => p.persons.saturating_sub(p.entered),
                };
                w.raw = &[4, 6];
                w.write_record(super::import::PASS_EXPORT_HEADER)?;
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
                        o(&p.note),
                        p.inside.to_string(),
                        left(p).to_string(),
                    ])?;
                }
                rows.len()
            }
            ExportKind::Residents => {
                let rows = self.list_residents(None, true)?;
                w.raw = &[4];
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
                ])?;
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
                    ])?;
                }
                rows.len()
            }
            ExportKind::Ledger => {
                let rows = self.ledger_blocks(0, usize::MAX >> 1)?;
                w.write_record(["index", "ts", "operator", "gate", "event", "data", "prev_hash", "hash", "key_id", "signature"])?;
                for b in &rows {
                    w.write_record([
                        b.index.to_string(),
                        b.ts.clone(),
                        b.operator.clone(),
                        b.gate.clone(),
                        b.event.clone(),
                        b.data.clone(),
                        b.prev_hash.clone(),
                        b.hash.clone(),
                        b.key_id.clone(),
                        b.signature.clone(),
                    ])?;
                }
                rows.len()
            }
        };
        let file = w.w.into_inner().map_err(|e| Error::io(format!("cannot write {}", path.display()), e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        std::mem::forget(partial);
        Ok(n as u64)
    }

    /// Refuse `path` when it is, or would replace, the database, its
    /// journal files, the key file, the config, or anything in the backup
    /// and log folders.
    fn refuse_own_file(&self, path: &Path) -> Result<()> {
        let mut own = Vec::new();
        if let Some(db) = self.store.path() {
            own.extend([db.to_path_buf(), PathBuf::from(format!("{}-wal", db.display())), PathBuf::from(format!("{}-shm", db.display()))]);
        }
        let mut own_dirs = Vec::new();
        if let Some(p) = &self.paths {
            own.extend([p.key(), p.key().with_extension("key.new"), p.config.clone()]);
            own_dirs.extend([p.backup_dir(&self.cfg), p.log_dir()]);
        }
        let target = resolved(path);
        let same_file = |a: &Path, b: &Path| match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
            _ => false,
        };
        // A gate's replica (and its journal, and one set aside) holds its offline queue.
        let replica = target.file_name().is_some_and(|n| n.to_string_lossy().starts_with("replica.sqlite"));
        let clash = replica
            || own.iter().any(|o| resolved(o) == target || same_file(o, path))
            || own_dirs.iter().any(|d| target.starts_with(resolved(d)))
            || (target.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".restore-"))
                && self.store.path().is_some_and(|db| target.parent() == resolved(db).parent()));
        if clash {
            return Err(Error::Conflict(format!(
                "refusing to export onto {}: gatehouse keeps its own data there; choose another file",
                path.display()
            )));
        }
        Ok(())
    }

    /// Take a consistent copy into `dir` (default: the configured backup
    /// folder) and apply the retention. Returns the new file and the deleted ones.
    pub fn backup(&mut self, dir: Option<&Path>) -> Result<(PathBuf, Vec<PathBuf>)> {
        let (file, r) = self.backup_report(dir)?;
        Ok((file, r.deleted))
    }

    /// `backup`, with what the retention found: the copy (0600, in a 0700
    /// folder), the deleted copies, and copies stamped in the future, which
    /// are left alone and reported.
    pub fn backup_report(&mut self, dir: Option<&Path>) -> Result<(PathBuf, Retention)> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => match &self.paths {
                Some(p) => p.backup_dir(&self.cfg),
                None => return Err(Error::Input("no backup folder: pass --to DIR".into())),
            },
        };
        // The configured folder is ours to narrow; a folder named with --to
        // is the admin's (it could be /tmp): only created private.
        // Even the configured one only inside the data directory: a folder
        // elsewhere may hold other things, and keeps its mode.
        let ours = self.paths.as_ref().is_some_and(|p| p.backup_dir(&self.cfg) == dir && inside(&dir, &p.data_dir));
        private_dir(&dir, ours)?;
        crate::store::remove_partials(&dir);
        let now = self.now();
        let dest = dir.join(next_backup_name(&dir, now));
        self.store.backup_to(&dest)?;
        // Retention counts and deletes only copies of this event.
        let event = self.event_id()?;
        let r = apply_retention(&dir, &dest, now, self.cfg.backup.keep_hourly, self.cfg.backup.keep_daily, event.as_deref())?;
        for f in &r.future {
            tracing::warn!("backup {} is stamped in the future (was the clock set ahead?); retention leaves it alone", f.display());
        }
        Ok((dest, r))
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
        if self.store.file().is_none() {
            return Err(restore_on_server());
        }
        let refuse = |why: String| Error::Conflict(format!("refusing to restore {}: {why}", src.display()));
        // Check a private copy, so the file cannot change between check and use.
        let staging = tempfile_in(self.store.path().unwrap_or(&std::env::temp_dir().join("x")))?;
        // 0600 from its creation (fs::copy would take the source's mode).
        let copied = std::fs::File::open(src).and_then(|mut from| {
            private_file(&staging).map_err(std::io::Error::other).and_then(|mut to| std::io::copy(&mut from, &mut to))
        });
        if let Err(e) = copied {
            remove_staging(&staging);
            return Err(Error::io(format!("cannot read {}", src.display()), e));
        }
        let result = (|| {
            let mut copy =
                Store::open(&staging).map_err(|e| Error::Input(format!("{} is not a gatehouse database: {e}", src.display())))?;
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
            self.store.file().ok_or_else(restore_on_server)?.restore_from(&staging)?;
            Ok((v, replaced, loss))
        })();
        remove_staging(&staging);
        let (v, replaced, loss) = result?;
        let head = |h: &Option<(u64, String)>| h.as_ref().map(|(i, h)| format!("{i}:{h}"));
        let restored = v.chain.head_index.zip(v.chain.head_hash.clone());
        let restore = Restore {
            from: src.display().to_string().into(),
            blocks: v.chain.blocks,
            replaced_head: head(&replaced).map(Into::into),
            restored_head: head(&restored).map(Into::into),
            lost_blocks: loss.blocks,
            lost_passes: loss.passes,
            forced: force && loss.blocks > 0,
        };
        self.record(&actor.username, |_, _| Ok(((), Event::Restore(restore))))?;
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
