//! Canonical URLs for article identity: the one URL an article gets however it was reached (tracking
//! parameters, fragments, AMP variants and caches, index pages, slash noise). Does not fetch anything,
//! follow redirects or read `<link rel=canonical>` (that is handled where pages are parsed), and never
//! guesses at anything that could be a different page: `www.`, path case, `http` vs `https`, unknown
//! query parameters and percent-encoding beyond what `url` already normalises are all kept.

use std::borrow::Cow;

use url::Url;

/// Query keys removed wherever they appear (compared ASCII-case-insensitively after decoding), besides
/// every key starting with `utm_`. Each says who the visitor came from, never which content to serve:
///
/// - ad-platform click identifiers: Facebook `fbclid`, Google `gclid` `dclid` `gbraid` `wbraid`,
///   Microsoft `msclkid`, Yandex `yclid`, X `twclid`, TikTok `ttclid`, LinkedIn `li_fat_id`,
///   Instagram `igshid`;
/// - analytics and mailing tools: Google Analytics linker `_ga` `_gl`, Mailchimp `mc_cid` `mc_eid`,
///   HubSpot `_hsenc` `_hsmi`, Marketo `mkt_tok`, Omeda `oly_anon_id` `oly_enc_id`;
/// - referral markers: `ref` (Substack, Ghost, Product Hunt), Twitter embeds' `ref_src` `ref_url`,
///   `referrer`. (`ref` selects a branch in code-host API URLs, which are not articles.)
/// - publishers' campaign and feed tags: Guardian `CMP` `INTCMP`, `cmpid`, MSN `ocid`, Yahoo and
///   Engadget `ncid`, `icid`, `sr_share`, AT Internet (BBC) `at_medium` `at_campaign` and Le Monde's
///   `xtor`, comScore (BBC) `ns_mchannel` `ns_source` `ns_campaign` `ns_linkname` `ns_fee`, Webtrends
///   (Zeit, Heise) `wt_mc`, Deutsche Welle `maca`, New York Times `smid`, and the bare `rss` flag.
///
/// Deliberately kept although sometimes used for tracking, because some sites select content with
/// them: `source`, `src`, `from`, `via`, `s` (WordPress search), `mod` (WSJ tags feeds with it, Joomla
/// selects modules), `partner`, and `feed` (WordPress `?feed=rss2` serves the feed, not the article).
#[rustfmt::skip]
const TRACKING_KEYS: &[&str] = &[
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "li_fat_id", "igshid",
    "_ga", "_gl", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "ref", "ref_src", "ref_url", "referrer",
    "cmp", "intcmp", "cmpid", "ocid", "ncid", "icid", "sr_share", "at_medium", "at_campaign", "xtor",
    "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "wt_mc", "maca", "smid",
    "rss",
];

/// Final path segments that name a directory's default document.
const INDEX_PAGES: &[&str] = &["index.html", "index.htm", "index.php"];

/// The canonical form of `url`: the same article reached through different URLs gives one result,
/// different articles never share one.
///
/// Every URL loses its fragment. `http` and `https` URLs also get: AMP caches (`cdn.ampproject.org`,
/// `google.com/amp/`) unwrapped; AMP variants mapped to the regular page (`amp.` host, `amp` as first
/// or last path segment, `.amp` / `.amp.html` suffix, `amp`, `amp=1` and `outputType=amp` queries);
/// duplicate and trailing slashes, `index.html`, `index.htm` and `index.php` removed from the path;
/// tracking parameters ([`is_tracking_param`]) removed and the rest sorted by key, keeping the order
/// of equal keys; an empty query dropped. Scheme and host are lower-cased and default ports dropped by
/// `url` itself. Idempotent.
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if !matches!(out.scheme(), "http" | "https") || out.cannot_be_a_base() {
        return out;
    }
    if let Some(inner) = unwrap_amp_cache(&out) {
        return canonicalize(&inner);
    }
    map_amp_host(&mut out);
    let path = canonical_path(out.path());
    out.set_path(&path);
    // Cleaning the path can reveal a cache prefix (`//c/s/...`, `/amp/c/s/...`): unwrapping it now
    // keeps the result a fixed point.
    if let Some(inner) = unwrap_amp_cache(&out) {
        return canonicalize(&inner);
    }
    let query = out.query().and_then(canonical_query);
    out.set_query(query.as_deref());
    out
}

/// Whether a query parameter only says where the visitor came from (see `TRACKING_KEYS` for the list
/// and why) or asks for the AMP rendering; `key` and `value` are percent-decoded.
pub fn is_tracking_param(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_KEYS.contains(&key.as_str()) || is_amp_param(&key, value)
}

/// `amp`, `amp=1`, `amp=true` and `outputType=amp` (Washington Post); `key` is already lower-case.
fn is_amp_param(key: &str, value: &str) -> bool {
    match key {
        "amp" => value.is_empty() || value == "1" || value.eq_ignore_ascii_case("true"),
        "outputtype" => value.eq_ignore_ascii_case("amp"),
        _ => false,
    }
}

/// The publisher's URL inside a Google AMP cache URL: `<x>.cdn.ampproject.org/c/s/<host>/<path>` and
/// `www.google.com/amp/s/<host>/<path>` (`/s/` marks https; without it the page is http).
fn unwrap_amp_cache(url: &Url) -> Option<Url> {
    let host = url.host_str()?;
    let rest = if host.ends_with(".cdn.ampproject.org") {
        url.path()
            .strip_prefix("/c/")
            .or_else(|| url.path().strip_prefix("/v/"))?
    } else if host == "www.google.com" || host == "google.com" {
        url.path().strip_prefix("/amp/")?
    } else {
        return None;
    };
    let (scheme, rest) = match rest.strip_prefix("s/") {
        Some(rest) => ("https", rest),
        // `/c/s` with nothing after the marker (a cleaned `/c/s/`): no publisher host.
        None if rest == "s" => ("https", ""),
        None => ("http", rest),
    };
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    Url::parse(&format!("{scheme}://{rest}{query}"))
        .ok()
        .filter(|u| u.host().is_some())
}

/// `amp.<site>` → `www.<site>` when `<site>` is a bare two-label domain (`amp.theguardian.com`,
/// `amp.dw.com`: the regular pages, and the links feeds carry, are on `www.`), else → `<site>`
/// (`amp.news.example.com`). `amp.dev` and the like are not touched.
fn map_amp_host(url: &mut Url) {
    let Some(url::Host::Domain(host)) = url.host() else {
        return;
    };
    let mut site = host;
    while let Some(rest) = site.strip_prefix("amp.") {
        if !rest.contains('.') {
            break;
        }
        site = rest;
    }
    if site.len() == host.len() {
        return;
    }
    let new_host = match site.matches('.').count() {
        1 => format!("www.{site}"),
        _ => site.to_owned(),
    };
    // Cannot fail: a suffix of a valid domain, possibly behind `www.`, is a valid domain.
    let _ = url.set_host(Some(&new_host));
}

/// The path without empty segments (duplicate and trailing slashes), AMP markers or index pages.
fn canonical_path(path: &str) -> String {
    let mut segments: Vec<Cow<str>> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(Cow::Borrowed)
        .collect();
    while strip_one_marker(&mut segments) {}
    format!("/{}", segments.join("/"))
}

/// Removes one AMP marker (`amp` as first or last segment, `.amp` suffix) or index page; `false`
/// when none is left. Repeated until then, so that `/story/amp/index.html` loses both.
fn strip_one_marker(segments: &mut Vec<Cow<str>>) -> bool {
    if segments.len() > 1 && segments[0] == "amp" {
        segments.remove(0);
        return true;
    }
    let Some(last) = segments.last_mut() else {
        return false;
    };
    if last == "amp" || INDEX_PAGES.contains(&last.as_ref()) {
        segments.pop();
        return true;
    }
    match strip_amp_suffix(last) {
        Some(regular) => *last = regular,
        None => return false,
    }
    true
}

/// `story.amp.html` → `story.html` and `story.amp` → `story` (BBC, Fox News: the regular page has no
/// extension); `None` when the segment has no such suffix or nothing before it, or when what is
/// left would be a dot segment (`..amp`, `%2e.amp`), which the URL would then resolve away.
fn strip_amp_suffix(segment: &str) -> Option<Cow<'static, str>> {
    if let Some(stem) = segment.strip_suffix(".amp.html") {
        return (!stem.is_empty()).then(|| Cow::Owned(format!("{stem}.html")));
    }
    let stem = segment.strip_suffix(".amp")?;
    (!stem.is_empty() && !is_dot_segment(stem)).then(|| Cow::Owned(stem.to_owned()))
}

/// `.` or `..`, also percent-encoded (`%2e`, `.%2E`...), as the URL standard reads path segments.
fn is_dot_segment(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase().replace("%2e", ".");
    s == "." || s == ".."
}

/// The query without tracking parameters and empty pairs, sorted by raw key with equal keys kept in
/// order; `None` when nothing is left. Pairs are kept exactly as encoded.
fn canonical_query(query: &str) -> Option<String> {
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair_is_tracking(pair))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| raw_key(a).cmp(raw_key(b)));
    Some(pairs.join("&"))
}

fn raw_key(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(key, _)| key)
}

fn pair_is_tracking(pair: &str) -> bool {
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .is_some_and(|(key, value)| is_tracking_param(&key, &value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).unwrap()).to_string()
    }

    /// Input → expected canonical URL.
    const CASES: &[(&str, &str)] = &[
        // Tracking parameters and fragments.
        (
            "https://www.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks?CMP=share_btn_tw#comments",
            "https://www.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks",
        ),
        (
            "https://www.bbc.com/news/world-europe-68480011?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.com/news/world-europe-68480011",
        ),
        (
            "https://www.bbc.co.uk/news/uk-politics-68480000?ns_mchannel=social&ns_source=twitter&ns_campaign=bbc_news&ns_linkname=news_central&ns_fee=0",
            "https://www.bbc.co.uk/news/uk-politics-68480000",
        ),
        (
            "https://www.reuters.com/world/europe/eu-leaders-meet-2024-03-05/?utm_source=reddit.com",
            "https://www.reuters.com/world/europe/eu-leaders-meet-2024-03-05",
        ),
        (
            "https://apnews.com/article/super-tuesday-primary-5d8f0e1a2b?utm_source=Twitter&utm_medium=social&utm_campaign=AP",
            "https://apnews.com/article/super-tuesday-primary-5d8f0e1a2b",
        ),
        (
            "https://www.economist.com/briefing/2024/03/05/the-war-in-gaza?UTM_Source=Newsletter&utm_MEDIUM=email",
            "https://www.economist.com/briefing/2024/03/05/the-war-in-gaza",
        ),
        (
            "https://www.nytimes.com/2024/03/05/world/middleeast/gaza-aid.html?smid=tw-share",
            "https://www.nytimes.com/2024/03/05/world/middleeast/gaza-aid.html",
        ),
        (
            "https://www.lemonde.fr/international/article/2024/03/05/gaza_6220000_3210.html?xtor=RSS-3208",
            "https://www.lemonde.fr/international/article/2024/03/05/gaza_6220000_3210.html",
        ),
        (
            "https://www.spiegel.de/ausland/gaza-hilfe-a-4f2c9e10.html#ref=rss",
            "https://www.spiegel.de/ausland/gaza-hilfe-a-4f2c9e10.html",
        ),
        (
            "https://www.heise.de/news/Chip-Export-9650000.html?wt_mc=rss.red.ho.ho.atom.beitrag.beitrag",
            "https://www.heise.de/news/Chip-Export-9650000.html",
        ),
        (
            "https://www.dw.com/en/germany-budget/a-68412345?maca=en-rss-en-all-1573-rdf",
            "https://www.dw.com/en/germany-budget/a-68412345",
        ),
        (
            "https://www.ft.com/content/0f3a7e1c-1234-4bcd-8efa-123456789abc?fbclid=IwAR0xYz",
            "https://www.ft.com/content/0f3a7e1c-1234-4bcd-8efa-123456789abc",
        ),
        (
            "https://www.axios.com/2024/03/05/super-tuesday?gclid=a&dclid=b&gbraid=c&wbraid=d&msclkid=e&yclid=f",
            "https://www.axios.com/2024/03/05/super-tuesday",
        ),
        (
            "https://www.npr.org/2024/03/05/1234567/gaza-aid?ref=hackernews&referrer=x&ref_src=twsrc%5Etfw",
            "https://www.npr.org/2024/03/05/1234567/gaza-aid",
        ),
        (
            "https://www.brookings.edu/articles/the-future-of-nato/?utm_campaign=Brookings%20Brief&utm_medium=email&utm_source=hs_email",
            "https://www.brookings.edu/articles/the-future-of-nato",
        ),
        (
            "https://www.cfr.org/blog/what-know-about-sudan?_hsenc=p2ANqtz-abc&_hsmi=12345",
            "https://www.cfr.org/blog/what-know-about-sudan",
        ),
        (
            "https://carnegieendowment.org/2024/03/05/russia-china-pub-91234?mc_cid=abc123&mc_eid=def456",
            "https://carnegieendowment.org/2024/03/05/russia-china-pub-91234",
        ),
        (
            "https://www.aa.com.tr/en/world/gaza-aid/3154321?igshid=MzRlODBiNWFlZA%3D%3D",
            "https://www.aa.com.tr/en/world/gaza-aid/3154321",
        ),
        (
            "https://www.afp.com/en/news/15/gaza-ceasefire-doc-34km9x2?_ga=2.1234.5678&_gl=1*abc*_ga*MTIz",
            "https://www.afp.com/en/news/15/gaza-ceasefire-doc-34km9x2",
        ),
        (
            "https://www.msn.com/en-us/news/world/gaza-aid/ar-BB1jA2Bc?ocid=msedgntp&cvid=9f8e7d",
            "https://www.msn.com/en-us/news/world/gaza-aid/ar-BB1jA2Bc?cvid=9f8e7d",
        ),
        (
            "https://www.engadget.com/apple-eu-fine-123456789.html?src=rss&ncid=rss",
            "https://www.engadget.com/apple-eu-fine-123456789.html?src=rss",
        ),
        (
            "https://www.tagesschau.de/ausland/asien/gaza-hilfe-100.html?utm%5Fsource=x&cmpid=rss",
            "https://www.tagesschau.de/ausland/asien/gaza-hilfe-100.html",
        ),
        // AMP variants and caches.
        (
            "https://amp.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks",
            "https://www.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks",
        ),
        (
            "https://amp.dw.com/en/germany-budget/a-68412345",
            "https://www.dw.com/en/germany-budget/a-68412345",
        ),
        (
            "https://amp.news.example.co.uk/politics/budget-vote",
            "https://news.example.co.uk/politics/budget-vote",
        ),
        (
            "https://www.bbc.co.uk/news/world-middle-east-68478123.amp",
            "https://www.bbc.co.uk/news/world-middle-east-68478123",
        ),
        (
            "https://edition.cnn.com/2024/03/05/politics/super-tuesday/index.amp.html",
            "https://edition.cnn.com/2024/03/05/politics/super-tuesday",
        ),
        (
            "https://www.example-wire.com/news/2024/budget-deal.amp.html",
            "https://www.example-wire.com/news/2024/budget-deal.html",
        ),
        (
            "https://www.politico.com/news/2024/03/05/senate-budget-vote-00145123/amp/",
            "https://www.politico.com/news/2024/03/05/senate-budget-vote-00145123",
        ),
        (
            "https://www.politico.eu/amp/article/eu-migration-pact-vote/",
            "https://www.politico.eu/article/eu-migration-pact-vote",
        ),
        (
            "https://www.independent.co.uk/news/world/gaza-b2506789.html?amp",
            "https://www.independent.co.uk/news/world/gaza-b2506789.html",
        ),
        (
            "https://www.independent.co.uk/news/world/gaza-b2506789.html?amp=1&utm_source=x",
            "https://www.independent.co.uk/news/world/gaza-b2506789.html",
        ),
        (
            "https://www.washingtonpost.com/world/2024/03/05/gaza-aid-airdrop/?outputType=amp",
            "https://www.washingtonpost.com/world/2024/03/05/gaza-aid-airdrop",
        ),
        (
            "https://www.washingtonpost.com/world/2024/03/05/gaza-aid-airdrop/?outputType=print",
            "https://www.washingtonpost.com/world/2024/03/05/gaza-aid-airdrop?outputType=print",
        ),
        (
            "https://www-theguardian-com.cdn.ampproject.org/c/s/www.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks",
            "https://www.theguardian.com/world/2024/mar/05/gaza-ceasefire-talks",
        ),
        (
            "https://www.google.com/amp/s/www.bbc.co.uk/news/world-middle-east-68478123.amp",
            "https://www.bbc.co.uk/news/world-middle-east-68478123",
        ),
        (
            "https://www-example-org.cdn.ampproject.org/c/www.example.org/story.php?id=7&amp=1",
            "http://www.example.org/story.php?id=7",
        ),
        (
            "https://www.example-wire.com/story/amp/index.html",
            "https://www.example-wire.com/story",
        ),
        (
            "https://amp.amp.example.com/amp/amp/story",
            "https://www.example.com/story",
        ),
        // Hosts and ports.
        (
            "HTTPS://WWW.Aljazeera.COM/news/2024/3/5/israel-gaza-live",
            "https://www.aljazeera.com/news/2024/3/5/israel-gaza-live",
        ),
        (
            "https://www.aljazeera.com:443/news/2024/3/5/israel-gaza-live?",
            "https://www.aljazeera.com/news/2024/3/5/israel-gaza-live",
        ),
        (
            "http://www.france24.com:80/en/middle-east/20240305-gaza",
            "http://www.france24.com/en/middle-east/20240305-gaza",
        ),
        (
            "https://wire.example.com:8443/politics/story-1",
            "https://wire.example.com:8443/politics/story-1",
        ),
        // Paths: index pages, trailing and duplicate slashes.
        (
            "https://www.cnn.com/2024/03/05/politics/super-tuesday/index.html",
            "https://www.cnn.com/2024/03/05/politics/super-tuesday",
        ),
        (
            "https://www.sipri.org/media/press-release/2024/index.htm",
            "https://www.sipri.org/media/press-release/2024",
        ),
        ("https://www.iiss.org/index.php", "https://www.iiss.org/"),
        (
            "https://www.iiss.org/index.php?id=42",
            "https://www.iiss.org/?id=42",
        ),
        (
            "https://www.chathamhouse.org/2024/03/ukraine-two-years-on//",
            "https://www.chathamhouse.org/2024/03/ukraine-two-years-on",
        ),
        (
            "https://www.rand.org//pubs/research_reports//RRA2400-1.html",
            "https://www.rand.org/pubs/research_reports/RRA2400-1.html",
        ),
        (
            "https://www.atlanticcouncil.org/blogs/new-atlanticist/",
            "https://www.atlanticcouncil.org/blogs/new-atlanticist",
        ),
        ("https://www.reuters.com", "https://www.reuters.com/"),
        (
            "https://www.sipri.org/?utm_source=x#top",
            "https://www.sipri.org/",
        ),
        (
            "https://de.wikipedia.org/wiki/Gaza-Krieg_%28seit_2023%29",
            "https://de.wikipedia.org/wiki/Gaza-Krieg_%28seit_2023%29",
        ),
        // Sorted queries; equal keys keep their order.
        (
            "https://www.example.gov/press/release.php?year=2024&id=77&lang=en",
            "https://www.example.gov/press/release.php?id=77&lang=en&year=2024",
        ),
        (
            "https://www.csis.org/analysis?topic=china&topic=energy&page=2",
            "https://www.csis.org/analysis?page=2&topic=china&topic=energy",
        ),
        (
            "https://www.csis.org/analysis?topic=energy&&topic=china&page=2&fbclid=x",
            "https://www.csis.org/analysis?page=2&topic=energy&topic=china",
        ),
        // Not http(s): only the fragment goes.
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        (
            "ftp://ftp.example.org/pub/index.html#x",
            "ftp://ftp.example.org/pub/index.html",
        ),
    ];

    #[test]
    fn table_of_urls_maps_to_expected_canonical_forms() {
        let mut failures = Vec::new();
        for (input, expected) in CASES {
            let got = canon(input);
            if got != *expected {
                failures.push(format!(
                    "{input}\n   got      {got}\n   expected {expected}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(CASES.len() >= 35);
    }

    /// Found by fuzzing (fuzz/fuzz_targets/canonicalize.rs): removing `.amp` left `.` or `..`,
    /// which `url` then resolved (a trailing slash the next pass removed, or a parent segment lost).
    #[test]
    fn amp_suffix_that_would_leave_a_dot_segment_is_kept() {
        for url in [
            "https://www.example.org/news/foo/..amp",
            "https://www.example.org/news/world/...amp",
            "https://www.example.org/s/%2e.amp",
            "https://www.example.org/s/%2E%2e.amp",
        ] {
            assert_eq!(canon(url), url);
        }
    }

    /// Found by fuzzing: a cache prefix that only path cleaning reveals was unwrapped by the second
    /// pass, not the first; and `/c/s` with nothing after it was read as a host called `s`.
    #[test]
    fn amp_cache_prefix_revealed_by_path_cleaning_is_unwrapped_in_one_pass() {
        for (url, expected) in [
            (
                "https://example-com.cdn.ampproject.org//c/s/example.com/story",
                "https://example.com/story",
            ),
            (
                "https://example-com.cdn.ampproject.org/amp/c/s/example.com/story",
                "https://example.com/story",
            ),
            (
                "https://example-com.cdn.ampproject.org/c/s/",
                "https://example-com.cdn.ampproject.org/c/s",
            ),
        ] {
            assert_eq!(canon(url), expected, "{url}");
            assert_eq!(canon(expected), expected, "{expected}");
        }
    }

    #[test]
    fn canonicalizing_twice_changes_nothing() {
        for (input, _) in CASES {
            let once = canonicalize(&Url::parse(input).unwrap());
            assert_eq!(canonicalize(&once), once, "{input}");
        }
    }

    #[test]
    fn content_selecting_params_survive_beside_tracking_ones() {
        let got = canon(
            "https://www.example.org/view.php?utm_source=rss&story=abc&article=99&page=2&p=4567&id=123&source=reuters&feed=rss2&fbclid=x",
        );
        assert_eq!(
            got,
            "https://www.example.org/view.php?article=99&feed=rss2&id=123&p=4567&page=2&source=reuters&story=abc"
        );
    }

    #[test]
    fn amp_param_with_another_value_is_kept() {
        assert_eq!(
            canon("https://www.example.org/guitar?amp=marshall"),
            "https://www.example.org/guitar?amp=marshall"
        );
    }

    #[test]
    fn different_articles_stay_different() {
        let pairs = [
            (
                "https://www.example.org/article.php?id=1",
                "https://www.example.org/article.php?id=2",
            ),
            (
                "https://www.example.org/?p=4567",
                "https://www.example.org/?p=4568",
            ),
            (
                "https://www.example.org/news?page=1",
                "https://www.example.org/news?page=2",
            ),
            (
                "https://www.crisisgroup.org/africa/sahel",
                "https://crisisgroup.org/africa/sahel",
            ),
            (
                "https://www.example.org/News/Item",
                "https://www.example.org/news/item",
            ),
            (
                "https://www.example.org/news/amplifier",
                "https://www.example.org/news/amp",
            ),
            (
                "https://www.example.org/ampere/news",
                "https://www.example.org/news",
            ),
            ("https://example.org:8080/a", "https://example.org/a"),
            (
                "https://www.example.org/2024/story",
                "https://www.example.org/2024/story/comments",
            ),
            (
                "https://www.example.org/story.html",
                "https://www.example.org/story",
            ),
        ];
        for (a, b) in pairs {
            assert_ne!(canon(a), canon(b), "{a} and {b} collapsed");
        }
    }

    #[test]
    fn www_and_path_case_are_kept() {
        assert_eq!(
            canon("https://WWW.Example.ORG/Politics/Budget-Vote/"),
            "https://www.example.org/Politics/Budget-Vote"
        );
    }

    #[test]
    fn amp_named_hosts_that_are_not_amp_variants_are_kept() {
        assert_eq!(
            canon("https://amp.dev/documentation/"),
            "https://amp.dev/documentation"
        );
        assert_eq!(
            canon("https://ampere.example.com/x"),
            "https://ampere.example.com/x"
        );
    }
}
