//! Decodes fetched bytes to UTF-8: BOM, then the HTTP `charset`, then the XML declaration, then a sniff.
//!
//! When the document was not UTF-8, its XML declaration is rewritten so that the XML parser reads the
//! transcoded bytes as UTF-8. Does not parse XML.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Returns the document as UTF-8 bytes and the encoding it was decoded from.
pub fn to_utf8<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, [u8]>, &'static Encoding) {
    let (encoding, skip) = match Encoding::for_bom(body) {
        Some((enc, bom_len)) => (enc, bom_len),
        None => {
            let declared = xml_declared_encoding(body);
            let enc = content_type
                .and_then(http_charset)
                .or(declared)
                .unwrap_or_else(|| sniff(body));
            (enc, 0)
        }
    };
    let rest = &body[skip..];
    if encoding == UTF_8 {
        if std::str::from_utf8(rest).is_ok() {
            return (fix_declaration(Cow::Borrowed(rest)), UTF_8);
        }
        let (text, _) = UTF_8.decode_without_bom_handling(rest);
        return (
            fix_declaration(Cow::Owned(text.into_owned().into_bytes())),
            UTF_8,
        );
    }
    let (text, _, _) = encoding.decode(rest);
    (
        fix_declaration(Cow::Owned(text.into_owned().into_bytes())),
        encoding,
    )
}

/// The `charset` parameter of a `Content-Type` value, when it names a known encoding.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The `encoding` of an XML declaration at the very start of the document.
fn xml_declared_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let decl = declaration(body)?;
    let s = std::str::from_utf8(&body[decl.clone()]).ok()?;
    let pos = s.find("encoding")?;
    let rest = s[pos + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    let enc = Encoding::for_label(value.trim().as_bytes())?;
    // A declaration that claims UTF-16 in a document without a BOM is read as ASCII-compatible
    // bytes, so the claim is wrong; trust the bytes.
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(enc)
}

/// Byte range of the XML declaration (`<?xml ... ?>`), leading whitespace allowed.
fn declaration(body: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    if !body[start..].starts_with(b"<?xml") {
        return None;
    }
    let end = body[start..].windows(2).position(|w| w == b"?>")? + start + 2;
    Some(start..end)
}

fn sniff(body: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(body).is_ok() {
        UTF_8
    } else {
        WINDOWS_1252
    }
}

/// Replaces a declaration that names another encoding with one that says UTF-8.
fn fix_declaration(body: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let Some(range) = declaration(&body) else {
        return body;
    };
    let says_utf8 = std::str::from_utf8(&body[range.clone()])
        .map(|d| {
            let d = d.to_ascii_lowercase();
            !d.contains("encoding") || d.contains("utf-8") || d.contains("utf8")
        })
        .unwrap_or(false);
    if says_utf8 {
        return body;
    }
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&body[..range.start]);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    out.extend_from_slice(&body[range.end..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_declared_in_xml_is_transcoded() {
        let doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>Caf\xe9</t></rss>";
        let (out, enc) = to_utf8(doc, Some("application/xml"));
        assert_eq!(enc, WINDOWS_1252);
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.contains("Café"), "{s}");
        assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    }

    #[test]
    fn http_charset_wins_over_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Café</t>".as_bytes();
        let (out, enc) = to_utf8(doc, Some("text/xml; charset=\"UTF-8\""));
        assert_eq!(enc, UTF_8);
        assert!(std::str::from_utf8(&out).unwrap().contains("Café"));
        assert!(!std::str::from_utf8(&out).unwrap().contains("iso-8859-1"));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut doc = vec![0xff, 0xfe];
        for u in "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>Ж</t>".encode_utf16() {
            doc.extend_from_slice(&u.to_le_bytes());
        }
        let (out, _) = to_utf8(&doc, None);
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.contains("<t>Ж</t>") && s.contains("utf-8"), "{s}");
    }

    #[test]
    fn undeclared_invalid_utf8_is_read_as_windows_1252() {
        let (out, enc) = to_utf8(b"<t>\x93quoted\x94</t>", None);
        assert_eq!(enc, WINDOWS_1252);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "<t>\u{201c}quoted\u{201d}</t>"
        );
    }

    #[test]
    fn utf8_without_declaration_is_borrowed() {
        let doc = b"<rss/>";
        assert!(matches!(to_utf8(doc, None).0, Cow::Borrowed(_)));
    }
}
