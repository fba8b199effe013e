//! The console's behaviour without a terminal: keys become actions, actions
//! change state and return effects, outcomes come back in. The routing and
//! global keys are tested here; each screen's behaviour in `tui/app_<screen>.rs`.

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

#[path = "tui/app_issue.rs"]
mod issue;
#[path = "tui/app_ledger.rs"]
mod ledger;
#[path = "tui/app_passes.rs"]
mod passes;
#[path = "tui/app_scan.rs"]
mod scan;

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
