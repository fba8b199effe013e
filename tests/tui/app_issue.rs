//! The Issue screen: the form, its fields and the core's errors.

use super::*;

#[test]
fn issue_form_shows_couple_and_online_fields_and_submits_a_request() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(1));
    assert_eq!(app.screen, Screen::Issue);
    assert!(app.editing_text(), "the name field has focus on entry");
    // Back to the type selector, choose COUPLE.
    press(&mut app, &[KeyCode::Up, KeyCode::Right]);
    assert!(app.screens.issue.is_couple(&app.cfg));
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
    assert!(app.screens.issue.busy);
    // The core's errors land on their fields.
    let mut errs = gatehouse::domain::validate::ValidationErrors::default();
    errs.add("phone2", "must be 7 to 15 digits (got 3)");
    app.apply(Screen::Issue, Outcome::IssueRejected(errs));
    assert_eq!(app.screens.issue.errors.get("phone2"), Some("must be 7 to 15 digits (got 3)"));
    assert!(!app.screens.issue.busy);
}
