//! `briefs`: list, show, search and delete stored briefs.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use super::{CliError, one_line, printable};
use crate::config::Config;
use crate::model::StoredBrief;
use crate::store::BriefFilter;
use crate::transforms::classify::{Field, expand_evidence};
use crate::views::{self, ListLine};

/// `briefs` subcommands.
#[derive(Debug, Subcommand)]
pub enum BriefsCmd {
    /// Newest first.
    List {
        /// How many; 0 means all.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Only briefs since a date (2026-11-01, an RFC 3339 time) or a duration ago (36h, 7d).
        #[arg(long, value_parser = parse_since)]
        since: Option<DateTime<Utc>>,
        /// Only briefs of this source.
        #[arg(long)]
        source: Option<String>,
        /// Only briefs tagged with this topic (its id, e.g. ceasefire).
        #[arg(long)]
        topic: Option<String>,
        /// Only briefs naming this entity (e.g. Iran, IAEA).
        #[arg(long)]
        entity: Option<String>,
        /// One JSON object a line: id, source, url, title, published, topics, story_id, author, guid.
        #[arg(long)]
        json: bool,
    },
    /// One brief in full.
    Show {
        /// The brief's id.
        id: i64,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over titles and texts, best match first.
    Search {
        /// Words to find (all must occur); FTS5 syntax such as "a phrase", OR, prefix* also works.
        query: String,
        /// How many; 0 means all.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// One JSON object a line, as `briefs list --json`.
        #[arg(long)]
        json: bool,
    },
    /// Delete briefs; a tombstone keeps the next poll from storing them again.
    Delete {
        /// The briefs' ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    let ago = humantime::parse_duration(s).map_err(|_| {
        format!("{s:?} is not a date (2026-11-01), an RFC 3339 time or a duration (36h, 7d)")
    })?;
    Ok(Utc::now() - chrono::Duration::from_std(ago).map_err(|e| e.to_string())?)
}

pub(super) fn run(config: &Path, cmd: BriefsCmd) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (mut store, _) = crate::app::open_and_sync(&cfg)?;
    match cmd {
        BriefsCmd::List {
            limit,
            since,
            source,
            topic,
            entity,
            json,
        } => {
            // Briefs are indexed under the canonical name: "IAEA" finds "International Atomic
            // Energy Agency".
            let entity = entity.map(|e| {
                cfg.classify
                    .gazetteer
                    .canonical(&e)
                    .map_or(e.clone(), str::to_string)
            });
            let filter = BriefFilter {
                limit: (limit > 0).then_some(limit),
                since,
                source,
                topic,
                entity,
            };
            let list = store.list_briefs(&filter)?;
            print_list(&store, &list, json)
        }
        BriefsCmd::Show { id, json } => {
            let b = store.get_brief(id)?;
            let also = store.story_appearances(id)?;
            let topics = store.brief_topics(id)?;
            let entities = store.brief_entities(id)?;
            if json {
                let out = views::BriefShow::new(&b, &also, &topics, &entities);
                println!(
                    "{}",
                    serde_json::to_string(&out).map_err(anyhow::Error::from)?
                );
            } else {
                print_full(&b, &also);
                print_tags(&b, &topics, &entities);
            }
            Ok(())
        }
        BriefsCmd::Search { query, limit, json } => {
            let found = store.search_briefs(&query, (limit > 0).then_some(limit))?;
            print_list(&store, &found, json)
        }
        BriefsCmd::Delete { ids } => {
            for id in ids {
                store.delete_brief(id)?;
                println!("deleted brief {id}");
            }
            Ok(())
        }
    }
}

fn print_list(
    store: &crate::store::Store,
    list: &[StoredBrief],
    json: bool,
) -> Result<(), CliError> {
    use std::io::Write;
    let ids: Vec<i64> = list.iter().map(|b| b.id).collect();
    let topics = store.topic_scores(&ids)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res: std::io::Result<()> = (|| {
        for b in list {
            if json {
                serde_json::to_writer(&mut out, &ListLine::new(b, topics.get(&b.id)))?;
                writeln!(out)?;
            } else {
                let when = b.published.unwrap_or(b.fetched).format("%Y-%m-%d %H:%M");
                let tags = topics
                    .get(&b.id)
                    .map(|t| {
                        let ids: Vec<&str> = t.iter().map(|(id, _)| id.as_str()).collect();
                        format!("  [{}]", ids.join(", "))
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>6}  {when}  {:<16}  {}{tags}",
                    b.id,
                    one_line(&b.source),
                    one_line(&b.title)
                )?;
            }
        }
        out.flush()
    })();
    match res {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| CliError::Other(e.into())),
    }
}

fn print_full(b: &StoredBrief, also: &[crate::store::Appearance]) {
    println!("{}", one_line(&b.title));
    println!(
        "id: {}   source: {}   guid: {}",
        b.id,
        one_line(&b.source),
        one_line(&b.guid)
    );
    if let Some(u) = &b.url {
        println!("url: {}", one_line(u));
    }
    if let Some(a) = &b.author {
        println!("author: {}", one_line(a));
    }
    let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_else(|| "-".into());
    println!(
        "published: {}   updated: {}   fetched: {}",
        t(b.published),
        t(b.updated),
        b.fetched.to_rfc3339()
    );
    if let Some(s) = b.story_id {
        println!("story: {s}");
    }
    if !also.is_empty() {
        println!("also reported by:");
        for a in also {
            println!(
                "  {:<20} brief {:>6}  {}  {}",
                one_line(&a.source),
                a.brief_id,
                a.url.as_deref().map(one_line).unwrap_or_default(),
                one_line(&a.title)
            );
        }
    }
    println!("\n{}", printable(&b.text));
}

/// The topics (with their evidence) and entities of a brief, after its text.
fn print_tags(
    b: &StoredBrief,
    topics: &[crate::model::TopicTag],
    entities: &[crate::model::EntityTag],
) {
    if !topics.is_empty() {
        println!();
        println!("topics:");
    }
    for t in topics {
        println!("  {} {:.2}", one_line(&t.topic), t.score);
        for e in expand_evidence(&t.evidence, &b.title, &b.text) {
            match e.field {
                Some(field) => println!(
                    "    {:+.2}  {:?} in {}: {}",
                    e.weight,
                    one_line(&e.term),
                    if field == Field::Title {
                        "title"
                    } else {
                        "text"
                    },
                    one_line(&e.snippet)
                ),
                None => println!(
                    "    {:+.2}  {} (trained model)",
                    e.weight,
                    one_line(&e.term)
                ),
            }
        }
    }
    if !entities.is_empty() {
        let names: Vec<String> = entities
            .iter()
            .map(|e| format!("{} ({})", one_line(&e.name), e.kind))
            .collect();
        println!("entities: {}", names.join(", "));
    }
}
