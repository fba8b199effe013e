//! Pass types and their entry rules: event data, stored in the event's
//! database and the same at every gate. Plain data here; the file format
//! (TOML) and the table (SQL) are read elsewhere.

use serde::{Deserialize, Serialize};

use super::pass::{PassRules, PassType};
use super::validate::ValidationErrors;

/// How often one pass may enter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entry {
    /// Admitted once, ever.
    #[default]
    Once,
    /// Admitted once per event day.
    Daily,
    /// Admitted, exited, admitted again (never twice without an exit).
    Reentry,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Once => "once",
            Entry::Daily => "daily",
            Entry::Reentry => "reentry",
        }
    }
}

/// One pass type and the rule its passes are scanned by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeRule {
    pub name: String,
    pub persons: u32,
    pub price_cents: i64,
    #[serde(default)]
    pub entry: Entry,
    /// Event days (YYYY-MM-DD) it is valid on; empty: every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// Gates that admit it; empty: every gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<String>,
    /// Every pass of this type is shown loudly at the gate.
    #[serde(default, skip_serializing_if = "is_false")]
    pub attention: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A named group of gates with an optional cap of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub name: String,
    pub gates: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

/// The event's rules: every pass type, the venue's capacity, its zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub types: Vec<TypeRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<Zone>,
    /// When an event day begins ("06:00"): a night past midnight still
    /// belongs to the day before. None: midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_starts: Option<String>,
}

/// Most people one pass may admit.
pub const MAX_PERSONS: u32 = 20;

impl RuleSet {
    /// Today's defaults as rules: each type admitted once.
    pub fn seed(types: &[PassType]) -> RuleSet {
        RuleSet {
            types: types
                .iter()
                .map(|t| TypeRule {
                    name: t.name.clone(),
                    persons: t.persons,
                    price_cents: t.price_cents,
                    entry: Entry::Once,
                    days: Vec::new(),
                    gates: Vec::new(),
                    attention: false,
                })
                .collect(),
            capacity: None,
            zones: Vec::new(),
            day_starts: None,
        }
    }

    /// A type by name, in any case.
    pub fn type_rule(&self, name: &str) -> Option<&TypeRule> {
        let name = name.trim();
        self.types.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The issuing rules: these types with the event's slots.
    pub fn pass_rules(&self, slots: Vec<String>, allow_price_override: bool) -> PassRules {
        PassRules {
            types: self.types.iter().map(|t| PassType { name: t.name.clone(), persons: t.persons, price_cents: t.price_cents }).collect(),
            slots,
            allow_price_override,
        }
    }

    /// Every problem, one message each, in words an admin can fix.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::default();
        if self.types.is_empty() {
            e.add("pass_type", "at least one pass type is required");
        }
        for (i, t) in self.types.iter().enumerate() {
            let name = t.name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                e.add("pass_type", format!("name {name:?} must be letters, digits or _"));
            }
            if self.types[..i].iter().any(|o| o.name.eq_ignore_ascii_case(name)) {
                e.add("pass_type", format!("{name} is defined twice"));
            }
            if !(1..=MAX_PERSONS).contains(&t.persons) {
                e.add("persons", format!("{name}: persons must be 1 to {MAX_PERSONS}"));
            }
            if !(0..=1_000_000_000).contains(&t.price_cents) {
                e.add("price", format!("{name}: price must be between 0 and 10000000"));
            }
            for d in &t.days {
                if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    e.add("days", format!("{name}: {d:?} is not a date like 2026-12-24"));
                }
            }
            for g in &t.gates {
                if g.trim().is_empty() || g.chars().count() > 64 {
                    e.add("gates", format!("{name}: a gate name must be 1 to 64 characters"));
                }
            }
        }
        if self.capacity == Some(0) {
            e.add("capacity", "venue capacity must be at least 1 (leave it out for none)");
        }
        for (i, z) in self.zones.iter().enumerate() {
            if z.name.trim().is_empty() {
                e.add("zone", "a zone needs a name");
            }
            if self.zones[..i].iter().any(|o| o.name.eq_ignore_ascii_case(&z.name)) {
                e.add("zone", format!("zone {} is defined twice", z.name));
            }
            if z.gates.is_empty() {
                e.add("zone", format!("zone {} names no gates", z.name));
            }
            if z.capacity == Some(0) {
                e.add("zone", format!("zone {}: capacity must be at least 1", z.name));
            }
        }
        if let Some(s) = &self.day_starts
            && chrono::NaiveTime::parse_from_str(s, "%H:%M").is_err()
        {
            e.add("day_starts", format!("{s:?} is not a time like 06:00"));
        }
        e.into_result(())
    }

    /// The canonical JSON text: what is stored, ledgered and shown, the
    /// same bytes at every gate for the same rules.
    pub fn canonical(&self) -> String {
        // Through Value: object keys come out sorted.
        serde_json::to_value(self).map(|v| v.to_string()).unwrap_or_default()
    }

    /// The event day a local wall time belongs to, with `day_starts`.
    pub fn event_day(&self, local: chrono::NaiveDateTime) -> chrono::NaiveDate {
        let start = self.day_starts.as_deref().and_then(|s| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok());
        match start {
            Some(t) if local.time() < t => local.date() - chrono::Duration::days(1),
            _ => local.date(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> RuleSet {
        RuleSet::seed(&[
            PassType { name: "SINGLE".into(), persons: 1, price_cents: 54900 },
            PassType { name: "COUPLE".into(), persons: 2, price_cents: 99900 },
        ])
    }

    #[test]
    fn seed_is_once_and_valid() {
        let r = seed();
        assert!(r.validate().is_ok());
        assert_eq!(r.type_rule("couple").map(|t| (t.persons, t.entry)), Some((2, Entry::Once)));
        // Canonical text: sorted keys, defaults left out, read back the same.
        let text = r.canonical();
        assert!(text.starts_with("{\"types\":[{\"entry\":\"once\",\"name\":\"SINGLE\""), "{text}");
        let back: RuleSet = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn each_problem_is_named() {
        let mut r = seed();
        r.types[0].days = vec!["24 Dec".into()];
        r.types[1].persons = 0;
        r.types.push(r.types[0].clone());
        r.capacity = Some(0);
        r.day_starts = Some("6am".into());
        r.zones.push(Zone { name: "Hall".into(), gates: vec![], capacity: None });
        let e = r.validate().unwrap_err();
        for f in ["days", "persons", "pass_type", "capacity", "day_starts", "zone"] {
            assert!(e.get(f).is_some(), "{f}: {e}");
        }
    }

    #[test]
    fn a_night_belongs_to_the_day_it_began() {
        let mut r = seed();
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(r.event_day(at("2026-12-25 02:00")).to_string(), "2026-12-25");
        r.day_starts = Some("06:00".into());
        assert_eq!(r.event_day(at("2026-12-25 02:00")).to_string(), "2026-12-24");
        assert_eq!(r.event_day(at("2026-12-25 06:00")).to_string(), "2026-12-25");
    }
}
