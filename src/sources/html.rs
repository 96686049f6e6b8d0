//! HTML sources: the brief links a `links` selector finds on a listing page (and its next page), and
//! article pages turned into raw briefs through [`crate::transforms::extract`]. Parses bytes it is
//! given; fetches nothing and writes no SQL.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::model::{HtmlSettings, Markup, RawBrief};
use crate::transforms::clean::collapse_plain;
use crate::transforms::extract::{Selectors, decode_html, extract_with};

/// The most brief links read from one listing page; the rest are left out (a listing shows tens,
/// a page of a million links is an attack on whoever follows them).
pub const MAX_LISTING_LINKS: usize = 1_000;

/// A link to a brief found on a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingLink {
    /// Absolute URL (fragment removed).
    pub url: Url,
    /// The link's text, as a fallback title.
    pub text: String,
}

/// What a listing page offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Brief links in page order, each URL once, at most [`MAX_LISTING_LINKS`].
    pub links: Vec<ListingLink>,
    /// Further distinct links past [`MAX_LISTING_LINKS`], left out.
    pub dropped: usize,
    /// The next listing page, when the page has one (and it is not the page itself).
    pub next: Option<Url>,
}

/// The compiled selectors of an HTML source's listing.
#[derive(Debug, Clone)]
pub struct ListingSelectors {
    /// Links to briefs.
    pub links: Selector,
    /// The next page link.
    pub next_page: Option<Selector>,
}

/// Compiles a source's listing selectors; `None` when `links` is missing or invalid (the config
/// loader reports that before a source can exist).
pub fn listing_selectors(h: &HtmlSettings) -> Option<ListingSelectors> {
    Some(ListingSelectors {
        links: Selector::parse(&h.links).ok()?,
        next_page: h.next_page.as_deref().and_then(|s| Selector::parse(s).ok()),
    })
}

/// Compiles a source's article selectors (absent or invalid ones fall back to automatic extraction).
pub fn article_selectors(h: Option<&HtmlSettings>) -> Selectors {
    let compile = |s: &Option<String>| s.as_deref().and_then(|s| Selector::parse(s).ok());
    match h {
        None => Selectors::default(),
        Some(h) => Selectors {
            title: compile(&h.title),
            body: compile(&h.body),
            published: compile(&h.published),
            author: compile(&h.author),
        },
    }
}

/// The brief links and next page of a listing page fetched from `page_url`. A selector may match the
/// `<a>` itself or an element around it (its first link counts).
pub fn parse_listing(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    sel: &ListingSelectors,
) -> Listing {
    let html = decode_html(body, content_type);
    let doc = Html::parse_document(&bounded(&html, page_url));
    let base = document_base(&doc, page_url);
    let mut out = Listing::default();
    let mut seen = std::collections::HashSet::new();
    for el in doc.select(&sel.links) {
        let Some((url, text)) = link_of(el, &base) else {
            continue;
        };
        if !seen.insert(url.clone()) {
            continue;
        }
        if out.links.len() < MAX_LISTING_LINKS {
            out.links.push(ListingLink { url, text });
        } else {
            out.dropped += 1;
        }
    }
    if out.dropped > 0 {
        tracing::warn!(
            url = page_url.as_str(),
            links = out.links.len() + out.dropped,
            kept = MAX_LISTING_LINKS,
            "listing page has more links than are read from one page; the rest are left out"
        );
    }
    out.next = sel
        .next_page
        .as_ref()
        .and_then(|s| doc.select(s).find_map(|el| link_of(el, &base)))
        .map(|(url, _)| url)
        .filter(|u| strip_fragment(page_url.clone()) != *u);
    out
}

/// `<base href>` when the page has one, else the page's own URL.
fn document_base(doc: &Html, page_url: &Url) -> Url {
    let sel = Selector::parse("base[href]").expect("valid selector");
    doc.select(&sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone())
}

/// `a[href]`, compiled once rather than per link.
static ANCHOR: std::sync::LazyLock<Selector> =
    std::sync::LazyLock::new(|| Selector::parse("a[href]").expect("valid selector"));

/// The absolute http(s) URL and text of an `<a href>` element, or of the first one inside `el`.
fn link_of(el: ElementRef<'_>, base: &Url) -> Option<(Url, String)> {
    let a = if el.value().name() == "a" && el.value().attr("href").is_some() {
        el
    } else {
        el.select(&ANCHOR).next()?
    };
    let href = a.value().attr("href")?.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let text = collapse_plain(&el.text().collect::<String>());
    Some((strip_fragment(url), text))
}

fn strip_fragment(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

/// A raw brief from an article page fetched from `url` (its final URL after redirects is `fetched`):
/// the article's own title, else `fallback_title` (the listing's link text, or the feed entry's).
pub fn article_brief(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    fetched: &Url,
    selectors: &Selectors,
    fallback_title: Option<&str>,
) -> RawBrief {
    let html = decode_html(body, content_type);
    let a = extract_with(&html, Some(fetched), selectors);
    let title = a
        .title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| fallback_title.map(str::to_string))
        .map(Markup::Text);
    // The extractor's text already has the paragraph and heading breaks, without page furniture
    // or a repeated headline.
    let content = (!a.text.is_empty()).then_some(Markup::Text(a.text));
    RawBrief {
        guid: Some(url.to_string()),
        link: Some(url.clone()),
        title,
        content,
        summary: None,
        authors: a.byline.into_iter().collect(),
        published: a.published.map(|d| d.with_timezone(&chrono::Utc)),
        updated: None,
        base: fetched.clone(),
    }
}

/// `html` with its nesting bounded before a tree is built from it ([`crate::decode::depth`]).
pub(crate) fn bounded<'a>(html: &'a str, url: &Url) -> std::borrow::Cow<'a, str> {
    let (html, rewritten) = crate::decode::depth::bounded(html);
    if rewritten {
        tracing::warn!(
            url = url.as_str(),
            max_depth = crate::decode::depth::MAX_DEPTH,
            max_elements = crate::decode::depth::MAX_ELEMENTS,
            "page nests too deep or has too many elements; the start tags past the limits are dropped"
        );
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(links: &str, next: Option<&str>) -> ListingSelectors {
        listing_selectors(&HtmlSettings {
            links: links.into(),
            next_page: next.map(Into::into),
            ..HtmlSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn listing_links_are_absolute_unique_and_in_page_order() {
        let page = br#"<html><body><nav><a href="/about">About</a></nav>
            <article class="brief"><h2><a href="/b/2#top">Second &amp; more</a></h2></article>
            <article class="brief"><h2><a href="b/1">First</a></h2></article>
            <article class="brief"><h2><a href="/b/2">Second again</a></h2></article>
            <article class="brief"><h2><a href="javascript:void(0)">Script</a></h2></article>
            <a class="next" href="?page=2">Older</a></body></html>"#;
        let url = Url::parse("https://site.example/briefs/").unwrap();
        let l = parse_listing(page, None, &url, &sel("article.brief h2", Some("a.next")));
        let got: Vec<(&str, &str)> = l
            .links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("https://site.example/b/2", "Second & more"),
                ("https://site.example/briefs/b/1", "First")
            ]
        );
        assert_eq!(
            l.next.unwrap().as_str(),
            "https://site.example/briefs/?page=2"
        );
    }

    #[test]
    fn base_href_is_honoured_and_a_self_link_is_no_next_page() {
        let page = br#"<html><head><base href="https://cdn.example/x/"></head><body>
            <a class="b" href="one">One</a><a class="next" href="https://site.example/list">Next</a></body></html>"#;
        let url = Url::parse("https://site.example/list").unwrap();
        let l = parse_listing(page, None, &url, &sel("a.b", Some("a.next")));
        assert_eq!(l.links[0].url.as_str(), "https://cdn.example/x/one");
        assert_eq!(l.next, None);
    }

    #[test]
    fn article_pages_become_raw_briefs_with_the_link_text_as_fallback_title() {
        let page = br#"<html><body><div class="content"><p>Body of the brief, long enough to be an article paragraph.</p></div></body></html>"#;
        let url = Url::parse("https://site.example/b/1").unwrap();
        let h = HtmlSettings {
            body: Some("div.content".into()),
            ..HtmlSettings::default()
        };
        let raw = article_brief(
            page,
            None,
            &url,
            &url,
            &article_selectors(Some(&h)),
            Some("Link text"),
        );
        let b = crate::transforms::normalize::normalize(raw);
        assert_eq!(b.title, "Link text");
        assert_eq!(b.guid, "https://site.example/b/1");
        assert!(b.text.starts_with("Body of the brief"), "{}", b.text);
    }

    #[test]
    fn a_listing_keeps_at_most_the_cap_of_distinct_links_in_page_order() {
        let mut page = String::from("<ul>");
        for i in 0..(MAX_LISTING_LINKS + 250) {
            // Every link twice: duplicates count once.
            page.push_str(&format!(
                "<li><a href=\"/b/{i}\">Brief {i}</a><a href=\"/b/{i}\">again</a>"
            ));
        }
        let url = Url::parse("https://think.example.org/briefs/").unwrap();
        let sel = ListingSelectors {
            links: Selector::parse("li a").unwrap(),
            next_page: None,
        };
        let l = parse_listing(page.as_bytes(), Some("text/html"), &url, &sel);
        assert_eq!(l.links.len(), MAX_LISTING_LINKS);
        assert_eq!(l.dropped, 250);
        assert_eq!(l.links[0].url.as_str(), "https://think.example.org/b/0");
        assert_eq!(l.links[0].text, "Brief 0");
        assert_eq!(l.links[999].url.as_str(), "https://think.example.org/b/999");
    }
}
