//! Finding a site's feeds, or a way to read it without one: feeds announced with
//! `<link rel="alternate">`, the common feed paths to try, and a proposed `links` selector from the
//! page's repeated article links. Parses pages it is given; fetches nothing.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// Paths where sites commonly serve a feed, tried when a page announces none.
pub const COMMON_FEED_PATHS: &[&str] = &[
    "/feed",
    "/feed/",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/posts/default",
    "/?feed=rss2",
];

/// A feed a page announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncedFeed {
    /// Absolute URL.
    pub url: Url,
    /// The link's title attribute.
    pub title: Option<String>,
    /// Its declared media type.
    pub media_type: String,
}

/// Feeds announced by `<link rel="alternate" type="…rss|atom|feed+json…">`, each once.
pub fn announced_feeds(html: &str, page: &Url) -> Vec<AnnouncedFeed> {
    let doc = Html::parse_document(&super::html::bounded(html, page));
    let sel = Selector::parse("link[rel][href]").expect("valid selector");
    let mut out: Vec<AnnouncedFeed> = Vec::new();
    for el in doc.select(&sel) {
        let v = el.value();
        let rel = v.attr("rel").unwrap_or_default().to_ascii_lowercase();
        let media_type = v.attr("type").unwrap_or_default().to_ascii_lowercase();
        let feedish = ["rss", "atom", "feed+json", "application/json"]
            .iter()
            .any(|t| media_type.contains(t));
        if !rel.split_whitespace().any(|r| r == "alternate") || !feedish {
            continue;
        }
        let Some(url) = v.attr("href").and_then(|h| page.join(h.trim()).ok()) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") && !out.iter().any(|f| f.url == url) {
            out.push(AnnouncedFeed {
                url,
                title: v.attr("title").map(|t| t.trim().to_string()),
                media_type,
            });
        }
    }
    out
}

/// A proposed `links` selector for an HTML source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinksProposal {
    /// The CSS selector.
    pub selector: String,
    /// The links it selects (URL and text), in page order.
    pub links: Vec<(Url, String)>,
}

/// Links within these are site furniture, not briefs.
const FURNITURE: &[&str] = &["nav", "header", "footer", "aside", "form"];

/// The group of same-site links that looks most like a list of briefs: links that share their
/// place in the page (the tags and first classes of their two nearest ancestors), with headline-like
/// texts, at least three distinct URLs, outside navigation, header, footer and asides.
pub fn propose_links_selector(html: &str, page: &Url) -> Option<LinksProposal> {
    let doc = Html::parse_document(&super::html::bounded(html, page));
    let anchors = Selector::parse("a[href]").expect("valid selector");
    let mut groups: HashMap<String, Vec<(Url, String)>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for a in doc.select(&anchors) {
        let Some(url) = a
            .value()
            .attr("href")
            .and_then(|h| page.join(h.trim()).ok())
        else {
            continue;
        };
        let same_site =
            url.host_str() == page.host_str() && matches!(url.scheme(), "http" | "https");
        let mut bare = url.clone();
        bare.set_fragment(None);
        let mut this = page.clone();
        this.set_fragment(None);
        if !same_site || bare == this || bare.path() == "/" {
            continue;
        }
        let ancestors: Vec<ElementRef<'_>> = a.ancestors().filter_map(ElementRef::wrap).collect();
        if ancestors
            .iter()
            .any(|e| FURNITURE.contains(&e.value().name()))
        {
            continue;
        }
        let text = a
            .text()
            .flat_map(str::split_whitespace)
            .collect::<Vec<_>>()
            .join(" ");
        let key = ancestors
            .iter()
            .take(2)
            .rev()
            .map(|e| step(*e))
            .chain(std::iter::once("a".to_string()))
            .collect::<Vec<_>>()
            .join(" ");
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        let group = groups.entry(key).or_default();
        if !group.iter().any(|(u, _)| *u == bare) {
            group.push((bare, text));
        }
    }
    let score = |links: &[(Url, String)]| -> usize {
        let texts: usize = links.iter().map(|(_, t)| t.chars().count().min(80)).sum();
        let avg = texts / links.len().max(1);
        if links.len() < 3 || avg < 12 {
            0
        } else {
            links.len() * avg
        }
    };
    let best = order
        .into_iter()
        .map(|k| {
            let s = score(&groups[&k]);
            (s, k)
        })
        .filter(|(s, _)| *s > 0)
        .max_by_key(|(s, _)| *s)?;
    let links = groups.remove(&best.1)?;
    Some(LinksProposal {
        selector: best.1,
        links,
    })
}

/// One element of a selector: its tag and first class, when the class is a plain CSS identifier.
fn step(e: ElementRef<'_>) -> String {
    let tag = e.value().name();
    let class = e.value().classes().find(|c| {
        c.chars().next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    });
    match class {
        Some(c) => format!("{tag}.{c}"),
        None => tag.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAGE: std::sync::LazyLock<Url> =
        std::sync::LazyLock::new(|| Url::parse("https://think.example/briefs/").unwrap());

    #[test]
    fn alternate_links_are_found_and_resolved() {
        let html = r#"<html><head>
            <link rel="alternate" type="application/rss+xml" title="Briefs" href="/briefs/feed">
            <link rel="alternate" type="application/atom+xml" href="https://think.example/atom.xml">
            <link rel="alternate" hreflang="fr" href="/fr/">
            <link rel="stylesheet" type="text/css" href="/s.css"></head></html>"#;
        let f = announced_feeds(html, &PAGE);
        let urls: Vec<&str> = f.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://think.example/briefs/feed",
                "https://think.example/atom.xml"
            ]
        );
        assert_eq!(f[0].title.as_deref(), Some("Briefs"));
    }

    #[test]
    fn the_repeated_headline_links_are_proposed_not_the_navigation() {
        let html = r#"<html><body><header><nav><a href="/a">About us and our mission</a><a href="/b">Contact the editorial team</a><a href="/c">Our experts and fellows</a></nav></header>
            <main>
            <article class="blog-item"><h2 class="t"><a href="/briefs/1">Iran denies assassination plot</a></h2><a href="/briefs/1">Read more</a></article>
            <article class="blog-item"><h2 class="t"><a href="/briefs/2">Israel and Hamas reach ceasefire</a></h2><a href="/briefs/2">Read more</a></article>
            <article class="blog-item"><h2 class="t"><a href="/briefs/3">Sanctions relief talks stall in Vienna</a></h2><a href="/briefs/3">Read more</a></article>
            </main><footer><a href="/x">Privacy policy and cookie notice</a></footer></body></html>"#;
        let p = propose_links_selector(html, &PAGE).unwrap();
        assert_eq!(p.selector, "article.blog-item h2.t a");
        assert_eq!(p.links.len(), 3);
        assert_eq!(p.links[1].1, "Israel and Hamas reach ceasefire");
        let sel = Selector::parse(&p.selector).unwrap();
        assert_eq!(Html::parse_document(html).select(&sel).count(), 3);
    }

    #[test]
    fn a_page_without_repeated_links_gets_no_proposal() {
        let html = r#"<html><body><p><a href="/one">A single link to somewhere else</a></p></body></html>"#;
        assert_eq!(propose_links_selector(html, &PAGE), None);
    }
}
