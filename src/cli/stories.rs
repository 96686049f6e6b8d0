//! `stories`: near-duplicate clusters with the sources that carried them.

use std::path::Path;

use clap::Subcommand;

use super::{CliError, one_line};
use crate::config::Config;

/// `stories` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoriesCmd {
    /// Stories, most recently active first, with their sources.
    List {
        /// How many; 0 means all.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only stories carried by at least this many sources.
        #[arg(long, default_value_t = 1)]
        min_sources: u64,
        /// One JSON object a line: id, title, first_seen, last_seen, briefs, sources.
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(config: &Path, cmd: StoriesCmd) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (store, _) = crate::app::open_and_sync(&cfg)?;
    match cmd {
        StoriesCmd::List {
            limit,
            min_sources,
            json,
        } => {
            let stories = store.list_stories((limit > 0).then_some(limit), min_sources)?;
            for s in &stories {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&crate::views::StoryLine::new(s))
                            .map_err(anyhow::Error::from)?
                    );
                } else {
                    println!(
                        "{:>6}  {}  {} briefs, {} sources  {}",
                        s.id,
                        s.last_seen.format("%Y-%m-%d %H:%M"),
                        s.briefs,
                        s.sources.len(),
                        one_line(&s.title)
                    );
                    println!("        {}", one_line(&s.sources.join(", ")));
                }
            }
        }
    }
    Ok(())
}
