//! Online backup and restore, and the hourly/daily retention of copies.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use crate::error::{Error, Result};

/// Copy every page in one step: the source's read transaction makes it a
/// consistent snapshot, and in WAL mode writers are not blocked meanwhile.
pub(crate) fn copy(src: &Connection, dest: &Path) -> Result<()> {
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    // The copy holds password hashes, names and phones: 0600 from its
    // creation. SQLite opens the empty file as a new database.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::io(format!("cannot create backup {}", tmp.display()), e))?;
    let copied = (|| -> Result<()> {
        let mut dst = Connection::open(&tmp)?;
        let b = Backup::new(src, &mut dst)?;
        loop {
            match b.step(-1)? {
                StepResult::Done => return Ok(()),
                StepResult::More => continue,
                StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(50)),
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    })();
    if let Err(e) = copied {
        remove_copy(&tmp);
        return Err(e);
    }
    // Only a complete copy gets the final name.
    std::fs::rename(&tmp, dest).map_err(|e| Error::io(format!("cannot finish backup {}", dest.display()), e))
}

/// Partial copies an interrupted backup left in `dir`.
pub fn remove_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with(PREFIX) && (name.ends_with(".partial") || name.ends_with(".partial-wal") || name.ends_with(".partial-shm")) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Remove a SQLite copy and its journal files, if they are there.
pub fn remove_copy(path: &Path) {
    for f in [path.to_path_buf(), PathBuf::from(format!("{}-wal", path.display())), PathBuf::from(format!("{}-shm", path.display()))] {
        let _ = std::fs::remove_file(f);
    }
}

pub(crate) fn restore(conn: &mut Connection, src: &Path) -> Result<()> {
    conn.restore(rusqlite::MAIN_DB, src, None::<fn(rusqlite::backup::Progress)>)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub taken_at: DateTime<Utc>,
}

pub const PREFIX: &str = "gatehouse-";
pub const SUFFIX: &str = ".db";
pub const STAMP: &str = "%Y%m%dT%H%M%SZ";

pub fn backup_name(t: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", t.format(STAMP))
}

/// `gatehouse-STAMP.db`, or `gatehouse-STAMP-N.db` for the Nth extra copy in
/// the same second: the time and N.
fn parse_name_seq(name: &str) -> Option<(DateTime<Utc>, u32)> {
    let s = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (stamp, seq) = match s.split_once('-') {
        Some((st, n)) => (st, n.parse().ok()?),
        None => (s, 0),
    };
    NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| (t.and_utc(), seq))
}

/// A name later than every copy already in `dir` for the same second: a
/// second copy in one second gets `-1`, then `-2`, and so on, so retention
/// can always tell which is newest.
pub fn next_backup_name(dir: &Path, t: DateTime<Utc>) -> String {
    let plain = backup_name(t);
    let stamp = plain.trim_end_matches(SUFFIX).to_string();
    let last = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| parse_name_seq(&e.file_name().to_string_lossy()))
        .filter(|(when, _)| backup_name(*when) == plain)
        .map(|(_, seq)| seq)
        .max();
    match last {
        None => plain,
        Some(n) => format!("{stamp}-{}{SUFFIX}", n + 1),
    }
}

/// What retention did in a backup folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    pub deleted: Vec<PathBuf>,
    /// Copies stamped later than now (the clock was once set ahead, or is
    /// now behind): neither counted nor deleted, only reported.
    pub future: Vec<PathBuf>,
}

/// The event a copy belongs to (`Gatehouse::event_id`: the signature of
/// its first ledger block); None for a file that is not a gatehouse copy,
/// or holds no block.
pub fn event_of(copy: &Path) -> Option<String> {
    let c = Connection::open_with_flags(copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    c.query_row("SELECT sig FROM ledger WHERE idx = 0 ORDER BY seq LIMIT 1", [], |r| r.get(0)).ok()
}

/// Keep the newest copy of each of the last `hourly` hours and `daily` days
/// that have copies; delete the rest. `just_written` is never deleted, and
/// copies stamped after `now` are left alone and reported. Only copies of
/// `event` (see `event_of`) are counted: another event's, in a shared
/// folder, are never touched.
pub fn apply_retention(
    dir: &Path,
    just_written: &Path,
    now: DateTime<Utc>,
    hourly: usize,
    daily: usize,
    event: Option<&str>,
) -> Result<Retention> {
    let mut all: Vec<(BackupInfo, u32)> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read backup folder {}", dir.display()), e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            parse_name_seq(&name).map(|(t, seq)| (BackupInfo { path: e.path(), taken_at: t }, seq))
        })
        .filter(|(b, _)| b.path == just_written || event_of(&b.path).as_deref() == event)
        .collect();
    let mut r = Retention::default();
    // Names are stamped to the second, so `now` itself is not the future.
    let limit = now + chrono::Duration::seconds(1);
    all.retain(|(b, _)| {
        let future = b.taken_at >= limit && b.path != just_written;
        if future {
            r.future.push(b.path.clone());
        }
        !future
    });
    r.future.sort();
    // Newest first; within one second the highest -N is the newest.
    all.sort_by_key(|b| std::cmp::Reverse((b.0.taken_at, b.1)));
    let all: Vec<BackupInfo> = all.into_iter().map(|(b, _)| b).collect();
    let keep = keep_set(&all.iter().map(|b| b.taken_at).collect::<Vec<_>>(), hourly, daily);
    for (i, b) in all.iter().enumerate() {
        if !keep[i] && b.path != just_written {
            std::fs::remove_file(&b.path).map_err(|e| Error::io(format!("cannot delete old backup {}", b.path.display()), e))?;
            r.deleted.push(b.path.clone());
        }
    }
    Ok(r)
}

/// `times` newest first; which to keep.
fn keep_set(times: &[DateTime<Utc>], hourly: usize, daily: usize) -> Vec<bool> {
    let mut keep = vec![false; times.len()];
    let mut bucket_pass = |fmt: &str, limit: usize| {
        let mut seen: Vec<String> = Vec::new();
        for (i, t) in times.iter().enumerate() {
            let key = t.format(fmt).to_string();
            if seen.contains(&key) {
                continue;
            }
            if seen.len() == limit {
                break;
            }
            seen.push(key);
            keep[i] = true;
        }
    };
    bucket_pass("%Y%m%d%H", hourly);
    bucket_pass("%Y%m%d", daily);
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn retention_keeps_24_hourly_and_7_daily() {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        // Two copies an hour for 20 days, newest first.
        let mut times: Vec<_> = (0..20 * 24 * 2).map(|i| start + Duration::minutes(30 * i)).collect();
        times.reverse();
        let keep = keep_set(&times, 24, 7);
        let kept: Vec<_> = times.iter().zip(&keep).filter(|(_, k)| **k).map(|(t, _)| *t).collect();
        // 24 hourly copies cover the newest day and the end of the previous,
        // then 6 more daily copies (the newest day's is already an hourly).
        let days: std::collections::BTreeSet<_> = kept.iter().map(|t| t.date_naive()).collect();
        assert_eq!(days.len(), 7);
        assert_eq!(kept.len(), 24 + 6);
        assert_eq!(kept[0], times[0]);
        assert_eq!(parse_name_seq(&backup_name(start)), Some((start, 0)));
        assert_eq!(parse_name_seq("gatehouse-20261101T000000Z-2.db"), Some((start, 2)));
        assert_eq!(parse_name_seq("gatehouse-20261101T000000Z-x.db"), None);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_backup_name(dir.path(), start), "gatehouse-20261101T000000Z.db");
        std::fs::write(dir.path().join("gatehouse-20261101T000000Z-3.db"), b"").unwrap();
        assert_eq!(next_backup_name(dir.path(), start), "gatehouse-20261101T000000Z-4.db");
    }

    /// A folder holding copies stamped ahead of the clock: the copy just
    /// written stays, the future ones are reported and left alone.
    #[test]
    fn retention_keeps_the_new_copy_beside_future_ones() {
        let now = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut future = Vec::new();
        for h in 1..=30 {
            let p = dir.path().join(backup_name(now + Duration::hours(h)));
            std::fs::write(&p, b"").unwrap();
            future.push(p);
        }
        let old = dir.path().join(backup_name(now - Duration::days(30)));
        let new = dir.path().join(backup_name(now));
        std::fs::write(&old, b"").unwrap();
        std::fs::write(&new, b"").unwrap();
        let r = apply_retention(dir.path(), &new, now, 1, 1, None).unwrap();
        future.sort();
        assert_eq!(r, Retention { deleted: vec![old], future: future.clone() });
        assert!(new.exists() && future.iter().all(|f| f.exists()));
    }
}
