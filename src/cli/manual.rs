//! `gatehouse man` and `gatehouse completions`: manual pages and shell
//! completions generated from the same clap definitions as `--help`, so they
//! never drift. The Debian package ships exactly this output (see `./dev package`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::CommandFactory;
use clap_mangen::roff::{Roff, roman};

use super::args::{Cli, CompletionsArgs, ManArgs};

pub fn man(a: &ManArgs) -> Result<ExitCode> {
    // Built as generate_to builds it: subcommands then carry their page names
    // (`gatehouse-pass-issue`), and no pages for the `help` pseudo-command.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let source = format!("gatehouse {}", env!("CARGO_PKG_VERSION"));
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_pages(&root, dir, &source).with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut cmd = &root;
    for word in &a.command {
        let Some(sub) = cmd.find_subcommand(word) else {
            let name = cmd.get_display_name().unwrap_or(cmd.get_name()).replace('-', " ");
            bail!("no command `{name} {word}`: see `{name} --help`");
        };
        cmd = sub;
    }
    std::io::stdout().write_all(&page(cmd, &source)?)?;
    Ok(ExitCode::SUCCESS)
}

/// One page per command, its subcommands' pages too.
fn write_pages(cmd: &clap::Command, dir: &Path, source: &str) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, source)?;
    }
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    std::fs::write(dir.join(format!("{name}.1")), page(cmd, source)?)
}

/// clap_mangen's sections, except that the examples closing `--help` become an
/// EXAMPLES section printed as written (its EXTRA section would refill them).
fn page(cmd: &clap::Command, source: &str) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone()).source(source).manual("Gatehouse Manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(after) = cmd.get_after_help() {
        let mut roff = Roff::new();
        roff.control("SH", ["EXAMPLES"]).control("nf", []);
        // The first line is the "Examples:" heading that the section replaces.
        for line in after.to_string().lines().skip(1) {
            roff.text([roman(line.strip_prefix("  ").unwrap_or(line))]);
        }
        roff.control("fi", []).to_writer(&mut out)?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

pub fn completions(a: &CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, name, &mut script);
    std::io::stdout().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}
