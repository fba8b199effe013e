//! The figures an admin watches: what was sold, who came in, who is inside.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub passes_issued: u64,
    pub issued_by_type: BTreeMap<String, u64>,
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
    /// Per slot label: passes issued, passes admitted, people admitted.
    pub by_slot: BTreeMap<String, SlotStats>,
    /// Every gate's scans, by the gate name recorded with each scan.
    pub by_gate: BTreeMap<String, GateStats>,
    /// Passes admitted offline that were admitted elsewhere first, as the
    /// ledger records them (docs/offline.md), and how many are not yet
    /// acknowledged. Each such pass still counts once in people admitted.
    pub conflicts: u64,
    pub conflicts_open: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SlotStats {
    pub issued: u64,
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

/// People inside now: admitted event guests plus residents marked IN.
impl Stats {
    pub fn occupancy(&self) -> u64 {
        self.people_admitted + self.residents_in
    }
}
