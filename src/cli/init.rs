//! First run: data directory, config, key, database and the first admin.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::args::{Cli, InitArgs};
use super::output::say;
use crate::config::{Config, Paths, SAMPLE};
use crate::domain::user::Role;
use crate::service::Gatehouse;
use crate::store::{DbUrl, Store};
use crate::{devicefile, keyfile};

/// Create whatever is missing. Safe to run again: nothing is overwritten
/// but the gate's name, when `--gate NAME` asks for another.
pub fn init(paths: &Paths, a: &InitArgs, gate: Option<&str>) -> Result<()> {
    let dir = &paths.data_dir;
    if !dir.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create data directory {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).ok();
        say!("created {}", dir.display());
    }
    crate::service::check_data_dir(dir)?;
    if !paths.config.exists() {
        // A gate on a shared database keeps its URL (never a password) in its config.
        let text = match paths.database.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => SAMPLE.replace("database = \"\"", &format!("database = {}", toml::Value::String(url.to_string()))),
            None => SAMPLE.to_string(),
        };
        let text = match gate {
            Some(name) => Config::with_gate_name(&text, name, &paths.config)?,
            None => text,
        };
        std::fs::write(&paths.config, text).with_context(|| format!("cannot write {}", paths.config.display()))?;
        say!("wrote {}", paths.config.display());
    }
    let mut cfg = Config::load(&paths.config)?;
    if let Some(name) = gate.filter(|n| *n != cfg.gate.name) {
        let text = std::fs::read_to_string(&paths.config).with_context(|| format!("cannot read {}", paths.config.display()))?;
        std::fs::write(&paths.config, Config::with_gate_name(&text, name, &paths.config)?)
            .with_context(|| format!("cannot write {}", paths.config.display()))?;
        cfg = Config::load(&paths.config)?;
        say!("this gate is now {:?} in {}", cfg.gate.name, paths.config.display());
    }
    if let Some(url) = paths.database_url(&cfg) {
        return init_shared(paths, a, &DbUrl::parse(&url)?);
    }
    if a.key_file.is_some() || a.enroll.is_some() {
        bail!("--key-file and --enroll join a shared PostgreSQL database: give --database URL too");
    }
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
    first_admin(paths, a)
}

/// A gate on a shared PostgreSQL database. The first gate creates the
/// schema, its key and the first admin; a gate joining with `--key-file`
/// proves that key against the ledger before keeping a copy.
fn init_shared(paths: &Paths, a: &InitArgs, url: &DbUrl) -> Result<()> {
    if let Some(token) = &a.enroll {
        // A token may carry the gate's own database role: connect as that.
        return super::enrol::enrol(paths, &url.to_string(), token);
    }
    let mut store = Store::open_url(url)?;
    let blocks = store.read(|db| db.ledger_count())?;
    if devicefile::path(paths).exists() && !paths.key().exists() {
        drop(store);
        say!("already enrolled: {}", paths.data_dir.display());
        return fill_replica(paths);
    }
    if devicefile::path(paths).exists() {
        bail!("{} holds both the event key file and a device key; keep one", paths.data_dir.display());
    }
    match (&a.key_file, paths.key().exists()) {
        (Some(file), _) => {
            let keys = keyfile::load(file)?;
            if blocks == 0 {
                bail!("the database {url} holds no event yet: run init without --key-file on the first gate");
            }
            let report = store.read(|db| crate::service::verify_chain(db, &keys, None, &mut |_| {}))?;
            if !report.ok {
                let why = report.problem.map(|p| p.to_string()).unwrap_or_default();
                bail!("the key in {} does not match this event's ledger ({why}); copy gatehouse.key from the first gate", file.display());
            }
            if paths.key().exists() && keyfile::load(&paths.key())?.active_id() != keys.active_id() {
                bail!("{} exists and differs from {}; remove it first", paths.key().display(), file.display());
            }
            if !paths.key().exists() {
                let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(paths.key())
                    .with_context(|| format!("cannot create {}", paths.key().display()))?;
                f.write_all(&bytes)?;
                println!("joined the event: key checked against {blocks} ledger blocks, copied to {}", paths.key().display());
            }
            Gatehouse::open(paths)?.register_key_file_gate("init")?;
            return fill_replica(paths);
        }
        (None, false) if blocks > 0 => {
            bail!("the database {url} already holds an event; join it with --key-file FILE (a copy of the first gate's gatehouse.key)")
        }
        (None, false) => {
            keyfile::create(&paths.key())?;
            println!("created key file {} (mode 0600)", paths.key().display());
        }
        (None, true) => {}
    }
    drop(store);
    first_admin(paths, a)?;
    // The first gate is listed among the event's gates, as a key-file gate.
    Gatehouse::open(paths)?.register_key_file_gate("init")?;
    fill_replica(paths)
}

/// A gate that loses its link before its first sync must still scan
/// offline: fill its replica now, before `init` returns.
pub(super) fn fill_replica(paths: &Paths) -> Result<()> {
    let mut gate = crate::service::Gate::open(paths)?;
    let rep = gate.sync()?;
    if let Some(e) = rep.error {
        bail!("the gate joined, but its replica could not be filled ({e}); run `gatehouse sync` once the server answers");
    }
    // The config names the event too, so a replica made afresh cannot be
    // filled from, or upload into, another event at the same address.
    if let Some(id) = gate.event()?
        && gate.cfg().storage.event != id
    {
        let text = std::fs::read_to_string(&paths.config).with_context(|| format!("cannot read {}", paths.config.display()))?;
        std::fs::write(&paths.config, Config::with_event(&text, &id, &paths.config)?)
            .with_context(|| format!("cannot write {}", paths.config.display()))?;
    }
    say!(
        "replica filled: {} passes, {} residents, {} users, ledger block {}",
        rep.passes_pulled,
        rep.residents_pulled,
        rep.users_pulled,
        rep.cursor.map(|c| c.to_string()).unwrap_or_else(|| "-".into())
    );
    Ok(())
}

fn first_admin(paths: &Paths, a: &InitArgs) -> Result<()> {
    let dir = &paths.data_dir;
    let mut g = Gatehouse::open(paths)?;
    if g.user_count()? > 0 {
        if a.admin.is_some() {
            bail!("users exist already in {}; sign in as an admin and use `gatehouse user add`", g.store().describe());
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
    // The event's rules, from the defaults (or this config's old
    // [[pass_type]]): stored once, so every gate scans by the same.
    let actor =
        crate::domain::user::Actor { username: u.username.clone(), display_name: u.display_name.clone(), role: Role::Admin, issuer: None };
    let r = g.seed_rules(&actor)?;
    say!(
        "event rules: {} pass type(s) ({}), each admitted once; change them with `gatehouse event rules set FILE.toml`",
        r.rules.types.len(),
        r.rules.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
    );
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
    let shared = crate::service::load_config(paths).ok().and_then(|c| paths.database_url(&c)).is_some();
    let first_run = if shared { !paths.key().exists() && !devicefile::path(paths).exists() } else { !paths.db().exists() };
    if first_run {
        say!("No gatehouse database in {}: first run.", paths.data_dir.display());
        init(
            paths,
            &InitArgs { admin: None, display_name: None, password_stdin: false, key_file: None, enroll: None },
            cli.gate.as_deref(),
        )?;
    }
    // Never wait on a server here: a shared gate starts offline if it must.
    let mut gate = crate::service::Gate::open(paths)?;
    let users = gate.try_server(gate.budget() * 4, |g| g.user_count());
    match users {
        Ok(0) => init(
            paths,
            &InitArgs { admin: None, display_name: None, password_stdin: false, key_file: None, enroll: None },
            cli.gate.as_deref(),
        )?,
        // A local file that cannot be read is an error; an absent server is not.
        Err(e) if !gate.has_remote() => return Err(e.into()),
        _ => {}
    }
    super::console::run(cli, gate)
}
