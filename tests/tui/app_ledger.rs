//! The Ledger screen: verification with progress.

use super::*;

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
    let chain = gatehouse::domain::ledger::VerifyReport {
        ok: true,
        blocks: 5000,
        head_index: Some(4999),
        head_hash: Some("ab".repeat(32)),
        problem: None,
    };
    let audit = gatehouse::domain::audit::AuditReport { ok: true, blocks: 5000, rows: 5200, ..Default::default() };
    let v = gatehouse::service::Verification { ok: true, integrity: vec![], notes: vec![], schema: vec![], chain, audit: Some(audit) };
    app.apply(Outcome::Verified(Box::new(v)));
    assert!(!app.ledger.verifying && app.ledger.report.as_ref().is_some_and(|r| r.ok));
}
