//! `init --enroll TOKEN`: a new gate joins an event with a one-time token.
//! It makes its own device key (its own 0600 file; the event key file is
//! never copied here), registers the public key under the token's gate
//! name with a `gate_enrol` block signed by that key, names itself in its
//! config, and fills its replica before returning.

use anyhow::{Context, Result, bail};

use super::output::say;
use crate::config::{Config, Paths};
use crate::domain::clock::SystemClock;
use crate::domain::keys::KeyRing;
use crate::service::Gatehouse;
use crate::store::Store;

pub fn enrol(paths: &Paths, store: Store, blocks: u64, token: &str) -> Result<()> {
    if paths.key().exists() {
        bail!("{} holds the event key file: this laptop joined with it already; an enrolled gate carries none", paths.key().display());
    }
    if blocks == 0 {
        bail!("the shared database holds no event yet: run init without --enroll on the first gate");
    }
    let file = crate::devicefile::path(paths);
    if file.exists() {
        bail!("{} exists: this laptop is enrolled already (remove it only if its enrolment failed)", file.display());
    }
    let device = crate::devicefile::create(&file)?;
    let cfg = crate::service::load_config(paths)?;
    let mut g = Gatehouse::from_parts(cfg, KeyRing::for_device(device), store, std::sync::Arc::new(SystemClock));
    let row = match g.enrol_gate(token) {
        Ok(r) => r,
        Err(e) => {
            // Not enrolled: a key no gate row names would only be in the way.
            let _ = std::fs::remove_file(&file);
            return Err(e.into());
        }
    };
    drop(g);
    say!(
        "enrolled as gate {:?}: device key {} in {} (mode 0600); no event key file on this laptop",
        row.name,
        row.key_id.as_deref().unwrap_or(""),
        file.display()
    );
    let text = std::fs::read_to_string(&paths.config).with_context(|| format!("cannot read {}", paths.config.display()))?;
    if Config::load(&paths.config)?.gate.name != row.name {
        std::fs::write(&paths.config, Config::with_gate_name(&text, &row.name, &paths.config)?)
            .with_context(|| format!("cannot write {}", paths.config.display()))?;
        say!("this gate is now {:?} in {}", row.name, paths.config.display());
    }
    super::init::fill_replica(paths)
}
