//! Records the source revision for `gatehouse --version` as GATEHOUSE_REVISION:
//! the variable itself when set (a distribution's build), else the git commit
//! of this checkout (with `-modified` when the sources built differ from it),
//! else "unknown" (a tarball, or `cargo install` from a copy without `.git`).

use std::path::PathBuf;
use std::process::Command;

/// What the binary is built from: a change here rebuilds the crate anyway,
/// so rerunning this script then is free and keeps `-modified` true.
const SOURCES: [&str; 5] = ["src", "assets", "build.rs", "Cargo.toml", "Cargo.lock"];

fn main() {
    for s in SOURCES {
        println!("cargo:rerun-if-changed={s}");
    }
    println!("cargo:rerun-if-env-changed=GATEHOUSE_REVISION");
    let revision = std::env::var("GATEHOUSE_REVISION").ok().filter(|r| !r.trim().is_empty()).or_else(git_revision);
    println!("cargo:rustc-env=GATEHOUSE_REVISION={}", revision.as_deref().unwrap_or("unknown"));
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| text.trim().to_string())
}

fn git_revision() -> Option<String> {
    // Only this crate's own repository: not one that a copy happens to sit in.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?).canonicalize().ok()?;
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?).canonicalize().ok()?;
    if top != here {
        return None;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).filter(|c| !c.is_empty())?;
    // Also rerun when HEAD moves: HEAD itself, the branch it points to, packed refs.
    for path in ["HEAD", "packed-refs"] {
        watch(git(&["rev-parse", "--git-path", path]));
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch(git(&["rev-parse", "--git-path", &branch]));
    }
    let modified = git(&[&["status", "--porcelain", "--untracked-files=no", "--"][..], &SOURCES].concat()).is_some_and(|s| !s.is_empty());
    Some(if modified { format!("{commit}-modified") } else { commit })
}

fn watch(path: Option<String>) {
    if let Some(p) = path.map(PathBuf::from).filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}
