//! Gates on one PostgreSQL event, driven through the binary as a person
//! would: the first gate (key file and first admin), enrolment tokens, and
//! a look for a secret in every file of a data directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{PASSWORD, bin};

/// Run the binary with `args`; no password from the environment, slots
/// sealed at the test cost, and `env` added.
pub fn gh(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    c.env_remove("PGPASSWORD").env_remove("GATEHOUSE_DATABASE_URL").env_remove("GATEHOUSE_PASSWORD").env("PGPASSFILE", "/nonexistent");
    c.env("GATEHOUSE_TEST_KDF", "cheap");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn out_text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `gh` as admin asha on gate `dir`.
pub fn as_asha(dir: &str, args: &[&str]) -> Output {
    let mut all = vec!["--data-dir", dir, "--user", "asha"];
    all.extend_from_slice(args);
    gh(&all, None, &[("GATEHOUSE_PASSWORD", PASSWORD)])
}

/// Stdout as JSON, after checking the command succeeded.
pub fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", out_text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out_text(o)))
}

/// The first gate of a new event at `url`: `init` with admin asha, named
/// `name`, then an Ed25519 issuing key (`key rotate --ed25519`).
pub fn first_gate(dir: &str, url: &str, name: &str) {
    let o = gh(
        &["--data-dir", dir, "--database", url, "--gate", name, "init", "--admin", "asha", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
        &[],
    );
    assert!(o.status.success(), "{}", out_text(&o));
    let o = as_asha(dir, &["key", "rotate", "--ed25519"]);
    assert!(o.status.success(), "{}", out_text(&o));
}

/// A one-time token for `gate`, made by asha on gate `dir`.
pub fn gate_token(dir: &str, gate: &str, env: &[(&str, &str)]) -> String {
    let mut e = vec![("GATEHOUSE_PASSWORD", PASSWORD)];
    e.extend_from_slice(env);
    let v = json_of(&gh(&["--data-dir", dir, "--user", "asha", "gate", "token", "--gate", gate, "--json"], None, &e));
    v["token"].as_str().unwrap().to_string()
}

/// Every file under `dir` whose bytes hold `secret` raw (any window of its
/// length) or as hex, lower or upper case; and how many files were read.
pub fn files_holding(dir: &Path, secret: &[u8]) -> (Vec<PathBuf>, usize) {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let needles = [secret.to_vec(), hex.clone().into_bytes(), hex.to_uppercase().into_bytes()];
    let (mut found, mut files) = (Vec::new(), 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            files += 1;
            if needles.iter().any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice())) {
                found.push(p);
            }
        }
    }
    (found, files)
}

/// `gate list --json` on gate `dir`: (name, last_seen, online, revoked) by name.
pub fn gate_list(dir: &str, within: &str) -> Vec<(String, Option<String>, bool, bool)> {
    let v = json_of(&gh(&["--data-dir", dir, "gate", "list", "--within", within, "--json"], None, &[]));
    v.as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["last_seen"].as_str().map(String::from),
                g["online"].as_bool().unwrap(),
                g["revoked"].as_bool().unwrap(),
            )
        })
        .collect()
}
