//! URL canonicalisation (`transforms::canonicalize::canonicalize`) of any URL a feed or page can
//! carry, absolute or relative to a page.
//!
//! Checks what the function promises: idempotence and no fragment, and for http(s) URLs the scheme
//! kept, a text that parses back to the same URL and no tracking parameter left in the query.
#![no_main]

use briefwatch::transforms::canonicalize::{canonicalize, is_tracking_param};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let base = Url::parse("https://www.example.org/news/world/index.html?page=2").unwrap();
    for url in [Url::parse(s), base.join(s)].into_iter().flatten() {
        check(&url);
    }
});

fn check(url: &Url) {
    let once = canonicalize(url);
    let twice = canonicalize(&once);
    assert_eq!(once, twice, "not idempotent for {url}");
    assert!(once.fragment().is_none(), "fragment kept: {once}");
    if !matches!(url.scheme(), "http" | "https") {
        // Other schemes only lose their fragment. (Their text need not parse back to the same URL:
        // `url` 2.5 serialises some odd `file:` URLs, e.g. `file://h/e://h//x`, into text that
        // parses without the host. Links are kept only when http(s), so that is not ours.)
        return;
    }
    assert!(
        matches!(once.scheme(), "http" | "https"),
        "scheme lost: {url} -> {once}"
    );
    assert_eq!(
        Url::parse(once.as_str()).as_ref(),
        Ok(&once),
        "canonical form does not round-trip through its text: {url}"
    );
    for (key, value) in once.query_pairs() {
        assert!(
            !is_tracking_param(&key, &value),
            "tracking parameter {key}={value} kept: {url} -> {once}"
        );
    }
}
