//! Slots as times, through the library on each backend with a fixed
//! clock: before the window, inside it, inside the grace, after it, under
//! each policy; and the per-slot stats.

#[macro_use]
mod common;

use common::*;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::Gatehouse;

const SLOT: &str = "2026-11-21 19:00-23:00 Saturday";

both_backends!(
    deny_refuses_outside_the_window_and_its_grace,
    warn_admits_with_a_warning_and_off_does_not_check,
    stats_count_issued_admitted_and_people_per_slot,
    stats_tell_the_truth_after_void_unscan_and_readmission,
    a_dated_slot_is_named_by_its_label,
);

/// The sample config with a dated slot, the event on UTC, and `policy`,
/// on the env's database.
fn env_with(b: Backend, policy: &str) -> Env {
    let env = Env::on(b);
    let cfg = std::fs::read_to_string(&env.paths.config)
        .unwrap()
        .replace(r#"slots = ["7:00 PM - 11:00 PM"]"#, &format!(r#"slots = ["7:00 PM - 11:00 PM", "{SLOT}"]"#))
        .replace(r#"utc_offset = """#, r#"utc_offset = "+00:00""#)
        .replace(r#"slot_policy = "deny""#, &format!(r#"slot_policy = "{policy}""#))
        .replace("slot_grace_minutes = 30", "slot_grace_minutes = 15");
    assert!(cfg.contains(SLOT) && cfg.contains(policy) && cfg.contains("+00:00"), "the sample config changed");
    std::fs::write(&env.paths.config, cfg).unwrap();
    env
}

fn pass_in(g: &mut Gatehouse, slot: &str, n: u32) -> String {
    let mut req = single(&format!("Guest {n}"), &format!("98765{n:05}"));
    req.slot = Some(slot.into());
    issue(g, &req).1
}

/// Scan a new pass of the dated slot at `hh:mm` UTC on the slot's day.
fn scan_at(env: &Env, g: &mut Gatehouse, hhmm: (u32, u32), n: u32) -> gatehouse::domain::scan::ScanOutcome {
    use chrono::TimeZone;
    let code = pass_in(g, SLOT, n);
    let want = chrono::Utc.with_ymd_and_hms(2026, 11, 21, hhmm.0, hhmm.1, 0).unwrap();
    env.clock.advance(want - g.now());
    g.scan(code.as_bytes(), &operator(), "North").unwrap()
}

fn deny_refuses_outside_the_window_and_its_grace(b: Backend) {
    let env = env_with(b, "deny");
    let mut g = env.open();
    let before = scan_at(&env, &mut g, (18, 30), 1);
    assert_eq!(before.verdict, Verdict::WrongSlot);
    assert!(
        before.reason.contains(SLOT) && before.reason.contains("2026-11-21 18:30") && before.reason.contains("30 min early"),
        "{}",
        before.reason
    );
    assert_eq!(scan_at(&env, &mut g, (18, 50), 2).verdict, Verdict::Admitted, "inside the grace before");
    assert_eq!(scan_at(&env, &mut g, (20, 0), 3).verdict, Verdict::Admitted, "inside");
    assert_eq!(scan_at(&env, &mut g, (23, 10), 4).verdict, Verdict::Admitted, "inside the grace after");
    let after = scan_at(&env, &mut g, (23, 30), 5);
    assert_eq!(after.verdict, Verdict::WrongSlot);
    assert!(after.reason.contains("30 min late"), "{}", after.reason);
    // A refused pass was not used up.
    assert_eq!(g.get_pass(&before.pass.as_ref().unwrap().id).unwrap().scanned_at, None);
    // A free-text slot is never checked.
    let free = pass_in(&mut g, "7:00 PM - 11:00 PM", 9);
    assert_eq!(g.scan(free.as_bytes(), &operator(), "North").unwrap().verdict, Verdict::Admitted);
    assert!(g.verify_ledger(None, &mut |_| {}).unwrap().ok);
}

fn warn_admits_with_a_warning_and_off_does_not_check(b: Backend) {
    let env = env_with(b, "warn");
    let mut g = env.open();
    let early = scan_at(&env, &mut g, (18, 30), 1);
    assert_eq!(early.verdict, Verdict::Admitted);
    assert!(early.warning.as_deref().is_some_and(|w| w.contains("30 min early")), "{early:?}");
    assert_eq!(serde_json::to_value(&early).unwrap()["warning"].as_str(), early.warning.as_deref());
    let inside = scan_at(&env, &mut g, (18, 50), 2);
    assert_eq!((inside.verdict, inside.warning), (Verdict::Admitted, None));
    let late = scan_at(&env, &mut g, (23, 30), 3);
    assert!(late.warning.is_some_and(|w| w.contains("late")));

    let env = env_with(b, "off");
    let mut g = env.open();
    for (i, t) in [(18, 30), (18, 50), (20, 0), (23, 30)].into_iter().enumerate() {
        let o = scan_at(&env, &mut g, t, i as u32);
        assert_eq!((o.verdict, o.warning), (Verdict::Admitted, None), "{t:?}");
    }
}

fn stats_count_issued_admitted_and_people_per_slot(b: Backend) {
    let env = env_with(b, "deny");
    let mut g = env.open();
    scan_at(&env, &mut g, (18, 30), 1); // refused: issued, not admitted
    scan_at(&env, &mut g, (20, 0), 2);
    let mut couple_req = couple("Asha Rao", "9876543210", "Ravi Rao", "9876501234");
    couple_req.slot = Some(SLOT.into());
    let (_, code) = issue(&mut g, &couple_req);
    g.scan(code.as_bytes(), &operator(), "North").unwrap();
    pass_in(&mut g, "7:00 PM - 11:00 PM", 7);
    let s = g.stats().unwrap();
    let dated = s.by_slot[SLOT];
    assert_eq!((dated.issued, dated.admitted, dated.people), (3, 2, 3));
    let free = s.by_slot["7:00 PM - 11:00 PM"];
    assert_eq!((free.issued, free.admitted, free.people), (1, 0, 0));
    assert_eq!(s.denied_by_reason.get("WRONG_SLOT"), Some(&1));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["by_slot"][SLOT]["people"], 3);
}

/// Admit a couple, unscan it, admit it at another gate; void a single;
/// admit a single in a free-text slot.
fn void_unscan_readmit(env: &Env) -> gatehouse::domain::stats::Stats {
    let mut g = env.open();
    let mut couple_req = couple("Asha Rao", "9876543210", "Ravi Rao", "9876501234");
    couple_req.slot = Some(SLOT.into());
    let (c, code) = issue(&mut g, &couple_req);
    assert_eq!(g.scan(code.as_bytes(), &operator(), "North").unwrap().verdict, Verdict::Admitted);
    g.unscan_pass(&admin(), &c.id, "wrong guest").unwrap();
    assert_eq!(g.scan(code.as_bytes(), &operator(), "South").unwrap().verdict, Verdict::Admitted);
    let mut voided = single("Vik Void", "9876500001");
    voided.slot = Some(SLOT.into());
    let (v, _) = issue(&mut g, &voided);
    g.void_pass(&admin(), &v.id, "refund requested").unwrap();
    let free = pass_in(&mut g, "7:00 PM - 11:00 PM", 3);
    assert_eq!(g.scan(free.as_bytes(), &operator(), "North").unwrap().verdict, Verdict::Admitted);
    g.stats().unwrap()
}

fn stats_tell_the_truth_after_void_unscan_and_readmission(b: Backend) {
    let s = void_unscan_readmit(&env_with(b, "off"));
    assert_eq!((s.passes_issued, s.passes_admitted, s.passes_voided, s.people_admitted), (3, 2, 1, 3));
    // Each gate's people are the passes it holds as admitted: they add up.
    let gate_people: u64 = s.by_gate.values().map(|g| g.people).sum();
    assert_eq!(gate_people, s.people_admitted, "{:?}", s.by_gate);
    assert_eq!((s.by_gate["North"].scans, s.by_gate["North"].admitted, s.by_gate["North"].people), (2, 1, 1));
    assert_eq!((s.by_gate["South"].scans, s.by_gate["South"].admitted, s.by_gate["South"].people), (1, 1, 2));
    // Revenue and what it is made of leave the voided pass out.
    assert_eq!(s.revenue_total_cents, 99900 + 54900);
    assert_eq!(s.sold_by_type.get("SINGLE"), Some(&1));
    assert_eq!(s.sold_by_type.get("COUPLE"), Some(&1));
    assert_eq!(s.issued_by_type.get("SINGLE"), Some(&2));
    let dated = s.by_slot[SLOT];
    assert_eq!((dated.issued, dated.voided, dated.admitted, dated.people), (1, 1, 1, 2));
}

/// The same data on SQLite and on PostgreSQL gives the same figures,
/// every field of `stats --json` (slots and gates included).
#[test]
fn the_same_data_gives_the_same_stats_on_both_backends() {
    let sqlite = serde_json::to_value(void_unscan_readmit(&env_with(Backend::Sqlite, "off"))).unwrap();
    let postgres = serde_json::to_value(void_unscan_readmit(&env_with(Backend::Postgres, "off"))).unwrap();
    assert!(!sqlite["by_slot"].as_object().unwrap().is_empty());
    assert_eq!(sqlite, postgres);
}

/// `--slot Saturday` names the dated slot whose label it is; the pass
/// keeps the whole slot, so the scan still checks its window.
fn a_dated_slot_is_named_by_its_label(b: Backend) {
    let env = env_with(b, "deny");
    let mut g = env.open();
    let mut req = single("Lena Label", "9876511111");
    req.slot = Some("  saturday ".into());
    let (p, _) = issue(&mut g, &req);
    assert_eq!(p.slot, SLOT);
    req.slot = Some("Sunday".into());
    req.phone = "9876511112".into();
    assert!(g.issue_pass(&admin(), &req).is_err(), "no slot has that label");
}
