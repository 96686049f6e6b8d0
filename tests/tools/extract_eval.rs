//! Article-extraction quality against public corpora that live outside this repository.
//!
//! ```sh
//! # Mozilla Readability's layout: DIR/<name>/{source.html, expected.html, expected-metadata.json}
//! cargo run --release --example extract_eval -- readability ../shared/corpora/extraction/readability
//! # The article-extraction benchmark: DIR/<id>.html or <id>.html.gz -> {"<id>": {"articleBody": ...}}
//! cargo run --release --example extract_eval -- aeb DIR/html predictions.json
//! python3 ../shared/eval/aeb_score.py DIR/ground-truth.json predictions.json
//! ```
//!
//! `readability` prints, per page and in total, precision, recall and F1 of the extracted text against
//! the text of `expected.html` (pages without one count for metadata only), scored as the
//! article-extraction benchmark scores (`aeb_score.py`):
//! 4-gram shingles of `\w+` tokens, each page's true/false positives and negatives normalised to sum 1,
//! P/R/F1 over the sums. It also prints title and byline agreement with `expected-metadata.json`
//! (whitespace collapsed; no value agrees with `null`), over all pages and over those with a value.
//! With a third argument it also writes the predictions in the benchmark's format. When the folder
//! is absent the runner says so and exits 0.
//!
//! `--without STEP,...` (before the mode) turns off steps of our own around rs-trafilatura (see
//! `briefwatch::transforms::extract::Steps`), to measure what each is worth.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use briefwatch::transforms::clean::html_to_text;
use briefwatch::transforms::extract::{Selectors, Steps, decode_html, extract_steps};
use serde_json::{Value, json};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut steps = Steps::default();
    if let Some(i) = args.iter().position(|a| a == "--without") {
        let names = args.get(i + 1).cloned().unwrap_or_default();
        args.drain(i..(i + 2).min(args.len()));
        for name in names.split(',').filter(|n| !n.is_empty()) {
            match steps.switch(name) {
                Some(on) => *on = false,
                None => {
                    eprintln!("unknown step {name:?}");
                    std::process::exit(2);
                }
            }
        }
    }
    let steps = &steps;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["readability", dir, rest @ ..] => {
            readability(Path::new(dir), rest.first().copied(), steps)
        }
        ["aeb", dir, out] => aeb(Path::new(dir), Path::new(out), steps),
        _ => {
            eprintln!(
                "usage: extract_eval [--without STEP,...] readability DIR [PREDICTIONS.json] | aeb HTML_DIR OUT.json"
            );
            std::process::exit(2);
        }
    }
}

/// `\w+` tokens as Python's `re` finds them (letters, digits and underscore, Unicode-aware).
fn tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect()
}

fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let toks = tokens(text);
    let mut out = HashMap::new();
    if toks.len() < 4 {
        if !toks.is_empty() {
            out.insert(toks, 1);
        }
        return out;
    }
    for w in toks.windows(4) {
        *out.entry(w.to_vec()).or_insert(0) += 1;
    }
    out
}

/// Normalised (tp, fp, fn) of one document, as `aeb_score.py` computes them.
fn score(truth: &str, pred: &str) -> (f64, f64, f64) {
    let (t, p) = (shingles(truth), shingles(pred));
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (k, &n) in &t {
        let m = p.get(k).copied().unwrap_or(0);
        tp += n.min(m);
        fneg += n.saturating_sub(m);
    }
    for (k, &m) in &p {
        fp += m.saturating_sub(t.get(k).copied().unwrap_or(0));
    }
    let sum = (tp + fp + fneg) as f64;
    if sum == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (tp as f64 / sum, fp as f64 / sum, fneg as f64 / sum)
}

fn prf(tp: f64, fp: f64, fneg: f64) -> (f64, f64, f64) {
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if tp + fneg > 0.0 {
        tp / (tp + fneg)
    } else {
        0.0
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The article as [`extract`](briefwatch::transforms::extract::extract) finds it, with only `steps` of our own.
fn run(html: &str, steps: &Steps) -> briefwatch::transforms::extract::Article {
    extract_steps(html, None, &Selectors::default(), steps)
}

/// How often an extracted field equals the expected one (whitespace collapsed; an absent value
/// agrees with an expected `null`).
#[derive(Default)]
struct Agreement {
    pages: usize,
    equal: usize,
    /// Pages with an expected value, and how many of those were found exactly.
    expected: usize,
    found: usize,
}

impl std::fmt::Display for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        write!(
            f,
            "agree {}/{} ({:.1}%); expected non-null {}/{} ({:.1}%)",
            self.equal,
            self.pages,
            pct(self.equal, self.pages),
            self.found,
            self.expected,
            pct(self.found, self.expected)
        )
    }
}

/// Counts one page's field; prints the disagreement; returns the mark for the page's line.
fn agree(tally: &mut Agreement, field: &str, got: Option<&str>, want: &Value) -> &'static str {
    let got = got.map(one_line).filter(|g| !g.is_empty());
    let want = want.as_str().map(one_line).filter(|w| !w.is_empty());
    tally.pages += 1;
    let ok = got == want;
    tally.equal += usize::from(ok);
    if want.is_some() {
        tally.expected += 1;
        tally.found += usize::from(ok);
    }
    if !ok {
        println!("    {field} {got:?} expected {want:?}");
    }
    if ok { "ok" } else { "MISS" }
}

fn readability(dir: &Path, predictions: Option<&str>, steps: &Steps) {
    // The corpus folder or its `test-pages` folder.
    let nested = dir.join("test-pages");
    let dir = if nested.is_dir() { &nested } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("{}: absent; nothing to evaluate", dir.display());
        return;
    };
    let mut pages: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("source.html").is_file())
        .collect();
    pages.sort();
    let (mut tp, mut fp, mut fneg) = (0.0, 0.0, 0.0);
    let mut scored = 0;
    let (mut titles, mut bylines) = (Agreement::default(), Agreement::default());
    let mut preds = serde_json::Map::new();
    for page in &pages {
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        let source = decode_html(
            &std::fs::read(page.join("source.html")).unwrap_or_default(),
            None,
        );
        let article = run(&source, steps);
        let expected = std::fs::read_to_string(page.join("expected.html")).ok();
        let mut quality = "no expected.html".to_string();
        if let Some(expected) = &expected {
            let (a, b, c) = score(&html_to_text(expected), &article.text);
            (tp, fp, fneg) = (tp + a, fp + b, fneg + c);
            scored += 1;
            let (p, r, f) = prf(a, b, c);
            quality = format!("P {p:.3} R {r:.3} F1 {f:.3}");
        }
        let meta: Value = std::fs::read_to_string(page.join("expected-metadata.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null);
        let title_mark = agree(
            &mut titles,
            "title",
            article.title.as_deref(),
            &meta["title"],
        );
        let byline_mark = agree(
            &mut bylines,
            "byline",
            article.byline.as_deref(),
            &meta["byline"],
        );
        println!("{name:40} {quality:26} title {title_mark:4} byline {byline_mark}");
        preds.insert(name.into_owned(), json!({ "articleBody": article.text }));
    }
    let (p, r, f) = prf(tp, fp, fneg);
    println!("{scored} pages scored: precision {p:.3} recall {r:.3} f1 {f:.3}");
    println!("titles  {titles}");
    println!("bylines {bylines}");
    if let Some(out) = predictions {
        write_json(Path::new(out), &Value::Object(preds));
    }
}

fn aeb(dir: &Path, out: &Path, steps: &Steps) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("{}: absent; nothing to predict", dir.display());
        return;
    };
    let mut preds = serde_json::Map::new();
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (id, gz) = if let Some(id) = name.strip_suffix(".html.gz") {
            (id.to_string(), true)
        } else if let Some(id) = name.strip_suffix(".html") {
            (id.to_string(), false)
        } else {
            continue;
        };
        let Ok(mut bytes) = std::fs::read(&path) else {
            continue;
        };
        if gz {
            let mut plain = Vec::new();
            if flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .is_err()
            {
                eprintln!("{}: not gzip", path.display());
                continue;
            }
            bytes = plain;
        }
        let article = run(&decode_html(&bytes, None), steps);
        preds.insert(id, json!({ "articleBody": article.text }));
    }
    println!("{} predictions", preds.len());
    write_json(out, &Value::Object(preds));
}

fn write_json(path: &Path, v: &Value) {
    match std::fs::write(path, v.to_string()) {
        Ok(()) => println!("wrote {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}
