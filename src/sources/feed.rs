//! Parses RSS 0.9x/1.0/2.0, Atom and JSON Feed documents (through feed-rs) into [`RawBrief`]s.
//!
//! Decodes legacy encodings first, resolves links to absolute URLs, keeps the publisher's ids. Does not
//! fetch and does not clean HTML (that is `transforms`).

use feed_rs::model::{Entry, Link, Text};
use url::Url;

use crate::model::{Markup, RawBrief};
use crate::sources::{charset, dates};

/// A document that could not be read as a feed.
#[derive(Debug, thiserror::Error)]
#[error("{url}: not a valid feed: {detail}")]
pub struct ParseError {
    /// The feed's URL.
    pub url: String,
    /// What the parser said.
    pub detail: String,
}

/// A parsed feed document.
#[derive(Debug)]
pub struct ParsedFeed {
    /// The feed's own title.
    pub title: Option<String>,
    /// Its entries, in document order.
    pub entries: Vec<RawBrief>,
}

/// Parses `body` fetched from `url` (the final URL after redirects).
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<ParsedFeed, ParseError> {
    let (utf8, _) = charset::to_utf8(body, content_type);
    let utf8 = legacy_dialects(utf8);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        // An empty id tells `to_raw` that the publisher gave none; it then derives one itself.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(dates::parse_feed_date)
        .build();
    let feed = parser.parse(&utf8[..]).map_err(|e| ParseError {
        url: url.to_string(),
        detail: e.to_string(),
    })?;
    let bases = entry_bases(&utf8, url, feed.entries.len());
    let entries = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| to_raw(e, url, bases.as_ref().map_or(url, |b| &b[i])))
        .collect();
    Ok(ParsedFeed {
        title: feed.title.map(|t| t.content),
        entries,
    })
}

/// Rewrites legacy dialects feed-rs does not recognise into their modern equivalents: Atom 0.3
/// (namespace, `issued`/`modified`/`tagline`), RSS 0.90 (namespace), RSS 0.93/0.94 and UserLand's
/// namespaced RSS. Only the document's head is inspected, so modern feeds cost nothing.
fn legacy_dialects(doc: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    const ATOM03: &str = "http://purl.org/atom/ns#";
    const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
    let head = &doc[..doc.len().min(2048)];
    let has = |needle: &str| memchr::memmem::find(head, needle.as_bytes()).is_some();
    let rules: &[(&str, &str)] = if has(ATOM03) {
        &[
            (ATOM03, "http://www.w3.org/2005/Atom"),
            ("<issued>", "<published>"),
            ("</issued>", "</published>"),
            ("<modified>", "<updated>"),
            ("</modified>", "</updated>"),
            ("<tagline", "<subtitle"),
            ("</tagline>", "</subtitle>"),
        ]
    } else if has(RSS090) {
        &[(RSS090, "http://purl.org/rss/1.0/")]
    } else if has("<rss")
        && (has("backend.userland.com/rss") || has("version=\"0.93\"") || has("version=\"0.94\""))
    {
        &[
            (" xmlns=\"http://backend.userland.com/rss2\"", ""),
            (" xmlns=\"http://backend.userland.com/rss\"", ""),
            ("version=\"0.93\"", "version=\"2.0\""),
            ("version=\"0.94\"", "version=\"2.0\""),
        ]
    } else {
        return doc;
    };
    let Ok(text) = std::str::from_utf8(&doc) else {
        return doc;
    };
    let mut out = text.to_string();
    for (from, to) in rules {
        out = out.replace(from, to);
    }
    std::borrow::Cow::Owned(out.into_bytes())
}

/// The base URL of each entry's content when the document uses `xml:base` (feed-rs resolves links but
/// does not tell which base applies to the HTML inside an entry). `None` when the document has no
/// `xml:base` or its entries cannot be matched one to one.
fn entry_bases(doc: &[u8], url: &Url, entries: usize) -> Option<Vec<Url>> {
    memchr::memmem::find(doc, b"xml:base")?;
    let mut reader = quick_xml::Reader::from_reader(doc);
    let mut stack: Vec<Url> = vec![url.clone()];
    let mut out: Vec<Url> = Vec::with_capacity(entries);
    let mut entry_depth: Option<usize> = None;
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).ok()?;
        match &event {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let parent = stack.last().expect("root base").clone();
                let base = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "xml:base")
                    .and_then(|a| parent.join(a.value.as_ref().trim()).ok())
                    .unwrap_or(parent);
                let name = e.local_name();
                let local = name.as_ref();
                let depth = stack.len();
                if entry_depth.is_none() && matches!(local, "entry" | "item") {
                    entry_depth = Some(depth);
                    out.push(base.clone());
                } else if entry_depth.is_some_and(|d| depth == d + 1)
                    && matches!(local, "content" | "summary" | "description")
                    && base != *stack.last().expect("entry base")
                {
                    *out.last_mut().expect("inside an entry") = base.clone();
                }
                if matches!(event, quick_xml::events::Event::Start(_)) {
                    stack.push(base);
                } else if entry_depth == Some(depth) {
                    entry_depth = None;
                }
            }
            quick_xml::events::Event::End(_) => {
                stack.pop();
                if entry_depth == Some(stack.len()) {
                    entry_depth = None;
                }
                if stack.is_empty() {
                    return None;
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    (out.len() == entries).then_some(out)
}

fn to_raw(e: Entry, feed_url: &Url, content_base: &Url) -> RawBrief {
    let guid = Some(e.id).filter(|s| !s.trim().is_empty());
    let link = pick_link(&e.links, feed_url).or_else(|| {
        // RSS: a permalink guid is the item's link when there is no <link>.
        guid.as_deref()
            .and_then(|g| Url::parse(g).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    });
    let content = e.content.and_then(|c| {
        let html = c.content_type.as_str().contains("html");
        c.body.map(|b| {
            if html {
                Markup::Html(b)
            } else {
                Markup::Text(b)
            }
        })
    });
    let authors = e
        .authors
        .into_iter()
        .filter_map(|p| p.name.or(p.email))
        .map(|n| author_name(&n))
        .filter(|n| !n.is_empty())
        .collect();
    RawBrief {
        guid,
        link,
        title: e.title.map(text_markup),
        content,
        summary: e.summary.map(text_markup),
        authors,
        published: e.published,
        updated: e.updated,
        base: content_base.clone(),
    }
}

/// A person's display name from the forms RSS uses: `me@example.org (Jane Doe)`, `Jane Doe
/// <me@example.org>`, or a bare name or address.
fn author_name(raw: &str) -> String {
    let s = raw.trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        // feed-rs already took the address out of `me@example.org (Jane Doe)`.
        return inner.trim().to_string();
    }
    if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
        let inner = s[open + 1..s.len() - 1].trim();
        if s[..open].contains('@') && !inner.is_empty() {
            return inner.to_string();
        }
    }
    if let (Some(open), true) = (s.find('<'), s.ends_with('>')) {
        let name = s[..open].trim().trim_matches('"');
        if s[open..].contains('@') && !name.is_empty() {
            return name.to_string();
        }
    }
    s.to_string()
}

/// Title and summary: HTML when declared so, or when plain text carries tags (common in RSS).
fn text_markup(t: Text) -> Markup {
    if t.content_type.as_str().contains("html") || looks_like_html(&t.content) {
        Markup::Html(t.content)
    } else {
        Markup::Text(t.content)
    }
}

fn looks_like_html(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// The entry's alternate link (or its first link), absolute.
fn pick_link(links: &[Link], base: &Url) -> Option<Url> {
    let chosen = links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.first())?;
    base.join(chosen.href.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::normalize::normalize;

    fn url() -> Url {
        Url::parse("https://example.org/feeds/main.xml").unwrap()
    }

    #[test]
    fn rss_relative_links_and_missing_guid() {
        let doc = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
            <item><title>A &amp; B &lt;b&gt;bold&lt;/b&gt;</title><link>/a/1</link>
            <description>&lt;p&gt;Body&lt;/p&gt;</description><pubDate>Tue, 03 Nov 2026 10:00:00 +0100</pubDate></item>
            </channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(b.url.as_deref(), Some("https://example.org/a/1"));
        assert_eq!(b.guid, "https://example.org/a/1");
        assert_eq!(b.title, "A & B bold");
        assert_eq!(b.text, "Body");
        assert_eq!(
            b.published.unwrap().to_rfc3339(),
            "2026-11-03T09:00:00+00:00"
        );
    }

    #[test]
    fn atom_xml_base_resolves_links() {
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://other.example/base/">
            <title>T</title><id>urn:f</id>
            <entry><id>urn:e1</id><title type="html">&lt;i&gt;Hi&lt;/i&gt;</title><link href="post/1"/>
            <author><name>Ann</name></author><updated>2026-11-01T00:00:00Z</updated>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>X</p></div></content></entry></feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(b.guid, "urn:e1");
        assert_eq!(b.url.as_deref(), Some("https://other.example/base/post/1"));
        assert_eq!(b.title, "Hi");
        assert_eq!(b.author.as_deref(), Some("Ann"));
        assert_eq!(b.text, "X");
    }

    #[test]
    fn xml_base_applies_to_links_inside_content() {
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/root/">
            <title>T</title><id>urn:f</id>
            <entry><id>urn:1</id><title>One</title>
              <content type="html">&lt;a href="x"&gt;x&lt;/a&gt;</content></entry>
            <entry xml:base="https://b.example/e/"><id>urn:2</id><title>Two</title>
              <content type="html" xml:base="c/">&lt;a href="y"&gt;y&lt;/a&gt;</content></entry>
            </feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let html: Vec<String> = f
            .entries
            .into_iter()
            .map(|e| normalize(e).html.unwrap())
            .collect();
        assert!(html[0].contains("https://a.example/root/x"), "{}", html[0]);
        assert!(html[1].contains("https://b.example/e/c/y"), "{}", html[1]);
    }

    #[test]
    fn json_feed_parses() {
        let doc = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":"1","url":"https://example.org/j/1","title":"Jay","content_html":"<p>Hello</p>",
             "date_published":"2026-11-01T10:00:00-05:00","authors":[{"name":"Kay"}]}]}"#;
        let f = parse_feed(doc, Some("application/feed+json"), &url()).unwrap();
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(
            (b.guid.as_str(), b.title.as_str(), b.text.as_str()),
            ("1", "Jay", "Hello")
        );
        assert_eq!(
            b.published.unwrap().to_rfc3339(),
            "2026-11-01T15:00:00+00:00"
        );
    }

    #[test]
    fn author_names_are_taken_from_rss_address_forms() {
        assert_eq!(author_name("me@example.org (Jane Doe)"), "Jane Doe");
        assert_eq!(author_name("Jane Doe <me@example.org>"), "Jane Doe");
        assert_eq!(author_name(" Jane Doe "), "Jane Doe");
        assert_eq!(author_name("(Jane Doe)"), "Jane Doe");
        assert_eq!(author_name("me@example.org"), "me@example.org");
        assert_eq!(author_name("Reuters (Cairo)"), "Reuters (Cairo)");
    }

    #[test]
    fn legacy_dialects_parse() {
        let atom03 = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
            <entry><id>urn:1</id><title>E</title><issued>2004-01-01T00:00:00Z</issued></entry></feed>"#;
        let f = parse_feed(atom03, None, &url()).unwrap();
        assert_eq!(f.title.as_deref(), Some("Old"));
        assert_eq!(f.entries.len(), 1);
        assert!(f.entries[0].published.is_some());
        let userland = br#"<rss version="0.93" xmlns="http://backend.userland.com/rss2"><channel>
            <title>U</title><item><title>I</title><link>https://u.example/1</link></item></channel></rss>"#;
        let f = parse_feed(userland, None, &url()).unwrap();
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn malformed_xml_is_an_error_naming_the_url() {
        let e = parse_feed(b"<rss version=\"2.0\"><channel><item>", None, &url()).unwrap_err();
        assert!(e.to_string().contains("https://example.org/feeds/main.xml"));
        let e = parse_feed(b"hello", None, &url()).unwrap_err();
        assert!(e.to_string().contains("not a valid feed"));
    }

    #[test]
    fn external_entities_are_not_expanded() {
        let doc = br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <rss version="2.0"><channel><title>T</title><item><title>a &xxe; b</title><guid>g</guid></item></channel></rss>"#;
        if let Ok(f) = parse_feed(doc, None, &url()) {
            for e in f.entries {
                let b = normalize(e);
                assert!(!b.title.contains("root:"), "{}", b.title);
            }
        }
    }
}
