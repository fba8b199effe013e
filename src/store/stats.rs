//! The stats queries, one text for both backends: they only group and
//! count. What the groups mean (admitted, revenue, per gate) is decided
//! once, above the seam, in `domain::stats::assemble`.
//!
//! Portable SQL: `$1` binds by position in SQLite too, CASE gives the same
//! integers on both, and every sum is cast to BIGINT (PostgreSQL would sum
//! a BIGINT into NUMERIC).

/// Passes grouped by everything the figures split them by.
pub(crate) const PASS_GROUPS: &str = "SELECT pass_type, slot, payment_mode, created_by,
        CASE WHEN voided_at IS NOT NULL THEN 'voided' WHEN scanned_at IS NOT NULL THEN 'admitted' ELSE 'unused' END,
        COALESCE(gate, ''),
        CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN entered < persons THEN entered ELSE persons END) AS BIGINT),
        CAST(SUM(price_cents) AS BIGINT), CAST(SUM(inside) AS BIGINT)
     FROM passes GROUP BY 1, 2, 3, 4, 5, 6";

pub(crate) const RESIDENT_GROUPS: &str = "SELECT CAST(CASE WHEN active THEN 1 ELSE 0 END AS BIGINT), status, CAST(COUNT(*) AS BIGINT)
     FROM residents GROUP BY 1, 2";

/// Scans per hour from `$1` on (`at` is RFC 3339, so its first 13
/// characters are the hour).
pub(crate) const SCANS_BY_HOUR: &str = "SELECT substr(at, 1, 13), CAST(COUNT(*) AS BIGINT) FROM scans WHERE at >= $1 GROUP BY 1";

/// People inside now by the gate of their last entry.
pub(crate) const INSIDE_BY_GATE: &str = "SELECT COALESCE(last_in_gate, gate, ''), CAST(SUM(inside) AS BIGINT)
     FROM passes WHERE inside > 0 GROUP BY 1";

pub(crate) const SCAN_GROUPS: &str = "SELECT gate, verdict, CAST(COUNT(*) AS BIGINT) FROM scans GROUP BY 1, 2";

/// Admissions and exits per minute (`at`'s first 16 characters), with the
/// people each moved: the event day of a minute is decided above the seam
/// (time zone, `day_starts`). `$1`, `$2`: the two verdicts.
pub(crate) const MOVES_BY_MINUTE: &str = "SELECT substr(at, 1, 16), verdict, CAST(COUNT(*) AS BIGINT), CAST(SUM(persons) AS BIGINT)
     FROM scans WHERE verdict IN ($1, $2) GROUP BY 1, 2";
