//! Parses RSS 0.9x/1.0/2.0, Atom and JSON Feed documents (through feed-rs) into [`RawBrief`]s.
//!
//! Decodes legacy encodings first, resolves links to absolute URLs, keeps the publisher's ids. Does not
//! fetch and does not clean HTML (that is `transforms`).

use std::borrow::Cow;

use feed_rs::model::{Entry, Link, Text};
use url::Url;

use crate::decode::{charset, dates, entities};
use crate::model::{Markup, RawBrief};
use crate::sources::feed_dialects;
use crate::sources::feed_extras::{self, ItemExtras};
use crate::sources::websub::{self, FeedHubs};

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
    /// The character encoding the document was decoded from (`UTF-8`, `windows-1252`, ...).
    pub charset: &'static str,
    /// How long the feed says it stays fresh (RSS `<ttl>`, in minutes there).
    pub ttl: Option<std::time::Duration>,
    /// The WebSub hubs and self link the document announces.
    pub hubs: FeedHubs,
}

/// The most entries read from one feed document, in document order (feeds list their newest
/// first and carry tens); the rest are left out with a warning.
pub const MAX_FEED_ENTRIES: usize = 1_000;

/// Parses `body` fetched from `url` (the final URL after redirects). A document that makes the
/// feed parser panic is a [`ParseError`] like any other that cannot be read.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<ParsedFeed, ParseError> {
    let (utf8, charset) = charset::to_utf8(body, content_type);
    let utf8 = entities::repair(utf8);
    let original = utf8.clone();
    let utf8 = feed_dialects::rewrite(utf8);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        // An empty id tells `to_raw` that the publisher gave none; it then derives one itself.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(dates::parse_feed_date)
        .build();
    let failed = |detail: String| ParseError {
        url: url.to_string(),
        detail,
    };
    let (feed, utf8, original) = match parse_guarded(&parser, &utf8) {
        Ok(feed) => (feed, utf8, original),
        // A feed wrapped in another document (an XHTML page, an envelope) is read on its own.
        Err(e) => match feed_dialects::nested_feed(&utf8) {
            Some(inner) => {
                let inner = inner.to_vec();
                let feed = parse_guarded(&parser, &inner).map_err(failed)?;
                (feed, Cow::Owned(inner.clone()), Cow::Owned(inner))
            }
            None => return Err(failed(e)),
        },
    };
    let mut hubs = websub::from_feed_links(&feed.links, url);
    if feed.feed_type == feed_rs::model::FeedType::JSON {
        let json = websub::from_json_feed(&utf8, url);
        hubs.hubs.extend(json.hubs);
        hubs.self_url = hubs.self_url.or(json.self_url);
    }
    let ttl = feed
        .ttl
        .map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60));
    let mut title = feed
        .title
        .map(|t| t.content)
        .filter(|t| !t.trim().is_empty());
    let mut entries: Vec<RawBrief> = feed.entries.into_iter().map(|e| to_raw(e, url)).collect();
    let thin = entries
        .iter()
        .any(|e| e.title.is_none() && e.summary.is_none() && e.content.is_none());
    let gaps = entries.iter().any(|e| {
        e.title.is_none() || (e.summary.is_none() && e.content.is_none()) || e.published.is_none()
    });
    if (thin || entries.is_empty() || feed_extras::wanted(&original, gaps))
        && let Some(extras) = feed_extras::scan(&original)
    {
        title = extras.feed_title_decoded.or(title).or(extras.feed_title);
        entries = merge_extras(entries, extras.items, url);
    }
    if let Some(bases) = entry_bases(&utf8, url, entries.len()) {
        for (e, base) in entries.iter_mut().zip(bases) {
            e.base = base;
        }
    }
    // An item with nothing in it (no id, link, title, text or author; perhaps a date) among items
    // that have something is a template left empty, not a brief. A feed of nothing but such items
    // is kept as written.
    if entries.iter().any(|e| !is_blank(e)) {
        entries.retain(|e| !is_blank(e));
    }
    if entries.len() > MAX_FEED_ENTRIES {
        tracing::warn!(
            url = url.as_str(),
            entries = entries.len(),
            kept = MAX_FEED_ENTRIES,
            "feed has more entries than are read from one document; the rest are left out"
        );
        entries.truncate(MAX_FEED_ENTRIES);
    }
    Ok(ParsedFeed {
        title,
        entries,
        charset,
        ttl,
        hubs,
    })
}

/// feed-rs's parse of `doc`, with a panic inside it reported as an error like any other.
///
/// feed-rs 3.0 panics on some ill-formed documents instead of returning an error: an Atom `<entry>`
/// that opens while another entry is still open trips an assertion in its Media RSS state
/// (`mediarss.rs`: `self.root.borrow().is_none()`), an author address followed by a multi-byte
/// character is sliced inside that character, and an XML declaration inside an element panics in
/// quick-xml's `set_encoding`. Polls already contain panics per source (`pipeline` runs parsing
/// under `run_blocking`), but `sources discover` and any other caller would not; here such a document
/// is simply not a valid feed.
fn parse_guarded(
    parser: &feed_rs::parser::Parser,
    doc: &[u8],
) -> Result<feed_rs::model::Feed, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(doc))) {
        Ok(parsed) => parsed.map_err(|e| e.to_string()),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the feed parser panicked: {message}"))
        }
    }
}

/// Combines feed-rs's entries with the extra pass's findings: one to one when both saw the same
/// items; when feed-rs dropped RSS 1.0 items for lack of a `<link>`, those are rebuilt from the scan.
fn merge_extras(entries: Vec<RawBrief>, items: Vec<ItemExtras>, url: &Url) -> Vec<RawBrief> {
    if items.len() == entries.len() {
        return entries
            .into_iter()
            .zip(items)
            .map(|(mut e, x)| {
                fill_gaps(&mut e, x, url);
                e
            })
            .collect();
    }
    let linked = items.iter().filter(|x| x.link.is_some()).count();
    if items.len() < entries.len() || linked != entries.len() {
        return entries;
    }
    let mut kept = entries.into_iter();
    items
        .into_iter()
        .filter_map(|x| {
            if x.link.is_some() {
                let mut e = kept.next()?;
                fill_gaps(&mut e, x, url);
                Some(e)
            } else {
                let mut e = RawBrief::empty(url.clone());
                fill_gaps(&mut e, x, url);
                Some(e)
            }
        })
        .collect()
}

/// Fills what feed-rs left empty from the extra pass; base64-decoded text replaces what feed-rs
/// read (the encoded form).
fn fill_gaps(e: &mut RawBrief, x: ItemExtras, url: &Url) {
    let decoded = |s: String| {
        if looks_like_html(&s) {
            Markup::Html(s)
        } else {
            Markup::Text(s)
        }
    };
    if let Some(t) = x.decoded.title {
        e.title = Some(decoded(t));
    }
    if let Some(t) = x.decoded.summary {
        e.summary = Some(decoded(t));
    }
    if let Some(t) = x.decoded.content {
        e.content = Some(decoded(t));
    }
    let empty = |m: &Option<Markup>| match m {
        None => true,
        Some(Markup::Html(s) | Markup::Text(s)) => s.trim().is_empty(),
    };
    if empty(&e.title) {
        e.title = x.title.or(e.title.take());
    }
    if empty(&e.summary) {
        e.summary = x.summary.or(e.summary.take());
    }
    if empty(&e.content) {
        e.content = x.content.or(e.content.take());
    }
    if e.authors.is_empty()
        && let Some(a) = x.author.map(|a| author_name(&a)).filter(|a| !a.is_empty())
    {
        e.authors.push(a);
    }
    if e.published.is_none() {
        e.published = x.date.as_deref().and_then(dates::parse_feed_date);
    }
    if e.updated.is_none() {
        e.updated = x.modified.as_deref().and_then(dates::parse_feed_date);
    }
    // An empty link resolves to the feed itself: no link.
    let web = |s: &str| {
        url.join(s.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u != url)
    };
    if e.link.is_none() {
        e.link = x
            .link
            .as_deref()
            .and_then(web)
            .or_else(|| x.about.as_deref().and_then(web));
    }
    if e.guid.is_none() {
        e.guid = x.about;
    }
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

fn to_raw(e: Entry, feed_url: &Url) -> RawBrief {
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
        base: feed_url.clone(),
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
        // `Jane Doe (me@example.org)`.
        let name = s[..open].trim();
        if inner.contains('@') && !name.is_empty() && !name.contains('@') {
            return name.to_string();
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

/// Whether an entry carries nothing a brief could be made of.
fn is_blank(e: &RawBrief) -> bool {
    let empty = |m: &Option<Markup>| match m {
        None => true,
        Some(Markup::Html(s) | Markup::Text(s)) => s.trim().is_empty(),
    };
    e.guid.is_none()
        && e.link.is_none()
        && e.authors.is_empty()
        && empty(&e.title)
        && empty(&e.summary)
        && empty(&e.content)
}

/// The entry's alternate link (or its first link), absolute. An empty `<link></link>` is no link,
/// nor is one that resolves to the feed document itself (what an empty link becomes once resolved).
fn pick_link(links: &[Link], base: &Url) -> Option<Url> {
    let links: Vec<&Link> = links.iter().filter(|l| !l.href.trim().is_empty()).collect();
    let chosen = links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| links.first())?;
    base.join(chosen.href.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u != base)
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

    /// Found by fuzzing (fuzz/fuzz_targets/feed.rs): an Atom entry that opens while another is still
    /// open made feed-rs 3.0 panic (`assertion failed: self.root.borrow().is_none()`).
    #[test]
    fn nested_atom_entry_that_panics_feed_rs_is_a_parse_error() {
        let doc = b"<entry><feed><entry\n</feed>";
        let err = parse_feed(doc, None, &url()).unwrap_err();
        assert!(err.detail.contains("parser panicked"), "{err}");
    }

    /// Found by fuzzing: an RSS author whose address is followed by a multi-byte character made
    /// feed-rs 3.0 slice inside that character (`start byte index 7 is not a char boundary`).
    #[test]
    fn author_address_before_a_multibyte_character_is_a_parse_error() {
        let doc = "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title>\
                   <author>a@b.cc\u{2021}zz</author></item></channel></rss>";
        let err = parse_feed(doc.as_bytes(), None, &url()).unwrap_err();
        assert!(err.detail.contains("parser panicked"), "{err}");
    }

    /// The other feed-rs 3.0 panic (quick-xml's `set_encoding` on an XML declaration inside an
    /// element), which `tests/it/feed_quality.rs` sees through a whole poll.
    #[test]
    fn xml_declaration_inside_an_element_is_a_parse_error_not_a_panic() {
        let doc = br#"<rss version="2.0"><channel><title>P</title><item><title>a</title>
<description>x<?xml version="1.0" encoding="windows-1252"?></description></item></channel></rss>"#;
        let err = parse_feed(doc, None, &url()).unwrap_err();
        assert!(err.detail.contains("parser panicked"), "{err}");
    }

    #[test]
    fn rss_ttl_is_read_in_minutes() {
        let doc = br#"<rss version="2.0"><channel><title>t</title><ttl>90</ttl>
            <item><guid>a</guid><title>x</title></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.ttl, Some(std::time::Duration::from_secs(5400)));
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
        assert_eq!(author_name("Jane Doe (me@example.org)"), "Jane Doe");
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
    fn dublin_core_fields_fill_what_rss_lacks() {
        let doc = br#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <dc:title>Chan</dc:title><item><dc:title>Dc title</dc:title><guid>g1</guid>
            <dc:description>Dc body</dc:description><dc:author>Ed Itor (ed@example.org)</dc:author>
            </item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.title.as_deref(), Some("Chan"));
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(
            (b.title.as_str(), b.text.as_str(), b.author.as_deref()),
            ("Dc title", "Dc body", Some("Ed Itor"))
        );
    }

    #[test]
    fn rss1_items_without_link_are_kept() {
        let doc = br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="http://e.example/"><title>C</title></channel>
            <item rdf:about="http://e.example/1"><title>No link</title></item>
            <item rdf:about="http://e.example/2"><title>Linked</title><link>http://e.example/2</link></item>
            </rdf:RDF>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let titles: Vec<String> = f.entries.into_iter().map(|e| normalize(e).title).collect();
        assert_eq!(titles, ["No link", "Linked"]);
    }

    #[test]
    fn base64_atom_text_is_decoded_instead_of_failing_the_feed() {
        let doc =
            br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><id>urn:1</id>
            <title type="application/octet-stream">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title></entry>
            <entry><id>urn:2</id><title type="text/plain">Plain</title></entry></feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let titles: Vec<String> = f.entries.into_iter().map(|e| normalize(e).title).collect();
        assert_eq!(titles, ["Example Atom", "Plain"]);
    }

    #[test]
    fn out_of_line_plain_text_content_keeps_its_mime_type() {
        // A real blog's feed: the body is a .txt file elsewhere, the summary says what it is.
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
            <entry><id>urn:1</id><title type="text/plain">Certificates</title>
            <content src="https://blog.example.org/certs.txt" type="text/plain"/>
            <link href="https://blog.example.org/certs.txt"/>
            <summary>How certificates work.</summary></entry></feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(b.title, "Certificates");
        assert_eq!(b.text, "How certificates work.");
        assert_eq!(b.url.as_deref(), Some("https://blog.example.org/certs.txt"));
    }

    #[test]
    fn atom03_under_a_draft_namespace_parses() {
        let doc =
            br#"<feed version="0.3" xmlns="http://example.com/newformat#"><title>Draft</title>
            <entry><id>urn:1</id><title>E</title></entry></feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.title.as_deref(), Some("Draft"));
        assert_eq!(f.entries.len(), 1);
    }

    #[test]
    fn naked_markup_in_rss_description_is_read() {
        let doc = br#"<rss version="2.0"><channel><title>T</title><item><guid>g</guid>
            <description><p>Naked <b>markup</b></p></description></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(b.text, "Naked markup");
    }

    #[test]
    fn userland_rss_with_a_prefix_on_every_element_parses() {
        let doc = br#"<r:rss version="2.0" xmlns:r="http://backend.userland.com/rss2"><r:channel>
            <r:title>C</r:title><r:item><r:title>Prefixed</r:title><r:link>https://u.example/1</r:link>
            </r:item></r:channel></r:rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(
            normalize(f.entries.into_iter().next().unwrap()).title,
            "Prefixed"
        );
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

    #[test]
    fn undeclared_html_entities_are_read_as_their_characters() {
        let doc = br#"<rss version="2.0"><channel><title>caf&eacute;&nbsp;&hellip;</title>
            <item><title>AT&T &ndash; x</title><guid>g</guid></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.title.as_deref(), Some("caf\u{e9}\u{a0}\u{2026}"));
        let b = normalize(f.entries.into_iter().next().unwrap());
        assert_eq!(b.title, "AT&T \u{2013} x");
    }

    #[test]
    fn rss_without_a_version_or_a_channel_parses() {
        let doc =
            b"<rss><channel><title>No version</title><item><title>I</title></item></channel></rss>";
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(
            (f.title.as_deref(), f.entries.len()),
            (Some("No version"), 1)
        );
        let empty = parse_feed(b"<rss version=\"2.0\">\n</rss>", None, &url()).unwrap();
        assert!(empty.entries.is_empty());
    }

    #[test]
    fn utf16_without_bom_parses_and_reports_its_charset() {
        let text = r#"<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel>
            <title>Wide</title><item><title>Ж</title><guid>g</guid></item></channel></rss>"#;
        let doc: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let f = parse_feed(&doc, None, &url()).unwrap();
        assert_eq!(f.charset, "UTF-16BE");
        assert_eq!(normalize(f.entries.into_iter().next().unwrap()).title, "Ж");
    }

    #[test]
    fn an_empty_item_among_real_ones_is_dropped_and_its_empty_link_is_no_link() {
        let doc = br#"<rss version="2.0"><channel><title>T</title>
            <item><title>Real</title><link>https://e.example/1</link></item>
            <item><title></title><link></link><pubDate>Wed, 17 Oct 2018 10:30:00 GMT</pubDate>
            <description></description></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.entries.len(), 1, "{:?}", f.entries);
        let lone = br#"<rss version="2.0"><channel><item><link></link><author>a@e.example</author></item></channel></rss>"#;
        let f = parse_feed(lone, None, &url()).unwrap();
        assert_eq!(f.entries.len(), 1);
        assert!(f.entries[0].link.is_none());
    }

    #[test]
    fn a_feed_inside_an_xhtml_page_is_read() {
        let doc = br#"<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>Inner</title>
            <entry><id>urn:1</id><title>E</title></entry></feed></body></html>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!((f.title.as_deref(), f.entries.len()), (Some("Inner"), 1));
    }

    #[test]
    fn json_feed_with_a_bare_version_number_parses() {
        let doc = br#"{"version":"1.1","title":"J","items":[{"id":"1","title":"Jay","content_text":"x"}]}"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(
            normalize(f.entries.into_iter().next().unwrap()).title,
            "Jay"
        );
    }

    #[test]
    fn itunes_media_and_dcterms_stand_in_for_missing_core_elements() {
        let doc = br#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
            xmlns:media="http://search.yahoo.com/mrss/" xmlns:dcterms="http://purl.org/dc/terms/"><channel>
            <item><guid>g</guid><media:title>Media title</media:title><itunes:summary>Itunes summary</itunes:summary>
            <itunes:author>Host</itunes:author><dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued>
            <dcterms:modified>2004-01-01T00:00:00Z</dcterms:modified></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let raw = f.entries.into_iter().next().unwrap();
        assert_eq!(
            raw.published.unwrap().to_rfc3339(),
            "2003-12-31T10:14:55+00:00"
        );
        assert_eq!(
            raw.updated.unwrap().to_rfc3339(),
            "2004-01-01T00:00:00+00:00"
        );
        let b = normalize(raw);
        assert_eq!(
            (b.title.as_str(), b.text.as_str(), b.author.as_deref()),
            ("Media title", "Itunes summary", Some("Host"))
        );
    }

    #[test]
    fn base64_feed_title_is_decoded() {
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="application/octet-stream" mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title>
            <entry><id>urn:1</id><title>E</title></entry></feed>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        assert_eq!(f.title.as_deref(), Some("Example <b>Atom</b>"));
    }

    #[test]
    fn atom_elements_inside_an_rss_item_fill_its_gaps() {
        let doc = br#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
            <item><title>T</title><atom:content type="html">&lt;p&gt;Body&lt;/p&gt;</atom:content>
            <atom:published>2019-01-02T15:04:05Z</atom:published>
            <atom:author><atom:name>John Doe</atom:name></atom:author></item></channel></rss>"#;
        let f = parse_feed(doc, None, &url()).unwrap();
        let raw = f.entries.into_iter().next().unwrap();
        assert_eq!(
            raw.published.unwrap().to_rfc3339(),
            "2019-01-02T15:04:05+00:00"
        );
        let b = normalize(raw);
        assert_eq!(
            (b.text.as_str(), b.author.as_deref()),
            ("Body", Some("John Doe"))
        );
    }

    #[test]
    fn a_feed_of_too_many_entries_keeps_the_first_ones() {
        let mut doc = String::from("<rss version=\"2.0\"><channel><title>Flood</title>");
        for i in 0..(MAX_FEED_ENTRIES + 500) {
            doc.push_str(&format!(
                "<item><title>Brief {i}</title><link>https://flood.example.org/{i}</link></item>"
            ));
        }
        doc.push_str("</channel></rss>");
        let url = Url::parse("https://flood.example.org/feed.xml").unwrap();
        let f = parse_feed(doc.as_bytes(), Some("application/rss+xml"), &url).unwrap();
        assert_eq!(f.entries.len(), MAX_FEED_ENTRIES);
        let last = f.entries.last().unwrap().link.as_ref().unwrap();
        assert_eq!(last.as_str(), "https://flood.example.org/999");
    }

    #[test]
    fn a_feed_nested_beyond_the_xml_readers_depth_limit_is_an_error_not_a_crash() {
        let n = 100_000;
        let doc = format!(
            "<rss version=\"2.0\"><channel><title>Deep</title><item><title>x</title>{}{}</item></channel></rss>",
            "<x>".repeat(n),
            "</x>".repeat(n)
        );
        let url = Url::parse("https://deep.example.org/feed.xml").unwrap();
        let err = parse_feed(doc.as_bytes(), Some("application/rss+xml"), &url).unwrap_err();
        assert!(err.to_string().contains("deep.example.org"), "{err}");
        // Nesting within the limit parses.
        let doc = doc
            .replace(&"<x>".repeat(n), &"<x>".repeat(1_000))
            .replace(&"</x>".repeat(n), &"</x>".repeat(1_000));
        assert_eq!(
            parse_feed(doc.as_bytes(), None, &url)
                .unwrap()
                .entries
                .len(),
            1
        );
    }
}
