//! The Scan screen: the entry, the wedge scanner, verdicts and the camera.

use super::*;

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
    assert_eq!(
        app.update(Action::ScanSubmit).effects(),
        vec![Effect::Scan { payload: code, source: ScanSource::Manual, opts: Default::default() }]
    );
    assert!(app.screens.scan.entry.is_empty());
}

#[test]
fn wedge_burst_without_terminator_scans_once_and_is_debounced() {
    let mut app = signed_in(admin());
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let t0 = Instant::now();
    let end = burst(&mut app, &code, t0);
    assert!(app.tick(end + Duration::from_millis(100), "18:30:00".into()).effects().iter().all(|e| !matches!(e, Effect::Scan { .. })));
    let fx = app.tick(end + Duration::from_millis(300), "18:30:00".into()).effects();
    assert!(fx.contains(&Effect::Scan { payload: code.clone(), source: ScanSource::Wedge, opts: Default::default() }), "{fx:?}");
    assert!(app.screens.scan.entry.is_empty(), "a burst never reaches the entry");
    // The scanner reads the same code again a second later: one read.
    let end2 = burst(&mut app, &code, end + Duration::from_secs(1));
    let fx = app.tick(end2 + Duration::from_millis(300), "18:30:01".into()).effects();
    assert!(!fx.iter().any(|e| matches!(e, Effect::Scan { .. })), "debounced: {fx:?}");
    // Five seconds on, it is a new read (and the core will say ALREADY_USED).
    let end3 = burst(&mut app, &code, end + Duration::from_secs(5));
    let fx = app.tick(end3 + Duration::from_millis(300), "18:30:05".into()).effects();
    assert!(fx.iter().any(|e| matches!(e, Effect::Scan { source: ScanSource::Wedge, .. })));
}

#[test]
fn a_lower_case_burst_with_q_is_a_scan_not_a_quit() {
    let mut app = signed_in(operator());
    // A code whose letters include q, as a scanner set to lower case types it.
    let code = "gh1-p-01-qq0000000000000000000000-qqqqqqqqqqqqqqqqqqqqqqqqqq";
    let end = burst(&mut app, code, Instant::now());
    let fx = app.key(key(KeyCode::Enter), end).effects();
    assert_eq!(fx, vec![Effect::Scan { payload: code.to_uppercase(), source: ScanSource::Wedge, opts: Default::default() }]);
    assert!(!app.quit && !app.confirm_quit);
}

#[test]
fn a_person_typing_on_scan_fills_the_entry_and_q_on_an_empty_entry_asks_to_quit() {
    let mut app = signed_in(admin());
    let t0 = Instant::now();
    let mut t = t0;
    for c in "70f1202e".chars() {
        app.key(key(KeyCode::Char(c)), t);
        t += Duration::from_millis(150);
        app.tick(t, "18:30:00".into());
    }
    assert_eq!(app.screens.scan.entry, "70f1202e");
    app.key(key(KeyCode::Esc), t);
    assert!(app.screens.scan.entry.is_empty());
    app.key(key(KeyCode::Char('q')), t + Duration::from_millis(200));
    app.tick(t + Duration::from_millis(300), "18:30:01".into());
    assert!(app.confirm_quit && !app.quit, "q on an empty entry is a person asking to quit");
}
#[test]
fn verdicts_ring_and_fill_the_recent_list() {
    let mut app = signed_in(admin());
    let fx = app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Camera, None)).effects();
    assert_eq!(fx, vec![Effect::Bell(Bell::Admit), Effect::LoadStats]);
    let fx = app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Forged), ScanSource::Wedge, None)).effects();
    assert_eq!(fx[0], Effect::Bell(Bell::Deny));
    // Already used sounds unlike a forgery.
    let fx = app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::AlreadyUsed), ScanSource::Wedge, None)).effects();
    assert_eq!(fx[0], Effect::Bell(Bell::AlreadyUsed));
    for _ in 0..12 {
        app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::AlreadyUsed), ScanSource::Manual, None));
    }
    assert_eq!(app.screens.scan.recent.len(), 10);
    assert_eq!(app.screens.scan.last.as_ref().map(|o| o.verdict), Some(Verdict::AlreadyUsed));
}

#[test]
fn camera_reads_scan_only_when_signed_in() {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    assert!(app.camera(CameraNote::Decoded("GH1-X".into())).effects().is_empty());
    app.camera(CameraNote::Opened("replay: 3 images".into()));
    assert!(app.camera_ok);
    let mut app = signed_in(admin());
    assert_eq!(
        app.camera(CameraNote::Decoded("GH1-X".into())).effects(),
        vec![Effect::Scan { payload: "GH1-X".into(), source: ScanSource::Camera, opts: Default::default() }]
    );
    app.camera(CameraNote::Error("no camera at index 0".into()));
    assert!(!app.camera_ok);
}

#[test]
fn manual_check_in_finds_picks_and_scans_by_id_with_a_reason() {
    let mut app = signed_in(operator());
    let fx = press(&mut app, &[KeyCode::Char('/')]);
    assert!(fx.is_empty() && app.screens.scan.checkin.is_some(), "operators may open it");
    let fx = type_text(&mut app, "rao asha");
    assert_eq!(fx.last(), Some(&Effect::FindCheckIn("rao asha".into())));
    let found = gatehouse::service::Candidate {
        kind: gatehouse::service::CandidateKind::Pass,
        id: PASS_ID.into(),
        name: "Asha Rao & Ravi Rao".into(),
        detail: "COUPLE · +919876543210".into(),
        status: "unused".into(),
    };
    // An answer to an older query is dropped.
    app.apply(Screen::Scan, Outcome::Found("rao".into(), vec![found.clone()]));
    assert!(app.screens.scan.checkin.as_ref().unwrap().found.is_empty());
    app.apply(Screen::Scan, Outcome::Found("rao asha".into(), vec![found]));
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.screens.scan.checkin.as_ref().unwrap().confirming);
    type_text(&mut app, "lost phone");
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert_eq!(fx, vec![Effect::ScanManual { id: PASS_ID.into(), reason: "lost phone".into() }]);
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::CheckIn, None));
    assert!(app.screens.scan.checkin.is_none());
    assert_eq!(app.screens.scan.recent.front().map(|r| r.1), Some(ScanSource::CheckIn));
}

#[test]
fn a_short_id_typed_on_scan_opens_the_check_in_search() {
    let mut app = signed_in(admin());
    type_text(&mut app, "3267D1B0");
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert_eq!(fx, vec![Effect::FindCheckIn("3267D1B0".into())]);
    assert!(app.screens.scan.checkin.is_some());
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.screens.scan.checkin.is_none());
}

#[test]
fn a_verdict_shows_for_its_time_then_ready_and_a_repeat_read_says_so() {
    let mut app = signed_in(admin());
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let t0 = Instant::now();
    let end = burst(&mut app, &code, t0);
    app.key(key(KeyCode::Enter), end);
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    app.tick(end + Duration::from_millis(40), "18:30:00".into());
    assert!(app.screens.scan.showing().is_some());
    assert_eq!(gatehouse::tui::screens::scan::big_word(app.screens.scan.showing().unwrap()), "ADMIT 2", "a couple: how many to let in");
    // The same card again a second later: not sent, but a visible sign.
    let end2 = burst(&mut app, &code, end + Duration::from_secs(1));
    assert!(app.key(key(KeyCode::Enter), end2).effects().is_empty());
    assert!(app.screens.scan.same_again && app.screens.scan.showing().is_some());
    app.tick(end2 + Duration::from_secs(4), "18:30:05".into());
    assert!(app.screens.scan.showing().is_some(), "the repeat showed it again");
    app.tick(end2 + Duration::from_secs(5), "18:30:06".into());
    assert!(app.screens.scan.showing().is_none() && !app.screens.scan.same_again, "after 5 s the screen says READY");
    // A new verdict equal to the last is still visibly new: its number.
    let seq = app.screens.scan.seq;
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    assert_eq!(app.screens.scan.seq, seq + 1);
    assert!(app.screens.scan.showing().is_some());
}

#[test]
fn sound_can_be_turned_off_and_the_verdict_time_set() {
    let mut cfg = Config::default();
    cfg.console.sound = false;
    cfg.console.verdict_secs = 2.0;
    let mut app = App::new(cfg, "Main Gate".into(), "/tmp".into());
    app.apply(Screen::Login, Outcome::LoggedIn(operator()));
    let fx = app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Forged), ScanSource::Camera, None)).effects();
    assert!(!fx.iter().any(|e| matches!(e, Effect::Bell(_))), "{fx:?}");
    let t0 = Instant::now();
    app.tick(t0, "18:30:00".into());
    app.tick(t0 + Duration::from_millis(1900), "18:30:01".into());
    assert!(app.screens.scan.showing().is_some());
    app.tick(t0 + Duration::from_secs(2), "18:30:02".into());
    assert!(app.screens.scan.showing().is_none());
}

#[test]
fn a_burst_on_the_sign_in_screen_is_a_scan_refused_never_typed() {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    for end_key in [Some(KeyCode::Enter), Some(KeyCode::Tab), None] {
        let end = burst(&mut app, &code, Instant::now());
        let mut fx = match end_key {
            Some(k) => app.key(key(k), end + Duration::from_millis(4)).effects(),
            None => vec![],
        };
        fx.extend(app.tick(end + Duration::from_millis(400), "18:30:00".into()).effects());
        assert!(app.screens.login.user.is_empty() && app.screens.login.pass.is_empty(), "{end_key:?}: typed into a field");
        assert!(!app.screens.login.focus_pass, "{end_key:?}: the Enter moved the focus");
        assert!(!fx.iter().any(|e| matches!(e, Effect::Login { .. } | Effect::Scan { .. })), "{fx:?}");
        assert_eq!(fx, vec![Effect::Bell(Bell::Deny)], "the guest hears a denial");
        assert_eq!(app.screens.login.error.as_deref(), Some(gatehouse::tui::screens::login::SCAN_REFUSED));
    }
    // A person still signs in, a key at a time.
    let mut t = Instant::now();
    for c in "asha".chars() {
        app.key(key(KeyCode::Char(c)), t);
        t += Duration::from_millis(150);
        app.tick(t, "18:30:00".into());
    }
    assert_eq!(app.screens.login.user.value(), "asha");
}

#[test]
fn a_foreign_code_is_a_scan_with_a_verdict_of_its_own_never_keys() {
    let codes = ["https://example.com/t/12345", "upi://pay?pa=shop@okbank&pn=Shop&am=10", "HELLO-WORLD", "ABCDEFGHIJK"];
    for actor in [admin(), operator()] {
        for (place, app) in every_place(actor.clone()) {
            for code in codes {
                let mut app = app.clone();
                let before = format!(
                    "{:?}{:?}{:?}{:?}",
                    app.screen,
                    app.screens.issue.name.value(),
                    app.screens.passes.search.value(),
                    app.screens.scan.checkin.is_some()
                );
                let end = burst(&mut app, code, Instant::now());
                let fx = app.key(key(KeyCode::Enter), end + Duration::from_millis(4)).effects();
                assert_eq!(
                    fx,
                    vec![Effect::Scan { payload: code.into(), source: ScanSource::Wedge, opts: Default::default() }],
                    "{place}: {code}"
                );
                let after = format!(
                    "{:?}{:?}{:?}{:?}",
                    app.screen,
                    app.screens.issue.name.value(),
                    app.screens.passes.search.value(),
                    app.screens.scan.checkin.is_some()
                );
                assert_eq!(before, after, "{place}: {code} acted as keys");
            }
        }
    }
    let mut o = outcome(Verdict::Malformed);
    o.reason = gatehouse::domain::payload::Malformed::NotOurs.to_string();
    assert_eq!(gatehouse::tui::screens::scan::big_word(&o), "NOT A PASS");
}

#[test]
fn a_scan_while_manual_check_in_is_open_shows_its_verdict_and_keeps_the_box() {
    let mut app = signed_in(operator());
    press(&mut app, &[KeyCode::Char('/')]);
    type_text(&mut app, "fat");
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let end = burst(&mut app, &code, Instant::now() + Duration::from_secs(1));
    let fx = app.key(key(KeyCode::Enter), end + Duration::from_millis(4)).effects();
    assert_eq!(fx, vec![Effect::Scan { payload: code, source: ScanSource::Wedge, opts: Default::default() }]);
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    assert_eq!(app.screens.scan.checkin.as_ref().map(|c| c.query.value()), Some("fat".into()), "the box and its text stay");
    assert!(app.status.as_ref().is_some_and(|s| s.text.contains("ADMIT 2")), "the footer says it too: {:?}", app.status);
}

#[test]
fn a_scan_on_passes_reloads_the_list() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(2));
    let fx = app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None)).effects();
    assert!(fx.contains(&Effect::LoadPasses(app.screens.passes.filter())), "{fx:?}");
}

#[test]
fn a_scan_during_the_sign_in_check_is_scanned_once_signed_in() {
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    let t0 = Instant::now();
    let mut t = t0;
    for c in "asha\rpw-long-enough\r".chars() {
        let k = if c == '\r' { KeyCode::Enter } else { KeyCode::Char(c) };
        app.key(key(k), t);
        t += Duration::from_millis(150);
        app.tick(t, "18:30:00".into());
    }
    assert!(app.screens.login.busy, "checking the password");
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let end = burst(&mut app, &code, t);
    assert!(app.key(key(KeyCode::Enter), end + Duration::from_millis(4)).effects().is_empty());
    let fx = app.apply(Screen::Login, Outcome::LoggedIn(admin())).effects();
    assert!(fx.contains(&Effect::Scan { payload: code.clone(), source: ScanSource::Wedge, opts: Default::default() }), "{fx:?}");
    // If the sign-in fails, the read is reported, not kept.
    let mut app = App::new(Config::default(), "Main Gate".into(), "/tmp".into());
    app.screens.login.busy = true;
    let end = burst(&mut app, &code, Instant::now());
    app.key(key(KeyCode::Enter), end + Duration::from_millis(4));
    app.apply(Screen::Login, Outcome::LoginFailed("wrong username or password".into()));
    assert_eq!(app.screens.login.error.as_deref(), Some("wrong username or password · a code read meanwhile was not checked"));
}

/// A `both` gate's console: scans record exits when the key says so.
fn at_gate(direction: &str) -> App {
    let mut app = signed_in(operator());
    app.cfg.gate.direction = direction.into();
    app
}

fn sent(fx: &[Effect]) -> Option<gatehouse::service::ScanOpts> {
    fx.iter().find_map(|e| if let Effect::Scan { opts, .. } = e { Some(*opts) } else { None })
}

#[test]
fn exit_key_marks_only_the_next_scan_and_a_burst_is_still_a_scan() {
    let mut app = at_gate("both");
    press(&mut app, &[KeyCode::Char('<')]);
    assert!(app.screens.scan.next.exit);
    assert_eq!(app.screens.scan.mode_text(app.cfg.gate_direction()).as_deref(), Some("NEXT SCAN: EXIT"));
    // The scanner's read goes through the scanner path whatever the mode.
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let end = burst(&mut app, &code, Instant::now());
    let fx = app.key(key(KeyCode::Enter), end).effects();
    assert_eq!(sent(&fx), Some(gatehouse::service::ScanOpts { exit: true, persons: None }), "{fx:?}");
    assert!(app.screens.scan.entry.is_empty(), "the burst never reached the entry");
    // Spent: the next scan is an entry again.
    assert!(!app.screens.scan.next.exit);
    app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Exited), ScanSource::Wedge, None));
    let fx = app.camera(gatehouse::tui::event::CameraNote::Decoded("GH1-Y".into())).effects();
    assert_eq!(sent(&fx), Some(Default::default()));
    // Pressed twice: off again; Esc clears it too.
    press(&mut app, &[KeyCode::Char('<'), KeyCode::Char('<')]);
    assert!(!app.screens.scan.next.exit);
    press(&mut app, &[KeyCode::Char('<'), KeyCode::Esc]);
    assert!(!app.screens.scan.next.exit);
    assert!(gatehouse::tui::ui::footer_keys(&app).contains("< exit"), "offered at a both gate");
    let entry = at_gate("in");
    assert!(!gatehouse::tui::ui::footer_keys(&entry).contains("< exit"), "not at an entry gate");
}

#[test]
fn exit_key_at_an_entry_gate_says_why_and_an_exit_gate_always_exits() {
    let mut app = at_gate("in");
    press(&mut app, &[KeyCode::Char('<')]);
    assert!(!app.screens.scan.next.exit);
    assert!(app.status.as_ref().is_some_and(|s| s.error && s.text.contains("entry gate")), "{:?}", app.status);
    let out = at_gate("out");
    assert_eq!(out.screens.scan.mode_text(out.cfg.gate_direction()).as_deref(), Some("EXIT GATE: every scan records an exit"));
}

#[test]
fn plus_k_enter_admits_k_of_a_group_on_the_next_scan_only() {
    let mut app = at_gate("in");
    press(&mut app, &[KeyCode::Char('+'), KeyCode::Char('1'), KeyCode::Enter]);
    assert_eq!(app.screens.scan.next.persons, Some(1));
    assert_eq!(app.screens.scan.mode_text(app.cfg.gate_direction()).as_deref(), Some("NEXT SCAN: ADMIT 1 OF THE GROUP"));
    let fx = app.camera(gatehouse::tui::event::CameraNote::Decoded("GH1-Y".into())).effects();
    assert_eq!(sent(&fx), Some(gatehouse::service::ScanOpts { exit: false, persons: Some(1) }));
    assert_eq!(app.screens.scan.next, Default::default(), "spent by one scan");
    // K typed and a scanner read before Enter: the read is the Enter.
    press(&mut app, &[KeyCode::Char('+'), KeyCode::Char('2')]);
    let code = payload(gatehouse::domain::payload::Kind::Pass, PASS_ID);
    let end = burst(&mut app, &code, Instant::now() + Duration::from_secs(10));
    let fx = app.key(key(KeyCode::Enter), end).effects();
    assert_eq!(sent(&fx), Some(gatehouse::service::ScanOpts { exit: false, persons: Some(2) }), "{fx:?}");
    assert!(app.screens.scan.persons_entry.is_none());
    // Letters are not K; 0 is refused with a word; Esc drops it.
    press(&mut app, &[KeyCode::Char('+'), KeyCode::Char('x'), KeyCode::Char('0'), KeyCode::Enter]);
    assert_eq!(app.screens.scan.next.persons, None);
    assert!(app.status.as_ref().is_some_and(|s| s.error), "{:?}", app.status);
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.screens.scan.persons_entry.is_none());
    // A typed code never sets a mode: `<` and `+` are not code characters.
    type_text(&mut app, "GH1");
    press(&mut app, &[KeyCode::Char('+')]);
    assert!(app.screens.scan.persons_entry.is_none());
}

#[test]
fn partial_group_verdicts_say_how_many_of_the_group() {
    use gatehouse::domain::scan::Persons;
    use gatehouse::tui::screens::scan::{big_word, group_line};
    assert_eq!(group_line(Persons { this_scan: 1, of: 2, still_to_come: 1 }), "1 of 2, 1 still to come");
    assert_eq!(group_line(Persons { this_scan: 1, of: 2, still_to_come: 0 }), "2 of 2");
    let mut o = outcome(Verdict::Admitted);
    o.persons = Some(Persons { this_scan: 1, of: 2, still_to_come: 1 });
    assert_eq!(big_word(&o), "ADMIT 1", "the people let in now, not the pass's size");
}

#[test]
fn every_verdict_fits_the_last_scans_column() {
    for v in Verdict::ALL {
        let w = gatehouse::tui::screens::scan::short_word(v);
        assert!(w.len() <= 12, "{w}");
    }
}
