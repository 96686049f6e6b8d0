//! Classification throughput: MB/s of brief text per core with the default pack and gazetteer.
//!
//! ```sh
//! cargo bench --bench classify              # 20,000 synthetic briefs, 5 rounds
//! BRIEFS=5000 cargo bench --bench classify  # quicker
//! ```
//!
//! Briefs are synthetic news items: a templated headline and ~150-400 words drawn from a vocabulary of
//! everyday news words, place and organisation names and topic vocabulary (about one word in fifteen),
//! with punctuation, capitals, possessives, hyphens and some non-ASCII names. One thread, so the figure
//! is per core. Prints the median round.

use std::time::Instant;

use briefwatch::transforms::classify::{Classifier, Pack};

/// Picks one of `xs` (a seeded generator keeps runs comparable).
fn pick<'a>(rng: &mut fastrand::Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.usize(..xs.len())]
}

const COMMON: &[&str] = &[
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "on",
    "for",
    "with",
    "said",
    "officials",
    "government",
    "minister",
    "statement",
    "week",
    "after",
    "before",
    "during",
    "people",
    "country's",
    "region",
    "city",
    "report",
    "according",
    "sources",
    "local",
    "told",
    "reporters",
    "Tuesday",
    "Monday",
    "year",
    "new",
    "public",
    "security",
    "president",
    "spokesman",
    "percent",
    "economy",
    "market",
    "prices",
    "across",
    "several",
    "hundreds",
    "thousands",
    "including",
    "between",
    "under",
    "while",
    "would",
    "could",
    "had",
    "has",
    "been",
    "were",
    "was",
    "also",
    "more",
    "than",
    "most",
    "state",
    "national",
    "international",
    "meeting",
    "long-term",
    "cross-border",
    "well-known",
    "agency",
    "council",
    "leaders",
    "plans",
    "policy",
    "budget",
];
const NAMES: &[&str] = &[
    "Tehran",
    "Gaza",
    "Kyiv",
    "Moscow",
    "Beirut",
    "Damascus",
    "Doha",
    "Cairo",
    "Riyadh",
    "Ankara",
    "Türkiye",
    "São Paulo",
    "Zürich",
    "Hezbollah",
    "IAEA",
    "NATO",
    "the UN",
    "EU",
    "Hamas",
    "IRGC",
    "Washington",
    "Beijing",
    "Khartoum",
    "Sana'a",
    "Mogadishu",
    "Islamabad",
];
const TOPICAL: &[&str] = &[
    "ceasefire",
    "truce",
    "sanctions",
    "enrichment",
    "uranium",
    "air strike",
    "drone attack",
    "shelling",
    "protesters",
    "tear gas",
    "election",
    "ballots",
    "coup",
    "mutiny",
    "hostages",
    "kidnapped",
    "ransomware",
    "hackers",
    "refugees",
    "humanitarian aid",
    "spying",
    "espionage",
    "summit",
    "talks",
    "assassination",
    "plot to kill",
    "suicide bomber",
    "militants",
    "cease-fire",
    "displaced",
];

fn brief(rng: &mut fastrand::Rng) -> (String, String) {
    let title = format!(
        "{} {} {} {}",
        pick(rng, NAMES),
        pick(rng, COMMON),
        pick(rng, TOPICAL),
        pick(rng, COMMON)
    );
    let words = 150 + rng.usize(..250);
    let mut text = String::with_capacity(words * 8);
    for i in 0..words {
        let r = rng.u32(..100);
        let w = if r < 7 {
            pick(rng, TOPICAL)
        } else if r < 13 {
            pick(rng, NAMES)
        } else {
            pick(rng, COMMON)
        };
        if i % 18 == 0 && i > 0 {
            text.push_str(". ");
        } else if i % 7 == 0 && i > 0 {
            text.push_str(", ");
        } else if i > 0 {
            text.push(' ');
        }
        text.push_str(w);
    }
    text.push('.');
    (title, text)
}

fn main() {
    let n: usize = std::env::var("BRIEFS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let briefs: Vec<(String, String)> = (0..n).map(|_| brief(&mut rng)).collect();
    let bytes: usize = briefs.iter().map(|(t, x)| t.len() + x.len()).sum();
    let classifier = Classifier::new(Pack::default_pack(), None);
    println!("{classifier:?}");
    println!(
        "{n} briefs, {:.1} MB of text ({} bytes per brief on average)",
        bytes as f64 / 1e6,
        bytes / n
    );
    let mut rates = Vec::new();
    let mut tagged = 0;
    for round in 0..5 {
        let start = Instant::now();
        let mut topics = 0;
        for (t, x) in &briefs {
            topics += classifier.classify(t, x).topics.len();
        }
        let secs = start.elapsed().as_secs_f64();
        let rate = bytes as f64 / 1e6 / secs;
        println!(
            "round {round}: {secs:.3} s, {rate:.1} MB/s, {:.0} briefs/s",
            n as f64 / secs
        );
        rates.push(rate);
        tagged = topics;
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "median {:.1} MB/s per core ({:.2} topics per brief)",
        rates[2],
        tagged as f64 / n as f64
    );
}
