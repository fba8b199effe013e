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

    /// The zone `gate` belongs to that has a capacity, if any.
    pub fn capped_zone(&self, gate: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.capacity.is_some() && z.gates.iter().any(|g| g.trim().eq_ignore_ascii_case(gate.trim())))
    }

    /// Whether an entry at `gate` is counted against a capacity.
    pub fn capped_at(&self, gate: &str) -> bool {
        self.capacity.is_some() || self.capped_zone(gate).is_some()
    }

    /// An entry of `n` people at `gate` with `venue` and `zone` inside now:
    /// the refusal when it would pass a capacity, else the warning when it
    /// reaches 90% of one.
    pub fn capacity_check(&self, gate: &str, n: u32, venue: u64, zone: u64) -> Result<Option<String>, String> {
        let mut warn = None;
        let checks = [("the venue", self.capacity, venue), ("zone", self.capped_zone(gate).and_then(|z| z.capacity), zone)];
        for (what, cap, inside) in checks {
            let Some(cap) = cap.map(u64::from) else { continue };
            let what =
                if what == "zone" { format!("zone {}", self.capped_zone(gate).map_or("", |z| z.name.as_str())) } else { what.to_string() };
            let after = inside + u64::from(n);
            if after > cap {
                return Err(format!("at capacity: {what} holds {cap}, {inside} inside now"));
            }
            // Both may warn (the venue and the zone): say each.
            let this = match after {
                a if a == cap => Some(format!("{what} now full: {after} of {cap} inside")),
                a if a * 10 >= cap * 9 => Some(format!("{what} nearly full: {after} of {cap} inside")),
                _ => None,
            };
            warn = match (warn, this) {
                (Some(w), Some(t)) => Some(format!("{w}; {t}")),
                (w, t) => w.or(t),
            };
        }
        Ok(warn)
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

/// Event days as runs of consecutive days: "24-26 Dec", "30 Dec-1 Jan",
/// "24 Dec, 26 Dec"; None for no (readable) days.
fn day_runs(days: &[String]) -> Option<String> {
    let mut d: Vec<chrono::NaiveDate> = days.iter().filter_map(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).collect();
    d.sort();
    d.dedup();
    let mut runs: Vec<(chrono::NaiveDate, chrono::NaiveDate)> = Vec::new();
    for day in d {
        match runs.last_mut() {
            Some((_, end)) if *end + chrono::Duration::days(1) == day => *end = day,
            _ => runs.push((day, day)),
        }
    }
    let text: Vec<String> = runs
        .iter()
        .map(|(a, b)| {
            use chrono::Datelike;
            if a == b {
                a.format("%-d %b").to_string()
            } else if (a.year(), a.month()) == (b.year(), b.month()) {
                format!("{}-{}", a.format("%-d"), b.format("%-d %b"))
            } else {
                format!("{}-{}", a.format("%-d %b"), b.format("%-d %b"))
            }
        })
        .collect();
    (!text.is_empty()).then(|| text.join(", "))
}

/// Which way a scan records people: in through the gate, or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

/// A pass's entry state as stored: the one thing every rule reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntryState {
    /// People admitted in the current period: ever (`once`), on
    /// `entry_day` (`daily`), in total (`reentry`).
    pub entered: u32,
    /// People of this pass inside now.
    pub inside: u32,
    /// The event day of the last admission.
    pub entry_day: Option<String>,
    pub last_in_at: Option<String>,
    pub last_in_gate: Option<String>,
}

/// Where and when a scan is decided.
#[derive(Debug, Clone)]
pub struct ScanContext<'a> {
    pub direction: Direction,
    pub gate: &'a str,
    /// The event day now (`RuleSet::event_day`).
    pub day: chrono::NaiveDate,
    pub at: &'a str,
    /// `scan --persons K`: at most this many of those left.
    pub want: Option<u32>,
}

/// What a rule makes of one scan.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// `persons` go in (or out, for `Exited`); the state to store.
    Move {
        verdict: Verdict,
        persons: u32,
        state: EntryState,
        left: u32,
    },
    Refuse {
        verdict: Verdict,
        reason: String,
    },
}

use super::scan::Verdict;

impl TypeRule {
    /// The rule resident cards follow: in and out, any number of times,
    /// every day, at every gate.
    pub fn resident() -> TypeRule {
        TypeRule {
            name: "RESIDENT".into(),
            persons: 1,
            price_cents: 0,
            entry: Entry::Reentry,
            days: Vec::new(),
            gates: Vec::new(),
            attention: false,
        }
    }

    /// The rule in a ticket's words: "valid 24-26 Dec, re-entry allowed",
    /// "one entry", "one entry a day, at VIP only". ASCII and CP437 only,
    /// so every printer can print it.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(days) = day_runs(&self.days) {
            parts.push(format!("valid {days}"));
        }
        parts.push(
            match self.entry {
                Entry::Once => "one entry",
                Entry::Daily => "one entry a day",
                Entry::Reentry => "re-entry allowed",
            }
            .to_string(),
        );
        if !self.gates.is_empty() {
            parts.push(format!("at {} only", self.gates.join(", ")));
        }
        parts.join(", ")
    }

    /// Whether `gate` admits this type.
    pub fn admits_at(&self, gate: &str) -> bool {
        self.gates.is_empty() || self.gates.iter().any(|g| g.trim().eq_ignore_ascii_case(gate.trim()))
    }

    /// People of a pass of `persons` who may still enter now.
    pub fn left(&self, persons: u32, s: &EntryState, day: &str) -> u32 {
        match self.entry {
            Entry::Once => persons.saturating_sub(s.entered),
            Entry::Daily if s.entry_day.as_deref() == Some(day) => persons.saturating_sub(s.entered),
            // A new day: yesterday's people went home, whether scanned out or not.
            Entry::Daily => persons,
            Entry::Reentry => persons.saturating_sub(s.inside),
        }
    }

    /// The one evaluator: this rule, a pass of `persons` in state `s`, a
    /// scan at `cx`. ALREADY_USED (a `once` pass) is left to the caller to
    /// word, with the first use it read.
    pub fn decide(&self, persons: u32, s: &EntryState, cx: &ScanContext) -> Decision {
        let refuse = |verdict, reason: String| Decision::Refuse { verdict, reason };
        let day = cx.day.format("%Y-%m-%d").to_string();
        if cx.direction == Direction::Out {
            if s.inside == 0 {
                return refuse(Verdict::NotInside, "not inside: no one on this pass has entered since the last exit".into());
            }
            let n = cx.want.unwrap_or(s.inside).clamp(1, s.inside);
            let state = EntryState { inside: s.inside - n, ..s.clone() };
            return Decision::Move { verdict: Verdict::Exited, persons: n, left: s.inside - n, state };
        }
        if !self.admits_at(cx.gate) {
            return refuse(Verdict::WrongGate, format!("wrong gate: {} passes enter at {} only", self.name, self.gates.join(", ")));
        }
        if !self.days.is_empty() && !self.days.contains(&day) {
            return refuse(Verdict::NotToday, format!("not today ({day}): {} is valid on {}", self.name, self.days.join(", ")));
        }
        let left = self.left(persons, s, &day);
        if left == 0 {
            let when = || format!("{} at {}", s.last_in_at.as_deref().unwrap_or("?"), s.last_in_gate.as_deref().unwrap_or("?"));
            return match self.entry {
                Entry::Once => refuse(Verdict::AlreadyUsed, String::new()),
                Entry::Daily => refuse(Verdict::AlreadyUsedToday, format!("already used today: admitted {}", when())),
                Entry::Reentry => refuse(Verdict::AlreadyInside, format!("already inside: admitted {}, no exit since", when())),
            };
        }
        let n = cx.want.unwrap_or(left).clamp(1, left);
        let new_day = s.entry_day.as_deref() != Some(day.as_str());
        let (entered, inside) = match self.entry {
            Entry::Daily if new_day => (n, n),
            _ => (s.entered + n, s.inside + n),
        };
        let state = EntryState {
            entered,
            inside,
            entry_day: Some(day),
            last_in_at: Some(cx.at.to_string()),
            last_in_gate: Some(cx.gate.to_string()),
        };
        Decision::Move { verdict: Verdict::Admitted, persons: n, left: left - n, state }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_warns_from_90_percent_says_full_and_names_each_cap() {
        let mut r = seed();
        r.capacity = Some(10);
        r.zones.push(Zone { name: "Hall".into(), gates: vec!["Main".into()], capacity: Some(3) });
        assert_eq!(r.capacity_check("Main", 1, 5, 0), Ok(None));
        assert_eq!(r.capacity_check("Main", 1, 8, 0), Ok(Some("the venue nearly full: 9 of 10 inside".into())));
        assert_eq!(
            r.capacity_check("Main", 1, 9, 2),
            Ok(Some("the venue now full: 10 of 10 inside; zone Hall now full: 3 of 3 inside".into()))
        );
        assert_eq!(r.capacity_check("Main", 1, 10, 0), Err("at capacity: the venue holds 10, 10 inside now".into()));
        assert_eq!(r.capacity_check("Side", 1, 5, 3), Ok(None), "another gate is not in the zone");
    }

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

    fn cx(direction: Direction, day: &str) -> ScanContext<'static> {
        ScanContext { direction, gate: "North", day: day.parse().unwrap(), at: "t", want: None }
    }

    fn moved(d: Decision) -> (Verdict, u32, EntryState) {
        match d {
            Decision::Move { verdict, persons, state, .. } => (verdict, persons, state),
            Decision::Refuse { verdict, reason } => panic!("{verdict}: {reason}"),
        }
    }

    fn refused(d: Decision) -> Verdict {
        match d {
            Decision::Refuse { verdict, .. } => verdict,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reentry_alternates_and_refuses_the_same_way_twice() {
        let mut r = seed().types[0].clone();
        r.entry = Entry::Reentry;
        let s = EntryState::default();
        assert_eq!(refused(r.decide(1, &s, &cx(Direction::Out, "2026-12-24"))), Verdict::NotInside);
        let (v, _, s) = moved(r.decide(1, &s, &cx(Direction::In, "2026-12-24")));
        assert_eq!((v, s.inside), (Verdict::Admitted, 1));
        assert_eq!(refused(r.decide(1, &s, &cx(Direction::In, "2026-12-24"))), Verdict::AlreadyInside);
        let (v, _, s) = moved(r.decide(1, &s, &cx(Direction::Out, "2026-12-24")));
        assert_eq!((v, s.inside), (Verdict::Exited, 0));
        assert_eq!(moved(r.decide(1, &s, &cx(Direction::In, "2026-12-24"))).0, Verdict::Admitted);
    }

    #[test]
    fn daily_once_a_day_on_its_days_at_its_gates() {
        let mut r = seed().types[0].clone();
        r.entry = Entry::Daily;
        r.days = vec!["2026-12-24".into(), "2026-12-25".into()];
        let s = EntryState::default();
        let (_, _, s) = moved(r.decide(1, &s, &cx(Direction::In, "2026-12-24")));
        let (_, _, s) = moved(r.decide(1, &s, &cx(Direction::Out, "2026-12-24")));
        assert_eq!(refused(r.decide(1, &s, &cx(Direction::In, "2026-12-24"))), Verdict::AlreadyUsedToday);
        assert_eq!(moved(r.decide(1, &s, &cx(Direction::In, "2026-12-25"))).0, Verdict::Admitted);
        assert_eq!(refused(r.decide(1, &s, &cx(Direction::In, "2026-12-26"))), Verdict::NotToday);
        r.gates = vec!["VIP".into()];
        assert_eq!(refused(r.decide(1, &s, &cx(Direction::In, "2026-12-25"))), Verdict::WrongGate);
    }

    #[test]
    fn a_group_arrives_apart() {
        let r = seed().types[1].clone();
        let mut c = cx(Direction::In, "2026-12-24");
        c.want = Some(1);
        let d = r.decide(2, &EntryState::default(), &c);
        let Decision::Move { persons: 1, left: 1, state, .. } = d else { panic!("{d:?}") };
        let d = r.decide(2, &state, &cx(Direction::In, "2026-12-24"));
        let Decision::Move { persons: 1, left: 0, state, .. } = d else { panic!("{d:?}") };
        assert_eq!(refused(r.decide(2, &state, &cx(Direction::In, "2026-12-24"))), Verdict::AlreadyUsed);
    }

    #[test]
    fn a_rule_in_a_tickets_words() {
        let mut r = seed().types[0].clone();
        assert_eq!(r.summary(), "one entry");
        r.entry = Entry::Reentry;
        r.days = ["2026-12-26", "2026-12-24", "2026-12-25"].map(String::from).to_vec();
        assert_eq!(r.summary(), "valid 24-26 Dec, re-entry allowed");
        r.entry = Entry::Daily;
        r.days = ["2026-12-31", "2027-01-01", "2027-01-03"].map(String::from).to_vec();
        r.gates = vec!["VIP".into(), "North".into()];
        assert_eq!(r.summary(), "valid 31 Dec-1 Jan, 3 Jan, one entry a day, at VIP, North only");
        assert!(r.summary().is_ascii());
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
