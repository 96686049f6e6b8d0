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
//!   Each file is parsed as it would be served: `Header: Content-type` lines become the content type,
//!   files of the `http` group get `http://127.0.0.1:8097/<path>` as their URL. `encoding == '...'`
//!   clauses are checked against the charset briefwatch decoded from (same encoding_rs encoding, or
//!   any ASCII-compatible one when the document is pure ASCII and so decodes identically).
//! - `gofeed/translator/`: gofeed's universal-model goldens, compared field by field (feed title;
//!   item title, link, guid, published, updated, authors, content, description) wherever the golden
//!   has the field; agreement is printed per field.
//! - `realworld/` and `feed-rs/`: every feed must parse into briefs with a non-empty title or text
//!   and absolute links. Files that are invalid or not feeds on purpose are listed in
//!   [`NOT_FEEDS`] and reported apart; the charset fixtures among them are checked by
//!   [`CHARSET_ROUTES`] instead (the decoded text must contain what the upstream tests expect).
//!
//! A parser panic is reported as a failure of that file; the runner carries on.
//!
//! When the folder is absent the runner says so and exits 0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use briefwatch::decode::charset;
use briefwatch::model::Markup;
use briefwatch::sources::feed::{ParseError, ParsedFeed, parse_feed};
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
    let translator = root.join("gofeed/translator");
    if translator.is_dir() {
        run_gofeed(&translator);
    } else {
        println!("skipped gofeed goldens: {} is absent", translator.display());
    }
    for dir in ["realworld", "feed-rs"] {
        let dir = root.join(dir);
        if dir.is_dir() {
            run_realworld(&root, &dir);
        } else {
            println!("skipped real-world feeds: {} is absent", dir.display());
        }
    }
    run_charset_routes(&root);
}

fn verbose() -> bool {
    std::env::var_os("VERBOSE").is_some()
}

/// Parses with panics caught: a panic is an error of this file, never the end of the run.
fn parse_guarded(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<ParsedFeed, String> {
    match std::panic::catch_unwind(|| parse_feed(bytes, content_type, url)) {
        Ok(r) => r.map_err(|e: ParseError| e.to_string()),
        Err(p) => Err(format!(
            "parser panicked: {}",
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        )),
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
        let headers: Vec<String> = obj
            .get("headers")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let http = obj.get("http").and_then(|v| v.as_bool()).unwrap_or(false);
        let parsed = locate(base, &file)
            .and_then(|p| parse_file(&p, &file, &headers, http))
            .unwrap_or_else(|| {
                tally.unreadable += 1;
                if verbose() {
                    println!("  UNREADABLE {file}");
                }
                Parsed {
                    feed: ParsedFeed {
                        title: None,
                        entries: Vec::new(),
                        charset: "",
                        ttl: None,
                        hubs: Default::default(),
                    },
                    ascii: false,
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
    if verbose() {
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
    /// The document (after any byte-order mark) is pure ASCII in an ASCII-compatible encoding.
    ascii: bool,
}

/// Parses one test file as feedparser's suite serves it: `Content-type` from its `Header:` lines,
/// and for the `http` group the URL it is served at.
fn parse_file(path: &Path, file: &str, headers: &[String], http: bool) -> Option<Parsed> {
    let bytes = std::fs::read(path).ok()?;
    let url = if http {
        Url::parse("http://127.0.0.1:8097/").ok()?.join(file).ok()?
    } else {
        Url::parse("http://127.0.0.1/")
            .ok()?
            .join(&path.to_string_lossy())
            .ok()?
    };
    let content_type = headers.iter().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| v.trim().to_string())
    });
    let ascii = {
        let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        body.is_ascii()
    };
    match parse_guarded(&bytes, content_type.as_deref(), &url) {
        Ok(feed) => Some(Parsed { feed, ascii }),
        Err(e) => {
            if verbose() {
                println!("  ERROR {}: {e}", path.display());
            }
            None
        }
    }
}

/// Whether the encoding briefwatch decoded from is the one expected: the same encoding_rs encoding
/// (labels resolved as browsers do, so `iso-8859-1` is windows-1252; GBK and gb18030 share one
/// decoder), or, for a pure-ASCII document, any ASCII-compatible encoding.
fn same_encoding(p: &Parsed, expected: &str) -> bool {
    let ours = p.feed.charset;
    if ours.is_empty() {
        return false;
    }
    if ours.eq_ignore_ascii_case(expected) {
        return true;
    }
    let (Some(a), Some(b)) = (
        encoding_rs::Encoding::for_label(ours.as_bytes()),
        encoding_rs::Encoding::for_label(expected.as_bytes()),
    ) else {
        return false;
    };
    let gb = |e: &encoding_rs::Encoding| e == encoding_rs::GBK || e == encoding_rs::GB18030;
    a == b || (gb(a) && gb(b)) || (p.ascii && a.is_ascii_compatible() && b.is_ascii_compatible())
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
        [Seg::Key(e)] if e == "encoding" => Some(same_encoding(p, &py_string(rhs)?)),
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
                // feedparser fills `summary` from the content when an entry has no summary of its own.
                ["summary"] | ["description"] | ["summary_detail", "value"] => {
                    let summary = raw.summary.clone().or_else(|| raw.content.clone());
                    Some(text_of(&summary) == html_to_text(&py_string(rhs)?))
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

/// Files under `realworld/` and `feed-rs/` that are not feeds, or are invalid feeds, on purpose:
/// path relative to the corpora folder, and why.
const NOT_FEEDS: &[(&str, &str)] = &[
    (
        "feed-rs/rss2/rss_2.0_invalid_1.xml",
        "truncated on purpose: must fail",
    ),
    ("feed-rs/xml/", "XML-layer fixtures, not feeds"),
    (
        "miniflux/encoding/iso-8859-1-meta-after-1024.html",
        "an HTML page (charset routes)",
    ),
    (
        "miniflux/encoding/iso-8859-1.html",
        "an HTML page (charset routes)",
    ),
    (
        "miniflux/encoding/utf8-meta-after-1024.html",
        "an HTML page (charset routes)",
    ),
    (
        "miniflux/encoding/utf8.html",
        "an HTML page (charset routes)",
    ),
    (
        "miniflux/xml/iso88591.xml",
        "a <note> document (charset routes)",
    ),
    (
        "miniflux/xml/iso88591_utf8_mismatch.xml",
        "a <note> document (charset routes)",
    ),
    (
        "FirstEntry.xml",
        "one entry's HTML (a spec fixture), not a feed",
    ),
    (
        "FirstEntryContent.xml",
        "one entry's HTML (a spec fixture), not a feed",
    ),
    (
        "FirstEntryDescription.xml",
        "one entry's HTML (a spec fixture), not a feed",
    ),
    (
        "ITunesWithSingleQuotedAttributes.xml",
        "ill-formed: an <itunes:category> is never closed",
    ),
    ("LICENSE", "licence text"),
];

/// Charset fixtures: file under the corpora folder, the content type it is read with, and text the
/// decoded document must contain (taken from the upstream tests' expectations).
const CHARSET_ROUTES: &[(&str, Option<&str>, &str)] = &[
    ("realworld/miniflux/encoding/utf8.xml", None, "Café"),
    ("realworld/miniflux/encoding/iso-8859-1.xml", None, "Café"),
    (
        "realworld/miniflux/encoding/windows-1252.xml",
        None,
        "Euro €",
    ),
    (
        "realworld/miniflux/encoding/invalid-prolog.xml",
        None,
        "Café",
    ),
    (
        "realworld/miniflux/encoding/utf8-incorrect-prolog.xml",
        None,
        "Café",
    ),
    (
        "realworld/miniflux/encoding/windows-1252-incorrect-prolog.xml",
        None,
        "Euro €",
    ),
    ("realworld/miniflux/encoding/koi8r.xml", None, "Привет"),
    (
        "realworld/miniflux/encoding/utf8.html",
        Some("text/html; charset=UTF-8"),
        "Café",
    ),
    (
        "realworld/miniflux/encoding/utf8.html",
        Some("text/html"),
        "Café",
    ),
    (
        "realworld/miniflux/encoding/iso-8859-1.html",
        Some("text/html"),
        "Café",
    ),
    (
        "realworld/miniflux/encoding/iso-8859-1.xml",
        Some("text/html; charset=ISO-8859-1"),
        "Café",
    ),
    (
        "realworld/miniflux/encoding/iso-8859-1-meta-after-1024.html",
        Some("text/html"),
        "Café",
    ),
    (
        "realworld/miniflux/encoding/utf8-meta-after-1024.html",
        Some("text/html"),
        "Café",
    ),
    ("realworld/miniflux/xml/iso88591.xml", None, "Jürgen"),
    (
        "realworld/miniflux/xml/iso88591_utf8_mismatch.xml",
        None,
        "Jürgen",
    ),
    ("realworld/miniflux/xml/koi8r.xml", None, "Пример RSS ленты"),
    (
        "realworld/miniflux/parser/no_encoding_ISO-8859-1.xml",
        None,
        "é",
    ),
    ("feed-rs/xml/xml_iso8859.xml", None, ""),
];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// Every feed under `dir` must parse into briefs that have a title or text and absolute links; a
/// document without items must have none to give. feed-rs's `.serde.json` goldens are skipped.
fn run_realworld(root: &Path, dir: &Path) {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.retain(|f| !f.to_string_lossy().ends_with(".serde.json"));
    files.sort();
    let (mut ok, mut bad, mut apart) = (0, 0, Vec::new());
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(f).expect("readable file");
        let url = Url::parse("https://feeds.example.org/")
            .expect("valid")
            .join(&f.file_name().unwrap().to_string_lossy())
            .expect("valid");
        let result = parse_guarded(&bytes, None, &url);
        if let Some((_, why)) = NOT_FEEDS.iter().find(|(p, _)| rel.contains(p)) {
            let got = match &result {
                Ok(feed) => format!("parsed, {} entries", feed.entries.len()),
                Err(e) => format!("error: {e}"),
            };
            apart.push(format!("{rel} ({why}): {got}"));
            continue;
        }
        let has_items = ["<item", "<entry", "\"items\"", "<ITEM"]
            .iter()
            .any(|m| memchr::memmem::find(&bytes, m.as_bytes()).is_some());
        let verdict = match result {
            Err(e) => Err(e),
            Ok(feed) if feed.entries.is_empty() && has_items => Err("no entries".into()),
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
                println!("  FAIL {rel}: {e}");
            }
        }
    }
    println!(
        "real-world feeds ({}): {ok} of {} pass",
        dir.display(),
        ok + bad
    );
    for a in &apart {
        println!("  apart: {a}");
    }
}

/// The charset fixtures decode to text containing what upstream expects.
fn run_charset_routes(root: &Path) {
    let (mut ok, mut total) = (0, 0);
    for (file, content_type, want) in CHARSET_ROUTES {
        let Ok(bytes) = std::fs::read(root.join(file)) else {
            continue;
        };
        total += 1;
        let (utf8, enc) = charset::to_utf8(&bytes, *content_type);
        let text = String::from_utf8_lossy(&utf8);
        if text.contains(want) && !text.contains('\u{fffd}') {
            ok += 1;
        } else {
            println!("  FAIL charset {file} ({content_type:?}): decoded as {enc}, wanted {want:?}");
        }
    }
    println!("charset routes: {ok} of {total} decode as expected");
}

/// Per-field agreement with gofeed's translator goldens.
#[derive(Default)]
struct FieldTally {
    compared: usize,
    agreed: usize,
}

fn run_gofeed(dir: &Path) {
    let mut inputs = Vec::new();
    files_under(dir, &mut inputs);
    inputs.sort();
    let mut fields: BTreeMap<&'static str, FieldTally> = BTreeMap::new();
    let (mut files, mut unparsable) = (0, 0);
    for input in &inputs {
        let name = input.to_string_lossy();
        let golden = if name.ends_with(".xml") {
            input.with_extension("json")
        } else if name.ends_with(".json") && !name.ends_with("_expected.json") {
            PathBuf::from(name.replace(".json", "_expected.json"))
        } else {
            continue;
        };
        let Some(want) = std::fs::read(&golden)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            continue;
        };
        files += 1;
        let bytes = std::fs::read(input).expect("readable file");
        let url = Url::parse("https://feeds.example.org/feed.xml").expect("valid");
        let feed = parse_guarded(&bytes, None, &url).unwrap_or_else(|e| {
            unparsable += 1;
            if verbose() {
                println!("  UNREADABLE {name}: {e}");
            }
            ParsedFeed {
                title: None,
                entries: Vec::new(),
                charset: "",
                ttl: None,
                hubs: Default::default(),
            }
        });
        let mut record = |field: &'static str, agreed: bool, detail: String| {
            let t = fields.entry(field).or_default();
            t.compared += 1;
            if agreed {
                t.agreed += 1;
            } else if verbose() {
                println!("  DIFF {field} {name}: {detail}");
            }
        };
        if let Some(title) = want.get("title").and_then(|v| v.as_str()) {
            let ours = feed.title.as_deref().map(html_to_text).unwrap_or_default();
            record(
                "feed.title",
                ours == html_to_text(title),
                format!("{ours:?} vs {title:?}"),
            );
        }
        let items = want
            .get("items")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let raw = feed.entries.get(i).cloned();
            compare_item(item, raw, &mut record);
        }
    }
    println!(
        "gofeed translator goldens ({}): {files} files, {unparsable} unparsable",
        dir.display()
    );
    for (field, t) in &fields {
        println!(
            "  {field:<18} compared {:>4}  agreed {:>4}  rate {:5.1}%",
            t.compared,
            t.agreed,
            100.0 * t.agreed as f64 / t.compared.max(1) as f64
        );
    }
}

/// One golden item against briefwatch's entry at the same position.
fn compare_item(
    want: &serde_json::Value,
    raw: Option<briefwatch::model::RawBrief>,
    record: &mut impl FnMut(&'static str, bool, String),
) {
    let text = |m: &Option<Markup>| match m {
        Some(Markup::Html(h)) => html_to_text(h),
        Some(Markup::Text(t)) => html_to_text(&t.replace('&', "&amp;").replace('<', "&lt;")),
        None => String::new(),
    };
    let s = |k: &str| want.get(k).and_then(|v| v.as_str());
    let time = |k: &str| {
        s(k).and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    if let Some(t) = s("title") {
        let ours = raw.as_ref().map(|r| text(&r.title)).unwrap_or_default();
        record(
            "item.title",
            ours == html_to_text(t),
            format!("{ours:?} vs {t:?}"),
        );
    }
    if let Some(l) = s("link") {
        let ours = raw.as_ref().and_then(|r| r.link.clone());
        let agreed = ours.is_some() && ours == Url::parse(l).ok();
        record("item.link", agreed, format!("{ours:?} vs {l:?}"));
    }
    if let Some(g) = s("guid") {
        let ours = raw.as_ref().and_then(|r| r.guid.clone());
        record(
            "item.guid",
            ours.as_deref() == Some(g),
            format!("{ours:?} vs {g:?}"),
        );
    }
    if let Some(p) = time("publishedParsed") {
        let ours = raw.as_ref().and_then(|r| r.published);
        record(
            "item.published",
            ours == Some(p),
            format!("{ours:?} vs {p:?}"),
        );
    }
    if let Some(u) = time("updatedParsed") {
        let ours = raw.as_ref().and_then(|r| r.updated);
        record(
            "item.updated",
            ours == Some(u),
            format!("{ours:?} vs {u:?}"),
        );
    }
    if let Some(authors) = want.get("authors").and_then(|v| v.as_array()) {
        // briefwatch keeps one display name per author: the name, else the address.
        let names: Vec<String> = authors
            .iter()
            .filter_map(|a| {
                a.get("name")
                    .or_else(|| a.get("email"))
                    .and_then(|v| v.as_str())
            })
            .map(|n| n.trim().to_string())
            .collect();
        let ours = raw.as_ref().map(|r| r.authors.clone()).unwrap_or_default();
        record(
            "item.authors",
            ours == names,
            format!("{ours:?} vs {names:?}"),
        );
    }
    if let Some(c) = s("content") {
        let ours = raw.as_ref().map(|r| text(&r.content)).unwrap_or_default();
        record(
            "item.content",
            ours == html_to_text(c),
            format!("{ours:?} vs {c:?}"),
        );
    }
    if let Some(d) = s("description") {
        let ours = raw.as_ref().map(|r| text(&r.summary)).unwrap_or_default();
        record(
            "item.description",
            ours == html_to_text(d),
            format!("{ours:?} vs {d:?}"),
        );
    }
}
