//! HTML article extraction, as article pages are read: bytes and a content type decoded
//! (`transforms::extract::decode_html`), then the main content and metadata extracted
//! (`transforms::extract::extract`).
//!
//! Besides not panicking, the sanitised HTML carries no active content and only web or mail URLs.
#![no_main]

use briefwatch::transforms::extract::{decode_html, extract};
use libfuzzer_sys::fuzz_target;
use url::Url;

mod common;

/// The Content-Type the "server" sent, picked by the input's length so that seed pages stay intact.
const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("text/html"),
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=shift_jis"),
    Some("text/html; charset=iso-8859-1"),
];

fuzz_target!(|data: &[u8]| {
    let content_type = CONTENT_TYPES[data.len() % CONTENT_TYPES.len()];
    let html = decode_html(data, content_type);
    let url = Url::parse("https://news.example.org/world/2024/05/story.html").unwrap();
    let article = extract(&html, Some(&url));
    if let Some(h) = &article.html {
        common::assert_sanitised(h);
    }
    for field in [&article.title, &article.byline] {
        if let Some(s) = field {
            assert!(!s.trim().is_empty(), "blank metadata is None, not {s:?}");
        }
    }
});
