//! gatehouse: a gate console for event passes and resident cards.
//!
//! The domain core (`domain`) holds the rules, `store` is the only place that
//! speaks SQL, and `service` applies the rules to the store. The CLI and the
//! terminal UI are thin front ends over `service`.

pub mod camera;
pub mod cli;
pub mod config;
pub mod decode;
pub mod devicefile;
pub mod domain;
pub mod error;
pub mod keyfile;
pub mod logging;
pub mod print;
pub mod qr;
pub mod service;
pub mod store;
pub mod tui;

pub use error::{Error, Result};
pub use service::Gatehouse;

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// When the process started (the first call to this, which `main` makes first).
pub fn started() -> std::time::Instant {
    *STARTED.get_or_init(std::time::Instant::now)
}

/// Run the program for parsed arguments; the binary's whole body.
pub fn run(cli: cli::Cli) -> anyhow::Result<std::process::ExitCode> {
    cli::run(cli)
}
