//! Evidence snippets: a short excerpt around a match, cut at word boundaries, whitespace collapsed.
//! Excerpts of ordinary text (single spaces, no other whitespace) are copied whole.

/// Bytes of context on each side of a match in a snippet.
const SNIPPET_CONTEXT: usize = 48;

/// A short excerpt around `start..end`, cut at word boundaries, whitespace collapsed, "…" where cut.
/// Offsets outside `text` or inside a character give an empty excerpt.
pub fn snippet(text: &str, start: usize, end: usize) -> String {
    if start > end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return String::new();
    }
    let mut a = start.saturating_sub(SNIPPET_CONTEXT);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    if a > 0 {
        if let Some(sp) = find_space(&text[a..start]) {
            a += sp;
        }
    }
    let mut b = (end + SNIPPET_CONTEXT).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    if b < text.len() {
        if let Some(sp) = rfind_space(&text[end..b]) {
            b = end + sp;
        }
    }
    let mut out = String::with_capacity(b - a + 8);
    if a > 0 {
        out.push('…');
    }
    let excerpt = &text[a..b];
    // The excerpt usually starts at the space before a word and is otherwise already collapsed.
    let trimmed = excerpt.strip_prefix(' ').unwrap_or(excerpt);
    if is_collapsed(trimmed) {
        out.push_str(trimmed);
    } else {
        for (i, w) in excerpt.split_whitespace().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    if b < text.len() {
        out.push('…');
    }
    out
}

fn is_ascii_space(b: &u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// `s.find(char::is_whitespace)`, a byte at a time when `s` is ASCII.
fn find_space(s: &str) -> Option<usize> {
    if s.is_ascii() {
        s.bytes().position(|b| is_ascii_space(&b))
    } else {
        s.find(char::is_whitespace)
    }
}

/// `s.rfind(char::is_whitespace)`, a byte at a time when `s` is ASCII.
fn rfind_space(s: &str) -> Option<usize> {
    if s.is_ascii() {
        s.bytes().rposition(|b| is_ascii_space(&b))
    } else {
        s.rfind(char::is_whitespace)
    }
}

/// Whether `s` has no whitespace (Unicode `White_Space`) but single spaces between words, so that
/// `split_whitespace` and joining with spaces would give it back unchanged.
fn is_collapsed(s: &str) -> bool {
    let b = s.as_bytes();
    let mut prev_space = true;
    for (i, &c) in b.iter().enumerate() {
        let class = WHITE[usize::from(c)];
        if class == 0 {
            prev_space = false;
            continue;
        }
        let space = match c {
            b' ' => {
                if prev_space {
                    return false;
                }
                true
            }
            b'\t'..=b'\r' => return false,
            // Lead bytes of the non-ASCII whitespace: U+0085, U+00A0, U+1680, U+2000-U+200A,
            // U+2028, U+2029, U+202F, U+205F, U+3000 (valid UTF-8: the continuation bytes exist).
            0xC2 if matches!(b[i + 1], 0x85 | 0xA0) => return false,
            0xE1 if b[i + 1] == 0x9A && b[i + 2] == 0x80 => return false,
            0xE2 if b[i + 1] == 0x80 && matches!(b[i + 2], 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) => {
                return false;
            }
            0xE2 if b[i + 1] == 0x81 && b[i + 2] == 0x9F => return false,
            0xE3 if b[i + 1] == 0x80 && b[i + 2] == 0x80 => return false,
            _ => false,
        };
        prev_space = space;
    }
    !prev_space || b.is_empty()
}

/// Bytes [`is_collapsed`] looks at: ASCII whitespace and lead bytes of non-ASCII whitespace.
static WHITE: [u8; 256] = {
    let mut t = [0u8; 256];
    let special: [u8; 10] = [b' ', 9, 10, 11, 12, 13, 0xC2, 0xE1, 0xE2, 0xE3];
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = 1;
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapsed_text_is_recognised_exactly() {
        let spaces = [
            " ", "  ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{85}", "\u{A0}", "\u{1680}",
            "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
        ];
        let words = [
            "a",
            "é",
            "“q”",
            "\u{200B}",
            "\u{2030}",
            "東京",
            "\u{1681}",
            "\u{3001}",
            "x\u{2060}",
        ];
        let mut cases = vec![
            String::new(),
            "ab c\td\u{0B}e".into(),
            "abc".into(),
            " x ".into(),
        ];
        for w in words {
            for sp in spaces {
                cases.push(format!("{w}{sp}{w}"));
                cases.push(format!("{sp}{w}"));
                cases.push(format!("{w}{sp}"));
                cases.push(sp.to_string());
            }
        }
        for s in &cases {
            let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(is_collapsed(s), joined == *s, "{s:?}");
            assert_eq!(find_space(s), s.find(char::is_whitespace), "{s:?}");
            assert_eq!(rfind_space(s), s.rfind(char::is_whitespace), "{s:?}");
        }
    }
}
