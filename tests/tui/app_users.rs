//! The Users screen (admins): add, unlock, disable or enable, new password.

use super::*;
use gatehouse::tui::effect::Secret;

fn on_users() -> App {
    let mut app = signed_in(admin());
    assert_eq!(app.update(Action::GoTo(6)).effects(), vec![Effect::LoadUsers]);
    assert_eq!(app.screen, Screen::Users);
    app.apply(Screen::Users, Outcome::Users(users()));
    app
}

#[test]
fn f10_opens_users_for_admins_only() {
    let mut app = signed_in(admin());
    press(&mut app, &[KeyCode::F(10)]);
    assert_eq!(app.screen, Screen::Users);
    let mut op = signed_in(operator());
    press(&mut op, &[KeyCode::F(10)]);
    assert_eq!(op.screen, Screen::Scan);
    assert_eq!(op.status.as_ref().map(|s| s.text.as_str()), Some("Users is for admins; yours: F2 Scan, F7 Stats"));
}

#[test]
fn adding_a_user_types_the_password_twice_and_keeps_none() {
    let mut app = on_users();
    press(&mut app, &[KeyCode::Char('a')]);
    type_text(&mut app, "zoya");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "Zoya M");
    press(&mut app, &[KeyCode::Enter, KeyCode::Right, KeyCode::Enter]);
    type_text(&mut app, "long enough 1");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "long enough 2");
    // Two different passwords: nothing is sent, the second field is cleared.
    assert!(press(&mut app, &[KeyCode::Enter]).is_empty());
    let form = app.screens.users.form.as_ref().unwrap();
    assert_eq!(form.errors.get("again"), Some("the two passwords differ"));
    assert!(form.again.is_empty());
    type_text(&mut app, "long enough 1");
    let fx = press(&mut app, &[KeyCode::Enter]);
    let role = gatehouse::domain::user::Role::Admin;
    let want = Effect::AddUser { username: "zoya".into(), display_name: "Zoya M".into(), role, password: Secret("long enough 1".into()) };
    assert_eq!(fx, vec![want]);
    assert!(!format!("{fx:?}").contains("long enough"), "a password never reaches a debug log");
    let form = app.screens.users.form.as_ref().unwrap();
    assert!(form.password.is_empty() && form.again.is_empty() && form.busy, "not kept once sent");
    // The core's answer: a short password goes back beside its field.
    let mut errs = gatehouse::domain::validate::ValidationErrors::default();
    errs.add("password", "password must be at least 8 characters");
    app.apply(Screen::Users, Outcome::UserRejected(errs));
    assert!(!app.screens.users.form.as_ref().unwrap().busy);
    // Done: the form closes and the list reloads.
    let fx = app.apply(Screen::Users, Outcome::UserChanged("added zoya (admin)".into())).effects();
    assert_eq!(fx, vec![Effect::LoadUsers]);
    assert!(app.screens.users.form.is_none());
}

#[test]
fn unlock_disable_and_a_new_password_for_the_chosen_user() {
    let mut app = on_users();
    // asha is not locked: said, nothing sent.
    assert!(press(&mut app, &[KeyCode::Char('u')]).is_empty());
    assert_eq!(app.status.as_ref().map(|s| s.text.as_str()), Some("asha is not locked"));
    press(&mut app, &[KeyCode::Down]);
    assert_eq!(press(&mut app, &[KeyCode::Char('u')]), vec![Effect::UnlockUser("ravi".into())]);
    // Disabling asks first, naming the user.
    assert!(press(&mut app, &[KeyCode::Char('d')]).is_empty());
    assert!(app.prompt_is_confirm());
    assert!(app.prompt().unwrap().question.as_deref().unwrap().contains("Disable ravi"));
    assert_eq!(press(&mut app, &[KeyCode::Char('y')]), vec![Effect::SetUserDisabled { username: "ravi".into(), disabled: true }]);
    // A disabled user is enabled by the same key.
    press(&mut app, &[KeyCode::Down]);
    press(&mut app, &[KeyCode::Char('d')]);
    assert!(press(&mut app, &[KeyCode::Char('n')]).is_empty(), "n cancels");
    press(&mut app, &[KeyCode::Char('d')]);
    assert_eq!(press(&mut app, &[KeyCode::Char('y')]), vec![Effect::SetUserDisabled { username: "meena".into(), disabled: false }]);
    // A new password: typed twice.
    press(&mut app, &[KeyCode::Char('p')]);
    type_text(&mut app, "fresh start 9");
    press(&mut app, &[KeyCode::Enter]);
    type_text(&mut app, "fresh start 9");
    let fx = press(&mut app, &[KeyCode::Enter]);
    assert_eq!(fx, vec![Effect::SetPassword { username: "meena".into(), password: Secret("fresh start 9".into()) }]);
    // A failure reaches this form only.
    app.screens.scan.busy = true;
    app.apply(Screen::Users, Outcome::Failed("managing users needs the server (offline)".into()));
    assert!(!app.screens.users.form.as_ref().unwrap().busy && app.screens.scan.busy);
}
