//! `gatehouse gate`: enrolment tokens, the gate list, revocation.

use std::process::ExitCode;

use anyhow::{Result, anyhow};

use super::args::{Cli, GateCmd};
use super::output::{self, say};
use crate::service::Gatehouse;

/// The gate name scans are recorded under: `--gate`, else the config's.
/// An enrolled gate signs its blocks as the gate it enrolled as, so
/// `--gate` may not name another (`ledger verify` would report them).
pub fn scan_gate(cli_gate: Option<&str>, own: &str, enrolled: bool) -> Result<String> {
    match cli_gate {
        Some(n) if enrolled && n != own => {
            Err(anyhow!("this gate is enrolled as {own:?} and signs its blocks as that gate; --gate {n:?} would make them another gate's"))
        }
        Some(n) => Ok(n.to_string()),
        None => Ok(own.to_string()),
    }
}

pub fn run(cli: &Cli, g: &mut Gatehouse, c: &GateCmd) -> Result<ExitCode> {
    match c {
        GateCmd::Token { json } => {
            let name = cli.gate.as_deref().ok_or_else(|| anyhow!("name the new gate: gatehouse gate token --gate NAME"))?;
            let actor = super::admin_in(cli, g, "make enrolment tokens")?;
            let t = g.gate_token(&actor, name)?;
            if *json {
                output::json(&t);
            } else {
                say!("one-time enrolment token for gate {:?} (expires {}; used once):", t.gate, output::when(&t.expires_at));
                say!("{}", t.token);
                match &t.db_role {
                    Some(role) => say!("it carries the gate's own database login role {role}: no password file is copied by hand"),
                    None => say!(
                        "the gate connects as the event's database user (its password from PGPASSWORD or a pgpass file): this database user may not create roles"
                    ),
                }
                say!("on the new laptop: gatehouse init --data-dir DIR --database URL --enroll {}", t.token);
            }
        }
        GateCmd::List { within, json } => {
            let gates = g.gates(*within)?;
            if *json {
                output::json(&gates);
            } else if gates.is_empty() {
                say!("no gates are listed yet (gates on a shared database are listed when they join)");
            } else {
                say!("{:<20} {:<9} {:<26} {:<26} {:<8} REVOKED", "GATE", "KEY", "ENROLLED", "LAST SEEN", "STATUS");
                for v in &gates {
                    let seen = v.last_seen.as_deref().map(output::when).unwrap_or_else(|| "never".into());
                    let revoked = v.revoked_at.as_deref().map(output::when).unwrap_or_else(|| "-".into());
                    let status = if v.online { "online" } else { "offline" };
                    say!(
                        "{:<20} {:<9} {:<26} {:<26} {:<8} {}",
                        output::escape(&v.name),
                        v.key,
                        output::when(&v.enrolled_at),
                        seen,
                        status,
                        revoked
                    );
                }
            }
        }
        GateCmd::Revoke { name } => {
            let actor = super::admin_in(cli, g, "revoke gates")?;
            let v = g.revoke_gate(&actor, name)?;
            say!("gate {:?} revoked: blocks its key signs from now on are refused, and so are its uploads", v.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
