//! The Passes screen: search, filters, void with confirmation.

use super::*;

#[test]
fn passes_search_filters_and_void_with_confirmation() {
    let mut app = signed_in(admin());
    let fx = app.update(Action::GoTo(2)).effects();
    assert!(matches!(fx.as_slice(), [Effect::LoadPasses(_), Effect::LoadPassTypes]), "{fx:?}");
    app.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(couple_pass()))]));
    // The type filter cycles the event's types (its rules), then none.
    let mut types = event_types();
    types[0].name = "FESTIVAL".into();
    app.apply(Screen::Passes, Outcome::PassTypes(types));
    let filters: Vec<Option<String>> = (0..3)
        .map(|_| {
            let fx = press(&mut app, &[KeyCode::Char('t')]);
            let Some(Effect::LoadPasses(f)) = fx.last() else { panic!("{fx:?}") };
            f.pass_type.clone()
        })
        .collect();
    assert_eq!(filters, [Some("FESTIVAL".to_string()), Some("COUPLE".to_string()), None]);
    press(&mut app, &[KeyCode::Char('/')]);
    let fx = type_text(&mut app, "asha");
    let Some(Effect::LoadPasses(f)) = fx.last() else { panic!("{fx:?}") };
    assert_eq!(f.search.as_deref(), Some("asha"));
    press(&mut app, &[KeyCode::Enter]);
    let fx = press(&mut app, &[KeyCode::Char('s')]);
    let Some(Effect::LoadPasses(f)) = fx.last() else { panic!("{fx:?}") };
    assert_eq!(f.status, Some(gatehouse::domain::pass::PassStatus::Unused));
    press(&mut app, &[KeyCode::Char('v')]);
    assert!(app.prompt().is_some());
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "an empty reason is refused");
    type_text(&mut app, "refunded");
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "then asks y/n");
    assert!(app.prompt_is_confirm());
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    assert_eq!(fx, vec![Effect::VoidPass { id: PASS_ID.into(), reason: "refunded".into() }]);
}

#[test]
fn unscan_names_the_holder_and_asks_before_it_acts() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(2));
    let mut used = couple_pass();
    used.scanned_at = Some("2026-11-21T18:12:00.000000Z".into());
    app.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(used))]));
    press(&mut app, &[KeyCode::Char('u')]);
    assert!(app.prompt().and_then(|p| p.question.clone()).is_some_and(|q| q.contains("Asha Rao & Ravi Rao")));
    type_text(&mut app, "let in by mistake");
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty(), "asks y/n first");
    assert!(app.prompt_is_confirm());
    let fx = press(&mut app, &[KeyCode::Char('y')]);
    assert_eq!(fx, vec![Effect::UnscanPass { id: PASS_ID.into(), reason: "let in by mistake".into() }]);
}

#[test]
fn export_writes_the_passes_shown_with_their_search_and_filters() {
    let mut app = signed_in(admin());
    app.update(Action::GoTo(2));
    app.apply(Screen::Passes, Outcome::Passes(vec![Box::new(pass_view(couple_pass()))]));
    press(&mut app, &[KeyCode::Char('s')]); // status: unused
    press(&mut app, &[KeyCode::Char('e')]);
    assert!(app.prompt().is_some_and(|p| p.input.label.contains("filters apply")));
    let fx = press(&mut app, &[KeyCode::Enter]);
    let [Effect::Export { filter, .. }] = fx.as_slice() else { panic!("{fx:?}") };
    assert_eq!((filter.status, filter.limit), (Some(gatehouse::domain::pass::PassStatus::Unused), None));
}
