//! Store scale benchmark: inserting and clustering one more brief into a database that already holds
//! many (1,000,000 by default), and the database's size per brief excluding text.
//!
//! ```sh
//! cargo bench --bench store_scale                 # 1,000,000 stored briefs
//! BRIEFS=200000 cargo bench --bench store_scale   # quicker
//! ```
//!
//! Briefs are synthetic news items (a templated headline, ~60 words from a 400-word vocabulary, a
//! tracking-parameter URL), published over two years; one in ten is a reworded copy of an earlier one
//! from another source, so clustering has real work to do. Prints medians and percentiles.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use url::Url;

use briefwatch::model::{
    Brief, FetchOutcome, Markup, RawBrief, SourceKind, SourceOrigin, SourceReport, SourceSpec,
    Validators,
};
use briefwatch::store::Store;
use briefwatch::transforms::normalize::normalize;

const PLACES: [&str; 12] = [
    "Tehran", "Gaza", "Kyiv", "Moscow", "Beirut", "Damascus", "Doha", "Cairo", "Riyadh", "Ankara",
    "Baghdad", "Sanaa",
];

fn vocabulary() -> Vec<String> {
    let stems = [
        "offic", "minist", "talk", "ceasefir", "sanction", "militar", "strik", "protest", "elect",
        "diplomat", "hostag", "nuclear", "report", "agenc", "council", "forc", "border", "envoy",
        "summit", "accord",
    ];
    let ends = [
        "ial", "er", "s", "e", "ion", "y", "ed", "ing", "ors", "ic", "ies", "al", "ment", "ure",
        "ist", "ate", "ive", "ity", "ous", "ance",
    ];
    stems
        .iter()
        .flat_map(|s| ends.iter().map(move |e| format!("{s}{e}")))
        .collect()
}

fn body(rng: &mut fastrand::Rng, vocab: &[String], words: usize) -> String {
    (0..words)
        .map(|_| vocab[rng.u64(..vocab.len() as u64) as usize].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn brief(
    i: u64,
    rng: &mut fastrand::Rng,
    vocab: &[String],
    earlier: Option<&(String, String)>,
) -> Brief {
    let (title, text) = match earlier {
        Some((t, b)) => {
            let mut words: Vec<&str> = b.split(' ').collect();
            for _ in 0..words.len() / 20 {
                let k = rng.u64(..words.len() as u64) as usize;
                words[k] = "changed";
            }
            (format!("UPDATE: {t}"), words.join(" "))
        }
        None => (
            format!(
                "{}: talks reported as ministers meet ({i})",
                PLACES[rng.u64(..12) as usize]
            ),
            body(rng, vocab, 60),
        ),
    };
    let published = Utc
        .timestamp_opt(1_700_000_000 + (i as i64) * 63, 0)
        .unwrap();
    normalize(RawBrief {
        guid: Some(format!("urn:bench:{i}")),
        link: Url::parse(&format!(
            "https://news{}.example.org/briefs/{i}?utm_source=rss&utm_medium=feed",
            i % 50
        ))
        .ok(),
        title: Some(Markup::Text(title)),
        content: None,
        summary: Some(Markup::Text(text)),
        authors: vec!["Desk".into()],
        published: Some(published),
        updated: None,
        base: Url::parse("https://news.example.org/").unwrap(),
    })
}

fn report(source_id: i64, briefs: Vec<Brief>) -> SourceReport {
    SourceReport {
        source_id,
        outcome: FetchOutcome::Fetched {
            briefs,
            known: 0,
            validators: Validators::default(),
            status: 200,
            websub: None,
        },
        checked_at: Utc::now(),
        next_check_at: Utc::now(),
    }
}

fn percentiles(mut d: Vec<Duration>) -> String {
    d.sort();
    let p = |q: f64| d[((d.len() - 1) as f64 * q) as usize];
    format!(
        "median {:?}  p90 {:?}  p99 {:?}  (n={})",
        p(0.5),
        p(0.9),
        p(0.99),
        d.len()
    )
}

fn main() {
    let total: u64 = std::env::var("BRIEFS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scale.db");
    let mut store = Store::open(&path).expect("open store");
    let specs: Vec<SourceSpec> = (0..2)
        .map(|i| SourceSpec {
            name: format!("bench-{i}"),
            kind: SourceKind::Feed,
            url: Url::parse(&format!("https://feeds{i}.example.org/rss")).unwrap(),
            interval: Duration::from_secs(900),
            origin: SourceOrigin::Config,
            settings: Default::default(),
        })
        .collect();
    store.sync_config_sources(&specs).expect("sources");
    let ids: Vec<i64> = store
        .active_sources()
        .expect("sources")
        .iter()
        .map(|s| s.id)
        .collect();
    let vocab = vocabulary();
    let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
    let mut recent: Vec<(String, String)> = Vec::new();
    let mut make = |i: u64, rng: &mut fastrand::Rng| {
        let copy = i > 100 && rng.u64(..10) == 0;
        let b = if copy {
            let k = recent.len() - 1 - rng.u64(..recent.len().min(50) as u64) as usize;
            brief(i, rng, &vocab, Some(&recent[k]))
        } else {
            let b = brief(i, rng, &vocab, None);
            recent.push((b.title.clone(), b.text.clone()));
            if recent.len() > 1000 {
                recent.drain(..500);
            }
            b
        };
        (copy, b)
    };

    let started = Instant::now();
    let mut i = 0;
    while i < total {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..1000.min(total - i) {
            let (copy, brief) = make(i, &mut rng);
            if copy {
                b.push(brief)
            } else {
                a.push(brief)
            }
            i += 1;
        }
        store.persist(&report(ids[0], a)).expect("persist");
        store.persist(&report(ids[1], b)).expect("persist");
        if i % 100_000 == 0 {
            eprintln!("  {i} briefs stored ({:.0?})", started.elapsed());
        }
    }
    println!("filled {total} briefs in {:.1?}", started.elapsed());

    // One more brief per transaction (a poll that found one new item): includes the commit's fsync.
    let mut single = Vec::new();
    for _ in 0..300 {
        let (copy, b) = make(i, &mut rng);
        i += 1;
        let r = report(ids[usize::from(copy)], vec![b]);
        let t = Instant::now();
        store.persist(&r).expect("persist");
        single.push(t.elapsed());
    }
    // The same work inside a group commit (the daemon's writer commits whatever is queued at once):
    // the cost per brief of inserting and clustering, without the fsync.
    let mut grouped = Vec::new();
    for _ in 0..30 {
        let batch: Vec<(bool, Brief)> = (0..100)
            .map(|_| {
                i += 1;
                make(i, &mut rng)
            })
            .collect();
        let (a, b): (Vec<_>, Vec<_>) = batch.into_iter().partition(|(copy, _)| !copy);
        let (a, b) = (
            a.into_iter().map(|(_, x)| x).collect::<Vec<_>>(),
            b.into_iter().map(|(_, x)| x).collect::<Vec<_>>(),
        );
        let n = (a.len() + b.len()) as u32;
        let t = Instant::now();
        store.persist(&report(ids[0], a)).expect("persist");
        store.persist(&report(ids[1], b)).expect("persist");
        grouped.push(t.elapsed() / n);
    }
    println!(
        "insert + cluster one brief, own transaction (fsync included): {}",
        percentiles(single)
    );
    println!(
        "insert + cluster one brief, in groups of 100 (per brief):     {}",
        percentiles(grouped)
    );

    drop(store);
    let show = |what: &str| {
        let stats = Store::size_stats(&path).expect("size stats");
        println!(
            "database {what}: {} briefs, {:.1} MiB on disk, {:.0} bytes per brief excluding text ({} bytes of text per brief)",
            stats.briefs,
            stats.file_bytes as f64 / 1_048_576.0,
            stats.file_bytes.saturating_sub(stats.text_bytes) as f64 / stats.briefs.max(1) as f64,
            stats.text_bytes / stats.briefs.max(1),
        );
    };
    show("before search indexing");
    let t = Instant::now();
    let mut store = Store::open(&path).expect("open store");
    let indexed = store.index_pending(None).expect("index");
    drop(store);
    println!(
        "search index built for {indexed} briefs in {:.1?}",
        t.elapsed()
    );
    show("with the search index");
}
