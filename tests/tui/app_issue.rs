//! The Issue screen: the form, its fields and the core's errors.

use super::*;

/// The screen at 80x24, as text.
fn render_text(app: &App) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| gatehouse::tui::ui::draw(f, app, &gatehouse::tui::theme::Theme { color: false })).unwrap();
    t.backend().to_string()
}

#[test]
fn issue_form_shows_couple_and_online_fields_and_submits_a_request() {
    let mut app = signed_in(admin());
    open_issue(&mut app, event_types());
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

/// The form offers the event's types (from its rules in the database), not
/// the laptop's config: a type only the event has is offered and sent.
#[test]
fn issue_form_offers_the_events_types_not_the_configs() {
    let rules = gatehouse::service::parse_rules_file(
        "[[pass_type]]\nname = \"FESTIVAL\"\npersons = 1\nprice = 1500\nentry = \"daily\"\n\n\
         [[pass_type]]\nname = \"PAIR\"\npersons = 2\nprice = 2500\n",
    )
    .unwrap();
    let mut app = signed_in(admin());
    assert!(app.cfg.pass_types.iter().all(|t| t.name != "FESTIVAL"), "the config does not know it");
    open_issue(&mut app, rules.types);
    let screen = render_text(&app);
    assert!(screen.contains("FESTIVAL · 1 person") && screen.contains("daily"), "{screen}");
    press(&mut app, &[KeyCode::Up, KeyCode::Right]);
    assert!(app.screens.issue.is_couple(&app.cfg), "PAIR takes two");
    assert!(render_text(&app).contains("PAIR · 2 persons"));
    let req = app.screens.issue.request(&app.cfg);
    assert_eq!(req.pass_type, "PAIR");
}

/// A holder who has a pass of this type and slot: the form says which and
/// asks; y issues another with allow_duplicate, n goes back to the form.
#[test]
fn issue_form_asks_before_a_second_pass_for_one_holder() {
    let mut app = signed_in(admin());
    open_issue(&mut app, event_types());
    type_text(&mut app, "Asha Rao");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "9876543210");
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Down]);
    let fx = press(&mut app, &[KeyCode::Enter]);
    let Some(Effect::Issue(req)) = fx.first() else { panic!("{fx:?}") };
    assert!(!req.allow_duplicate);
    let held = "Asha Rao already holds a SINGLE pass for 7:00 PM - 11:00 PM (issued 2026-11-21 18:30, unused)".to_string();
    app.apply(Screen::Issue, Outcome::IssueDuplicate { held: held.clone(), existing_id: PASS_ID.into() });
    assert!(!app.editing_text(), "y and n are answers, not text");
    let screen = render_text(&app);
    assert!(screen.contains("already holds a SINGLE pass") && screen.contains("Issue another pass to this holder?"), "{screen}");
    assert!(screen.contains(&PASS_ID[..8]), "names the pass: {screen}");
    // n: back to the form, nothing sent, the fields kept.
    let fx = press(&mut app, &[KeyCode::Char('n')]);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(app.screens.issue.duplicate.is_none());
    assert_eq!(app.screens.issue.name.value(), "Asha Rao");
    // Again, and y: the same request, allowing the duplicate.
    assert_eq!(app.screens.issue.focus, gatehouse::tui::app::IssueField::Name);
    press(&mut app, &[KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down]);
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert!(matches!(fx.first(), Some(Effect::Issue(_))), "{fx:?}");
    app.apply(Screen::Issue, Outcome::IssueDuplicate { held, existing_id: PASS_ID.into() });
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    let Some(Effect::Issue(again)) = fx.first() else { panic!("{fx:?}") };
    assert!(again.allow_duplicate);
    assert_eq!((again.name.as_str(), again.phone.as_str()), ("Asha Rao", "9876543210"));
    assert!(app.screens.issue.busy);
}
