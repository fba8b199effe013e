//! The event's rules as the core reads and sets them: the stored row, or
//! the seed (this laptop's `[[pass_type]]`, today's defaults) before any
//! are set. `gatehouse event rules set FILE.toml` reads the file format here.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Gatehouse, require_admin};
use crate::config::Config;
use crate::domain::events::{Event, RulesSet};
use crate::domain::ledger::to_hex;
use crate::domain::pass::{PassRules, to_cents};
use crate::domain::rules::{Entry, RuleSet, TypeRule, Zone};
use crate::domain::user::Actor;
use crate::error::{Error, Result};
use crate::store::{Db, StoredRules};

/// The rules in force and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRules {
    pub rules: RuleSet,
    /// SHA-256 of the canonical text: equal digests, equal rules.
    pub digest: String,
    /// "event" (stored in the event's database) or "seed" (none stored
    /// yet: this gate's config.toml types, entered once).
    pub source: &'static str,
    pub set_at: Option<String>,
    pub set_by: Option<String>,
    pub block: Option<u64>,
}

pub fn digest(rules: &RuleSet) -> String {
    to_hex(&Sha256::digest(rules.canonical().as_bytes()))
}

impl EventRules {
    fn seed(cfg: &Config) -> EventRules {
        let rules = RuleSet::seed(&cfg.pass_rules().types);
        EventRules { digest: digest(&rules), rules, source: "seed", set_at: None, set_by: None, block: None }
    }

    fn stored(s: StoredRules) -> Result<EventRules> {
        let rules: RuleSet =
            serde_json::from_str(&s.rules).map_err(|e| Error::Corrupt(format!("the stored event rules do not read: {e}")))?;
        Ok(EventRules { rules, digest: s.digest, source: "event", set_at: Some(s.set_at), set_by: Some(s.set_by), block: Some(s.block) })
    }
}

/// The rules in force, read in `db`'s transaction.
pub(super) fn rules_in(cfg: &Config, db: &dyn Db) -> Result<EventRules> {
    match db.get_rules()? {
        Some(s) => EventRules::stored(s),
        None => Ok(EventRules::seed(cfg)),
    }
}

impl Gatehouse {
    /// The rules in force.
    pub fn rules(&mut self) -> Result<EventRules> {
        let seed = EventRules::seed(&self.cfg);
        match self.store.read(|db| db.get_rules())? {
            Some(s) => EventRules::stored(s),
            None => Ok(seed),
        }
    }

    /// The rule a pass is scanned by (its type's), for its ticket; None
    /// when the rules no longer name its type.
    pub fn pass_rule(&mut self, p: &crate::domain::pass::Pass) -> Result<Option<TypeRule>> {
        Ok(self.rules()?.rules.type_rule(&p.pass_type).cloned())
    }

    /// The issuing rules: the event's types with this event's slots.
    pub fn pass_rules(&mut self) -> Result<PassRules> {
        let r = self.rules()?;
        Ok(r.rules.pass_rules(self.cfg.event.slots.clone(), self.cfg.event.allow_price_override))
    }

    /// Set the event's rules (admins): the row and its `rules_set` block in
    /// one transaction. The same rules again change nothing.
    pub fn set_rules(&mut self, actor: &Actor, rules: RuleSet) -> Result<EventRules> {
        require_admin(actor, "set the event's rules")?;
        self.write_rules(&actor.username, rules, false)
    }

    /// On first run: store the seed, unless rules are set already.
    pub fn seed_rules(&mut self, actor: &Actor) -> Result<EventRules> {
        let current = self.rules()?;
        if current.source == "event" {
            return Ok(current);
        }
        self.write_rules(&actor.username, current.rules, true)
    }

    fn write_rules(&mut self, by: &str, rules: RuleSet, seed: bool) -> Result<EventRules> {
        rules.validate()?;
        let text = rules.canonical();
        let digest = digest(&rules);
        if let Some(now) = self.store.read(|db| db.get_rules())?
            && now.digest == digest
        {
            return EventRules::stored(now);
        }
        let at = crate::domain::clock::stamp(self.now());
        let event = Event::RulesSet(RulesSet { digest: digest.as_str().into(), rules: rules.clone(), seed });
        let gate = self.cfg.gate.name.clone();
        let keys = &self.keys;
        // The block and the row that names it commit together.
        let block = self.store.write(|db| {
            let block = super::append(db, keys, &at, by, &gate, &event)?;
            db.put_rules(&StoredRules { rules: text.clone(), digest: digest.clone(), set_at: at.clone(), set_by: by.to_string(), block })?;
            Ok(block)
        })?;
        tracing::info!(%digest, seed, "event rules set");
        Ok(EventRules { rules, digest, source: "event", set_at: Some(at), set_by: Some(by.to_string()), block: Some(block) })
    }
}

/// The rules file (`event rules set FILE.toml`): prices in currency units,
/// as config.toml's `[[pass_type]]` had them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    day_starts: Option<String>,
    #[serde(default)]
    venue: Option<VenueFile>,
    #[serde(default)]
    zone: Vec<Zone>,
    #[serde(default)]
    pass_type: Vec<TypeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VenueFile {
    capacity: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeFile {
    name: String,
    persons: u32,
    price: f64,
    #[serde(default)]
    entry: Entry,
    #[serde(default)]
    days: Vec<String>,
    #[serde(default)]
    gates: Vec<String>,
    #[serde(default)]
    attention: bool,
}

/// Read a rules file's text: every problem named, nothing stored.
pub fn parse_rules_file(text: &str) -> Result<RuleSet> {
    let f: RulesFile = toml::from_str(text).map_err(|e| Error::Input(format!("the rules file does not read: {}", e.message())))?;
    let rules = RuleSet {
        types: f
            .pass_type
            .into_iter()
            .map(|t| TypeRule {
                name: t.name.trim().to_string(),
                persons: t.persons,
                price_cents: if t.price.is_finite() { to_cents(t.price) } else { -1 },
                entry: t.entry,
                days: t.days,
                gates: t.gates.iter().map(|g| g.trim().to_string()).collect(),
                attention: t.attention,
            })
            .collect(),
        capacity: f.venue.and_then(|v| v.capacity),
        zones: f.zone,
        day_starts: f.day_starts,
    };
    rules.validate()?;
    Ok(rules)
}
