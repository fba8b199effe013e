//! `gatehouse` with no subcommand. Until the terminal UI lands, it prints the
//! gate's status and the commands to use.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Cli;
use crate::service::Gatehouse;

pub fn run(_cli: &Cli, mut g: Gatehouse) -> Result<ExitCode> {
    let s = g.stats()?;
    let head = g.ledger_head()?;
    println!("{} — {}", g.cfg.event.name, g.cfg.gate.name);
    println!(
        "passes {} issued, {} admitted ({} people), residents {} IN / {} OUT",
        s.passes_issued, s.passes_admitted, s.people_admitted, s.residents_in, s.residents_out
    );
    if let Some((i, h)) = head {
        println!("ledger head {i}:{h}");
    }
    println!("The terminal console is not available in this build; use the commands (gatehouse --help).");
    Ok(ExitCode::SUCCESS)
}
