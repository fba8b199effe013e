//! The headless command line: parse, open the core, call it, print.
//! Exit codes: 0 admitted / intact, 1 denied / tampered, 2 error.

mod args;
mod bench;
mod camera;
mod console;
mod db;
mod enrol;
mod gates;
mod init;
mod manual;
mod offline;
mod output;
mod print;
mod session;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

pub use args::Cli;
use args::*;
pub use output::escape;

use crate::config::Paths;
use crate::domain::pass::{PassRequest, PassStatus, PaymentMode};
use crate::domain::resident::ResidentRequest;
use crate::domain::user::{Actor, Role};
use crate::service::{Gate, Gatehouse};
use crate::store::PassFilter;
use output::{say, say_err};

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
    // Times for people in the event's zone; a config that does not load is
    // reported by the command that needs it.
    if let Ok(cfg) = crate::config::Config::load(&paths.config) {
        output::set_zone(cfg.utc_offset());
    }
    let Some(command) = &cli.command else {
        return init::default_command(&cli, &paths);
    };
    match command {
        Command::Init(a) => init::init(&paths, a, cli.gate.as_deref()).map(|_| ExitCode::SUCCESS),
        Command::Bench(b) => bench::run(b, paths.database.as_deref()),
        Command::Decode(a) => camera::decode(a),
        Command::Cameras => camera::cameras(),
        Command::Man(a) => manual::man(a),
        Command::Completions(a) => manual::completions(a),
        Command::Sync(j) => offline::sync(&paths, j),
        Command::Login(a) => session::login(&cli, &paths, a),
        Command::Logout => session::logout(&cli, &paths),
        Command::Conflicts(a) => offline::conflicts(&cli, &paths, a),
        Command::Scan(a) if offline::handles_scan(a) => offline::scan(&cli, &paths, a),
        Command::Db(DbCmd::Status(j)) if offline::is_postgres(&paths)? => offline::db_status(&paths, j),
        Command::Event(EventCmd::Rules(RulesCmd::Show(j))) => offline::rules_show(&paths, j),
        _ => {
            let mut gate = Gate::open(&paths)?;
            dispatch(&cli, command, gate.direct()?)
        }
    }
}

fn dispatch(cli: &Cli, command: &Command, g: &mut Gatehouse) -> Result<ExitCode> {
    let ok = Ok(ExitCode::SUCCESS);
    match command {
        Command::Init(_) | Command::Bench(_) => ok,
        Command::Decode(_) | Command::Cameras => ok,
        Command::Man(_) | Command::Completions(_) => ok,
        Command::Sync(_) | Command::Conflicts(_) => ok,
        Command::Login(_) | Command::Logout => ok,
        Command::User(c) => user(cli, g, c),
        Command::Pass(c) => pass(cli, g, c),
        Command::Resident(c) => resident(cli, g, c),
        Command::Scan(a) => scan(cli, g, a),
        Command::Print(a) => {
            admin_in(cli, g, "print tickets")?;
            print::print_pass(g, a)
        }
        Command::Ledger(c) => ledger(cli, g, c),
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
            admin_in(cli, g, "export data")?;
            let n = g.export_csv(a.what, &a.csv)?;
            say!("wrote {n} rows to {}", a.csv.display());
            ok
        }
        Command::Backup(a) => {
            // A copy holds password hashes, names and phones: admins only.
            admin_in(cli, g, "take backups")?;
            // A damaged file is still copied (it may be all there is), but never silently.
            let damage = g.integrity_problems()?;
            let (file, r) = g.backup_report(a.to.as_deref())?;
            say!("backup written: {}", file.display());
            for p in &damage {
                say_err!("warning: the database fails SQLite's integrity check, and so does this copy: {p}");
            }
            if !damage.is_empty() {
                say_err!("warning: run `gatehouse ledger verify`, and keep an older good backup");
            }
            for d in r.deleted {
                say!("retention removed: {}", d.display());
            }
            for f in r.future {
                say_err!("warning: {} is stamped in the future (was the clock set ahead?); retention left it alone", f.display());
            }
            ok
        }
        Command::Restore(a) => {
            let actor = sign_in(cli, g)?;
            let r = g.restore(&actor, &a.file, a.force)?;
            say!("restored {} ({} ledger blocks verified, tables audited)", a.file.display(), r.blocks);
            if r.lost_blocks > 0 {
                say!("forced: {} block(s) and {} pass(es) of the replaced database are gone", r.lost_blocks, r.lost_passes);
            }
            ok
        }
        Command::Db(c) => db::run(cli, g, c),
        Command::Gate(c) => gates::run(cli, g, c),
        Command::Event(EventCmd::Rules(RulesCmd::Set { file })) => {
            let actor = admin_in(cli, g, "set the event's rules")?;
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            let rules = crate::service::parse_rules_file(&text)?;
            let r = g.set_rules(&actor, rules)?;
            say!("event rules set: {} pass type(s), digest {}", r.rules.types.len(), &r.digest[..16]);
            ok
        }
        Command::Event(EventCmd::Rules(RulesCmd::Show(_))) => ok,
        Command::Key(KeyCmd::List) => {
            g.issuing_keys()?;
            let ids: Vec<&str> = g.keys().ids().collect();
            match g.keys().device() {
                Some(d) if ids.is_empty() => {
                    say!("no key file on this enrolled gate; its blocks are signed with its device key {}", d.key_id())
                }
                _ => say!("keys: {} (active: {})", ids.join(", "), g.keys().active_id()),
            }
            let issuing: Vec<&str> = g.keys().issuing_keys().iter().map(|k| k.key_id.as_str()).collect();
            if !issuing.is_empty() {
                say!("issuing keys (Ed25519): {} (new codes: {})", issuing.join(", "), g.keys().code_key());
            }
            ok
        }
        Command::Key(KeyCmd::Public(j)) => {
            let keys = g.issuing_keys()?;
            if j.json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| serde_json::json!({"key_id": k.key_id, "algorithm": "ed25519", "public_key": k.to_hex()}))
                    .collect();
                output::json(&list);
            } else if keys.is_empty() {
                bail!("this event has no Ed25519 issuing key; its codes are HMAC-signed (`gatehouse key rotate --ed25519` makes one)");
            } else {
                for k in &keys {
                    say!("{} ed25519 {}", k.key_id, k.to_hex());
                }
            }
            ok
        }
        Command::Key(KeyCmd::Rotate { ed25519: true }) => {
            let (user, password) = session::credentials(cli)?;
            let (_, public) = g.new_issuing_key(&user, &password)?;
            say!("added issuing key {} (Ed25519); new codes are signed with it, older ones still verify", public.key_id);
            say!("public key: {}", public.to_hex());
            say!("other admins can issue once an admin who holds it resets their password (`gatehouse user passwd NAME`)");
            ok
        }
        Command::Key(KeyCmd::Rotate { ed25519: false }) => {
            let actor = admin_in(cli, g, "rotate keys")?;
            let paths = g.paths().cloned().ok_or_else(|| anyhow!("no data directory"))?;
            let id = crate::keyfile::rotate(&paths.key())?;
            let mut g2 = Gatehouse::open(&paths)?;
            g2.note_key_rotation(&actor, &id)?;
            if g2.issuing_keys()?.is_empty() {
                say!("added key {id}; new codes are signed with it, older ones still verify");
            } else {
                say!("added key {id}; it signs ledger blocks (new codes stay signed with issuing key {})", g2.keys().code_key());
            }
            ok
        }
    }
}

/// Authenticate `--user`: a live `gatehouse login` session, else
/// GATEHOUSE_PASSWORD or a prompt. Commands that change data, or show
/// payloads or personal data, sign in first.
fn sign_in(cli: &Cli, g: &mut Gatehouse) -> Result<Actor> {
    session::sign_in(cli, g)
}

/// Sign in as an admin: for commands that show payloads (a payload is a
/// bearer credential), every holder's data, or the accounts.
fn admin_in(cli: &Cli, g: &mut Gatehouse, what: &str) -> Result<Actor> {
    let actor = sign_in(cli, g)?;
    if !actor.is_admin() {
        bail!("permission denied: only an admin may {what}");
    }
    Ok(actor)
}

/// A pass or resident as JSON; operators get it without its payload.
fn view_json<T: serde::Serialize>(v: &T, actor: &Actor) -> Result<serde_json::Value> {
    let mut j = serde_json::to_value(v)?;
    if !actor.is_admin()
        && let Some(o) = j.as_object_mut()
    {
        o.remove("payload");
    }
    Ok(j)
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
            say_err!("{p}");
            continue;
        }
        let b = rpassword::prompt_password("again: ")?;
        if a == b {
            return Ok(a);
        }
        say_err!("the passwords differ; try again");
    }
}

fn user(cli: &Cli, g: &mut Gatehouse, c: &UserCmd) -> Result<ExitCode> {
    if let UserCmd::List(j) = c {
        admin_in(cli, g, "list users")?;
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
            say!("added {} ({})", u.username, u.role.as_str());
        }
        UserCmd::Disable { username } => {
            g.set_user_disabled(&actor, username, true)?;
            say!("disabled {username}");
        }
        UserCmd::Enable { username } => {
            g.set_user_disabled(&actor, username, false)?;
            say!("enabled {username}");
        }
        UserCmd::Unlock { username } => {
            g.unlock_user(&actor, username)?;
            say!("unlocked {username}");
        }
        UserCmd::Passwd { username, password_stdin } => {
            if username.trim().to_lowercase() != actor.username && !actor.is_admin() {
                bail!("permission denied: only an admin may change another user's password");
            }
            let pw = new_password(*password_stdin, username)?;
            g.set_password(&actor, username, &pw)?;
            say!("password changed for {username}");
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
                note: a.note.clone(),
                allow_duplicate: a.allow_duplicate,
            };
            let p = g.issue_pass(&actor, &req)?;
            if a.json { output::json(&g.pass_view(p)) } else { say!("{}", p.id) }
        }
        PassCmd::List(a) => {
            let actor = sign_in(cli, g)?;
            let f = PassFilter {
                search: a.search.clone(),
                pass_type: a.pass_type.clone(),
                status: a.status.as_deref().and_then(PassStatus::parse),
                payment: a.payment.as_deref().and_then(PaymentMode::parse),
                limit: None,
            };
            let list = g.list_passes(&f)?;
            if a.json {
                let views = list.into_iter().map(|p| view_json(&g.pass_view(p), &actor)).collect::<Result<Vec<_>>>()?;
                output::json(&views);
            } else {
                output::passes(&list, &g.cfg.event.currency);
            }
        }
        PassCmd::Show { id, json } => {
            let actor = sign_in(cli, g)?;
            let p = g.get_pass(id)?;
            let v = g.pass_view(p);
            if *json { output::json(&view_json(&v, &actor)?) } else { output::pass(&v, &g.cfg.event.currency, actor.is_admin()) }
        }
        PassCmd::Void { id, reason } => {
            let actor = sign_in(cli, g)?;
            let p = g.void_pass(&actor, id, reason)?;
            say!("voided {}", p.id);
        }
        PassCmd::Unscan { id, reason } => {
            let actor = sign_in(cli, g)?;
            let p = g.unscan_pass(&actor, id, reason)?;
            say!("admission undone: {} is unused again", p.id);
        }
        PassCmd::Qr { id, out } => {
            admin_in(cli, g, "show a pass's code")?;
            let p = g.get_pass(id)?;
            write_qr(&g.pass_payload(&p), out)?;
        }
        PassCmd::Card(a) => {
            admin_in(cli, g, "draw a pass's card")?;
            return print::pass_card(g, a);
        }
        PassCmd::Import(a) => return print::import(cli, g, a),
    }
    Ok(ExitCode::SUCCESS)
}

fn write_qr(payload: &str, out: &QrOut) -> Result<()> {
    if let Some(f) = &out.png {
        crate::qr::write_png(payload, f, 8)?;
        say!("wrote {}", f.display());
    } else if let Some(f) = &out.svg {
        crate::qr::write_svg(payload, f)?;
        say!("wrote {}", f.display());
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
            if a.json { output::json(&g.resident_view(r)) } else { say!("{}", r.id) }
        }
        ResidentCmd::List { search, all, json } => {
            let actor = sign_in(cli, g)?;
            let list = g.list_residents(search.as_deref(), *all)?;
            if *json {
                let views = list.into_iter().map(|r| view_json(&g.resident_view(r), &actor)).collect::<Result<Vec<_>>>()?;
                output::json(&views);
            } else {
                output::residents(&list);
            }
        }
        ResidentCmd::Show { id, json } => {
            let actor = sign_in(cli, g)?;
            let r = g.get_resident(id)?;
            let v = g.resident_view(r);
            if *json { output::json(&view_json(&v, &actor)?) } else { output::resident(&v, actor.is_admin()) }
        }
        ResidentCmd::Deactivate { id, reason } => {
            let actor = sign_in(cli, g)?;
            let r = g.deactivate_resident(&actor, id, reason)?;
            say!("deactivated {} ({})", r.name, r.id);
        }
        ResidentCmd::Qr { id, out } => {
            admin_in(cli, g, "show a resident's code")?;
            let r = g.get_resident(id)?;
            write_qr(&g.resident_payload(&r), out)?;
        }
        ResidentCmd::Print(a) => {
            admin_in(cli, g, "print resident cards")?;
            return print::print_resident(g, a);
        }
        ResidentCmd::Card(a) => {
            admin_in(cli, g, "draw a resident's card")?;
            return print::resident_card(g, a);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scan(cli: &Cli, g: &mut Gatehouse, a: &ScanArgs) -> Result<ExitCode> {
    if a.reason.is_some() && a.id.is_none() {
        bail!("--reason goes with --id (a manual check-in)");
    }
    let actor = sign_in(cli, g)?;
    let gate = gates::scan_gate(cli.gate.as_deref(), g.gate_name(), g.keys().device().is_some())?;
    if let Some(file) = &a.payload_file {
        return scan_lines(g, &actor, &gate, file, a.json);
    }
    // A single code goes through the gate (`offline::scan`); here, a
    // manual check-in by id.
    let Some(id) = &a.id else { bail!("give --payload TEXT, --image FILE, --id ID or --payload-file FILE") };
    let out = g.scan_manual(id, a.reason.as_deref(), &actor, &gate)?;
    Ok(show_verdict(&out, a.json))
}

/// The bytes a scan reads: `--payload`, or the first code in `--image`.
fn scan_input(a: &ScanArgs) -> Result<Vec<u8>> {
    match (&a.payload, &a.image) {
        (Some(p), _) => Ok(p.clone().into_bytes()),
        (None, Some(path)) => {
            let img = crate::decode::load_gray(path)?;
            match crate::decode::decode_gray(&img).into_iter().next() {
                Some(text) => Ok(text.into_bytes()),
                None => bail!("no QR code found in {}", path.display()),
            }
        }
        (None, None) => bail!("give --payload TEXT or --image FILE"),
    }
}

/// Print a verdict; exit 0 when it lets the person through, 1 when not.
fn show_verdict(out: &crate::domain::scan::ScanOutcome, json: bool) -> ExitCode {
    if json {
        output::json(out)
    } else {
        output::verdict(out)
    }
    ExitCode::from(if out.verdict.admits() { EXIT_OK } else { EXIT_DENIED })
}

/// `--payload-file`: one verdict line per scanned line (see
/// `Gatehouse::scan_lines` for the bounded read).
fn scan_lines(g: &mut Gatehouse, actor: &Actor, gate: &str, file: &std::path::Path, json: bool) -> Result<ExitCode> {
    let input: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?)
    };
    let mut print = |out: &crate::domain::scan::ScanOutcome| {
        if json {
            if let Err(e) = output::json_line(out) {
                say_err!("error: cannot print JSON: {e}");
            }
        } else {
            say!("{} {}", out.verdict, out.reason);
        }
    };
    let all_admitted = g.scan_lines(input, actor, gate, &mut print).with_context(|| format!("scanning {}", file.display()))?;
    Ok(ExitCode::from(if all_admitted { EXIT_OK } else { EXIT_DENIED }))
}

fn ledger(cli: &Cli, g: &mut Gatehouse, c: &LedgerCmd) -> Result<ExitCode> {
    match c {
        LedgerCmd::Verify { expect_head, chain_only, json } => {
            let expect = expect_head.as_deref().map(str::parse).transpose().map_err(|e: String| anyhow!("--expect-head: {e}"))?;
            let v = g.verify_all(expect, *chain_only, &mut |_| {})?;
            if *json {
                output::json(&v);
            } else {
                output::verification(&v);
            }
            Ok(ExitCode::from(if v.ok { EXIT_OK } else { EXIT_DENIED }))
        }
        LedgerCmd::Head(j) => {
            match g.ledger_head()? {
                Some((i, h)) if j.json => output::json(&serde_json::json!({"index": i, "hash": h})),
                Some((i, h)) => say!("{i}:{h}"),
                None => bail!("the ledger is empty"),
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCmd::Show { from, limit, json } => {
            // Blocks hold holder names and who did what.
            sign_in(cli, g)?;
            // Without --from, the newest blocks, oldest of them first.
            let from = match from {
                Some(f) => *f,
                None => g.ledger_head()?.map_or(0, |(i, _)| (i + 1).saturating_sub(*limit as u64)),
            };
            let blocks = g.ledger_blocks(from, *limit)?;
            if *json {
                output::json(&blocks)
            } else {
                output::blocks(&blocks)
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
