//! The gate on the command line (docs/offline.md): `scan` of a code (on
//! a shared gate online first, offline from the replica), `sync`,
//! `conflicts`, and `db status` with the gate's freshness.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::args::{Cli, ConflictsArgs, JsonFlag, ScanArgs};
use super::output::{self, say, say_err};
use super::{EXIT_DENIED, EXIT_OK};
use crate::config::Paths;
use crate::domain::offline::Conflict;
use crate::service::Gate;
use crate::service::load_config;
use crate::service::offline::age_text;

/// Whether this data directory's event lives on PostgreSQL.
pub fn is_postgres(paths: &Paths) -> Result<bool> {
    let cfg = load_config(paths)?;
    Ok(paths.database_url(&cfg).is_some())
}

/// A single code goes through the gate, on any gate: online first on a
/// shared one, else from its replica. Manual check-ins and files of
/// payloads need the event's database itself.
pub fn handles_scan(a: &ScanArgs) -> bool {
    a.payload_file.is_none() && a.id.is_none()
}

pub fn scan(cli: &Cli, paths: &Paths, a: &ScanArgs) -> Result<ExitCode> {
    if a.reason.is_some() {
        bail!("--reason goes with --id (a manual check-in)");
    }
    let raw = super::scan_input(a)?;
    let mut gate = Gate::open(paths)?;
    let actor = super::session::sign_in(cli, &mut gate)?;
    let name = super::gates::scan_gate(cli.gate.as_deref(), gate.gate_name(), gate.enrolled())?;
    let nonce = a.nonce.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let opts = crate::service::ScanOpts { exit: a.exit, persons: a.persons };
    let out = gate.scan_opts(&raw, &actor, &name, &nonce, opts)?;
    if a.json {
        output::json(&out);
    } else {
        output::verdict(&out.outcome);
        if out.offline {
            say!("  OFFLINE: decided from this gate's replica ({} old); queued for upload", age_text(out.replica_age_secs));
        }
    }
    Ok(ExitCode::from(if out.outcome.verdict.admits() { EXIT_OK } else { EXIT_DENIED }))
}

/// `event rules show`: the rules this gate scans by (the server's, or its
/// replica's while the server does not answer).
pub fn rules_show(paths: &Paths, j: &JsonFlag) -> Result<ExitCode> {
    let mut gate = Gate::open(paths)?;
    let r = gate.rules()?;
    if j.json {
        output::json(&r);
    } else {
        output::rules(&r);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sync(paths: &Paths, j: &JsonFlag) -> Result<ExitCode> {
    if !is_postgres(paths)? {
        bail!("sync is for gates on a shared PostgreSQL database; this gate's database is a local SQLite file");
    }
    let mut gate = Gate::open(paths)?;
    let r = gate.sync()?;
    if j.json {
        output::json(&r);
    } else {
        say!("{}", if r.online { "ONLINE" } else { "OFFLINE" });
        say!("uploaded {} scan(s), {} already there, {} conflict(s); {} still queued", r.uploaded, r.skipped, r.conflicts, r.queued);
        if r.pulled {
            say!(
                "pulled {} pass(es), {} resident(s), {} user(s){}; cursor {}",
                r.passes_pulled,
                r.residents_pulled,
                r.users_pulled,
                if r.full_pull { " (full copy)" } else { "" },
                r.cursor.map_or("none".into(), |c| c.to_string())
            );
        }
        if let Some(s) = r.clock_skew_secs {
            say!("clock skew {s:+.3} s{}", if r.clock_skew_warning { " (ABOVE THE LIMIT: check this gate's clock)" } else { "" });
        }
        if let Some(e) = &r.error {
            say_err!("sync incomplete: {e}");
        }
    }
    Ok(if r.error.is_none() { ExitCode::SUCCESS } else { ExitCode::from(super::EXIT_ERROR) })
}

pub fn conflicts(cli: &Cli, paths: &Paths, a: &ConflictsArgs) -> Result<ExitCode> {
    if !is_postgres(paths)? {
        // A single SQLite gate is never offline, so it has no conflicts.
        if a.json {
            output::json(&Vec::<Conflict>::new());
        } else {
            say!("no conflicts (a single SQLite gate is never offline)");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut gate = Gate::open(paths)?;
    // Who admitted whom, where: signed-in users only.
    let actor = super::session::sign_in(cli, &mut gate)?;
    if let Some(block) = a.ack {
        let c = gate.acknowledge_conflict(&actor, block)?;
        if a.json {
            output::json(&c);
        } else {
            say!("acknowledged conflict {} (pass {})", c.block, c.pass);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let list = gate.conflicts()?;
    if a.json {
        output::json(&list);
    } else {
        for c in &list {
            // A double admission is told in the order it happened, each side
            // marked when it was made offline.
            let [(a, oa), (b, ob)] = if c.kind == "double_admission" { c.in_order() } else { [(&c.first, false), (&c.second, false)] };
            let mark = |offline: bool| if offline { " (offline)" } else { "" };
            say!(
                "{:>6}  {:<16}  pass {}  first {} at {} by {}{}  then {} at {} by {}{}  {}",
                c.block,
                c.kind,
                c.pass.get(..8).unwrap_or(&c.pass),
                output::when(&a.at),
                a.gate,
                a.operator,
                mark(oa),
                output::when(&b.at),
                b.gate,
                b.operator,
                mark(ob),
                if c.acknowledged { "acknowledged" } else { "OPEN" }
            );
            if let Some(why) = &c.reason {
                let label = if c.kind == "refused" { "refused" } else { "why" };
                say!("        {label}: {why}");
            }
        }
        let open = list.iter().filter(|c| !c.acknowledged).count();
        say!("{} conflict(s), {open} open", list.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `db status` on a PostgreSQL gate: the server's figures when it answers
/// within the budget, and always the gate's own freshness.
pub fn db_status(paths: &Paths, j: &JsonFlag) -> Result<ExitCode> {
    let mut gate = Gate::open(paths)?;
    let server = gate.on_server(|g| g.store().status());
    let fresh = gate.freshness()?;
    let mut v = match &server {
        Ok(s) => serde_json::to_value(s)?,
        Err(_) => serde_json::json!({"backend": "postgresql"}),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("online".into(), fresh.online.into());
        o.insert("replica_age_secs".into(), serde_json::json!(fresh.replica_age_secs));
        o.insert("queued".into(), fresh.queued.into());
        o.insert("clock_skew_secs".into(), serde_json::json!(fresh.clock_skew_secs));
        if let Err(e) = &server {
            o.insert("error".into(), e.to_string().into());
        }
    }
    if j.json {
        output::json(&v);
    } else {
        match &server {
            Ok(s) => {
                say!("backend:        {}", s.backend);
                say!("database:       {}", s.location);
                say!("server version: {}", s.server_version);
                say!("schema version: {}", s.schema_version);
                say!("round trip:     {:.2} ms", s.round_trip_ms);
            }
            Err(e) => say!("backend:        postgresql (unreachable: {e})"),
        }
        say!("online:         {}", if fresh.online { "yes" } else { "NO (offline: scans are decided from the replica)" });
        say!("replica age:    {}", age_text(fresh.replica_age_secs));
        say!("queued:         {}", fresh.queued);
        match fresh.clock_skew_secs {
            Some(s) => say!("clock skew:     {s:+.3} s{}", if fresh.clock_skew_warning { " (above the limit)" } else { "" }),
            None => say!("clock skew:     not measured yet"),
        }
    }
    // The figures above stand; the exit status says the server did not answer.
    if let Err(e) = &server {
        say_err!("error: {e}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
