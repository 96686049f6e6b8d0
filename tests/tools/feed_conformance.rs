//! Feed normalisation checked against public corpora that live outside this repository.
//!
//! ```sh
//! cargo run --release --example feed_conformance -- ../shared/corpora/feeds
//! ```
//!
//! - `feedparser/feedparser-expectations.jsonl`: feedparser's test-suite expectations. Every simple
//!   `path == literal` clause whose concept exists in briefwatch (feed title; entry title, link, id,
//!   author, summary/content text, published/updated dates) is checked against briefwatch's parse of
//!   the same file; the pass rate is printed per suite. Clauses about concepts briefwatch does not
//!   model (bozo, namespaces, enclosures, ...) are counted as unmapped.
//! - `realworld/`: every file must parse into briefs with a non-empty title or text and absolute links.
//!
//! When the folder is absent the runner says so and exits 0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use briefwatch::model::Markup;
use briefwatch::sources::feed::{ParsedFeed, parse_feed};
use briefwatch::transforms::clean::html_to_text;
use briefwatch::transforms::normalize::normalize;
use chrono::{Datelike, Timelike};
use url::Url;

fn main() {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/corpora/feeds".into()),
    );
    if !root.is_dir() {
        println!(
            "skipped: {} is absent (the corpora live outside this repository)",
            root.display()
        );
        return;
    }
    let expectations = root.join("feedparser/feedparser-expectations.jsonl");
    if expectations.is_file() {
        run_expectations(&expectations);
    } else {
        println!(
            "skipped feedparser expectations: {} is absent",
            expectations.display()
        );
    }
    let realworld = root.join("realworld");
    if realworld.is_dir() {
        run_realworld(&realworld);
    } else {
        println!(
            "skipped real-world feeds: {} is absent",
            realworld.display()
        );
    }
}

#[derive(Default)]
struct Tally {
    mapped: usize,
    passed: usize,
    unmapped: usize,
    unreadable: usize,
}

fn run_expectations(path: &Path) {
    let text = std::fs::read_to_string(path).expect("readable expectations file");
    let base = path.parent().expect("file has a folder");
    let mut suites: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let Ok(obj) = serde_json::from_str::<serde_json::Value>(line) else {
            eprintln!("line {}: not JSON", n + 1);
            continue;
        };
        let Some((file, expect)) = fields(&obj) else {
            eprintln!(
                "line {}: no file/expectation fields among keys {:?}",
                n + 1,
                obj.as_object().map(|o| o.keys().collect::<Vec<_>>())
            );
            continue;
        };
        let suite = obj
            .get("suite")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| file.split('/').next().unwrap_or("?").to_string());
        let tally = suites.entry(suite).or_default();
        // A file that does not parse still has its mapped clauses counted, as failures.
        let parsed = locate(base, &file)
            .and_then(|p| parse_file(&p))
            .unwrap_or_else(|| {
                tally.unreadable += 1;
                if std::env::var_os("VERBOSE").is_some() {
                    println!("  UNREADABLE {file}");
                }
                Parsed {
                    feed: ParsedFeed {
                        title: None,
                        entries: Vec::new(),
                    },
                }
            });
        for clause in split_and(&expect) {
            match check(&parsed, clause) {
                None => tally.unmapped += 1,
                Some(ok) => {
                    tally.mapped += 1;
                    if ok {
                        tally.passed += 1;
                    } else {
                        failures.push(format!("{file}: {clause}"));
                    }
                }
            }
        }
    }
    println!("feedparser expectations ({}):", path.display());
    for (suite, t) in &suites {
        let rate = if t.mapped > 0 {
            100.0 * t.passed as f64 / t.mapped as f64
        } else {
            0.0
        };
        println!(
            "  {suite:<12} mapped {:>5}  passed {:>5}  rate {rate:5.1}%  unmapped {:>5}  unparsable files {:>4}",
            t.mapped, t.passed, t.unmapped, t.unreadable
        );
    }
    if std::env::var_os("VERBOSE").is_some() {
        for f in &failures {
            println!("  FAIL {f}");
        }
    }
}

/// The feed file and the expectation text of one JSONL record, whatever the keys are called.
fn fields(obj: &serde_json::Value) -> Option<(String, String)> {
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(|v| v.as_str()).map(str::to_string))
    };
    let file = get(&["file", "path", "source", "input", "feed", "filename"])?;
    let expect = get(&[
        "expect",
        "expectation",
        "assertion",
        "condition",
        "test",
        "expr",
    ])?;
    Some((file, expect))
}

fn locate(base: &Path, file: &str) -> Option<PathBuf> {
    [
        base.join(file),
        base.join("tests").join(file),
        PathBuf::from(file),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

struct Parsed {
    feed: ParsedFeed,
}

fn parse_file(path: &Path) -> Option<Parsed> {
    let bytes = std::fs::read(path).ok()?;
    let url = Url::parse("http://127.0.0.1/")
        .ok()?
        .join(&path.to_string_lossy())
        .ok()?;
    parse_feed(&bytes, None, &url)
        .ok()
        .map(|feed| Parsed { feed })
}

/// Top-level ` and ` clauses (outside quotes).
fn split_and(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote) = (0, None::<char>);
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        match quote {
            Some(_) if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if expr[i..].starts_with(" and ") => {
                out.push(expr[start..i].trim());
                start = i + 5;
                i += 4;
            }
            None => {}
        }
        i += 1;
    }
    out.push(expr[start..].trim());
    out
}

/// `Some(passed)` for a clause mapped onto briefwatch's model, `None` otherwise.
fn check(p: &Parsed, clause: &str) -> Option<bool> {
    let (lhs, rhs) = clause.split_once(" == ")?;
    let path = parse_path(lhs.trim())?;
    let rhs = rhs.trim();
    match path.as_slice() {
        [Seg::Key(f), Seg::Key(k)] if f == "feed" && k == "title" => {
            let want = html_to_text(&py_string(rhs)?);
            Some(
                p.feed
                    .title
                    .as_deref()
                    .map(html_to_text)
                    .unwrap_or_default()
                    == want,
            )
        }
        [Seg::Key(e), Seg::Index(i), rest @ ..] if e == "entries" => {
            let key: Vec<String> = rest
                .iter()
                .map(|s| match s {
                    Seg::Key(k) => k.clone(),
                    Seg::Index(i) => i.to_string(),
                })
                .collect();
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            const MAPPED: &[&[&str]] = &[
                &["title"],
                &["title_detail", "value"],
                &["link"],
                &["links", "0", "href"],
                &["id"],
                &["guid"],
                &["author_detail", "name"],
                &["summary"],
                &["description"],
                &["summary_detail", "value"],
                &["content", "0", "value"],
                &["published_parsed"],
                &["issued_parsed"],
                &["date_parsed"],
                &["updated_parsed"],
                &["modified_parsed"],
            ];
            if !MAPPED.contains(&key.as_slice()) {
                return None;
            }
            // A mapped clause about an entry briefwatch did not produce is a failure.
            let Some(raw) = p.feed.entries.get(*i).cloned() else {
                return Some(false);
            };
            let brief = normalize(raw.clone());
            let text_of = |m: &Option<Markup>| match m {
                Some(Markup::Html(h)) => html_to_text(h),
                Some(Markup::Text(t)) => {
                    html_to_text(&t.replace('&', "&amp;").replace('<', "&lt;"))
                }
                None => String::new(),
            };
            match key.as_slice() {
                ["title"] | ["title_detail", "value"] => {
                    Some(brief.title == html_to_text(&py_string(rhs)?))
                }
                ["link"] | ["links", "0", "href"] => {
                    Some(brief.url.as_deref() == Some(py_string(rhs)?.as_str()))
                }
                ["id"] | ["guid"] => Some(raw.guid.as_deref() == Some(py_string(rhs)?.as_str())),
                ["author_detail", "name"] => {
                    Some(brief.author.as_deref() == Some(py_string(rhs)?.as_str()))
                }
                ["summary"] | ["description"] | ["summary_detail", "value"] => {
                    Some(text_of(&raw.summary) == html_to_text(&py_string(rhs)?))
                }
                ["content", "0", "value"] => {
                    Some(text_of(&raw.content) == html_to_text(&py_string(rhs)?))
                }
                ["published_parsed"] | ["issued_parsed"] | ["date_parsed"] => {
                    Some(same_time(raw.published.or(raw.updated), rhs))
                }
                ["updated_parsed"] | ["modified_parsed"] => {
                    Some(same_time(raw.updated.or(raw.published), rhs))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

/// `entries[0]['title_detail']['value']` → [Key(entries), Index(0), Key(title_detail), Key(value)].
fn parse_path(s: &str) -> Option<Vec<Seg>> {
    let head_end = s.find('[').unwrap_or(s.len());
    let mut out = vec![Seg::Key(s[..head_end].to_string())];
    let mut rest = &s[head_end..];
    while let Some(r) = rest.strip_prefix('[') {
        let end = r.find(']')?;
        let inner = r[..end].trim();
        out.push(match inner.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(py_string(inner)?),
        });
        rest = &r[end + 1..];
    }
    rest.is_empty().then_some(out)
}

/// A Python string literal (`'x'`, `u"x"`, with common escapes).
fn py_string(s: &str) -> Option<String> {
    // One literal, or several joined by `+`.
    let mut rest = s.trim();
    let mut out = String::new();
    loop {
        let (piece, after) = py_literal(rest)?;
        out.push_str(&piece);
        rest = after.trim_start();
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix('+')?.trim_start();
    }
}

/// One Python string literal at the start of `s` (prefixes u, b, r; escapes unless raw) and the
/// text after it.
fn py_literal(s: &str) -> Option<(String, &str)> {
    let prefix_len = s.find(['\'', '"'])?;
    let prefix = &s[..prefix_len];
    if !prefix
        .chars()
        .all(|c| matches!(c, 'u' | 'b' | 'r' | 'U' | 'B' | 'R'))
    {
        return None;
    }
    let raw = prefix.contains(['r', 'R']);
    let q = s[prefix_len..].chars().next()?;
    let mut out = String::new();
    let mut chars = s[prefix_len + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == q {
            return Some((out, &s[prefix_len + 1 + i + 1..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        if raw {
            out.push('\\');
            out.push(e);
            continue;
        }
        let mut hex = |n: usize| -> Option<char> {
            let digits: String = (0..n)
                .filter_map(|_| chars.next().map(|(_, c)| c))
                .collect();
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'x' => out.push(hex(2)?),
            'u' => out.push(hex(4)?),
            'U' => out.push(hex(8)?),
            other => out.push(other),
        }
    }
    None
}

/// A `time.struct_time` tuple literal compared with a UTC time on its first six fields.
fn same_time(t: Option<chrono::DateTime<chrono::Utc>>, rhs: &str) -> bool {
    let nums: Vec<i64> = rhs
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    match (t, nums.as_slice()) {
        (Some(t), [y, mo, d, h, mi, s, ..]) => {
            (
                t.year() as i64,
                t.month() as i64,
                t.day() as i64,
                t.hour() as i64,
                t.minute() as i64,
                t.second() as i64,
            ) == (*y, *mo, *d, *h, *mi, *s)
        }
        _ => false,
    }
}

fn run_realworld(dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let (mut ok, mut bad) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).expect("readable file");
        let url = Url::parse("https://feeds.example.org/")
            .expect("valid")
            .join(&f.file_name().unwrap().to_string_lossy())
            .expect("valid");
        let verdict = match parse_feed(&bytes, None, &url) {
            Err(e) => Err(e.to_string()),
            Ok(feed) if feed.entries.is_empty() => Err("no entries".into()),
            Ok(feed) => feed
                .entries
                .into_iter()
                .map(normalize)
                .find_map(|b| {
                    if b.title.is_empty() && b.text.is_empty() {
                        Some(format!("entry {:?} has neither title nor text", b.guid))
                    } else if b.url.as_deref().is_some_and(|u| !u.starts_with("http")) {
                        Some(format!("entry {:?} has a non-absolute link", b.guid))
                    } else {
                        None
                    }
                })
                .map_or(Ok(()), Err),
        };
        match verdict {
            Ok(()) => ok += 1,
            Err(e) => {
                bad += 1;
                println!("  FAIL {}: {e}", f.display());
            }
        }
    }
    println!(
        "real-world feeds ({}): {ok} of {} pass",
        dir.display(),
        ok + bad
    );
}
