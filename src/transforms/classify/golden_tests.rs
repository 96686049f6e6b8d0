//! Golden output test: a few hundred varied synthetic briefs classified with the shipped packs (and a
//! model trained on some of them) must give exactly the output recorded when the test was written.
//!
//! The vocabulary is drawn from the packs' own terms and the gazetteer's names, mixed with news words,
//! and then mangled: capitals, possessives (straight and curly), hyphens, dashes, soft hyphens,
//! diacritics, full-width letters and ligatures. The expected output is `tests/golden/classify.tsv`:
//! a line per (classifier, brief) with the topics and scores, the number of entities, and a digest of the whole
//! `Classification` JSON (evidence included). A failure prints the lines that differ with the brief
//! and the new JSON. After an intended change, `GOLDEN_UPDATE=1 cargo test golden` rewrites the file;
//! review its diff before committing it.

use super::tests::load_pack;
use super::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NEWS: &[&str] = &[
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "on",
    "for",
    "said",
    "officials",
    "government",
    "minister",
    "statement",
    "week",
    "after",
    "people",
    "country's",
    "region",
    "city",
    "report",
    "told",
    "Tuesday",
    "security",
    "president",
    "percent",
    "economy",
    "market",
    "prices",
    "would",
    "had",
    "has",
    "been",
    "long-term",
    "cross-border",
    "well-known",
    "US",
    "us",
    "U.S.",
    "it's",
    "don't",
    "'quoted'",
    "12",
    "2024",
    "3.5",
    "Zürich",
    "Erdoğan",
    "Ünal",
    "Türkiye",
    "São",
    "Paulo",
    "Ḥizbullāh",
    "ŞAHİN",
    "Ｃａｆé",
    "ﬁnal",
    "naïve",
    "Qa'ida",
    "al-Qa’ida",
    "Sana'a",
    "x²",
    "—",
    "–",
    "‑",
    "…",
    "«",
    "»",
    "“truce”",
    "Kraków",
    "Łódź",
    "Ελλάδα",
    "Москва",
    "東京",
    "İstanbul",
    "ǅ",
    "ß",
    "ﬀ",
];

/// Every term text of a pack (with its leading `=` dropped half the time, so both forms occur).
fn pack_words(p: &Pack, out: &mut Vec<String>) {
    for t in &p.topics {
        let groups = [&t.terms, &t.all, &t.any, &t.none, &t.exclude];
        for g in groups {
            out.extend(g.iter().map(|x| x.text.trim_start_matches('=').to_string()));
        }
        for n in &t.near {
            out.extend(n.a.iter().chain(&n.b).map(|x| x.text.clone()));
        }
    }
}

fn mangle(w: &str, rng: &mut Rng) -> String {
    let mut w = match rng.below(12) {
        0 => w.to_uppercase(),
        1 | 2 => {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
        3 => w.replace(' ', "-"),
        4 => w.replace('-', ""),
        5 => w.replace(' ', " \u{2013} "),
        6 => w.replacen(' ', "\u{00AD}", 1),
        _ => w.to_string(),
    };
    match rng.below(14) {
        0 => w.push_str("'s"),
        1 => w.push_str("\u{2019}s"),
        2 => w.push('\''),
        3 => w.push_str("'S"),
        4 => w.push('s'),
        5 => w.push_str("ed"),
        6 => w.push('-'),
        _ => {}
    }
    w
}

fn brief(rng: &mut Rng, vocab: &[String], names: &[String]) -> (String, String) {
    let word = |rng: &mut Rng| -> String {
        let r = rng.below(100);
        let w: &str = if r < 25 {
            &vocab[rng.below(vocab.len())]
        } else if r < 35 {
            &names[rng.below(names.len())]
        } else {
            NEWS[rng.below(NEWS.len())]
        };
        mangle(w, rng)
    };
    let title_words = 1 + rng.below(9);
    let title = (0..title_words)
        .map(|_| word(rng))
        .collect::<Vec<_>>()
        .join(" ");
    let words = rng.below(120);
    let mut text = String::new();
    for i in 0..words {
        if i > 0 {
            text.push_str(match rng.below(20) {
                0 => ". ",
                1 => ", ",
                2 => "\n\n",
                3 => " - ",
                4 => "-",
                5 => "  ",
                6 => "'",
                7 => " \u{2014} ",
                _ => " ",
            });
        }
        text.push_str(&word(rng));
    }
    (title, text)
}

fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h = (*h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

#[test]
fn output_is_unchanged_on_varied_briefs() {
    let default = Pack::default_pack();
    let acled = load_pack(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/topics/acled-events.toml"
    )))
    .expect("acled pack");
    let mut vocab = Vec::new();
    pack_words(&default, &mut vocab);
    pack_words(&acled, &mut vocab);
    let gaz = Gazetteer::builtin();
    let names: Vec<String> = gaz
        .entities
        .iter()
        .flat_map(|e| e.aliases.iter().map(|(a, _)| a.clone()))
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let briefs: Vec<(String, String)> = (0..400).map(|_| brief(&mut rng, &vocab, &names)).collect();

    let plain = Classifier::new(default.clone(), None);
    let labelled: Vec<(String, Vec<String>)> = briefs[..150]
        .iter()
        .map(|(t, x)| {
            let c = plain.classify(t, x);
            (
                format!("{t}\n{x}"),
                c.topics.into_iter().map(|t| t.id).collect(),
            )
        })
        .collect();
    let model = Model::train(&labelled, &default.topic_ids());
    let acled_labels: Vec<(String, Vec<String>)> = labelled
        .iter()
        .enumerate()
        .map(|(i, (x, _))| (x.clone(), vec![acled.topics[i % 7].id.clone()]))
        .collect();
    let acled_model = Model::train(&acled_labels, &acled.topic_ids());
    let classifiers = [
        plain,
        Classifier::new(default.clone(), Some(model)).with_min_score(0.3),
        Classifier::new(acled.clone(), None),
        Classifier::new(acled, Some(acled_model)),
        Classifier::with_gazetteer(default, Gazetteer::empty(), None).with_min_score(0.0),
    ];
    let mut lines = Vec::new();
    let mut topics = 0;
    for (ci, c) in classifiers.iter().enumerate() {
        for (bi, (t, x)) in briefs.iter().enumerate() {
            let out = c.classify(t, x);
            assert_eq!(
                c.tags(t, x),
                out.clone().into_tags(),
                "the ingest path stores what classify shows: classifier {ci}, {t:?}"
            );
            topics += out.topics.len();
            let json = serde_json::to_string(&out).expect("json");
            lines.push(Line {
                key: format!("{ci}\t{bi}"),
                summary: summary(&out, &json),
                brief: (t.clone(), x.clone()),
                json,
            });
        }
    }
    assert!(
        topics > 1000,
        "too few topics to be a useful test: {topics}"
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/classify.tsv");
    let actual: String = lines
        .iter()
        .map(|l| format!("{}\t{}\n", l.key, l.summary))
        .collect();
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(path, &actual).expect("writing the golden file");
        let mut h = 0xcbf2_9ce4_8422_2325_u64;
        for l in &lines {
            fnv(&mut h, l.json.as_bytes());
            fnv(&mut h, b"\n");
        }
        eprintln!("golden file written; digest of all output {h:016x}");
        return;
    }
    let expected = std::fs::read_to_string(path).expect("reading tests/golden/classify.tsv");
    let expected: Vec<&str> = expected.lines().collect();
    let mut report = String::new();
    let mut differ = 0;
    for (i, l) in lines.iter().enumerate() {
        let now = format!("{}\t{}", l.key, l.summary);
        let was = expected.get(i).copied().unwrap_or("(missing)");
        if now == was {
            continue;
        }
        differ += 1;
        if differ <= 10 {
            report.push_str(&format!(
                "\n- expected: {was}\n+ actual:   {now}\n  title: {:?}\n  text: {:?}\n  json: {}\n",
                l.brief.0, l.brief.1, l.json
            ));
        }
    }
    if expected.len() != lines.len() {
        differ += 1;
        report.push_str(&format!(
            "\n{} expected lines, {} actual\n",
            expected.len(),
            lines.len()
        ));
    }
    assert!(
        differ == 0,
        "{differ} classification(s) differ from tests/golden/classify.tsv (first 10 shown; \
         GOLDEN_UPDATE=1 rewrites the file after an intended change):{report}"
    );
}

/// One (classifier, brief) result.
struct Line {
    /// `classifier<TAB>brief` indexes.
    key: String,
    /// Topics, entities and the JSON digest, as in the golden file.
    summary: String,
    /// The brief's title and text, shown when the line differs.
    brief: (String, String),
    /// The whole classification, shown when the line differs.
    json: String,
}

/// `topic:score,...<TAB>number of entities<TAB>digest of the JSON` (the JSON, printed on a
/// difference, shows the entities and evidence).
fn summary(out: &Classification, json: &str) -> String {
    let topics: Vec<String> = out
        .topics
        .iter()
        .map(|t| format!("{}:{:.4}", t.id, t.score))
        .collect();
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    fnv(&mut h, json.as_bytes());
    format!("{}\t{}\t{h:016x}", topics.join(","), out.entities.len())
}

#[test]
fn classifier_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Classifier>();
}
