//! Every screen and every verdict, drawn by ratatui's TestBackend at 80x24
//! and 120x40 and compared with insta snapshots.

#[path = "tui/fixtures.rs"]
mod fixtures;
#[path = "tui/floor_80x24.rs"]
mod floor;

use fixtures::*;
use gatehouse::domain::audit::{AuditReport, Finding};
use gatehouse::domain::ledger::{Problem, StoredBlock, VerifyReport};
use gatehouse::domain::resident::Presence;
use gatehouse::domain::scan::Verdict;
use gatehouse::service::Verification;
use gatehouse::tui::action::Action;
use gatehouse::tui::effect::ScanSource;
use gatehouse::tui::theme::Theme;
use gatehouse::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app, &Theme { color: false })).unwrap();
    t
}

fn snap(name: &str, app: &App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let t = draw(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

/// The QR codes on a drawn screen, read as a phone would: each cell two
/// pixels high (half blocks), light where the terminal draws ink, scaled up.
fn screen_qr(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    let (w, h) = (buf.area.width as usize, buf.area.height as usize * 2);
    const S: usize = 4;
    let light = |x: usize, y: usize| -> bool {
        match buf[(x as u16, (y / 2) as u16)].symbol() {
            "█" => true,
            "▀" => y.is_multiple_of(2),
            "▄" => !y.is_multiple_of(2),
            _ => false,
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_bitmap(w * S, h * S, |x, y| !light(x / S, y / S));
    img.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect()
}

fn blocks() -> Vec<StoredBlock> {
    (0..6u64)
        .rev()
        .map(|i| StoredBlock {
            index: i,
            ts: format!("2026-11-21T18:{:02}:00.000000Z", 10 + i),
            operator: if i % 2 == 0 { "asha".into() } else { "omar".into() },
            gate: "Main Gate".into(),
            event: if i < 2 { "pass_issue".into() } else { "scan".into() },
            data: format!("{{\"id\":\"{PASS_ID}\",\"verdict\":\"ADMITTED\"}}"),
            prev_hash: format!("{:064x}", i),
            hash: format!("{:064x}", i + 1000),
            key_id: "01".into(),
            signature: "00".repeat(32),
        })
        .collect()
}

#[test]
fn every_screen_at_80x24_and_120x40() {
    // Times are shown in local time; fix the zone so snapshots match anywhere.
    // SAFETY: the only test in this binary, set before any thread reads it.
    unsafe { std::env::set_var("TZ", "UTC") };

    let mut login = App::new(gatehouse::config::Config::default(), "Main Gate".into(), "/var/lib/gatehouse".into());
    login.clock = "18:30:00".into();
    snap("login", &login);
    login.screens.login.user.set("asha");
    login.apply(Screen::Login, Outcome::LoginFailed("user asha is locked after 5 wrong passwords; try again in 4 min".into()));
    snap("login_locked", &login);

    let app = signed_in(admin());
    snap("scan_ready", &app);
    for v in Verdict::ALL {
        let mut app = signed_in(admin());
        app.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Camera, None));
        app.apply(Screen::Scan, Outcome::Scanned(outcome(v), ScanSource::Wedge, None));
        snap(&format!("scan_{}", v.as_str().to_lowercase()), &app);
    }
    // A pass with a note: the note first, in a colour no verdict uses.
    let mut noted = signed_in(admin());
    let mut o = outcome(Verdict::Admitted);
    o.note = Some("wheelchair access".into());
    noted.apply(Screen::Scan, Outcome::Scanned(o, ScanSource::Wedge, None));
    snap("scan_admitted_with_note", &noted);
    let t = draw(&noted, 80, 24);
    let buf = t.backend().buffer();
    let at = (0..24u16)
        .flat_map(|y| (0..76u16).map(move |x| (x, y)))
        .find(|&(x, y)| (0..4u16).map(|i| buf[(x + i, y)].symbol()).collect::<String>() == "NOTE")
        .expect("the note is on screen at 80x24");
    // Its own colour (reversed where the theme has no colour, as here unless NO_COLOR is unset).
    let cell = &buf[at];
    assert!(
        cell.bg == ratatui::style::Color::Magenta || cell.modifier.contains(ratatui::style::Modifier::REVERSED),
        "the note stands out: {cell:?}"
    );
    // A `both` gate: `<` makes the next scan an exit, shown on the Code box.
    let mut exit_next = signed_in(operator());
    exit_next.cfg.gate.direction = "both".into();
    exit_next.update(Action::ExitNext);
    snap("scan_exit_next", &exit_next);
    // `+` then K: typing K, then set.
    let mut part = signed_in(operator());
    part.update(Action::GroupPart);
    part.update(Action::ScanChar('1', std::time::Instant::now()));
    snap("scan_group_part_typing", &part);
    part.update(Action::ScanSubmit);
    snap("scan_group_part_set", &part);
    // A couple arriving apart: 1 of 2, then 2 of 2.
    let mut apart = signed_in(operator());
    let mut o = outcome(Verdict::Admitted);
    o.persons = Some(gatehouse::domain::scan::Persons { this_scan: 1, of: 2, still_to_come: 1 });
    apart.apply(Screen::Scan, Outcome::Scanned(o.clone(), ScanSource::Wedge, None));
    snap("scan_admitted_1_of_2", &apart);
    o.persons = Some(gatehouse::domain::scan::Persons { this_scan: 1, of: 2, still_to_come: 0 });
    apart.apply(Screen::Scan, Outcome::Scanned(o, ScanSource::Wedge, None));
    snap("scan_admitted_2_of_2", &apart);
    let s = draw(&apart, 80, 24).backend().to_string();
    assert!(s.contains("2 of 2") && s.contains("ADMITTED") && s.contains("1/2 Asha"), "{s}");
    // A resident with a photo on file: drawn beside the verdict on wide screens.
    let mut with_photo = signed_in(admin());
    let face = image::DynamicImage::ImageLuma8(image::GrayImage::from_fn(96, 96, |x, y| {
        let (dx, dy) = (x as i32 - 48, y as i32 - 40);
        image::Luma([if dx * dx + dy * dy < 900 {
            220
        } else if y > 70 {
            90
        } else {
            30
        }])
    }));
    let area = ratatui::layout::Rect::new(0, 0, gatehouse::tui::effect::PHOTO_COLS, gatehouse::tui::effect::PHOTO_ROWS);
    let photo = ratatui_image::picker::Picker::halfblocks().new_protocol(face, area, ratatui_image::Resize::Fit(None)).unwrap();
    with_photo.apply(
        Screen::Scan,
        Outcome::Scanned(outcome(Verdict::ResidentIn), ScanSource::Camera, Some(gatehouse::tui::effect::Photo(photo))),
    );
    snap("scan_resident_in_with_photo", &with_photo);
    // Admitted outside its slot under the `warn` policy.
    let mut warned = signed_in(operator());
    let mut o = outcome(Verdict::Admitted);
    o.warning = Some("outside its slot: slot 2026-11-21 19:00-23:00; now 2026-11-21 18:30 (30 min early)".into());
    warned.apply(Screen::Scan, Outcome::Scanned(o, ScanSource::Wedge, None));
    snap("scan_admitted_with_slot_warning", &warned);
    // The same card read again inside the debounce window.
    let mut again = signed_in(operator());
    again.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    let now = std::time::Instant::now();
    again.screens.scan.submit("GH1-SAME".into(), ScanSource::Wedge, Some(now));
    again.screens.scan.submit("GH1-SAME".into(), ScanSource::Wedge, Some(now + std::time::Duration::from_secs(1)));
    snap("scan_same_card_again", &again);
    // The verdict's time is up: READY for the next guest.
    again.tick(now, "18:30:00".into());
    again.tick(now + std::time::Duration::from_secs(6), "18:30:06".into());
    snap("scan_verdict_expired", &again);

    let mut typing = signed_in(operator());
    for c in "GH1-P-01-0T3M".chars() {
        typing.update(Action::ScanChar(c, std::time::Instant::now()));
    }
    typing.camera(gatehouse::tui::event::CameraNote::Opened("replay: 3 images".into()));
    typing.preview = Some(image::GrayImage::from_fn(64, 36, |x, y| image::Luma([((x * 4 + y * 3) % 256) as u8])));
    snap("scan_operator_typing_with_camera", &typing);

    let mut checkin = signed_in(operator());
    checkin.update(Action::StartSearch);
    for c in "rao".chars() {
        checkin.update(Action::Type(ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Char(c))));
    }
    let cand = |id: &str, name: &str, detail: &str, status: &str| gatehouse::service::Candidate {
        kind: gatehouse::service::CandidateKind::Pass,
        id: id.into(),
        name: name.into(),
        detail: detail.into(),
        status: status.into(),
    };
    checkin.apply(
        Screen::Scan,
        Outcome::Found(
            "rao".into(),
            vec![
                cand(PASS_ID, "Asha Rao & Ravi Rao", "COUPLE · +919876543210 · 7:00 PM - 11:00 PM", "unused"),
                cand("70f1202e-0000-4000-8000-000000000002", "Dev Rao", "room A-101 · 9876500001", "OUT"),
            ],
        ),
    );
    snap("scan_checkin_search", &checkin);
    checkin.update(Action::Submit);
    snap("scan_checkin_confirm", &checkin);

    let mut issue = signed_in(admin());
    open_issue(&mut issue, event_types());
    snap("issue_empty", &issue);
    issue.update(Action::Up);
    issue.update(Action::Cycle(1));
    issue.screens.issue.name.set("Asha Rao");
    issue.screens.issue.phone.set("98765");
    issue.screens.issue.payment_idx = 1;
    let mut errs = gatehouse::domain::validate::ValidationErrors::default();
    errs.add("phone", "must be 7 to 15 digits (got 5)");
    errs.add("name2", "is required");
    errs.add("txn", "an ONLINE payment needs a transaction reference");
    issue.apply(Screen::Issue, Outcome::IssueRejected(errs));
    snap("issue_errors", &issue);
    let mut dup = issue.clone();
    dup.apply(
        Screen::Issue,
        Outcome::IssueDuplicate {
            held: "Asha Rao already holds a COUPLE pass for 7:00 PM - 11:00 PM (issued 2026-11-21 18:30, unused)".into(),
            existing_id: PASS_ID.into(),
        },
    );
    snap("issue_duplicate_asks", &dup);
    issue.apply(Screen::Issue, Outcome::Issued(Box::new(pass_view(couple_pass()))));
    snap("issue_done_with_qr", &issue);

    // A GH2 pass (Ed25519, 139 characters, QR version 8): at 120x40 a QR
    // a phone reads (decoded here off the screen), at 80x24 a plain word
    // that the window is too small, never the code as text.
    let issuer = gatehouse::domain::issuing::Issuer::new("E1", gatehouse::domain::issuing::generate().unwrap());
    let id = uuid::Uuid::parse_str(PASS_ID).unwrap();
    let gh2 = gatehouse::domain::payload::encode_ed25519(&issuer, "E1", gatehouse::domain::payload::Kind::Pass, &id).unwrap();
    assert_eq!(gh2.len(), 139, "{gh2}");
    let mut issued_gh2 = signed_in(admin());
    issued_gh2.update(Action::GoTo(1));
    let mut view = pass_view(couple_pass());
    view.payload = gh2.clone();
    issued_gh2.apply(Screen::Issue, Outcome::Issued(Box::new(view.clone())));
    let big = draw(&issued_gh2, 120, 40);
    assert_eq!(screen_qr(&big), vec![gh2.clone()], "{}\nthe Issued panel's QR reads back at 120x40", big.backend());
    let small = draw(&issued_gh2, 80, 24).backend().to_string();
    assert!(small.contains("WINDOW TOO SMALL FOR THE QR") && small.contains("rows taller"), "{small}");
    assert!(!small.contains(&gh2[..20]), "never the code as text:\n{small}");
    insta::assert_snapshot!("issue_done_gh2_80x24", small);
    let mut res_gh2 = signed_in(admin());
    res_gh2.update(Action::GoTo(3));
    let mut card = resident_view(resident(Presence::In, true));
    card.payload = gatehouse::domain::payload::encode_ed25519(
        &issuer,
        "E1",
        gatehouse::domain::payload::Kind::Resident,
        &uuid::Uuid::parse_str(RES_ID).unwrap(),
    )
    .unwrap();
    res_gh2.apply(Screen::Residents, Outcome::Residents(vec![card.clone()]));
    res_gh2.update(Action::Submit);
    assert_eq!(screen_qr(&draw(&res_gh2, 120, 40)), vec![card.payload.clone()], "the resident card's QR at 120x40");
    let small = draw(&res_gh2, 80, 24).backend().to_string();
    assert!(small.contains("WINDOW TOO SMALL FOR THE QR") && small.contains("p prints the card"), "{small}");
    insta::assert_snapshot!("residents_detail_gh2_80x24", small);
    // A GH1 card still fits at 80x24, and reads back.
    let mut res_gh1 = signed_in(admin());
    res_gh1.update(Action::GoTo(3));
    res_gh1.apply(Screen::Residents, Outcome::Residents(vec![resident_view(resident(Presence::In, true))]));
    res_gh1.update(Action::Submit);
    assert_eq!(screen_qr(&draw(&res_gh1, 80, 24)).len(), 1, "the GH1 card at 80x24");

    let mut passes = signed_in(admin());
    passes.update(Action::GoTo(2));
    let mut used = couple_pass();
    used.id = "7a11c0de-0000-4000-8000-000000000001".into();
    used.holder_name = "Zoya Khan".into();
    used.holder2_name = None;
    used.pass_type = "SINGLE".into();
    used.persons = 1;
    used.scanned_at = Some("2026-11-21T18:12:00.000000Z".into());
    used.scanned_by = Some("omar".into());
    used.gate = Some("Main Gate".into());
    passes.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(couple_pass())), Box::new(pass_view(used))]));
    snap("passes_list", &passes);
    passes.update(Action::Submit);
    snap("passes_detail", &passes);
    passes.update(Action::Void);
    snap("passes_void_prompt", &passes);
    // A scanner's read while the admin works on Passes: its verdict in the footer.
    passes.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    snap("passes_scanned_meanwhile", &passes);

    let mut res = signed_in(admin());
    res.update(Action::GoTo(3));
    let mut out = resident(Presence::Out, true);
    out.id = "11111111-2222-4333-8444-555555555555".into();
    out.name = "Dev Patel".into();
    out.room = "A-101".into();
    res.apply(Screen::Residents, Outcome::Residents(vec![resident_view(out), resident_view(resident(Presence::In, true))]));
    snap("residents_list", &res);
    res.update(Action::Down);
    res.update(Action::Submit);
    snap("residents_detail", &res);
    let mut deactivate = res.clone();
    deactivate.update(Action::Deactivate);
    snap("residents_deactivate_reason", &deactivate);
    res.update(Action::AddResident);
    snap("residents_form", &res);

    let mut users = signed_in(admin());
    users.update(Action::GoTo(6));
    users.apply(Screen::Users, Outcome::Users(fixtures::users()));
    snap("users_list", &users);
    let mut toggle = users.clone();
    toggle.update(Action::Down);
    toggle.update(Action::Deactivate);
    snap("users_disable_confirm", &toggle);
    users.update(Action::AddUser);
    snap("users_add_form", &users);

    let mut ledger = signed_in(admin());
    ledger.update(Action::GoTo(4));
    ledger.apply(Screen::Ledger, Outcome::Ledger(blocks(), 6));
    snap("ledger", &ledger);
    ledger.update(Action::Verify);
    ledger.apply(Screen::Ledger, Outcome::Progress(3));
    snap("ledger_verifying", &ledger);
    let chain = VerifyReport {
        ok: true,
        blocks: 6,
        head_index: Some(5),
        head_hash: Some(format!("{:064x}", 1005)),
        problem: None,
        hmac_unchecked: 0,
    };
    let audit = AuditReport { ok: true, blocks: 6, rows: 9, ..Default::default() };
    let checked =
        Verification { ok: true, integrity: vec![], notes: vec![], schema: vec![], chain: chain.clone(), audit: Some(audit.clone()) };
    ledger.apply(Screen::Ledger, Outcome::Verified(Box::new(checked)));
    snap("ledger_ok", &ledger);
    let broken = VerifyReport {
        ok: false,
        blocks: 3,
        head_index: Some(2),
        head_hash: None,
        problem: Some(Problem::Edited { index: 3 }),
        hmac_unchecked: 0,
    };
    ledger.apply(
        Screen::Ledger,
        Outcome::Verified(Box::new(Verification {
            ok: false,
            integrity: vec![],
            notes: vec![],
            schema: vec![],
            chain: broken,
            audit: None,
        })),
    );
    snap("ledger_tampered", &ledger);
    let finding = Finding::Diverges {
        table: "passes",
        id: "70f1202e-5b4c-4d7e-9a51-0c3f2d1e8b77".into(),
        field: "price_cents",
        ledger: "54900".into(),
        found: "1".into(),
    };
    let failed = AuditReport { ok: false, findings: vec![finding.clone(), finding], ..audit };
    ledger.apply(
        Screen::Ledger,
        Outcome::Verified(Box::new(Verification {
            ok: false,
            integrity: vec![],
            notes: vec![],
            schema: vec![],
            chain,
            audit: Some(failed),
        })),
    );
    snap("ledger_audit_failed", &ledger);

    let mut stats = signed_in(admin());
    stats.update(Action::GoTo(5));
    snap("stats", &stats);
    let mut with_gates = signed_in(admin());
    with_gates.gates = gates();
    with_gates.update(Action::GoTo(5));
    snap("stats_gates", &with_gates);
    // With a venue capacity and zones: inside/capacity, warned at 90%, AT CAPACITY when full.
    let mut capped = stats.clone();
    capped.stats = Some(stats_capped(91, 30));
    snap("stats_capacity_nearly_full", &capped);
    capped.stats = Some(stats_capped(100, 50));
    snap("stats_capacity_full", &capped);
    let s = draw(&capped, 80, 24).backend().to_string().replace('\u{a0}', " ");
    assert!(s.contains("Inside now 100/100") && s.contains("Hall 50/50") && s.contains("Lounge 3"), "{s}");
    // One of each reads in the singular.
    let mut one = capped.clone();
    let mut st = fixtures::stats();
    (st.people_admitted, st.passes_admitted) = (1, 1);
    one.stats = Some(st);
    let s = draw(&one, 80, 24).backend().to_string();
    assert!(s.contains("Admitted   1 person (1 pass)"), "{s}");
    let mut scan_capped = signed_in(operator());
    scan_capped.stats = Some(stats_capped(40, 20));
    snap("scan_capacity_room", &scan_capped);
    scan_capped.stats = Some(stats_capped(90, 20));
    snap("scan_capacity_nearly_full", &scan_capped);
    let s = draw(&scan_capped, 80, 24).backend().to_string();
    assert!(s.contains("NEARLY FULL") && s.contains("venue 90/100 · Hall 20/50"), "{s}");
    scan_capped.stats = Some(stats_capped(60, 50));
    scan_capped.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::AtCapacity), ScanSource::Wedge, None));
    snap("scan_capacity_full", &scan_capped);
    for (w, h) in [(80, 24), (120, 40)] {
        let s = draw(&scan_capped, w, h).backend().to_string();
        assert!(s.contains("AT CAPACITY") && s.contains("Hall 50/50") && s.contains("use the USB scanner"), "{w}x{h}:\n{s}");
    }
    stats.update(Action::ToggleHelp);
    snap("help_admin", &stats);
    let mut op_help = signed_in(operator());
    op_help.update(Action::ToggleHelp);
    snap("help_operator", &op_help);

    let mut quit = signed_in(admin());
    open_issue(&mut quit, event_types());
    quit.screens.issue.name.set("Half typed");
    quit.update(Action::Quit);
    snap("quit_confirm", &quit);
    // A long error wraps onto a second footer line.
    let mut failed = signed_in(admin());
    failed.update(Action::GoTo(2));
    failed.apply(
        Screen::Passes,
        Outcome::Failed(
            "cannot print: printer tcp:192.168.1.50:9100: connection refused (is the printer on, and is port 9100 open?)".into(),
        ),
    );
    snap("long_error_wraps", &failed);
    let mut asks = signed_in(operator());
    asks.update(Action::Quit);
    snap("quit_confirm_nothing_typed", &asks);
    let mut signed_out = signed_in(operator());
    signed_out.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Camera, None));
    signed_out.update(Action::SignOut);
    snap("signed_out", &signed_out);

    let small = draw(&signed_in(admin()), 60, 20);
    insta::assert_snapshot!("too_small_60x20", small.backend());

    floor::floor();
}
