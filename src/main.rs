//! The `briefwatch` binary: parses arguments, sets up logging, runs the command, maps errors to exit codes.

use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use briefwatch::cli::{Cli, LogFormat};

fn main() {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("BRIEFWATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(cli.default_log_level()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none());
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("briefwatch: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(cli.execute()) {
        eprintln!("briefwatch: {}", briefwatch::errors::chain(&e));
        std::process::exit(e.exit_code());
    }
}
