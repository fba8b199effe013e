//! The console's behaviour without a terminal: keys become actions, actions
//! change state and return effects, outcomes come back in.

#[path = "tui/fixtures.rs"]
mod fixtures;

use std::time::{Duration, Instant};

use fixtures::*;
use gatehouse::config::Config;
use gatehouse::domain::scan::Verdict;
use gatehouse::tui::action::Action;
use gatehouse::tui::app::{App, Screen};
use gatehouse::tui::effect::{Bell, Effect, Outcome, ScanSource};
use gatehouse::tui::event::CameraNote;
use gatehouse::tui::keys;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Press keys through the real key map.
fn press(app: &mut App, codes: &[KeyCode]) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in codes {
        if let Some(a) = keys::map(app, key(*c), Instant::now()) {
            fx.extend(app.update(a));
        }
    }
    fx
}

fn type_text(app: &mut App, s: &str) -> Vec<Effect> {
    press(app, &s.chars().map(KeyCode::Char).collect::<Vec<_>>())
}

#[test]
fn login_sends_credentials_and_opens_scan() {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    assert_eq!(app.screen, Screen::Login);
    assert!(app.tabs().is_empty());
    type_text(&mut app, "asha");
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "Enter on the username moves to the password");
    type_text(&mut app, "s3cret pass");
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert_eq!(fx, vec![Effect::Login { username: "asha".into(), password: "s3cret pass".into() }]);
    assert!(app.login.pass.is_empty(), "the password is not kept in state");
    app.apply(Outcome::LoginFailed("wrong username or password".into()));
    assert_eq!(app.login.error.as_deref(), Some("wrong username or password"));
    let fx = app.apply(Outcome::LoggedIn(admin()));
    assert_eq!(app.screen, Screen::Scan);
    assert_eq!(fx, vec![Effect::LoadStats]);
}

#[test]
fn operators_see_scan_and_stats_only() {
    let mut app = signed_in(operator());
    assert_eq!(app.tabs(), vec![Screen::Scan, Screen::Stats]);
    app.update(Action::GoTo(2));
    assert_eq!(app.screen, Screen::Scan, "no third tab for an operator");
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.screen, Screen::Stats);
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.screen, Screen::Scan);
    let admin_app = signed_in(admin());
    assert_eq!(admin_app.tabs().len(), 6);
}

#[test]
fn scan_screen_takes_the_payload_alphabet_and_keeps_hotkeys() {
    let app = signed_in(admin());
    let at = Instant::now();
    for c in ['G', '7', '-'] {
        assert!(matches!(keys::map(&app, key(KeyCode::Char(c)), at), Some(Action::ScanChar(x, _)) if x == c));
    }
    assert_eq!(keys::map(&app, key(KeyCode::Char('q')), at), Some(Action::Quit));
    assert_eq!(keys::map(&app, key(KeyCode::Char('?')), at), Some(Action::ToggleHelp));
    assert_eq!(keys::map(&app, key(KeyCode::F(1)), at), Some(Action::ToggleHelp));
    assert_eq!(keys::map(&app, key(KeyCode::Esc), at), Some(Action::Back));
}

#[test]
fn typed_code_and_enter_scans_manually() {
    let mut app = signed_in(admin());
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let t0 = Instant::now();
    for (i, c) in code.chars().enumerate() {
        // A person types: a fifth of a second a key.
        app.update(Action::ScanChar(c, t0 + Duration::from_millis(200 * i as u64)));
    }
    assert_eq!(app.update(Action::ScanSubmit), vec![Effect::Scan { payload: code, source: ScanSource::Manual }]);
    assert!(app.scan.wedge.buffer.is_empty());
}

#[test]
fn wedge_burst_without_terminator_scans_once_and_is_debounced() {
    let mut app = signed_in(admin());
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let burst = |app: &mut App, start: Instant| -> Instant {
        let mut t = start;
        for c in code.chars() {
            app.update(Action::ScanChar(c, t));
            t += Duration::from_millis(4);
        }
        t
    };
    let t0 = Instant::now();
    let end = burst(&mut app, t0);
    assert!(app.tick(end + Duration::from_millis(100), "18:30:00".into()).iter().all(|e| !matches!(e, Effect::Scan { .. })));
    let fx = app.tick(end + Duration::from_millis(300), "18:30:00".into());
    assert!(fx.contains(&Effect::Scan { payload: code.clone(), source: ScanSource::Wedge }), "{fx:?}");
    // The scanner reads the same code again a second later: one read.
    let end2 = burst(&mut app, end + Duration::from_secs(1));
    let fx = app.tick(end2 + Duration::from_millis(300), "18:30:01".into());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Scan { .. })), "debounced: {fx:?}");
    // Five seconds on, it is a new read (and the core will say ALREADY_USED).
    let end3 = burst(&mut app, end + Duration::from_secs(5));
    let fx = app.tick(end3 + Duration::from_millis(300), "18:30:05".into());
    assert!(fx.iter().any(|e| matches!(e, Effect::Scan { source: ScanSource::Wedge, .. })));
}

#[test]
fn verdicts_ring_and_fill_the_recent_list() {
    let mut app = signed_in(admin());
    let fx = app.apply(Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Camera, None));
    assert_eq!(fx, vec![Effect::Bell(Bell::Admit), Effect::LoadStats]);
    let fx = app.apply(Outcome::Scanned(outcome(Verdict::Forged), ScanSource::Wedge, None));
    assert_eq!(fx[0], Effect::Bell(Bell::Deny));
    for _ in 0..12 {
        app.apply(Outcome::Scanned(outcome(Verdict::AlreadyUsed), ScanSource::Manual, None));
    }
    assert_eq!(app.scan.recent.len(), 10);
    assert_eq!(app.scan.last.as_ref().map(|o| o.verdict), Some(Verdict::AlreadyUsed));
}

#[test]
fn camera_reads_scan_only_when_signed_in() {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    assert!(app.camera(CameraNote::Decoded("GH1-X".into())).is_empty());
    app.camera(CameraNote::Opened("replay: 3 images".into()));
    assert!(app.camera_ok);
    let mut app = signed_in(admin());
    assert_eq!(app.camera(CameraNote::Decoded("GH1-X".into())), vec![Effect::Scan { payload: "GH1-X".into(), source: ScanSource::Camera }]);
    app.camera(CameraNote::Error("no camera at index 0".into()));
    assert!(!app.camera_ok);
}

#[test]
fn issue_form_shows_couple_and_online_fields_and_submits_a_request() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(1));
    assert_eq!(app.screen, Screen::Issue);
    assert!(app.editing_text(), "the name field has focus on entry");
    // Back to the type selector, choose COUPLE.
    press(&mut app, &[KeyCode::Up, KeyCode::Right]);
    assert!(app.issue.is_couple(&app.cfg));
    press(&mut app, &[KeyCode::Down]);
    type_text(&mut app, "Asha Rao");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "9876543210");
    press(&mut app, &[KeyCode::Down]);
    type_text(&mut app, "Ravi Rao");
    press(&mut app, &[KeyCode::Down]);
    type_text(&mut app, "9876501234");
    press(&mut app, &[KeyCode::Down, KeyCode::Right]); // payment: ONLINE
    press(&mut app, &[KeyCode::Down]);
    type_text(&mut app, "UPI-55");
    // Digits and q typed into a field are text, not hotkeys.
    assert!(!app.quit);
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    let fx = press(&mut app, &[KeyCode::Enter]);
    let Some(Effect::Issue(req)) = fx.first() else { panic!("{fx:?}") };
    assert_eq!(req.pass_type, "COUPLE");
    assert_eq!((req.name.as_str(), req.phone.as_str()), ("Asha Rao", "9876543210"));
    assert_eq!(req.name2.as_deref(), Some("Ravi Rao"));
    assert_eq!((req.payment.as_str(), req.txn_ref.as_deref()), ("ONLINE", Some("UPI-55")));
    assert!(app.issue.busy);
    // The core's errors land on their fields.
    let mut errs = gatehouse::domain::validate::ValidationErrors::default();
    errs.add("phone2", "must be 7 to 15 digits (got 3)");
    app.apply(Outcome::IssueRejected(errs));
    assert_eq!(app.issue.errors.get("phone2"), Some("must be 7 to 15 digits (got 3)"));
    assert!(!app.issue.busy);
}

#[test]
fn quitting_with_unsaved_input_asks_first() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(1));
    type_text(&mut app, "Half typed");
    press(&mut app, &[KeyCode::Esc]);
    let fx = press(&mut app, &[KeyCode::Char('q')]);
    assert!(fx.is_empty() && app.confirm_quit && !app.quit);
    press(&mut app, &[KeyCode::Char('n')]);
    assert!(!app.confirm_quit && !app.quit);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let a = keys::map(&app, ctrl_c, Instant::now()).unwrap();
    app.update(a);
    assert!(app.confirm_quit);
    assert_eq!(press(&mut app, &[KeyCode::Char('y')]), vec![Effect::Quit]);
    assert!(app.quit);
    // With nothing typed, q quits at once.
    let mut app = signed_in(admin());
    assert_eq!(press(&mut app, &[KeyCode::Char('q')]), vec![Effect::Quit]);
}

#[test]
fn passes_search_filters_and_void_with_confirmation() {
    let mut app = signed_in(admin());
    let fx = app.update(Action::GoTo(2));
    assert!(matches!(fx.as_slice(), [Effect::LoadPasses(_)]));
    app.apply(Outcome::Passes(vec![Box::new(pass_view(couple_pass()))]));
    press(&mut app, &[KeyCode::Char('/')]);
    let fx = type_text(&mut app, "asha");
    let Some(Effect::LoadPasses(f)) = fx.last() else { panic!("{fx:?}") };
    assert_eq!(f.search.as_deref(), Some("asha"));
    press(&mut app, &[KeyCode::Enter]);
    let fx = press(&mut app, &[KeyCode::Char('s')]);
    let Some(Effect::LoadPasses(f)) = fx.last() else { panic!("{fx:?}") };
    assert_eq!(f.status, Some(gatehouse::domain::pass::PassStatus::Unused));
    press(&mut app, &[KeyCode::Char('v')]);
    assert!(app.prompt.is_some());
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "an empty reason is refused");
    type_text(&mut app, "refunded");
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "then asks y/n");
    assert!(app.prompt_is_confirm());
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    assert_eq!(fx, vec![Effect::VoidPass { id: PASS_ID.into(), reason: "refunded".into() }]);
}

#[test]
fn ledger_verify_reports_progress_then_result() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(4));
    assert_eq!(app.screen, Screen::Ledger);
    assert_eq!(press(&mut app, &[KeyCode::Char('v')]), vec![Effect::VerifyLedger]);
    assert!(app.ledger.verifying);
    assert!(press(&mut app, &[KeyCode::Char('v')]).is_empty(), "one verification at a time");
    app.progress(4096);
    assert_eq!(app.ledger.progress, 4096);
    app.apply(Outcome::Verified(gatehouse::domain::ledger::VerifyReport {
        ok: true,
        blocks: 5000,
        head_index: Some(4999),
        head_hash: Some("ab".repeat(32)),
        problem: None,
    }));
    assert!(!app.ledger.verifying && app.ledger.report.as_ref().is_some_and(|r| r.ok));
}

#[test]
fn ticks_refresh_stats_and_take_hourly_backups() {
    let mut app = signed_in(admin());
    let t0 = Instant::now();
    assert!(app.tick(t0, "18:30:00".into()).contains(&Effect::LoadStats));
    assert!(!app.tick(t0 + Duration::from_secs(1), "18:30:01".into()).contains(&Effect::LoadStats));
    assert!(app.tick(t0 + Duration::from_secs(6), "18:30:06".into()).contains(&Effect::LoadStats));
    assert!(!app.tick(t0 + Duration::from_secs(1800), "19:00:00".into()).contains(&Effect::Backup));
    assert!(app.tick(t0 + Duration::from_secs(3601), "19:30:01".into()).contains(&Effect::Backup));
    assert_eq!(app.clock, "19:30:01");
}
