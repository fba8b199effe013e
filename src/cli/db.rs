//! `gatehouse db status` and `gatehouse db copy --to URL_OR_PATH`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::args::{Cli, DbCmd};
use super::output;
use crate::service::Gatehouse;
use crate::store::{DbUrl, Store, is_postgres_url};

pub fn run(cli: &Cli, g: &mut Gatehouse, c: &DbCmd) -> Result<ExitCode> {
    match c {
        DbCmd::Status(j) => {
            let s = g.store().status()?;
            if j.json {
                output::json(&s);
            } else {
                println!("backend:        {}", s.backend);
                println!("database:       {}", s.location);
                println!("server version: {}", s.server_version);
                println!("schema version: {}", s.schema_version);
                println!("round trip:     {:.2} ms", s.round_trip_ms);
                if let Some(tls) = &s.tls {
                    println!("tls:            {tls}");
                }
            }
        }
        DbCmd::Copy { to } => {
            // Passwords, hashes and every holder's phone: admins only.
            let actor = super::sign_in(cli, g)?;
            if !actor.is_admin() {
                bail!("permission denied: only an admin may copy the database");
            }
            let mut target = if is_postgres_url(to) {
                Store::open_url(&DbUrl::parse(to)?)?
            } else {
                let path = Path::new(to);
                if path.exists() {
                    bail!("{} exists already; db copy writes a new file", path.display());
                }
                Store::create_private(path)?
            };
            let r = match g.store().copy_to(&mut target) {
                Ok(r) => r,
                Err(e) => {
                    // A half copy is of no use and holds hashes and phones: not left behind.
                    if !is_postgres_url(to) {
                        drop(target);
                        crate::store::remove_copy(Path::new(to));
                    }
                    return Err(e.into());
                }
            };
            let head = target.read(|db| db.ledger_head())?;
            println!(
                "copied {} users, {} passes, {} residents, {} scans, {} ledger blocks to {}",
                r.users,
                r.passes,
                r.residents,
                r.scans,
                r.ledger,
                redacted(to)
            );
            if let Some((i, h)) = head {
                println!("target ledger head {i}:{h}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn redacted(to: &str) -> String {
    crate::store::redact_url(to)
}
