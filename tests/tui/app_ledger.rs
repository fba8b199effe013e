//! The Ledger screen: verification with progress.

use super::*;

#[test]
fn ledger_verify_reports_progress_then_result() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(4));
    assert_eq!(app.screen, Screen::Ledger);
    assert_eq!(press(&mut app, &[KeyCode::Char('v')]), vec![Effect::VerifyLedger]);
    assert!(app.screens.ledger.verifying);
    assert!(press(&mut app, &[KeyCode::Char('v')]).is_empty(), "one verification at a time");
    app.apply(Screen::Ledger, Outcome::Progress(4096));
    assert_eq!(app.screens.ledger.progress, 4096);
    let chain = gatehouse::domain::ledger::VerifyReport {
        ok: true,
        blocks: 5000,
        head_index: Some(4999),
        head_hash: Some("ab".repeat(32)),
        problem: None,
        hmac_unchecked: 0,
    };
    let audit = gatehouse::domain::audit::AuditReport { ok: true, blocks: 5000, rows: 5200, ..Default::default() };
    let v = gatehouse::service::Verification { ok: true, integrity: vec![], notes: vec![], schema: vec![], chain, audit: Some(audit) };
    app.apply(Screen::Ledger, Outcome::Verified(Box::new(v)));
    assert!(!app.screens.ledger.verifying && app.screens.ledger.report.as_ref().is_some_and(|r| r.ok));
}

#[test]
fn the_ledger_scrolls_opens_a_block_and_shows_scan_verdicts() {
    use gatehouse::domain::ledger::StoredBlock;
    let mut app = signed_in(admin());
    app.update(Action::GoTo(4));
    let block = |i: u64, event: &str, data: &str| StoredBlock {
        index: i,
        ts: "2026-11-21T18:10:00.000000Z".into(),
        operator: "omar".into(),
        gate: "Main Gate".into(),
        event: event.into(),
        data: data.into(),
        prev_hash: format!("{:064x}", i),
        hash: format!("{:064x}", i + 1000),
        key_id: "01".into(),
        signature: "00".repeat(32),
    };
    let blocks: Vec<StoredBlock> = (0..40u64)
        .rev()
        .map(|i| if i % 2 == 0 { block(i, "scan", r#"{"id":"x","verdict":"ALREADY_USED"}"#) } else { block(i, "pass_issue", "{}") })
        .collect();
    app.apply(Screen::Ledger, Outcome::Ledger(blocks, 40));
    let screen = |app: &App| {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        t.draw(|f| gatehouse::tui::ui::draw(f, app, &gatehouse::tui::theme::Theme { color: false })).unwrap();
        t.backend().to_string()
    };
    assert!(screen(&app).contains("ALREADY_USED"), "{}", screen(&app));
    // Down past the window scrolls: block 9 (the 31st newest) comes into view.
    for _ in 0..30 {
        press(&mut app, &[KeyCode::Down]);
    }
    assert_eq!(app.screens.ledger.selected, 30);
    assert!(screen(&app).contains("│9 "), "{}", screen(&app));
    press(&mut app, &[KeyCode::Enter]);
    let s = screen(&app);
    assert!(s.contains("Block 9") && s.contains(&format!("{:064x}", 9 + 1000)), "{s}");
    press(&mut app, &[KeyCode::Esc]);
    assert!(!app.screens.ledger.open);
    press(&mut app, &[KeyCode::Up, KeyCode::Enter]);
    let s = screen(&app);
    assert!(s.contains("Block 10") && s.contains("verdict") && s.contains("ALREADY_USED"), "{s}");
}

#[test]
fn a_backup_from_the_console_says_the_key_is_not_in_it() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(4));
    assert_eq!(press(&mut app, &[KeyCode::Char('b')]), vec![Effect::Backup]);
    app.apply(Screen::Ledger, Outcome::BackedUp("/var/lib/gatehouse/backups/gatehouse-20261203.db".into()));
    let status = app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("backup written") && status.contains("the key is not in it"), "{status}");
}
