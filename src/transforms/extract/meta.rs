//! Collects page metadata in one tokenizer pass (no DOM): `<title>`, `<html lang>`, meta tags
//! (OpenGraph, Dublin Core, `name=author/date`), JSON-LD blocks, `itemprop` dates, the first
//! `<time datetime>` and `rel=author` links. Does not interpret them: see [`super::fields`].

use std::cell::RefCell;
use std::ops::Range;

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};

/// Raw metadata found in a page, first occurrence wins for each meta key.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    /// Text of the first `<title>`.
    pub title: Option<String>,
    /// `<html lang>`.
    pub lang: Option<String>,
    /// `(key, content)` of `<meta property>` tags; keys lower-cased, `.` written `:` (`dc.title`
    /// and `dc:title` are one key).
    pub properties: Vec<(String, String)>,
    /// The same for `<meta name>` and `<meta itemprop>`.
    pub names: Vec<(String, String)>,
    /// Contents of `<script type="application/ld+json">` blocks.
    pub json_ld: Vec<String>,
    /// `datetime` of the first `<time>` element.
    pub time: Option<String>,
    /// `datetime`/`content` of the first element with `itemprop="datePublished"`.
    pub itemprop_published: Option<String>,
    /// Text of the first `rel="author"` link.
    pub rel_author: Option<String>,
    /// How many start tags carry `itemprop="articleBody"` (the value exactly, as the
    /// `[itemprop=articleBody]` selector matches it): the tree built from the page has an element
    /// for each, bar duplicated `<html>`/`<head>`/`<body>` tags and nested forms.
    pub declared_bodies: usize,
    /// How many `<blockquote>` start tags carry the embedded-post class
    /// ([`super::embeds::POST_CLASS`]).
    pub embedded_posts: usize,
    /// Byte ranges of the contents of `<script>` (JSON-LD excepted) and `<style>` elements: code,
    /// not text, and about half of a typical page's bytes (see [`PageMeta::slimmed`]).
    pub code: Vec<Range<usize>>,
    /// Byte ranges whose whitespace is the page's text as written: the contents of the raw-text
    /// elements kept (JSON-LD, `<textarea>`, `<noscript>`...) and of `<pre>` and `<listing>`.
    pub verbatim: Vec<Range<usize>>,
    /// Whether the page nests deeper or has more elements than a tree may be built from
    /// ([`crate::decode::depth`], modelled in this same pass).
    pub exceeds_bounds: bool,
}

impl PageMeta {
    /// The first meta tag with one of `keys` (tried in order) and non-blank content; for each key a
    /// `property` tag (the RDFa form OpenGraph and Dublin Core specify) wins over a `name` tag.
    pub fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            let k = normalize_key(k);
            lookup(&self.properties, &k).or_else(|| lookup(&self.names, &k))
        })
    }

    /// `html` (the page scanned) without the contents of its scripts and styles, and with each
    /// run of whitespace outside [`PageMeta::verbatim`] written as one character (a newline when
    /// the run holds one): the same tree with empty `<script>` and `<style>` elements and the same
    /// text as rendered, for the extractor to parse, clean and copy in about half the bytes.
    /// Indentation alone is a quarter of a typical page once its code is gone.
    pub fn slimmed(&self, html: &str) -> String {
        let mut out = String::with_capacity(html.len() / 2);
        let mut verbatim = self.verbatim.iter().peekable();
        let mut from = 0;
        let ends = self.code.iter().map(|r| (r.start, r.end));
        for (to, next) in ends.chain(std::iter::once((html.len(), html.len()))) {
            // Copies `from..to`, whitespace collapsed except within the verbatim ranges.
            let mut at = from;
            while at < to {
                while verbatim.next_if(|v| v.end <= at).is_some() {}
                match verbatim.peek() {
                    Some(v) if v.start <= at => {
                        let end = v.end.min(to);
                        out.push_str(&html[at..end]);
                        at = end;
                    }
                    Some(v) if v.start < to => {
                        push_collapsed(&mut out, &html[at..v.start]);
                        at = v.start;
                    }
                    _ => {
                        push_collapsed(&mut out, &html[at..to]);
                        at = to;
                    }
                }
            }
            from = next;
        }
        out
    }
}

/// Appends `s` with each run of two or more ASCII whitespace characters written as one: a newline
/// when the run holds one, else a space.
fn push_collapsed(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i - start > 1 {
            out.push_str(&s[copied..start]);
            out.push(if bytes[start..i].contains(&b'\n') {
                '\n'
            } else {
                ' '
            });
            copied = i;
        }
    }
    out.push_str(&s[copied..]);
}

/// The contents of the raw-text element `name` whose start tag ends at `start` and whose end
/// tag ends at `end` (tokenizer offsets), when the page's bytes confirm both tags are there.
fn contents(html: &str, start: usize, end: usize, name: &str) -> Option<Range<usize>> {
    let inner = html.get(start..end)?;
    if !html[..start].ends_with('>') || !inner.ends_with('>') {
        return None;
    }
    let close = inner.rfind("</")?;
    let tag = inner.get(close + 2..close + 2 + name.len())?;
    let after = inner[close + 2 + name.len()..].chars().next()?;
    let ends = after == '>' || after == '/' || after.is_ascii_whitespace();
    (tag.eq_ignore_ascii_case(name) && ends).then_some(start..start + close)
}

fn lookup<'a>(list: &'a [(String, String)], key: &str) -> Option<&'a str> {
    list.iter()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// Scans `html` for metadata.
pub(crate) fn scan(html: &str) -> PageMeta {
    let sink = crate::decode::tokenize_html_at(html, |offset| Sink {
        st: RefCell::new(State {
            offset,
            ..State::default()
        }),
    });
    let st = sink.st.into_inner();
    let mut meta = st.meta;
    meta.exceeds_bounds = st.bound.exceeded();
    // An element the page never closes runs to its end.
    if st.pre_depth > 0 {
        meta.verbatim.push(st.pre_start..html.len());
    }
    if st
        .raw
        .is_some_and(|c| !matches!(c, Capture::Skip("script" | "style")))
    {
        meta.verbatim.push(st.raw_start..html.len());
    }
    meta.verbatim.retain(|r| {
        r.end <= html.len() && html.is_char_boundary(r.start) && html.is_char_boundary(r.end)
    });
    meta.verbatim.sort_by_key(|r| r.start);
    meta.verbatim.dedup_by(|later, earlier| {
        // Nested or overlapping ranges (a `<textarea>` inside a `<pre>`) become one.
        let overlaps = later.start <= earlier.end;
        if overlaps {
            earlier.end = earlier.end.max(later.end);
        }
        overlaps
    });
    meta.code = st
        .code
        .into_iter()
        .filter_map(|(name, start, end)| contents(html, start, end, name))
        .filter(|r| !r.is_empty())
        .collect();
    meta
}

/// What the raw text currently being read belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    /// Dropped (script, style, ...).
    Skip(&'static str),
    Title,
    JsonLd,
}

#[derive(Default)]
struct State {
    meta: PageMeta,
    raw: Option<Capture>,
    buf: String,
    /// Inside `<a rel=author>` and its text so far.
    author_link: Option<String>,
    /// The nesting and element bound, fed every tag outside raw text.
    bound: crate::decode::depth::Bound,
    /// Where the tokenizer is in the page.
    offset: crate::decode::Offset,
    /// Where the current raw text started.
    raw_start: usize,
    /// `(name, end of start tag, end of end tag)` of each script and style element.
    code: Vec<(&'static str, usize, usize)>,
    /// Open `<pre>`/`<listing>` elements, and where the outermost one's start tag ended.
    pre_depth: usize,
    pre_start: usize,
}

struct Sink {
    st: RefCell<State>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.st.borrow_mut();
        match token {
            Token::CharacterTokens(t) => {
                match st.raw {
                    Some(Capture::Title) | Some(Capture::JsonLd) => st.buf.push_str(&t),
                    Some(Capture::Skip(_)) => {}
                    None => {
                        if let Some(a) = st.author_link.as_mut() {
                            a.push_str(&t);
                        }
                    }
                }
                TokenSinkResult::Continue
            }
            Token::TagToken(tag) => st.tag(tag),
            _ => TokenSinkResult::Continue,
        }
    }
}

fn attr<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

/// Meta keys compare case-insensitively, with `.` and `:` alike (`DC.title` is `dc:title`).
fn normalize_key(k: &str) -> String {
    k.to_ascii_lowercase().replace('.', ":")
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl State {
    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if let Some(cap) = self.raw {
            if tag.kind == TagKind::EndTag {
                let closes = match cap {
                    Capture::Skip(n) => n == name,
                    Capture::Title => name == "title",
                    Capture::JsonLd => name == "script",
                };
                if closes {
                    self.bound.tag(tag.kind, name, tag.self_closing);
                    if let Capture::Skip(n @ ("script" | "style")) = cap {
                        self.code.push((n, self.raw_start, self.offset.get()));
                    } else {
                        let end = self.offset.get();
                        self.meta
                            .verbatim
                            .push(self.raw_start..end.max(self.raw_start));
                    }
                    self.finish_raw(cap);
                }
            }
            return TokenSinkResult::Continue;
        }
        self.bound.tag(tag.kind, name, tag.self_closing);
        if matches!(name, "pre" | "listing") && !tag.self_closing {
            if tag.kind == TagKind::StartTag {
                if self.pre_depth == 0 {
                    self.pre_start = self.offset.get();
                }
                self.pre_depth += 1;
            } else if self.pre_depth > 0 {
                self.pre_depth -= 1;
                if self.pre_depth == 0 {
                    let end = self.offset.get();
                    self.meta
                        .verbatim
                        .push(self.pre_start..end.max(self.pre_start));
                }
            }
        }
        if tag.kind == TagKind::EndTag {
            if name == "a" {
                if let Some(a) = self.author_link.take() {
                    let a = a.split_whitespace().collect::<Vec<_>>().join(" ");
                    if self.meta.rel_author.is_none() && !a.is_empty() {
                        self.meta.rel_author = Some(a);
                    }
                }
            }
            return TokenSinkResult::Continue;
        }
        if name == "blockquote"
            && attr(&tag, "class")
                .is_some_and(|c| c.split_whitespace().any(|c| c == super::embeds::POST_CLASS))
        {
            self.meta.embedded_posts += 1;
        }
        match name {
            "html" if self.meta.lang.is_none() => self.meta.lang = non_blank(attr(&tag, "lang")),
            "meta" => self.meta_tag(&tag),
            "time" if self.meta.time.is_none() => {
                self.meta.time = non_blank(attr(&tag, "datetime"))
            }
            "a" if attr(&tag, "rel")
                .is_some_and(|r| r.split_whitespace().any(|r| r == "author")) =>
            {
                self.author_link = Some(String::new());
            }
            _ => {}
        }
        if let Some(prop) = attr(&tag, "itemprop") {
            if prop == "articleBody" {
                self.meta.declared_bodies += 1;
            } else if name != "meta"
                && self.meta.itemprop_published.is_none()
                && prop.eq_ignore_ascii_case("datePublished")
            {
                self.meta.itemprop_published =
                    non_blank(attr(&tag, "datetime").or_else(|| attr(&tag, "content")));
            }
        }
        // In svg and math, `<style>` and `<script>` hold markup, not raw text.
        if tag.self_closing || self.bound.in_foreign() {
            return TokenSinkResult::Continue;
        }
        let (cap, kind) = match name {
            "title" if self.meta.title.is_none() => (Capture::Title, RawKind::Rcdata),
            "title" => (Capture::Skip("title"), RawKind::Rcdata),
            "textarea" => (Capture::Skip("textarea"), RawKind::Rcdata),
            "script" => {
                let ld = attr(&tag, "type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
                let cap = if ld {
                    Capture::JsonLd
                } else {
                    Capture::Skip("script")
                };
                (cap, RawKind::ScriptData)
            }
            "style" => (Capture::Skip("style"), RawKind::Rawtext),
            "noscript" => (Capture::Skip("noscript"), RawKind::Rawtext),
            "iframe" => (Capture::Skip("iframe"), RawKind::Rawtext),
            "xmp" => (Capture::Skip("xmp"), RawKind::Rawtext),
            "noembed" => (Capture::Skip("noembed"), RawKind::Rawtext),
            "noframes" => (Capture::Skip("noframes"), RawKind::Rawtext),
            _ => return TokenSinkResult::Continue,
        };
        self.raw = Some(cap);
        self.raw_start = self.offset.get();
        self.buf.clear();
        TokenSinkResult::RawData(kind)
    }

    fn finish_raw(&mut self, cap: Capture) {
        self.raw = None;
        let text = std::mem::take(&mut self.buf);
        match cap {
            Capture::Title => {
                let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !t.is_empty() {
                    self.meta.title = Some(t);
                }
            }
            Capture::JsonLd => self.meta.json_ld.push(text),
            Capture::Skip(_) => {}
        }
    }

    fn meta_tag(&mut self, tag: &Tag) {
        let Some(content) = attr(tag, "content") else {
            return;
        };
        // `property` may hold several space-separated names (RDFa).
        for key_attr in ["property", "name", "itemprop"] {
            if let Some(keys) = attr(tag, key_attr) {
                let list = if key_attr == "property" {
                    &mut self.meta.properties
                } else {
                    &mut self.meta.names
                };
                for key in keys.split_whitespace() {
                    list.push((normalize_key(key), content.to_string()));
                }
            }
        }
    }
}
