//! The figures an admin watches: what was sold, who came in, who is inside.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::Serialize;

use crate::domain::clock::stamp;
use crate::domain::scan::Verdict;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub passes_issued: u64,
    pub issued_by_type: BTreeMap<String, u64>,
    /// Live passes by type: what the revenue is made of (voided excluded).
    pub sold_by_type: BTreeMap<String, u64>,
    pub passes_admitted: u64,
    pub passes_unused: u64,
    pub passes_voided: u64,
    /// A couple pass counts as 2.
    pub people_admitted: u64,
    pub currency: String,
    /// Revenue excludes voided passes; in minor units (cents).
    pub revenue_total_cents: i64,
    pub revenue_total: f64,
    pub revenue_by_payment: BTreeMap<String, f64>,
    pub revenue_by_operator: BTreeMap<String, f64>,
    pub residents_in: u64,
    pub residents_out: u64,
    pub residents_active: u64,
    /// 24 hourly buckets, oldest first; each is (hour start RFC 3339, scans).
    pub scans_per_hour: Vec<(String, u64)>,
    pub scans_total_24h: u64,
    pub denied_by_reason: BTreeMap<String, u64>,
    /// Per slot label: live passes issued, voided, passes admitted, people admitted.
    pub by_slot: BTreeMap<String, SlotStats>,
    /// Every gate's scan attempts (from the scan log), and the passes it
    /// holds as admitted and their people (from the passes): the gates'
    /// people add up to `people_admitted`.
    pub by_gate: BTreeMap<String, GateStats>,
    /// Passes admitted offline that were admitted elsewhere first, as the
    /// ledger records them (docs/offline.md), and how many are not yet
    /// acknowledged. Each such pass still counts once in people admitted.
    pub conflicts: u64,
    pub conflicts_open: u64,
    /// Event guests inside now: people admitted minus people exited.
    pub inside_now: u64,
    /// The venue's capacity from the event's rules, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue_capacity: Option<u32>,
    /// Each zone of the event's rules: inside now (by the gate of each
    /// person's last entry) and its capacity.
    pub by_zone: BTreeMap<String, ZoneStats>,
    /// Each event day (YYYY-MM-DD, in the event's time zone, from
    /// `day_starts`) with an entry or exit, as the scan log has them.
    pub by_day: BTreeMap<String, DayStats>,
}

/// One event day at the gates: admissions (a pass entering on two days, or
/// again after an exit, counts each time), the people they let in, and
/// exit scans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DayStats {
    pub admitted: u64,
    pub people: u64,
    pub exited: u64,
}

/// Fill `by_day` from the minutes of the scan log: `day_of` gives the
/// event day of a UTC minute (the event's time zone and `day_starts` are
/// the caller's).
pub fn days(s: &mut Stats, f: &StatsFacts, day_of: impl Fn(chrono::NaiveDateTime) -> chrono::NaiveDate) {
    for m in &f.moves_by_minute {
        let Ok(utc) = chrono::NaiveDateTime::parse_from_str(&m.minute, "%Y-%m-%dT%H:%M") else { continue };
        let day = s.by_day.entry(day_of(utc).format("%Y-%m-%d").to_string()).or_default();
        match Verdict::parse(&m.verdict) {
            Some(Verdict::Admitted) => {
                day.admitted += m.count;
                day.people += m.persons;
            }
            Some(Verdict::Exited) => day.exited += m.count,
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ZoneStats {
    pub inside: u64,
    pub capacity: Option<u32>,
    /// The zone's gates: a console finds its own zone by them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<String>,
}

impl Stats {
    /// The zone `gate` belongs to that has a capacity: its name and figures.
    pub fn capped_zone_of(&self, gate: &str) -> Option<(&str, &ZoneStats)> {
        self.by_zone
            .iter()
            .find(|(_, z)| z.capacity.is_some() && z.gates.iter().any(|g| g.trim().eq_ignore_ascii_case(gate.trim())))
            .map(|(n, z)| (n.as_str(), z))
    }
}

/// Fill `by_zone` from the zones' gates: rules are the event's, passed in.
pub fn zones(s: &mut Stats, f: &StatsFacts, zones: &[crate::domain::rules::Zone]) {
    for z in zones {
        let inside = f
            .inside_by_gate
            .iter()
            .filter(|(g, _)| z.gates.iter().any(|zg| zg.trim().eq_ignore_ascii_case(g.trim())))
            .map(|(_, n)| n)
            .sum();
        s.by_zone.insert(z.name.clone(), ZoneStats { inside, capacity: z.capacity, gates: z.gates.clone() });
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SlotStats {
    /// Live passes: voided ones are counted apart.
    pub issued: u64,
    pub voided: u64,
    pub admitted: u64,
    /// A couple pass counts as 2.
    pub people: u64,
}

/// One gate's share: scan attempts, passes admitted, people let in.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GateStats {
    pub scans: u64,
    pub admitted: u64,
    pub people: u64,
}

/// What the store counts for the figures: rows grouped by everything the
/// figures split them by, and nothing decided. Both backends fill it from
/// the same SQL; `assemble` turns it into `Stats` once, above the seam.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsFacts {
    pub passes: Vec<PassGroup>,
    pub residents: Vec<ResidentGroup>,
    /// Scans per hour since the window's start: (`YYYY-MM-DDTHH`, count).
    pub scans_by_hour: Vec<(String, u64)>,
    pub scans: Vec<ScanGroup>,
    /// People inside now by the gate of their last entry.
    pub inside_by_gate: Vec<(String, u64)>,
    /// ADMITTED and EXITED scans per UTC minute.
    pub moves_by_minute: Vec<MoveGroup>,
}

/// Scans of one verdict in one UTC minute (`YYYY-MM-DDTHH:MM`): how many,
/// and the people they moved.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveGroup {
    pub minute: String,
    pub verdict: String,
    pub count: u64,
    pub persons: u64,
}

/// Passes that share a type, slot, payment, issuer, state and admitting gate.
#[derive(Debug, Clone, PartialEq)]
pub struct PassGroup {
    pub pass_type: String,
    pub slot: String,
    pub payment: String,
    pub created_by: String,
    pub state: PassState,
    /// The gate that admitted them (empty when not admitted).
    pub gate: String,
    pub count: u64,
    /// People admitted (a group's arrivals so far, at most its size).
    pub persons: u64,
    pub price_cents: i64,
    /// People of these passes inside now.
    pub inside: u64,
}

/// A pass's state for the figures; voided wins over admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassState {
    Unused,
    Admitted,
    Voided,
}

impl PassState {
    /// The word the stats query gives for a state.
    pub fn parse(s: &str) -> Option<PassState> {
        match s {
            "unused" => Some(PassState::Unused),
            "admitted" => Some(PassState::Admitted),
            "voided" => Some(PassState::Voided),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResidentGroup {
    pub active: bool,
    /// "IN" or "OUT".
    pub status: String,
    pub count: u64,
}

/// Scan attempts at one gate with one verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanGroup {
    pub gate: String,
    pub verdict: String,
    pub count: u64,
}

/// The first of the 24 hourly buckets that end with `now`'s hour.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let this_hour = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
    this_hour - Duration::hours(23)
}

/// The figures from the store's facts. Every count that says "admitted"
/// or "people" is read from the passes as they stand, so an unscanned pass
/// counts nowhere and a pass admitted twice offline counts once, at the
/// gate that holds it; "scans" are attempts, from the scan log.
pub fn assemble(f: &StatsFacts, now: DateTime<Utc>, currency: &str) -> Stats {
    let mut s = Stats { currency: currency.to_string(), ..Default::default() };
    for g in &f.passes {
        s.inside_now += g.inside;
        s.passes_issued += g.count;
        *s.issued_by_type.entry(g.pass_type.clone()).or_default() += g.count;
        let slot = s.by_slot.entry(g.slot.clone()).or_default();
        match g.state {
            PassState::Voided => {
                s.passes_voided += g.count;
                slot.voided += g.count;
                continue;
            }
            PassState::Unused => s.passes_unused += g.count,
            PassState::Admitted => {
                s.passes_admitted += g.count;
                s.people_admitted += g.persons;
                slot.admitted += g.count;
                slot.people += g.persons;
                let name = if g.gate.is_empty() { "-".to_string() } else { g.gate.clone() };
                let gate = s.by_gate.entry(name).or_default();
                gate.admitted += g.count;
                gate.people += g.persons;
            }
        }
        // Live (not voided) passes from here on.
        slot.issued += g.count;
        *s.sold_by_type.entry(g.pass_type.clone()).or_default() += g.count;
        s.revenue_total_cents += g.price_cents;
        *s.revenue_by_payment.entry(g.payment.clone()).or_default() += g.price_cents as f64 / 100.0;
        *s.revenue_by_operator.entry(g.created_by.clone()).or_default() += g.price_cents as f64 / 100.0;
    }
    s.revenue_total = s.revenue_total_cents as f64 / 100.0;
    for r in f.residents.iter().filter(|r| r.active) {
        match r.status.as_str() {
            "IN" => s.residents_in += r.count,
            _ => s.residents_out += r.count,
        }
    }
    s.residents_active = s.residents_in + s.residents_out;

    let start = window_start(now);
    let mut buckets: Vec<(String, u64)> = (0..24).map(|h| (stamp(start + Duration::hours(h)), 0)).collect();
    for (hour, n) in &f.scans_by_hour {
        if let Some(b) = buckets.iter_mut().find(|(h, _)| h.starts_with(hour.as_str())) {
            b.1 += n;
            s.scans_total_24h += n;
        }
    }
    s.scans_per_hour = buckets;
    for g in &f.scans {
        s.by_gate.entry(g.gate.clone()).or_default().scans += g.count;
        if Verdict::parse(&g.verdict).is_some_and(|v| !v.admits()) {
            *s.denied_by_reason.entry(g.verdict.clone()).or_default() += g.count;
        }
    }
    s
}

/// "1 person", "2 people": counts as a person reads them.
pub fn people(n: u64) -> String {
    if n == 1 { "1 person".into() } else { format!("{n} people") }
}

/// "1 pass", "2 passes".
pub fn passes(n: u64) -> String {
    if n == 1 { "1 pass".into() } else { format!("{n} passes") }
}

/// People inside now: event guests inside (admitted less those gone out)
/// plus residents marked IN.
impl Stats {
    pub fn occupancy(&self) -> u64 {
        self.inside_now + self.residents_in
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn counts_read_in_the_singular_and_plural() {
        assert_eq!((people(0), people(1), people(2)), ("0 people".into(), "1 person".into(), "2 people".into()));
        assert_eq!((passes(0), passes(1), passes(9)), ("0 passes".into(), "1 pass".into(), "9 passes".into()));
    }

    fn group(pass_type: &str, state: PassState, gate: &str, count: u64, persons: u64, price_cents: i64) -> PassGroup {
        let slot = "Eve".to_string();
        let (payment, created_by) = ("CASH".to_string(), "asha".to_string());
        PassGroup {
            pass_type: pass_type.into(),
            slot,
            payment,
            created_by,
            state,
            gate: gate.into(),
            count,
            persons,
            price_cents,
            inside: 0,
        }
    }

    #[test]
    fn voided_passes_count_as_issued_only_and_gates_add_up_to_people() {
        let now = Utc.with_ymd_and_hms(2026, 12, 24, 20, 15, 0).unwrap();
        let f = StatsFacts {
            passes: vec![
                group("COUPLE", PassState::Admitted, "North", 3, 6, 299_700),
                group("SINGLE", PassState::Admitted, "South", 2, 2, 109_800),
                group("SINGLE", PassState::Voided, "North", 1, 1, 54_900),
                group("SINGLE", PassState::Unused, "", 4, 4, 219_600),
            ],
            residents: vec![
                ResidentGroup { active: true, status: "IN".into(), count: 2 },
                ResidentGroup { active: false, status: "IN".into(), count: 5 },
                ResidentGroup { active: true, status: "OUT".into(), count: 1 },
            ],
            scans_by_hour: vec![("2026-12-24T20".into(), 7), ("2026-12-23T20".into(), 9)],
            scans: vec![
                ScanGroup { gate: "North".into(), verdict: "ADMITTED".into(), count: 3 },
                ScanGroup { gate: "North".into(), verdict: "VOIDED".into(), count: 1 },
                ScanGroup { gate: "East".into(), verdict: "FORGED".into(), count: 2 },
            ],
            inside_by_gate: vec![("North".into(), 4), ("VIP".into(), 1), ("south".into(), 2)],
            moves_by_minute: Vec::new(),
        };
        let mut s = assemble(&f, now, "INR");
        let zone = |name: &str, gates: &[&str], capacity| crate::domain::rules::Zone {
            name: name.into(),
            gates: gates.iter().map(|g| g.to_string()).collect(),
            capacity,
        };
        zones(&mut s, &f, &[zone("Hall", &["North", "South"], Some(300)), zone("Lounge", &["VIP"], None)]);
        assert_eq!((s.by_zone["Hall"].inside, s.by_zone["Hall"].capacity), (6, Some(300)), "gates in any case");
        assert_eq!((s.by_zone["Lounge"].inside, s.by_zone["Lounge"].capacity), (1, None));
        assert_eq!(s.capped_zone_of("north").map(|(n, _)| n), Some("Hall"), "its gates kept, found in any case");
        assert_eq!(s.capped_zone_of("VIP"), None, "a zone with no capacity caps nothing");
        assert_eq!((s.passes_issued, s.passes_admitted, s.passes_unused, s.passes_voided), (10, 5, 4, 1));
        assert_eq!(s.people_admitted, 8);
        assert_eq!(s.revenue_total_cents, 299_700 + 109_800 + 219_600);
        assert_eq!((s.issued_by_type["SINGLE"], s.sold_by_type["SINGLE"]), (7, 6));
        assert_eq!((s.by_slot["Eve"].issued, s.by_slot["Eve"].voided, s.by_slot["Eve"].people), (9, 1, 8));
        assert_eq!(s.by_gate.values().map(|g| g.people).sum::<u64>(), s.people_admitted);
        assert_eq!((s.by_gate["North"].scans, s.by_gate["North"].admitted), (4, 3));
        assert_eq!((s.by_gate["East"].scans, s.by_gate["East"].people), (2, 0));
        assert_eq!((s.residents_in, s.residents_out, s.residents_active), (2, 1, 3));
        // Only the 24 hours ending with 20:00 on the 24th: yesterday's 20:00 is out.
        assert_eq!((s.scans_per_hour.len(), s.scans_total_24h), (24, 7));
        assert_eq!(s.denied_by_reason.get("FORGED"), Some(&2));
        assert!(!s.denied_by_reason.contains_key("ADMITTED"));
    }

    /// A minute's event day is the event's local time less `day_starts`:
    /// at +05:30 with days from 06:00, 00:29 UTC is still the day before.
    #[test]
    fn by_day_follows_the_events_time_zone_and_day_start() {
        let mv = |minute: &str, verdict: &str, count, persons| MoveGroup { minute: minute.into(), verdict: verdict.into(), count, persons };
        let f = StatsFacts {
            moves_by_minute: vec![
                mv("2026-12-25T00:29", "ADMITTED", 3, 4),
                mv("2026-12-25T00:30", "ADMITTED", 1, 2),
                mv("2026-12-25T00:30", "EXITED", 2, 0),
                mv("2026-12-25T20:00", "EXITED", 1, 0),
                mv("not a time", "ADMITTED", 9, 9),
            ],
            ..Default::default()
        };
        let rules =
            crate::domain::rules::RuleSet { types: Vec::new(), capacity: None, zones: Vec::new(), day_starts: Some("06:00".into()) };
        let off = chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
        let mut s = Stats::default();
        days(&mut s, &f, |utc| rules.event_day(utc.and_utc().with_timezone(&off).naive_local()));
        assert_eq!(s.by_day["2026-12-24"], DayStats { admitted: 3, people: 4, exited: 0 });
        assert_eq!(s.by_day["2026-12-25"], DayStats { admitted: 1, people: 2, exited: 3 });
        assert_eq!(s.by_day.len(), 2);
    }
}
