//! The expand step: the web pages beyond a source's own document. For an HTML source, its further
//! listing pages and the article pages behind new links; for a `fetch_full_article` feed, the
//! article pages of new entries. A page whose link the store already has is never fetched again;
//! at most `max_articles` are fetched per poll. Without a store (`sources test`) every link counts
//! as new.

use url::Url;

use crate::errors::chain;
use crate::model::{HtmlSettings, Markup, RawBrief, SourceState, Validators};
use crate::pipeline::read::run_blocking;
use crate::sources::html::{
    Listing, ListingLink, ListingSelectors, article_brief, article_selectors, parse_listing,
};
use crate::sources::http::{ACCEPT_HTML, FetchError, Fetched, HttpClient};
use crate::store::LinkState;
use crate::store::writer::WriterHandle;
use crate::transforms::canonicalize::canonicalize;
use crate::transforms::extract::Selectors;
use crate::transforms::normalize::guid_of;

/// What the expand step leaves to process.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Raw briefs to process and persist (links another source stored come as sighting stubs).
    pub entries: Vec<RawBrief>,
    /// False when new entries or links were left for the next poll (over `max_articles`, or their
    /// page failed for now): the document must then be read again even if it has not changed.
    pub complete: bool,
    /// Entries or listing links skipped because this source already stored them.
    pub known: usize,
}

impl Expanded {
    /// Every entry, none known, nothing left for later.
    pub fn all(entries: Vec<RawBrief>) -> Expanded {
        Expanded {
            entries,
            complete: true,
            known: 0,
        }
    }
}

/// The raw briefs of an HTML source whose first listing page was just parsed: the listing's new
/// links (following `next_page` while pages still bring new ones), each new article fetched and
/// extracted, and links already stored by another source passed on as sightings.
pub(super) async fn html_source(
    client: &HttpClient,
    writer: Option<&WriterHandle>,
    src: &SourceState,
    first: Listing,
    selectors: &ListingSelectors,
) -> Expanded {
    let Some(settings) = src.spec.settings.html.as_ref() else {
        return Expanded::all(Vec::new());
    };
    let Some(links) = new_links(client, writer, src, settings, first, selectors).await else {
        return Expanded {
            complete: false,
            ..Expanded::default()
        };
    };
    let (entries, waiting) = articles(client, src, settings, links.found).await;
    Expanded {
        entries,
        complete: waiting == 0,
        known: links.known,
    }
}

/// The links of a listing worth following, with what the store knows of each.
struct NewLinks {
    /// Links not stored by this source, each once, in listing order.
    found: Vec<(ListingLink, LinkState)>,
    /// Links this source already stored.
    known: usize,
}

/// Reads the listing from its first page on: every page on a first read (no validators), otherwise
/// until a page brings nothing new; at most `max_pages`. `None` (logged) when the store cannot say
/// which links it has.
async fn new_links(
    client: &HttpClient,
    writer: Option<&WriterHandle>,
    src: &SourceState,
    settings: &HtmlSettings,
    first: Listing,
    selectors: &ListingSelectors,
) -> Option<NewLinks> {
    let name = &src.spec.name;
    let mut found: Vec<(ListingLink, LinkState)> = Vec::new();
    let mut listing = first;
    // Without validators this is a first read, or the last poll left new links for later: read
    // every listing page then; otherwise stop at the first page that brings nothing new.
    let thorough = src.validators == Validators::default();
    let mut pages = 1;
    let mut known = 0;
    loop {
        let states = link_states(writer, src, listing.links.iter().map(|l| &l.url)).await?;
        let any_new = states.contains(&LinkState::New);
        for (link, state) in listing.links.into_iter().zip(states) {
            if state == LinkState::Known {
                known += 1;
            }
            if state != LinkState::Known && !found.iter().any(|(f, _)| f.url == link.url) {
                found.push((link, state));
            }
        }
        let next = match listing.next {
            Some(next) if (any_new || thorough) && pages < settings.max_pages => next,
            _ => break,
        };
        let Ok(page) = fetch_page(client, &next, name).await else {
            break;
        };
        pages += 1;
        listing = parse_listing(
            &page.body,
            page.content_type.as_deref(),
            &page.url,
            selectors,
        );
    }
    if found.is_empty() {
        tracing::debug!(source = %name, pages, "no new links on the listing");
    }
    Some(NewLinks { found, known })
}

/// The raw briefs behind a listing's links: new ones fetched and extracted (at most
/// `max_articles`), those another source stored as sighting stubs. Also returns how many new links
/// wait for the next poll.
async fn articles(
    client: &HttpClient,
    src: &SourceState,
    settings: &HtmlSettings,
    found: Vec<(ListingLink, LinkState)>,
) -> (Vec<RawBrief>, usize) {
    let name = &src.spec.name;
    let article = article_selectors(Some(settings));
    let mut out = Vec::new();
    let (mut fetched, mut waiting) = (0, 0);
    for (link, state) in found {
        match state {
            LinkState::Elsewhere => out.push(stub(&link.url, &link.text)),
            LinkState::New if fetched < src.spec.settings.max_articles => {
                fetched += 1;
                let Ok(page) = fetch_page(client, &link.url, name).await else {
                    waiting += 1;
                    continue;
                };
                let fallback = Some(link.text.clone()).filter(|t| !t.is_empty());
                match extract_article(name, page, &link.url, &article, fallback).await {
                    Some(brief) => out.push(brief),
                    None => out.push(stub(&link.url, &link.text)),
                }
            }
            LinkState::New => waiting += 1,
            LinkState::Known => {}
        }
    }
    tracing::debug!(source = %name, articles = fetched, waiting, "html source read");
    (out, waiting)
}

/// Feed entries with their pages' articles in place of teasers, for entries the store does not have
/// yet, at most `max_articles` pages a poll. New entries over that number, and those whose page
/// could not be fetched for a reason that may pass (a timeout, a 503), are left out for the next
/// poll, which then reads the feed again (not `complete`: drop its validators); an entry whose page
/// is gone for good (404, 410, refused) keeps the feed's text. Entries this source already stored
/// are dropped and counted as known.
pub(super) async fn full_articles(
    client: &HttpClient,
    writer: Option<&WriterHandle>,
    src: &SourceState,
    mut entries: Vec<RawBrief>,
) -> Expanded {
    let links: Vec<(usize, Url)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.link.clone().map(|l| (i, l)))
        .collect();
    let keyed: Vec<(String, Option<String>)> = links
        .iter()
        .map(|(i, l)| (guid_of(&entries[*i]), Some(canonicalize(l).to_string())))
        .collect();
    let states = match writer {
        None => vec![LinkState::New; keyed.len()],
        Some(w) => match w.link_states(src.id, keyed).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(source = %src.spec.name, error = %chain(&e), "looking up entries failed; keeping teasers");
                return Expanded::all(entries);
            }
        },
    };
    let selectors = article_selectors(src.spec.settings.html.as_ref());
    let mut fetched = 0;
    // Entries left for the next poll, and entries already stored: both are dropped.
    let mut later = vec![false; entries.len()];
    let mut known = vec![false; entries.len()];
    for ((i, link), state) in links.into_iter().zip(states) {
        if state == LinkState::Known {
            known[i] = true;
        }
        if state != LinkState::New {
            continue;
        }
        if fetched >= src.spec.settings.max_articles {
            later[i] = true;
            continue;
        }
        fetched += 1;
        let page = match fetch_page(client, &link, &src.spec.name).await {
            Ok(page) => page,
            Err(e) => {
                later[i] = e.should_retry();
                continue;
            }
        };
        let Some(a) = extract_article(&src.spec.name, page, &link, &selectors, None).await else {
            // The entry keeps its feed text.
            continue;
        };
        let e = &mut entries[i];
        if a.content.is_some() {
            e.content = a.content;
            e.base = a.base;
        }
        e.title = e.title.take().or(a.title);
        if e.authors.is_empty() {
            e.authors = a.authors;
        }
        e.published = e.published.or(a.published);
    }
    let waiting = later.iter().filter(|&&l| l).count();
    let stored = known.iter().filter(|&&k| k).count();
    if waiting > 0 {
        tracing::debug!(source = %src.spec.name, articles = fetched, waiting, "entries left for the next poll");
    }
    let mut drop = later.into_iter().zip(known).map(|(l, k)| l || k);
    entries.retain(|_| !drop.next().unwrap_or(false));
    Expanded {
        entries,
        complete: waiting == 0,
        known: stored,
    }
}

/// The store's view of `urls` for this source (all new without a store: `sources test`); `None`
/// (logged) when the store cannot answer.
async fn link_states<'a>(
    writer: Option<&WriterHandle>,
    src: &SourceState,
    urls: impl Iterator<Item = &'a Url>,
) -> Option<Vec<LinkState>> {
    let keyed: Vec<(String, Option<String>)> = urls
        .map(|u| (u.to_string(), Some(canonicalize(u).to_string())))
        .collect();
    let Some(writer) = writer else {
        return Some(vec![LinkState::New; keyed.len()]);
    };
    match writer.link_states(src.id, keyed).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(source = %src.spec.name, error = %chain(&e), "looking up links failed; fetching nothing");
            None
        }
    }
}

/// [`article_brief`] on the blocking pool (extraction is CPU work, milliseconds a page, that must
/// not hold an async worker); a panic inside it is logged with the source and URL and gives `None`.
async fn extract_article(
    source: &str,
    page: Fetched,
    link: &Url,
    selectors: &Selectors,
    fallback_title: Option<String>,
) -> Option<RawBrief> {
    let (url, selectors) = (link.clone(), selectors.clone());
    let work = move || {
        article_brief(
            &page.body,
            page.content_type.as_deref(),
            &url,
            &page.url,
            &selectors,
            fallback_title.as_deref(),
        )
    };
    match run_blocking(work).await {
        Ok(brief) => Some(brief),
        Err(e) => {
            tracing::error!(source = %source, url = %crate::sources::http::shown_url(link), error = %e, "article extraction failed");
            None
        }
    }
}

/// A plain GET of a page; failures are logged with the source and URL.
async fn fetch_page(client: &HttpClient, url: &Url, source: &str) -> Result<Fetched, FetchError> {
    client.get(url, ACCEPT_HTML).await.inspect_err(
        |e| tracing::warn!(source = %source, url = %crate::sources::http::shown_url(url), error = %chain(e), "page fetch failed"),
    )
}

/// A brief for a link that another source already stored: enough for the store to record this
/// source's sighting of it.
fn stub(url: &Url, title: &str) -> RawBrief {
    RawBrief {
        guid: Some(url.to_string()),
        link: Some(url.clone()),
        title: Some(Markup::Text(title.to_string())),
        ..RawBrief::empty(url.clone())
    }
}
