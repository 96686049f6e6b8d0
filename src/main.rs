//! The `briefwatch` binary: parses arguments, sets up logging, runs the command, maps errors to exit codes.

use clap::Parser;
use tracing::Level;
use tracing_subscriber::EnvFilter;

use briefwatch::cli::{Cli, Command};
use briefwatch::demo::Workdir;
use briefwatch::logging::{self, Destination};

fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("BRIEFWATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(cli.default_log_level()));
    // The demo narrates on the terminal; the daemon it runs logs to a file in its folder.
    let demo_dir = match &cli.command {
        Command::Demo(_) => match Workdir::create() {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("briefwatch: cannot create the demo's folder: {e}");
                std::process::exit(1);
            }
        },
        _ => None,
    };
    let logs = match &demo_dir {
        Some(d) => match logging::init_file(cli.log_format, filter, &d.log_file()) {
            Ok(dest) => dest,
            Err(e) => {
                eprintln!("briefwatch: cannot write {}: {e}", d.log_file().display());
                std::process::exit(1);
            }
        },
        None => logging::init(cli.log_format, filter, Destination::of_stderr()),
    };
    let fatal = logs.prefix(Level::ERROR);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{fatal}briefwatch: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(cli.execute_in(demo_dir)) {
        eprintln!("{fatal}briefwatch: {}", briefwatch::errors::chain(&e));
        std::process::exit(e.exit_code());
    }
}
