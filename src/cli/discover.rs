//! `sources discover URL` (a site's feeds, else a proposed HTML source) and `sources test NAME` (what
//! a source yields now, stored nowhere).

use std::path::Path;

use serde_json::json;
use url::Url;

use super::{CliError, one_line};
use crate::config::{Config, FetchConfig};
use crate::sources::discover::{COMMON_FEED_PATHS, announced_feeds, propose_links_selector};
use crate::sources::feed::parse_feed;
use crate::sources::http::{ACCEPT_FEED, ACCEPT_HTML, HttpClient};
use crate::transforms::extract::decode_html;

/// A feed found for a site.
struct Found {
    url: Url,
    title: Option<String>,
    entries: usize,
}

fn client_for(config: &Path) -> Result<HttpClient, CliError> {
    let fetch = if config.exists() {
        Config::load(config)?.fetch
    } else {
        FetchConfig::default()
    };
    Ok(HttpClient::new(&fetch)?)
}

/// The feed at `url`, if it is one with entries.
async fn try_feed(client: &HttpClient, url: &Url) -> Option<Found> {
    let f = client.get(url, ACCEPT_FEED).await.ok()?;
    let parsed = parse_feed(&f.body, f.content_type.as_deref(), &f.url).ok()?;
    (!parsed.entries.is_empty()).then_some(Found {
        url: f.url,
        title: parsed.title,
        entries: parsed.entries.len(),
    })
}

pub(super) async fn discover(config: &Path, page: &str, json_out: bool) -> Result<(), CliError> {
    let page = crate::config::parse_source_url(page).map_err(|e| CliError::Usage(e.to_string()))?;
    let client = client_for(config)?;
    let first = client
        .get(&page, ACCEPT_HTML)
        .await
        .map_err(|e| CliError::Other(e.into()))?;
    // The address may itself be a feed.
    if let Ok(parsed) = parse_feed(&first.body, first.content_type.as_deref(), &first.url)
        && !parsed.entries.is_empty()
    {
        let found = Found {
            url: first.url.clone(),
            title: parsed.title,
            entries: parsed.entries.len(),
        };
        return print_feeds(&[found], json_out);
    }
    let html = decode_html(&first.body, first.content_type.as_deref());
    let mut feeds = Vec::new();
    for a in announced_feeds(&html, &first.url) {
        match try_feed(&client, &a.url).await {
            Some(mut f) => {
                f.title = f.title.or(a.title);
                feeds.push(f);
            }
            None => eprintln!("announced feed {} did not parse as a feed; skipped", a.url),
        }
    }
    if feeds.is_empty() {
        for path in COMMON_FEED_PATHS {
            let Ok(url) = first.url.join(path) else {
                continue;
            };
            if let Some(f) = try_feed(&client, &url).await
                && !feeds.iter().any(|x: &Found| x.url == f.url)
            {
                feeds.push(f);
            }
        }
    }
    if !feeds.is_empty() {
        return print_feeds(&feeds, json_out);
    }
    match propose_links_selector(&html, &first.url) {
        Some(p) => {
            if json_out {
                let examples: Vec<_> = p
                    .links
                    .iter()
                    .take(5)
                    .map(|(u, t)| json!({"url": u.as_str(), "text": t}))
                    .collect();
                println!(
                    "{}",
                    json!({"kind": "html", "url": first.url.as_str(), "links": p.selector, "matches": p.links.len(), "examples": examples})
                );
            } else {
                println!(
                    "{} announces no feed; it can be read as an HTML source.",
                    first.url
                );
                println!("`{}` selects {} links, e.g.:", p.selector, p.links.len());
                for (u, t) in p.links.iter().take(5) {
                    println!("  {}  {}", one_line(t), u);
                }
                println!(
                    "\n[[sources]]\nname = {:?}\nkind = \"html\"\nurl = {:?}\n[sources.html]\nlinks = {:?}",
                    suggested_name(&first.url),
                    first.url.as_str(),
                    p.selector
                );
            }
            Ok(())
        }
        None => Err(CliError::Other(anyhow::anyhow!(
            "{}: no feed announced or at the usual paths, and no repeated article links to propose a `links` selector from",
            first.url
        ))),
    }
}

fn print_feeds(feeds: &[Found], json_out: bool) -> Result<(), CliError> {
    for f in feeds {
        if json_out {
            println!(
                "{}",
                json!({"kind": "feed", "url": f.url.as_str(), "title": f.title, "entries": f.entries})
            );
        } else {
            println!(
                "feed  {}  ({} entries)  {}",
                f.url,
                f.entries,
                one_line(f.title.as_deref().unwrap_or(""))
            );
        }
    }
    if !json_out && let Some(f) = feeds.first() {
        println!(
            "\n[[sources]]\nname = {:?}\nurl = {:?}",
            suggested_name(&f.url),
            f.url.as_str()
        );
    }
    Ok(())
}

/// A source name from a URL's host: `www.think.example` → `think-example`.
fn suggested_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("source");
    host.trim_start_matches("www.").replace('.', "-")
}

pub(super) async fn test(config: &Path, name: &str, json_out: bool) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (store, active) = crate::app::open_and_sync(&cfg)?;
    let Some(src) = active.into_iter().find(|s| s.spec.name == name) else {
        return Err(CliError::Usage(format!(
            "no enabled source named {name:?} (see `briefwatch sources list`)"
        )));
    };
    let classifier = crate::app::build_classifier(&cfg, &store)?;
    drop(store);
    let client = HttpClient::new(&cfg.fetch)?;
    let briefs = crate::pipeline::preview(&client, &classifier, &src)
        .await
        .map_err(|e| CliError::Other(anyhow::anyhow!("source {name} ({}): {e}", src.spec.url)))?;
    for b in &briefs {
        let topics: Vec<&str> = b.topics.iter().map(|t| t.topic.as_str()).collect();
        if json_out {
            println!(
                "{}",
                json!({
                    "guid": b.guid, "url": b.url, "title": b.title, "author": b.author,
                    "published": b.published.map(|d| d.to_rfc3339()), "topics": topics,
                    "text": b.text,
                })
            );
        } else {
            let when = b
                .published
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into());
            println!("{when}  {}", one_line(&b.title));
            println!("    {}", b.url.as_deref().unwrap_or(&b.guid));
            let excerpt: String = one_line(&b.text).chars().take(160).collect();
            if !excerpt.is_empty() {
                println!("    {excerpt}");
            }
            if !topics.is_empty() {
                println!("    topics: {}", topics.join(", "));
            }
        }
    }
    if !json_out {
        println!("{} briefs from {name} (nothing stored)", briefs.len());
    }
    Ok(())
}
