//! Golden output test: a few hundred varied synthetic briefs classified with the shipped packs (and a
//! model trained on some of them) must give exactly the output recorded when the test was written.
//!
//! The vocabulary is drawn from the packs' own terms and the gazetteer's names, mixed with news words,
//! and then mangled: capitals, possessives (straight and curly), hyphens, dashes, soft hyphens,
//! diacritics, full-width letters and ligatures. The digest covers the serde_json of every
//! `Classification`. Set `GOLDEN_DUMP=path` to write the JSON lines for diffing.

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
    let mut dump = std::env::var("GOLDEN_DUMP")
        .ok()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("dump file")));
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    let mut topics = 0;
    for (ci, c) in classifiers.iter().enumerate() {
        for (t, x) in &briefs {
            let out = c.classify(t, x);
            assert_eq!(
                c.tags(t, x),
                out.clone().into_tags(),
                "the ingest path stores what classify shows: classifier {ci}, {t:?}"
            );
            topics += out.topics.len();
            let json = serde_json::to_string(&out).expect("json");
            fnv(&mut h, json.as_bytes());
            fnv(&mut h, b"\n");
            if let Some(d) = dump.as_mut() {
                use std::io::Write;
                writeln!(d, "{ci}\t{json}").expect("dump");
            }
        }
    }
    assert!(
        topics > 1000,
        "too few topics to be a useful test: {topics}"
    );
    assert_eq!(format!("{h:016x}"), "87caac161047c922");
}

#[test]
fn classifier_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Classifier>();
}
