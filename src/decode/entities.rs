//! Repairs the character references real feeds get wrong, so that one `&nbsp;` does not cost the
//! whole document: HTML named references used without a declaration (`&eacute;`, `&nbsp;`, the
//! full HTML5 list, from html5ever's table) become numeric references; numeric references to C1
//! controls become the windows-1252 characters publishers meant (as HTML5 reads them); a bare `&`
//! (`AT&T`, `?a=1&b=2`) becomes `&amp;`.
//!
//! XML's five predefined entities and every entity the document declares in its DOCTYPE are left
//! as written: nothing declared is ever expanded here (no external entities, no entity bombs).
//! CDATA sections, comments and the DOCTYPE itself are not touched. Works on UTF-8 bytes, before the
//! XML parser; a document without a reference to repair is returned as it was, after one `memchr`
//! pass over its ampersands.

use std::borrow::Cow;
use std::ops::Range;

/// The longest entity name looked at (the longest HTML5 name has 31 characters).
const MAX_NAME: usize = 40;

/// What one `&` starts.
#[derive(Debug, PartialEq, Eq)]
enum Reference {
    /// Leave it as written (predefined or declared entity, valid numeric reference, unknown name).
    Keep,
    /// Replace `len` bytes from the `&` with this text.
    Replace { len: usize, with: String },
}

/// `doc` with undeclared HTML entities, C1 numeric references and bare ampersands repaired;
/// borrowed back unchanged when there is nothing to repair.
pub fn repair(doc: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let Some(first) =
        memchr::memchr_iter(b'&', &doc).find(|&at| classify(&doc, at, &[]) != Reference::Keep)
    else {
        return doc;
    };
    let skipped = skipped_regions(&doc);
    let declared = declared_entities(&doc, &skipped);
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut regions = skipped.iter().peekable();
    for at in memchr::memchr_iter(b'&', &doc).filter(|&at| at >= first) {
        while regions.next_if(|r| r.end <= at).is_some() {}
        if regions.peek().is_some_and(|r| r.contains(&at)) || at < copied {
            continue;
        }
        if let Reference::Replace { len, with } = classify(&doc, at, &declared) {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(doc.len() + 64));
            buf.extend_from_slice(&doc[copied..at]);
            buf.extend_from_slice(with.as_bytes());
            copied = at + len;
        }
    }
    match out {
        Some(mut buf) => {
            buf.extend_from_slice(&doc[copied..]);
            Cow::Owned(buf)
        }
        None => doc,
    }
}

/// What the `&` at `at` starts, given the entity names the document declares.
fn classify(doc: &[u8], at: usize, declared: &[&[u8]]) -> Reference {
    let rest = &doc[at + 1..];
    if let Some(num) = rest.strip_prefix(b"#") {
        return numeric(num);
    }
    let name_len = rest
        .iter()
        .take(MAX_NAME + 1)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        .count();
    let starts_like_a_name = rest
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b':'));
    if !starts_like_a_name || name_len > MAX_NAME || rest.get(name_len) != Some(&b';') {
        return Reference::Replace {
            len: 1,
            with: "&amp;".into(),
        };
    }
    let name = &rest[..name_len];
    if matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos") || declared.contains(&name) {
        return Reference::Keep;
    }
    let Some(&(a, b)) = std::str::from_utf8(&rest[..=name_len])
        .ok()
        .and_then(|key| html5ever::data::NAMED_ENTITIES.get(key))
    else {
        // Unknown names are kept as text by the parser; nothing to gain by touching them.
        return Reference::Keep;
    };
    if a == 0 {
        return Reference::Keep;
    }
    let mut with = format!("&#{a};");
    if b != 0 {
        with.push_str(&format!("&#{b};"));
    }
    Reference::Replace {
        len: name_len + 2,
        with,
    }
}

/// A numeric reference (`num` follows `&#`): kept when valid, C1 controls mapped to windows-1252,
/// values XML forbids replaced by U+FFFD, a malformed one escaped.
fn numeric(num: &[u8]) -> Reference {
    let (digits, radix, prefix) = match num.first() {
        Some(b'x' | b'X') => (&num[1..], 16, 1),
        _ => (num, 10, 0),
    };
    let len = digits
        .iter()
        .take(9)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let value = std::str::from_utf8(&digits[..len])
        .ok()
        .filter(|_| len > 0 && digits.get(len) == Some(&b';'))
        .and_then(|d| u32::from_str_radix(d, radix).ok());
    let Some(value) = value else {
        return Reference::Replace {
            len: 1,
            with: "&amp;".into(),
        };
    };
    let whole = 2 + prefix + len + 1;
    let replaced = |c: char| Reference::Replace {
        len: whole,
        with: format!("&#{};", c as u32),
    };
    match value {
        0x80..=0x9f => {
            let byte = [value as u8];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            replaced(text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER))
        }
        0x9 | 0xa | 0xd | 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff => Reference::Keep,
        _ => replaced(char::REPLACEMENT_CHARACTER),
    }
}

/// CDATA sections, comments, processing instructions and the DOCTYPE, in document order: their
/// ampersands are not references.
fn skipped_regions(doc: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &doc[at..]) {
        let start = at + i;
        let rest = &doc[start..];
        let end = if rest.starts_with(b"<![CDATA[") {
            find_from(doc, start + 9, b"]]>").map(|e| e + 3)
        } else if rest.starts_with(b"<!--") {
            find_from(doc, start + 4, b"-->").map(|e| e + 3)
        } else if rest.starts_with(b"<?") {
            find_from(doc, start + 2, b"?>").map(|e| e + 2)
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            Some(doctype_end(doc, start))
        } else {
            at = start + 1;
            continue;
        };
        let end = end.unwrap_or(doc.len());
        out.push(start..end);
        at = end;
    }
    out
}

fn find_from(doc: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&doc[from.min(doc.len())..], needle).map(|i| from + i)
}

/// The end of a DOCTYPE starting at `start`: after its internal subset's `]>` when it has one.
fn doctype_end(doc: &[u8], start: usize) -> usize {
    let gt = find_from(doc, start, b">").unwrap_or(doc.len());
    match memchr::memchr(b'[', &doc[start..gt]) {
        Some(_) => find_from(doc, start, b"]")
            .and_then(|close| find_from(doc, close, b">"))
            .map_or(doc.len(), |e| e + 1),
        None => (gt + 1).min(doc.len()),
    }
}

/// The general entities the DOCTYPE's internal subset declares (`<!ENTITY name ...>`).
fn declared_entities<'a>(doc: &'a [u8], skipped: &[Range<usize>]) -> Vec<&'a [u8]> {
    let Some(doctype) = skipped.iter().find(|r| {
        doc[r.start..].len() >= 9 && doc[r.start + 2..r.start + 9].eq_ignore_ascii_case(b"DOCTYPE")
    }) else {
        return Vec::new();
    };
    let subset = &doc[doctype.clone()];
    memchr::memmem::find_iter(subset, b"<!ENTITY")
        .filter_map(|i| {
            let rest = &subset[i + 8..];
            let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
            let rest = &rest[start..];
            if rest.first() == Some(&b'%') {
                return None;
            }
            let len = rest
                .iter()
                .take_while(|b| !b.is_ascii_whitespace() && **b != b'>')
                .count();
            Some(&rest[..len])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(doc: &str) -> String {
        String::from_utf8(repair(Cow::Borrowed(doc.as_bytes())).into_owned()).unwrap()
    }

    #[test]
    fn undeclared_html_entities_become_numeric_references() {
        assert_eq!(
            fixed("<t>caf&eacute;&nbsp;&hellip; &AMP;</t>"),
            "<t>caf&#233;&#160;&#8230; &#38;</t>"
        );
        // Two code points.
        assert_eq!(fixed("<t>&NotEqualTilde;</t>"), "<t>&#8770;&#824;</t>");
    }

    #[test]
    fn predefined_entities_and_valid_numeric_references_are_left_alone() {
        let doc = "<t a=\"&quot;\">&amp;&lt;&gt;&apos;&#233;&#xE9;&unknownname;</t>";
        assert!(matches!(
            repair(Cow::Borrowed(doc.as_bytes())),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn bare_ampersands_are_escaped() {
        assert_eq!(
            fixed("<t>AT&T &copy 2026</t><link>https://e.example/?a=1&b=2</link>"),
            "<t>AT&amp;T &amp;copy 2026</t><link>https://e.example/?a=1&amp;b=2</link>"
        );
        assert_eq!(fixed("<t>&#xZZ; &#;</t>"), "<t>&amp;#xZZ; &amp;#;</t>");
    }

    #[test]
    fn c1_numeric_references_mean_windows_1252() {
        assert_eq!(
            fixed("<t>don&#146;t &#150;</t>"),
            "<t>don&#8217;t &#8211;</t>"
        );
        assert_eq!(fixed("<t>&#0;</t>"), "<t>&#65533;</t>");
    }

    #[test]
    fn cdata_comments_and_declared_entities_are_not_touched() {
        let doc = "<!DOCTYPE rss [<!ENTITY nbsp \"&#160;\"><!ENTITY % p \"x\">]>\
                   <rss><!-- a & b --><t><![CDATA[AT&T &eacute;]]>&nbsp;&eacute;</t></rss>";
        assert_eq!(
            fixed(doc),
            "<!DOCTYPE rss [<!ENTITY nbsp \"&#160;\"><!ENTITY % p \"x\">]>\
             <rss><!-- a & b --><t><![CDATA[AT&T &eacute;]]>&nbsp;&#233;</t></rss>"
        );
    }

    #[test]
    fn declared_entity_is_never_expanded() {
        let doc = "<!DOCTYPE rss [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><rss><t>&lol2;</t></rss>";
        assert!(matches!(
            repair(Cow::Borrowed(doc.as_bytes())),
            Cow::Borrowed(_)
        ));
    }
}
