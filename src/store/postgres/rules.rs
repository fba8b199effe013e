//! The event's rules row.

use super::{PgDb, get};
use crate::error::Result;
use crate::store::interface::{RuleRows, StoredRules};

impl RuleRows for PgDb<'_> {
    fn get_rules(&self) -> Result<Option<StoredRules>> {
        let Some(r) = self.query_opt("SELECT rules, digest, set_at, set_by, block FROM event_rules WHERE id = 1", &[])? else {
            return Ok(None);
        };
        Ok(Some(StoredRules {
            rules: get(&r, 0)?,
            digest: get(&r, 1)?,
            set_at: get(&r, 2)?,
            set_by: get(&r, 3)?,
            block: get::<i64>(&r, 4)?.max(0) as u64,
        }))
    }

    fn put_rules(&self, r: &StoredRules) -> Result<()> {
        self.execute(
            "INSERT INTO event_rules (id, rules, digest, set_at, set_by, block) VALUES (1, $1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, digest = EXCLUDED.digest, set_at = EXCLUDED.set_at,
               set_by = EXCLUDED.set_by, block = EXCLUDED.block",
            &[&r.rules, &r.digest, &r.set_at, &r.set_by, &(r.block as i64)],
        )?;
        Ok(())
    }
}
