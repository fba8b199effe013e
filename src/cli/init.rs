//! First run: data directory, config, key, database and the first admin.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::{Cli, InitArgs};
use super::output::say;
use crate::config::{Config, Paths, SAMPLE};
use crate::domain::user::Role;
use crate::keyfile;
use crate::service::Gatehouse;
use crate::store::Store;

/// Create whatever is missing. Safe to run again: nothing is overwritten.
pub fn init(paths: &Paths, a: &InitArgs) -> Result<()> {
    let dir = &paths.data_dir;
    if !dir.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).ok();
        say!("created {}", dir.display());
    }
    crate::service::check_data_dir(dir)?;
    if !paths.config.exists() {
        std::fs::write(&paths.config, SAMPLE).with_context(|| format!("cannot write {}", paths.config.display()))?;
        say!("wrote {}", paths.config.display());
    }
    Config::load(&paths.config)?;
    if !paths.key().exists() {
        if paths.db().exists() {
            bail!(
                "the key file {} is missing but the database exists: a new key would make every issued pass and the whole ledger fail to verify. Restore gatehouse.key from your backup",
                paths.key().display()
            );
        }
        keyfile::create(&paths.key())?;
        say!("created key file {} (mode 0600)", paths.key().display());
    }
    if !paths.db().exists() {
        // Names, phones and password hashes: readable by the owner only.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(paths.db())
            .with_context(|| format!("cannot create {}", paths.db().display()))?;
        Store::create(&paths.db())?;
        say!("created database {}", paths.db().display());
    }
    let mut g = Gatehouse::open(paths)?;
    if g.user_count()? > 0 {
        if a.admin.is_some() {
            bail!("users exist already in {}; sign in as an admin and use `gatehouse user add`", paths.db().display());
        }
        say!("already initialised: {}", dir.display());
        return Ok(());
    }
    let admin = match &a.admin {
        Some(n) => n.clone(),
        None => prompt("first admin username: ")?,
    };
    let password = super::new_password(a.password_stdin, &admin)?;
    let u = g.add_user(None, &admin, a.display_name.as_deref().unwrap_or(""), Role::Admin, &password)?;
    say!("created admin {}", u.username);
    Ok(())
}

fn prompt(q: &str) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("standard input is not a terminal: pass --admin NAME --password-stdin");
    }
    print!("{q}");
    std::io::stdout().flush()?;
    let mut s = String::new();
    std::io::stdin().read_line(&mut s)?;
    Ok(s.trim().to_string())
}

/// `gatehouse` with no subcommand: the first-run path when nothing exists
/// yet, then the console.
pub fn default_command(cli: &Cli, paths: &Paths) -> Result<ExitCode> {
    let first_run = !paths.db().exists();
    if first_run {
        say!("No gatehouse database in {}: first run.", paths.data_dir.display());
        init(paths, &InitArgs { admin: None, display_name: None, password_stdin: false })?;
    }
    let mut g = Gatehouse::open(paths)?;
    if g.user_count()? == 0 {
        init(paths, &InitArgs { admin: None, display_name: None, password_stdin: false })?;
    }
    crate::console::run(cli, g)
}
