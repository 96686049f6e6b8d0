//! Property tests (proptest) of two promises other parts of the pipeline build on: canonical URLs
//! are a fixed point of [`canonicalize`] and stay absolute web URLs, and a brief's fingerprint
//! depends only on its lower-cased words, not on spacing, punctuation or capitals.

use briefwatch::transforms::canonicalize::{canonicalize, is_tracking_param};
use briefwatch::transforms::fingerprint::{
    MIN_SHINGLES, SHINGLE_WORDS, band_keys, signature, similarity,
};
use proptest::prelude::*;
use proptest::sample::select;
use url::Url;

// ---- URLs ----

const HOST_PREFIXES: &[&str] = &["www.", "amp.", "amp.amp.", "AMP.", "Www."];

/// Hosts: plain, `www.`/`amp.` prefixed, upper-case, IP literals and the AMP caches that
/// canonicalisation unwraps.
fn host() -> impl Strategy<Value = String> {
    let label = "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?";
    prop_oneof![
        prop::collection::vec(label, 1..4).prop_map(|l| format!("{}.com", l.join("."))),
        (select(HOST_PREFIXES), label).prop_map(|(p, l)| format!("{p}{l}.co.uk")),
        label.prop_map(|l| format!("{}.ORG", l.to_uppercase())),
        Just("amp.dev".to_string()),
        Just("192.168.0.1".to_string()),
        Just("[::1]".to_string()),
        Just("[2001:DB8::1]".to_string()),
        label.prop_map(|l| format!("{l}-com.cdn.ampproject.org")),
        Just("www.google.com".to_string()),
        Just("google.com".to_string()),
        Just("xn--bcher-kva.example".to_string()),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => select(vec![80u32, 443, 8080, 1, 65535]).prop_map(|p| format!(":{p}")),
    ]
}

#[rustfmt::skip]
const ODD_SEGMENTS: &[&str] = &[
    "", ".", "..", "%2e", "%2E%2e", "amp", "AMP", "index.html", "index.php", "index.htm",
    "story.amp", "story.amp.html", ".amp", "a.amp.amp", "%2F", "%2f..", "a%20b", "%41%42",
    "caf%C3%A9", "café", "%zz", "s", "c", "v", "..amp", "...amp", "%2e.amp", "%2E%2e.amp",
];

/// What comes before a publisher host in AMP cache paths, also in forms only path cleaning reveals.
#[rustfmt::skip]
const CACHE_PREFIXES: &[&str] = &[
    "", "amp/s/", "c/s/", "v/", "c/", "/c/s/", "amp/c/s/", "amp/amp/s/",
];

/// Path segments, including the dot, slash and AMP forms canonicalisation (or `url`) rewrites.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_~-]{1,8}",
        1 => select(ODD_SEGMENTS).prop_map(str::to_string),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 0..7),
        select(vec!["", "/", "//"]),
        select(CACHE_PREFIXES),
        proptest::option::of(host()),
    )
        .prop_map(|(segments, trailing, cache, inner)| {
            // An AMP-cache style prefix with a publisher host inside, sometimes.
            let prefix = match inner {
                Some(h) if !cache.is_empty() => format!("{cache}{h}/"),
                _ => String::new(),
            };
            format!("/{prefix}{}{trailing}", segments.join("/"))
        })
}

#[rustfmt::skip]
const QUERY_KEYS: &[&str] = &[
    "utm_source", "UTM_Medium", "utm_", "%75tm_campaign", "fbclid", "gclid", "ref", "REF",
    "ref_src", "cmp", "CMP", "amp", "outputType", "page", "id", "q", "a", "b", "s", "feed",
    "source", "", "a+b", "k%3D",
];

#[rustfmt::skip]
const QUERY_VALUES: &[&str] = &[
    "", "1", "true", "amp", "AMP", "x", "rss2", "%E2%82%AC", "a+b", "a=b", "%26",
];

/// Queries mixing tracking parameters (any case, percent-encoded), AMP switches, content-selecting
/// parameters, repeated keys and empty pairs.
fn query() -> impl Strategy<Value = String> {
    let key = select(QUERY_KEYS);
    let value = proptest::option::of(select(QUERY_VALUES));
    let pair = (key, value).prop_map(|(k, v)| match v {
        Some(v) => format!("{k}={v}"),
        None => k.to_string(),
    });
    proptest::option::of(prop::collection::vec(pair, 0..6)).prop_map(|pairs| match pairs {
        Some(p) => format!("?{}", p.join("&")),
        None => String::new(),
    })
}

fn fragment() -> impl Strategy<Value = String> {
    proptest::option::of("[a-z0-9=&/?#%]{0,8}")
        .prop_map(|f| f.map(|f| format!("#{f}")).unwrap_or_default())
}

fn web_url() -> impl Strategy<Value = String> {
    (
        select(vec!["http", "https", "HTTPS", "Http"]),
        host(),
        port(),
        path(),
        query(),
        fragment(),
    )
        .prop_map(|(scheme, host, port, path, query, fragment)| {
            format!("{scheme}://{host}{port}{path}{query}{fragment}")
        })
}

proptest! {
    #[test]
    fn canonicalizing_generated_web_urls_twice_equals_once(s in web_url()) {
        // Every generated form should parse; a strategy that drifts into invalid URLs fails the
        // test through proptest's rejection limit instead of passing vacuously.
        let url = Url::parse(&s);
        prop_assume!(url.is_ok());
        let url = url.unwrap();
        let once = canonicalize(&url);
        let twice = canonicalize(&once);
        prop_assert_eq!(&once, &twice, "input {}", s);
        // Still an absolute web URL, and its text parses back to itself.
        prop_assert!(matches!(once.scheme(), "http" | "https"), "{} -> {}", s, once);
        prop_assert!(once.host().is_some() && !once.cannot_be_a_base(), "{} -> {}", s, once);
        let reparsed = Url::parse(once.as_str());
        prop_assert_eq!(reparsed.as_ref(), Ok(&once));
        prop_assert!(once.fragment().is_none());
        for (k, v) in once.query_pairs() {
            prop_assert!(!is_tracking_param(&k, &v), "{}={} kept: {} -> {}", k, v, s, once);
        }
    }

    #[test]
    fn canonicalizing_links_resolved_against_a_page_twice_equals_once(
        rel in "[a-zA-Z0-9./%?&=#_-]{0,24}",
        base in web_url(),
    ) {
        let base = Url::parse(&base);
        prop_assume!(base.is_ok());
        let base = base.unwrap();
        let url = base.join(&rel);
        prop_assume!(url.is_ok());
        let url = url.unwrap();
        let once = canonicalize(&url);
        prop_assert_eq!(&once, &canonicalize(&once), "{} joined with {}", base, rel);
        let reparsed = Url::parse(once.as_str());
        prop_assert_eq!(reparsed.as_ref(), Ok(&once));
    }
}

// ---- Fingerprints ----

/// Lower-case words: ASCII letters and digits, and letters whose lower case is the lower case of
/// their upper case (so that upper-casing a word is a case change and nothing more).
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z]{1,9}",
        1 => "[0-9]{1,4}",
        1 => "[a-zäöüéçñжяфσλ中文]{1,6}",
    ]
}

#[rustfmt::skip]
const SEPARATORS: &[&str] = &[
    " ", "  ", "\t", "\n", "\n\n", "\u{a0}", ",", ".", ";", ":", "!", "?", "-", "—", "–",
    "'", "\"", "«", "»", "(", ")", "/", "&", "€", "…", "*", "_", "@", "#",
];

/// Runs of characters that are not alphanumeric: spacing, ASCII and Unicode punctuation, symbols.
fn separator() -> impl Strategy<Value = String> {
    prop::collection::vec(select(SEPARATORS), 1..4).prop_map(|s| s.concat())
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Title,
}

fn recase(w: &str, case: Case) -> String {
    match case {
        Case::Lower => w.to_string(),
        Case::Upper => w.to_uppercase(),
        Case::Title => {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// `words` written with the given separators (before each word and at the end) and cases.
fn rewrite(words: &[String], seps: &[String], cases: &[Case]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        out.push_str(&seps[i % seps.len()]);
        out.push_str(&recase(w, cases[i % cases.len()]));
    }
    out.push_str(&seps[words.len() % seps.len()]);
    out
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![Just(Case::Lower), Just(Case::Upper), Just(Case::Title)]
}

proptest! {
    #[test]
    fn fingerprint_ignores_spacing_punctuation_and_case(
        title in prop::collection::vec(word(), 0..8),
        body in prop::collection::vec(word(), 0..60),
        seps in prop::collection::vec(separator(), 1..8),
        cases in prop::collection::vec(case(), 1..5),
    ) {
        let plain_title = title.join(" ");
        let plain_body = body.join(" ");
        let expected = signature(&plain_title, &plain_body);
        let title2 = rewrite(&title, &seps, &cases);
        let body2 = rewrite(&body, &seps, &cases);
        prop_assert_eq!(signature(&title2, &body2), expected, "{:?} / {:?}", title2, body2);
    }

    #[test]
    fn fingerprint_is_stable_for_the_same_text(
        title in "\\PC{0,40}",
        body in prop::collection::vec(word(), 0..80),
    ) {
        let body = body.join(" ");
        let a = signature(&title, &body);
        // A fresh copy of the same text, so nothing depends on where it lives.
        let b = signature(&title.clone(), &body.clone());
        prop_assert_eq!(&a, &b);
        if let (Some(a), Some(b)) = (a, b) {
            prop_assert_eq!(band_keys(&a), band_keys(&b));
            prop_assert_eq!(similarity(&a, &b), 1.0);
        }
    }

    #[test]
    fn fingerprint_needs_min_shingles_of_body_text(
        title in prop::collection::vec(word(), 0..30),
        body in prop::collection::vec(word(), 0..SHINGLE_WORDS + MIN_SHINGLES - 1),
    ) {
        // n words make at most n - 2 shingles: too few for a signature, whatever the title.
        prop_assert_eq!(signature(&title.join(" "), &body.join(" ")), None);
    }
}
