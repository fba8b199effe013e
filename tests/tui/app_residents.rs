//! The Residents screen: deactivation names the person and asks a reason;
//! a filled form is not thrown away by one Esc; fixed fields lose their errors.

use super::*;

#[test]
fn deactivate_names_the_person_and_asks_a_reason() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(3));
    app.apply(Screen::Residents, Outcome::Residents(vec![resident_view(resident(gatehouse::domain::resident::Presence::In, true))]));
    press(&mut app, &[KeyCode::Char('d')]);
    let q = app.prompt().and_then(|p| p.question.clone()).unwrap_or_default();
    assert!(q.contains("Meera Iyer") && q.contains("B-204"), "{q}");
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "an empty reason is refused");
    type_text(&mut app, "moved out");
    press(&mut app, &[KeyCode::Enter]);
    assert!(app.prompt_is_confirm());
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    assert_eq!(fx, vec![Effect::DeactivateResident { id: RES_ID.into(), reason: "moved out".into() }]);
}

#[test]
fn one_esc_does_not_throw_away_a_filled_form_and_fixed_fields_lose_their_errors() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(3));
    press(&mut app, &[KeyCode::Char('a')]);
    type_text(&mut app, "Dev");
    let mut errs = gatehouse::domain::validate::ValidationErrors::default();
    errs.add("name", "too short");
    errs.add("room", "is required");
    app.apply(Screen::Residents, Outcome::ResidentRejected(errs));
    type_text(&mut app, " Patel");
    let form = app.screens.residents.form.as_ref().unwrap();
    assert_eq!((form.errors.get("name"), form.errors.get("room")), (None, Some("is required")));
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.screens.residents.form.is_some() && app.status.as_ref().is_some_and(|s| s.text.contains("Esc again")));
    press(&mut app, &[KeyCode::Esc]);
    assert!(app.screens.residents.form.is_none());
}

#[test]
fn slash_searches_residents_as_you_type() {
    let mut app = signed_in(admin());
    assert_eq!(app.update(Action::GoTo(3)).effects(), vec![Effect::LoadResidents(None)]);
    press(&mut app, &[KeyCode::Char('/')]);
    assert!(app.editing_text());
    let fx = type_text(&mut app, "b-2");
    assert_eq!(fx.last(), Some(&Effect::LoadResidents(Some("b-2".into()))));
    press(&mut app, &[KeyCode::Enter]);
    assert!(!app.editing_text());
    assert_eq!(press(&mut app, &[KeyCode::Esc]), vec![Effect::LoadResidents(None)], "Esc clears the search");
}
