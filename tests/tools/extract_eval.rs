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
//! the text of `expected.html` (pages without one count for titles only), scored as the article-extraction benchmark scores (`aeb_score.py`):
//! 4-gram shingles of `\w+` tokens, each page's true/false positives and negatives normalised to sum 1,
//! P/R/F1 over the sums. It also prints title accuracy: the extracted title equals
//! `expected-metadata.json`'s, whitespace collapsed. With a third argument it also writes the
//! predictions in the benchmark's format. When the folder is absent the runner says so and exits 0.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use briefwatch::transforms::clean::html_to_text;
use briefwatch::transforms::extract::{decode_html, extract};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["readability", dir, rest @ ..] => readability(Path::new(dir), rest.first().copied()),
        ["aeb", dir, out] => aeb(Path::new(dir), Path::new(out)),
        _ => {
            eprintln!(
                "usage: extract_eval readability DIR [PREDICTIONS.json] | aeb HTML_DIR OUT.json"
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

fn readability(dir: &Path, predictions: Option<&str>) {
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
    let (mut scored, mut titled, mut titles_ok) = (0, 0, 0);
    let mut preds = serde_json::Map::new();
    for page in &pages {
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        let source = decode_html(
            &std::fs::read(page.join("source.html")).unwrap_or_default(),
            None,
        );
        let article = extract(&source, None);
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
        let mut title_mark = "-";
        if let Some(want) = meta["title"].as_str() {
            titled += 1;
            let ok = article.title.as_deref().map(one_line) == Some(one_line(want));
            titles_ok += usize::from(ok);
            title_mark = if ok { "ok" } else { "MISS" };
            if !ok {
                println!("    title {:?} expected {:?}", article.title, want);
            }
        }
        println!("{name:40} {quality:26} title {title_mark}");
        preds.insert(name.into_owned(), json!({ "articleBody": article.text }));
    }
    let (p, r, f) = prf(tp, fp, fneg);
    println!(
        "{scored} pages scored: precision {p:.3} recall {r:.3} f1 {f:.3}; titles {titles_ok}/{titled} ({:.1}%)",
        100.0 * titles_ok as f64 / titled.max(1) as f64
    );
    if let Some(out) = predictions {
        write_json(Path::new(out), &Value::Object(preds));
    }
}

fn aeb(dir: &Path, out: &Path) {
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
        let article = extract(&decode_html(&bytes, None), None);
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
