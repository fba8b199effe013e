//! The Debian package, built the way `./dev package` builds it (from the debug
//! binary this test run already has, rather than a release build CI would
//! wait minutes for), then opened with dpkg as a gate laptop would.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn checked(what: &str, out: Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> String {
    let program = program.as_ref();
    let what = format!("{} {}", program.to_string_lossy(), args.join(" "));
    checked(&what, Command::new(program).args(args).output().unwrap())
}

fn gunzip(file: &Path) -> String {
    run("gzip", &["-dc", file.to_str().unwrap()])
}

#[test]
fn debian_package_holds_the_program_its_manual_completions_and_docs() {
    let tools = [("cargo", &["deb", "--version"][..]), ("dpkg-deb", &["--version"]), ("dpkg-shlibdeps", &["--version"])];
    if !tools.iter().all(|(tool, args)| common::tool_available(tool, args)) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let manifest = env!("CARGO_MANIFEST_DIR");
    let output_dir = format!("{}/", out.path().display());
    run("bash", &[&format!("{manifest}/dev"), "package", "--debug", "--output", &output_dir]);

    let arch = run("dpkg", &["--print-architecture"]).trim().to_string();
    let deb = out.path().join(format!("gatehouse_{}_{arch}.deb", env!("CARGO_PKG_VERSION")));
    assert!(deb.is_file(), "expected {}", deb.display());
    let deb = deb.to_str().unwrap();

    let listing = run("dpkg-deb", &["-c", deb]);
    let files: Vec<&str> = listing.lines().filter_map(|l| l.split_whitespace().last()).collect();
    for want in [
        "./usr/bin/gatehouse",
        "./usr/share/man/man1/gatehouse.1.gz",
        "./usr/share/man/man1/gatehouse-pass-issue.1.gz",
        "./usr/share/man/man1/gatehouse-completions.1.gz",
        "./usr/share/bash-completion/completions/gatehouse",
        "./usr/share/zsh/vendor-completions/_gatehouse",
        "./usr/share/fish/vendor_completions.d/gatehouse.fish",
        "./usr/share/doc/gatehouse/config.toml",
        "./usr/share/doc/gatehouse/copyright",
        "./usr/share/doc/gatehouse/fonts/Terminus-LICENSE.txt",
        "./usr/share/applications/gatehouse.desktop",
    ] {
        assert!(files.contains(&want), "{want} missing from the package:\n{listing}");
    }
    let pages = files.iter().filter(|f| f.starts_with("./usr/share/man/man1/gatehouse") && f.ends_with(".1.gz")).count();
    assert!(pages > 40, "a man page for each command, found {pages}:\n{listing}");

    // Dependencies computed by dpkg-shlibdeps, not listed by hand.
    let depends = run("dpkg-deb", &["-f", deb, "Depends"]);
    assert!(depends.contains("libc6"), "Depends: {depends}");

    // Unpacked into a scratch root, the packaged program runs and is this build.
    let root = out.path().join("root");
    run("dpkg", &["-x", deb, root.to_str().unwrap()]);
    let packaged = root.join("usr/bin/gatehouse");
    assert_eq!(run(&packaged, &["--version"]), run(common::bin(), &["--version"]));
    let help = run(&packaged, &["--help"]);
    assert!(help.contains("Global options:") && help.contains("Examples:"), "{help}");

    // The files are what the program prints and what the repository holds.
    let share = root.join("usr/share");
    assert_eq!(gunzip(&share.join("man/man1/gatehouse-pass-issue.1.gz")), run(&packaged, &["man", "pass", "issue"]));
    assert_eq!(
        std::fs::read_to_string(share.join("bash-completion/completions/gatehouse")).unwrap(),
        run(&packaged, &["completions", "bash"])
    );
    let repo = Path::new(manifest);
    for (packaged, source) in [
        ("doc/gatehouse/config.toml", "config.toml"),
        ("doc/gatehouse/fonts/Terminus-LICENSE.txt", "assets/fonts/Terminus-LICENSE.txt"),
        ("applications/gatehouse.desktop", "assets/gatehouse.desktop"),
    ] {
        assert_eq!(std::fs::read(share.join(packaged)).unwrap(), std::fs::read(repo.join(source)).unwrap(), "{packaged}");
    }
    let desktop = std::fs::read_to_string(share.join("applications/gatehouse.desktop")).unwrap();
    assert!(desktop.contains("\nExec=gatehouse\n") && desktop.contains("\nTerminal=true\n"), "{desktop}");
}
