//! Text normalisation for matching: NFKC compatibility folding, case, diacritics, hyphens and possessives,
//! with every token mapped back to its byte range in the original text. Does not match, stem or score.
//!
//! Each character is decomposed with its compatibility mapping (the NFKC/NFKD mapping: ligatures,
//! full-width forms, superscripts), combining marks (diacritics) are dropped and letters are lower-cased.
//! Because diacritics are dropped, composing afterwards would change nothing, so the result is what NFKC
//! followed by diacritic and case folding gives. Tokens are runs of letters and digits; hyphens and dashes
//! split tokens but are remembered (`hyphen_before`) so that "cease-fire" can also match "ceasefire";
//! apostrophes inside a word are dropped ("Qa'ida" → "qaida") and a possessive "'s" is removed.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// How a token was capitalised in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caps {
    /// No capital letter at the start (or no letters at all).
    Lower,
    /// Starts with a capital letter and is not all capitals.
    Capitalized,
    /// Every letter is a capital ("IAEA", "U" in "U.S.").
    Upper,
}

/// One normalised token with its place in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the token's first character in the original text.
    pub start: usize,
    /// Byte offset just past the token's last character in the original text.
    pub end: usize,
    /// Range of the normalised form in [`Tokens::buf`].
    pub norm: (u32, u32),
    /// Capitalisation in the original text.
    pub caps: Caps,
    /// Whether a hyphen or dash joins this token to the previous one ("cease-fire": true for "fire").
    pub hyphen_before: bool,
}

/// The tokens of one text; their normalised forms live in one buffer.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// Normalised forms of all tokens, back to back.
    pub buf: String,
    /// The tokens, in text order.
    pub toks: Vec<Token>,
}

impl Tokens {
    /// The normalised form of token `i`.
    pub fn norm(&self, i: usize) -> &str {
        let (a, b) = self.toks[i].norm;
        &self.buf[a as usize..b as usize]
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}')
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Byte classes for the ASCII fast path: letter or digit, letter, lower-case letter, capital letter; or
/// a plain separator (ASCII other than letters, digits, the apostrophe and the hyphen). Non-ASCII is 0.
const ALNUM: u8 = 1;
const LETTER: u8 = 2;
const LOWER: u8 = 4;
const CAPITAL: u8 = 8;
const SEPARATOR: u8 = 16;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0u8;
    while b < 128 {
        t[b as usize] = if b.is_ascii_uppercase() {
            ALNUM | LETTER | CAPITAL
        } else if b.is_ascii_lowercase() {
            ALNUM | LETTER | LOWER
        } else if b.is_ascii_digit() {
            ALNUM
        } else if b == b'\'' || b == b'-' {
            0
        } else {
            SEPARATOR
        };
        b += 1;
    }
    t
};

/// Capitalisation from what a token's letters were: [`LETTER`] if any, [`LOWER`] if any was not a capital.
fn caps_of(kinds: u8, first_upper: Option<bool>) -> Caps {
    if kinds & (LETTER | LOWER) == LETTER {
        Caps::Upper
    } else if first_upper == Some(true) {
        Caps::Capitalized
    } else {
        Caps::Lower
    }
}

/// Whether the first letter of an ASCII run is a capital (`None` without letters). `kinds` is the
/// run's [`CLASS`] bits together: without a capital among them the answer needs no second look.
fn first_upper_ascii(run: &str, kinds: u8) -> Option<bool> {
    if kinds & CAPITAL == 0 {
        return (kinds & LETTER != 0).then_some(false);
    }
    run.bytes()
        .find(u8::is_ascii_alphabetic)
        .map(|c| c.is_ascii_uppercase())
}

struct Builder {
    out: Tokens,
    /// The token being built.
    open: Option<Token>,
    /// [`LETTER`] and [`LOWER`] bits of the open token's letters so far.
    kinds: u8,
    first_upper: Option<bool>,
    pending_hyphen: bool,
    last_end: usize,
}

impl Builder {
    fn push(&mut self, c: char, at: usize, end: usize) {
        let tok = self.open.get_or_insert_with(|| {
            let n = self.out.buf.len() as u32;
            Token {
                start: at,
                end,
                norm: (n, n),
                caps: Caps::Lower,
                hyphen_before: self.pending_hyphen && self.last_end == at,
            }
        });
        tok.end = end;
        if c.is_alphabetic() {
            let up = c.is_uppercase();
            self.kinds |= if up { LETTER } else { LETTER | LOWER };
            self.first_upper.get_or_insert(up);
        }
        if c.is_ascii() {
            self.out.buf.push(c.to_ascii_lowercase());
        } else {
            self.out.buf.extend(c.to_lowercase());
        }
    }

    /// Adds a run of ASCII letters and digits starting at byte `at`.
    fn push_ascii(&mut self, run: &str, at: usize, kinds: u8) {
        let end = at + run.len();
        let n = self.out.buf.len();
        let tok = self.open.get_or_insert(Token {
            start: at,
            end,
            norm: (n as u32, n as u32),
            caps: Caps::Lower,
            hyphen_before: self.pending_hyphen && self.last_end == at,
        });
        tok.end = end;
        if self.first_upper.is_none() {
            self.first_upper = first_upper_ascii(run, kinds);
        }
        self.kinds |= kinds & (LETTER | LOWER);
        self.out.buf.push_str(run);
        if kinds & CAPITAL != 0 {
            self.out.buf[n..].make_ascii_lowercase();
        }
    }

    /// Adds a whole token made of one run of ASCII letters and digits starting at byte `at` and followed
    /// by a plain separator or the end of the text (no token may be open).
    fn push_ascii_token(&mut self, run: &str, at: usize, kinds: u8) {
        debug_assert!(self.open.is_none());
        let n = self.out.buf.len();
        self.out.buf.push_str(run);
        if kinds & CAPITAL != 0 {
            self.out.buf[n..].make_ascii_lowercase();
        }
        self.out.toks.push(Token {
            start: at,
            end: at + run.len(),
            norm: (n as u32, self.out.buf.len() as u32),
            caps: caps_of(kinds, first_upper_ascii(run, kinds)),
            hyphen_before: self.pending_hyphen && self.last_end == at,
        });
        self.pending_hyphen = false;
    }

    /// Ends the open token, if any.
    fn close(&mut self) {
        if let Some(mut tok) = self.open.take() {
            tok.norm.1 = self.out.buf.len() as u32;
            tok.caps = caps_of(self.kinds, self.first_upper);
            self.out.toks.push(tok);
            self.kinds = 0;
            self.first_upper = None;
        }
    }

    /// Ends the open token at a separator that is not a dash.
    fn separate(&mut self) {
        self.close();
        self.pending_hyphen = false;
    }
}

/// Splits `text` into normalised tokens that remember their original byte ranges.
pub fn tokenize(text: &str) -> Tokens {
    let mut out = Tokens::default();
    tokenize_into(text, &mut out);
    out
}

/// [`tokenize`] into `out` (cleared first), reusing its buffers.
///
/// Runs of ASCII letters and digits are handled a run at a time; other characters one by one.
pub fn tokenize_into(text: &str, out: &mut Tokens) {
    out.buf.clear();
    out.toks.clear();
    out.buf.reserve(text.len());
    out.toks.reserve(text.len() / 5);
    let mut b = Builder {
        out: std::mem::take(out),
        open: None,
        kinds: 0,
        first_upper: None,
        pending_hyphen: false,
        last_end: usize::MAX,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let class = CLASS[usize::from(byte)];
        if class & ALNUM != 0 {
            let (mut run, mut kinds) = (i, 0);
            while let Some(&c) = bytes.get(run) {
                let k = CLASS[usize::from(c)];
                if k & ALNUM == 0 {
                    break;
                }
                kinds |= k;
                run += 1;
            }
            let next = bytes.get(run).map_or(SEPARATOR, |&c| CLASS[usize::from(c)]);
            if next == SEPARATOR && b.open.is_none() {
                // The common case: a whole token, then a separator (skipped too) or the end.
                b.push_ascii_token(&text[i..run], i, kinds);
                i = run + 1;
            } else {
                b.push_ascii(&text[i..run], i, kinds);
                i = run;
            }
            continue;
        }
        if class == SEPARATOR {
            b.separate();
            i += 1;
            continue;
        }
        let c = if byte.is_ascii() {
            char::from(byte)
        } else {
            text[i..].chars().next().unwrap_or_default()
        };
        let at = i;
        let end = i + c.len_utf8();
        i = end;
        if is_apostrophe(c) {
            if b.open.is_none() {
                continue;
            }
            let mut rest = text[end..].chars();
            let next = rest.next();
            let possessive =
                matches!(next, Some('s' | 'S')) && rest.next().is_none_or(|n| !n.is_alphanumeric());
            if possessive {
                i = end + 1;
                b.separate();
            } else if !next.is_some_and(char::is_alphanumeric) {
                b.separate();
            }
            // Otherwise an apostrophe inside a word: dropped, the token goes on.
        } else if c == '\u{00AD}' {
            // A soft hyphen only marks where a word may break: the word goes on.
        } else if is_dash(c) {
            // A dash joins the token before it to the token right after it ("cease-fire").
            let joins = b.open.is_some() || (b.pending_hyphen && b.last_end == at);
            b.close();
            b.pending_hyphen = joins;
            b.last_end = end;
        } else if c.is_ascii() {
            b.separate();
        } else {
            decompose_compatible(c, |d| {
                if is_combining_mark(d) {
                } else if d.is_alphanumeric() {
                    b.push(d, at, end);
                } else {
                    b.separate();
                }
            });
        }
    }
    b.close();
    *out = b.out;
}

/// The normalised text: tokens joined by single spaces (for tests, diagnostics and training features).
pub fn normalize(text: &str) -> String {
    let t = tokenize(text);
    let mut out = String::with_capacity(t.buf.len() + t.len());
    for i in 0..t.len() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(t.norm(i));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_capital_is_read_from_the_run_only_when_it_has_capitals() {
        for run in [
            "", "7", "42x", "abc", "Abc", "aBC", "ABC", "9Lives", "9lives", "x9Y",
        ] {
            let kinds = run.bytes().fold(0, |k, b| k | CLASS[usize::from(b)]);
            let definition = run
                .bytes()
                .find(u8::is_ascii_alphabetic)
                .map(|c| c.is_ascii_uppercase());
            assert_eq!(first_upper_ascii(run, kinds), definition, "{run:?}");
        }
        let caps: Vec<_> = tokenize("Nato nato NATO 9Lives 2026")
            .toks
            .iter()
            .map(|t| t.caps)
            .collect();
        assert_eq!(
            caps,
            [
                Caps::Capitalized,
                Caps::Lower,
                Caps::Upper,
                Caps::Capitalized,
                Caps::Lower
            ]
        );
    }

    #[test]
    fn nfkc_case_and_diacritics_fold() {
        assert_eq!(
            normalize("Ｃａｆé ﬁnal ŞAHİN Zürich"),
            "cafe final sahin zurich"
        );
        assert_eq!(normalize("Ḥizbullāh"), "hizbullah");
    }

    #[test]
    fn possessives_and_inner_apostrophes() {
        assert_eq!(
            normalize("Iran's and Iran’s leaders' al-Qa'ida"),
            "iran and iran leaders al qaida"
        );
    }

    #[test]
    fn hyphens_split_and_are_remembered() {
        let t = tokenize("a cease-fire, a cease – fire");
        let flags: Vec<_> = t.toks.iter().map(|k| k.hyphen_before).collect();
        assert_eq!(flags, [false, false, true, false, false, false]);
        assert_eq!(normalize("cease‑fire"), "cease fire");
    }

    #[test]
    fn offsets_map_back_to_the_original_bytes() {
        let text = "Ｈé said: Zürich's “truce”";
        let t = tokenize(text);
        let orig: Vec<&str> = t.toks.iter().map(|k| &text[k.start..k.end]).collect();
        assert_eq!(orig, ["Ｈé", "said", "Zürich", "truce"]);
    }

    #[test]
    fn capitalisation_is_recorded() {
        let t = tokenize("US us Turkey U.S.");
        let caps: Vec<_> = t.toks.iter().map(|k| k.caps).collect();
        assert_eq!(
            caps,
            [
                Caps::Upper,
                Caps::Lower,
                Caps::Capitalized,
                Caps::Upper,
                Caps::Upper
            ]
        );
    }
}
