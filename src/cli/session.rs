//! A short-lived sign-in for the shell, as `sudo` does it. `gatehouse
//! login` asks the password once and keeps a random token in
//! `<data dir>/sessions/<user>` (0600, in a 0700 folder); the event's
//! database keeps only the token's hash and when it ends. Until then a
//! command signs in with the token instead of asking again. The password
//! itself is never written anywhere. `gatehouse logout` ends the session
//! in the database and removes the file. GATEHOUSE_PASSWORD, when set,
//! still wins: scripts keep working as before.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use super::args::{Cli, LoginArgs};
use super::output::{self, say, say_err};
use crate::config::Paths;
use crate::domain::user::{Actor, valid_username};
use crate::service::{Gate, Gatehouse};

/// What a sign-in can be checked against: one store, or a gate (which asks
/// its server when it has one).
pub trait Authenticator {
    fn by_password(&mut self, user: &str, password: &str) -> crate::error::Result<Actor>;
    fn by_session(&mut self, user: &str, token: &str) -> crate::error::Result<Actor>;
}

impl Authenticator for Gatehouse {
    fn by_password(&mut self, user: &str, password: &str) -> crate::error::Result<Actor> {
        self.authenticate(user, password)
    }
    fn by_session(&mut self, user: &str, token: &str) -> crate::error::Result<Actor> {
        self.session_actor(user, token)
    }
}

impl Authenticator for Gate {
    fn by_password(&mut self, user: &str, password: &str) -> crate::error::Result<Actor> {
        self.authenticate(user, password)
    }
    fn by_session(&mut self, user: &str, token: &str) -> crate::error::Result<Actor> {
        self.session_actor(user, token)
    }
}

fn sessions_dir(paths: &Paths) -> PathBuf {
    paths.data_dir.join("sessions")
}

/// The token file of `user`; None for a name no account can have (it is
/// never made into a path).
fn token_file(paths: &Paths, user: &str) -> Option<PathBuf> {
    valid_username(user).then(|| sessions_dir(paths).join(user))
}

/// The token kept for `user`, if there is one. A file others can read is
/// not used (and said so), as ssh does with a key.
fn read_token(paths: &Paths, user: &str) -> Result<Option<String>> {
    let Some(file) = token_file(paths, user) else { return Ok(None) };
    let meta = match std::fs::symlink_metadata(&file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        say_err!("ignoring the session file {}: it must be a plain file only you can read (0600)", file.display());
        return Ok(None);
    }
    let token = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(Some(token.trim().to_string()).filter(|t| !t.is_empty()))
}

fn remove_token(paths: &Paths, user: &str) {
    if let Some(file) = token_file(paths, user) {
        let _ = std::fs::remove_file(file);
    }
}

/// Write the token where only this user can read it: a new 0600 file,
/// renamed over any older one.
fn write_token(paths: &Paths, user: &str, token: &str) -> Result<PathBuf> {
    let file = token_file(paths, user).ok_or_else(|| anyhow!("not a username: {user}"))?;
    crate::service::private_dir(&sessions_dir(paths), true)?;
    let tmp = file.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(format!("{token}\n").as_bytes()).and_then(|_| f.sync_all()).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

/// With no `--user`: the one user with a session here, if exactly one.
fn only_session_user(paths: &Paths) -> Option<String> {
    let names: Vec<String> = std::fs::read_dir(sessions_dir(paths))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| valid_username(n))
        .collect();
    if names.len() == 1 { names.into_iter().next() } else { None }
}

fn who(cli: &Cli, paths: &Paths) -> Result<String> {
    cli.user.clone().or_else(|| only_session_user(paths)).ok_or_else(|| {
        anyhow!("this command needs a sign-in: pass --user NAME (or set GATEHOUSE_USER), or sign in for a while with `gatehouse --user NAME login`")
    })
}

/// The password: GATEHOUSE_PASSWORD, else asked at the terminal.
fn password(user: &str) -> Result<String> {
    match std::env::var("GATEHOUSE_PASSWORD") {
        Ok(p) => Ok(p),
        Err(_) if std::io::stdin().is_terminal() => Ok(rpassword::prompt_password(format!("password for {user}: "))?),
        Err(_) => bail!("no password: set GATEHOUSE_PASSWORD, run in a terminal, or sign in first with `gatehouse --user {user} login`"),
    }
}

/// The user and the password itself, never a session: for what the
/// password must unseal or seal (`key rotate --ed25519`).
pub fn credentials(cli: &Cli) -> Result<(String, String)> {
    let user = who(cli, &cli.paths())?;
    let pw = password(&user)?;
    Ok((user, pw))
}

/// Sign in for one command: with the live session of this user when there
/// is one (and GATEHOUSE_PASSWORD is not set), else with the password. A
/// session that ended, or was ended, is removed and the password asked.
pub fn sign_in(cli: &Cli, auth: &mut dyn Authenticator) -> Result<Actor> {
    let paths = cli.paths();
    let user = who(cli, &paths)?;
    if std::env::var_os("GATEHOUSE_PASSWORD").is_none()
        && let Some(token) = read_token(&paths, &user)?
    {
        match auth.by_session(&user, &token) {
            Ok(a) => return Ok(a),
            // Not answered: the session may be good; keep it for next time.
            Err(e) if e.is_unreachable() => say_err!("the session could not be checked ({}); asking for the password", e.cause()),
            Err(e) => {
                remove_token(&paths, &user);
                say_err!("{e}");
            }
        }
    }
    let pw = password(&user)?;
    Ok(auth.by_password(&user, &pw)?)
}

/// `gatehouse login`: the password once, then a session of `minutes`.
pub fn login(cli: &Cli, paths: &Paths, a: &LoginArgs) -> Result<ExitCode> {
    let user = cli.user.clone().ok_or_else(|| anyhow!("whom to sign in: pass --user NAME (or set GATEHOUSE_USER)"))?;
    let mut gate = Gate::open(paths)?;
    let g = gate.direct()?;
    let pw = password(&user)?;
    let actor = g.authenticate(&user, &pw)?;
    let s = g.start_session(&actor, a.minutes)?;
    let file = write_token(paths, &actor.username, &s.token)?;
    say!("signed in as {} ({}) until {}", actor.username, actor.role.as_str(), output::when(&s.expires_at));
    say!("commands here need no password until then; `gatehouse logout` ends it now ({})", file.display());
    Ok(ExitCode::SUCCESS)
}

/// `gatehouse logout`: end the session in the database and remove its file.
pub fn logout(cli: &Cli, paths: &Paths) -> Result<ExitCode> {
    let user = who(cli, paths)?;
    let Some(token) = read_token(paths, &user)? else {
        say!("no session for {user} here");
        return Ok(ExitCode::SUCCESS);
    };
    // The file goes whatever the database says: this shell is signed out.
    remove_token(paths, &user);
    match Gate::open(paths).and_then(|mut gate| gate.direct()?.end_session(&token)) {
        Ok(()) => say!("signed out {user}"),
        Err(e) => say_err!("signed out {user} here; the session could not be ended in the database ({e}); it ends by itself"),
    }
    Ok(ExitCode::SUCCESS)
}
