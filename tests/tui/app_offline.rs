//! An offline-capable gate's console (docs/offline.md): the conflict alert
//! every gate shows until it is acknowledged, what OFFLINE and a stale
//! replica mean on each screen, and conflicts in Stats.

use super::*;
use gatehouse::domain::offline::{Admission, Conflict};
use gatehouse::service::offline::Freshness;
use gatehouse::tui::offline::SyncView;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| ui::draw(f, app, &Theme { color: false })).unwrap();
    t.backend().to_string()
}

fn conflict(block: u64) -> Conflict {
    Conflict {
        block,
        kind: "double_admission".into(),
        pass: PASS_ID.into(),
        persons: 2,
        first: Admission { at: "2026-11-21T18:30:01.000000Z".into(), operator: "asha".into(), gate: "Gate A".into() },
        second: Admission { at: "2026-11-21T18:31:10.000000Z".into(), operator: "omar".into(), gate: "Gate B".into() },
        found_at: "2026-11-21T18:35:00.000000Z".into(),
        acknowledged: false,
        acknowledged_by: None,
        first_offline: false,
        held_offline: false,
        reason: None,
    }
}

/// A signed-in console on a gate in this state.
fn gate_app(online: bool, age: f64, conflicts: Vec<Conflict>) -> App {
    let mut app = signed_in(operator());
    let fresh = Freshness {
        online,
        replica_age_secs: Some(age),
        queued: if online { 0 } else { 3 },
        clock_skew_secs: Some(0.1),
        clock_skew_warning: false,
        stale: age > app.cfg.offline.stale_secs,
    };
    app.sync = Some(SyncView { fresh, open_conflicts: conflicts.len(), conflicts, answered: true });
    app
}

/// Two gates offline at once: the admission the server held came in an
/// upload too, and the alert marks both sides offline, in time order.
#[test]
fn a_conflict_of_two_offline_gates_marks_both_sides_offline() {
    let c = Conflict { held_offline: true, ..conflict(41) };
    let s = screen(&gate_app(true, 1.0, vec![c.clone()]));
    let t = |stamp: &str| gatehouse::tui::screens::hhmmss(stamp);
    assert!(s.contains(&format!("first    Gate A · asha · {} (offline)", t("2026-11-21T18:30:01.000000Z"))), "{s}");
    assert!(s.contains(&format!("second   Gate B · omar · {} (offline)", t("2026-11-21T18:31:10.000000Z"))), "{s}");
    // The offline one came first and took the pass over: still both.
    let c = Conflict { first_offline: true, ..c };
    let s = screen(&gate_app(true, 1.0, vec![c]));
    assert_eq!(s.matches("(offline)").count(), 2, "{s}");
}

#[test]
fn a_conflict_alert_names_both_sides_and_stays_until_f9_acknowledges_it() {
    let mut app = gate_app(true, 1.0, vec![conflict(41), conflict(57)]);
    let s = screen(&app);
    let t = |stamp: &str| gatehouse::tui::screens::hhmmss(stamp);
    assert!(s.contains(&format!("CONFLICT: pass {} admitted twice, counted once · F9 list to acknowledge", &PASS_ID[..8])), "{s}");
    assert!(s.contains(&format!("first    Gate A · asha · {}   (2 open: F9 lists them)", t("2026-11-21T18:30:01.000000Z"))), "{s}");
    assert!(s.contains(&format!("second   Gate B · omar · {} (offline)", t("2026-11-21T18:31:10.000000Z"))), "{s}");
    // On every screen, not only Scan.
    app.update(Action::GoTo(5));
    assert_eq!(app.screen, Screen::Stats);
    assert!(screen(&app).contains("CONFLICT: pass"), "{}", screen(&app));

    // F9 lists the open ones; Enter acknowledges the chosen (the oldest
    // first); the worker writes the conflict_ack.
    assert!(press(&mut app, &[KeyCode::F(9)]).is_empty());
    let s = screen(&app);
    assert!(s.contains("Conflicts · 2 open") && s.contains("#41 pass") && s.contains("#57 pass"), "{s}");
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert_eq!(fx, vec![Effect::AckConflict(41)]);
    app.apply(Asker::App, Outcome::ConflictAcked(41, "conflict 41 acknowledged".into()));
    let s = screen(&app);
    assert!(s.contains("conflict 41 acknowledged") && !s.contains("2 open"), "{s}");
    // The header's count moves with F9, not with the next sync.
    let header = s.lines().next().unwrap_or_default();
    assert!(header.contains("!1 CONFLICT") && !header.contains("!2"), "{header}");
    assert_eq!(press(&mut app, &[KeyCode::Enter]), vec![Effect::AckConflict(57)]);
    app.apply(Asker::App, Outcome::ConflictAcked(57, "conflict 57 is acknowledged already".into()));
    assert!(app.conflict_list.is_none(), "the list closes when none is left");
    assert!(!screen(&app).contains("CONFLICT: pass"), "{}", screen(&app));
    assert!(press(&mut app, &[KeyCode::F(9)]).is_empty(), "nothing left to acknowledge");
}

#[test]
fn a_void_admitted_offline_is_its_own_kind_of_alert() {
    let mut c = conflict(9);
    c.kind = "voided".into();
    c.first.gate = String::new();
    let s = screen(&gate_app(true, 1.0, vec![c]));
    // The void (18:30:01) came before the offline admission (18:31:10).
    assert!(s.contains("admitted offline after it was voided") && s.contains("voided   asha · "), "{s}");
    assert!(s.contains("admitted Gate B · omar · "), "{s}");
    // The other way round: admitted offline first, voided later elsewhere.
    let mut c = conflict(9);
    c.kind = "voided".into();
    c.first.at = "2026-11-21T18:40:00.000000Z".into();
    let s = screen(&gate_app(true, 1.0, vec![c]));
    assert!(s.contains("admitted offline, then voided") && s.contains("voided   Gate A · asha"), "{s}");
}

/// An upload the server refused (issue 22) is a conflict of its own kind:
/// the alert says why, with hidden characters shown, and F9 lists it.
#[test]
fn a_refused_upload_is_its_own_kind_of_alert() {
    let mut c = conflict(12);
    c.kind = "refused".into();
    c.first = Admission { at: "2026-11-21T18:35:00.000000Z".into(), operator: "sync".into(), gate: String::new() };
    c.reason = Some("the replica's scans row does not match its signed block (edited)".into());
    c.second.gate = "Gate\u{1b}]0;x".into();
    let mut app = gate_app(true, 1.0, vec![c]);
    let s = screen(&app);
    assert!(s.contains(&format!("CONFLICT: offline upload refused (pass {}) · F9 list to acknowledge", &PASS_ID[..8])), "{s}");
    assert!(s.contains("why      the replica's scans row does not match its signed"), "{s}");
    assert!(s.contains("offline  Gate") && !s.contains('\u{1b}'), "{s}");
    assert!(press(&mut app, &[KeyCode::F(9)]).is_empty());
    let s = screen(&app);
    assert!(s.contains("#12 pass") && s.contains("offline upload refused"), "{s}");
}

/// Entries past capacity made offline, and a daily pass entered twice on
/// one day, are alerts of their own that say why; F9 lists them so.
#[test]
fn past_capacity_and_a_daily_pass_twice_say_why() {
    let mut c = conflict(14);
    c.kind = "over_capacity".into();
    c.second = c.first.clone();
    c.first_offline = true;
    c.reason = Some("admitted offline past capacity (the venue holds 2, 3 inside now)".into());
    let mut app = gate_app(true, 1.0, vec![c]);
    let s = screen(&app);
    assert!(s.contains(&format!("CONFLICT: admitted offline past capacity (pass {})", &PASS_ID[..8])), "{s}");
    assert!(s.contains("the venue holds 2, 3 inside now") && s.contains("offline  Gate A · asha"), "{s}");
    press(&mut app, &[KeyCode::F(9)]);
    let s = screen(&app);
    assert!(s.contains("#14 pass") && s.contains("admitted offline past capacity") && s.contains("(the venue holds 2, 3"), "{s}");
    let mut c = conflict(15);
    c.reason = Some("a daily pass entered twice on 2026-11-21".into());
    let mut app = gate_app(true, 1.0, vec![c]);
    assert!(screen(&app).contains("a daily pass entered twice on 2026-11-21"), "{}", screen(&app));
    press(&mut app, &[KeyCode::F(9)]);
    let s = screen(&app);
    assert!(s.contains("#15 pass") && s.contains("a daily pass entered twice"), "{s}");
}

#[test]
fn the_scan_screen_says_where_verdicts_come_from_and_when_the_replica_is_stale() {
    let s = screen(&gate_app(true, 1.0, vec![]));
    assert!(!s.contains("OFFLINE") && !s.contains("STALE"), "{s}");
    let s = screen(&gate_app(false, 20.0, vec![]));
    assert!(s.contains("OFFLINE: verdicts from this gate's replica (20 s old) · 3 queued"), "{s}");
    let mut app = gate_app(false, 20.0, vec![]);
    app.apply(Asker::App, Outcome::StatsOffline("stats needs the server (offline)".into()));
    assert!(screen(&app).contains("People · server, last known"), "{}", screen(&app));
    let s = screen(&gate_app(false, 600.0, vec![]));
    assert!(s.contains("OFFLINE · REPLICA STALE: 10 min old, over the 60 s limit; may miss voids"), "{s}");
}

#[test]
fn a_header_short_of_room_keeps_the_gate_and_who_whole_and_cuts_the_event_and_camera() {
    let mut app = gate_app(false, 20.0, vec![]);
    app.gate = "North Gate Two".into();
    app.camera = "no camera at /dev/video0: permission denied".into();
    let header = screen(&app).lines().next().unwrap_or_default().to_string();
    let name = &app.actor.as_ref().expect("signed in").username;
    assert!(header.contains(&format!("│ North Gate Two │ {name} (operator)")), "{header}");
    assert!(header.contains("OFFLINE 20s q3") && header.contains("18:30:00"), "{header}");
    assert!(header.contains('…'), "what is cut says so: {header}");
}

#[test]
fn screens_that_need_the_server_say_so_offline() {
    let mut app = gate_app(false, 20.0, vec![]);
    app.update(Action::GoTo(5));
    app.apply(Asker::App, Outcome::StatsOffline("stats needs the server (offline): no answer within 1.5 s".into()));
    let s = screen(&app);
    assert!(s.contains("OFFLINE: Stats needs the server; scanning goes on from the replica"), "{s}");
    assert!(s.contains("People · not current"), "the last counts stay, marked: {s}");
    app.stats = None;
    assert!(screen(&app).contains("stats needs the server (offline)"), "{}", screen(&app));
}

#[test]
fn stats_count_conflicts_and_say_when_they_are_not_current() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(5));
    assert_eq!(app.screen, Screen::Stats);
    let mut s = stats();
    s.conflicts = 2;
    s.conflicts_open = 1;
    app.apply(Asker::App, Outcome::Stats(Box::new(s)));
    let text = screen(&app);
    assert!(text.contains("Conflicts  2 (1 open)"), "{text}");
    assert!(text.contains("Admitted   101 people"), "{text}");
    app.apply(Asker::App, Outcome::StatsOffline("stats needs the server (offline)".into()));
    assert!(screen(&app).contains("not current"), "{}", screen(&app));
    app.apply(Asker::App, Outcome::Stats(Box::new(stats())));
    assert!(!screen(&app).contains("not current") && !screen(&app).contains("Conflicts"), "{}", screen(&app));
}

/// Sync is a timed job on the console's one channel: a tick asks for it
/// when due, never twice at once, whoever is signed in; its answer is
/// what the header shows; an acknowledgement asks for the next at once.
#[test]
fn sync_is_a_timed_job_whose_answer_the_header_shows() {
    use std::time::{Duration, Instant};
    let syncs = |fx: &[Effect]| fx.iter().filter(|e| **e == Effect::Sync).count();
    let mut app = App::new(gatehouse::config::Config::default(), "Main Gate".into(), "/var/lib/gatehouse".into());
    let t0 = Instant::now();
    assert_eq!(syncs(&app.tick(t0, "18:30:00".into()).effects()), 0, "a gate with no server never syncs");
    app.remote = true;
    assert_eq!(syncs(&app.tick(t0, "18:30:00".into()).effects()), 1, "signed out, the replica is still kept fresh");
    assert_eq!(syncs(&app.tick(t0 + Duration::from_secs(5), "18:30:05".into()).effects()), 0, "one at a time");
    let online = gate_app(true, 0.5, vec![conflict(41)]).sync.expect("a view");
    app.apply(Asker::App, Outcome::Synced(Box::new(online.clone())));
    assert!(screen(&app).contains("ONLINE 0s q0 !1 CONFLICT"), "{}", screen(&app));
    let now = Instant::now();
    assert_eq!(syncs(&app.tick(now, "18:30:06".into()).effects()), 0, "not due yet");
    assert_eq!(syncs(&app.tick(now + Duration::from_millis(1100), "18:30:07".into()).effects()), 1, "due a second later");
    // Offline: the next try waits `retry_secs`.
    let mut offline = online.clone();
    offline.fresh.online = false;
    app.apply(Asker::App, Outcome::Synced(Box::new(offline)));
    let now = Instant::now();
    let retry = Duration::from_secs_f64(app.cfg.offline.retry_secs);
    assert_eq!(syncs(&app.tick(now + retry / 2, "18:30:08".into()).effects()), 0);
    assert_eq!(syncs(&app.tick(now + retry + Duration::from_millis(100), "18:30:09".into()).effects()), 1);
    app.apply(Asker::App, Outcome::Synced(Box::new(online)));
    // An acknowledgement: the count is read again at the next tick.
    app.apply(Asker::App, Outcome::ConflictAcked(41, "conflict 41 acknowledged".into()));
    assert_eq!(syncs(&app.tick(Instant::now(), "18:30:10".into()).effects()), 1);
}

#[test]
fn stale_views_catch_up_a_console_started_offline_and_a_gate_back_online() {
    // Started offline: no counts yet is a dash and says why, never "Admitted 0".
    let mut app = gate_app(false, 20.0, vec![]);
    app.stats = None;
    app.apply(Asker::App, Outcome::StatsOffline("stats needs the server (offline): no answer within 1.5 s".into()));
    let s = screen(&app);
    assert!(s.contains("Admitted – · inside –") && s.contains("People · server not reached"), "{s}");
    assert!(!s.contains("Admitted 0"), "{s}");
    // An offline failure in the footer goes once the gate is back online.
    app.update(Action::GoTo(5));
    app.apply(Screen::Issue, Outcome::Failed("issuing passes needs the server (offline): no answer within 1.5 s".into()));
    let t0 = Instant::now();
    app.tick(t0, "18:30:00".into());
    assert!(screen(&app).contains("needs the server (offline)"), "still offline: it stays");
    let online = gate_app(true, 1.0, vec![]);
    app.sync = online.sync.clone();
    let fx = app.tick(t0 + Duration::from_millis(1500), "18:30:01".into()).effects();
    let s = screen(&app);
    assert!(!s.lines().last().unwrap_or_default().contains("needs the server (offline)"), "{s}");
    // And the counts are asked for again at once.
    assert!(fx.contains(&Effect::LoadStats), "{fx:?}");
}

#[test]
fn ten_conflicts_are_one_list_and_all_of_them_after_a_y() {
    let mut app = gate_app(true, 1.0, (1..=10).map(conflict).collect());
    press(&mut app, &[KeyCode::F(9)]);
    assert!(screen(&app).contains("Conflicts · 10 open"), "{}", screen(&app));
    assert!(press(&mut app, &[KeyCode::Char('a')]).is_empty(), "all of them asks first");
    assert!(screen(&app).contains("Acknowledge all 10 conflicts?  y / n"), "{}", screen(&app));
    assert!(press(&mut app, &[KeyCode::Char('n')]).is_empty(), "n acknowledges nothing");
    press(&mut app, &[KeyCode::Char('a')]);
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    assert_eq!(fx, (1..=10).map(Effect::AckConflict).collect::<Vec<_>>());
    // Esc closes the list; the alert stays until the acks come back.
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.conflict_list.is_none() && app.alert().is_some());
}

#[test]
fn a_double_admission_is_told_in_the_order_it_happened() {
    // The offline admission (uploaded second) happened first.
    let mut c = conflict(5);
    c.second.at = "2026-11-21T18:20:00.000000Z".into();
    let s = screen(&gate_app(true, 1.0, vec![c]));
    let t = |stamp: &str| gatehouse::tui::screens::hhmmss(stamp);
    assert!(s.contains(&format!("first    Gate B · omar · {} (offline)", t("2026-11-21T18:20:00.000000Z"))), "{s}");
    assert!(s.contains(&format!("second   Gate A · asha · {}", t("2026-11-21T18:30:01.000000Z"))), "{s}");
}
