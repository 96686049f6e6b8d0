//! Patterns and texts for the single matching pass: term compilation (text → token patterns), what a
//! pattern is used for, hits, and text analysis (tokens + stems) for models. The pattern table and the
//! scan itself are in `table`; does not score.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_stemmers::{Algorithm, Stemmer};

use super::Field;
use super::normalize::{Caps, Tokens, tokenize};

/// A small, fast hasher for short string keys (FxHash); the table is built from trusted config.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The English Snowball stemmer every pattern and text goes through.
pub(crate) fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Most words a thread's stem cache holds before it starts afresh (a few MB at most).
const STEM_CACHE_WORDS: usize = 50_000;

thread_local! {
    /// Stems of words this thread has seen: news vocabulary repeats, and Snowball costs more than a
    /// lookup. A cache only: results are the same with or without it.
    static STEM_CACHE: std::cell::RefCell<FxMap<Box<str>, Box<str>>> = Default::default();
}

/// The matching key of a normalised word: its Snowball stem (short words and numbers as they are).
pub(crate) fn stem_into(stemmer: &Stemmer, norm: &str, out: &mut String) {
    if norm.len() <= 2 || norm.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str(norm);
        return;
    }
    STEM_CACHE.with_borrow_mut(|cache| match cache.get(norm) {
        Some(stem) => out.push_str(stem),
        None => {
            let stem = stemmer.stem(norm);
            out.push_str(&stem);
            if cache.len() >= STEM_CACHE_WORDS {
                cache.clear();
            }
            cache.insert(norm.into(), stem.into());
        }
    });
}

/// A text split into normalised tokens, with each token's stem.
#[derive(Debug, Default)]
pub(crate) struct Analyzed {
    pub tokens: Tokens,
    stem_buf: String,
    stems: Vec<(u32, u32)>,
}

impl Analyzed {
    /// Tokenises and stems `text`.
    pub fn new(text: &str, stemmer: &Stemmer) -> Analyzed {
        Analyzed::from_tokens(tokenize(text), stemmer)
    }

    /// Stems the tokens of a text.
    pub fn from_tokens(tokens: Tokens, stemmer: &Stemmer) -> Analyzed {
        let mut stem_buf = String::with_capacity(tokens.buf.len());
        let mut stems = Vec::with_capacity(tokens.len());
        for i in 0..tokens.len() {
            let a = stem_buf.len() as u32;
            stem_into(stemmer, tokens.norm(i), &mut stem_buf);
            stems.push((a, stem_buf.len() as u32));
        }
        Analyzed {
            tokens,
            stem_buf,
            stems,
        }
    }

    /// The stem of token `i`.
    pub fn stem(&self, i: usize) -> &str {
        let (a, b) = self.stems[i];
        &self.stem_buf[a as usize..b as usize]
    }
}

/// What capitalisation a pattern word demands of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CapsReq {
    /// Written in lower case: any capitalisation matches.
    Any,
    /// Written with a capital: the text must start it with a capital too ("Turkey", not "turkey").
    Capitalized,
    /// Written in capitals: the text must be in capitals too ("US", not "us").
    Upper,
}

impl CapsReq {
    /// Whether a text token capitalised as `caps` satisfies this.
    pub fn allows(self, caps: Caps) -> bool {
        match self {
            CapsReq::Any => true,
            CapsReq::Capitalized => caps != Caps::Lower,
            CapsReq::Upper => caps == Caps::Upper,
        }
    }
}

/// One word of a pattern: a stem, or `=form` for an exact normalised form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PatTok {
    pub key: Box<str>,
    pub caps: CapsReq,
}

/// One way a term can appear: a sequence of words.
pub(crate) type Variant = Vec<PatTok>;

/// Compiles a term as written in a pack ("humanitarian pause", "cease-fire", "=arms", "IAEA") into the
/// token sequences that match it. A hyphenated term also matches written closed ("ceasefire").
pub(crate) fn compile_term(text: &str, stemmer: &Stemmer) -> Result<Vec<Variant>, String> {
    let (exact, body) = match text.trim().strip_prefix('=') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    if body.contains(['*', '?', '|']) {
        return Err(format!(
            "{text:?}: wildcards and alternatives are not supported; list each word form as its own term (inflections match through stemming)"
        ));
    }
    let tokens = tokenize(body);
    if tokens.is_empty() {
        return Err(format!("{text:?} has no letters or digits"));
    }
    let word = |norm: &str, caps: Caps| {
        let mut key = String::new();
        if exact {
            key.push('=');
            key.push_str(norm);
        } else {
            stem_into(stemmer, norm, &mut key);
        }
        PatTok {
            key: key.into(),
            caps: match caps {
                Caps::Lower => CapsReq::Any,
                Caps::Capitalized => CapsReq::Capitalized,
                Caps::Upper => CapsReq::Upper,
            },
        }
    };
    let split: Variant = (0..tokens.len())
        .map(|i| word(tokens.norm(i), tokens.toks[i].caps))
        .collect();
    let mut variants = vec![split];
    if tokens.toks.iter().any(|t| t.hyphen_before) {
        let mut closed = Variant::new();
        let mut run = String::new();
        let mut caps = Caps::Lower;
        for i in 0..tokens.len() {
            if !tokens.toks[i].hyphen_before && !run.is_empty() {
                closed.push(word(&run, caps));
                run.clear();
            }
            if run.is_empty() {
                caps = tokens.toks[i].caps;
            }
            run.push_str(tokens.norm(i));
        }
        closed.push(word(&run, caps));
        variants.push(closed);
    }
    Ok(variants)
}

/// What a matched pattern means to the scorer; one pattern can serve several rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// A weighted term of a topic.
    Term { topic: u32, term: u32 },
    /// One side (0 = `a`, 1 = `b`) of a proximity rule.
    Near {
        topic: u32,
        rule: u32,
        side: u8,
        term: u32,
    },
    /// A member of a topic's `all` group.
    All { topic: u32, term: u32 },
    /// A member of a topic's `any` group.
    Any { topic: u32, term: u32 },
    /// A member of a topic's `none` group.
    None { topic: u32, term: u32 },
    /// An exclusion phrase of a topic.
    Exclude { topic: u32, term: u32 },
    /// A gazetteer name.
    Entity { entity: u32, alias: u32 },
}

impl Use {
    /// The topic this use belongs to, if any.
    pub fn topic(self) -> Option<u32> {
        match self {
            Use::Term { topic, .. }
            | Use::Near { topic, .. }
            | Use::All { topic, .. }
            | Use::Any { topic, .. }
            | Use::None { topic, .. }
            | Use::Exclude { topic, .. } => Some(topic),
            Use::Entity { .. } => None,
        }
    }
}

/// One pattern occurrence in a field: tokens `first..last`, bytes `start..end` of the original text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub pattern: u32,
    pub field: Field,
    pub first: u32,
    pub last: u32,
    pub start: usize,
    pub end: usize,
}

pub(crate) use super::table::{Scratch, Table};
