//! Fixed data for console tests: same ids, same payloads, same times.
#![allow(dead_code)]

use gatehouse::config::Config;
use gatehouse::domain::keys::KeyRing;
use gatehouse::domain::pass::{Pass, PassStatus, PaymentMode};
use gatehouse::domain::payload::{self, Kind};
use gatehouse::domain::resident::{Presence, Resident};
use gatehouse::domain::scan::{FirstUse, ScanOutcome, Verdict};
use gatehouse::domain::stats::Stats;
use gatehouse::domain::user::{Actor, Role};
use gatehouse::service::{PassView, ResidentView};
pub use gatehouse::tui::app::{App, Screen};
pub use gatehouse::tui::component::Component;
#[allow(unused_imports)]
pub use gatehouse::tui::effect::{Asker, Effect, Job, Outcome};

pub const PASS_ID: &str = "3267d1b0-5c1e-4d7a-9a51-2f8c11d0a7e4";
pub const RES_ID: &str = "9b0c44e2-11aa-4c3e-8f00-6d2e5a9c1b7f";

pub fn keys() -> KeyRing {
    KeyRing::new(&[("01".into(), [5u8; 32])]).unwrap()
}

pub fn payload(kind: Kind, id: &str) -> String {
    payload::encode(&keys(), kind, &uuid::Uuid::parse_str(id).unwrap())
}

pub fn admin() -> Actor {
    Actor { username: "asha".into(), display_name: "Asha".into(), role: Role::Admin, issuer: None }
}

pub fn operator() -> Actor {
    Actor { username: "omar".into(), display_name: "Omar".into(), role: Role::Operator, issuer: None }
}

pub fn couple_pass() -> Pass {
    Pass {
        id: PASS_ID.into(),
        pass_type: "COUPLE".into(),
        persons: 2,
        holder_name: "Asha Rao".into(),
        holder_phone: "+919876543210".into(),
        holder2_name: Some("Ravi Rao".into()),
        holder2_phone: Some("9876501234".into()),
        price_cents: 99900,
        payment_mode: PaymentMode::Online,
        txn_ref: Some("UPI-55".into()),
        slot: "7:00 PM - 11:00 PM".into(),
        key_id: "01".into(),
        created_at: "2026-11-21T17:55:00.000000Z".into(),
        created_by: "asha".into(),
        scanned_at: None,
        scanned_by: None,
        gate: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
        inside: 0,
        entered: 0,
        entry_day: None,
        last_in_at: None,
        last_in_gate: None,
        note: None,
    }
}

pub fn pass_view(p: Pass) -> PassView {
    PassView { status: p.status(), price: p.price_cents as f64 / 100.0, payload: payload(Kind::Pass, &p.id), pass: p }
}

pub fn resident(status: Presence, active: bool) -> Resident {
    Resident {
        id: RES_ID.into(),
        name: "Meera Iyer".into(),
        room: "B-204".into(),
        floor: "2".into(),
        phone: "9123456780".into(),
        email: String::new(),
        address: String::new(),
        move_in: "2026-01-10".into(),
        occupation: String::new(),
        emergency_contact: String::new(),
        photo: None,
        status,
        active,
        key_id: "01".into(),
        created_at: "2026-11-01T10:00:00.000000Z".into(),
        created_by: "asha".into(),
        last_scan_at: None,
    }
}

pub fn resident_view(r: Resident) -> ResidentView {
    ResidentView { payload: payload(Kind::Resident, &r.id), resident: r }
}

pub fn outcome(v: Verdict) -> Box<ScanOutcome> {
    let mut pass = couple_pass();
    let mut o = ScanOutcome {
        verdict: v,
        reason: String::new(),
        at: "2026-11-21T18:30:00.000000Z".into(),
        operator: "omar".into(),
        gate: "Main Gate".into(),
        pass: None,
        resident: None,
        first_use: None,
        repeated: false,
        manual: false,
        warning: None,
        block: 7,
        note: None,
        persons: None,
    };
    match v {
        Verdict::Admitted => {
            pass.scanned_at = Some(o.at.clone());
            o.reason = "Asha Rao & Ravi Rao (COUPLE × 2)".into();
            o.pass = Some(pass);
        }
        Verdict::AlreadyUsed => {
            pass.scanned_at = Some("2026-11-21T18:02:11.000000Z".into());
            o.first_use = Some(FirstUse { at: "2026-11-21T18:02:11.000000Z".into(), operator: "omar".into(), gate: "North Gate".into() });
            o.reason = "already used".into();
            o.pass = Some(pass);
        }
        Verdict::Voided => {
            o.reason = "voided: refunded at the box office".into();
            o.pass = Some(pass);
        }
        Verdict::ResidentIn | Verdict::ResidentOut | Verdict::ResidentInactive => {
            let p = if v == Verdict::ResidentIn { Presence::In } else { Presence::Out };
            o.resident = Some(resident(p, v != Verdict::ResidentInactive));
            o.reason = match v {
                Verdict::ResidentInactive => "Meera Iyer (B-204) is no longer an active resident".into(),
                _ => format!("Meera Iyer (B-204) is now {}", p.as_str()),
            };
        }
        Verdict::Unknown => o.reason = "no pass with this id (signed by us, but not in this database)".into(),
        Verdict::Forged => o.reason = "signature does not match".into(),
        Verdict::Malformed => o.reason = "not a gatehouse code".into(),
        Verdict::WrongSlot => {
            pass.slot = "2026-12-24 19:00-23:00 Christmas Eve".into();
            o.reason = "wrong slot: slot 2026-12-24 19:00-23:00 Christmas Eve; now 2026-11-21 18:30 (33 d early)".into();
            o.pass = Some(pass);
        }
        Verdict::AlreadyUsedToday
        | Verdict::AlreadyInside
        | Verdict::NotInside
        | Verdict::Exited
        | Verdict::NotToday
        | Verdict::WrongGate
        | Verdict::AtCapacity => {
            o.reason = match v {
                Verdict::AlreadyUsedToday => "already used today: admitted 2026-11-21T18:02:11.000000Z at North Gate",
                Verdict::AlreadyInside => "already inside: admitted 2026-11-21T18:02:11.000000Z at North Gate, no exit since",
                Verdict::NotInside => "not inside: no one on this pass has entered since the last exit",
                Verdict::Exited => "Asha Rao & Ravi Rao: 2 out, 0 still inside",
                Verdict::NotToday => "not today (2026-11-21): COUPLE is valid on 2026-12-24, 2026-12-25",
                Verdict::WrongGate => "wrong gate: COUPLE passes enter at VIP, Lounge only",
                _ => "at capacity: the venue holds 500, 500 inside",
            }
            .into();
            o.pass = Some(pass);
        }
    }
    Box::new(o)
}

pub fn stats() -> Stats {
    let mut s = Stats { currency: "INR".into(), ..Default::default() };
    s.passes_issued = 120;
    s.issued_by_type.insert("COUPLE".into(), 40);
    s.issued_by_type.insert("SINGLE".into(), 80);
    s.sold_by_type.insert("COUPLE".into(), 39);
    s.sold_by_type.insert("SINGLE".into(), 76);
    s.passes_admitted = 75;
    s.passes_unused = 40;
    s.passes_voided = 5;
    s.people_admitted = 101;
    // Twelve went out again.
    s.inside_now = 89;
    s.revenue_total_cents = 8_262_000;
    s.revenue_total = 82620.0;
    s.revenue_by_payment.insert("CASH".into(), 30000.0);
    s.revenue_by_payment.insert("ONLINE".into(), 52620.0);
    s.revenue_by_operator.insert("asha".into(), 82620.0);
    s.residents_in = 12;
    s.residents_out = 30;
    s.residents_active = 42;
    s.scans_per_hour =
        (0..24).map(|h| (format!("2026-11-20T{:02}:00:00.000000Z", (h + 19) % 24), [0, 0, 3, 9, 27, 41, 12, 4][h % 8])).collect();
    s.scans_total_24h = s.scans_per_hour.iter().map(|b| b.1).sum();
    s.denied_by_reason.insert("ALREADY_USED".into(), 4);
    s.denied_by_reason.insert("FORGED".into(), 1);
    s.denied_by_reason.insert("MALFORMED".into(), 2);
    s.denied_by_reason.insert("VOIDED".into(), 3);
    s.denied_by_reason.insert("WRONG_SLOT".into(), 1);
    s.by_slot.insert(
        "2026-12-24 19:00-23:00 Eve".into(),
        gatehouse::domain::stats::SlotStats { issued: 80, admitted: 41, people: 60, voided: 0 },
    );
    s.by_slot.insert("7:00 PM - 11:00 PM".into(), gatehouse::domain::stats::SlotStats { issued: 61, admitted: 40, people: 41, voided: 0 });
    s.by_gate.insert("Main Gate".into(), gatehouse::domain::stats::GateStats { scans: 190, admitted: 52, people: 70 });
    s.by_gate.insert("North".into(), gatehouse::domain::stats::GateStats { scans: 98, admitted: 23, people: 31 });
    s
}

/// The stats with a venue capacity and zones: the venue at `venue`
/// inside of 100, the Hall (Main Gate's zone) at `hall` of 50.
pub fn stats_capped(venue: u64, hall: u64) -> Stats {
    use gatehouse::domain::stats::ZoneStats;
    let mut s = stats();
    s.inside_now = venue;
    s.venue_capacity = Some(100);
    s.by_zone.insert("Hall".into(), ZoneStats { inside: hall, capacity: Some(50), gates: vec!["main gate".into(), "North".into()] });
    s.by_zone.insert("Lounge".into(), ZoneStats { inside: 3, capacity: None, gates: vec!["VIP".into()] });
    s
}

/// A signed-in app on the Scan screen with a fixed clock.
pub fn signed_in(actor: Actor) -> App {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/var/lib/gatehouse".into());
    app.apply(Screen::Login, Outcome::LoggedIn(actor));
    app.clock = "18:30:00".into();
    app.stats = Some(stats());
    app
}

/// The effects of the jobs the App hands the driver, without who asked.
pub trait Effects {
    fn effects(self) -> Vec<Effect>;
}

impl Effects for Vec<Job> {
    fn effects(self) -> Vec<Effect> {
        self.into_iter().map(|j| j.effect).collect()
    }
}

pub fn _unused(_: PassStatus) {}

pub fn users() -> Vec<gatehouse::domain::user::User> {
    use gatehouse::domain::user::User;
    let user = |name: &str, display: &str, role: Role| User {
        username: name.into(),
        display_name: display.into(),
        role,
        created_at: "2026-11-01T10:00:00.000000Z".into(),
        disabled: false,
        failed_attempts: 0,
        locked_until: None,
    };
    let mut ravi = user("ravi", "Ravi Kumar", Role::Operator);
    ravi.failed_attempts = 5;
    ravi.locked_until = Some("2026-11-21T18:35:00.000000Z".into());
    let mut old = user("meena", "Meena K", Role::Operator);
    old.disabled = true;
    vec![user("asha", "Asha", Role::Admin), ravi, old, user("omar", "Omar", Role::Operator)]
}

/// The event's pass types as its rules hold them: the sample config's two,
/// each admitted once.
pub fn event_types() -> Vec<gatehouse::domain::rules::TypeRule> {
    gatehouse::domain::rules::RuleSet::seed(&Config::default().pass_rules().types).types
}

/// Open the Issue screen, as the worker answers its load of the event's
/// pass types.
pub fn open_issue(app: &mut App, types: Vec<gatehouse::domain::rules::TypeRule>) {
    let fx = app.update(gatehouse::tui::action::Action::GoTo(1));
    assert!(fx.iter().any(|j| j.effect == Effect::LoadPassTypes), "entering the form reads the event's types: {fx:?}");
    app.apply(Screen::Issue, Outcome::PassTypes(types));
}

/// Gates A (key file) and B (enrolled), B offline, and C revoked.
pub fn gates() -> Vec<gatehouse::service::GateView> {
    let gate = |name: &str, key: &'static str, seen: &str, online: bool, revoked: bool| gatehouse::service::GateView {
        name: name.into(),
        key,
        key_id: (key == "device").then(|| "D-0123456789abcdef".into()),
        enrolled_at: "2026-11-21T16:00:00.000000Z".into(),
        enrolled_by: "asha".into(),
        last_seen: Some(seen.into()),
        online,
        revoked,
        revoked_at: revoked.then(|| "2026-11-21T18:20:00.000000Z".into()),
        revoked_by: revoked.then(|| "asha".into()),
        db_role: None,
    };
    vec![
        gate("Gate A", "key file", "2026-11-21T18:29:58.000000Z", true, false),
        gate("Gate B", "device", "2026-11-21T18:12:04.000000Z", false, false),
        gate("Gate C", "device", "2026-11-21T18:19:30.000000Z", false, true),
    ]
}
