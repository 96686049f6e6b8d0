//! The single matching pass: every rule term, group, proximity anchor and gazetteer name of a pack is one
//! pattern in one table keyed by its first word, so a text is scanned once whatever the number of topics.
//! Pattern words are integer ids; each distinct normalised word of a text is stemmed and looked up once
//! per thread (a cache), so a token costs one hash lookup and pattern words compare as integers.

use std::sync::atomic::{AtomicU64, Ordering};

use rust_stemmers::Stemmer;

use super::Field;
use super::matcher::{CapsReq, FxMap, Hit, Use, Variant};
use super::normalize::Tokens;
use super::words::WordMap;

/// No pattern word: the id a token gets when its stem or form is in no pattern.
const NO_WORD: u32 = u32::MAX;

/// What the table knows of one normalised word: the ids of the pattern words it is (as a stem and as
/// an exact `=form`), or [`NO_WORD`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordInfo {
    stem: u32,
    exact: u32,
    /// Whether any pattern starts with this word (as a stem or as an exact form).
    starts: bool,
}

impl WordInfo {
    fn is(self, word: u32) -> bool {
        self.stem == word || self.exact == word
    }
}

/// Reusable per-thread state for [`Table::scan`]: a cache of [`WordInfo`] by normalised form for one
/// table (texts repeat their vocabulary, and Snowball costs more than a lookup), and buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    table: u64,
    words: WordMap<WordInfo>,
    infos: Vec<WordInfo>,
    joined: String,
}

/// A compiled pattern word: its id and the capitalisation it demands.
type PatWord = (u32, CapsReq);

/// Source of unique table ids, so a [`Scratch`] never mixes two tables' words.
static TABLE_IDS: AtomicU64 = AtomicU64::new(1);

/// Every pattern of a classifier, looked up by the id of its first word.
#[derive(Debug)]
pub(crate) struct Table {
    id: u64,
    /// Pattern word keys (a stem, or `=form`) and their ids.
    words: FxMap<Box<str>, u32>,
    /// Per word id, the patterns that start with it.
    by_first: Vec<Vec<u32>>,
    /// Per pattern, its words (id and capitalisation) and uses.
    patterns: Vec<(Vec<PatWord>, Vec<Use>)>,
    index: FxMap<Variant, u32>,
    has_exact: bool,
}

impl Default for Table {
    fn default() -> Table {
        Table {
            id: TABLE_IDS.fetch_add(1, Ordering::Relaxed),
            words: FxMap::default(),
            by_first: Vec::new(),
            patterns: Vec::new(),
            index: FxMap::default(),
            has_exact: false,
        }
    }
}

impl Table {
    /// Adds `variant` for `use_`; identical variants share one pattern.
    pub fn add(&mut self, variant: &Variant, use_: Use) {
        let id = match self.index.get(variant) {
            Some(&id) => id,
            None => {
                let id = self.patterns.len() as u32;
                let words: Vec<PatWord> = variant
                    .iter()
                    .map(|t| (self.word_id(&t.key), t.caps))
                    .collect();
                self.by_first[words[0].0 as usize].push(id);
                self.patterns.push((words, Vec::new()));
                self.index.insert(variant.clone(), id);
                self.has_exact |= variant.iter().any(|t| t.key.starts_with('='));
                id
            }
        };
        let uses = &mut self.patterns[id as usize].1;
        if !uses.contains(&use_) {
            uses.push(use_);
        }
    }

    fn word_id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.words.get(key) {
            return id;
        }
        let id = self.by_first.len() as u32;
        self.words.insert(key.into(), id);
        self.by_first.push(Vec::new());
        id
    }

    /// The rules a pattern serves.
    pub fn uses(&self, pattern: u32) -> &[Use] {
        &self.patterns[pattern as usize].1
    }

    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// What the table knows of a normalised word (computed: see [`Table::info`] for the cached form).
    fn compute_info(&self, norm: &str, stemmer: &Stemmer) -> WordInfo {
        let id = |key: &str| self.words.get(key).copied().unwrap_or(NO_WORD);
        let stem = if norm.len() <= 2 || norm.bytes().all(|b| b.is_ascii_digit()) {
            id(norm)
        } else {
            id(&stemmer.stem(norm))
        };
        let exact = if self.has_exact {
            let mut key = String::with_capacity(norm.len() + 1);
            key.push('=');
            key.push_str(norm);
            id(&key)
        } else {
            NO_WORD
        };
        let starts = !self.candidates(stem).is_empty() || !self.candidates(exact).is_empty();
        WordInfo {
            stem,
            exact,
            starts,
        }
    }

    /// What the table knows of a normalised word, through the scratch's cache.
    fn info(&self, norm: &str, stemmer: &Stemmer, words: &mut WordMap<WordInfo>) -> WordInfo {
        words.get_or_insert_with(norm, || self.compute_info(norm, stemmer))
    }

    fn candidates(&self, word: u32) -> &[u32] {
        self.by_first.get(word as usize).map_or(&[], Vec::as_slice)
    }

    /// Appends every pattern occurrence in `tokens` (one pass) to `out`.
    pub fn scan(
        &self,
        field: Field,
        tokens: &Tokens,
        stemmer: &Stemmer,
        scratch: &mut Scratch,
        out: &mut Vec<Hit>,
    ) {
        if scratch.table != self.id {
            scratch.words.clear();
            scratch.table = self.id;
        }
        let Scratch {
            words,
            infos,
            joined,
            ..
        } = scratch;
        let toks = &tokens.toks;
        infos.clear();
        infos.extend((0..toks.len()).map(|i| self.info(tokens.norm(i), stemmer, words)));
        for i in 0..toks.len() {
            if !infos[i].starts && !toks[i].hyphen_before {
                continue;
            }
            let check = |ids: &[u32], out: &mut Vec<Hit>| {
                for &id in ids {
                    let words = &self.patterns[id as usize].0;
                    let last = i + words.len();
                    if last <= toks.len()
                        && words.iter().enumerate().all(|(k, &(w, caps))| {
                            infos[i + k].is(w) && caps.allows(toks[i + k].caps)
                        })
                    {
                        out.push(Hit {
                            pattern: id,
                            field,
                            first: i as u32,
                            last: last as u32,
                            start: toks[i].start,
                            end: toks[last - 1].end,
                        });
                    }
                }
            };
            let info = infos[i];
            for word in [info.stem, info.exact] {
                let ids = self.candidates(word);
                if !ids.is_empty() {
                    check(ids, out);
                }
            }
            if toks[i].hyphen_before && i > 0 {
                // "cease-fire" in the text also matches the closed pattern "ceasefire".
                joined.clear();
                joined.push_str(tokens.norm(i - 1));
                joined.push_str(tokens.norm(i));
                let j = self.info(joined, stemmer, words);
                let caps = toks[i - 1].caps;
                let ids = self.candidates(j.stem).iter();
                for &id in ids.chain(self.candidates(j.exact)) {
                    let words = &self.patterns[id as usize].0;
                    if words.len() == 1 && words[0].1.allows(caps) {
                        out.push(Hit {
                            pattern: id,
                            field,
                            first: (i - 1) as u32,
                            last: (i + 1) as u32,
                            start: toks[i - 1].start,
                            end: toks[i].end,
                        });
                    }
                }
            }
        }
    }
}
