//! `gatehouse` with no subcommand: the terminal console.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::Cli;
use crate::service::Gatehouse;

pub fn run(cli: &Cli, g: Gatehouse) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("the console needs a terminal; use the subcommands (gatehouse --help) in scripts");
    }
    let gate = cli.gate.clone().unwrap_or_else(|| g.gate_name().to_string());
    let camera = match cli.camera.clone() {
        Some(c) => c,
        None => g.cfg.camera.source.parse().map_err(|e: String| anyhow::anyhow!("config [camera] source: {e}"))?,
    };
    crate::tui::run(g, gate, camera, crate::started())
}
