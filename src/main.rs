//! The `briefwatch` binary: parses arguments, sets up logging, runs the command, maps errors to exit codes.

use clap::Parser;
use tracing::Level;
use tracing_subscriber::EnvFilter;

use briefwatch::cli::Cli;
use briefwatch::logging::{self, Destination};

fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("BRIEFWATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(cli.default_log_level()));
    let logs = logging::init(cli.log_format, filter, Destination::of_stderr());
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
    if let Err(e) = runtime.block_on(cli.execute()) {
        eprintln!("{fatal}briefwatch: {}", briefwatch::errors::chain(&e));
        std::process::exit(e.exit_code());
    }
}
