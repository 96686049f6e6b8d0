//! WebSub discovery: the hub (`rel="hub"`) and topic (`rel="self"`) a feed announces, in its HTTP
//! `Link` headers (RFC 8288) or in the document (Atom `<link>`, RSS `<atom:link>`, JSON Feed
//! `hubs` and `feed_url`). Pure: subscribing is `crate::websub`'s.

use url::Url;

use crate::model::WebSubLinks;

/// The hubs and self URL found inside a feed document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedHubs {
    /// `rel="hub"` links (JSON Feed: `hubs[].url`), in document order.
    pub hubs: Vec<Url>,
    /// The `rel="self"` link (JSON Feed: `feed_url`).
    pub self_url: Option<Url>,
}

/// One link of a `Link` header: its target, resolved, and its relation types, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLink {
    /// The target URL.
    pub url: Url,
    /// The `rel` types (a `rel` may list several, space-separated).
    pub rels: Vec<String>,
}

/// Parses a `Link` header value (several headers joined with `,` are one value), resolving
/// relative targets against `base`. Links whose target does not parse are left out; a malformed
/// parameter ends its link's parameters but not the header.
pub fn parse_link_header(value: &str, base: &Url) -> Vec<HeaderLink> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(after) = rest.strip_prefix('<') else {
            // Not a link: skip to the next comma outside quotes.
            match skip_value(rest) {
                Some(next) => {
                    rest = next;
                    continue;
                }
                None => return out,
            }
        };
        let Some(end) = after.find('>') else {
            return out;
        };
        let target = after[..end].trim();
        rest = &after[end + 1..];
        let mut rels = Vec::new();
        loop {
            rest = rest.trim_start();
            let Some(p) = rest.strip_prefix(';') else {
                break;
            };
            let (name, value, next) = param(p);
            rest = next;
            if name.eq_ignore_ascii_case("rel") && rels.is_empty() {
                rels = value
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect();
            }
        }
        if let Ok(url) = base.join(target) {
            out.push(HeaderLink { url, rels });
        }
    }
}

/// One `name[=value]` parameter at the start of `s`: its name, value (quotes removed, escapes
/// resolved) and what follows.
fn param(s: &str) -> (String, String, &str) {
    let s = s.trim_start();
    let name_end = s
        .find(|c: char| c == '=' || c == ';' || c == ',' || c.is_whitespace())
        .unwrap_or(s.len());
    let name = s[..name_end].to_string();
    let rest = s[name_end..].trim_start();
    let Some(v) = rest.strip_prefix('=') else {
        return (name, String::new(), rest);
    };
    let v = v.trim_start();
    if let Some(q) = v.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        value.push(e);
                    }
                }
                '"' => return (name, value, &q[i + 1..]),
                c => value.push(c),
            }
        }
        (name, value, "")
    } else {
        let end = v.find([';', ',']).unwrap_or(v.len());
        (name, v[..end].trim().to_string(), &v[end..])
    }
}

/// What follows the next comma outside a quoted string, if any.
fn skip_value(s: &str) -> Option<&str> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return Some(&s[i + 1..]),
            _ => {}
        }
    }
    None
}

/// The hubs and self link among a parsed feed's links (Atom, or RSS with `atom:link`), resolved
/// against `base`.
pub fn from_feed_links(links: &[feed_rs::model::Link], base: &Url) -> FeedHubs {
    let mut out = FeedHubs::default();
    for l in links {
        let Some(rel) = l.rel.as_deref() else {
            continue;
        };
        let Ok(url) = base.join(l.href.trim()) else {
            continue;
        };
        for r in rel.split_ascii_whitespace() {
            if r.eq_ignore_ascii_case("hub") {
                out.hubs.push(url.clone());
            } else if r.eq_ignore_ascii_case("self") && out.self_url.is_none() {
                out.self_url = Some(url.clone());
            }
        }
    }
    out
}

/// The `hubs` and `feed_url` of a JSON Feed document (feed-rs reads neither as such), resolved
/// against `base`; empty when the document has none or is not a JSON object.
pub fn from_json_feed(doc: &[u8], base: &Url) -> FeedHubs {
    #[derive(serde::Deserialize)]
    struct Hub {
        url: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Top {
        feed_url: Option<String>,
        #[serde(default)]
        hubs: Vec<Hub>,
    }
    // Most JSON feeds have no hub: skip the second parse for them.
    if memchr::memmem::find(doc, b"\"hubs\"").is_none() {
        return FeedHubs::default();
    }
    let Ok(top) = serde_json::from_slice::<Top>(doc) else {
        return FeedHubs::default();
    };
    FeedHubs {
        hubs: top
            .hubs
            .iter()
            .filter_map(|h| base.join(h.url.as_deref()?.trim()).ok())
            .collect(),
        self_url: top.feed_url.and_then(|u| base.join(u.trim()).ok()),
    }
}

/// The hub and topic to subscribe to for a feed fetched from `fetched`: `Link` headers first (as
/// the WebSub Recommendation asks), then the document's own links; the topic is the self URL,
/// else the fetched URL. Only http(s) hubs and topics without credentials count (they are logged
/// and shown). `None` without a hub.
pub fn discover(link_header: Option<&str>, feed: &FeedHubs, fetched: &Url) -> Option<WebSubLinks> {
    let web = |u: &Url| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.username().is_empty()
            && u.password().is_none()
    };
    let header = link_header
        .map(|h| parse_link_header(h, fetched))
        .unwrap_or_default();
    let with_rel = |rel: &'static str| {
        header
            .iter()
            .filter(move |l| l.rels.iter().any(|r| r == rel))
            .map(|l| &l.url)
    };
    let hub = with_rel("hub")
        .chain(feed.hubs.iter())
        .find(|u| web(u))?
        .clone();
    let topic = with_rel("self")
        .chain(feed.self_url.iter())
        .find(|u| web(u))
        .or(Some(fetched).filter(|u| web(u)))?
        .clone();
    Some(WebSubLinks { hub, topic })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::feed::parse_feed;

    fn base() -> Url {
        Url::parse("https://news.example/feeds/all.xml").unwrap()
    }

    fn s(u: &Url) -> &str {
        u.as_str()
    }

    #[test]
    fn link_headers_with_several_links_params_and_quoted_commas_parse() {
        let links = parse_link_header(
            r#"<https://hub.example/>; rel="hub", </feeds/all.xml>; title="a, b; c"; rel=self,
               <https://other.example/x>; rel="alternate HUB""#,
            &base(),
        );
        let got: Vec<(&str, Vec<&str>)> = links
            .iter()
            .map(|l| (s(&l.url), l.rels.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("https://hub.example/", vec!["hub"]),
                ("https://news.example/feeds/all.xml", vec!["self"]),
                ("https://other.example/x", vec!["alternate", "hub"]),
            ]
        );
    }

    #[test]
    fn malformed_link_headers_yield_what_can_be_read() {
        assert!(parse_link_header("", &base()).is_empty());
        assert!(parse_link_header("garbage, more garbage", &base()).is_empty());
        assert!(parse_link_header("<https://hub.example/", &base()).is_empty());
        let l = parse_link_header(
            r#"junk "with, comma", <https://h.example/>; rel=hub"#,
            &base(),
        );
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].rels, vec!["hub"]);
        let l = parse_link_header(r#"<https://h.example/>; rel="hub"#, &base());
        assert_eq!(
            l[0].rels,
            vec!["hub"],
            "an unterminated quote ends the value"
        );
        let l = parse_link_header("<https://h.example/>; rel", &base());
        assert!(l[0].rels.is_empty());
    }

    #[test]
    fn headers_win_over_the_document_and_the_topic_falls_back_to_the_fetched_url() {
        let doc = FeedHubs {
            hubs: vec![Url::parse("https://doc-hub.example/").unwrap()],
            self_url: Some(Url::parse("https://news.example/self.xml").unwrap()),
        };
        let d = discover(
            Some("<https://header-hub.example/>; rel=hub"),
            &doc,
            &base(),
        )
        .unwrap();
        assert_eq!(s(&d.hub), "https://header-hub.example/");
        assert_eq!(s(&d.topic), "https://news.example/self.xml");
        let d = discover(None, &doc, &base()).unwrap();
        assert_eq!(s(&d.hub), "https://doc-hub.example/");
        let no_self = FeedHubs {
            self_url: None,
            ..doc.clone()
        };
        assert_eq!(
            s(&discover(None, &no_self, &base()).unwrap().topic),
            s(&base())
        );
        assert_eq!(discover(None, &FeedHubs::default(), &base()), None);
        let ftp = FeedHubs {
            hubs: vec![Url::parse("ftp://hub.example/").unwrap()],
            self_url: None,
        };
        assert_eq!(discover(None, &ftp, &base()), None, "only http(s) hubs");
        let secret = FeedHubs {
            hubs: vec![Url::parse("https://user:pw@hub.example/").unwrap()],
            self_url: None,
        };
        assert_eq!(discover(None, &secret, &base()), None, "no credentials");
    }

    #[test]
    fn atom_announces_its_hub_and_self() {
        let doc = br#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
            <title>Wire</title><id>urn:wire</id><updated>2026-11-01T00:00:00Z</updated>
            <link rel="hub" href="https://hub.example/websub"/>
            <link rel="self" href="https://news.example/atom.xml"/>
            <link rel="alternate" href="https://news.example/"/>
            <entry><id>a</id><title>A</title><updated>2026-11-01T00:00:00Z</updated></entry></feed>"#;
        let f = parse_feed(doc, None, &base()).unwrap();
        assert_eq!(
            f.hubs.hubs,
            vec![Url::parse("https://hub.example/websub").unwrap()]
        );
        assert_eq!(
            s(f.hubs.self_url.as_ref().unwrap()),
            "https://news.example/atom.xml"
        );
    }

    #[test]
    fn rss_announces_its_hub_with_atom_link() {
        let doc =
            br#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
            <channel><title>Wire</title><link>https://news.example/</link>
            <atom:link rel="hub" href="https://hub.example/"/>
            <atom:link rel="self" type="application/rss+xml" href="https://news.example/rss.xml"/>
            <item><guid>a</guid><title>A</title></item></channel></rss>"#;
        let f = parse_feed(doc, None, &base()).unwrap();
        let d = discover(None, &f.hubs, &base()).unwrap();
        assert_eq!(s(&d.hub), "https://hub.example/");
        assert_eq!(s(&d.topic), "https://news.example/rss.xml");
    }

    #[test]
    fn json_feed_announces_its_hubs_and_feed_url() {
        let doc = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "Wire",
            "feed_url": "https://news.example/feed.json",
            "hubs": [{"type": "WebSub", "url": "/hub"}, {"type": "rssCloud"}],
            "items": [{"id": "a", "title": "A", "content_text": "x"}]}"#;
        let f = parse_feed(doc, Some("application/feed+json"), &base()).unwrap();
        assert_eq!(
            f.hubs.hubs,
            vec![Url::parse("https://news.example/hub").unwrap()]
        );
        assert_eq!(
            s(f.hubs.self_url.as_ref().unwrap()),
            "https://news.example/feed.json"
        );
        let plain =
            br#"{"version": "https://jsonfeed.org/version/1.1", "title": "W", "items": []}"#;
        assert_eq!(
            parse_feed(plain, None, &base()).unwrap().hubs,
            FeedHubs::default()
        );
    }

    #[test]
    fn a_feed_without_hub_links_announces_nothing() {
        let doc = br#"<rss version="2.0"><channel><title>W</title><item><guid>a</guid><title>A</title></item></channel></rss>"#;
        let f = parse_feed(doc, None, &base()).unwrap();
        assert!(f.hubs.hubs.is_empty());
        assert_eq!(discover(None, &f.hubs, &base()), None);
    }
}
