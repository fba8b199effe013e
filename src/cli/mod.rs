//! The headless command line: parse, open the core, call it, print.
//! Exit codes: 0 admitted / intact, 1 denied / tampered, 2 error.

mod args;
mod bench;
mod camera;
mod db;
mod init;
mod output;
mod print;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

pub use args::Cli;
use args::*;

use crate::config::Paths;
use crate::domain::pass::{PassRequest, PassStatus, PaymentMode};
use crate::domain::resident::ResidentRequest;
use crate::domain::user::{Actor, Role};
use crate::service::Gatehouse;
use crate::store::PassFilter;

pub const EXIT_OK: u8 = 0;
pub const EXIT_DENIED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

impl Cli {
    pub fn paths(&self) -> Paths {
        let mut p = Paths::new(self.data_dir.clone().unwrap_or_else(Paths::default_data_dir), self.config.clone());
        p.database = self.database.clone();
        p
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let paths = cli.paths();
    let Some(command) = &cli.command else {
        return init::default_command(&cli, &paths);
    };
    match command {
        Command::Init(a) => init::init(&paths, a).map(|_| ExitCode::SUCCESS),
        Command::Bench(b) => bench::run(b, paths.database.as_deref()),
        Command::Decode(a) => camera::decode(a),
        Command::Cameras => camera::cameras(),
        _ => {
            let mut g = Gatehouse::open(&paths)?;
            dispatch(&cli, command, &mut g)
        }
    }
}

fn dispatch(cli: &Cli, command: &Command, g: &mut Gatehouse) -> Result<ExitCode> {
    let ok = Ok(ExitCode::SUCCESS);
    match command {
        Command::Init(_) | Command::Bench(_) => ok,
        Command::Decode(_) | Command::Cameras => ok,
        Command::User(c) => user(cli, g, c),
        Command::Pass(c) => pass(cli, g, c),
        Command::Resident(c) => resident(cli, g, c),
        Command::Scan(a) => scan(cli, g, a),
        Command::Print(a) => print::print_pass(g, a),
        Command::Ledger(c) => ledger(g, c),
        Command::Stats(j) => {
            let s = g.stats()?;
            if j.json {
                output::json(&s)
            } else {
                output::stats(&s)
            }
            ok
        }
        Command::Export(a) => {
            // Exports hold every holder's name and phone: admins only.
            let actor = sign_in(cli, g)?;
            if !actor.is_admin() {
                bail!("permission denied: only an admin may export data");
            }
            let n = g.export_csv(a.what, &a.csv)?;
            println!("wrote {n} rows to {}", a.csv.display());
            ok
        }
        Command::Backup(a) => {
            let (file, deleted) = g.backup(a.to.as_deref())?;
            println!("backup written: {}", file.display());
            for d in deleted {
                println!("retention removed: {}", d.display());
            }
            ok
        }
        Command::Restore(a) => {
            let actor = sign_in(cli, g)?;
            let r = g.restore(&actor, &a.file)?;
            println!("restored {} ({} ledger blocks verified)", a.file.display(), r.blocks);
            ok
        }
        Command::Db(c) => db::run(cli, g, c),
        Command::Key(KeyCmd::List) => {
            let ids: Vec<&str> = g.keys().ids().collect();
            println!("keys: {} (active: {})", ids.join(", "), g.keys().active_id());
            ok
        }
        Command::Key(KeyCmd::Rotate) => {
            let actor = sign_in(cli, g)?;
            if !actor.is_admin() {
                bail!("permission denied: only an admin may rotate keys");
            }
            let paths = g.paths().cloned().ok_or_else(|| anyhow!("no data directory"))?;
            let id = crate::keyfile::rotate(&paths.key())?;
            let mut g2 = Gatehouse::open(&paths)?;
            g2.note_key_rotation(&actor, &id)?;
            println!("added key {id}; new codes are signed with it, older ones still verify");
            ok
        }
    }
}

/// Authenticate `--user` with GATEHOUSE_PASSWORD or a prompt.
fn sign_in(cli: &Cli, g: &mut Gatehouse) -> Result<Actor> {
    let user = cli.user.clone().ok_or_else(|| anyhow!("this command changes data: pass --user NAME (or set GATEHOUSE_USER)"))?;
    let password = match std::env::var("GATEHOUSE_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => rpassword::prompt_password(format!("password for {user}: "))?,
        Err(_) => bail!("no password: set GATEHOUSE_PASSWORD or run in a terminal"),
    };
    Ok(g.authenticate(&user, &password)?)
}

/// A new password: once from stdin, or twice at a prompt without echo.
pub(crate) fn new_password(from_stdin: bool, who: &str) -> Result<String> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read the password from standard input")?;
        let p = s.lines().next().unwrap_or("").to_string();
        if p.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("standard input is not a terminal: use --password-stdin");
    }
    loop {
        let a = rpassword::prompt_password(format!("new password for {who}: "))?;
        if let Some(p) = crate::domain::user::password_problem(&a) {
            eprintln!("{p}");
            continue;
        }
        let b = rpassword::prompt_password("again: ")?;
        if a == b {
            return Ok(a);
        }
        eprintln!("the passwords differ; try again");
    }
}

fn user(cli: &Cli, g: &mut Gatehouse, c: &UserCmd) -> Result<ExitCode> {
    if let UserCmd::List(j) = c {
        let users = g.list_users()?;
        if j.json {
            output::json(&users)
        } else {
            output::users(&users)
        }
        return Ok(ExitCode::SUCCESS);
    }
    let actor = sign_in(cli, g)?;
    match c {
        UserCmd::Add { username, role, display_name, password_stdin } => {
            let role = Role::parse(role).ok_or_else(|| anyhow!("role must be admin or operator"))?;
            if !actor.is_admin() {
                bail!("permission denied: only an admin may add users");
            }
            let pw = new_password(*password_stdin, username)?;
            let u = g.add_user(Some(&actor), username, display_name, role, &pw)?;
            println!("added {} ({})", u.username, u.role.as_str());
        }
        UserCmd::Disable { username } => {
            g.set_user_disabled(&actor, username, true)?;
            println!("disabled {username}");
        }
        UserCmd::Enable { username } => {
            g.set_user_disabled(&actor, username, false)?;
            println!("enabled {username}");
        }
        UserCmd::Passwd { username, password_stdin } => {
            if username.trim().to_lowercase() != actor.username && !actor.is_admin() {
                bail!("permission denied: only an admin may change another user's password");
            }
            let pw = new_password(*password_stdin, username)?;
            g.set_password(&actor, username, &pw)?;
            println!("password changed for {username}");
        }
        UserCmd::List(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn pass(cli: &Cli, g: &mut Gatehouse, c: &PassCmd) -> Result<ExitCode> {
    match c {
        PassCmd::Issue(a) => {
            let actor = sign_in(cli, g)?;
            let req = PassRequest {
                pass_type: a.pass_type.clone(),
                name: a.name.clone(),
                phone: a.phone.clone(),
                name2: a.name2.clone(),
                phone2: a.phone2.clone(),
                payment: a.payment.clone(),
                txn_ref: a.txn.clone(),
                slot: a.slot.clone(),
                price_override: None,
            };
            let p = g.issue_pass(&actor, &req)?;
            if a.json { output::json(&g.pass_view(p)) } else { println!("{}", p.id) }
        }
        PassCmd::List(a) => {
            let f = PassFilter {
                search: a.search.clone(),
                pass_type: a.pass_type.clone(),
                status: a.status.as_deref().and_then(PassStatus::parse),
                payment: a.payment.as_deref().and_then(PaymentMode::parse),
                limit: None,
            };
            let list = g.list_passes(&f)?;
            if a.json {
                let views: Vec<_> = list.into_iter().map(|p| g.pass_view(p)).collect();
                output::json(&views);
            } else {
                output::passes(&list, &g.cfg.event.currency);
            }
        }
        PassCmd::Show { id, json } => {
            let p = g.get_pass(id)?;
            let v = g.pass_view(p);
            if *json { output::json(&v) } else { output::pass(&v, &g.cfg.event.currency) }
        }
        PassCmd::Void { id, reason } => {
            let actor = sign_in(cli, g)?;
            let p = g.void_pass(&actor, id, reason)?;
            println!("voided {}", p.id);
        }
        PassCmd::Unscan { id, reason } => {
            let actor = sign_in(cli, g)?;
            let p = g.unscan_pass(&actor, id, reason)?;
            println!("admission undone: {} is unused again", p.id);
        }
        PassCmd::Qr { id, out } => {
            let p = g.get_pass(id)?;
            write_qr(&g.pass_payload(&p), out)?;
        }
        PassCmd::Card(a) => return print::pass_card(g, a),
        PassCmd::Import(a) => return print::import(cli, g, a),
    }
    Ok(ExitCode::SUCCESS)
}

fn write_qr(payload: &str, out: &QrOut) -> Result<()> {
    if let Some(f) = &out.png {
        crate::qr::write_png(payload, f, 8)?;
        println!("wrote {}", f.display());
    } else if let Some(f) = &out.svg {
        crate::qr::write_svg(payload, f)?;
        println!("wrote {}", f.display());
    } else {
        print!("{}", crate::qr::to_terminal(payload)?);
    }
    Ok(())
}

fn resident(cli: &Cli, g: &mut Gatehouse, c: &ResidentCmd) -> Result<ExitCode> {
    match c {
        ResidentCmd::Add(a) => {
            let actor = sign_in(cli, g)?;
            let req = ResidentRequest {
                name: a.name.clone(),
                room: a.room.clone(),
                floor: a.floor.clone(),
                phone: a.phone.clone(),
                email: a.email.clone(),
                address: a.address.clone(),
                move_in: a.move_in.clone(),
                occupation: a.occupation.clone(),
                emergency_contact: a.emergency_contact.clone(),
                photo: a.photo.as_ref().map(|p| p.display().to_string()),
            };
            let r = g.add_resident(&actor, &req)?;
            if a.json { output::json(&g.resident_view(r)) } else { println!("{}", r.id) }
        }
        ResidentCmd::List { search, all, json } => {
            let list = g.list_residents(search.as_deref(), *all)?;
            if *json {
                let views: Vec<_> = list.into_iter().map(|r| g.resident_view(r)).collect();
                output::json(&views);
            } else {
                output::residents(&list);
            }
        }
        ResidentCmd::Show { id, json } => {
            let r = g.get_resident(id)?;
            let v = g.resident_view(r);
            if *json { output::json(&v) } else { output::resident(&v) }
        }
        ResidentCmd::Deactivate { id, reason } => {
            let actor = sign_in(cli, g)?;
            let r = g.deactivate_resident(&actor, id, reason)?;
            println!("deactivated {} ({})", r.name, r.id);
        }
        ResidentCmd::Qr { id, out } => {
            let r = g.get_resident(id)?;
            write_qr(&g.resident_payload(&r), out)?;
        }
        ResidentCmd::Print(a) => return print::print_resident(g, a),
        ResidentCmd::Card(a) => return print::resident_card(g, a),
    }
    Ok(ExitCode::SUCCESS)
}

fn scan(cli: &Cli, g: &mut Gatehouse, a: &ScanArgs) -> Result<ExitCode> {
    let actor = sign_in(cli, g)?;
    let gate = cli.gate.clone().unwrap_or_else(|| g.gate_name().to_string());
    if let Some(file) = &a.payload_file {
        return scan_lines(g, &actor, &gate, file, a.json);
    }
    let raw: Vec<u8> = match (&a.payload, &a.image) {
        (Some(p), _) => p.clone().into_bytes(),
        (None, Some(path)) => {
            let img = crate::decode::load_gray(path)?;
            match crate::decode::decode_gray(&img).into_iter().next() {
                Some(text) => text.into_bytes(),
                None => bail!("no QR code found in {}", path.display()),
            }
        }
        (None, None) => bail!("give --payload TEXT or --image FILE"),
    };
    let out = match &a.nonce {
        Some(n) => g.scan_with_nonce(&raw, &actor, &gate, n)?,
        None => g.scan(&raw, &actor, &gate)?,
    };
    if a.json {
        output::json(&out)
    } else {
        output::verdict(&out)
    }
    Ok(ExitCode::from(if out.verdict.admits() { EXIT_OK } else { EXIT_DENIED }))
}

/// One scan per line, each its own transaction, so an interruption loses
/// at most the scan in flight.
fn scan_lines(g: &mut Gatehouse, actor: &Actor, gate: &str, file: &std::path::Path, json: bool) -> Result<ExitCode> {
    use std::io::BufRead;
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut all_admitted = true;
    for line in reader.split(b'\n') {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let out = g.scan(&line, actor, gate)?;
        all_admitted &= out.verdict.admits();
        if json {
            println!("{}", serde_json::to_string(&out)?);
        } else {
            println!("{} {}", out.verdict, out.reason);
        }
    }
    Ok(ExitCode::from(if all_admitted { EXIT_OK } else { EXIT_DENIED }))
}

fn ledger(g: &mut Gatehouse, c: &LedgerCmd) -> Result<ExitCode> {
    match c {
        LedgerCmd::Verify { expect_head, json } => {
            let expect = expect_head.as_deref().map(str::parse).transpose().map_err(|e: String| anyhow!("--expect-head: {e}"))?;
            let r = g.verify_ledger(expect, &mut |_| {})?;
            if *json {
                output::json(&r);
            } else if r.ok {
                println!(
                    "OK: {} blocks, head {}:{}",
                    r.blocks,
                    r.head_index.map_or("-".into(), |i| i.to_string()),
                    r.head_hash.as_deref().unwrap_or("-")
                );
            } else {
                println!("TAMPERED: {}", r.problem.as_ref().map(|p| p.to_string()).unwrap_or_default());
                println!("{} blocks verified before the problem", r.blocks);
            }
            Ok(ExitCode::from(if r.ok { EXIT_OK } else { EXIT_DENIED }))
        }
        LedgerCmd::Head(j) => {
            match g.ledger_head()? {
                Some((i, h)) if j.json => output::json(&serde_json::json!({"index": i, "hash": h})),
                Some((i, h)) => println!("{i}:{h}"),
                None => bail!("the ledger is empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCmd::Show { from, limit, json } => {
            let blocks = g.ledger_blocks(*from, *limit)?;
            if *json {
                output::json(&blocks)
            } else {
                output::blocks(&blocks)
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
