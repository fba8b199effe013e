//! The command line explains itself: every argument has a one-line help, global
//! options sit under their own heading, every command's help ends with
//! examples that parse, `--version` names the source revision, and the manual
//! pages and completions generated from the same definitions are well formed.

mod common;

use std::process::Command;

use clap::CommandFactory;
use gatehouse::cli::Cli;

const GLOBAL_HEADING: &str = "Global options";

/// Every command of the tree with its words (`["pass", "issue"]`), the root
/// first; built, so that global options appear on every subcommand, and
/// without clap's `help` pseudo-command.
fn commands() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        out.push((path.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            walk(sub, [path.clone(), vec![sub.get_name().to_string()]].concat(), out);
        }
    }
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut out = Vec::new();
    walk(&root, Vec::new(), &mut out);
    out
}

fn shown(path: &[String]) -> String {
    ["gatehouse".to_string()].iter().chain(path).cloned().collect::<Vec<_>>().join(" ")
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(common::bin()).args(args).env_remove("GATEHOUSE_DATA_DIR").output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_argument_and_command_has_a_one_line_help() {
    let mut missing = Vec::new();
    let all = commands();
    assert!(all.len() > 40, "the walk should see every subcommand, saw {}", all.len());
    for (path, cmd) in &all {
        if !path.is_empty() && cmd.get_about().is_none_or(|a| a.to_string().trim().is_empty()) {
            missing.push(format!("{}: no description", shown(path)));
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let name = arg.get_long().map(|l| format!("--{l}")).unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            if help.trim().is_empty() {
                missing.push(format!("{} {name}: no help", shown(path)));
            } else if help.contains('\n') {
                missing.push(format!("{} {name}: help is more than one line", shown(path)));
            }
        }
    }
    assert!(missing.is_empty(), "add a one-line doc comment to each of these:\n{}", missing.join("\n"));
}

#[test]
fn global_options_are_under_their_own_heading_on_every_command() {
    let mut wrong = Vec::new();
    for (path, cmd) in commands() {
        for arg in cmd.get_arguments().filter(|a| a.is_global_set()) {
            if arg.get_help_heading() != Some(GLOBAL_HEADING) {
                wrong.push(format!("{} --{}", shown(&path), arg.get_id()));
            }
        }
    }
    assert!(wrong.is_empty(), "global options outside \"{GLOBAL_HEADING}\":\n{}", wrong.join("\n"));

    // And as a person sees it: the command's own options first, then the global ones.
    let (ok, help, _) = run(&["pass", "issue", "--help"]);
    assert!(ok);
    let (own, rest) = help.split_once(&format!("{GLOBAL_HEADING}:")).expect("a Global options section");
    let global = rest.split("Examples:").next().unwrap_or_default();
    for flag in ["--type", "--name", "--phone", "--payment", "--txn", "--slot", "--json"] {
        assert!(own.contains(flag) && !global.contains(&format!("{flag} ")), "{flag} belongs to pass issue's own options:\n{help}");
    }
    for flag in ["--data-dir", "--config", "--user", "--gate", "--camera"] {
        assert!(global.contains(flag) && !own.contains(flag), "{flag} belongs under {GLOBAL_HEADING}:\n{help}");
    }
    assert!(help.contains("Holder's phone"), "options are described:\n{help}");
}

/// `echo "$PW" | gatehouse user add ... > x` -> the words of the gatehouse part.
fn example_words(line: &str) -> Option<Vec<String>> {
    let part = line.split(" | ").map(str::trim).find(|p| p.starts_with("gatehouse"))?;
    let part = part.split(" > ").next()?;
    let mut words = Vec::new();
    let (mut word, mut quoted, mut started) = (String::new(), false, false);
    for c in part.chars() {
        match c {
            '"' => (quoted, started) = (!quoted, true),
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            _ => (word, started) = (word + &c.to_string(), true),
        }
    }
    if started {
        words.push(word);
    }
    Some(words)
}

#[test]
fn every_command_ends_with_examples_that_parse() {
    let mut wrong = Vec::new();
    for (path, cmd) in commands() {
        let after = cmd.get_after_help().map(|h| h.to_string()).unwrap_or_default();
        let mut lines = after.lines();
        if !lines.next().is_some_and(|l| l == "Example:" || l == "Examples:") {
            wrong.push(format!("{}: help does not end with Example(s):", shown(&path)));
            continue;
        }
        let lines: Vec<&str> = lines.collect();
        // Short enough for the man page's EXAMPLES block at 80 columns.
        wrong.extend(lines.iter().filter(|l| l.len() > 75).map(|l| format!("{}: wrap this example line with ` \\`: {l}", shown(&path))));
        let examples: Vec<String> = lines.join("\n").replace(" \\\n", " ").lines().map(String::from).collect();
        if !(1..=2).contains(&examples.len()) {
            wrong.push(format!("{}: {} examples, want one or two", shown(&path), examples.len()));
        }
        for line in &examples {
            let Some(words) = example_words(line) else {
                wrong.push(format!("{}: not a gatehouse command: {line}", shown(&path)));
                continue;
            };
            match Cli::command().try_get_matches_from(&words) {
                Err(e) => wrong.push(format!("{}: `{line}` does not parse: {}", shown(&path), e.kind())),
                Ok(m) => {
                    let mut got = Vec::new();
                    let mut m = &m;
                    while let Some((name, sub)) = m.subcommand() {
                        got.push(name.to_string());
                        m = sub;
                    }
                    // A group's examples run one of its commands.
                    if !got.starts_with(&path) {
                        wrong.push(format!("{}: the example `{line}` runs `{}`", shown(&path), shown(&got)));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn version_names_the_source_revision() {
    let (ok, out, _) = run(&["--version"]);
    assert!(ok);
    let manifest = env!("CARGO_MANIFEST_DIR");
    let git = Command::new("git").args(["-C", manifest, "rev-parse", "--short=12", "HEAD"]).output();
    let revision = match git {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap().trim().to_string(),
        _ => "unknown".to_string(),
    };
    let want = format!("gatehouse {} ({revision}", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&want), "--version should start with {want:?}, got {out:?}");
}

#[test]
fn man_pages_cover_every_command_and_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(ok, "{err}");
    let want: Vec<String> = commands().iter().map(|(path, _)| format!("{}.1", shown(path).replace(' ', "-"))).collect();
    let mut got: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted, "one page per command");

    // `gatehouse man pass issue` prints the same page the folder holds.
    let (ok, page, _) = run(&["man", "pass", "issue"]);
    assert!(ok);
    assert_eq!(page, std::fs::read_to_string(dir.path().join("gatehouse-pass-issue.1")).unwrap());
    let (ok, _, err) = run(&["man", "pass", "nosuch"]);
    assert!(!ok && err.contains("no command `gatehouse pass nosuch`"), "{err}");

    if !common::tool_available("man", &["--version"]) {
        return;
    }
    for name in &want {
        let out = Command::new("man").args(["--warnings", "-l"]).arg(dir.path().join(name)).env("MANWIDTH", "80").output().unwrap();
        let (text, warnings) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && warnings.is_empty(), "man -l {name} warns:\n{warnings}");
        assert!(text.contains("SYNOPSIS"), "{name} renders:\n{text}");
    }
    let out = Command::new("man").args(["-l"]).arg(dir.path().join("gatehouse-pass-issue.1")).env("MANWIDTH", "80").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["--phone", "Holder's phone", "gatehouse --user asha pass issue --type SINGLE", "GLOBAL OPTIONS", "EXAMPLES"] {
        assert!(text.contains(needle), "the pass issue page should show {needle:?}:\n{text}");
    }
}

#[test]
fn completions_are_scripts_for_each_shell() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef gatehouse"), ("fish", "complete -c gatehouse")] {
        let (ok, script, err) = run(&["completions", shell]);
        assert!(ok, "{err}");
        assert!(script.contains(marker) && script.contains("issue") && script.contains("data-dir"), "{shell}:\n{script}");
    }
    // bash can at least parse its own script.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.bash");
    std::fs::write(&file, run(&["completions", "bash"]).1).unwrap();
    let out = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
}
