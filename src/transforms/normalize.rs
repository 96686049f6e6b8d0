//! Turns a [`RawBrief`] as a source parsed it into a stored-ready [`Brief`]: stable guid, plain text,
//! sanitised HTML and a content hash. Pure.

use xxhash_rust::xxh3::xxh3_64;

use crate::model::{Brief, Markup, RawBrief};
use crate::transforms::canonicalize::canonicalize;
pub use crate::transforms::clean::paragraphs_html;
use crate::transforms::clean::{Cleaned, clean_html, collapse_plain, html_to_text};
use crate::transforms::fingerprint;

/// The longest brief text kept, in bytes; longer text is cut at a word boundary and marked. (A
/// long report's text is well under 100 KB; a feed entry of megabytes is an attack or a mistake.)
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// The longest title kept, in bytes.
pub const MAX_TITLE_BYTES: usize = 2 * 1024;

/// The longest publisher id kept as it is; a longer one is replaced by its hash.
pub const MAX_GUID_BYTES: usize = 1024;

/// What marks a cut text or title.
const CUT_MARK: &str = " […]";

/// Normalises one raw entry.
pub fn normalize(raw: RawBrief) -> Brief {
    let title = cut(plain_title(&raw), MAX_TITLE_BYTES);
    let body = raw
        .content
        .as_ref()
        .filter(|m| !markup_is_blank(m))
        .or(raw.summary.as_ref());
    let Cleaned { text, html } = match body {
        Some(Markup::Html(h)) => clean_html(h, Some(&raw.base)),
        Some(Markup::Text(t)) => clean_html(&paragraphs_html(t), None),
        None => Cleaned::default(),
    };
    let long = text.len() > MAX_TEXT_BYTES;
    let text = cut(text, MAX_TEXT_BYTES);
    // The markup of a cut text no longer matches it: the text alone is kept.
    let html = html.filter(|_| !long);
    let url = raw.link.as_ref().map(|u| u.to_string());
    let canonical_url = raw.link.as_ref().map(|u| canonicalize(u).to_string());
    let signature = fingerprint::signature(&title, &text);
    let guid = stable_guid(&raw, url.as_deref(), || title.clone());
    let content_hash = content_hash(&title, &text);
    let author = (!raw.authors.is_empty()).then(|| raw.authors.join(", "));
    Brief {
        guid,
        url,
        canonical_url,
        title,
        text,
        html,
        author,
        published: raw.published.or(raw.updated),
        updated: raw.updated,
        content_hash,
        signature,
        topics: Vec::new(),
        entities: Vec::new(),
    }
}

/// `s` cut to at most `max` bytes (mark included) at a word boundary when there is one nearby.
fn cut(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max - CUT_MARK.len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if let Some(space) = s[..end]
        .rfind(char::is_whitespace)
        .filter(|&i| i + 200 >= end)
    {
        end = space;
    }
    s.truncate(end);
    s.push_str(CUT_MARK);
    s
}

fn markup_is_blank(m: &Markup) -> bool {
    match m {
        Markup::Text(t) | Markup::Html(t) => t.trim().is_empty(),
    }
}

fn plain_title(raw: &RawBrief) -> String {
    match &raw.title {
        Some(Markup::Text(t)) => collapse_plain(t),
        Some(Markup::Html(h)) => html_to_text(h),
        None => String::new(),
    }
}

/// The guid [`normalize`] gives `raw`, without normalising the rest of it (cheap unless the entry
/// has neither an id nor a link): for asking the store whether an entry is known before
/// processing it.
pub fn guid_of(raw: &RawBrief) -> String {
    let url = raw.link.as_ref().map(|u| u.to_string());
    stable_guid(raw, url.as_deref(), || plain_title(raw))
}

/// The publisher's id when it has one, else the link, else a hash of title and date.
fn stable_guid(raw: &RawBrief, url: Option<&str>, title: impl FnOnce() -> String) -> String {
    if let Some(g) = raw.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        if g.len() > MAX_GUID_BYTES {
            return format!(
                "urn:briefwatch:long-id:{:032x}",
                xxhash_rust::xxh3::xxh3_128(g.as_bytes())
            );
        }
        return g.to_string();
    }
    if let Some(u) = url {
        return u.to_string();
    }
    let date = raw
        .published
        .or(raw.updated)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default();
    let title = title();
    format!(
        "urn:briefwatch:{:016x}",
        xxh3_64(format!("{title}\u{1f}{date}").as_bytes())
    )
}

/// Hash of a brief's title and text, ignoring case. Both arrive normalised (whitespace collapsed by
/// cleaning), so entries that read the same hash the same.
pub fn content_hash(title: &str, text: &str) -> i64 {
    let mut norm = String::with_capacity(title.len() + text.len() + 1);
    norm.push_str(title);
    norm.push('\u{1f}');
    norm.push_str(text);
    if norm.is_ascii() {
        norm.make_ascii_lowercase();
    } else {
        norm = norm.to_lowercase();
    }
    xxh3_64(norm.as_bytes()) as i64
}

/// Stable 64-bit hash of a guid, the per-source unique key in the store.
pub fn guid_hash(guid: &str) -> i64 {
    xxh3_64(guid.as_bytes()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use url::Url;

    fn raw() -> RawBrief {
        RawBrief {
            guid: None,
            link: None,
            title: Some(Markup::Html("Iran &amp; the <b>plot</b>".into())),
            content: None,
            summary: Some(Markup::Html(
                "<p>One</p><p>Two <a href=\"/x\">link</a></p>".into(),
            )),
            authors: vec!["A. Writer".into(), "B. Editor".into()],
            published: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            updated: None,
            base: Url::parse("https://example.org/feed.xml").unwrap(),
        }
    }

    #[test]
    fn huge_titles_texts_and_ids_are_cut_to_their_limits() {
        let mut r = raw();
        let word = "plot ";
        r.title = Some(Markup::Text(word.repeat(2_000)));
        r.summary = Some(Markup::Html(format!(
            "<p>{}</p>",
            "ceasefire ".repeat(60_000)
        )));
        r.guid = Some("x".repeat(5_000));
        let b = normalize(r.clone());
        assert!(b.title.len() <= MAX_TITLE_BYTES && b.title.ends_with(" […]"));
        assert!(b.title.starts_with("plot plot"));
        assert!(b.text.len() <= MAX_TEXT_BYTES && b.text.ends_with("ceasefire […]"));
        assert_eq!(b.html, None, "the markup of a cut text is dropped");
        assert!(b.guid.starts_with("urn:briefwatch:long-id:") && b.guid.len() < 100);
        assert_eq!(b.guid, guid_of(&r), "the store's lookup agrees");
        // Multi-byte text is cut on a character boundary.
        r.summary = Some(Markup::Text("é".repeat(MAX_TEXT_BYTES)));
        assert!(normalize(r).text.ends_with("é […]"));
    }

    #[test]
    fn guid_falls_back_from_id_to_link_to_hash() {
        let mut r = raw();
        let hashed = normalize(r.clone()).guid;
        assert!(hashed.starts_with("urn:briefwatch:"));
        assert_eq!(hashed, normalize(r.clone()).guid, "hash guid is stable");
        r.link = Some(Url::parse("https://example.org/a").unwrap());
        assert_eq!(normalize(r.clone()).guid, "https://example.org/a");
        r.guid = Some(" tag:example.org,2026:1 ".into());
        assert_eq!(normalize(r).guid, "tag:example.org,2026:1");
    }

    #[test]
    fn guid_of_is_the_guid_normalize_gives() {
        let mut r = raw();
        assert_eq!(guid_of(&r), normalize(r.clone()).guid, "hashed");
        r.link = Some(Url::parse("https://example.org/a?b=1#c").unwrap());
        assert_eq!(guid_of(&r), normalize(r.clone()).guid, "link");
        r.guid = Some("  ".into());
        assert_eq!(guid_of(&r), normalize(r.clone()).guid, "blank id");
        r.guid = Some("id-1".into());
        assert_eq!(guid_of(&r), normalize(r).guid, "id");
    }

    #[test]
    fn title_and_text_are_plain_and_links_absolute() {
        let b = normalize(raw());
        assert_eq!(b.title, "Iran & the plot");
        assert_eq!(b.text, "One\n\nTwo link");
        let html = b.html.unwrap();
        assert!(html.contains("href=\"https://example.org/x\""), "{html}");
        assert_eq!(b.author.as_deref(), Some("A. Writer, B. Editor"));
    }

    #[test]
    fn html_that_is_only_paragraphs_is_not_kept() {
        let mut r = raw();
        r.summary = Some(Markup::Html("<p>Tom &amp; Jerry</p>\n<p>Two</p>".into()));
        let b = normalize(r);
        assert_eq!(b.html, None);
        assert_eq!(paragraphs_html(&b.text), "<p>Tom &amp; Jerry</p><p>Two</p>");
    }

    #[test]
    fn content_hash_ignores_case_and_markup_spacing() {
        let hash = |title: &str, body: &str| {
            let mut r = raw();
            r.title = Some(Markup::Text(title.into()));
            r.summary = Some(Markup::Html(body.into()));
            normalize(r).content_hash
        };
        assert_eq!(hash("A  b", "<p>c\n  d</p>"), hash("a B", "C d"));
        assert_eq!(content_hash("Été", ""), content_hash("été", ""));
        assert_ne!(content_hash("a", "b"), content_hash("a", "c"));
    }
}
