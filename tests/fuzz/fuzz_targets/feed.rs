//! Feed parsing and normalisation, as a poll runs them: bytes, a content type and the feed's URL in
//! (`sources::feed::parse_feed`), stored-ready briefs out (`transforms::normalize::normalize`).
//!
//! Besides not panicking, every entry's link is an absolute http(s) URL with a host, the canonical
//! URL is a fixed point of canonicalisation, and the sanitised HTML carries no active content.
//!
//! Panics inside feed-rs and quick-xml are a known class: feed-rs 3.0 panics on some ill-formed
//! documents, and `parse_feed` turns such a panic into a `ParseError` (see `parse_guarded`). They are
//! let through to that guard instead of ending the run, and each place they come from is printed
//! once (`contained third-party panic at ...`) so that the run's log lists them.
#![no_main]

use briefwatch::sources::feed::parse_feed;
use briefwatch::transforms::canonicalize::canonicalize;
use briefwatch::transforms::normalize::normalize;
use std::collections::HashSet;
use std::sync::{Mutex, Once};

use libfuzzer_sys::fuzz_target;
use url::Url;

mod common;

/// The Content-Type the "server" sent, picked by the input's length so that no byte of the document
/// is spent on it (seed feeds stay intact).
const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
    Some("application/feed+json"),
    Some("text/xml; charset=iso-8859-1"),
    Some("text/html; charset=windows-1251"),
    Some("application/xml; charset=utf-16"),
];

fuzz_target!(|data: &[u8]| {
    let_parser_panics_unwind();
    let content_type = CONTENT_TYPES[data.len() % CONTENT_TYPES.len()];
    let url = Url::parse("https://example.org/feeds/main.xml").unwrap();
    let Ok(feed) = parse_feed(data, content_type, &url) else {
        return;
    };
    for raw in feed.entries {
        if let Some(link) = &raw.link {
            assert!(
                matches!(link.scheme(), "http" | "https") && link.host().is_some(),
                "entry link is not an absolute web URL: {link}"
            );
        }
        let brief = normalize(raw);
        assert!(!brief.guid.is_empty(), "empty guid");
        assert_eq!(brief.url.is_some(), brief.canonical_url.is_some());
        if let Some(c) = &brief.canonical_url {
            let parsed = Url::parse(c).expect("canonical URL parses");
            assert_eq!(
                canonicalize(&parsed).as_str(),
                c,
                "canonical URL is not a fixed point"
            );
        }
        if let Some(html) = &brief.html {
            common::assert_sanitised(html);
        }
    }
});

/// Wraps libfuzzer-sys's panic hook (which aborts on every panic): a panic raised in feed-rs or
/// quick-xml unwinds to `parse_feed`'s guard instead; every other panic still aborts.
fn let_parser_panics_unwind() {
    static ONCE: Once = Once::new();
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    ONCE.call_once(|| {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let Some(at) = info.location().filter(|l| {
                ["/feed-rs-", "/quick-xml-"]
                    .iter()
                    .any(|c| l.file().contains(c))
            }) else {
                return abort_hook(info);
            };
            let place = format!("{}:{}", at.file(), at.line());
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.get_or_insert_with(HashSet::new).insert(place.clone()) {
                eprintln!("contained third-party panic at {place}: {info}");
            }
        }));
    });
}
