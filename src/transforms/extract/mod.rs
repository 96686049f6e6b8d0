//! Main-content extraction of a whole HTML page: the article's text (paragraphs and headings), a
//! sanitised HTML rendering, and its metadata (title, byline, publication date, language).
//!
//! The body comes from our own rules ([`content`]): trafilatura's published container, furniture,
//! link-density and wild-text rules, run on the one tree the page is parsed into. Where they find
//! too little text, rs-trafilatura (the strongest Rust extractor on the article-extraction
//! benchmark, and slower: it parses the page three times) is asked instead: its plain text decides
//! what is content; its HTML, re-rendered through our own [`crate::transforms::clean`], gives
//! paragraphs and markup where it agrees with that text ([`segment`]); a body the page declares with
//! schema.org microdata bounds it ([`blocks`]). Link furniture ([`furniture`]), labels
//! ([`labels`]) and quoted posts ([`embeds`]) are handled on either path. Per-site CSS selectors
//! override all of it. Metadata comes from our own single tokenizer pass ([`meta`]), author markup
//! in the tree, and trafilatura's findings where it ran. Does not fetch: pure, no I/O.

mod blocks;
mod content;
mod embeds;
mod fields;
mod furniture;
mod labels;
mod meta;
mod segment;
#[cfg(test)]
mod tests;

use std::cell::OnceCell;

use chrono::{DateTime, FixedOffset};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::transforms::clean::{Cleaned, clean_html, clean_html_links, collapse_plain};

/// What extraction found in a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// The headline, site name removed.
    pub title: Option<String>,
    /// The author or authors, as the page names them.
    pub byline: Option<String>,
    /// When the article was first published, with the offset the page gave.
    pub published: Option<DateTime<FixedOffset>>,
    /// The main text: paragraphs separated by blank lines, headings as their own paragraphs,
    /// list items as `- ` lines; a leading headline that repeats `title` is left out. Empty when
    /// nothing article-like was found.
    pub text: String,
    /// The main content as sanitised HTML (see [`crate::transforms::clean`]), headline included;
    /// `None` when [`crate::transforms::clean::paragraphs_html`] of `text` is to be used instead (the
    /// content is only paragraphs, or lines of trafilatura's HTML had to be dropped from the text).
    pub html: Option<String>,
    /// The page's language tag (`en`, `fr-FR`...), when it declares one.
    pub lang: Option<String>,
}

/// Per-site CSS selectors that override automatic extraction field by field. A selector that is
/// absent, or matches nothing (or only blank text), falls back to the automatic result.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    /// The headline element; its text.
    pub title: Option<Selector>,
    /// The article body; every match, in document order.
    pub body: Option<Selector>,
    /// The publication date: the first match's `datetime` or `content` attribute, else its text.
    pub published: Option<Selector>,
    /// The author; the first match's text.
    pub author: Option<Selector>,
}

impl Selectors {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.body.is_none()
            && self.published.is_none()
            && self.author.is_none()
    }
}

/// Which of our own steps around rs-trafilatura run. [`Steps::default`] is what [`extract`] does;
/// the others exist to measure what each step is worth (`extract_eval --without ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Tell rs-trafilatura the page is an article instead of running its page-type classifier.
    pub article_hint: bool,
    /// When trafilatura finds one block or none, prefer the page's own text blocks.
    pub block_fallback: bool,
    /// Remove a first paragraph that repeats the title.
    pub drop_title_heading: bool,
    /// Re-render trafilatura's HTML through [`crate::transforms::clean`] (else take its plain text).
    pub clean_render: bool,
    /// Keep only the rendered paragraphs whose words occur in trafilatura's plain text (which
    /// leaves out captions, datelines and "read next" lines its HTML still has).
    pub text_agreement: bool,
    /// When the page marks one element `itemprop="articleBody"` and trafilatura's text holds that
    /// body and much more besides (teasers, listings, comments), keep the declared body.
    pub declared_body: bool,
    /// Leave out the paragraphs of trafilatura's HTML that are almost all link text (related
    /// headlines, "Read more: ..." lines, tag lists).
    pub link_blocks: bool,
    /// Leave out paragraphs that are only a date, a byline, a credit or a stock label, passages
    /// the text repeats word for word, and a trailing run of short unpunctuated lines
    /// ([`labels`]).
    pub labels: bool,
    /// Put back the embedded posts (tweets) the article quotes where trafilatura dropped them
    /// ([`embeds`]).
    pub embeds: bool,
    /// Find the body with our own one-parse rules ([`content`]) first; rs-trafilatura only where
    /// they find too little.
    pub own_first: bool,
}

impl Default for Steps {
    fn default() -> Self {
        Self {
            article_hint: true,
            block_fallback: true,
            drop_title_heading: true,
            clean_render: true,
            text_agreement: true,
            declared_body: true,
            link_blocks: true,
            labels: true,
            embeds: true,
            own_first: true,
        }
    }
}

impl Steps {
    /// The named step's switch (`article_hint`, `block_fallback`, `drop_title_heading`,
    /// `clean_render`, `text_agreement`, `declared_body`, `link_blocks`, `labels`, `embeds`,
    /// `own_first`), for command-line ablation.
    pub fn switch(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "article_hint" => Some(&mut self.article_hint),
            "block_fallback" => Some(&mut self.block_fallback),
            "drop_title_heading" => Some(&mut self.drop_title_heading),
            "clean_render" => Some(&mut self.clean_render),
            "text_agreement" => Some(&mut self.text_agreement),
            "declared_body" => Some(&mut self.declared_body),
            "link_blocks" => Some(&mut self.link_blocks),
            "labels" => Some(&mut self.labels),
            "embeds" => Some(&mut self.embeds),
            "own_first" => Some(&mut self.own_first),
            _ => None,
        }
    }
}

/// Extracts the article from a whole HTML page; `url` (the page's address) resolves relative links.
pub fn extract(html: &str, url: Option<&Url>) -> Article {
    extract_with(html, url, &Selectors::default())
}

/// Like [`extract`], with per-site selectors taking precedence where they match.
pub fn extract_with(html: &str, url: Option<&Url>, selectors: &Selectors) -> Article {
    extract_steps(html, url, selectors, &Steps::default())
}

/// Like [`extract_with`], running only the given [`Steps`] of our own.
pub fn extract_steps(
    html: &str,
    url: Option<&Url>,
    selectors: &Selectors,
    steps: &Steps,
) -> Article {
    // The metadata pass models the tree builder's stack too: a page past the bounds is rewritten
    // before any tree is built from it ([`crate::decode::depth`]).
    let mut page = meta::scan(html);
    let rewritten;
    let html = if page.exceeds_bounds {
        tracing::warn!(
            url = url.map_or("", Url::as_str),
            max_depth = crate::decode::depth::MAX_DEPTH,
            max_elements = crate::decode::depth::MAX_ELEMENTS,
            "page nests too deep or has too many elements; the start tags past the limits are dropped"
        );
        rewritten = crate::decode::depth::rewrite(html);
        page = meta::scan(&rewritten);
        rewritten.as_str()
    } else {
        html
    };
    // Scripts and styles hold no text but half the bytes, and indentation a quarter of the rest:
    // what builds trees from here on (ours, and rs-trafilatura's three when it is asked) goes
    // without them.
    let slim = page.slimmed(html);
    let html = slim.as_str();
    let ld = fields::json_ld_article(&page.json_ld);
    let mut article = Article {
        title: fields::title(&page, &ld),
        byline: fields::byline(&page, &ld),
        published: fields::published(&page, &ld),
        lang: fields::lang(&page, &ld),
        ..Article::default()
    };
    let doc = LazyDoc::new(html);
    let mut body = None;
    if !selectors.is_empty() {
        apply_selectors(doc.get(), url, selectors, &mut article, &mut body);
    }
    let automatic = body.is_none();
    let cleaned = match body {
        Some(c) => c,
        None => match steps.own_first.then(|| content::find(doc.get())).flatten() {
            Some(blocks) => {
                if article.byline.is_none() {
                    article.byline = content::byline(doc.get());
                }
                own_body(blocks, url, steps)
            }
            None => automatic_body(&doc, page.declared_bodies, url, steps, &mut article),
        },
    };
    article.text = cleaned.text;
    article.html = cleaned.html;
    if automatic
        && steps.embeds
        && page.embedded_posts > 0
        && let Some(text) = embeds::restore(doc.get(), &article.text)
    {
        article.text = text;
        article.html = None;
    }
    // A site's own body selector is taken as it is; the automatic body loses its labels.
    if automatic
        && steps.labels
        && let Some(text) = labels::tidy(&article.text)
    {
        article.text = text;
        article.html = None;
    }
    if let Some(title) = article
        .title
        .as_deref()
        .filter(|_| steps.drop_title_heading)
    {
        drop_title_heading(&mut article.text, title);
    }
    article
}

/// The page as scraper's tree, built on first use: our own rules need it, but a site whose
/// selectors find the whole body, or an ablation run without [`Steps::own_first`], may not.
struct LazyDoc<'a> {
    html: &'a str,
    doc: OnceCell<Html>,
}

impl<'a> LazyDoc<'a> {
    fn new(html: &'a str) -> Self {
        Self {
            html,
            doc: OnceCell::new(),
        }
    }

    fn get(&self) -> &Html {
        self.doc.get_or_init(|| Html::parse_document(self.html))
    }
}

/// Runs rs-trafilatura on the page; fills metadata it found that our own pass did not.
/// `declared_bodies` is how many `itemprop="articleBody"` tags the metadata pass saw.
fn automatic_body(
    doc: &LazyDoc<'_>,
    declared_bodies: usize,
    url: Option<&Url>,
    steps: &Steps,
    article: &mut Article,
) -> Cleaned {
    let html = doc.html;
    let options = rs_trafilatura::Options {
        url: url.map(Url::to_string),
        // Pages handed to extraction are briefs, i.e. articles: skipping trafilatura's page-type
        // classifier (URL rules, HTML signals, a gradient-boosted model) makes extraction 1.6-1.9x
        // faster, with the same output on every page of the local sample.
        page_type: steps
            .article_hint
            .then_some(rs_trafilatura::page_type::PageType::Article),
        ..rs_trafilatura::Options::default()
    };
    let Ok(result) = rs_trafilatura::extract_with_options(html, &options) else {
        return Cleaned::default();
    };
    let m = result.metadata;
    if article.title.is_none() {
        article.title = m.title.filter(|t| !t.trim().is_empty());
    }
    if article.byline.is_none() {
        article.byline = m.author.as_deref().and_then(fields::tidy_name);
    }
    if article.published.is_none() {
        article.published = m.date.map(|d| d.fixed_offset());
    }
    if article.lang.is_none() {
        article.lang = m.language;
    }
    // Trafilatura's own text decides what is content: one line per block.
    let text = collapse_plain(&result.content_text.replace('\n', "\n\n"));
    let rendered = result
        .content_html
        .as_deref()
        .filter(|_| steps.clean_render)
        .map(|h| clean_html_links(h, url))
        .filter(|(c, _)| !c.text.is_empty());
    let found = match rendered {
        Some((r, _)) if !steps.text_agreement => r,
        // Its HTML gives paragraph breaks and markup where it agrees with the text, and shows
        // which paragraphs are links to elsewhere.
        Some((r, links)) => {
            let furniture = if steps.link_blocks {
                furniture::link_paragraphs(&r.text, &links)
            } else {
                Vec::new()
            };
            match segment::agreeing_except(&r.text, &text, &furniture) {
                Some(t) if t.len() == r.text.len() => r,
                Some(t) => Cleaned {
                    text: t,
                    html: None,
                },
                None => Cleaned { text, html: None },
            }
        }
        // No HTML: trafilatura fell back to the page's text blocks, furniture and all.
        None if steps.clean_render && steps.link_blocks && text.contains("\n\n") => {
            let furniture = furniture::page_link_paragraphs(doc.get(), &text);
            let kept = text
                .split("\n\n")
                .zip(furniture)
                .filter_map(|(p, f)| (!f).then_some(p))
                .collect::<Vec<_>>()
                .join("\n\n");
            Cleaned {
                text: if kept.is_empty() { text } else { kept },
                html: None,
            }
        }
        None => Cleaned { text, html: None },
    };
    // Only a page with one declared body can be narrowed to it: others are not parsed for it.
    let found = if steps.declared_body && declared_bodies == 1 {
        within_declared_body(doc.get(), found)
    } else {
        found
    };
    if found.text.contains("\n\n") || !steps.block_fallback {
        return found;
    }
    // One block or none: for short articles trafilatura's baseline runs paragraphs together
    // ("said.The backlog"); the page's own blocks keep them apart where they hold the same text.
    // The baseline also runs in the headline and date, which the blocks leave out: the blocks must
    // lie almost wholly in the text and cover most of it.
    let blocks = blocks::text_blocks(doc.get());
    if segment::contained_share(&blocks, &found.text) < 0.9 {
        return found;
    }
    match segment::agreeing_over(&blocks, &found.text, 0.6) {
        Some(text) if text.contains("\n\n") => Cleaned { text, html: None },
        _ => found,
    }
}

/// The body our own rules found ([`content`]), without its link furniture, as text and as
/// sanitised HTML (links made absolute against `url`).
fn own_body(blocks: Vec<content::Block>, url: Option<&Url>, steps: &Steps) -> Cleaned {
    let blocks = if steps.link_blocks {
        let (text, links) = content::render(&blocks);
        let furniture = furniture::link_paragraphs(&text, &links);
        if furniture.iter().all(|f| *f) {
            blocks
        } else {
            blocks
                .into_iter()
                .zip(furniture)
                .filter_map(|(b, f)| (!f).then_some(b))
                .collect()
        }
    } else {
        blocks
    };
    let (text, _) = content::render(&blocks);
    let html = clean_html(&content::raw_html(&blocks), url).html;
    Cleaned { text, html }
}

/// At least this many words make a declared body worth trusting.
const MIN_DECLARED_WORDS: usize = 30;

/// Narrows `found` to the page's declared article body (see [`Steps::declared_body`]) when `found`
/// contains at least 80% of that body and is over a third longer.
fn within_declared_body(doc: &Html, found: Cleaned) -> Cleaned {
    let Some(body) = blocks::declared_body(doc) else {
        return found;
    };
    let (declared, total) = (segment::word_count(&body), segment::word_count(&found.text));
    if declared < MIN_DECLARED_WORDS || total * 3 <= declared * 4 {
        return found;
    }
    if segment::contained_share(&body, &found.text) < 0.8 {
        return found;
    }
    Cleaned {
        text: body,
        html: None,
    }
}

fn apply_selectors(
    doc: &Html,
    url: Option<&Url>,
    s: &Selectors,
    article: &mut Article,
    body: &mut Option<Cleaned>,
) {
    let first_text = |sel: &Option<Selector>| {
        let el = doc.select(sel.as_ref()?).next()?;
        let t = element_text(el);
        (!t.is_empty()).then_some(t)
    };
    if let Some(t) = first_text(&s.title) {
        article.title = Some(t);
    }
    if let Some(t) = first_text(&s.author) {
        article.byline = Some(t);
    }
    if let Some(sel) = &s.published {
        let date = doc.select(sel).next().and_then(|el| {
            let v = el.value();
            v.attr("datetime")
                .or_else(|| v.attr("content"))
                .and_then(fields::parse_date)
                .or_else(|| fields::parse_date(&element_text(el)))
        });
        if date.is_some() {
            article.published = date;
        }
    }
    if let Some(sel) = &s.body {
        let html: String = doc.select(sel).map(|el| el.html()).collect();
        let cleaned = clean_html(&html, url);
        if !cleaned.text.is_empty() {
            *body = Some(cleaned);
        }
    }
}

fn element_text(el: ElementRef<'_>) -> String {
    el.text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes a first paragraph that repeats the headline (the page's `<h1>`): the title is a field
/// of its own, and text consumers (classification, benchmarks) count it twice otherwise.
fn drop_title_heading(text: &mut String, title: &str) {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (first, rest) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    if rest.is_empty() {
        return;
    }
    let (head, title) = (words(first), words(title));
    if head.is_empty() || head.len() > 25 {
        return;
    }
    let shared = head.iter().filter(|w| title.contains(w)).count();
    let repeats = title.starts_with(&head) || shared * 4 >= head.len().max(title.len()) * 3;
    if repeats {
        *text = rest.to_string();
    }
}

/// Decodes a fetched or read HTML document the way feeds are decoded ([`crate::decode::charset`]):
/// BOM, UTF-16 without one, the HTTP charset, `<meta charset>` anywhere in the first 64 KiB (it
/// often follows long scripts), and the bytes themselves: valid UTF-8 beyond ASCII is UTF-8
/// whatever was declared, undeclared bytes that are not UTF-8 are windows-1252.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    let (utf8, _) = crate::decode::charset::html_to_utf8(body, content_type);
    match utf8 {
        std::borrow::Cow::Borrowed(b) => String::from_utf8_lossy(b).into_owned(),
        std::borrow::Cow::Owned(b) => String::from_utf8(b)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}
