//! The command-line interface: argument definitions and dispatch, one file per command group.

mod alerts;
mod briefs;
mod classify;
mod digest;
mod discover;
mod docs;
mod extract;
mod poll;
mod sources;
mod stories;
mod train;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::config::paths::{ConfigNotFound, PathEnv, find_config};
use crate::config::{Config, ConfigError, DEFAULT_CONFIG_PATH};
pub use crate::logging::LogFormat;

/// briefwatch: watch feeds and brief-publishing sites; store, search and alert on new briefs.
#[derive(Debug, Parser)]
#[command(name = "briefwatch", version = crate::VERSION, about, max_term_width = 100)]
pub struct Cli {
    /// Config file. When not given: config/briefwatch.toml or briefwatch.toml here,
    /// $CONFIGURATION_DIRECTORY/briefwatch.toml (systemd), $XDG_CONFIG_HOME/briefwatch/briefwatch.toml
    /// (~/.config/...), /etc/briefwatch/briefwatch.toml: the first that exists.
    #[arg(long, short, global = true, env = "BRIEFWATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log line format (logs go to stderr; filter with BRIEFWATCH_LOG, e.g. "debug"). Under systemd
    /// (stderr is $JOURNAL_STREAM) lines carry syslog priority prefixes and no timestamp.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "BRIEFWATCH_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every source on its interval until SIGTERM/SIGINT; SIGHUP reloads the config.
    Run,
    /// Poll every source once, store what is new, and exit.
    Poll(poll::PollArgs),
    /// Validate the config file; exit 2 when it has problems.
    CheckConfig,
    /// Manage and inspect sources.
    #[command(subcommand)]
    Sources(sources::SourcesCmd),
    /// Read stored briefs.
    #[command(subcommand)]
    Briefs(briefs::BriefsCmd),
    /// Near-duplicate clusters: the same story from several sources.
    #[command(subcommand)]
    Stories(stories::StoriesCmd),
    /// Topics (and with --explain, the evidence) for text on stdin.
    Classify(classify::ClassifyArgs),
    /// Re-run classification over every stored brief (after a topic pack or model change).
    Reclassify,
    /// Train the topic model from a label file and the labels given with `label`.
    Train(train::TrainArgs),
    /// Record that a brief is (or with --not, is not) about a topic, for the next training.
    Label(train::LabelArgs),
    /// Extract the main text and metadata of web pages (files or http(s) URLs); stores nothing.
    Extract(extract::ExtractArgs),
    /// Alert deliveries: list them, send a test message, retry a failed one, enable a destination.
    #[command(subcommand)]
    Alerts(alerts::AlertsCmd),
    /// Digest emails: list them, preview the next one, send the current period now.
    #[command(subcommand)]
    Digest(digest::DigestCmd),
    /// A self-contained offline run: a local news site, webhook receiver and SMTP sink, with
    /// briefs arriving live, stories merging, signed alerts verified and a digest mailed.
    Demo(crate::demo::DemoArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff) for every command; with --dir, one page per command.
    Man(docs::ManArgs),
    /// Write a consistent copy of the database to FILE (safe while the daemon runs).
    Backup {
        /// The new file (must not exist).
        file: std::path::PathBuf,
    },
}

/// An error that `main` turns into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad config: exit 2.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad arguments: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else: exit 1.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Other(_) => 1,
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::Other(e.into())
    }
}

impl From<crate::sources::http::ClientBuildError> for CliError {
    fn from(e: crate::sources::http::ClientBuildError) -> Self {
        CliError::Other(e.into())
    }
}

impl Cli {
    /// The default log filter for this command: `info` for the daemon, `warn` otherwise.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Run | Command::Demo(_) => "info",
            _ => "warn",
        }
    }

    /// Runs the command.
    pub async fn execute(self) -> Result<(), CliError> {
        self.execute_in(None).await
    }

    /// The config file: the one named, else the first found where one is looked for.
    pub fn config_path(&self) -> Result<PathBuf, ConfigNotFound> {
        match &self.config {
            Some(p) => Ok(p.clone()),
            None => find_config(&PathEnv::from_process(), Path::is_file),
        }
    }

    /// Runs the command; `demo` runs in `demo_dir` when given (`main` creates it first, to send
    /// the daemon's logs there), else in a new folder.
    pub async fn execute_in(self, demo_dir: Option<crate::demo::Workdir>) -> Result<(), CliError> {
        let found = self.config_path();
        // Commands that work without a config file get the first place looked at, which does
        // not exist, and use their defaults.
        let optional = || {
            found
                .clone()
                .unwrap_or_else(|_| PathBuf::from(DEFAULT_CONFIG_PATH))
        };
        let required = || found.clone().map_err(ConfigError::from);
        match self.command {
            Command::Demo(args) => {
                let dir = match demo_dir {
                    Some(d) => d,
                    None => crate::demo::Workdir::create()
                        .map_err(|e| anyhow::anyhow!("cannot create the demo's folder: {e}"))?,
                };
                crate::demo::run(args, dir).await?;
                Ok(())
            }
            Command::Run => {
                let token = tokio_util::sync::CancellationToken::new();
                crate::app::cancel_on_signals(token.clone());
                crate::app::run(&required()?, token).await?;
                Ok(())
            }
            Command::Poll(args) => poll::run(&required()?, args).await,
            Command::Completions(args) => docs::completions(args),
            Command::Man(args) => docs::man(args),
            Command::CheckConfig => {
                let config = required()?;
                let cfg = Config::load(&config)?;
                println!(
                    "{}: ok ({} sources, database {}, topic pack {:?} with {} topics, {} alert rules, {} destinations, {} digests)",
                    config.display(),
                    cfg.sources.len(),
                    cfg.storage.path.display(),
                    cfg.classify.pack.name,
                    cfg.classify.pack.topics.len(),
                    cfg.alerts.len(),
                    cfg.destinations.len(),
                    cfg.digests.len()
                );
                Ok(())
            }
            Command::Sources(cmd @ sources::SourcesCmd::Discover { .. }) => {
                sources::run(&optional(), cmd).await
            }
            Command::Sources(cmd) => sources::run(&required()?, cmd).await,
            Command::Briefs(cmd) => briefs::run(&required()?, cmd),
            Command::Stories(cmd) => stories::run(&required()?, cmd),
            Command::Classify(args) => classify::classify(&optional(), args),
            Command::Reclassify => classify::reclassify(&required()?),
            Command::Train(args) => train::train(&required()?, args),
            Command::Label(args) => train::label(&required()?, args),
            Command::Extract(args) => extract::run(&optional(), args).await,
            Command::Alerts(cmd) => alerts::run(&required()?, cmd).await,
            Command::Digest(cmd) => digest::run(&required()?, cmd).await,
            Command::Backup { file } => {
                let cfg = Config::load(&required()?)?;
                let store = crate::store::Store::open(&cfg.storage.path)?;
                store.backup(&file)?;
                println!(
                    "{} copied to {}",
                    cfg.storage.path.display(),
                    file.display()
                );
                Ok(())
            }
        }
    }
}

/// Text from feeds made safe for a terminal: control characters, whole ANSI escape sequences and
/// bidi overrides removed; newlines and tabs kept (the sinks' own cleaning).
pub(crate) fn printable(s: &str) -> String {
    crate::sinks::escape::clean(s)
}

/// One line of text, for tables: [`printable`], with runs of whitespace (newlines included) made one
/// space.
pub(crate) fn one_line(s: &str) -> String {
    crate::sinks::escape::one_line(s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn terminal_output_drops_escape_sequences_and_bidi_overrides() {
        let hostile = "Title\x1b[2J\x1b]0;pwned\x07 \u{202E}gnp.exe\n  next\tline\0";
        assert_eq!(super::one_line(hostile), "Title gnp.exe next line");
        let kept = super::printable(hostile);
        assert!(!kept.contains('\x1b') && !kept.contains('\u{202E}') && !kept.contains("pwned"));
        assert!(kept.contains("\n  next\tline"), "{kept:?}");
    }
}
