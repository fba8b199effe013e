//! `gatehouse print`, `resident print`, `pass card`, `resident card` and
//! `pass import`. Printing only reads the database, so a failed print can
//! simply be run again; a ticket carries the pass's code, so the caller
//! signs in as an admin first.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};

use super::args::{CardArgs, ImportArgs, PrintArgs, PrinterOpts};
use super::output::say;
use crate::print::{self as printer, QrMode, Target, short_id};
use crate::service::Gatehouse;

fn mode(opts: &PrinterOpts) -> Result<Option<QrMode>> {
    Ok(opts.mode.as_deref().map(str::parse).transpose()?)
}

pub fn print_pass(g: &mut Gatehouse, a: &PrintArgs) -> Result<ExitCode> {
    let p = g.get_pass(&a.id)?;
    let payload = g.pass_payload(&p);
    let target = printer::resolve_target(&g.cfg.printing(), a.opts.printer.as_deref())?;
    let rule = g.pass_rule(&p)?;
    printer::print_pass(&g.cfg.printing(), &p, rule.as_ref(), &payload, Some(&target.to_string()), mode(&a.opts)?)
        .map_err(|e| retry_hint(e, &format!("gatehouse print {}", short_id(&p.id))))?;
    say!("printed pass {} ({}) on {target}", short_id(&p.id), p.holders());
    Ok(ExitCode::SUCCESS)
}

pub fn print_resident(g: &mut Gatehouse, a: &PrintArgs) -> Result<ExitCode> {
    let r = g.get_resident(&a.id)?;
    let payload = g.resident_payload(&r);
    let target = printer::resolve_target(&g.cfg.printing(), a.opts.printer.as_deref())?;
    printer::print_resident(&g.cfg.printing(), &r, &payload, Some(&target.to_string()), mode(&a.opts)?)
        .map_err(|e| retry_hint(e, &format!("gatehouse resident print {}", short_id(&r.id))))?;
    say!("printed resident card {} ({}) on {target}", short_id(&r.id), r.name);
    Ok(ExitCode::SUCCESS)
}

/// A printer problem, with the reassurance that nothing was lost.
fn retry_hint(e: printer::PrintError, again: &str) -> anyhow::Error {
    if e.is_printer_problem() { anyhow!("{e}\nnothing was changed; fix the printer and run `{again}` again") } else { anyhow!(e) }
}

pub fn pass_card(g: &mut Gatehouse, a: &CardArgs) -> Result<ExitCode> {
    let p = g.get_pass(&a.id)?;
    let payload = g.pass_payload(&p);
    let rule = g.pass_rule(&p)?;
    printer::pass_card_png(&g.cfg.printing(), &p, rule.as_ref(), &payload, &a.png)?;
    say!("wrote {}", a.png.display());
    Ok(ExitCode::SUCCESS)
}

pub fn resident_card(g: &mut Gatehouse, a: &CardArgs) -> Result<ExitCode> {
    let r = g.get_resident(&a.id)?;
    let payload = g.resident_payload(&r);
    printer::resident_card_png(&g.cfg.printing(), &r, &payload, &a.png)?;
    say!("wrote {}", a.png.display());
    Ok(ExitCode::SUCCESS)
}

/// Import, then optionally print and draw cards. The printer and the card
/// folder are checked before anything is written, so a missing printer
/// does not leave an imported but unprinted batch behind.
pub fn import(cli: &super::Cli, g: &mut Gatehouse, a: &ImportArgs) -> Result<ExitCode> {
    let print_to: Option<(Target, QrMode)> = if a.print {
        let t = printer::resolve_target(&g.cfg.printing(), a.opts.printer.as_deref())?;
        Some((t, mode(&a.opts)?.unwrap_or_else(|| printer::configured_mode(&g.cfg.printing()))))
    } else {
        if a.opts.printer.is_some() || a.opts.mode.is_some() {
            bail!("--printer and --mode only apply with --print");
        }
        None
    };
    if let Some(dir) = &a.cards {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("cannot create the card folder {}: {e}", dir.display()))?;
    }
    let actor = super::sign_in(cli, g)?;
    let passes = g.import_passes_file_with(&actor, &a.file, a.allow_duplicate)?;
    for p in &passes {
        say!("{}  {}", p.id, p.holders());
    }
    say!("imported {} passes from {}", passes.len(), a.file.display());
    // The tickets name their rules; without them (a failed read) they still print.
    let rules = g.rules().ok().map(|r| r.rules);
    let rule_of = |p: &crate::domain::pass::Pass| rules.as_ref().and_then(|r| r.type_rule(&p.pass_type));

    if let Some(dir) = &a.cards {
        for (i, p) in passes.iter().enumerate() {
            let file = dir.join(format!("{}.png", p.id));
            if let Err(e) = printer::pass_card_png(&g.cfg.printing(), p, rule_of(p), &g.pass_payload(p), &file) {
                bail!(
                    "{e}\nthe {} passes are imported; {i} cards were written. Write the rest with `gatehouse pass card ID --png FILE`",
                    passes.len()
                );
            }
        }
        say!("wrote {} cards to {}", passes.len(), dir.display());
    }

    if let Some((target, mode)) = print_to {
        for (i, p) in passes.iter().enumerate() {
            let sent = printer::render_pass_ticket(&g.cfg.printing(), p, rule_of(p), &g.pass_payload(p), mode)
                .and_then(|b| printer::send(&target, &b));
            if let Err(e) = sent {
                let rest: Vec<&str> = passes[i..].iter().map(|p| short_id(&p.id)).collect();
                bail!(
                    "{e}\nthe {} passes are imported; {i} were printed. Print the rest with `gatehouse print ID`: {}",
                    passes.len(),
                    rest.join(" ")
                );
            }
        }
        say!("printed {} tickets on {target}", passes.len());
    }
    Ok(ExitCode::SUCCESS)
}
