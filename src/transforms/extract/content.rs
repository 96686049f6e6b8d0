//! Our own main-content finder on the one tree a page is parsed into: trafilatura's published
//! rules (its tree cleaning, its ordered article-container expressions, its furniture patterns,
//! its link-density tests and its recovery of "wild" text when the containers hold too little),
//! evaluated on scraper's DOM without the serialised copies and re-parses rs-trafilatura makes.
//! It answers only when the page gives it enough text to trust; otherwise extraction falls back
//! to rs-trafilatura.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use ego_tree::{NodeId, NodeRef};
use scraper::node::Element;
use scraper::{Html, Node};

/// Less text than this (in characters) from the article containers sends the search to the
/// whole page (trafilatura's `MIN_EXTRACTED_SIZE`).
const MIN_EXTRACTED_SIZE: usize = 250;
/// Less paragraph text than this in the whole page makes text directly inside `<div>`s count as
/// paragraphs too (trafilatura: three times `MIN_EXTRACTED_SIZE`).
const DIV_AS_PARAGRAPH_BELOW: usize = 750;

/// Elements removed with their content before anything is searched (trafilatura's
/// `MANUALLY_CLEANED`, plus `template`).
const REMOVED_TAGS: &[&str] = &[
    "aside", "embed", "footer", "form", "head", "iframe", "menu", "object", "script", "applet",
    "audio", "canvas", "figure", "map", "picture", "svg", "video", "area", "blink", "button",
    "datalist", "dialog", "frame", "frameset", "fieldset", "link", "input", "ins", "label",
    "legend", "marquee", "math", "menuitem", "nav", "noscript", "optgroup", "option", "output",
    "param", "progress", "rp", "rt", "rtc", "select", "source", "style", "track", "textarea",
    "time", "use", "template",
];

/// Elements whose text runs on inside the paragraph that holds them.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
    "font", "i", "img", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "tt", "u", "var", "wbr",
];

/// What kind of block a [`Block`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A paragraph (also a quote, preformatted text or a table row).
    Para,
    /// A heading.
    Heading,
    /// A list item.
    Item,
}

/// One block of the article's text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Block {
    /// What it is; `None` only while it is being built.
    pub kind: Option<Kind>,
    /// Its text, whitespace collapsed.
    pub text: String,
    /// The byte ranges of `text` that are link text, in order.
    pub links: Vec<Range<usize>>,
    /// Each link's `href` as the page gives it (empty when it has none), parallel to `links`.
    pub hrefs: Vec<String>,
    /// A heading's level (1 to 6); 0 for other blocks.
    pub level: u8,
    /// The text so far ended in whitespace: the next word is a new word even if its text node
    /// starts without any.
    space: bool,
}

impl Block {
    fn is(&self, kind: Kind) -> bool {
        self.kind == Some(kind)
    }

    fn push_words(&mut self, t: &str, link: Option<&str>) {
        let mut space = self.space || t.starts_with(char::is_whitespace);
        for w in t.split_whitespace() {
            // Text nodes that touch ("<b>S</b>tart", "<a>deal</a>.") join without a space.
            if !self.text.is_empty() && space {
                self.text.push(' ');
            }
            space = true;
            let start = self.text.len();
            self.text.push_str(w);
            if let Some(href) = link {
                match self.links.last_mut() {
                    // Words of one link are one range.
                    Some(r)
                        if r.end + 1 >= start
                            && self.hrefs.last().map(String::as_str) == Some(href) =>
                    {
                        r.end = self.text.len();
                    }
                    _ => {
                        self.links.push(start..self.text.len());
                        self.hrefs.push(href.to_string());
                    }
                }
            }
        }
        if !t.is_empty() {
            self.space = t.ends_with(char::is_whitespace);
        }
    }
}

/// The article's blocks as our text format (blank lines between blocks, `- ` before list
/// items), and the byte ranges of that text that are link text.
pub(super) fn render(blocks: &[Block]) -> (String, Vec<Range<usize>>) {
    let mut out = String::new();
    let mut links = Vec::new();
    for b in blocks {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        if b.is(Kind::Item) {
            out.push_str("- ");
        }
        let at = out.len();
        out.push_str(&b.text);
        links.extend(b.links.iter().map(|r| r.start + at..r.end + at));
    }
    (out, links)
}

/// The article's blocks as HTML for [`crate::transforms::clean::clean_html`] to sanitise:
/// paragraphs, headings at their levels, list items in lists, and links with their `href`s.
pub(super) fn raw_html(blocks: &[Block]) -> String {
    use crate::transforms::clean::{escape_attr, escape_text};
    let mut out = String::new();
    let mut in_list = false;
    for b in blocks {
        let item = b.is(Kind::Item);
        if item != in_list {
            out.push_str(if item { "<ul>" } else { "</ul>" });
            in_list = item;
        }
        let tag = match b.kind {
            Some(Kind::Heading) => format!("h{}", b.level.clamp(1, 6)),
            Some(Kind::Item) => "li".to_string(),
            _ => "p".to_string(),
        };
        out.push_str(&format!("<{tag}>"));
        let mut at = 0;
        for (r, href) in b.links.iter().zip(&b.hrefs) {
            escape_text(&mut out, &b.text[at..r.start]);
            out.push_str("<a href=\"");
            escape_attr(&mut out, href);
            out.push_str("\">");
            escape_text(&mut out, &b.text[r.clone()]);
            out.push_str("</a>");
            at = r.end;
        }
        escape_text(&mut out, &b.text[at..]);
        out.push_str(&format!("</{tag}>"));
    }
    if in_list {
        out.push_str("</ul>");
    }
    out
}

/// The article's text blocks, or `None` when the page holds too little text in the places
/// trafilatura's rules look (fewer than [`MIN_EXTRACTED_SIZE`] characters even over the whole
/// page): the caller then asks rs-trafilatura, whose fallbacks compare several extractions.
pub(super) fn find(doc: &Html) -> Option<Vec<Block>> {
    let root = doc.tree.root();
    let mut scan = Scan::default();
    scan.walk(root, false);
    let div_paragraphs = scan.p_chars < DIV_AS_PARAGRAPH_BELOW;
    let mut blocks = Vec::new();
    let mut used: Vec<NodeRef<'_, Node>> = Vec::new();
    for candidate in scan.containers.iter().flatten() {
        let node = doc.tree.get(*candidate).expect("id from this tree");
        // A container inside one already used adds nothing; one around it replaces it.
        if used
            .iter()
            .any(|u| node.ancestors().any(|a| a.id() == u.id()))
        {
            continue;
        }
        if used
            .iter()
            .any(|u| u.ancestors().any(|a| a.id() == node.id()))
        {
            blocks.clear();
        }
        used.push(node);
        let mut found = Extraction::new(node, div_paragraphs).run();
        // Chunks extend a body, never a teaser: the first must already hold an article's text.
        if Some(*candidate) == scan.containers[0] && chars(&found) >= MIN_EXTRACTED_SIZE {
            for chunk in &scan.chunks {
                let node = doc.tree.get(*chunk).expect("id from this tree");
                found.extend(Extraction::new(node, div_paragraphs).run());
            }
        }
        while matches!(found.last(), Some(b) if b.is(Kind::Heading)) {
            found.pop();
        }
        blocks.extend(found);
        if blocks.len() > 1 {
            break;
        }
    }
    if chars(&blocks) < MIN_EXTRACTED_SIZE {
        // No container holds the article: the whole page's text, or the elements whose paragraphs
        // weigh most when they hold at least half of it (the rest is sidebars and teasers).
        let body = body_of(root).unwrap_or(root);
        let whole = Extraction::new(body, true).run();
        blocks = densest(body)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|n| Extraction::new(n, true).run())
            .collect();
        if chars(&blocks) < MIN_EXTRACTED_SIZE || chars(&blocks) * 2 < chars(&whole) {
            blocks = whole;
        }
        while matches!(blocks.last(), Some(b) if b.is(Kind::Heading)) {
            blocks.pop();
        }
    }
    (chars(&blocks) >= MIN_EXTRACTED_SIZE).then_some(blocks)
}

/// The element whose paragraphs weigh most, with those of its siblings that weigh at least a fifth
/// as much and at least 10 (Readability's scoring: each paragraph of 25 or more characters scores one, one per comma
/// and one per 100 characters up to three, given whole to its parent and half to its grandparent).
fn densest(body: NodeRef<'_, Node>) -> Option<Vec<NodeRef<'_, Node>>> {
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        for c in n.children() {
            let Some(e) = c.value().as_element() else {
                continue;
            };
            if removed(e) || discarded(e) {
                continue;
            }
            if matches!(e.name(), "p" | "pre" | "td") {
                let text: String = c
                    .descendants()
                    .filter_map(|d| d.value().as_text())
                    .map(|t| &**t)
                    .collect();
                let len = text.trim().chars().count();
                if len < 25 {
                    continue;
                }
                let score = 1.0 + text.matches(',').count() as f64 + (len as f64 / 100.0).min(3.0);
                if let Some(parent) = c.parent() {
                    *scores.entry(parent.id()).or_default() += score;
                    if let Some(grand) = parent.parent() {
                        *scores.entry(grand.id()).or_default() += score / 2.0;
                    }
                }
            } else {
                stack.push(c);
            }
        }
    }
    let (id, top) = scores.iter().max_by(|a, b| a.1.total_cmp(b.1))?;
    let best = body.tree().get(*id).expect("id from this tree");
    // Siblings that score a fifth of the best, and at least 10, belong to the article too.
    let threshold = (top * 0.2).max(10.0);
    let parent = best.parent()?;
    Some(
        parent
            .children()
            .filter(|c| c.id() == best.id() || scores.get(&c.id()).is_some_and(|s| *s >= threshold))
            .collect(),
    )
}

fn chars(blocks: &[Block]) -> usize {
    blocks.iter().map(|b| b.text.chars().count() + 1).sum()
}

fn body_of(root: NodeRef<'_, Node>) -> Option<NodeRef<'_, Node>> {
    root.descendants()
        .find(|n| n.value().as_element().is_some_and(|e| e.name() == "body"))
}

fn removed(e: &Element) -> bool {
    REMOVED_TAGS.contains(&e.name()) || comments(e)
}

/// A reader comments section (trafilatura's `REMOVE_COMMENTS_XPATH`): briefs are the article.
fn comments(e: &Element) -> bool {
    if !matches!(e.name(), "div" | "ul" | "ol" | "dl" | "section") {
        return false;
    }
    let starts =
        |v: Option<&str>| v.is_some_and(|v| v.starts_with("comment") || v.starts_with("Comment"));
    let class = e.attr("class").unwrap_or("");
    let id = e.attr("id").unwrap_or("");
    starts(e.attr("id"))
        || starts(e.attr("class"))
        || class.contains("article-comments")
        || class.contains("post-comments")
        || id.starts_with("comol")
        || id.starts_with("disqus_thread")
        || id.starts_with("dsq-comments")
}

/// Hidden by attribute or inline style (part of trafilatura's discard rules).
fn hidden(e: &Element) -> bool {
    e.attr("hidden").is_some()
        || e.attr("aria-hidden") == Some("true")
        || e.attr("style").is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.contains("hidden") || s.replace(' ', "").contains("display:none")
        })
}

/// The first element matching each of trafilatura's article-container expressions, in its order
/// of preference, and how much paragraph text the cleaned page has.
#[derive(Default)]
struct Scan {
    containers: [Option<NodeId>; 5],
    /// Later elements of the same tag and class as the first match of the best expression, none
    /// inside another: publishers that split the body into chunks between advertisements.
    chunks: Vec<NodeId>,
    first_class: Option<(String, String)>,
    p_chars: usize,
}

impl Scan {
    fn walk(&mut self, node: NodeRef<'_, Node>, in_p: bool) {
        for child in node.children() {
            match child.value() {
                Node::Text(t) if in_p => self.p_chars += t.len(),
                Node::Element(e) => {
                    if removed(e) {
                        continue;
                    }
                    let mut chunk = false;
                    if let Some((name, class)) = &self.first_class
                        && e.name() == name
                        && e.attr("class") == Some(class.as_str())
                    {
                        self.chunks.push(child.id());
                        chunk = true;
                    }
                    for (i, slot) in self.containers.iter_mut().enumerate() {
                        if slot.is_none() && container_rank(e, i) {
                            *slot = Some(child.id());
                            if i == 0 {
                                self.first_class = e
                                    .attr("class")
                                    .map(|c| (e.name().to_string(), c.to_string()));
                                chunk = true;
                            }
                        }
                    }
                    // A chunk's own descendants are part of it.
                    if !chunk {
                        self.walk(child, in_p || e.name() == "p");
                    } else {
                        let class = self.first_class.take();
                        self.walk(child, in_p || e.name() == "p");
                        self.first_class = class;
                    }
                }
                _ => {}
            }
        }
    }
}

/// Fragments of class and id names that mark the article body (trafilatura's first expression),
/// compared with case, hyphens and underscores ignored: `article-body`, `article__body`,
/// `articleBody` and `article_body` are one name.
const RANK0_NAMES: &[&str] = &[
    "posttext",
    "postbody",
    "postentry",
    "postcontent",
    "articletext",
    "entrycontent",
    "articlecontent",
    "articlebody",
    "articlecontainer",
    "artcontent",
    "pagecontent",
    "textcontent",
    "bodytext",
];

/// `s` lower-cased without hyphens and underscores.
fn squashed(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn any_in(s: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| s.contains(n))
}

/// Whether `e` matches trafilatura's article-container expression number `rank` (0 best).
fn container_rank(e: &Element, rank: usize) -> bool {
    let name = e.name();
    let sectioning = matches!(name, "article" | "div" | "main" | "section");
    let class = e.attr("class").unwrap_or("");
    let id = e.attr("id").unwrap_or("");
    match rank {
        0 => {
            sectioning
                && (class == "post"
                    || class == "entry"
                    || e.attr("itemprop") == Some("articleBody")
                    || id == "articleContent"
                    || any_in(&squashed(class), RANK0_NAMES)
                    || any_in(&squashed(id), RANK0_NAMES))
        }
        1 => name == "article",
        2 => {
            sectioning
                && (matches!(
                    class,
                    "postarea" | "art-postcontent" | "text" | "cell" | "story"
                ) || matches!(id, "article" | "story")
                    || id.starts_with("primary")
                    || class.starts_with("article ")
                    || e.attr("role") == Some("article")
                    || id.contains("story-body")
                    || any_in(
                        class,
                        &[
                            "post-bodycopy",
                            "storycontent",
                            "story-content",
                            "theme-content",
                            "blog-content",
                            "section-content",
                            "single-content",
                            "single-post",
                            "main-column",
                            "wpb_text_column",
                            "story-body",
                            "field-body",
                            "fulltext",
                            "fullText",
                            "FullText",
                        ],
                    ))
        }
        3 => {
            sectioning
                && (id == "content"
                    || class == "content"
                    || any_in(
                        id,
                        &[
                            "content-main",
                            "content-body",
                            "contentBody",
                            "main-content",
                            "Main-content",
                            "main-Content",
                        ],
                    )
                    || any_in(
                        class,
                        &[
                            "content-main",
                            "content_main",
                            "content-body",
                            "content__body",
                            "main-content",
                            "Main-content",
                            "main-Content",
                            "page-content",
                            "Page-content",
                        ],
                    ))
        }
        4 => {
            name == "main"
                || (matches!(name, "article" | "div" | "section")
                    && (class.starts_with("main")
                        || id.starts_with("main")
                        || e.attr("role").is_some_and(|r| r.starts_with("main"))))
        }
        _ => false,
    }
}

/// trafilatura's discard expressions: page furniture named by class or id, comment debris,
/// hidden parts and teasers.
fn discarded(e: &Element) -> bool {
    let name = e.name();
    let class = e.attr("class").unwrap_or("");
    let id = e.attr("id").unwrap_or("");
    if hidden(e) {
        return true;
    }
    // Comment debris and hidden parts: any element.
    if class.contains("comments-title")
        || class.contains("nocomments")
        || id.starts_with("reply-")
        || class.starts_with("reply-")
        || class.contains("-reply-")
        || class.contains("message")
        || id.contains("akismet")
        || class.contains("akismet")
        || class.starts_with("hide-")
        || class.contains("hide-print")
        || id.contains("hidden")
        || class.contains("noprint")
        || class.contains(" hidden")
        || class.contains("notloaded")
        || class.to_ascii_lowercase().contains("caption")
        || [class, id].iter().any(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("gallery") || v.contains("slideshow") || v.contains("carousel")
        })
    {
        return true;
    }
    if !matches!(
        name,
        "div" | "li" | "ul" | "ol" | "dl" | "p" | "section" | "span"
    ) {
        return false;
    }
    let lower_class = class.to_ascii_lowercase();
    let lower_id = id.to_ascii_lowercase();
    let role = e.attr("role").unwrap_or("").to_ascii_lowercase();
    lower_id.contains("footer")
        || lower_class.contains("footer")
        || id.contains("related")
        || lower_class.contains("related")
        || id.contains("viral")
        || class.contains("viral")
        || id.starts_with("shar")
        || class.starts_with("shar")
        || class.contains("share-")
        || lower_id.contains("share")
        || id.contains("social")
        || class.contains("social")
        || class.contains("sociable")
        || id.contains("syndication")
        || class.contains("syndication")
        || id.starts_with("jp-")
        || id.starts_with("dpsp-content")
        || class.contains("embedded")
        || class.contains("embed")
        || id.contains("newsletter")
        || class.contains("newsletter")
        || class.contains("subnav")
        || id.contains("cookie")
        || class.contains("cookie")
        || id.contains("tags")
        || class.contains("tags")
        || id.contains("sidebar")
        || class.contains("sidebar")
        || id.contains("banner")
        || class.contains("banner")
        || class.contains("meta")
        || id.contains("menu")
        || class.contains("menu")
        || lower_id.contains("nav")
        || role.contains("nav")
        || class.starts_with("nav")
        || lower_class.contains("navigation")
        || class.contains("navbar")
        || class.contains("navbox")
        || class.starts_with("post-nav")
        || id.contains("breadcrumb")
        || class.contains("breadcrumb")
        || id.contains("bread-crumb")
        || class.contains("bread-crumb")
        || id.contains("author")
        || class.contains("author")
        || id.contains("button")
        || class.contains("button")
        || lower_class.contains("byline")
        || class.contains("rating")
        || class.starts_with("widget")
        || class.contains("attachment")
        || class.contains("timestamp")
        || class.contains("user-info")
        || class.contains("user-profile")
        || class.contains("-ad-")
        || class.contains("-icon")
        || class.contains("article-infos")
        || lower_class.contains("infoline")
        || e.attr("data-component") == Some("MostPopularStories")
        || class.contains("outbrain")
        || class.contains("taboola")
        || class.contains("criteo")
        || class.contains("options")
        || class.contains("consent")
        || class.contains("modal-content")
        || class.contains("paid-content")
        || class.contains("paidcontent")
        || id.contains("premium-")
        || id.contains("paywall")
        || class.contains("obfuscated")
        || class.contains("blurred")
        || class.contains(" ad ")
        || class.contains("next-post")
        || class.contains("side-stories")
        || class.contains("related-stories")
        || class.contains("most-popular")
        || class.contains("mol-factbox")
        || class.starts_with("ZendeskForm")
        || class.contains("message-container")
        || id.contains("message_container")
        || e.attr("data-lp-replacement-content").is_some()
        || lower_id.contains("teaser")
        || lower_class.contains("teaser")
}

/// Text and link measures of one element (dropped and removed elements left out).
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    /// Characters of text, whitespace runs counted once.
    text: usize,
    /// Links (`<a>` elements) inside.
    links: usize,
    /// Links with fewer than 10 characters of text.
    short: usize,
    /// Characters of link text.
    link_text: usize,
}

/// One container's extraction: which of its elements are dropped, then its blocks.
struct Extraction<'a> {
    root: NodeRef<'a, Node>,
    div_paragraphs: bool,
    dropped: HashSet<NodeId>,
}

impl<'a> Extraction<'a> {
    fn new(root: NodeRef<'a, Node>, div_paragraphs: bool) -> Self {
        Self {
            root,
            div_paragraphs,
            dropped: HashSet::new(),
        }
    }

    fn run(mut self) -> Vec<Block> {
        self.prune();
        let mut out = Blocks {
            div_paragraphs: self.div_paragraphs,
            blocks: Vec::new(),
            run: Block::default(),
            after_break: false,
        };
        self.emit(self.root, &mut out);
        out.flush();
        out.blocks
    }

    /// Furniture by name (kept when it would leave less than a seventh of the text), then blocks
    /// that are mostly link text: `<div>`s, then lists, then paragraphs, each pass measuring
    /// what the previous ones left.
    fn prune(&mut self) {
        let before = self.stats().get(&self.root.id()).map_or(0, |s| s.text);
        let mut named = HashSet::new();
        name_furniture(self.root, &mut named);
        self.dropped = named;
        let after = self.stats().get(&self.root.id()).map_or(0, |s| s.text);
        if after * 7 < before {
            self.dropped.clear();
        }
        for tags in [&["div"][..], &["ul", "ol", "dl"], &["p"]] {
            let stats = self.stats();
            let mut deletions = Vec::new();
            for (id, st) in &stats {
                let n = self.root.tree().get(*id).expect("id from this tree");
                let Some(e) = n.value().as_element() else {
                    continue;
                };
                if n.id() != self.root.id()
                    && tags.contains(&e.name())
                    && link_dense(n, e.name(), st)
                {
                    deletions.push(*id);
                }
            }
            self.dropped.extend(deletions);
        }
    }

    /// [`Stats`] of every element kept under the root, the root included.
    fn stats(&self) -> HashMap<NodeId, Stats> {
        fn go(
            x: &Extraction<'_>,
            n: NodeRef<'_, Node>,
            in_link: bool,
            map: &mut HashMap<NodeId, Stats>,
        ) -> Stats {
            let mut st = Stats::default();
            for c in n.children() {
                match c.value() {
                    Node::Text(t) => st.text += trimmed_len(t),
                    Node::Element(e) if !removed(e) && !x.dropped.contains(&c.id()) => {
                        let sub = go(x, c, in_link || e.name() == "a", map);
                        st.text += sub.text;
                        if e.name() == "a" {
                            st.links += 1;
                            st.link_text += sub.text;
                            st.short += usize::from(sub.text < 10);
                        } else {
                            st.links += sub.links;
                            st.link_text += sub.link_text;
                            st.short += sub.short;
                        }
                    }
                    _ => {}
                }
            }
            // Text inside a link is link text, whatever holds it (`<a><p>..</p></a>`).
            if in_link {
                st.link_text = st.text;
                st.links = st.links.max(1);
            }
            map.insert(n.id(), st);
            st
        }
        let mut map = HashMap::new();
        go(self, self.root, false, &mut map);
        map
    }

    fn is_dropped(&self, n: NodeRef<'_, Node>) -> bool {
        self.dropped.contains(&n.id())
    }

    /// Calls `f` with each text under `n` and the `href` of the link it is in, if any (`link`:
    /// the one `n` is in).
    fn each_text<'n>(
        &self,
        n: NodeRef<'n, Node>,
        link: Option<&'n str>,
        f: &mut impl FnMut(&str, Option<&str>),
    ) {
        for c in n.children() {
            match c.value() {
                Node::Text(t) => f(t, link),
                Node::Element(e) if !removed(e) && !self.is_dropped(c) => {
                    let link = if e.name() == "a" {
                        Some(e.attr("href").unwrap_or(""))
                    } else {
                        link
                    };
                    // Line breaks and blocks inside a block separate words.
                    let separates = !INLINE_TAGS.contains(&e.name());
                    if separates {
                        f(" ", None);
                    }
                    self.each_text(c, link, f);
                    if separates {
                        f(" ", None);
                    }
                }
                _ => {}
            }
        }
    }

    fn emit(&self, n: NodeRef<'_, Node>, out: &mut Blocks) {
        for c in n.children() {
            match c.value() {
                Node::Text(t) => out.run.push_words(t, None),
                Node::Element(e) => {
                    if removed(e) || self.is_dropped(c) {
                        continue;
                    }
                    match e.name() {
                        "br" | "hr" => out.line_break(),
                        "p" | "pre" => {
                            out.flush();
                            out.push(self.inline_block(c, Kind::Para));
                        }
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                            out.flush();
                            out.push(self.inline_block(c, Kind::Heading));
                        }
                        "ul" | "ol" | "dl" => {
                            out.flush();
                            self.emit_list(c, out);
                        }
                        "blockquote" if !has_blocks(c) => {
                            out.flush();
                            out.push(self.inline_block(c, Kind::Para));
                        }
                        "table" if !layout_table(c) => {
                            out.flush();
                            self.emit_rows(c, out);
                        }
                        name if INLINE_TAGS.contains(&name) && !has_blocks(c) => {
                            let link = (name == "a").then(|| e.attr("href").unwrap_or(""));
                            self.each_text(c, link, &mut |t, l| out.run.push_words(t, l));
                        }
                        _ => {
                            out.flush();
                            self.emit(c, out);
                            out.flush();
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn emit_list(&self, list: NodeRef<'_, Node>, out: &mut Blocks) {
        for item in list.children() {
            let Some(e) = item.value().as_element() else {
                continue;
            };
            if removed(e) || self.is_dropped(item) {
                continue;
            }
            match e.name() {
                "li" | "dt" | "dd" => out.push(self.inline_block(item, Kind::Item)),
                "ul" | "ol" | "dl" => self.emit_list(item, out),
                _ => {}
            }
        }
    }

    fn emit_rows(&self, table: NodeRef<'_, Node>, out: &mut Blocks) {
        let mut rows = Vec::new();
        collect_rows(self, table, &mut rows);
        for row in rows {
            let mut block = Block {
                kind: Some(Kind::Para),
                ..Block::default()
            };
            for cell in row.children() {
                if cell
                    .value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "td" | "th"))
                    && !self.is_dropped(cell)
                {
                    block.push_words(" ", None);
                    self.each_text(cell, None, &mut |t, l| block.push_words(t, l));
                }
            }
            out.push(block);
        }
    }

    /// The text under `n` as one block of `kind`, whitespace collapsed.
    fn inline_block(&self, n: NodeRef<'_, Node>, kind: Kind) -> Block {
        let mut b = Block {
            kind: Some(kind),
            ..Block::default()
        };
        self.each_text(n, None, &mut |t, l| b.push_words(t, l));
        if kind == Kind::Heading {
            b.level = n
                .value()
                .as_element()
                .and_then(|e| e.name().strip_prefix('h'))
                .and_then(|l| l.parse().ok())
                .unwrap_or(2);
        }
        b
    }
}

/// The rows of a data table, nested sections (`thead`, `tbody`) included.
fn collect_rows<'b>(x: &Extraction<'_>, n: NodeRef<'b, Node>, rows: &mut Vec<NodeRef<'b, Node>>) {
    for c in n.children() {
        if let Some(e) = c.value().as_element()
            && !removed(e)
            && !x.is_dropped(c)
        {
            if e.name() == "tr" {
                rows.push(c);
            } else {
                collect_rows(x, c, rows);
            }
        }
    }
}

/// Marks the outermost elements under `n` that [`discarded`] names as furniture.
fn name_furniture(n: NodeRef<'_, Node>, out: &mut HashSet<NodeId>) {
    for c in n.children() {
        if let Some(e) = c.value().as_element() {
            if removed(e) {
                continue;
            }
            if discarded(e) {
                out.insert(c.id());
            } else {
                name_furniture(c, out);
            }
        }
    }
}

/// trafilatura's link-density test, with its backtracking for `<div>`s: a short block that is
/// mostly link text, or mostly short links, or (a `<div>`) short with links and several children.
fn link_dense(n: NodeRef<'_, Node>, name: &str, st: &Stats) -> bool {
    if st.links == 0 {
        return false;
    }
    if st.links == 1 && st.link_text > 100 && st.link_text * 10 > st.text * 9 {
        return true;
    }
    let last = !n.next_siblings().any(|s| s.value().is_element());
    let limit = match (name == "p", last) {
        (true, true) => 60,
        (true, false) => 30,
        (false, true) => 300,
        (false, false) => 100,
    };
    if st.text < limit
        && (st.link_text * 5 > st.text * 4 || (st.links > 1 && st.short * 5 > st.links * 4))
    {
        return true;
    }
    // A list of three or more links and next to nothing else: related stories, tags, a menu.
    if matches!(name, "ul" | "ol" | "dl") && st.links >= 3 && st.link_text * 10 >= st.text * 9 {
        return true;
    }
    name == "div"
        && st.text > 0
        && st.text < 100
        && n.children().filter(|c| c.value().is_element()).count() >= 3
}

fn has_blocks(n: NodeRef<'_, Node>) -> bool {
    n.descendants().skip(1).any(|d| {
        d.value().as_element().is_some_and(|e| {
            matches!(
                e.name(),
                "p" | "div"
                    | "ul"
                    | "ol"
                    | "dl"
                    | "table"
                    | "h1"
                    | "h2"
                    | "h3"
                    | "h4"
                    | "h5"
                    | "h6"
                    | "blockquote"
                    | "pre"
                    | "section"
                    | "article"
            )
        })
    })
}

/// A table that lays out the page (it holds paragraphs, divs, lists or other tables) is walked
/// like a container; a data table gives one block a row.
fn layout_table(t: NodeRef<'_, Node>) -> bool {
    t.descendants().skip(1).any(|d| {
        d.value()
            .as_element()
            .is_some_and(|e| matches!(e.name(), "table" | "p" | "div" | "ul" | "ol"))
    })
}

fn trimmed_len(t: &str) -> usize {
    t.split_whitespace().map(|w| w.chars().count() + 1).sum()
}

/// Blocks being collected, with the run of loose text (text directly inside a container) that
/// no block has closed yet.
struct Blocks {
    div_paragraphs: bool,
    blocks: Vec<Block>,
    run: Block,
    /// The run follows a line break: loose text after a `<br>` is a paragraph even where
    /// container text is not (trafilatura's handling of line-break tails).
    after_break: bool,
}

impl Blocks {
    fn push(&mut self, b: Block) {
        if !b.text.is_empty() {
            self.blocks.push(b);
        }
    }

    fn line_break(&mut self) {
        self.close_run();
        self.after_break = true;
    }

    fn flush(&mut self) {
        self.close_run();
        self.after_break = false;
    }

    fn close_run(&mut self) {
        let mut run = std::mem::take(&mut self.run);
        if self.div_paragraphs || self.after_break {
            run.kind = Some(Kind::Para);
            self.push(run);
        }
    }
}

/// The author named in the page's markup, for pages whose metadata names none: the first element
/// that trafilatura's author expressions pick, strictest first (`rel="author"`, an `author`
/// class or id, `itemprop="author"`, a `byline` class), whose text is short enough to be names.
pub(super) fn byline(doc: &Html) -> Option<String> {
    let root = doc.tree.root();
    for strictness in 0..3 {
        let mut found = None;
        find_author(root, strictness, &mut found);
        if found.is_some() {
            return found;
        }
    }
    None
}

fn find_author(n: NodeRef<'_, Node>, strictness: usize, found: &mut Option<String>) {
    for c in n.children() {
        if found.is_some() {
            return;
        }
        let Some(e) = c.value().as_element() else {
            continue;
        };
        if matches!(
            e.name(),
            "script" | "style" | "noscript" | "template" | "head"
        ) || comments(e)
        {
            continue;
        }
        if author_rank(e, strictness) {
            // `itemprop="author"` often wraps the name in `itemprop="name"`.
            let named = c.descendants().skip(1).find(|d| {
                d.value()
                    .as_element()
                    .is_some_and(|e| e.attr("itemprop") == Some("name"))
            });
            let mut text = String::new();
            for t in named
                .unwrap_or(c)
                .descendants()
                .filter_map(|d| d.value().as_text())
            {
                for w in t.split_whitespace() {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(w);
                }
            }
            if let Some(name) = super::fields::tidy_name(&text).filter(|t| plausible_name(t)) {
                *found = Some(name);
                return;
            }
        }
        find_author(c, strictness, found);
    }
}

/// Short, a few words, no digits: a name or names, not a bio or a date line.
fn plausible_name(t: &str) -> bool {
    let words = t.split_whitespace().count();
    (1..=10).contains(&words)
        && t.chars().count() <= 80
        && t.chars().any(char::is_alphabetic)
        && !t.chars().any(|c| c.is_ascii_digit())
}

/// Whether `e` is an author element at `strictness` 0 (strict), 1 or 2 (trafilatura's three
/// author expressions).
fn author_rank(e: &Element, strictness: usize) -> bool {
    let name = e.name();
    let class = e.attr("class").unwrap_or("");
    let id = e.attr("id").unwrap_or("");
    let itemprop = e.attr("itemprop").unwrap_or("");
    match strictness {
        0 => {
            name == "author"
                || (matches!(name, "a" | "address" | "div" | "p" | "span" | "strong")
                    && (e.attr("rel") == Some("author")
                        || id == "author"
                        || class == "author"
                        || itemprop == "author name"
                        || any_in(
                            class,
                            &["author-name", "AuthorName", "authorName", "author name"],
                        )
                        || matches!(e.attr("data-testid"), Some("AuthorCard" | "AuthorURL"))))
        }
        1 => {
            matches!(name, "a" | "div" | "h3" | "h4" | "p" | "span")
                && (class.contains("author")
                    || id.contains("author")
                    || itemprop.contains("author")
                    || matches!(class, "byline" | "username" | "byl" | "BBL")
                    || any_in(class, &["submitted-by", "posted-by", "journalist-name"]))
        }
        _ => {
            let lc = class.to_ascii_lowercase();
            id.to_ascii_lowercase().contains("author")
                || lc.contains("author")
                || lc.contains("byline")
                || class.contains("screenname")
                || class.contains("channel-name")
                || class.contains("posted-by")
                || itemprop.contains("author")
                || e.attr("data-component")
                    .is_some_and(|d| d.contains("Byline"))
                || e.attr("rel").is_some_and(|r| r.contains("author"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "The ceasefire agreed in Geneva on Tuesday holds along the whole contact line, monitors said, and the first prisoners were exchanged at dawn.";
    const P2: &str = "Humanitarian convoys reached the northern towns for the first time in six weeks, carrying food, fuel and medicine for about forty thousand people.";
    const P3: &str = "Both delegations will meet again next month to agree on the reopening of the border crossings and on the return of displaced families.";

    fn text(html: &str) -> Option<String> {
        find(&Html::parse_document(html)).map(|b| render(&b).0)
    }

    fn page(body: &str) -> String {
        format!("<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
    }

    #[test]
    fn the_declared_body_wins_over_the_page_around_it() {
        let html = page(&format!(
            r#"<nav><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li></ul></nav>
            <div class="layout"><p>Breaking: markets open higher across Asia this morning.</p>
            <article><h1>Ceasefire holds</h1><div class="article__body"><p>{P1}</p><p>{P2}</p>
            <h2>What comes next</h2><p>{P3}</p></div></article>
            <div class="sidebar"><p>Most read: a very different story about a football transfer.</p></div></div>
            <footer><p>Copyright 2026 The Daily Example. All rights reserved.</p></footer>"#
        ));
        assert_eq!(
            text(&html).unwrap(),
            format!("{P1}\n\n{P2}\n\nWhat comes next\n\n{P3}")
        );
    }

    #[test]
    fn furniture_named_by_class_comments_captions_and_hidden_parts_are_left_out() {
        let html = page(&format!(
            r#"<article><p>{P1}</p>
            <div class="share-buttons"><p>Share this story with your friends and family today</p></div>
            <div class="wp-caption"><img src="a.jpg"><p class="wp-caption-text">Delegates shake hands in Geneva</p></div>
            <p>{P2}</p><div style="display: none"><p>Subscribe to read the whole of this article now</p></div>
            <div aria-hidden="true"><p>Screen readers skip this sentence entirely.</p></div>
            <div class="related-posts"><p>Another story you might like to read next</p></div>
            <p>{P3}</p>
            <div id="comments"><h3>12 comments</h3><p>First! Great article, thanks for sharing it.</p></div>
            </article>"#
        ));
        assert_eq!(text(&html).unwrap(), format!("{P1}\n\n{P2}\n\n{P3}"));
    }

    #[test]
    fn lists_of_links_go_and_prose_with_links_stays() {
        let html = page(&format!(
            r#"<article><p>{P1} <a href="/geneva">Read the agreement</a> in full.</p><p>{P2}</p>
            <ul><li><a href="/a">Markets rally as the central bank pauses</a></li>
            <li><a href="/b">Rail strike called off after a late deal</a></li>
            <li><a href="/c">Storm warning for the northern coast</a></li></ul>
            <ul><li>Prisoner exchanges at dawn</li><li>Convoys to the north</li></ul><p>{P3}</p></article>"#
        ));
        let t = text(&html).unwrap();
        assert!(t.contains("Read the agreement in full."), "{t}");
        assert!(
            t.contains("- Prisoner exchanges at dawn\n\n- Convoys to the north"),
            "{t}"
        );
        assert!(!t.contains("Markets rally"), "{t}");
    }

    #[test]
    fn a_body_split_into_chunks_is_joined_but_teasers_are_not() {
        let html = page(&format!(
            r#"<div class="grid"><div class="body__inner article-body"><p>{P1}</p><p>{P2}</p></div></div>
            <div class="ad">Advertisement</div>
            <div class="grid"><div class="body__inner article-body"><p>{P3}</p></div></div>"#
        ));
        assert_eq!(text(&html).unwrap(), format!("{P1}\n\n{P2}\n\n{P3}"));
        // A first match too short to be a body (a teaser) is not joined to others like it.
        let html = page(&format!(
            r#"<div class="teaser-text article-body"><p>Short teaser.</p></div>
            <div class="teaser-text article-body"><p>Another teaser.</p></div>
            <main><p>{P1}</p><p>{P2}</p><p>{P3}</p></main>"#
        ));
        let t = text(&html).unwrap();
        assert!(t.ends_with(&format!("{P1}\n\n{P2}\n\n{P3}")), "{t}");
        assert!(!t.contains("Another teaser"), "{t}");
    }

    #[test]
    fn without_any_container_the_pages_paragraphs_are_recovered() {
        let html = page(&format!(
            r#"<div><div><p>{P1}</p><p>{P2}</p><p>{P3}</p></div><div><p>{P3}</p><p>{P2}</p><p>{P1}</p></div></div>"#
        ));
        // Two halves that weigh alike are both the article.
        assert_eq!(
            text(&html).unwrap(),
            format!("{P1}\n\n{P2}\n\n{P3}\n\n{P3}\n\n{P2}\n\n{P1}")
        );
    }

    #[test]
    fn without_any_container_the_weightiest_paragraphs_leave_the_sidebar_out() {
        let html = page(&format!(
            r#"<div id="wrap"><div id="left"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
            <div id="right"><p>Weather tomorrow: sunny spells, light winds from the west.</p></div></div>"#
        ));
        assert_eq!(text(&html).unwrap(), format!("{P1}\n\n{P2}\n\n{P3}"));
    }

    #[test]
    fn text_between_line_breaks_makes_paragraphs() {
        let html = page(&format!(
            r#"<div class="entry-content">{P1}<br><br>{P2}<br><br>{P3}</div>"#
        ));
        assert_eq!(text(&html).unwrap(), format!("{P1}\n\n{P2}\n\n{P3}"));
    }

    #[test]
    fn too_little_text_is_left_to_the_fallback() {
        assert_eq!(text(&page("<article><p>Only a line.</p></article>")), None);
        assert_eq!(text(&page("")), None);
    }

    #[test]
    fn raw_html_keeps_headings_lists_and_links() {
        let html = page(&format!(
            r#"<article><p>{P1} <a href="/deal">The deal</a>.</p><h3>Next</h3><ul><li>One</li><li>Two</li></ul><p>{P2}</p></article>"#
        ));
        let blocks = find(&Html::parse_document(&html)).unwrap();
        let raw = raw_html(&blocks);
        assert!(raw.contains(r#"<a href="/deal">The deal</a>."#), "{raw}");
        assert!(
            raw.contains("<h3>Next</h3><ul><li>One</li><li>Two</li></ul><p>"),
            "{raw}"
        );
    }

    #[test]
    fn bylines_come_from_author_markup_strictest_first() {
        let by = |body: &str| byline(&Html::parse_document(&page(body)));
        assert_eq!(
            by(r#"<div class="meta-author">Desk</div><a rel="author" href="/a">By Jane Doe</a>"#)
                .as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            by(r#"<span itemprop="author"><img src="x.png"><span itemprop="name">Kim Lee</span> Staff</span>"#)
                .as_deref(),
            Some("Kim Lee")
        );
        // A date line or a biography is not a name.
        assert_eq!(
            by(r#"<div class="byline">Updated 12 March 2026</div>"#),
            None
        );
        assert_eq!(
            by(
                r#"<div class="author-bio">Jane has covered diplomacy for the paper since the first talks, and before that she reported from Brussels and Vienna for many years</div>"#
            ),
            None
        );
    }
}
