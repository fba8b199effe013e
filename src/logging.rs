//! Logs go to a daily file in the data directory, never to the terminal
//! (the UI owns it). Keys and passwords are never logged.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start file logging if the log folder can be made; keep the guard alive.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    // Log lines name users, gates and files: the folder is the owner's only.
    crate::service::private_dir(log_dir, true).ok()?;
    let appender = tracing_appender::rolling::daily(log_dir, "gatehouse.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("GATEHOUSE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
