//! Decodes fetched bytes to UTF-8. The routes, in order: a byte-order mark (UTF-8, UTF-16, UTF-32);
//! UTF-16 or UTF-32 without a mark, recognised from the zero bytes around the first characters (XML
//! 1.0 appendix F); the HTTP `charset`; the XML declaration; `<meta charset>` anywhere in an HTML
//! head; and, whatever was declared, bytes that are valid UTF-8 beyond ASCII are read as UTF-8 (a
//! legacy declaration on a UTF-8 document is a common publisher mistake), while bytes that are not
//! valid UTF-8, hold no valid multi-byte sequence and declare nothing else are read as
//! windows-1252 (with one, they are UTF-8 with damaged bytes, read with U+FFFD).
//!
//! When the document was not UTF-8, its XML declaration is rewritten so that the XML parser reads the
//! transcoded bytes as UTF-8. Does not parse XML.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Name reported for UTF-32 big-endian input (encoding_rs has no UTF-32 codec).
pub const UTF_32BE: &str = "UTF-32BE";
/// Name reported for UTF-32 little-endian input.
pub const UTF_32LE: &str = "UTF-32LE";

/// How many bytes of an HTML document are searched for `<meta charset>` (the mark may sit after a
/// long comment or script, well past the 1,024 bytes some sniffers stop at).
const META_SCAN_BYTES: usize = 64 * 1024;

/// Returns the document as UTF-8 bytes and the name of the encoding it was decoded from (an
/// encoding_rs name such as `windows-1252`, or [`UTF_32BE`] / [`UTF_32LE`]).
pub fn to_utf8<'a>(body: &'a [u8], content_type: Option<&str>) -> (Cow<'a, [u8]>, &'static str) {
    decode(body, content_type, false)
}

/// [`to_utf8`] for a document known to be an HTML page: `<meta charset>` is looked for whatever
/// the page opens with (a feed's is only trusted after `<!DOCTYPE html` or `<html`).
pub fn html_to_utf8<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, [u8]>, &'static str) {
    decode(body, content_type, true)
}

fn decode<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    html: bool,
) -> (Cow<'a, [u8]>, &'static str) {
    if let Some((big_endian, skip)) = utf32_layout(body) {
        let text = decode_utf32(&body[skip..], big_endian);
        let name = if big_endian { UTF_32BE } else { UTF_32LE };
        return (fix_declaration(Cow::Owned(text.into_bytes())), name);
    }
    let (encoding, skip) = match Encoding::for_bom(body) {
        Some((enc, bom_len)) => (enc, bom_len),
        None => match utf16_without_bom(body) {
            Some(enc) => (enc, 0),
            None => (ascii_compatible(body, content_type, html), 0),
        },
    };
    let rest = &body[skip..];
    if encoding == UTF_8 {
        if std::str::from_utf8(rest).is_ok() {
            return (fix_declaration(Cow::Borrowed(rest)), UTF_8.name());
        }
        let (text, _) = UTF_8.decode_without_bom_handling(rest);
        return (
            fix_declaration(Cow::Owned(text.into_owned().into_bytes())),
            UTF_8.name(),
        );
    }
    let (text, _) = encoding.decode_without_bom_handling(rest);
    (
        fix_declaration(Cow::Owned(text.into_owned().into_bytes())),
        encoding.name(),
    )
}

/// The encoding of a document in an ASCII-compatible encoding: declared (HTTP, then XML
/// declaration, then `<meta charset>`), overruled by the bytes when they are UTF-8 beyond ASCII;
/// windows-1252 when they are not UTF-8 and nothing else was declared.
fn ascii_compatible(body: &[u8], content_type: Option<&str>, html: bool) -> &'static Encoding {
    let declared = content_type
        .and_then(http_charset)
        .or_else(|| xml_declared_encoding(body))
        .or_else(|| meta_charset(body, html))
        // A UTF-16/32 claim cannot describe bytes that have no zero bytes where it needs them.
        .filter(|enc| *enc != UTF_16LE && *enc != UTF_16BE);
    let valid_utf8 = std::str::from_utf8(body).is_ok();
    match declared {
        Some(enc) if enc == UTF_8 => {
            if valid_utf8 || utf8_votes(body).0 > 0 {
                UTF_8
            } else {
                WINDOWS_1252
            }
        }
        // Pure ASCII reads the same either way, so the declaration stands (and is reported).
        Some(enc) if !valid_utf8 || body.is_ascii() => enc,
        Some(_) => UTF_8,
        None if valid_utf8 => UTF_8,
        None => {
            // Without a declaration the bytes vote: more valid multi-byte sequences than errors.
            let (valid, invalid) = utf8_votes(body);
            if valid > invalid { UTF_8 } else { WINDOWS_1252 }
        }
    }
}

/// Valid multi-byte UTF-8 sequences and UTF-8 errors in `body`. Declared UTF-8 with at least one
/// valid sequence is UTF-8 with damaged bytes (read with U+FFFD); legacy text forms such a
/// sequence only by rare chance (Latin-1 `é`, no-break space, `»` does), so undeclared bytes
/// need a majority.
fn utf8_votes(body: &[u8]) -> (usize, usize) {
    let (mut valid_seqs, mut errors) = (0, 0);
    let mut rest = body;
    loop {
        let (valid, skip) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => (
                // The prefix up to the error is valid by definition.
                std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
                Some(e.valid_up_to() + e.error_len().unwrap_or(1)),
            ),
        };
        valid_seqs += valid.bytes().filter(|b| *b >= 0xc0).count();
        match skip {
            Some(n) => {
                errors += 1;
                if n >= rest.len() {
                    return (valid_seqs, errors);
                }
                rest = &rest[n..];
            }
            None => return (valid_seqs, errors),
        }
    }
}

/// The `charset` parameter of a `Content-Type` value, when it names a known encoding.
pub fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(v.trim().trim_matches(['"', '\'']).trim().as_bytes())
    })
}

/// UTF-32 from its byte-order mark or, without one, from a first character in the ASCII range
/// (`00 00 00 3C` / `3C 00 00 00`): `(big_endian, bytes to skip)`.
fn utf32_layout(body: &[u8]) -> Option<(bool, usize)> {
    match body.get(..4)? {
        [0, 0, 0xfe, 0xff] => Some((true, 4)),
        [0xff, 0xfe, 0, 0] => Some((false, 4)),
        [0, 0, 0, c] if *c != 0 => Some((true, 0)),
        [c, 0, 0, 0] if *c != 0 => Some((false, 0)),
        _ => None,
    }
}

/// UTF-16 without a byte-order mark, from the zero high bytes of its first two characters (`00 3C
/// 00 3F` is `<?` big-endian, as XML 1.0 appendix F describes; any two ASCII characters count).
fn utf16_without_bom(body: &[u8]) -> Option<&'static Encoding> {
    match body.get(..4)? {
        [0, a, 0, b] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16BE),
        [a, 0, b, 0] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16LE),
        _ => None,
    }
}

/// UTF-32 code units to a string; invalid scalar values and a truncated tail become U+FFFD.
fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    let units = bytes.chunks_exact(4);
    let partial = !units.remainder().is_empty();
    for unit in units {
        let unit = [unit[0], unit[1], unit[2], unit[3]];
        let n = if big_endian {
            u32::from_be_bytes(unit)
        } else {
            u32::from_le_bytes(unit)
        };
        out.push(char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if partial {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
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
    Encoding::for_label(value.trim().as_bytes())
}

/// The encoding an HTML document names in `<meta charset=...>` or `<meta http-equiv
/// content="...; charset=...">`, searched in its first [`META_SCAN_BYTES`]. Only documents that
/// open like HTML (`<!DOCTYPE html` or `<html`) are searched, so feeds cost nothing.
fn meta_charset(body: &[u8], html: bool) -> Option<&'static Encoding> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let opening = &body[start..body.len().min(start + 14)];
    let lower: Vec<u8> = opening.to_ascii_lowercase();
    if !(html || lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html")) {
        return None;
    }
    let head = &body[..body.len().min(META_SCAN_BYTES)];
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &head[at..]) {
        let tag_start = at + i;
        at = tag_start + 1;
        let name = head.get(tag_start + 1..tag_start + 5)?;
        if !name.eq_ignore_ascii_case(b"meta") {
            continue;
        }
        let end = memchr::memchr(b'>', &head[tag_start..]).map_or(head.len(), |e| tag_start + e);
        let tag = head[tag_start..end].to_ascii_lowercase();
        let Some(p) = memchr::memmem::find(&tag, b"charset=") else {
            continue;
        };
        let value = tag[p + 8..]
            .iter()
            .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
            .copied()
            .collect::<Vec<u8>>();
        if let Some(enc) = Encoding::for_label(&value) {
            return Some(enc);
        }
    }
    None
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

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut doc = Vec::new();
        let units = bom
            .then_some(0xfeff_u16)
            .into_iter()
            .chain(text.encode_utf16());
        for u in units {
            doc.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        doc
    }

    fn utf32(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut doc = Vec::new();
        let chars = bom.then_some('\u{feff}').into_iter().chain(text.chars());
        for c in chars {
            let n = c as u32;
            doc.extend_from_slice(&if big_endian {
                n.to_be_bytes()
            } else {
                n.to_le_bytes()
            });
        }
        doc
    }

    const DOC: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>Ж</t>";

    #[test]
    fn latin1_declared_in_xml_is_transcoded() {
        let doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>Caf\xe9</t></rss>";
        let (out, enc) = to_utf8(doc, Some("application/xml"));
        assert_eq!(enc, "windows-1252");
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.contains("Café"), "{s}");
        assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    }

    #[test]
    fn http_charset_wins_over_declaration() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>Caf\xe9</t>";
        let (out, enc) = to_utf8(doc, Some("text/xml; charset=\"ISO-8859-1\""));
        assert_eq!(enc, "windows-1252");
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.contains("Café"), "{s}");
    }

    #[test]
    fn utf8_bytes_overrule_a_legacy_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Café €</t>".as_bytes();
        let (out, enc) = to_utf8(doc, None);
        assert_eq!(enc, "UTF-8");
        let s = std::str::from_utf8(&out).unwrap();
        assert!(s.contains("Café €") && !s.contains("iso-8859-1"), "{s}");
        let (_, enc) = to_utf8(doc, Some("text/xml; charset=windows-1252"));
        assert_eq!(enc, "UTF-8");
    }

    #[test]
    fn latin1_bytes_declared_as_utf8_are_read_as_windows_1252() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>J\xfcrgen</t>";
        let (out, enc) = to_utf8(doc, None);
        assert_eq!(enc, "windows-1252");
        assert!(std::str::from_utf8(&out).unwrap().contains("Jürgen"));
    }

    #[test]
    fn utf8_with_a_few_damaged_bytes_stays_utf8() {
        let doc = b"<t>Caf\xff au lait, intact caf\xc3\xa9</t>";
        let (out, enc) = to_utf8(doc, Some("text/xml; charset=utf-8"));
        assert_eq!(enc, "UTF-8");
        let s = std::str::from_utf8(&out).unwrap();
        assert!(
            s.contains("Caf\u{fffd} au lait") && s.contains("café"),
            "{s}"
        );
        // Undeclared, the bytes vote: Latin-1 "é nbsp »" happens to form one UTF-8 sequence.
        let latin1 = b"<t>\xab\xa0dou\xe9\xa0\xbb, \xab\xa0surdou\xe9</t>";
        assert_eq!(to_utf8(latin1, None).1, "windows-1252");
        assert_eq!(
            to_utf8(b"<t>caf\xc3\xa9 na\xc3\xafve \xff</t>", None).1,
            "UTF-8"
        );
    }

    #[test]
    fn unknown_declared_label_falls_back_to_the_bytes() {
        let doc = "<?xml version=\"1.0\" encoding=\"bogus\"?><t>Café</t>".as_bytes();
        let (out, enc) = to_utf8(doc, None);
        assert_eq!(enc, "UTF-8");
        assert!(std::str::from_utf8(&out).unwrap().contains("Café"));
    }

    #[test]
    fn ascii_document_reports_its_declared_encoding() {
        let doc = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>plain</t>";
        assert_eq!(to_utf8(doc, None).1, "KOI8-R");
        let doc = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><t>\xf0\xd2\xc9\xd7\xc5\xd4</t>";
        let (out, enc) = to_utf8(doc, None);
        assert_eq!(enc, "KOI8-R");
        assert!(std::str::from_utf8(&out).unwrap().contains("Привет"));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        for big_endian in [false, true] {
            let doc = utf16(DOC, big_endian, true);
            let (out, enc) = to_utf8(&doc, None);
            let s = std::str::from_utf8(&out).unwrap();
            assert!(s.contains("<t>Ж</t>") && s.contains("utf-8"), "{s}");
            assert_eq!(enc, if big_endian { "UTF-16BE" } else { "UTF-16LE" });
        }
    }

    #[test]
    fn utf16_without_bom_is_recognised_from_its_zero_bytes() {
        for big_endian in [false, true] {
            let doc = utf16(DOC, big_endian, false);
            let (out, enc) = to_utf8(&doc, None);
            let s = std::str::from_utf8(&out).unwrap();
            assert!(s.contains("<t>Ж</t>") && s.contains("utf-8"), "{s}");
            assert_eq!(enc, if big_endian { "UTF-16BE" } else { "UTF-16LE" });
        }
    }

    #[test]
    fn utf32_with_and_without_bom_is_decoded() {
        for (big_endian, bom) in [(true, true), (true, false), (false, true), (false, false)] {
            let doc = utf32(DOC, big_endian, bom);
            let (out, enc) = to_utf8(&doc, None);
            let s = std::str::from_utf8(&out).unwrap();
            assert!(
                s.starts_with("<?xml") && s.contains("<t>Ж</t>") && s.contains("utf-8"),
                "{s}"
            );
            assert_eq!(enc, if big_endian { UTF_32BE } else { UTF_32LE });
        }
    }

    #[test]
    fn meta_charset_late_in_an_html_page_is_found() {
        let mut doc = b"<!DOCTYPE html><html><!-- ".to_vec();
        doc.extend(std::iter::repeat_n(b'x', 2000));
        doc.extend_from_slice(
            b" --><head><meta charset=\"iso-8859-1\"><title>Fr\xe9d\xe9ric</title>",
        );
        let (out, enc) = to_utf8(&doc, None);
        assert_eq!(enc, "windows-1252");
        assert!(std::str::from_utf8(&out).unwrap().contains("Frédéric"));
        let meta =
            b"<html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\">";
        assert_eq!(to_utf8(meta, None).1, "KOI8-R");
    }

    #[test]
    fn undeclared_invalid_utf8_is_read_as_windows_1252() {
        let (out, enc) = to_utf8(b"<t>\x93quoted\x94</t>", None);
        assert_eq!(enc, "windows-1252");
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
