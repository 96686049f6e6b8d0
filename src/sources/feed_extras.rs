//! Fills in what feed-rs leaves out of real feeds: Dublin Core titles, descriptions and authors, RSS
//! 1.0 items without a `<link>` (which feed-rs drops), non-standard content elements (`fullitem`,
//! an XHTML `body`), base64-encoded Atom text (feed title included), DCMI terms dates, and the
//! iTunes / Media RSS stand-ins for a missing summary, author or title. A second, cheap pass over the raw document that runs
//! only when one of these constructs appears in it; it never overrides what feed-rs found.

use std::ops::Range;

use quick_xml::events::{BytesStart, Event};

use crate::model::Markup;

/// What the extra pass found for one `item` / `entry`, in document order.
#[derive(Debug, Default, Clone)]
pub(super) struct ItemExtras {
    /// `dc:title`, or the plain `title` (for rebuilt items).
    pub title: Option<Markup>,
    /// `dc:description`, or the plain `description` (for rebuilt items).
    pub summary: Option<Markup>,
    /// `fullitem` or an XHTML `body`.
    pub content: Option<Markup>,
    /// `dc:author`.
    pub author: Option<String>,
    /// `rdf:about`.
    pub about: Option<String>,
    /// The `link` element's text, when the item has one.
    pub link: Option<String>,
    /// `dc:date`, `dcterms:issued` or `dcterms:created`.
    pub date: Option<String>,
    /// `dcterms:modified`.
    pub modified: Option<String>,
    /// Title, summary or content carried base64-encoded (Atom `mode="base64"`), decoded.
    pub decoded: Decoded,
}

/// Base64-decoded Atom text constructs.
#[derive(Debug, Default, Clone)]
pub(super) struct Decoded {
    /// The title, decoded.
    pub title: Option<String>,
    /// The summary, decoded.
    pub summary: Option<String>,
    /// The content, decoded.
    pub content: Option<String>,
}

/// The extra pass's findings for a document.
#[derive(Debug, Default)]
pub(super) struct DocExtras {
    /// The channel's `dc:title`.
    pub feed_title: Option<String>,
    /// The feed's own title when it is carried base64-encoded, decoded.
    pub feed_title_decoded: Option<String>,
    /// One per `item` / `entry` element.
    pub items: Vec<ItemExtras>,
}

/// Whether the document contains anything the extra pass would add (a few substring searches);
/// `gaps`: feed-rs left some entry without a title, a summary or content, or a date.
pub(super) fn wanted(doc: &[u8], gaps: bool) -> bool {
    const MARKERS: &[&str] = &[
        "<dc:title",
        "<dc:description",
        "<dc:author",
        "<fullitem",
        "http://www.w3.org/1999/xhtml\"",
        "base64",
        "application/octet-stream",
        "purl.org/rss/1.0/",
    ];
    // Stand-ins for core elements: worth a pass only when feed-rs left an entry without one (a
    // podcast feed with full items costs nothing more).
    const STAND_INS: &[&str] = &[
        "<itunes:summary",
        "<itunes:author",
        "<media:title",
        "<dcterms:",
        "<atom:content",
        "<atom:published",
        "<atom:updated",
        "<atom:author",
    ];
    let any = |markers: &[&str]| {
        markers
            .iter()
            .any(|m| memchr::memmem::find(doc, m.as_bytes()).is_some())
    };
    any(MARKERS) || (gaps && any(STAND_INS))
}

/// Scans `doc` (UTF-8) for the constructs feed-rs ignores. `None` when it is not well-formed enough
/// to scan (feed-rs's result then stands alone).
pub(super) fn scan(doc: &[u8]) -> Option<DocExtras> {
    let text = std::str::from_utf8(doc).ok()?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = DocExtras::default();
    let mut depth = 0usize;
    let mut item_depth: Option<usize> = None;
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.name();
                let qname = name.as_ref();
                let local = e.local_name();
                let local = local.as_ref();
                if item_depth.is_none() && matches!(local, "item" | "entry") {
                    item_depth = Some(depth);
                    out.items.push(ItemExtras {
                        about: attr(&e, "rdf:about"),
                        ..ItemExtras::default()
                    });
                    continue;
                }
                let in_item = item_depth.is_some_and(|d| depth == d + 1);
                let in_channel = item_depth.is_none() && depth <= 3;
                let base64 = attr(&e, "mode").as_deref() == Some("base64")
                    || attr(&e, "type").is_some_and(|t| t.starts_with("application/octet"));
                let channel_title =
                    in_channel && (qname == "dc:title" || (local == "title" && base64));
                if !in_item && !channel_title {
                    continue;
                }
                let owned = e.to_owned();
                let span = reader.read_to_end(owned.name()).ok()?;
                depth -= 1;
                let inner = &text[to_usize(span)?];
                if !in_item && base64 {
                    out.feed_title_decoded = decode_base64(&inner_text(inner));
                    continue;
                }
                if !in_item {
                    out.feed_title.get_or_insert_with(|| inner_text(inner));
                    continue;
                }
                let item = out.items.last_mut().expect("inside an item");
                record(item, qname, local, inner, base64);
            }
            Event::Empty(e) => {
                if item_depth.is_none() && matches!(e.local_name().as_ref(), "item" | "entry") {
                    out.items.push(ItemExtras {
                        about: attr(&e, "rdf:about"),
                        ..ItemExtras::default()
                    });
                } else if item_depth.is_some_and(|d| depth == d)
                    && e.local_name().as_ref() == "link"
                {
                    // An Atom-style <link href/> inside an RSS 1.0 item still counts as a link.
                    let item = out.items.last_mut().expect("inside an item");
                    item.link = item.link.take().or_else(|| attr(&e, "href"));
                }
            }
            Event::End(_) => {
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.checked_sub(1)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(out)
}

/// Records one child element of an item.
fn record(item: &mut ItemExtras, qname: &str, local: &str, inner: &str, base64: bool) {
    if base64 {
        let Some(decoded) = decode_base64(&inner_text(inner)) else {
            return;
        };
        match local {
            "title" => item.decoded.title = Some(decoded),
            "summary" => item.decoded.summary = Some(decoded),
            "content" => item.decoded.content = Some(decoded),
            _ => {}
        }
        return;
    }
    match qname {
        "dc:title" => item.title = Some(markup(inner)),
        "title" if item.title.is_none() => item.title = Some(markup(inner)),
        "dc:description" => item.summary = Some(markup(inner)),
        "description" if item.summary.is_none() => item.summary = Some(markup(inner)),
        "dc:author" => item.author = Some(inner_text(inner)),
        "dc:date" | "dcterms:issued" | "dcterms:created" if item.date.is_none() => {
            item.date = Some(inner_text(inner));
        }
        "dcterms:modified" => item.modified = Some(inner_text(inner)),
        // iTunes and Media RSS stand in for the core elements when those are missing.
        "itunes:summary" | "media:description" if item.summary.is_none() => {
            item.summary = Some(markup(inner));
        }
        "itunes:author" if item.author.is_none() => item.author = Some(inner_text(inner)),
        // Atom elements inside an RSS item.
        "atom:content" if item.content.is_none() => item.content = Some(markup(inner)),
        "atom:published" if item.date.is_none() => item.date = Some(inner_text(inner)),
        "atom:updated" if item.modified.is_none() => item.modified = Some(inner_text(inner)),
        "atom:author" if item.author.is_none() => item.author = person_name(inner),
        "media:title" if item.title.is_none() => item.title = Some(markup(inner)),
        "link" => item.link = Some(inner_text(inner)),
        "fullitem" => item.content = Some(Markup::Html(inner_text(inner))),
        _ if local == "body" => item.content = Some(Markup::Html(inner.trim().to_string())),
        _ => {}
    }
}

/// The `name` (else `email`) child of an Atom person construct, whatever its prefix.
fn person_name(inner: &str) -> Option<String> {
    ["name>", "email>"].iter().find_map(|tag| {
        let start = inner.find(tag)? + tag.len();
        let end = inner[start..].find('<').map_or(inner.len(), |e| start + e);
        Some(inner_text(&inner[start..end])).filter(|n| !n.is_empty())
    })
}

/// An element's text: plain when it has no markup, HTML when it carries escaped or naked tags.
fn markup(inner: &str) -> Markup {
    let raw_tags = inner.contains('<') && !inner.trim_start().starts_with("<![CDATA[");
    if raw_tags {
        return Markup::Html(inner.trim().to_string());
    }
    let text = inner_text(inner);
    if text.contains('<') {
        Markup::Html(text)
    } else {
        Markup::Text(text)
    }
}

/// The text of an element's raw content: CDATA sections verbatim, entities and character references
/// decoded elsewhere (unknown entities are kept as written).
fn inner_text(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while !rest.is_empty() {
        let (plain, cdata, after) = match rest.find("<![CDATA[") {
            Some(i) => {
                let body = &rest[i + 9..];
                let end = body.find("]]>").unwrap_or(body.len());
                (
                    &rest[..i],
                    &body[..end],
                    body.get(end + 3..).unwrap_or_default(),
                )
            }
            None => (rest, "", ""),
        };
        match quick_xml::escape::unescape(plain) {
            Ok(s) => out.push_str(&s),
            Err(_) => out.push_str(plain),
        }
        out.push_str(cdata);
        rest = after;
    }
    out.trim().to_string()
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| inner_text(a.value.as_ref()))
        .filter(|v| !v.is_empty())
}

fn to_usize(span: Range<u64>) -> Option<Range<usize>> {
    Some(usize::try_from(span.start).ok()?..usize::try_from(span.end).ok()?)
}

/// Standard or URL-safe base64 with optional padding and whitespace; `None` unless it decodes to
/// UTF-8.
pub(super) fn decode_base64(s: &str) -> Option<String> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_standard_and_padded_input() {
        assert_eq!(
            decode_base64("RXhhbXBsZSA8Yj5BdG9tPC9iPg==").as_deref(),
            Some("Example <b>Atom</b>")
        );
        assert_eq!(decode_base64("aGk").as_deref(), Some("hi"));
        assert_eq!(decode_base64("a*b"), None);
    }

    #[test]
    fn inner_text_decodes_entities_and_keeps_cdata() {
        assert_eq!(inner_text(" a &amp; b "), "a & b");
        assert_eq!(inner_text("x <![CDATA[<p>y</p>]]> z"), "x <p>y</p> z");
        assert_eq!(inner_text("&#65;&unknown;"), "&#65;&unknown;");
    }

    #[test]
    fn scan_finds_dublin_core_rdf_about_and_content_elements() {
        let doc = br#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <dc:title>Chan</dc:title>
            <item rdf:about="http://e.example/1"><dc:title>T &amp; U</dc:title>
              <dc:description>&lt;p&gt;D&lt;/p&gt;</dc:description><dc:author>Ed</dc:author>
              <body xmlns="http://www.w3.org/1999/xhtml"><p>B</p></body></item>
            <item><fullitem>&lt;p&gt;F&lt;/p&gt;</fullitem><link>http://e.example/2</link></item>
            </channel></rss>"#;
        let x = scan(doc).unwrap();
        assert_eq!(x.feed_title.as_deref(), Some("Chan"));
        assert_eq!(x.items.len(), 2);
        let a = &x.items[0];
        assert!(matches!(&a.title, Some(Markup::Text(t)) if t == "T & U"));
        assert!(matches!(&a.summary, Some(Markup::Html(t)) if t == "<p>D</p>"));
        assert!(matches!(&a.content, Some(Markup::Html(t)) if t == "<p>B</p>"));
        assert_eq!(a.author.as_deref(), Some("Ed"));
        assert_eq!(a.about.as_deref(), Some("http://e.example/1"));
        assert!(a.link.is_none());
        let b = &x.items[1];
        assert!(matches!(&b.content, Some(Markup::Html(t)) if t == "<p>F</p>"));
        assert_eq!(b.link.as_deref(), Some("http://e.example/2"));
    }
}
