//! `init --enroll TOKEN`: a new gate joins an event with a one-time token.
//! It makes its own device key (its own 0600 file; the event key file is
//! never copied here), registers the public key under the token's gate
//! name with a `gate_enrol` block signed by that key, names itself in its
//! config, and fills its replica before returning. A `GR-` token also
//! carries the gate's own database login role: its password goes into the
//! gate's own password file (`db.pgpass`, 0600), which its config's URL
//! names with `passfile=`, so no pgpass file is carried by hand either.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::output::say;
use crate::config::{Config, Paths};
use crate::domain::clock::SystemClock;
use crate::domain::device::db_credential;
use crate::domain::keys::KeyRing;
use crate::service::Gatehouse;
use crate::store::{DbUrl, Store};

pub fn enrol(paths: &Paths, url: &str, token: &str) -> Result<()> {
    if paths.key().exists() {
        bail!("{} holds the event key file: this laptop joined with it already; an enrolled gate carries none", paths.key().display());
    }
    let file = crate::devicefile::path(paths);
    if file.exists() {
        bail!("{} exists: this laptop is enrolled already (remove it only if its enrolment failed)", file.display());
    }
    let passfile = paths.data_dir.join("db.pgpass");
    let url = match db_credential(token) {
        Some((role, password)) => {
            // Left by an enrolment that failed: this token's is written afresh.
            let _ = std::fs::remove_file(&passfile);
            let line = zeroize::Zeroizing::new(format!("*:*:*:{role}:{}\n", password.as_str()));
            crate::keyfile::create_secret(&passfile, line.as_bytes())?;
            crate::store::role_url(url, &role, &passfile)?
        }
        None => url.to_string(),
    };
    let enrolled = join(paths, &url, token, &file);
    let row = match enrolled {
        Ok(r) => r,
        Err(e) => {
            // Not enrolled: a key or password no gate row names would only be in the way.
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(&passfile);
            return Err(e);
        }
    };
    say!(
        "enrolled as gate {:?}: device key {} in {} (mode 0600); no event key file on this laptop",
        row.name,
        row.key_id.as_deref().unwrap_or(""),
        file.display()
    );
    let mut text = std::fs::read_to_string(&paths.config).with_context(|| format!("cannot read {}", paths.config.display()))?;
    if let Some(role) = &row.db_role {
        text = Config::with_database(&text, &url, &paths.config)?;
        say!("it connects as its own database role {role}; the password is in {} (mode 0600)", passfile.display());
    }
    if Config::parse(&text, &paths.config)?.gate.name != row.name {
        text = Config::with_gate_name(&text, &row.name, &paths.config)?;
        say!("this gate is now {:?} in {}", row.name, paths.config.display());
    }
    std::fs::write(&paths.config, text).with_context(|| format!("cannot write {}", paths.config.display()))?;
    // The replica is filled over the gate's own connection, not the URL given.
    let mut own = paths.clone();
    own.database = Some(url);
    super::init::fill_replica(&own)
}

/// Connect (as the token's role, if it carries one), make the device key
/// and spend the token.
fn join(paths: &Paths, url: &str, token: &str, file: &Path) -> Result<crate::store::GateRow> {
    let mut store = Store::open_url(&DbUrl::parse(url)?)?;
    if store.read(|db| db.ledger_count())? == 0 {
        bail!("the shared database holds no event yet: run init without --enroll on the first gate");
    }
    let device = crate::devicefile::create(file)?;
    let cfg = crate::service::load_config(paths)?;
    let mut g = Gatehouse::from_parts(cfg, KeyRing::for_device(device), store, std::sync::Arc::new(SystemClock));
    Ok(g.enrol_gate(token)?)
}
