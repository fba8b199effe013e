//! Online backup and restore, and the hourly/daily retention of copies.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use crate::error::{Error, Result};

/// Copy every page in one step: the source's read transaction makes it a
/// consistent snapshot, and in WAL mode writers are not blocked meanwhile.
pub(super) fn copy(src: &Connection, dest: &Path) -> Result<()> {
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut dst = Connection::open(&tmp)?;
        let b = Backup::new(src, &mut dst)?;
        loop {
            match b.step(-1)? {
                StepResult::Done => break,
                StepResult::More => continue,
                StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(50)),
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    }
    // Only a complete copy gets the final name.
    std::fs::rename(&tmp, dest).map_err(|e| Error::io(format!("cannot finish backup {}", dest.display()), e))
}

pub(super) fn restore(conn: &mut Connection, src: &Path) -> Result<()> {
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

fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let s = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    NaiveDateTime::parse_from_str(s, STAMP).ok().map(|t| t.and_utc())
}

/// Keep the newest copy of each of the last `hourly` hours and `daily` days
/// that have copies; delete the rest. Returns the deleted files.
pub fn apply_retention(dir: &Path, hourly: usize, daily: usize) -> Result<Vec<PathBuf>> {
    let mut all: Vec<BackupInfo> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read backup folder {}", dir.display()), e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            parse_name(&name).map(|t| BackupInfo { path: e.path(), taken_at: t })
        })
        .collect();
    all.sort_by(|a, b| b.taken_at.cmp(&a.taken_at));
    let keep = keep_set(&all.iter().map(|b| b.taken_at).collect::<Vec<_>>(), hourly, daily);
    let mut deleted = Vec::new();
    for (i, b) in all.iter().enumerate() {
        if !keep[i] {
            std::fs::remove_file(&b.path).map_err(|e| Error::io(format!("cannot delete old backup {}", b.path.display()), e))?;
            deleted.push(b.path.clone());
        }
    }
    Ok(deleted)
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
        assert!(parse_name(&backup_name(start)).is_some());
    }
}
