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
use gatehouse::tui::effect::{Bell, ScanSource};
use gatehouse::tui::event::CameraNote;
use gatehouse::tui::keys;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[path = "tui/app_issue.rs"]
mod issue;
#[path = "tui/app_ledger.rs"]
mod ledger;
#[path = "tui/app_offline.rs"]
mod offline;
#[path = "tui/app_passes.rs"]
mod passes;
#[path = "tui/app_residents.rs"]
mod residents;
#[path = "tui/app_scan.rs"]
mod scan;
#[path = "tui/app_users.rs"]
mod users;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Press keys through the real key map.
fn press(app: &mut App, codes: &[KeyCode]) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in codes {
        if let Some(a) = keys::map(app, key(*c), Instant::now()) {
            fx.extend(app.update(a).effects());
        }
    }
    fx
}

/// Type `text` as a wedge scanner does, 4 ms a key, through the scanner
/// path; returns when the last key arrived.
fn burst(app: &mut App, text: &str, start: Instant) -> Instant {
    let mut t = start;
    for c in text.chars() {
        let fx = app.key(key(KeyCode::Char(c)), t).effects();
        assert!(fx.iter().all(|e| !matches!(e, Effect::Quit)), "a key of a burst quit: {fx:?}");
        t += Duration::from_millis(4);
    }
    t - Duration::from_millis(4)
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
    assert!(app.screens.login.pass.is_empty(), "the password is not kept in state");
    app.apply(Screen::Login, Outcome::LoginFailed("wrong username or password".into()));
    assert_eq!(app.screens.login.error.as_deref(), Some("wrong username or password"));
    let fx = app.apply(Screen::Login, Outcome::LoggedIn(admin())).effects();
    assert_eq!(app.screen, Screen::Scan);
    assert_eq!(fx, vec![Effect::LoadStats]);
}

#[test]
fn operators_see_scan_and_stats_only() {
    let mut app = signed_in(operator());
    assert_eq!(app.tabs(), vec![Screen::Scan, Screen::Stats]);
    app.update(Action::GoTo(2));
    assert_eq!(app.screen, Screen::Scan, "Passes is not an operator's");
    // F3 is Issue for everyone: an operator is told it is not theirs.
    let fx = press(&mut app, &[KeyCode::F(3)]);
    assert!(fx.is_empty() && app.screen == Screen::Scan, "{fx:?}");
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some("Issue is for admins; yours: F2 Scan, F7 Stats"));
    press(&mut app, &[KeyCode::F(7)]);
    assert_eq!(app.screen, Screen::Stats, "F7 is Stats for every role");
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.screen, Screen::Scan);
    press(&mut app, &[KeyCode::Tab]);
    assert_eq!(app.screen, Screen::Stats);
    let admin_app = signed_in(admin());
    assert_eq!(admin_app.tabs().len(), 7);
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
    // With nothing typed, q still asks.
    let mut app = signed_in(admin());
    assert!(press(&mut app, &[KeyCode::Char('q')]).is_empty());
    assert!(app.confirm_quit && !app.quit);
    assert_eq!(press(&mut app, &[KeyCode::Char('y')]), vec![Effect::Quit]);
}

#[test]
fn sign_out_keeps_the_camera_and_last_scans_for_the_next_operator() {
    let mut app = signed_in(admin());
    app.camera(CameraNote::Opened("replay: 3 images".into()));
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Camera, None));
    app.update(Action::GoTo(1));
    type_text(&mut app, "Half typed");
    // A form holds input: sign-out asks first.
    assert!(press(&mut app, &[KeyCode::F(8)]).is_empty());
    assert!(app.confirm_sign_out && app.actor.is_some());
    assert_eq!(press(&mut app, &[KeyCode::Char('y')]), vec![Effect::SignOut]);
    assert_eq!(app.screen, Screen::Login);
    assert!(app.actor.is_none() && app.tabs().is_empty());
    assert!(!app.screens.issue.dirty(), "the next operator does not see the last one's form");
    assert!(app.camera_ok && app.screens.scan.recent.len() == 1);
    assert_eq!(app.screens.login.error.as_deref(), Some("asha signed out"));
    // The camera keeps running, but nothing is scanned until someone signs in.
    assert!(app.camera(CameraNote::Decoded("GH1-X".into())).effects().is_empty());
    app.apply(Screen::Login, Outcome::LoggedIn(operator()));
    assert_eq!((app.screen, app.tabs().len()), (Screen::Scan, 2));
    assert_eq!(app.screens.scan.recent.len(), 1);
}

#[test]
fn the_idle_lock_signs_out_after_the_configured_minutes_and_is_off_by_default() {
    let t0 = Instant::now();
    let mut app = signed_in(admin());
    app.tick(t0, "18:30:00".into());
    assert!(!app.tick(t0 + Duration::from_secs(24 * 3600), "18:30:00".into()).effects().contains(&Effect::SignOut));
    assert!(app.actor.is_some(), "off by default");
    let mut cfg = Config::default();
    cfg.console.idle_lock_minutes = 5;
    let mut app = App::new(cfg, "Main Gate".into(), "/tmp".into());
    app.apply(Screen::Login, Outcome::LoggedIn(operator()));
    app.tick(t0, "18:30:00".into());
    app.key(key(KeyCode::Char('?')), t0 + Duration::from_secs(200));
    assert!(!app.tick(t0 + Duration::from_secs(400), "18:36:40".into()).effects().contains(&Effect::SignOut), "a key resets it");
    assert!(app.tick(t0 + Duration::from_secs(500), "18:38:20".into()).effects().contains(&Effect::SignOut));
    assert_eq!(app.screen, Screen::Login);
    assert_eq!(app.screens.login.error.as_deref(), Some("locked after 5 idle minutes; sign in again"));
}

#[test]
fn ticks_refresh_stats_and_take_hourly_backups() {
    let mut app = signed_in(admin());
    let t0 = Instant::now();
    assert!(app.tick(t0, "18:30:00".into()).effects().contains(&Effect::LoadStats));
    assert!(!app.tick(t0 + Duration::from_secs(1), "18:30:01".into()).effects().contains(&Effect::LoadStats));
    assert!(app.tick(t0 + Duration::from_secs(6), "18:30:06".into()).effects().contains(&Effect::LoadStats));
    assert!(!app.tick(t0 + Duration::from_secs(1800), "19:00:00".into()).effects().contains(&Effect::Backup));
    assert!(app.tick(t0 + Duration::from_secs(3601), "19:30:01".into()).effects().contains(&Effect::Backup));
    assert_eq!(app.clock, "19:30:01");
}

/// Every screen and overlay a signed-in user can be on, by name.
fn every_place(actor: gatehouse::domain::user::Actor) -> Vec<(String, App)> {
    let mut places = Vec::new();
    let base = signed_in(actor);
    for s in base.tabs().iter() {
        let mut app = base.clone();
        app.update(Action::GoTo(s.place().unwrap_or(0)));
        places.push((s.title().to_string(), app.clone()));
        let mut help = app.clone();
        help.update(Action::ToggleHelp);
        places.push((format!("{} with help", s.title()), help));
    }
    // `+` pressed, K not typed yet: a burst is still a scan, never K.
    let mut typing_k = base.clone();
    typing_k.update(Action::GroupPart);
    places.push(("Scan with K asked".into(), typing_k));
    let mut issue = base.clone();
    issue.update(Action::GoTo(1));
    if issue.screen == Screen::Issue {
        issue.screens.issue.name.set("Half typed");
        let mut asking = issue.clone();
        asking.update(Action::Quit);
        places.push(("Issue with quit asked".into(), asking));
        places.push(("Issue with a name typed".into(), issue));
        let mut passes = base.clone();
        passes.update(Action::GoTo(2));
        passes.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(couple_pass()))]));
        let mut searching = passes.clone();
        searching.update(Action::StartSearch);
        places.push(("Passes searching".into(), searching));
        passes.update(Action::Void);
        places.push(("Passes void prompt".into(), passes));
        let mut res = base.clone();
        res.update(Action::GoTo(3));
        res.update(Action::AddResident);
        places.push(("Residents form".into(), res));
    }
    places
}

#[test]
fn a_burst_is_scanned_on_every_screen_and_overlay_and_changes_nothing_else() {
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    for actor in [admin(), operator()] {
        for (place, mut app) in every_place(actor.clone()) {
            let before = format!("{:?}{:?}{:?}", app.screen, app.screens.issue.name.value(), app.screens.passes.search.value());
            let (help, prompt, quitting) = (app.help, app.prompt_open(), app.confirm_quit);
            // Lower case, as a scanner with Caps Lock on types it, then Enter.
            let end = burst(&mut app, &code.to_lowercase(), Instant::now());
            let fx = app.key(key(KeyCode::Enter), end + Duration::from_millis(4)).effects();
            assert_eq!(fx, vec![Effect::Scan { payload: code.clone(), source: ScanSource::Wedge, opts: Default::default() }], "{place}");
            let after = format!("{:?}{:?}{:?}", app.screen, app.screens.issue.name.value(), app.screens.passes.search.value());
            assert_eq!(before, after, "{place}: the burst changed the screen or a field");
            assert_eq!((app.help, app.prompt_open(), app.confirm_quit, app.quit), (help, prompt, quitting, false), "{place}");
            assert!(app.prompt().is_none_or(|p| p.input.value().is_empty()), "{place}: typed into the prompt");
        }
    }
}

#[test]
fn no_burst_can_produce_quit() {
    // Every character a scanner can type, in bursts long and short, ended
    // by Enter, Tab or a pause, on every screen and overlay.
    let alphabet: String = ('a'..='z').chain('A'..='Z').chain('0'..='9').chain(['-', 'q', 'y', 'Q', 'Y']).collect();
    let mut texts = vec![alphabet.clone(), "q".repeat(20), "yq".into(), "qy".into(), "y".repeat(3)];
    texts.extend(alphabet.as_bytes().chunks(5).map(|c| String::from_utf8_lossy(c).into_owned()));
    for (place, app) in every_place(admin()).into_iter().chain(every_place(operator())) {
        for text in &texts {
            for end_key in [Some(KeyCode::Enter), Some(KeyCode::Tab), None] {
                let mut app = app.clone();
                let end = burst(&mut app, text, Instant::now());
                let mut fx = match end_key {
                    Some(k) => app.key(key(k), end + Duration::from_millis(4)).effects(),
                    None => vec![],
                };
                fx.extend(app.tick(end + Duration::from_millis(400), "18:30:00".into()).effects());
                assert!(!fx.contains(&Effect::Quit) && !app.quit, "{place}: burst {text:?} then {end_key:?} quit");
            }
        }
    }
}

#[test]
fn human_speed_typing_still_reaches_forms_and_keys() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(1));
    let mut t = Instant::now();
    for c in "Asha Rao q".chars() {
        app.key(key(KeyCode::Char(c)), t);
        t += Duration::from_millis(120);
        app.tick(t, "18:30:00".into());
    }
    assert_eq!(app.screens.issue.name.value(), "Asha Rao q");
    // Pasted fast (as tmux sends it), a short run is still text in a field.
    for c in "xy".chars() {
        app.key(key(KeyCode::Char(c)), t);
        t += Duration::from_millis(2);
    }
    app.tick(t + Duration::from_millis(100), "18:30:00".into());
    assert_eq!(app.screens.issue.name.value(), "Asha Rao qxy");
}

#[test]
fn a_result_goes_back_to_the_screen_that_asked() {
    let mut app = signed_in(admin());
    // A scan under way (from the camera), then Issue asks and fails.
    let fx = app.camera(CameraNote::Decoded("GH1-X".into()));
    assert!(fx.iter().all(|j| j.asker == Asker::Screen(Screen::Scan)), "{fx:?}");
    app.update(Action::GoTo(1));
    app.screens.issue.busy = true;
    app.apply(Screen::Issue, Outcome::Failed("issuing passes needs the server (offline)".into()));
    assert!(!app.screens.issue.busy, "the asker stops waiting");
    assert!(app.screens.scan.busy, "the scan still waits for its own answer");
    assert_eq!(app.status.as_ref().map(|s| s.error), Some(true), "the footer says why");
    // A burst on another screen is the Scan screen's question.
    app.update(Action::GoTo(4));
    let jobs = app.update(Action::Verify);
    assert_eq!(jobs, vec![Job { asker: Asker::Screen(Screen::Ledger), effect: Effect::VerifyLedger }]);
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let end = burst(&mut app, &code, Instant::now());
    let jobs = app.key(key(KeyCode::Enter), end + Duration::from_millis(4));
    assert_eq!(jobs.iter().map(|j| j.asker).collect::<Vec<_>>(), vec![Asker::Screen(Screen::Scan)]);
    // The ledger's failure leaves the scan waiting, and ends the verification.
    app.apply(Screen::Ledger, Outcome::Failed("verification failed to run: disk".into()));
    assert!(!app.screens.ledger.verifying && app.screens.scan.busy);
    // The sync job and timed loads are the console's own.
    assert!(app.tick(Instant::now(), "18:30:00".into()).iter().all(|j| j.asker == Asker::App));
}

/// Screens draw from their own state and a `View`: none reaches into the
/// App (or the frame drawing it), so they form no cycle with it.
#[test]
fn no_screen_imports_the_app() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui/screens");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for bad in ["tui::app", "super::app", "super::super::app", "tui::ui", "super::ui"] {
            assert!(!text.contains(bad), "{} uses {bad}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 10, "read {seen} screen files");
}
