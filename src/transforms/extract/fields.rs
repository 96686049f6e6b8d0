//! Turns raw page metadata into an article's title, byline, publication date and language:
//! JSON-LD first, then OpenGraph and other meta tags, then `<time>` and `<title>` (site name stripped).

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::meta::PageMeta;
use crate::decode::dates::parse_feed_date;

/// `@type`s whose JSON-LD objects describe the article itself.
const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
    "SocialMediaPosting",
];

/// What JSON-LD says about the article.
#[derive(Debug, Default)]
pub(crate) struct JsonLdArticle {
    pub headline: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub lang: Option<String>,
}

/// The first article object in the page's JSON-LD blocks (top level, arrays and `@graph`).
pub(crate) fn json_ld_article(blocks: &[String]) -> JsonLdArticle {
    for block in blocks {
        let Some(v) = parse_json_ld(block) else {
            continue;
        };
        if let Some(obj) = find_article(&v, 0) {
            return JsonLdArticle {
                headline: str_field(obj, &["headline", "name"]),
                author: author_names(obj.get("author").or_else(|| obj.get("creator"))),
                published: str_field(obj, &["datePublished", "dateCreated"]),
                lang: str_field(obj, &["inLanguage"]),
            };
        }
    }
    JsonLdArticle::default()
}

/// Parses a JSON-LD block, tolerating CDATA wrappers, HTML comments and a trailing semicolon.
fn parse_json_ld(block: &str) -> Option<Value> {
    let mut s = block.trim();
    for (open, close) in [("<![CDATA[", "]]>"), ("<!--", "-->")] {
        if let Some(rest) = s.strip_prefix(open) {
            s = rest.strip_suffix(close).unwrap_or(rest).trim();
        }
    }
    let s = s.trim_end_matches(';').trim();
    serde_json::from_str(s).ok()
}

fn is_article(obj: &serde_json::Map<String, Value>) -> bool {
    let is = |t: &str| {
        let t = t.rsplit(['/', ':']).next().unwrap_or(t);
        ARTICLE_TYPES.contains(&t)
    };
    match obj.get("@type") {
        Some(Value::String(t)) => is(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

fn find_article(v: &Value, depth: usize) -> Option<&serde_json::Map<String, Value>> {
    if depth > 4 {
        return None;
    }
    match v {
        Value::Array(items) => items.iter().find_map(|i| find_article(i, depth + 1)),
        Value::Object(obj) if is_article(obj) => Some(obj),
        Value::Object(obj) => obj
            .get("@graph")
            .or_else(|| obj.get("mainEntity"))
            .and_then(|g| find_article(g, depth + 1)),
        _ => None,
    }
}

fn str_field(obj: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match obj.get(*k)? {
        Value::String(s) => clean_text(s),
        Value::Array(a) => a.iter().find_map(Value::as_str).and_then(clean_text),
        _ => None,
    })
}

/// `author` as a string, a Person/Organization object, or an array of those: names joined by ", ".
fn author_names(v: Option<&Value>) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |v: &Value| {
        let name = match v {
            Value::String(s) => clean_text(s),
            Value::Object(o) => o.get("name").and_then(Value::as_str).and_then(clean_text),
            _ => None,
        };
        if let Some(n) = name.filter(|n| !n.starts_with("http") && !names.contains(n)) {
            names.push(n);
        }
    };
    match v? {
        Value::Array(items) => items.iter().for_each(&mut push),
        other => push(other),
    }
    (!names.is_empty()).then(|| names.join(", "))
}

/// A person's name as found in page furniture: whitespace collapsed, a leading "By" and
/// surrounding punctuation ("Ana Lima —") removed.
pub(crate) fn tidy_name(s: &str) -> Option<String> {
    let t = clean_text(s)?;
    let t = t.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != ')');
    let t = t
        .strip_prefix("By ")
        .or_else(|| t.strip_prefix("by "))
        .unwrap_or(t)
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn clean_text(s: &str) -> Option<String> {
    let t = crate::transforms::clean::html_to_text(s);
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// Title: JSON-LD headline, OpenGraph/Twitter/Dublin Core title, else `<title>` without the site name.
pub(crate) fn title(meta: &PageMeta, ld: &JsonLdArticle) -> Option<String> {
    let site = meta.get(&["og:site_name", "application-name"]);
    if let Some(t) = ld.headline.clone().or_else(|| {
        // Readability's order, the reference for title accuracy.
        meta.get(&[
            "dc:title",
            "dcterm:title",
            "dcterms:title",
            "og:title",
            "title",
            "twitter:title",
            "parsely-title",
        ])
        .and_then(clean_text)
    }) {
        return Some(strip_site_name(&t, site, false));
    }
    meta.title
        .as_deref()
        .and_then(clean_text)
        .map(|t| strip_site_name(&t, site, true))
}

const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " / "];

/// Removes a site name from the end (or start) of a title. With `guess`, a last segment after a
/// separator is removed even when the site name is unknown, provided three words remain.
pub(crate) fn strip_site_name(title: &str, site: Option<&str>, guess: bool) -> String {
    if let Some(site) = site.map(str::trim).filter(|s| !s.is_empty()) {
        for sep in SEPARATORS {
            let suffix = format!("{sep}{site}");
            if title.len() > suffix.len() && ends_with_ci(title, &suffix) {
                return title[..title.len() - suffix.len()].trim().to_string();
            }
            let prefix = format!("{site}{sep}");
            if title.len() > prefix.len() && starts_with_ci(title, &prefix) {
                return title[prefix.len()..].trim().to_string();
            }
        }
    }
    if !guess {
        return title.to_string();
    }
    let Some((i, sep)) = SEPARATORS
        .iter()
        .filter_map(|s| title.rfind(s).map(|i| (i, *s)))
        .max_by_key(|(i, _)| *i)
    else {
        return title.to_string();
    };
    let head = title[..i].trim();
    if head.split_whitespace().count() >= 3 {
        return head.to_string();
    }
    // "Site | A title": keep what follows the first separator when that is long enough.
    let first = SEPARATORS
        .iter()
        .filter_map(|s| title.find(s).map(|j| (j, s.len())))
        .min_by_key(|(j, _)| *j);
    if let Some((j, len)) = first {
        let tail = title[j + len..].trim();
        if tail.split_whitespace().count() >= 3 && j < i + sep.len() {
            return tail.to_string();
        }
    }
    title.to_string()
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Byline: JSON-LD author, then author meta tags (URLs skipped), then a `rel=author` link.
pub(crate) fn byline(meta: &PageMeta, ld: &JsonLdArticle) -> Option<String> {
    if ld.author.is_some() {
        return ld.author.clone();
    }
    let from_meta = [
        "dc:creator",
        "dcterm:creator",
        "dcterms:creator",
        "author",
        "article:author",
        "parsely-author",
        "sailthru.author",
        "byl",
    ]
    .iter()
    .find_map(|k| {
        meta.get(&[k])
            .filter(|v| !v.starts_with("http"))
            .and_then(tidy_name)
    });
    from_meta.or_else(|| meta.rel_author.as_deref().and_then(tidy_name))
}

/// Publication date: JSON-LD, then meta tags, then `itemprop=datePublished`, then the first `<time>`.
pub(crate) fn published(meta: &PageMeta, ld: &JsonLdArticle) -> Option<DateTime<FixedOffset>> {
    const KEYS: &[&str] = &[
        "article:published_time",
        "og:published_time",
        "datepublished",
        "date",
        "dc:date",
        "dc:date:issued",
        "dcterms:issued",
        "dcterms:created",
        "pubdate",
        "publish-date",
        "publishdate",
        "parsely-pub-date",
        "sailthru.date",
        "article:publicationdate",
    ];
    ld.published
        .as_deref()
        .and_then(parse_date)
        .or_else(|| {
            KEYS.iter()
                .find_map(|k| meta.get(&[k]).and_then(parse_date))
        })
        .or_else(|| meta.itemprop_published.as_deref().and_then(parse_date))
        .or_else(|| meta.time.as_deref().and_then(parse_date))
}

/// Parses a date, keeping its UTC offset when it has one (RFC 3339), else through the feed parser.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| parse_feed_date(s).map(|d| d.fixed_offset()))
}

/// Language: `<html lang>`, then JSON-LD `inLanguage`, then `og:locale` / `content-language`.
pub(crate) fn lang(meta: &PageMeta, ld: &JsonLdArticle) -> Option<String> {
    meta.lang.clone().or_else(|| ld.lang.clone()).or_else(|| {
        meta.get(&["og:locale", "content-language", "dc:language"])
            .map(|l| l.replace('_', "-"))
    })
}
