//! Article extraction throughput: pages per second of `transforms::extract::extract` over a folder
//! of real pages, on one thread and on every core; and, as the floor no extractor on this parser
//! can go below, how fast html5ever alone builds those pages' DOM (rs-trafilatura's `dom_query`
//! tree, the one parse extraction does); and what the HTML nesting bound (`decode::depth`) costs
//! on its own.
//!
//! ```sh
//! cargo bench --bench extract                                  # ../shared/corpora/extraction/readability
//! PAGES_DIR=/tmp/readability PASSES=5 cargo bench --bench extract
//! STAGES=extract PASSES=1 valgrind --tool=callgrind target/release/deps/extract-HASH   # one stage
//! ```
//!
//! `STAGES` (comma-separated `extract`, `fallback`, `parse`, `bound`, `threads`; all by default)
//! picks what is measured, so that a profiler run covers only the stage of interest. `fallback` is
//! the rs-trafilatura path alone (`own_first` off), the peer to read `extract` against on a machine
//! whose speed is unknown.
//!
//! Pages are `PAGES_DIR/*/source.html` or `PAGES_DIR/test-pages/*/source.html` (the layout of
//! Mozilla Readability's test pages). When the folder is absent or empty the bench says so and
//! measures synthetic news pages generated here instead (mega-menu, inline scripts, cookie banner,
//! 20-60 paragraphs, related links, footer; 30-110 KB).

use std::path::{Path, PathBuf};
use std::time::Instant;

use briefwatch::transforms::extract::{Selectors, Steps, decode_html, extract, extract_steps};

fn main() {
    let dir = std::env::var("PAGES_DIR")
        .unwrap_or_else(|_| "../shared/corpora/extraction/readability".into());
    let passes: usize = std::env::var("PASSES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3)
        .max(1);
    let stages =
        std::env::var("STAGES").unwrap_or_else(|_| "extract,fallback,parse,bound,threads".into());
    let stage = |name: &str| stages.split(',').any(|s| s.trim() == name);
    let pages = match load(Path::new(&dir)) {
        Ok(p) if !p.is_empty() => {
            println!("{} pages from {dir}", p.len());
            p
        }
        Ok(_) => synthetic(&format!("no */source.html under {dir}")),
        Err(e) => synthetic(&format!("cannot read {dir}: {e}")),
    };
    let bytes: usize = pages.iter().map(String::len).sum();
    println!(
        "{:.1} MB in total, {:.0} KB a page on average; {passes} timed passes after one warm-up",
        bytes as f64 / 1e6,
        bytes as f64 / 1e3 / pages.len() as f64
    );

    // Warm-up: lazily built regexes and classifier tables.
    let words: usize = pages.iter().map(|p| extract(p, None).text.len()).sum();
    std::hint::black_box(words);

    if stage("extract") {
        let start = Instant::now();
        for _ in 0..passes {
            for p in &pages {
                std::hint::black_box(extract(p, None));
            }
        }
        report("1 thread", pages.len() * passes, bytes * passes, start);
    }

    if stage("fallback") {
        // The same pages through rs-trafilatura's path alone (our rules around it, not before it):
        // the peer that `extract` is measured against in the same run.
        let steps = Steps {
            own_first: false,
            ..Steps::default()
        };
        let selectors = Selectors::default();
        let start = Instant::now();
        for _ in 0..passes {
            for p in &pages {
                std::hint::black_box(extract_steps(p, None, &selectors, &steps));
            }
        }
        report("rs-traf.", pages.len() * passes, bytes * passes, start);
    }

    if stage("parse") {
        let start = Instant::now();
        for _ in 0..passes {
            for p in &pages {
                // html5ever building the whole tree (through scraper): the floor under any extractor.
                std::hint::black_box(scraper::Html::parse_document(p));
            }
        }
        report("parse only", pages.len() * passes, bytes * passes, start);
    }

    if stage("bound") {
        let start = Instant::now();
        for _ in 0..passes {
            for p in &pages {
                // The nesting and element bound every page goes through before a tree is built.
                std::hint::black_box(briefwatch::decode::depth::bounded(p));
            }
        }
        report("bound only", pages.len() * passes, bytes * passes, start);
    }

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > 1 && stage("threads") {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                let pages = &pages;
                s.spawn(move || {
                    for _ in 0..passes {
                        for p in pages.iter().skip(t).step_by(threads) {
                            std::hint::black_box(extract(p, None));
                        }
                    }
                });
            }
        });
        report(
            &format!("{threads} threads"),
            pages.len() * passes,
            bytes * passes,
            start,
        );
    }
}

fn report(label: &str, pages: usize, bytes: usize, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:>10}: {:>7.1} pages/s  {:>6.1} MB/s  ({pages} pages in {secs:.2} s)",
        pages as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}

/// `DIR/*/source.html`, or `DIR/test-pages/*/source.html` (the corpus folder as shared).
fn load(dir: &Path) -> std::io::Result<Vec<String>> {
    let nested = dir.join("test-pages");
    let dir = if nested.is_dir() { &nested } else { dir };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path().join("source.html"))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).map(|b| decode_html(&b, None)))
        .collect()
}

fn synthetic(reason: &str) -> Vec<String> {
    println!("{reason}: measuring 60 synthetic pages instead");
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    const WORDS: &[&str] = &[
        "the",
        "ministry",
        "said",
        "talks",
        "would",
        "resume",
        "after",
        "border",
        "forces",
        "reported",
        "ceasefire",
        "officials",
        "in",
        "on",
        "a",
        "of",
        "and",
        "week",
        "government",
        "observers",
        "convoy",
        "statement",
        "parliament",
        "regional",
        "security",
        "agreement",
    ];
    let mut sentence = |n: u64| {
        let mut s: Vec<&str> = (0..n)
            .map(|_| WORDS[next(WORDS.len() as u64) as usize])
            .collect();
        s.push(".");
        s.join(" ")
    };
    (0..60)
        .map(|i| {
            let nav: String = (0..40)
                .map(|j| format!("<li><a href=\"/s{j}\">Section {j}</a></li>"))
                .collect();
            let paras: String = (0..20 + i % 40)
                .map(|j| {
                    let h = if j % 7 == 0 {
                        format!("<h2>{}</h2>", sentence(6))
                    } else {
                        String::new()
                    };
                    format!("{h}<p>{} {}</p>", sentence(25), sentence(30))
                })
                .collect();
            let related: String = (0..15)
                .map(|j| format!("<li><a href=\"/r{j}\">{}</a></li>", sentence(8)))
                .collect();
            // Real pages are mostly markup around the text: a mega-menu (6-30 KB) and inline
            // scripts (5-40 KB).
            let menu: String = (0..50 + 10 * (i % 20))
                .map(|j| {
                    format!(
                        "<li class=\"menu-item menu-item-type-taxonomy\" data-id=\"{j}\"><a class=\"nav-link\" href=\"/topics/{j}/\"><span>Topic {j}</span></a></li>"
                    )
                })
                .collect();
            let filler = format!("var config = {{\"blob\": \"{}\"}};", "ab".repeat(2_500 + 500 * (i % 70)));
            format!(
                "<!DOCTYPE html><html lang=\"en\"><head><title>Story {i} | Example</title>\
                 <style>.a{{}}</style><script>{filler}</script></head><body>\
                 <header><nav><ul>{nav}</ul><ul class=\"mega\">{menu}</ul></nav></header>\
                 <div class=\"cookie-banner\">We use cookies. <button>Accept</button></div>\
                 <main><article><h1>Story {i}</h1>{paras}</article>\
                 <aside><h3>Related</h3><ul>{related}</ul></aside></main>\
                 <footer><p>© Example</p><ul>{nav}</ul></footer></body></html>"
            )
        })
        .collect()
}
