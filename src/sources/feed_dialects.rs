//! Rewrites feed dialects and quirks feed-rs rejects into forms it reads, before it sees the bytes:
//! legacy Atom 0.3 and RSS 0.9x/UserLand namespaces, an RSS root without a version (or with one
//! feed-rs does not know), and Atom text-construct types it refuses. Each rewrite first checks the
//! document's head or searches for its marker, so a modern feed passes through unchanged and
//! unallocated. Does not parse the document.

use std::borrow::Cow;

/// Every rewrite, in order.
pub(super) fn rewrite(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    if doc.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return json_version(doc);
    }
    text_types(rss_version(legacy_dialects(doc)))
}

/// The version URL feed-rs requires of a JSON Feed (`https://jsonfeed.org/version/1...`), given to
/// one that writes it otherwise (`"1.1"`, `http://`, a trailing slash) or leaves it out. Only an
/// object with an `items` array is touched; the document is re-serialised only then.
fn json_version(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    const CURRENT: &str = "https://jsonfeed.org/version/1.1";
    if memchr::memmem::find(&doc, b"\"https://jsonfeed.org/version/1").is_some() {
        return doc;
    }
    let Ok(serde_json::Value::Object(mut feed)) = serde_json::from_slice::<serde_json::Value>(&doc)
    else {
        return doc;
    };
    if !feed.get("items").is_some_and(|i| i.is_array()) {
        return doc;
    }
    let version = match feed.get("version").and_then(|v| v.as_str()) {
        Some(v) if v.contains("version/1") && !v.contains("1.1") => {
            "https://jsonfeed.org/version/1"
        }
        _ => CURRENT,
    };
    feed.insert("version".into(), serde_json::Value::String(version.into()));
    match serde_json::to_vec(&feed) {
        Ok(bytes) => Cow::Owned(bytes),
        Err(_) => doc,
    }
}

/// Rewrites legacy dialects feed-rs does not recognise into their modern equivalents: Atom 0.3
/// (namespace, `issued`/`modified`/`tagline`), RSS 0.90 (namespace), RSS 0.93/0.94 and UserLand's
/// namespaced RSS. Only the document's head is inspected, so modern feeds cost nothing.
fn legacy_dialects(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    const ATOM03: &str = "http://purl.org/atom/ns#";
    const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
    let head = &doc[..doc.len().min(2048)];
    // `<feed version="0.3">` under a draft or private namespace is Atom 0.3 all the same.
    let doc = match foreign_atom_namespace(head) {
        Some(ns) => {
            let ns = String::from_utf8_lossy(ns).into_owned();
            match std::str::from_utf8(&doc) {
                Ok(text) => Cow::Owned(
                    text.replacen(
                        &format!("xmlns=\"{ns}\""),
                        &format!("xmlns=\"{ATOM03}\""),
                        1,
                    )
                    .into_bytes(),
                ),
                Err(_) => doc,
            }
        }
        None => doc,
    };
    let head = &doc[..doc.len().min(2048)];
    let has = |needle: &str| memchr::memmem::find(head, needle.as_bytes()).is_some();
    if let Some(prefix) = userland_prefix(head) {
        // `<r:rss xmlns:r="http://backend.userland.com/rss2">`: RSS 2.0 with every element prefixed.
        let Ok(text) = std::str::from_utf8(&doc) else {
            return doc;
        };
        let out = text
            .replace(&format!("<{prefix}:"), "<")
            .replace(&format!("</{prefix}:"), "</");
        return Cow::Owned(out.into_bytes());
    }
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
    Cow::Owned(out.into_bytes())
}

/// The prefix bound to UserLand's RSS namespace when the root element uses it (`<r:rss`).
fn userland_prefix(head: &[u8]) -> Option<&str> {
    let head = std::str::from_utf8(head).ok()?;
    let at = head.find("=\"http://backend.userland.com/rss")?;
    let decl = &head[..at];
    let prefix = &decl[decl.rfind("xmlns:")? + 6..];
    let valid = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && head.contains(&format!("<{prefix}:rss"))).then_some(prefix)
}

/// The default namespace of a `<feed version="0.3">` root that is neither Atom 0.3 nor 1.0.
fn foreign_atom_namespace(head: &[u8]) -> Option<&[u8]> {
    let start = memchr::memmem::find(head, b"<feed")?;
    let tag = &head[start..];
    let tag = &tag[..memchr::memchr(b'>', tag)?];
    memchr::memmem::find(tag, b"version=\"0.3\"")?;
    let at = memchr::memmem::find(tag, b"xmlns=\"")? + 7;
    let ns = &tag[at..at + memchr::memchr(b'"', &tag[at..])?];
    let known: [&[u8]; 2] = [b"http://purl.org/atom/ns#", b"http://www.w3.org/2005/Atom"];
    (!known.contains(&ns)).then_some(ns)
}

/// Rewrites Atom text-construct types that feed-rs rejects (failing the whole document) into ones it
/// reads: `application/octet-stream` (base64, decoded by `feed_extras`) and `text/plain` become
/// `text`, `application/xhtml+xml` becomes `xhtml`, an empty `type=""` becomes `text`. Out-of-line content (`<content src=...>`) keeps
/// its type: there it is a MIME type, which feed-rs reads as one.
fn text_types(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    const RULES: &[(&str, &str)] = &[
        ("type=\"application/octet-stream\"", "type=\"text\""),
        ("type=\"text/plain\"", "type=\"text\""),
        ("type=\"application/xhtml+xml\"", "type=\"xhtml\""),
        // An empty type is no type: text, the construct's default.
        ("type=\"\"", "type=\"text\""),
    ];
    // Every rule starts with `type="`: one search for that, then a look at what follows each.
    let mut found = [false; RULES.len()];
    for at in memchr::memmem::find_iter(&doc, b"type=\"") {
        for (hit, (from, _)) in found.iter_mut().zip(RULES) {
            *hit |= doc[at..].starts_with(from.as_bytes());
        }
    }
    let present: Vec<_> = RULES
        .iter()
        .zip(found)
        .filter_map(|(rule, hit)| hit.then_some(rule))
        .collect();
    if present.is_empty() {
        return doc;
    }
    let Ok(text) = std::str::from_utf8(&doc) else {
        return doc;
    };
    let mut out = text.to_string();
    for (from, to) in present {
        let mut rewritten = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(from) {
            let tag_start = rest[..at].rfind('<').unwrap_or(0);
            let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
            let out_of_line = rest[tag_start..tag_end].contains(" src=");
            rewritten.push_str(&rest[..at]);
            rewritten.push_str(if out_of_line { from } else { to });
            rest = &rest[at + from.len()..];
        }
        rewritten.push_str(rest);
        out = rewritten;
    }
    Cow::Owned(out.into_bytes())
}

/// Gives an `<rss>` root what feed-rs needs to recognise it: the version `2.0` when it has none
/// (common in hand-made feeds) or one feed-rs does not know (`2.0.1`, `0.93`, `0.94`, ...; 0.91 and
/// 0.92 keep theirs), and an empty `<channel/>` when it has no channel at all (an empty feed, not a
/// broken one).
fn rss_version(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let doc = rss_root_version(doc);
    let Some(root) = root_start(&doc).filter(|&r| doc[r..].starts_with(b"<rss")) else {
        return doc;
    };
    if memchr::memmem::find(&doc, b"<channel").is_some() {
        return doc;
    }
    let Some(gt) = memchr::memchr(b'>', &doc[root..]).map(|g| root + g) else {
        return doc;
    };
    if doc[gt - 1] == b'/' {
        return doc;
    }
    let mut out = Vec::with_capacity(doc.len() + 10);
    out.extend_from_slice(&doc[..=gt]);
    out.extend_from_slice(b"<channel/>");
    out.extend_from_slice(&doc[gt + 1..]);
    Cow::Owned(out)
}

/// A feed root (`<feed`, `<rss`, `<rdf:RDF`) nested inside another document's root, with
/// everything up to its end tag: what is left to read when the document as a whole is not a feed.
pub(super) fn nested_feed(doc: &[u8]) -> Option<&[u8]> {
    let root = root_start(doc)?;
    const ROOTS: &[(&[u8], &[u8])] = &[
        (b"<feed", b"</feed>"),
        (b"<rss", b"</rss>"),
        (b"<rdf:RDF", b"</rdf:RDF>"),
    ];
    ROOTS.iter().find_map(|(open, close)| {
        let start = root + 1 + memchr::memmem::find(&doc[root + 1..], open)?;
        let next = *doc.get(start + open.len())?;
        if !(next.is_ascii_whitespace() || next == b'>') {
            return None;
        }
        let end = memchr::memmem::rfind(&doc[start..], close)? + start + close.len();
        Some(&doc[start..end])
    })
}

fn rss_root_version(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let Some(root) = root_start(&doc) else {
        return doc;
    };
    let tag = &doc[root..];
    let after_name = tag.get(4).copied();
    if !tag.starts_with(b"<rss")
        || !after_name.is_some_and(|b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
    {
        return doc;
    }
    let tag = &tag[..memchr::memchr(b'>', tag).unwrap_or(tag.len())];
    let (at, len) = match version_value(tag) {
        Some((_, b"2.0" | b"0.91" | b"0.92" | b"")) => return doc,
        Some((at, value)) => (root + at, value.len()),
        None => {
            let mut out = Vec::with_capacity(doc.len() + 16);
            out.extend_from_slice(&doc[..root + 4]);
            out.extend_from_slice(b" version=\"2.0\"");
            out.extend_from_slice(&doc[root + 4..]);
            return Cow::Owned(out);
        }
    };
    let mut out = Vec::with_capacity(doc.len());
    out.extend_from_slice(&doc[..at]);
    out.extend_from_slice(b"2.0");
    out.extend_from_slice(&doc[at + len..]);
    Cow::Owned(out)
}

/// The offset and bytes of the `version` attribute's value inside a start tag.
fn version_value(tag: &[u8]) -> Option<(usize, &[u8])> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&tag[from..], b"version") {
        let at = from + i;
        from = at + 7;
        let before_ok = at > 0 && tag[at - 1].is_ascii_whitespace();
        let rest = &tag[from..];
        let eq = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        if !before_ok || rest[eq] != b'=' {
            continue;
        }
        let q = eq
            + 1
            + rest[eq + 1..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())?;
        let quote = rest[q];
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value_start = from + q + 1;
        let len = memchr::memchr(quote, &tag[value_start..])?;
        return Some((value_start, &tag[value_start..value_start + len]));
    }
    None
}

/// Where the root element's start tag begins: after the XML declaration, processing instructions,
/// comments and a DOCTYPE.
fn root_start(doc: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        at += memchr::memchr(b'<', &doc[at..])?;
        let rest = &doc[at..];
        let skip_to =
            |needle: &[u8]| memchr::memmem::find(rest, needle).map(|e| at + e + needle.len());
        at = if rest.starts_with(b"<!--") {
            skip_to(b"-->")?
        } else if rest.starts_with(b"<?") {
            skip_to(b"?>")?
        } else if rest.starts_with(b"<!") {
            let gt = memchr::memchr(b'>', rest)?;
            if rest[..gt].contains(&b'[') {
                skip_to(b"]>")?
            } else {
                at + gt + 1
            }
        } else {
            return Some(at);
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(doc: &str) -> String {
        String::from_utf8(rewrite(Cow::Borrowed(doc.as_bytes())).into_owned()).unwrap()
    }

    #[test]
    fn rss_root_without_a_version_gets_2_0() {
        assert_eq!(
            rewritten("<?xml version=\"1.0\"?><!-- <rss> --><rss><channel/></rss>"),
            "<?xml version=\"1.0\"?><!-- <rss> --><rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            rewritten("<rss\n  xmlns:a=\"urn:a\"><channel/></rss>"),
            "<rss version=\"2.0\"\n  xmlns:a=\"urn:a\"><channel/></rss>"
        );
    }

    #[test]
    fn unknown_rss_versions_become_2_0_and_known_ones_stay() {
        assert_eq!(
            rewritten("<rss version='2.0.1'><channel/></rss>"),
            "<rss version='2.0'><channel/></rss>"
        );
        for kept in [
            "<rss version=\"0.91\"><channel/></rss>",
            "<rss version=\"2.0\"><channel/></rss>",
            "<rssfeed><channel/></rssfeed>",
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>",
        ] {
            assert!(
                matches!(rewrite(Cow::Borrowed(kept.as_bytes())), Cow::Borrowed(_)),
                "{kept}"
            );
        }
    }

    #[test]
    fn rss_root_without_a_channel_gets_an_empty_one() {
        assert_eq!(
            rewritten("<rss version=\"2.0\">\n</rss>"),
            "<rss version=\"2.0\"><channel/>\n</rss>"
        );
    }

    #[test]
    fn a_feed_wrapped_in_a_page_is_found() {
        let doc = b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title></feed></body></html>";
        assert_eq!(
            nested_feed(doc),
            Some(&b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title></feed>"[..])
        );
        assert_eq!(
            nested_feed(b"<html><body><p>no feed</p></body></html>"),
            None
        );
    }

    #[test]
    fn json_feed_versions_written_otherwise_are_accepted() {
        for version in ["\"1.1\"", "\"http://jsonfeed.org/version/1\"", "null"] {
            let doc = format!("{{\"version\": {version}, \"title\": \"T\", \"items\": []}}");
            let out = rewritten(&doc);
            assert!(out.contains("\"https://jsonfeed.org/version/1"), "{out}");
        }
        let current = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": []}";
        assert!(matches!(
            rewrite(Cow::Borrowed(current.as_bytes())),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn empty_text_construct_type_reads_as_text() {
        assert_eq!(
            rewritten(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"\">t</title></entry></feed>"
            ),
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"text\">t</title></entry></feed>"
        );
    }

    #[test]
    fn every_refused_text_type_is_rewritten_in_one_document_and_others_are_left_alone() {
        let doc = concat!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>",
            "<title type=\"text/plain\">a</title><summary type=\"application/xhtml+xml\">b</summary>",
            "<rights type=\"application/octet-stream\">Yw==</rights><subtitle type=\"\">d</subtitle>",
            "<content type=\"text/plain\" src=\"http://e.example/x\"/><link type=\"text/html\"/>",
            "</entry></feed>"
        );
        assert_eq!(
            rewritten(doc),
            concat!(
                "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>",
                "<title type=\"text\">a</title><summary type=\"xhtml\">b</summary>",
                "<rights type=\"text\">Yw==</rights><subtitle type=\"text\">d</subtitle>",
                "<content type=\"text/plain\" src=\"http://e.example/x\"/><link type=\"text/html\"/>",
                "</entry></feed>"
            )
        );
        let modern =
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"html\">T</title></feed>";
        assert!(matches!(
            rewrite(Cow::Borrowed(modern.as_bytes())),
            Cow::Borrowed(_)
        ));
    }
}
