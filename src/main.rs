use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    gatehouse::started();
    // `gatehouse ... | head` should end quietly, as other CLI tools do,
    // not panic in println! when the reader goes away.
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match gatehouse::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error echoes the bad argument: escaped, like every error.
        Err(e) if e.use_stderr() => {
            eprint!("{}", gatehouse::cli::escape(&e.to_string()));
            return ExitCode::from(gatehouse::cli::EXIT_ERROR);
        }
        Err(e) => e.exit(),
    };
    let paths = cli.paths();
    // Log only into an existing data directory; `init` creates it.
    let _guard = paths.data_dir.is_dir().then(|| gatehouse::logging::init(&paths.log_dir())).flatten();
    match gatehouse::run(cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            // Errors echo input (ids, names, paths): never raw to the terminal.
            eprintln!("error: {}", gatehouse::cli::escape(&format!("{e:#}")));
            ExitCode::from(gatehouse::cli::EXIT_ERROR)
        }
    }
}
