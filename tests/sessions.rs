//! A short-lived sign-in for the shell, as sudo does (`gatehouse login`,
//! `logout`), through the binary on both backends: the token file is 0600
//! and holds no password; the database keeps only the token's hash; a
//! session stands in for the password until it ends, a new password or a
//! disabled account ends it, and logout ends it in the database too.

#[macro_use]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

use common::*;
use gatehouse::domain::user::Role;
use sha2::{Digest, Sha256};

both_backends!(a_session_stands_in_for_the_password_until_it_ends, a_new_password_or_disabling_ends_sessions);

/// The binary on the env's data directory; a password only when given,
/// and never a terminal to ask one at.
fn run(env: &Env, user: Option<&str>, password: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(env.data_dir());
    if let Some(u) = user {
        c.args(["--user", u]);
    }
    c.args(args).env_remove("GATEHOUSE_PASSWORD").env_remove("GATEHOUSE_USER").env_remove("GATEHOUSE_DATABASE_URL");
    if let Some(p) = password {
        c.env("GATEHOUSE_PASSWORD", p);
    }
    c.stdin(Stdio::null()).output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output) -> String {
    assert!(!o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn token_file(env: &Env, user: &str) -> std::path::PathBuf {
    env.data_dir().join("sessions").join(user)
}

fn hash(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn a_session_stands_in_for_the_password_until_it_ends(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "omar", "Omar", Role::Operator, "omar-pass-99").unwrap();
    drop(g);

    // Without a session or a password, a signed-in command is refused.
    let e = refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(e.contains("gatehouse --user asha login"), "{e}");
    // A wrong password starts no session.
    refused(&run(&env, Some("asha"), Some("not the password"), &["login"]));
    assert!(!token_file(&env, "asha").exists());

    let out = ok(&run(&env, Some("asha"), Some(PASSWORD), &["login", "--minutes", "5"]));
    assert!(out.contains("signed in as asha (admin) until"), "{out}");
    let file = token_file(&env, "asha");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the token file is the owner's alone");
    let dir_mode = std::fs::metadata(file.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let token = std::fs::read_to_string(&file).unwrap();
    assert_eq!(token.trim().len(), 64, "{token:?}");
    assert!(!token.contains(PASSWORD), "the password is never written");
    // The database keeps the hash, never the token.
    assert_eq!(env.raw_strings("SELECT token_hash FROM sessions"), vec![hash(&token)]);
    assert_eq!(env.raw_i64(&format!("SELECT COUNT(*) FROM sessions WHERE token_hash = '{}'", token.trim())), 0);

    // Now no password is asked: with --user, and with the one session here.
    ok(&run(&env, Some("asha"), None, &["pass", "list"]));
    ok(&run(&env, None, None, &["user", "list"]));
    // It is asha's session: omar still needs his password.
    refused(&run(&env, Some("omar"), None, &["resident", "list"]));
    ok(&run(&env, Some("omar"), Some("omar-pass-99"), &["resident", "list"]));

    // A token changed by one character is not a session, and its file goes.
    let mut forged = token.trim().to_string();
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(63.., last);
    std::fs::write(&file, &forged).unwrap();
    let e = refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(e.contains("the session has ended or is not known here"), "{e}");
    assert!(!file.exists());

    // A file others could read is not used.
    ok(&run(&env, Some("asha"), Some(PASSWORD), &["login"]));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(e.contains("only you can read (0600)"), "{e}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&run(&env, Some("asha"), None, &["pass", "list"]));

    // It expires: an end in the past refuses it, and its file goes.
    env.raw_sql(
        "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z'",
        "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000000Z'",
    );
    refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(!file.exists());

    // Logout ends it in the database and removes the file.
    ok(&run(&env, Some("asha"), Some(PASSWORD), &["login"]));
    let live = env.raw_i64("SELECT COUNT(*) FROM sessions WHERE expires_at > '2020-01-01'");
    assert_eq!(live, 1, "the expired session was dropped when this one started");
    let copy = std::fs::read_to_string(&file).unwrap();
    assert!(ok(&run(&env, None, None, &["logout"])).contains("signed out asha"));
    assert!(!file.exists());
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM sessions"), 0);
    // A copy of the token kept from before is worth nothing now.
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &copy).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(ok(&run(&env, Some("asha"), None, &["logout"])).contains("no session for asha"));
    // The ledger still verifies: sessions are not event data.
    assert!(ok(&run(&env, Some("asha"), Some(PASSWORD), &["ledger", "verify"])).contains("OK"));
}

fn a_new_password_or_disabling_ends_sessions(b: Backend) {
    let env = Env::on(b);
    let mut g = env.open();
    with_admin(&mut g);
    g.add_user(Some(&admin()), "ravi", "Ravi", Role::Admin, "ravi-pass-77").unwrap();
    ok(&run(&env, Some("asha"), Some(PASSWORD), &["login"]));
    ok(&run(&env, Some("ravi"), Some("ravi-pass-77"), &["login"]));
    ok(&run(&env, Some("asha"), None, &["pass", "list"]));
    // Two sessions here: say whose.
    refused(&run(&env, None, None, &["pass", "list"]));

    // A new password signs out every shell signed in with the old one.
    g.set_password(&admin(), "asha", "asha-new-pass-1").unwrap();
    let e = refused(&run(&env, Some("asha"), None, &["pass", "list"]));
    assert!(e.contains("the session has ended"), "{e}");
    ok(&run(&env, Some("ravi"), None, &["pass", "list"]));

    // Disabling a user ends their sessions.
    g.set_user_disabled(&admin(), "ravi", true).unwrap();
    refused(&run(&env, Some("ravi"), None, &["pass", "list"]));
    assert_eq!(env.raw_i64("SELECT COUNT(*) FROM sessions"), 0);
}
