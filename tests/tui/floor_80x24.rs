//! The gate floor at 80x24 (issue #25): every screen with a conflict
//! showing, long and Devanagari names, as an operator, and nothing cut at
//! a box's edge or wrapped mid-word.

use super::*;
use gatehouse::domain::offline::{Admission, Conflict};
use gatehouse::service::offline::Freshness;
use gatehouse::service::{Candidate, CandidateKind};
use gatehouse::tui::offline::SyncView;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

const HINDI: &str = "श्रीमती राधिका कुमारी शर्मा";

/// Text the issue saw cut at a border or the screen's edge.
const CUT: [&str; 6] =
    ["No camera: scan with the USB", "9000000105 · 2026-12", "resident_deac", "Ravi Kumar & Meena K", "(17", "MALFORMED"];

fn text(app: &App) -> String {
    let t = draw(app, 80, 24);
    t.backend().to_string()
}

/// Fails when `cut` ends a row's text at a border or at the edge: cut there.
fn assert_not_cut(name: &str, screen: &str) {
    for line in screen.lines() {
        let line = line.trim_matches('"');
        for cut in CUT {
            for (i, _) in line.match_indices(cut) {
                let after = line[i + cut.len()..].chars().next();
                assert!(after.is_some_and(|c| c != '│' && c != '┐' && c != '┘'), "{name}: {cut:?} is cut at the edge:\n{screen}");
            }
        }
        // A Devanagari name shows whole, or cut with `…`, never split mid-cluster.
        if let Some(i) = line.find("श्रीमती") {
            let rest = &line[i..];
            assert!(rest.starts_with(HINDI) || rest.contains('…'), "{name}: the name is cut without a mark:\n{screen}");
        }
    }
}

fn conflict() -> Conflict {
    Conflict {
        block: 41,
        kind: "double_admission".into(),
        pass: PASS_ID.into(),
        persons: 2,
        first: Admission { at: "2026-11-21T18:30:01.000000Z".into(), operator: "asha".into(), gate: "Main Gate".into() },
        second: Admission { at: "2026-11-21T18:31:10.000000Z".into(), operator: "omar".into(), gate: "North Gate Two".into() },
        found_at: "2026-11-21T18:35:00.000000Z".into(),
        acknowledged: false,
        acknowledged_by: None,
        first_offline: false,
        held_offline: false,
        reason: None,
    }
}

fn with_conflict(mut app: App) -> App {
    let fresh = Freshness {
        online: true,
        replica_age_secs: Some(2.0),
        queued: 0,
        clock_skew_secs: Some(0.1),
        clock_skew_warning: false,
        stale: false,
    };
    app.sync = Some(SyncView { fresh, open_conflicts: 1, conflicts: vec![conflict()], answered: true });
    app.gate = "North Gate Two".into();
    app
}

fn users_rows() -> Vec<gatehouse::domain::user::User> {
    super::fixtures::users()
}

fn kumar() -> gatehouse::domain::pass::Pass {
    let mut p = couple_pass();
    p.id = "7f473ebd-0000-4000-8000-000000000005".into();
    p.holder_name = "Ravi Kumar".into();
    p.holder2_name = Some("Meena Kumari".into());
    p.holder_phone = "9000000105".into();
    p
}

fn hindi() -> gatehouse::domain::pass::Pass {
    let mut p = couple_pass();
    p.id = "878629aa-0000-4000-8000-000000000006".into();
    p.holder_name = HINDI.into();
    p.holder2_name = None;
    p.pass_type = "SINGLE".into();
    p.persons = 1;
    p
}

pub fn floor() {
    // Scan, as an operator, with a conflict, after nine scans of long names.
    let mut scan = with_conflict(signed_in(operator()));
    for i in 0..9 {
        let mut o = outcome(Verdict::Admitted);
        o.pass = Some(if i % 2 == 0 { kumar() } else { hindi() });
        scan.apply(Screen::Scan, Outcome::Scanned(o, ScanSource::Wedge, None));
    }
    let mut denied = outcome(Verdict::Malformed);
    denied.reason = gatehouse::domain::payload::Malformed::NotOurs.to_string();
    scan.apply(Screen::Scan, Outcome::Scanned(denied, ScanSource::Wedge, None));
    let s = text(&scan);
    insta::assert_snapshot!("floor_scan_operator_conflict_80x24", s);
    assert_not_cut("scan", &s);
    assert!(s.contains("North Gate Two │ omar (operator)"), "the header keeps the gate and who:\n{s}");
    assert!(s.contains("Admitted 101"), "the People box keeps its row:\n{s}");
    let shown = s.lines().filter(|l| l.contains(" usb ")).count();
    assert!(s.contains(&format!("Last {shown} of 10 scans")), "the title counts the rows shown ({shown}):\n{s}");

    // The wrong-slot message at 80x24 wraps between words.
    let mut slot = signed_in(operator());
    let mut o = outcome(Verdict::WrongSlot);
    o.reason = "wrong slot: slot 2026-12-04 10:00-23:59 Day 2; now 2026-12-03 16:22 (17 h 38 min early)".into();
    slot.apply(Screen::Scan, Outcome::Scanned(o, ScanSource::Wedge, None));
    let s = text(&slot);
    insta::assert_snapshot!("floor_wrong_slot_80x24", s);
    assert_not_cut("wrong slot", &s);
    assert!(s.lines().any(|l| l.contains("(17") && l.contains("early)")), "the aside on one row:\n{s}");

    // Manual check-in with "fat" typed, then a scanner read: the verdict in full above it.
    let mut checkin = signed_in(operator());
    checkin.update(Action::StartSearch);
    for c in "fat".chars() {
        checkin.update(Action::Type(KeyEvent::from(KeyCode::Char(c))));
    }
    let cand = |id: &str, name: &str, detail: &str| Candidate {
        kind: CandidateKind::Pass,
        id: id.into(),
        name: name.into(),
        detail: detail.into(),
        status: "unused".into(),
    };
    checkin.apply(
        Screen::Scan,
        Outcome::Found(
            "fat".into(),
            vec![
                cand(&kumar().id, "Ravi Kumar & Meena Kumari", "COUPLE · 9000000105 · 2026-12-04 10:00-23:59 Day 2"),
                cand(&hindi().id, HINDI, "SINGLE · 9000000101 · 7:00 PM - 11:00 PM"),
            ],
        ),
    );
    let s = text(&checkin);
    insta::assert_snapshot!("floor_checkin_80x24", s);
    assert_not_cut("check-in", &s);
    checkin.apply(Screen::Scan, Outcome::Scanned(outcome(Verdict::Admitted), ScanSource::Wedge, None));
    let s = text(&checkin);
    insta::assert_snapshot!("floor_checkin_then_scan_80x24", s);
    assert!(s.contains("#1 ADMITTED") && s.contains("Asha Rao & Ravi Rao") && s.contains("Manual check-in"), "{s}");

    // A scan while Passes is open, with the detail.
    let mut passes = with_conflict(signed_in(admin()));
    passes.update(Action::GoTo(2));
    passes.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(kumar())), Box::new(pass_view(hindi()))]));
    passes.update(Action::Submit);
    let s = text(&passes);
    insta::assert_snapshot!("floor_passes_detail_80x24", s);
    assert_not_cut("passes", &s);
    assert!(s.contains("Ravi Kumar & Meena Kumari"), "{s}");

    // Residents: a long name with a planted U+202E shows escaped.
    let mut res = signed_in(admin());
    res.update(Action::GoTo(3));
    let mut r = resident(gatehouse::domain::resident::Presence::In, true);
    r.name = format!("{HINDI}\u{202e}evil");
    res.apply(Screen::Residents, Outcome::Residents(vec![resident_view(r)]));
    res.update(Action::Submit);
    let s = text(&res);
    insta::assert_snapshot!("floor_residents_detail_80x24", s);
    assert_not_cut("residents", &s);
    assert!(!s.contains('\u{202e}') && s.contains("\\u{202e}"), "bidi shown escaped:\n{s}");
    assert!(s.contains('▀') || s.contains('▄'), "the resident's QR is drawn:\n{s}");

    // The ledger's event column.
    let mut ledger = signed_in(admin());
    ledger.update(Action::GoTo(4));
    let mut blocks = super::blocks();
    blocks[0].event = "resident_deactivate".into();
    ledger.apply(Screen::Ledger, Outcome::Ledger(blocks, 6));
    let s = text(&ledger);
    insta::assert_snapshot!("floor_ledger_80x24", s);
    assert_not_cut("ledger", &s);
    assert!(s.contains("resident_deactivate") && s.contains("ADMITTED"), "{s}");
    ledger.update(Action::Submit);
    let s = text(&ledger);
    insta::assert_snapshot!("floor_ledger_block_80x24", s);
    assert!(s.contains("Block 5") && s.contains("prev"), "{s}");

    // Stats with every denial reason.
    let mut stats = with_conflict(signed_in(operator()));
    stats.update(Action::GoTo(5));
    let s = text(&stats);
    insta::assert_snapshot!("floor_stats_operator_80x24", s);
    assert_not_cut("stats", &s);
    assert!(s.contains("MALFORMED") && s.contains("WRONG_SLOT"), "every denial reason stays under a banner:\n{s}");

    // Users, with a conflict showing and a Devanagari name: the header keeps
    // who is signed in, the seven tabs fit, and a lock says till when.
    let mut users = with_conflict(signed_in(admin()));
    users.update(Action::GoTo(6));
    let mut rows = users_rows();
    rows[2].display_name = HINDI.into();
    users.apply(Screen::Users, Outcome::Users(rows));
    let s = text(&users);
    insta::assert_snapshot!("floor_users_conflict_80x24", s);
    assert_not_cut("users", &s);
    assert!(s.contains("North Gate Two │ asha (admin)") && s.contains("F10 Users"), "{s}");
    assert!(s.contains("locked till 18:35") && s.contains(HINDI), "{s}");

    // F9: the open conflicts as a list over the screen.
    let mut list = with_conflict(signed_in(operator()));
    list.update(Action::AckConflict);
    let s = text(&list);
    insta::assert_snapshot!("floor_conflicts_list_80x24", s);
    assert_not_cut("conflicts", &s);
    assert!(s.contains("Conflicts · 1 open") && s.contains("Enter acknowledge"), "{s}");

    // Help for each role: every row ends before the box does.
    for actor in [admin(), operator()] {
        let mut help = signed_in(actor);
        help.update(Action::ToggleHelp);
        let s = text(&help);
        for line in s.lines().filter(|l| l.contains("│  ")) {
            let inner = line.trim_matches('"').trim_end_matches('│');
            assert!(inner.ends_with(' '), "help row cut at the border:\n{s}");
        }
    }

    // A lockout keeps its indent on every row.
    let mut login = App::new(gatehouse::config::Config::default(), "Main Gate".into(), "/var/lib/gatehouse".into());
    login.clock = "18:30:00".into();
    login.apply(Screen::Login, Outcome::LoginFailed("user asha is locked after 5 wrong passwords; try again in 4 min".into()));
    let s = text(&login);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("locked") || l.contains("in 4 min")).collect();
    assert_eq!(rows.len(), 2, "{s}");
    let indent = |l: &str| l.find(|c: char| c.is_alphabetic()).unwrap_or(0);
    assert_eq!(indent(rows[0]), indent(rows[1]), "{s}");
}
