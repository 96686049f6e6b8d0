//! Reads back the digest mail the demo's SMTP sink received: its subject and the decoded HTML part
//! of a multipart message (base64, quoted-printable or plain). Only as much MIME as lettre writes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Headers of a MIME entity (unfolded, names lower-cased) and the bytes after the blank line.
fn split_entity(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match raw.find("\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => match raw.find("\n\n") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, ""),
        },
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A parameter of a header value such as `multipart/alternative; boundary="abc"`.
fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"'))
    })
}

/// The decoded `Subject` (RFC 2047 encoded words of UTF-8 in B or Q form decoded).
pub fn subject(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let (headers, _) = split_entity(&text);
    let value = header(&headers, "subject")?;
    // Whitespace between two encoded words is dropped; elsewhere it is kept (RFC 2047, 6.2).
    let mut out = String::new();
    let mut after_encoded = false;
    for word in value.split_whitespace() {
        let decoded = decode_word(word);
        let joined = after_encoded && decoded.is_some();
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        after_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
    }
    Some(out)
}

/// An RFC 2047 encoded word (`=?charset?B|Q?data?=`) decoded; `None` for any other word.
fn decode_word(word: &str) -> Option<String> {
    let w = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = w.splitn(3, '?');
    let (_charset, enc, data) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = if enc.eq_ignore_ascii_case("b") {
        STANDARD.decode(data).ok()?
    } else if enc.eq_ignore_ascii_case("q") {
        quoted_printable(&data.replace('_', " "))
    } else {
        return None;
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The decoded `text/html` part of the message, if it has one.
pub fn html_part(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    find_html(&text)
}

fn find_html(entity: &str) -> Option<String> {
    let (headers, body) = split_entity(entity);
    let ctype = header(&headers, "content-type").unwrap_or("text/plain");
    if ctype.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = format!("--{}", param(ctype, "boundary")?);
        return body
            .split(boundary.as_str())
            .skip(1)
            .take_while(|p| !p.starts_with("--"))
            .find_map(|part| find_html(part.trim_start_matches(['\r', '\n'])));
    }
    if !ctype.to_ascii_lowercase().starts_with("text/html") {
        return None;
    }
    let encoding = header(&headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .ok()?,
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Quoted-printable decoded: `=XX` escapes and soft line breaks.
fn quoted_printable(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_of_a_multipart_message_is_decoded() {
        let raw = "Subject: briefwatch =?utf-8?b?wrc=?= demo =?utf-8?q?caf=C3=A9?= =?utf-8?b?IQ==?=\r\n\
            Content-Type: multipart/alternative;\r\n boundary=\"XyZ\"\r\n\r\n\
            --XyZ\r\nContent-Type: text/plain\r\n\r\nplain\r\n\
            --XyZ\r\nContent-Type: text/html; charset=utf-8\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>caf=C3=A9 =\r\nbar</p>\r\n\
            --XyZ--\r\n";
        assert_eq!(html_part(raw.as_bytes()).unwrap().trim(), "<p>café bar</p>");
        assert_eq!(subject(raw.as_bytes()).unwrap(), "briefwatch · demo café!");
        let b64 =
            "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n";
        assert_eq!(html_part(b64.as_bytes()).unwrap(), "<b>hi</b>");
    }
}
