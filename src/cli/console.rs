//! `gatehouse` with no subcommand: the terminal console.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Cli;
use crate::service::Gate;

/// The console of any gate. One whose event lives on PostgreSQL starts,
/// and keeps scanning, whether or not the server answers (docs/offline.md).
pub fn run(cli: &Cli, core: Gate) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the console needs a terminal; use the subcommands (gatehouse --help) in scripts");
    }
    let cfg = core.cfg();
    let gate = super::gates::scan_gate(cli.gate.as_deref(), &cfg.gate.name, core.enrolled())?;
    let camera = crate::camera::SourceSpec::choose(cli.camera.as_ref(), &cfg.camera.source).map_err(|e| anyhow::anyhow!("config {e}"))?;
    crate::tui::run(core, gate, camera, crate::started())
}
