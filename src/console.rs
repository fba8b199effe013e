//! `gatehouse` with no subcommand: the terminal console.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::Cli;
use crate::service::Gatehouse;
use crate::service::offline::Gate;
use crate::tui::Core;

pub fn run(cli: &Cli, g: Gatehouse) -> Result<ExitCode> {
    start(cli, Core::Direct(Box::new(g)))
}

/// The console of a gate whose event lives on PostgreSQL: it starts, and
/// keeps scanning, whether or not the server answers (docs/offline.md).
pub fn run_gate(cli: &Cli, gate: Gate) -> Result<ExitCode> {
    start(cli, Core::Gate(Box::new(gate)))
}

fn start(cli: &Cli, core: Core) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the console needs a terminal; use the subcommands (gatehouse --help) in scripts");
    }
    let cfg = core.cfg();
    let gate = cli.gate.clone().unwrap_or_else(|| cfg.gate.name.clone());
    let camera = match cli.camera.clone() {
        Some(c) => c,
        None => cfg.camera.source.parse().map_err(|e: String| anyhow::anyhow!("config [camera] source: {e}"))?,
    };
    crate::tui::run(core, gate, camera, crate::started())
}
