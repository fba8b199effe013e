//! The event's rules row.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::error::Result;
use crate::store::interface::{RuleRows, StoredRules};

impl RuleRows for SqliteDb<'_> {
    fn get_rules(&self) -> Result<Option<StoredRules>> {
        let mut st = self.conn.prepare_cached("SELECT rules, digest, set_at, set_by, block FROM event_rules WHERE id = 1")?;
        let row = st
            .query_row([], |r| {
                Ok(StoredRules {
                    rules: r.get(0)?,
                    digest: r.get(1)?,
                    set_at: r.get(2)?,
                    set_by: r.get(3)?,
                    block: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .optional()?;
        Ok(row)
    }

    fn rules_digest(&self) -> Result<Option<String>> {
        Ok(self.conn.prepare_cached("SELECT digest FROM event_rules WHERE id = 1")?.query_row([], |r| r.get(0)).optional()?)
    }

    fn put_rules(&self, r: &StoredRules) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO event_rules (id, rules, digest, set_at, set_by, block) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![r.rules, r.digest, r.set_at, r.set_by, r.block as i64],
        )?;
        Ok(())
    }
}
