//! Cleans HTML fragments in one tokenizer pass: plain text with paragraph breaks, and allow-listed HTML.
//!
//! The output HTML is rebuilt from tokens (never copied from the input): only allow-listed tags and
//! attributes survive, every text and attribute value is escaped, URLs are made absolute and limited to
//! safe schemes, and unclosed tags are closed. Script, style and similar elements are dropped with their
//! contents. Does not fetch anything and does not build a DOM.

use std::cell::RefCell;
use std::ops::Range;

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};
use url::Url;

/// The two renderings of one HTML fragment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Plain text: entities decoded, whitespace collapsed, paragraphs separated by a blank line.
    pub text: String,
    /// Sanitised HTML safe to show in a page or an email; `None` when it would be exactly
    /// [`paragraphs_html`] of `text` (the common case, rebuilt on demand instead of stored).
    pub html: Option<String>,
}

impl Cleaned {
    /// The sanitised HTML, rebuilt from the text when it was only paragraphs.
    pub fn html(&self) -> String {
        self.html
            .clone()
            .unwrap_or_else(|| paragraphs_html(&self.text))
    }
}

/// Plain text as HTML: escaped, blank lines become paragraphs.
pub fn paragraphs_html(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 16);
    for para in t.split("\n\n").filter(|p| !p.trim().is_empty()) {
        out.push_str("<p>");
        escape_text(&mut out, para);
        out.push_str("</p>");
    }
    out
}

/// Cleans `input` (an HTML fragment); relative URLs resolve against `base`.
pub fn clean_html(input: &str, base: Option<&Url>) -> Cleaned {
    if !input.contains(['<', '&']) {
        return Cleaned {
            text: collapse_plain(input),
            html: None,
        };
    }
    run(input, base, true)
}

/// Plain text of an HTML fragment (titles, summaries): like [`clean_html`] without the HTML.
pub fn html_to_text(input: &str) -> String {
    if !input.contains(['<', '&']) {
        return collapse_plain(input);
    }
    run(input, None, false).text
}

/// Collapses runs of whitespace in plain text to one space, keeping paragraph breaks (blank lines).
pub fn collapse_plain(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for (i, para) in input.split("\n\n").enumerate() {
        let mut first = true;
        for word in para.split_whitespace() {
            if first {
                if i > 0 && !out.is_empty() {
                    out.push_str("\n\n");
                }
                first = false;
            } else {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Like [`clean_html`], also giving the byte ranges of the plain text that came from inside links
/// (`<a>` elements), in order: extraction measures how much of a paragraph is links.
pub(crate) fn clean_html_links(input: &str, base: Option<&Url>) -> (Cleaned, Vec<Range<usize>>) {
    if !input.contains(['<', '&']) {
        return (clean_html(input, base), Vec::new());
    }
    let mut links = Vec::new();
    let cleaned = run_with(input, base, true, Some(&mut links));
    (cleaned, links)
}

fn run(input: &str, base: Option<&Url>, want_html: bool) -> Cleaned {
    run_with(input, base, want_html, None)
}

fn run_with(
    input: &str,
    base: Option<&Url>,
    want_html: bool,
    links: Option<&mut Vec<Range<usize>>>,
) -> Cleaned {
    let sink = Sink {
        st: RefCell::new(State {
            base: base.cloned(),
            want_html,
            text: String::with_capacity(input.len()),
            html: String::with_capacity(if want_html { input.len() } else { 0 }),
            html_block: true,
            lazy: want_html,
            track_links: links.is_some(),
            ..State::default()
        }),
    };
    let mut st = crate::decode::tokenize_html(input, sink).st.into_inner();
    while let Some(t) = st.open.pop() {
        close_tag(&mut st.html, t);
    }
    while st.text.ends_with([' ', '\n']) {
        st.text.pop();
    }
    if let Some(out) = links {
        *out = std::mem::take(&mut st.links);
    }
    Cleaned {
        html: (want_html && !st.lazy).then_some(st.html),
        text: st.text,
    }
}

#[derive(Default)]
struct State {
    base: Option<Url>,
    want_html: bool,
    text: String,
    html: String,
    /// Allow-listed tags currently open in `html`.
    open: Vec<&'static str>,
    /// Name of the raw-text element whose contents are being dropped (script, style, ...).
    raw_skip: Option<&'static str>,
    /// Nesting depth inside dropped non-raw elements (svg, template, ...).
    skip_depth: usize,
    skip_name: Option<&'static str>,
    pre_depth: usize,
    /// 0: nothing pending, 1: a space, 2: a line break, 3: a paragraph break.
    pending: u8,
    /// A collapsed run of whitespace waits to be written to `html`.
    html_space: bool,
    /// The last thing written to `html` was a block boundary (or nothing): whitespace there is dropped.
    html_block: bool,
    /// So far the fragment is only text inside `<p>` elements, so `html` is not written: it would be
    /// [`paragraphs_html`] of `text`. The first other structure writes it out and clears this.
    lazy: bool,
    /// `<p>` elements open while `lazy`.
    lazy_p: usize,
    /// Record the text that lies inside `<a>` elements in `links`.
    track_links: bool,
    /// `<a>` elements open.
    a_depth: usize,
    /// Byte ranges of `text` that came from inside links.
    links: Vec<Range<usize>>,
}

struct Sink {
    st: RefCell<State>,
}

/// Tags whose content is raw text and dropped.
const RAW_DROP: &[&str] = &[
    "script", "style", "noscript", "iframe", "noembed", "noframes", "xmp", "textarea", "title",
];
/// Tags dropped with everything inside them.
const DROP: &[&str] = &[
    "svg", "math", "template", "object", "head", "select", "button", "form", "canvas", "video",
    "audio",
];
/// Tags kept in the sanitised HTML.
const ALLOWED: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
];
const VOID: &[&str] = &["br", "hr", "img"];

fn intern(name: &str, list: &[&'static str]) -> Option<&'static str> {
    list.iter().copied().find(|t| *t == name)
}

/// The break a tag causes in plain text: 3 paragraph, 2 line, 0 none.
fn text_break(name: &str) -> u8 {
    match name {
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "pre" | "ul" | "ol"
        | "dl" | "table" | "figure" | "hr" | "section" | "article" | "header" | "footer"
        | "aside" | "main" | "nav" | "address" | "details" => 3,
        "br" | "div" | "li" | "tr" | "dt" | "dd" | "figcaption" | "caption" | "summary" => 2,
        _ => 0,
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.st.borrow_mut();
        match token {
            Token::CharacterTokens(t) if st.raw_skip.is_none() && st.skip_depth == 0 => {
                st.push_text(&t);
            }
            Token::TagToken(tag) => return st.tag(tag),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl State {
    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if let Some(raw) = self.raw_skip {
            if tag.kind == TagKind::EndTag && name == raw {
                self.raw_skip = None;
            }
            return TokenSinkResult::Continue;
        }
        if let Some(skip) = self.skip_name {
            if name == skip && !tag.self_closing {
                match tag.kind {
                    TagKind::StartTag => self.skip_depth += 1,
                    TagKind::EndTag => self.skip_depth -= 1,
                }
                if self.skip_depth == 0 {
                    self.skip_name = None;
                }
            }
            return TokenSinkResult::Continue;
        }
        if tag.kind == TagKind::StartTag {
            if let Some(raw) = intern(name, RAW_DROP) {
                if tag.self_closing {
                    return TokenSinkResult::Continue;
                }
                self.raw_skip = Some(raw);
                let kind = match raw {
                    "script" => RawKind::ScriptData,
                    "textarea" | "title" => RawKind::Rcdata,
                    _ => RawKind::Rawtext,
                };
                return TokenSinkResult::RawData(kind);
            }
            if let Some(drop) = intern(name, DROP) {
                if !tag.self_closing {
                    self.skip_name = Some(drop);
                    self.skip_depth = 1;
                }
                return TokenSinkResult::Continue;
            }
        }
        if self.track_links && name == "a" && !tag.self_closing {
            match tag.kind {
                TagKind::StartTag => self.a_depth += 1,
                TagKind::EndTag => self.a_depth = self.a_depth.saturating_sub(1),
            }
        }
        let brk = text_break(name);
        if brk > 0 {
            self.request(brk);
            self.html_space = false;
            self.html_block = true;
        }
        if name == "pre" {
            match tag.kind {
                TagKind::StartTag => self.pre_depth += 1,
                TagKind::EndTag => self.pre_depth = self.pre_depth.saturating_sub(1),
            }
        }
        if tag.kind == TagKind::StartTag && name == "li" {
            self.add_text("- ");
        }
        if self.lazy {
            let allowed = intern(name, ALLOWED).is_some();
            if name == "p" {
                match tag.kind {
                    TagKind::StartTag => self.lazy_p += 1,
                    TagKind::EndTag => self.lazy_p = self.lazy_p.saturating_sub(1),
                }
                return TokenSinkResult::Continue;
            }
            if !allowed && brk != 2 {
                return TokenSinkResult::Continue;
            }
            self.materialize();
        }
        if self.want_html {
            if let Some(t) = intern(name, ALLOWED) {
                if brk == 0 {
                    self.flush_html_space();
                    self.html_block = false;
                }
                match tag.kind {
                    TagKind::StartTag => self.open_tag(t, &tag),
                    TagKind::EndTag => self.end_tag(t),
                }
            }
        }
        TokenSinkResult::Continue
    }

    fn request(&mut self, brk: u8) {
        if !self.text.is_empty() && brk > self.pending {
            self.pending = brk;
        }
    }

    fn push_text(&mut self, t: &str) {
        let normalized;
        let t = if !t.is_ascii() && t.chars().any(|c| c.is_whitespace() && !c.is_ascii()) {
            // No-break and other Unicode spaces read as plain spaces.
            normalized = t
                .chars()
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect::<String>();
            normalized.as_str()
        } else {
            t
        };
        if self.lazy && self.lazy_p == 0 && t.bytes().any(|c| !c.is_ascii_whitespace()) {
            self.materialize();
        }
        if self.pre_depth > 0 {
            if self.want_html {
                escape_text(&mut self.html, t);
                self.html_block = false;
            }
            self.add_pre_text(t);
            return;
        }
        let b = t.as_bytes();
        let lead_ws = b.first().is_some_and(u8::is_ascii_whitespace);
        let trail_ws = b.last().is_some_and(u8::is_ascii_whitespace);
        if lead_ws {
            if !self.text.is_empty() && self.pending == 0 {
                self.pending = 1;
            }
            self.html_space = true;
        }
        if b.iter().any(|c| !c.is_ascii_whitespace()) {
            self.flush_pending();
            let start = self.text.len();
            collapse_into(&mut self.text, t);
            if self.a_depth > 0 {
                self.links.push(start..self.text.len());
            }
            if self.want_html && !self.lazy {
                self.flush_html_space();
                escape_text(&mut self.html, &self.text[start..]);
                self.html_block = false;
            }
            if trail_ws {
                self.pending = 1;
                self.html_space = true;
            }
        }
    }

    /// Text that is not markup (list bullets): goes to the plain text only.
    fn add_text(&mut self, t: &str) {
        self.flush_pending();
        self.text.push_str(t.trim_end());
        if t.ends_with(' ') {
            self.pending = 1;
        }
    }

    fn add_pre_text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        self.flush_pending();
        self.text.push_str(t);
    }

    fn flush_pending(&mut self) {
        match std::mem::take(&mut self.pending) {
            1 => self.text.push(' '),
            2 => self.text.push('\n'),
            3 => self.text.push_str("\n\n"),
            _ => {}
        }
    }

    /// Leaves lazy mode: writes the paragraphs seen so far as HTML and reopens the current one.
    fn materialize(&mut self) {
        self.lazy = false;
        self.html = paragraphs_html(&self.text);
        self.html_block = true;
        self.html_space = false;
        if self.lazy_p > 0 {
            if self.pending < 3 && self.html.ends_with("</p>") {
                self.html.truncate(self.html.len() - "</p>".len());
                self.html_block = false;
                self.html_space = self.pending == 1;
            } else {
                self.html.push_str("<p>");
            }
            self.open.push("p");
        }
    }

    fn flush_html_space(&mut self) {
        if std::mem::take(&mut self.html_space) && !self.html_block {
            self.html.push(' ');
        }
    }

    fn open_tag(&mut self, t: &'static str, tag: &Tag) {
        self.html.push('<');
        self.html.push_str(t);
        for a in &tag.attrs {
            let attr: &str = &a.name.local;
            let url_attr = matches!(
                (t, attr),
                ("a", "href") | ("img", "src") | ("q" | "blockquote", "cite")
            );
            let plain_attr = matches!(
                (t, attr),
                ("a" | "abbr" | "img", "title")
                    | ("img", "alt" | "width" | "height")
                    | ("td" | "th", "colspan" | "rowspan")
                    | ("time", "datetime")
                    | ("ol", "start")
            );
            let value = if url_attr {
                match self.safe_url(&a.value, t == "a") {
                    Some(u) => u,
                    None => continue,
                }
            } else if plain_attr {
                a.value.to_string()
            } else {
                continue;
            };
            self.html.push(' ');
            self.html.push_str(attr);
            self.html.push_str("=\"");
            escape_attr(&mut self.html, &value);
            self.html.push('"');
        }
        if t == "a" {
            self.html.push_str(" rel=\"nofollow noopener noreferrer\"");
        }
        self.html.push('>');
        if !VOID.contains(&t) && !tag.self_closing {
            self.open.push(t);
        } else if !VOID.contains(&t) {
            close_tag(&mut self.html, t);
        }
    }

    fn end_tag(&mut self, t: &'static str) {
        if let Some(pos) = self.open.iter().rposition(|o| *o == t) {
            while self.open.len() > pos {
                let o = self.open.pop().expect("len > pos");
                close_tag(&mut self.html, o);
            }
        }
    }

    fn safe_url(&self, raw: &str, allow_mailto: bool) -> Option<String> {
        let raw = raw.trim();
        let url = match &self.base {
            Some(b) => b.join(raw).ok()?,
            None => Url::parse(raw).ok()?,
        };
        match url.scheme() {
            "http" | "https" => Some(url.into()),
            "mailto" if allow_mailto => Some(url.into()),
            _ => None,
        }
    }
}

fn close_tag(out: &mut String, t: &str) {
    out.push_str("</");
    out.push_str(t);
    out.push('>');
}

/// Appends `s` with `&`, `<` and `>` escaped.
pub fn escape_text(out: &mut String, s: &str) {
    escape_with(out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        _ => None,
    });
}

/// Appends `s` escaped for a double-quoted attribute value.
pub fn escape_attr(out: &mut String, s: &str) {
    escape_with(out, s, |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    });
}

/// Copies `s` to `out` in runs, replacing the ASCII bytes that `rep` maps.
fn escape_with(out: &mut String, s: &str, rep: impl Fn(u8) -> Option<&'static str>) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        if let Some(r) = rep(b) {
            out.push_str(&s[last..i]);
            out.push_str(r);
            last = i + 1;
        }
    }
    out.push_str(&s[last..]);
}

/// Appends `s` with leading and trailing ASCII whitespace removed and inner runs collapsed to one space.
pub fn collapse_into(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let edge_ws = |c: Option<&u8>| c.is_some_and(u8::is_ascii_whitespace);
    if !edge_ws(b.first())
        && !edge_ws(b.last())
        && !b.iter().any(|&c| c < b' ')
        && memchr::memmem::find(b, b"  ").is_none()
    {
        // Already collapsed (the common case for text that went through cleaning once).
        out.push_str(s);
        return;
    }
    let mut i = 0;
    let mut first = true;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            if !first {
                out.push(' ');
            }
            first = false;
            out.push_str(&s[start..i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_ranges_cover_the_text_inside_links() {
        let (c, links) = clean_html_links(
            "<p>Read <a href=\"/x\">the <b>full</b> report</a> now.</p><p><a>Next</a></p>",
            None,
        );
        assert_eq!(c.text, "Read the full report now.\n\nNext");
        let linked: Vec<&str> = links.iter().map(|r| &c.text[r.clone()]).collect();
        assert_eq!(linked, ["the", "full", "report", "Next"]);
        assert_eq!(
            c,
            clean_html(
                "<p>Read <a href=\"/x\">the <b>full</b> report</a> now.</p><p><a>Next</a></p>",
                None
            )
        );
    }

    static BASE: std::sync::LazyLock<Url> =
        std::sync::LazyLock::new(|| Url::parse("https://example.org/news/").unwrap());

    #[test]
    fn text_keeps_paragraphs_and_decodes_entities() {
        let c = clean_html(
            "<p>Tom &amp; Jerry&nbsp;meet</p>\n<p>Second   <b>bold</b>\tpara</p>",
            None,
        );
        assert_eq!(c.text, "Tom & Jerry meet\n\nSecond bold para");
    }

    #[test]
    fn scripts_styles_and_handlers_are_removed() {
        let c = clean_html(
            "<p onclick=\"x()\">Hi<script>alert('<p>x</p>')</script><style>p{}</style></p><svg><text>no</text></svg><img src=\"javascript:alert(1)\" onerror=\"y\">",
            Some(&BASE),
        );
        assert_eq!(c.text, "Hi");
        assert_eq!(c.html(), "<p>Hi</p><img>");
    }

    #[test]
    fn links_become_absolute_and_unsafe_schemes_are_dropped() {
        let c = clean_html(
            "<a href=\"../a?x=1&amp;y=2\">A</a> <a href=\"javascript:evil()\">B</a>",
            Some(&BASE),
        );
        assert_eq!(
            c.html(),
            "<a href=\"https://example.org/a?x=1&amp;y=2\" rel=\"nofollow noopener noreferrer\">A</a> <a rel=\"nofollow noopener noreferrer\">B</a>"
        );
    }

    #[test]
    fn unclosed_and_stray_tags_are_balanced() {
        let c = clean_html("<div><p><em>open</div></b>", None);
        assert_eq!(c.html(), "<div><p><em>open</em></p></div>");
    }

    #[test]
    fn escaped_markup_in_text_stays_text() {
        let c = clean_html("&lt;script&gt;alert(1)&lt;/script&gt;", None);
        assert_eq!(c.text, "<script>alert(1)</script>");
        assert_eq!(c.html(), "&lt;script&gt;alert(1)&lt;/script&gt;");
    }

    #[test]
    fn lists_and_breaks_render_as_lines() {
        assert_eq!(
            html_to_text("<ul><li>one</li><li>two</li></ul>after<br>line"),
            "- one\n- two\n\nafter\nline"
        );
    }

    #[test]
    fn html_whitespace_is_collapsed_and_dropped_at_block_edges() {
        let c = clean_html(
            "<p> Tom &amp;\n  Jerry </p>\n\n<p>Two <b>bold</b> x</p>",
            None,
        );
        assert_eq!(c.html(), "<p>Tom &amp; Jerry</p><p>Two <b>bold</b> x</p>");
        assert_eq!(c.text, "Tom & Jerry\n\nTwo bold x");
    }

    #[test]
    fn pre_keeps_its_whitespace() {
        let c = clean_html("<pre>a\n  b</pre>", None);
        assert_eq!(c.html(), "<pre>a\n  b</pre>");
        assert_eq!(c.text, "a\n  b");
    }

    #[test]
    fn no_break_spaces_read_as_spaces() {
        assert_eq!(html_to_text("a&nbsp;&nbsp;b\u{2003}c"), "a b c");
    }

    #[test]
    fn paragraph_only_html_is_not_built() {
        let c = clean_html("<p>One &amp; two</p>\n<p>Three</p>", None);
        assert_eq!(c.html, None);
        assert_eq!(c.html(), "<p>One &amp; two</p><p>Three</p>");
    }

    #[test]
    fn structure_after_paragraphs_keeps_the_earlier_ones() {
        let c = clean_html(
            "<p>One</p><p>Two <a href=\"https://x.example/\">link</a> end</p><p>Four</p>",
            None,
        );
        assert_eq!(
            c.html.as_deref(),
            Some(
                "<p>One</p><p>Two <a href=\"https://x.example/\" rel=\"nofollow noopener noreferrer\">link</a> end</p><p>Four</p>"
            )
        );
        let c = clean_html("<p>One</p><p><b>Two</b></p>", None);
        assert_eq!(c.html.as_deref(), Some("<p>One</p><p><b>Two</b></p>"));
    }

    #[test]
    fn plain_text_fast_path_collapses_whitespace() {
        assert_eq!(html_to_text("  a \n b  "), "a b");
        assert_eq!(clean_html("x > y", None).text, "x > y");
    }
}
