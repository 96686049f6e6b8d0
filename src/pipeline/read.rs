//! Reading one source, as named steps that pass structs: [`fetch`] its document, [`parse`] it into
//! entries (a feed) or links (a listing page) on a blocking thread, off the async workers, with a
//! parser panic turned into this source's error ([`run_blocking`]), [`expand`] them (article pages, further listing pages,
//! entries already stored dropped), and [`process`] what is left into classified briefs. Persisting
//! is the caller's last step (`poll_source`). Nothing here writes; the writer is only asked what it
//! already holds.

use std::time::Duration;

use url::Url;

use super::expand::{self, Expanded};
use crate::errors::chain;
use crate::model::{Brief, RawBrief, SourceKind, SourceState, Validators, WebSubLinks};
use crate::sources::feed::{ParseError, parse_feed};
use crate::sources::html::{Listing, ListingSelectors, listing_selectors, parse_listing};
use crate::sources::http::{
    ACCEPT_FEED, ACCEPT_HTML, FetchError, FetchRequest, FetchResponse, Fetched, HttpClient,
};
use crate::sources::websub::FeedHubs;
use crate::store::LinkState;
use crate::store::writer::WriterHandle;
use crate::transforms::classify::Classifier;
use crate::transforms::normalize::{guid_of, normalize};

/// Why reading a source failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The source's document could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The document was fetched but is not a feed.
    #[error("{error}")]
    Parse {
        /// What the parser said.
        error: ParseError,
        /// The HTTP status of the response that carried it.
        status: u16,
    },
    /// A step of reading the source panicked (a bug in a parser or here); the panic was caught and
    /// is recorded as this source's failure, like any other.
    #[error("{url}: {step} panicked: {message}")]
    Panicked {
        /// The step that panicked (`parser`, `poll`).
        step: &'static str,
        /// The source's URL.
        url: String,
        /// The panic's message.
        message: String,
        /// The HTTP status of the document being read, when there was one.
        status: Option<u16>,
    },
}

impl ReadError {
    /// The HTTP status the origin answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ReadError::Fetch(e) => e.status(),
            ReadError::Parse { status, .. } => Some(*status),
            ReadError::Panicked { status, .. } => *status,
        }
    }

    /// `Retry-After`, when the origin sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ReadError::Fetch(e) => e.retry_after(),
            ReadError::Parse { .. } | ReadError::Panicked { .. } => None,
        }
    }

    /// Whether polling again soon may succeed (false for a 404, 410 or a refused address).
    pub fn should_retry(&self) -> bool {
        match self {
            ReadError::Fetch(e) => e.should_retry(),
            ReadError::Parse { .. } | ReadError::Panicked { .. } => true,
        }
    }
}

/// A source read in full: the briefs to persist and what the next poll needs.
#[derive(Debug)]
pub struct Read {
    /// New entries, normalised and classified.
    pub briefs: Vec<Brief>,
    /// Entries (or listing links) skipped because the store already holds them.
    pub known: usize,
    /// Validators to send next time (empty when entries were left for the next poll, so that the
    /// document is read again even if it has not changed).
    pub validators: Validators,
    /// HTTP status of the source's document.
    pub status: u16,
    /// `Cache-Control: max-age` of the source's document.
    pub max_age: Option<Duration>,
    /// An adaptive source's interval from the pace of its entries.
    pub pace: Option<Duration>,
    /// The WebSub hub and topic the document announced.
    pub websub: Option<WebSubLinks>,
}

/// Reads one source through every step. `Ok(None)`: the origin answered 304. Without a writer
/// (`sources test`) every entry counts as new.
pub async fn read_source(
    client: &HttpClient,
    classifier: &Classifier,
    writer: Option<&WriterHandle>,
    src: &SourceState,
) -> Result<Option<Read>, ReadError> {
    let Some(doc) = fetch(client, src).await? else {
        return Ok(None);
    };
    read_document(client, classifier, writer, src, doc)
        .await
        .map(Some)
}

/// Steps 2 to 4 over a document in hand: fetched by a poll, or pushed by a WebSub hub.
pub async fn read_document(
    client: &HttpClient,
    classifier: &Classifier,
    writer: Option<&WriterHandle>,
    src: &SourceState,
    doc: Fetched,
) -> Result<Read, ReadError> {
    let (status, url) = (doc.status, doc.url.to_string());
    let owned_src = src.clone();
    let (parsed, doc) = match run_blocking(move || (parse(&owned_src, &doc), doc)).await {
        Ok((parsed, doc)) => (
            parsed.map_err(|error| ReadError::Parse { error, status })?,
            doc,
        ),
        Err(message) => {
            return Err(ReadError::Panicked {
                step: "parser",
                url,
                message,
                status: Some(status),
            });
        }
    };
    let (ttl, pace) = match (&parsed, src.spec.settings.adaptive) {
        (Parsed::Feed(entries, ttl, _), Some(b)) => {
            let published: Vec<_> = entries.iter().filter_map(|e| e.published).collect();
            let pace = crate::scheduler::adaptive_interval(
                &published,
                chrono::Utc::now(),
                Duration::from_secs(b.min_secs),
                Duration::from_secs(b.max_secs),
            );
            (*ttl, pace)
        }
        (Parsed::Feed(_, ttl, _), None) => (*ttl, None),
        _ => (None, None),
    };
    let websub = match &parsed {
        Parsed::Feed(_, _, hubs) => {
            crate::sources::websub::discover(doc.link_header.as_deref(), hubs, &doc.url)
        }
        _ => None,
    };
    let expanded = expand(client, writer, src, parsed).await;
    let briefs = process(classifier, expanded.entries);
    Ok(Read {
        briefs,
        known: expanded.known,
        validators: if expanded.complete {
            doc.validators
        } else {
            Validators::default()
        },
        status: doc.status,
        max_age: doc.max_age.max(ttl),
        pace,
        websub,
    })
}

/// Runs CPU-bound work on tokio's blocking pool, so that it does not hold an async worker thread,
/// and turns a panic inside it into `Err(message)`.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => Err(panic_message(e.into_panic().as_ref())),
        Err(e) => Err(e.to_string()),
    }
}

/// The text a panic was raised with (`panic!("...")` payloads are `&str` or `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".into())
}

/// Step 1: a conditional GET of the source's document; `None` when it has not changed.
pub async fn fetch(client: &HttpClient, src: &SourceState) -> Result<Option<Fetched>, FetchError> {
    let accept = match src.spec.kind {
        SourceKind::Feed => ACCEPT_FEED,
        SourceKind::Html => ACCEPT_HTML,
    };
    let req = FetchRequest {
        url: &src.spec.url,
        validators: &src.validators,
        accept,
    };
    Ok(match client.fetch(req).await? {
        FetchResponse::NotModified => None,
        FetchResponse::Fetched(f) => Some(*f),
    })
}

/// A source's document, parsed.
#[derive(Debug)]
pub enum Parsed {
    /// A feed's entries, in document order, its `<ttl>` and the WebSub hubs it announces.
    Feed(Vec<RawBrief>, Option<Duration>, FeedHubs),
    /// The first page of an HTML source's listing.
    Listing {
        /// Its links and next page.
        listing: Listing,
        /// The compiled selectors, for the further pages.
        selectors: ListingSelectors,
    },
    /// An HTML source whose listing cannot be read (no or invalid settings; logged). The config
    /// loader refuses such sources, so only a database edited by hand gets here.
    Unreadable,
}

/// Step 2: the document as feed entries or listing links.
pub fn parse(src: &SourceState, doc: &Fetched) -> Result<Parsed, ParseError> {
    match src.spec.kind {
        SourceKind::Feed => parse_feed(&doc.body, doc.content_type.as_deref(), &doc.url)
            .map(|f| Parsed::Feed(f.entries, f.ttl, f.hubs)),
        SourceKind::Html => Ok(parse_html(
            src,
            &doc.body,
            doc.content_type.as_deref(),
            &doc.url,
        )),
    }
}

fn parse_html(src: &SourceState, body: &[u8], content_type: Option<&str>, url: &Url) -> Parsed {
    let name = &src.spec.name;
    let Some(settings) = src.spec.settings.html.as_ref() else {
        tracing::error!(source = %name, "html source without [sources.html] settings; nothing to read");
        return Parsed::Unreadable;
    };
    let Some(selectors) = listing_selectors(settings) else {
        tracing::error!(source = %name, selector = %settings.links, "invalid links selector");
        return Parsed::Unreadable;
    };
    Parsed::Listing {
        listing: parse_listing(body, content_type, url, &selectors),
        selectors,
    }
}

/// Step 3: from parsed entries or links to the raw briefs worth processing: entries the store holds
/// dropped, article pages fetched (HTML sources, `fetch_full_article` feeds), further listing pages
/// followed while they bring new links.
pub async fn expand(
    client: &HttpClient,
    writer: Option<&WriterHandle>,
    src: &SourceState,
    parsed: Parsed,
) -> Expanded {
    match parsed {
        // Article pages are looked up in the store anyway: that lookup also drops known entries.
        Parsed::Feed(entries, ..) if src.spec.settings.fetch_full_article => {
            expand::full_articles(client, writer, src, entries).await
        }
        Parsed::Feed(entries, ..) => match writer.filter(|_| src.fetched_before) {
            Some(w) => drop_known(w, src, entries).await,
            None => Expanded::all(entries),
        },
        Parsed::Listing { listing, selectors } => {
            expand::html_source(client, writer, src, listing, &selectors).await
        }
        Parsed::Unreadable => Expanded::all(Vec::new()),
    }
}

/// Step 4: raw briefs to clean, fingerprinted, classified briefs (pure).
pub fn process(classifier: &Classifier, entries: Vec<RawBrief>) -> Vec<Brief> {
    entries
        .into_iter()
        .map(|raw| {
            let mut b = normalize(raw);
            (b.topics, b.entities) = classifier.tags(&b.title, &b.text);
            b
        })
        .collect()
}

/// `entries` without those this source's store rows (briefs, sightings, tombstones) already cover,
/// matched by guid. Skipping them here saves normalising, fingerprinting and classifying what the
/// writer would discard: a feed without validators, or one whose document changed, repeats mostly
/// known entries at every poll. The writer still checks every brief it gets.
async fn drop_known(writer: &WriterHandle, src: &SourceState, entries: Vec<RawBrief>) -> Expanded {
    let keys = entries.iter().map(|e| (guid_of(e), None)).collect();
    match writer.link_states(src.id, keys).await {
        Ok(states) => {
            let before = entries.len();
            let kept: Vec<RawBrief> = entries
                .into_iter()
                .zip(states)
                .filter(|(_, s)| *s != LinkState::Known)
                .map(|(e, _)| e)
                .collect();
            Expanded {
                known: before - kept.len(),
                entries: kept,
                complete: true,
            }
        }
        Err(e) => {
            tracing::warn!(source = %src.spec.name, error = %chain(&e), "looking up known entries failed; processing them all");
            Expanded::all(entries)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_blocking_work_becomes_an_error_with_its_message() {
        let caught = run_blocking(|| -> u32 { panic!("set_encoding() called after prefix") }).await;
        assert_eq!(
            caught,
            Err("set_encoding() called after prefix".to_string())
        );
        let owned = run_blocking(|| -> u32 { panic!("{} bytes", 3) }).await;
        assert_eq!(owned, Err("3 bytes".to_string()));
        assert_eq!(run_blocking(|| 7).await, Ok(7));
    }

    #[test]
    fn a_parser_panic_reads_as_this_sources_retryable_failure() {
        let e = ReadError::Panicked {
            step: "parser",
            url: "https://e.example/feed.xml".into(),
            message: "boom".into(),
            status: Some(200),
        };
        assert_eq!(
            e.to_string(),
            "https://e.example/feed.xml: parser panicked: boom"
        );
        assert_eq!(e.status(), Some(200));
        assert!(e.should_retry());
    }
}
