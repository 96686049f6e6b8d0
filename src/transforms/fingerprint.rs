//! Near-duplicate fingerprints of briefs: MinHash signatures over word shingles, their LSH band keys
//! and the estimated Jaccard similarity of two of them. Does not store or look anything up (the story
//! index keeps the band keys) and does not decide which story a brief joins (`cluster` does).
//!
//! # Shingles
//!
//! Text is lower-cased and split into words of Unicode alphanumerics; a shingle is
//! [`SHINGLE_WORDS`] = 3 consecutive words. Replacing one word in 20 keeps 0.95³ = 86% of 3-word
//! shingles (2 words: 90%, 4: 81%, 5: 77%), while unrelated texts rarely share one: even drawn from a
//! 60-word vocabulary there are 216 000 possible 3-word shingles against 3 600 2-word ones, so two
//! 200-word texts share about 0.2 of the former (Jaccard ≈ 0.0005) but about 11 of the latter
//! (≈ 0.03); and in real text pairs like "of the" are everywhere.
//!
//! Each distinct shingle is hashed once with xxh3 (stable across builds and platforms); the
//! [`NUM_HASHES`] values come from that one hash by one-permutation hashing with densification (see
//! `min_hashes`): one step per shingle, where classic MinHash takes one per shingle and function.
//! Estimates are unbiased; their spread matches classic MinHash once a text has about twice as many
//! shingles as bins, and is somewhat wider for short texts.
//!
//! The title's shingles are included, but at most one per [`TITLE_SHARE`] = 5 distinct body shingles
//! (those with the smallest hashes, so that copies keep the same ones). Two different bodies under one
//! templated headline thus share at most 1/(1 + 2·5) ≈ 0.09 of their shingles, far below
//! [`MATCH_THRESHOLD`]. A body with fewer than [`MIN_SHINGLES`] distinct shingles gets no signature at
//! all: its title would decide alone.
//!
//! # Bands and threshold
//!
//! A reworded copy (one of 4–6 equal paragraphs dropped, 1 word in 20 replaced, the title prefixed)
//! has a true Jaccard similarity with its original of 0.60, 0.63 and 0.65 on average for 4, 5 and 6
//! paragraphs, never below 0.59 over 2 000 simulated copies each. With [`BANDS`] = 42 bands of
//! [`ROWS`] = 3 rows, two briefs of similarity `s` share at least one band key with probability
//! `P = 1 − (1 − s³)⁴²`; the table's second row is for a threshold of 0.40 (51 of 126 values equal):
//!
//! | s         | 0.02    | 0.05   | 0.10   | 0.20  | 0.30  | 0.40 | 0.45 | 0.50  | 0.55    | 0.60     |
//! |-----------|---------|--------|--------|-------|-------|------|------|-------|---------|----------|
//! | candidate | 0.00034 | 0.0052 | 0.041  | 0.29  | 0.68  | 0.94 | 0.98 | 0.996 | 0.99952 | 0.999964 |
//! | ≥ 0.40    | 10⁻⁵²   | 10⁻³²  | 10⁻¹⁹  | 10⁻⁷  | 0.008 | 0.49 | 0.87 | 0.987 | 0.99961 | 0.999997 |
//!
//! Copies with equal paragraphs (s ≥ 0.59) are found and pass with probability 0.9999, while
//! unrelated articles, which share well under 5% of their shingles (at most 2% in the tests'
//! small-vocabulary bodies under one templated title), become candidates less than once in 200
//! pairs. Real copies are less tidy: dropping one long paragraph of four takes s to about 0.45, and
//! one-permutation hashing (below) estimates somewhat more loosely than classic MinHash, so
//! [`MATCH_THRESHOLD`] is 0.33 (42 of 126 values): still about 14 standard deviations above the
//! similarity of unrelated texts (s ≤ 0.05, σ ≈ 0.02) and far above what a shared templated title
//! can contribute (≤ 0.09). On the feed farm of `../shared/bench` this took pair recall from 0.949
//! to 0.984 at unchanged precision 1.0. For comparison, 64 values in 32 bands of 2 rows find the same copies but make
//! candidates of 8% of pairs at s = 0.05 and 28% at 0.10; in 16 bands of 4 rows they find only 78% of
//! copies at 0.55.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::swar::AsciiRun;

pub use crate::model::{SIGNATURE_LEN, Signature};

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 3;
/// MinHash values per signature.
pub const NUM_HASHES: usize = SIGNATURE_LEN;
/// LSH bands: two briefs are candidates when all the rows of at least one band are equal.
pub const BANDS: usize = 42;
/// MinHash values per band.
pub const ROWS: usize = NUM_HASHES / BANDS;
/// Distinct body shingles below which [`signature`] gives up.
pub const MIN_SHINGLES: usize = 8;
/// Body shingles per title shingle kept.
pub const TITLE_SHARE: usize = 5;
/// Estimated similarity at or above which two briefs are the same story.
pub const MATCH_THRESHOLD: f64 = 0.33;

const _: () = assert!(NUM_HASHES % BANDS == 0);

/// Seeds of the shingle hashes (title shingles are kept apart from equal body shingles) and of the
/// band keys; changing any of them changes every stored signature or key.
const BODY_SEED: u64 = 0x6272_6965_6662_6f64;
const TITLE_SEED: u64 = 0x6272_6965_6674_746c;
const BAND_SEED: u64 = 0x6272_6965_6662_6e64;

/// The fingerprint of a brief, or `None` when its body has fewer than [`MIN_SHINGLES`] distinct
/// shingles (the caller then gives it a story of its own).
pub fn signature(title: &str, text: &str) -> Option<Signature> {
    shingle_set(title, text).map(|shingles| Signature(min_hashes(&shingles)))
}

/// One key per band: the band's rows hashed with the band number as seed, so equal rows in different
/// bands give different keys.
pub fn band_keys(sig: &Signature) -> [i64; BANDS] {
    std::array::from_fn(|band| {
        let mut bytes = [0u8; 2 * ROWS];
        let rows = &sig.0[band * ROWS..(band + 1) * ROWS];
        for (chunk, v) in bytes.chunks_exact_mut(2).zip(rows) {
            chunk.copy_from_slice(&(*v as u16).to_le_bytes());
        }
        xxh3_64_with_seed(&bytes, BAND_SEED.wrapping_add(band as u64)) as i64
    })
}

/// Estimated Jaccard similarity of the two briefs' shingle sets: the share of equal values.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    let equal = a.0.iter().zip(&b.0).filter(|(x, y)| x == y).count();
    equal as f64 / NUM_HASHES as f64
}

/// The shingle hashes a signature is made of: all of the body's, plus at most one title shingle per
/// [`TITLE_SHARE`] of them (those with the smallest hashes); `None` below [`MIN_SHINGLES`] distinct
/// body shingles. Duplicates may remain: a bin's minimum does not care.
fn shingle_set(title: &str, text: &str) -> Option<Vec<u64>> {
    let mut body = shingle_hashes(text, BODY_SEED);
    let distinct = if body.len() < 2 * MIN_SHINGLES {
        body.sort_unstable();
        body.dedup();
        body.len()
    } else {
        distinct_estimate(&body)
    };
    if distinct < MIN_SHINGLES {
        return None;
    }
    let mut heading = shingle_hashes(title, TITLE_SEED);
    heading.sort_unstable();
    heading.dedup();
    heading.truncate((distinct / TITLE_SHARE).max(1));
    body.extend(heading);
    Some(body)
}

/// Number of distinct values among `hashes`, by linear counting over a 2048-bit bitmap (exact enough
/// to tell a repeated phrase from a text; cheaper than sorting).
fn distinct_estimate(hashes: &[u64]) -> usize {
    const BITS: usize = 2048;
    let mut map = [0u64; BITS / 64];
    for h in hashes {
        let bit = (*h as usize) % BITS;
        map[bit / 64] |= 1 << (bit % 64);
    }
    let zeros = map
        .iter()
        .map(|w| w.count_zeros() as usize)
        .sum::<usize>()
        .max(1);
    (-(BITS as f64) * (zeros as f64 / BITS as f64).ln()).round() as usize
}

/// The hash of every run of [`SHINGLE_WORDS`] words of `text` (one for the whole text when it has
/// fewer words, none when it has none): each word (Unicode alphanumerics, lower-cased) is hashed once
/// with xxh3, and a shingle's hash mixes its words' hashes in order.
fn shingle_hashes(text: &str, seed: u64) -> Vec<u64> {
    let words = word_hashes(text, seed);
    match words.len() {
        0 => Vec::new(),
        // The usual case with the window's length known, which lets the mix unroll.
        n if n >= SHINGLE_WORDS => words
            .windows(SHINGLE_WORDS)
            .map(|w| mix_words(<&[u64; SHINGLE_WORDS]>::try_from(w).expect("window")))
            .collect(),
        _ => vec![mix_words(&words)],
    }
}

/// Order-sensitive combination of word hashes into one uniform 64-bit shingle hash (MurmurHash3's
/// finaliser over rotated words).
fn mix_words(words: &[u64]) -> u64 {
    let mut h = 0u64;
    for (i, w) in words.iter().enumerate() {
        h ^= w.rotate_left(21 * i as u32);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// xxh3 of each lower-cased word. Lower-case ASCII words are hashed in place; others are lower-cased
/// into a scratch buffer first.
fn word_hashes(text: &str, seed: u64) -> Vec<u64> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 6 + 1);
    let mut scratch: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Skip separators: ASCII ones through the table, other characters unless alphanumeric.
        let class = BYTE_CLASS[usize::from(bytes[i])];
        if class == 0 {
            i += 1;
            continue;
        }
        if class & NON_ASCII != 0 {
            let c = text[i..].chars().next().unwrap_or_default();
            if !c.is_alphanumeric() {
                i += c.len_utf8();
                continue;
            }
        }
        // A word: a run of ASCII alphanumerics (one table lookup a byte), possibly continuing with
        // other alphanumeric characters.
        let start = i;
        let mut seen = 0u8;
        // Eight ASCII bytes at a time while the word goes on (most of a text), then byte by byte.
        while let Some(chunk) = bytes.get(i..i + 8) {
            let run = AsciiRun::of(chunk.try_into().expect("eight bytes"));
            i += run.len;
            if run.upper {
                seen |= UPPER;
            }
            if run.len < 8 {
                break;
            }
        }
        while i < bytes.len() {
            let class = BYTE_CLASS[usize::from(bytes[i])];
            if class & (ALNUM | NON_ASCII) == 0 {
                break;
            }
            if class & NON_ASCII != 0 {
                let c = text[i..].chars().next().unwrap_or_default();
                if !c.is_alphanumeric() {
                    break;
                }
                i += c.len_utf8();
            } else {
                i += 1;
            }
            seen |= class;
        }
        // `start` and `i` are character boundaries; the bytes are sliced, not the `str`, to skip
        // checking that again for every word.
        let word = &bytes[start..i];
        if seen & (UPPER | NON_ASCII) == 0 {
            out.push(xxh3_64_with_seed(word, seed));
        } else if seen & NON_ASCII == 0 {
            scratch.clear();
            scratch.extend_from_slice(word);
            scratch.make_ascii_lowercase();
            out.push(xxh3_64_with_seed(&scratch, seed));
        } else {
            scratch.clear();
            for c in text[start..i].chars() {
                push_lowercase(&mut scratch, c);
            }
            out.push(xxh3_64_with_seed(&scratch, seed));
        }
    }
    out
}

/// [`BYTE_CLASS`] bits: an ASCII letter or digit; an ASCII capital; a byte of a non-ASCII character.
const ALNUM: u8 = 1;
const UPPER: u8 = 2;
const NON_ASCII: u8 = 4;

/// The class of every byte value, so that scanning ASCII text costs one lookup a byte.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c >= 0x80 {
            NON_ASCII
        } else if c.is_ascii_uppercase() {
            ALNUM | UPPER
        } else if c.is_ascii_alphanumeric() {
            ALNUM
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Appends `c` lower-cased, as UTF-8.
fn push_lowercase(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    for l in c.to_lowercase() {
        out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
    }
}

/// One-permutation MinHash with optimal densification: each shingle hash picks one of
/// [`NUM_HASHES`] bins by its top bits and competes there with its low 32 bits, so a signature costs
/// one step per shingle instead of one per shingle and function (Li, Owen & Zhang 2012). A bin that
/// no shingle fell into takes the value of the first non-empty bin along a fixed pseudo-random probe
/// sequence of its own (Shrivastava 2017): the sequence is the same for every document, so
/// `P(equal) = Jaccard` holds for every bin, and bins borrow from different donors, which keeps short
/// texts from inflating their similarity.
fn min_hashes(shingles: &[u64]) -> [u32; NUM_HASHES] {
    let mut mins = [u32::MAX; NUM_HASHES];
    let mut filled = [false; NUM_HASHES];
    for &h in shingles {
        let bin = (((h >> 32) * NUM_HASHES as u64) >> 32) as usize;
        let v = h as u32;
        if v <= mins[bin] {
            mins[bin] = v;
            filled[bin] = true;
        }
    }
    if !filled.iter().any(|f| *f) {
        return mins;
    }
    let dense = mins;
    for i in 0..NUM_HASHES {
        if filled[i] {
            continue;
        }
        let mut attempt: u64 = 0;
        loop {
            attempt += 1;
            let j = probe(i, attempt);
            if filled[j] {
                mins[i] = dense[j];
                break;
            }
        }
    }
    // Keep 16 bits of each value: two unrelated values then collide once in 65 536 bins (a bias of
    // 0.000015 on the estimate), and a stored signature takes 252 bytes instead of 504.
    mins.map(|v| v & 0xffff)
}

/// The `attempt`-th bin of bin `i`'s probe sequence (splitmix64 of both; fixed for all documents).
fn probe(i: usize, attempt: u64) -> usize {
    let mut z = (i as u64)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(attempt.wrapping_mul(0xbf58_476d_1ce4_e5b9));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (((z >> 32) * NUM_HASHES as u64) >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: a small seeded PRNG, so the generated texts are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn word(&mut self) -> &'static str {
            VOCABULARY[(self.next() % VOCABULARY.len() as u64) as usize]
        }
    }

    const VOCABULARY: [&str; 60] = [
        "officials",
        "said",
        "the",
        "ceasefire",
        "talks",
        "continued",
        "in",
        "cairo",
        "as",
        "mediators",
        "pressed",
        "both",
        "sides",
        "to",
        "accept",
        "a",
        "deal",
        "that",
        "would",
        "release",
        "hostages",
        "and",
        "allow",
        "aid",
        "into",
        "gaza",
        "where",
        "hunger",
        "is",
        "spreading",
        "according",
        "un",
        "agencies",
        "israel",
        "hamas",
        "negotiators",
        "met",
        "again",
        "on",
        "tuesday",
        "after",
        "weeks",
        "of",
        "stalled",
        "diplomacy",
        "while",
        "fighting",
        "went",
        "around",
        "rafah",
        "with",
        "strikes",
        "reported",
        "overnight",
        "by",
        "residents",
        "health",
        "ministry",
        "envoys",
        "qatar",
    ];

    const TEMPLATED: &str = "Gaza: Ceasefire deal reported as talks continue";

    /// `count` paragraphs of 40 words from the vocabulary.
    fn paragraphs(rng: &mut Rng, count: usize) -> Vec<Vec<&'static str>> {
        (0..count)
            .map(|_| (0..40).map(|_| rng.word()).collect())
            .collect()
    }

    fn text(paras: &[Vec<&str>]) -> String {
        let sentences: Vec<String> = paras.iter().map(|p| p.join(" ") + ".").collect();
        sentences.join("\n\n")
    }

    /// The original with one paragraph dropped and every 20th word replaced by a different one.
    fn reworded(rng: &mut Rng, original: &[Vec<&'static str>]) -> String {
        let mut copy = original.to_vec();
        copy.remove((rng.next() % copy.len() as u64) as usize);
        for (n, word) in copy.iter_mut().flatten().enumerate() {
            if n % 20 == 19 {
                let old = *word;
                while *word == old {
                    *word = rng.word();
                }
            }
        }
        text(&copy)
    }

    fn shares_band(a: &Signature, b: &Signature) -> bool {
        band_keys(a).iter().zip(band_keys(b)).any(|(x, y)| *x == y)
    }

    /// Exact Jaccard index of two sets of distinct values.
    fn jaccard(a: &[u64], b: &[u64]) -> f64 {
        let common = a.iter().filter(|h| b.contains(h)).count();
        common as f64 / (a.len() + b.len() - common) as f64
    }

    #[test]
    fn signature_is_deterministic_and_stable_across_builds() {
        let body = "Officials said the ceasefire talks continued in Cairo on Tuesday, as mediators \
                    pressed both sides to accept a deal that would release hostages.";
        let sig = signature("Gaza talks resume", body).unwrap();
        assert_eq!(signature("Gaza talks resume", body), Some(sig.clone()));
        assert_eq!(
            sig.0[..4],
            [26_964, 53_680, 3_664, 21_662],
            "hashing changed: {:?}",
            &sig.0[..4]
        );
        let keys = band_keys(&sig);
        assert_eq!(
            keys[..2],
            [3_356_740_960_864_764_792, 7_420_920_525_681_316_054],
            "band keys changed: {:?}",
            &keys[..2]
        );
    }

    #[test]
    fn reworded_copy_reaches_the_threshold_and_shares_a_band_key() {
        let mut rng = Rng(2024);
        for _ in 0..50 {
            let original = paragraphs(&mut rng, 5);
            let a = signature(TEMPLATED, &text(&original)).unwrap();
            let copy = reworded(&mut rng, &original);
            let b = signature(&format!("UPDATE: {TEMPLATED}"), &copy).unwrap();
            assert!(
                similarity(&a, &b) >= MATCH_THRESHOLD,
                "{}",
                similarity(&a, &b)
            );
            assert!(shares_band(&a, &b));
        }
    }

    #[test]
    fn same_templated_title_over_different_bodies_stays_apart() {
        let mut rng = Rng(7);
        let (mut candidates, mut highest) = (0, 0.0f64);
        for i in 0..200 {
            let a = signature(
                &format!("{TEMPLATED} ({i})"),
                &text(&paragraphs(&mut rng, 5)),
            );
            let b = signature(
                &format!("{TEMPLATED} ({})", i + 1000),
                &text(&paragraphs(&mut rng, 5)),
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            highest = highest.max(similarity(&a, &b));
            candidates += usize::from(shares_band(&a, &b));
        }
        assert!(highest < MATCH_THRESHOLD / 4.0, "{highest}");
        assert!(
            candidates <= 2,
            "{candidates} of 200 pairs became candidates"
        );
    }

    #[test]
    fn identical_long_title_over_short_different_bodies_stays_below_threshold() {
        let title =
            "Gaza: Ceasefire deal reported as talks continue in Cairo while fighting goes on";
        let mut rng = Rng(99);
        for _ in 0..500 {
            let a: Vec<&str> = (0..10).map(|_| rng.word()).collect();
            let b: Vec<&str> = (0..10).map(|_| rng.word()).collect();
            let (a, b) = (
                signature(title, &a.join(" ")),
                signature(title, &b.join(" ")),
            );
            if let (Some(a), Some(b)) = (a, b) {
                assert!(
                    similarity(&a, &b) < MATCH_THRESHOLD / 2.0,
                    "{}",
                    similarity(&a, &b)
                );
            }
        }
    }

    #[test]
    fn similarity_estimates_the_jaccard_index_of_the_shingle_sets() {
        let mut rng = Rng(11);
        for i in 0..20 {
            let paras = paragraphs(&mut rng, 4);
            let original = text(&paras);
            let fresh = text(&paragraphs(&mut rng, i % 5));
            let copy = format!("{} {fresh}", reworded(&mut rng, &paras));
            let a = shingle_set("", &original).unwrap();
            let b = shingle_set("", &copy).unwrap();
            let exact = jaccard(&a, &b);
            let estimate = similarity(&Signature(min_hashes(&a)), &Signature(min_hashes(&b)));
            let sigma = (exact * (1.0 - exact) / NUM_HASHES as f64).sqrt();
            assert!(
                (estimate - exact).abs() < 4.0 * sigma,
                "{estimate} vs {exact}"
            );
        }
    }

    #[test]
    fn case_punctuation_and_spacing_do_not_change_the_signature() {
        let a = signature(
            "Aid",
            "Über 40 Lkw erreichten Gaza; die UN-Agenturen warnen vor Hunger.",
        );
        let b = signature(
            "AID!",
            "über 40  LKW erreichten   gaza — die un agenturen WARNEN vor hunger",
        );
        assert!(a.is_some());
        assert_eq!(a, b);
    }

    #[test]
    fn equal_rows_in_different_bands_give_different_keys() {
        let mut keys = band_keys(&Signature([7; NUM_HASHES])).to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), BANDS);
    }

    #[test]
    fn bytes_round_trip_and_wrong_lengths_are_refused() {
        let sig = signature(TEMPLATED, &text(&paragraphs(&mut Rng(3), 2))).unwrap();
        let bytes = sig.to_bytes();
        assert_eq!(bytes.len(), 2 * NUM_HASHES);
        assert_eq!(bytes[..2], (sig.0[0] as u16).to_le_bytes());
        assert_eq!(Signature::from_bytes(&bytes), Some(sig));
        assert_eq!(Signature::from_bytes(&bytes[1..]), None);
        assert_eq!(
            Signature::from_bytes(&[bytes.as_slice(), &[0]].concat()),
            None
        );
    }

    #[test]
    fn too_little_body_text_gives_none_whatever_the_title() {
        assert_eq!(signature(TEMPLATED, ""), None);
        assert_eq!(
            signature(TEMPLATED, "Talks continue in Cairo, officials said."),
            None
        );
        let long_title = [TEMPLATED; 5].join(" ");
        assert_eq!(
            signature(&long_title, "one two three four five six seven eight nine"),
            None
        );
        assert!(signature("", "one two three four five six seven eight nine ten").is_some());
        // Repetition adds no distinct shingles.
        assert_eq!(signature("", &"ceasefire talks continue ".repeat(50)), None);
    }

    /// Run with `cargo test --release --lib fingerprint -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn signature_throughput_is_well_above_50_mb_per_s() {
        let mut rng = Rng(99);
        let docs: Vec<String> = (0..2000).map(|_| text(&paragraphs(&mut rng, 6))).collect();
        let bytes: usize = docs.iter().map(String::len).sum::<usize>() * 5;
        let start = std::time::Instant::now();
        let mut checksum = 0u64;
        for doc in docs.iter().cycle().take(docs.len() * 5) {
            checksum += u64::from(signature(TEMPLATED, doc).unwrap().0[0]);
        }
        let rate = bytes as f64 / start.elapsed().as_secs_f64() / 1e6;
        println!("signature(): {rate:.0} MB/s over {bytes} bytes (checksum {checksum})");
        assert!(rate > 50.0);
    }

    /// Words as the definition says: runs of alphanumeric characters, lower-cased, hashed.
    fn reference_word_hashes(text: &str, seed: u64) -> Vec<u64> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let lower: String = w.chars().flat_map(char::to_lowercase).collect();
                xxh3_64_with_seed(lower.as_bytes(), seed)
            })
            .collect()
    }

    #[test]
    fn the_eight_byte_word_scan_splits_and_lowercases_like_the_definition() {
        // Pieces that exercise every boundary of the eight-byte chunks: long and short words,
        // capitals, digits, punctuation and range edges ('@', '[', '`', '{', '/', ':'), and
        // non-ASCII letters, marks and separators at any offset.
        let pieces = [
            "a",
            "Zz",
            "internationally",
            "CEASEFIRE",
            "2026",
            "x9Y",
            " ",
            "  ",
            ".",
            ",",
            "-",
            "@",
            "[",
            "`",
            "{",
            "/",
            ":",
            "\n",
            "é",
            "Ünïcode",
            "naïve",
            "İstanbul",
            "straße",
            "\u{00a0}",
            "—",
            "日本",
            "٣",
            "\u{0301}",
            "ABCDEFGHIJ",
            "abcdefgh",
            "abcdefghi",
        ];
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        for round in 0..3000 {
            let len = 1 + (rng.next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(
                word_hashes(&text, BODY_SEED),
                reference_word_hashes(&text, BODY_SEED),
                "round {round}: {text:?}"
            );
        }
    }
}
