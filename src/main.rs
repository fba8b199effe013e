use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = gatehouse::cli::Cli::parse();
    let paths = cli.paths();
    // Log only into an existing data directory; `init` creates it.
    let _guard = paths.data_dir.is_dir().then(|| gatehouse::logging::init(&paths.log_dir())).flatten();
    match gatehouse::run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::from(gatehouse::cli::EXIT_ERROR)
        }
    }
}
