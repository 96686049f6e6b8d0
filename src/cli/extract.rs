//! `extract`: main-content extraction of pages given as files or http(s) URLs; prints, never stores.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use url::Url;

use super::{CliError, printable};
use crate::config::{Config, FetchConfig};
use crate::sources::http::{ACCEPT_HTML, HttpClient};
use crate::transforms::extract::{Article, decode_html, extract};

/// Arguments of `extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// HTML files or http(s) URLs.
    #[arg(required = true, value_name = "FILE_OR_URL")]
    pub inputs: Vec<String>,
    /// One JSON object a line: input, title, byline, published (RFC 3339 or null), text.
    #[arg(long)]
    pub json: bool,
}

/// One line of `extract --json`.
#[derive(Debug, Serialize)]
struct ExtractLine<'a> {
    input: &'a str,
    title: Option<&'a str>,
    byline: Option<&'a str>,
    published: Option<String>,
    text: &'a str,
}

pub(super) async fn run(config: &Path, args: ExtractArgs) -> Result<(), CliError> {
    let mut client = None;
    let mut failed = 0;
    let mut out = io::stdout().lock();
    for input in &args.inputs {
        let page = match as_url(input) {
            Some(url) => {
                if client.is_none() {
                    let fetch = fetch_config(config);
                    client = Some(HttpClient::new(&fetch)?);
                }
                let client = client.as_ref().expect("client built above");
                fetch_page(client, &url).await.map(|html| (html, Some(url)))
            }
            None => read_page(input).map(|html| (html, None)),
        };
        match page {
            Ok((html, url)) => {
                let article = extract(&html, url.as_ref());
                match print_article(&mut out, input, &article, args.json) {
                    Ok(()) => {}
                    // The reader went away (`| head`): nothing more to say.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                    Err(e) => return Err(CliError::Other(e.into())),
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("briefwatch: extract: {}", crate::errors::chain(&*e));
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Other(anyhow::anyhow!(
            "{failed} of {} inputs failed",
            args.inputs.len()
        )));
    }
    Ok(())
}

/// An http(s) URL, or `None` for a file path.
fn as_url(input: &str) -> Option<Url> {
    let lower = input.get(..8).unwrap_or(input).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    Url::parse(input).ok()
}

/// `[fetch]` from the config file when it loads, else the defaults (with a warning when a config
/// file exists but is invalid).
fn fetch_config(path: &Path) -> FetchConfig {
    match Config::load(path) {
        Ok(cfg) => cfg.fetch,
        Err(e) => {
            if path.exists() {
                eprintln!("briefwatch: extract: using default fetch limits: {e}");
            }
            FetchConfig::default()
        }
    }
}

async fn fetch_page(client: &HttpClient, url: &Url) -> anyhow::Result<String> {
    let f = client.get(url, ACCEPT_HTML).await?;
    Ok(decode_html(&f.body, f.content_type.as_deref()))
}

fn read_page(path: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| path.to_string())?;
    Ok(decode_html(&bytes, None))
}

fn print_article(out: &mut impl Write, input: &str, a: &Article, json: bool) -> io::Result<()> {
    if json {
        let line = ExtractLine {
            input,
            title: a.title.as_deref(),
            byline: a.byline.as_deref(),
            published: a.published.map(|d| d.to_rfc3339()),
            text: &a.text,
        };
        serde_json::to_writer(&mut *out, &line)?;
        return writeln!(out);
    }
    writeln!(out, "== {}", printable(input))?;
    if let Some(t) = &a.title {
        writeln!(out, "Title:     {}", printable(t))?;
    }
    if let Some(b) = &a.byline {
        writeln!(out, "By:        {}", printable(b))?;
    }
    if let Some(p) = a.published {
        writeln!(out, "Published: {}", p.to_rfc3339())?;
    }
    writeln!(out)?;
    writeln!(out, "{}", printable(&a.text))?;
    writeln!(out)
}
