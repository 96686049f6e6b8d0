//! Bounds how deep an HTML page nests, and how many elements it has, before any tree is built
//! from it.
//!
//! html5ever's tree builder checks element scopes by walking the stack of open elements, so a
//! page of 5,000 nested `<div>`s costs it quadratic time (minutes for a 100 KB page) and a deep
//! tree costs every recursive walk over it stack. Browsers cap the depth (Chromium at 512). Here
//! html5ever's own tokenizer replays the page through a model of the open-element stack (void
//! elements, implied end tags of `p`, `li`, `dd`/`dt`, table cells and rows, end tags ignored
//! across special elements); a page that stays within [`MAX_DEPTH`] is returned as it is, one
//! that goes deeper is rewritten without the start tags past the limit (their text is kept), and
//! the model never undercounts what the tree builder would nest.
//!
//! The element count is bounded for memory: the extractor's tree costs about 2 KB an element, so
//! 10 MB of `<p>x` would take gigabytes. Past [`MAX_ELEMENTS`] start tags (five times the largest
//! page of the extraction corpora) the rest of the page is kept as text.

use std::borrow::Cow;
use std::cell::RefCell;

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Tag, TagKind, Token, TokenSink, TokenSinkResult};

/// The deepest nesting kept (Chromium's parser stops nesting at 512 as well).
pub const MAX_DEPTH: usize = 512;

/// The most start tags kept.
pub const MAX_ELEMENTS: usize = 50_000;

/// `html` as it is when it nests at most [`MAX_DEPTH`] elements deep and has at most
/// [`MAX_ELEMENTS`] start tags, else rewritten so that it does not; the second value says
/// whether it was rewritten.
pub fn bounded(html: &str) -> (Cow<'_, str>, bool) {
    bounded_at(html, MAX_DEPTH, MAX_ELEMENTS)
}

/// [`bounded`] with other limits (for tests).
pub fn bounded_at(html: &str, depth: usize, elements: usize) -> (Cow<'_, str>, bool) {
    // Each tag opens at most three elements (a cell directly in a table gets its tbody and tr):
    // a page with few tags cannot go past the limits.
    let tags = memchr::memchr_iter(b'<', html.as_bytes()).count();
    if tags * 3 <= depth && tags <= elements {
        return (Cow::Borrowed(html), false);
    }
    if replay(html, depth, elements, false).is_none() {
        return (Cow::Borrowed(html), false);
    }
    let out = replay(html, depth, elements, true).unwrap_or_default();
    (Cow::Owned(out), true)
}

/// `html` rewritten without the start tags past [`MAX_DEPTH`] and [`MAX_ELEMENTS`], for a page
/// a [`Bound`] fed by another tokenizer pass found past them.
pub fn rewrite(html: &str) -> String {
    replay(html, MAX_DEPTH, MAX_ELEMENTS, true).unwrap_or_else(|| html.to_string())
}

/// Runs the model over `html`; `None` when it never went past the limits, else (when `rewrite`)
/// the page without the start tags past them.
fn replay(html: &str, limit: usize, elements: usize, rewrite: bool) -> Option<String> {
    let sink = Model {
        st: RefCell::new(State {
            bound: Bound::with_limits(limit, elements),
            rewrite,
            out: String::with_capacity(if rewrite { html.len() } else { 0 }),
            ..State::default()
        }),
    };
    let st = super::tokenize_html(html, sink).st.into_inner();
    st.bound.exceeded.then_some(st.out)
}

struct Model {
    st: RefCell<State>,
}

/// An element on the modelled stack, with what the model asks of it on every walk.
#[derive(Debug)]
struct Open {
    name: String,
    special: bool,
    scope: bool,
}

/// The model of the tree builder's stack of open elements, fed one tag at a time by whoever
/// tokenizes the page (the metadata pass of extraction does, so that checking the bounds costs no
/// second tokenizer pass).
#[derive(Debug)]
pub struct Bound {
    limit: usize,
    max_elements: usize,
    elements: usize,
    exceeded: bool,
    /// The modelled stack of open elements (`html`, `head` and `body` left out).
    stack: Vec<Open>,
    /// How many `svg` and `math` elements are open.
    foreign: usize,
}

impl Default for Bound {
    fn default() -> Bound {
        Bound::new()
    }
}

#[derive(Default)]
struct State {
    bound: Bound,
    rewrite: bool,
    /// Inside a raw-text element (`script`, `style`...): its name.
    raw: Option<String>,
    out: String,
}

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// The HTML standard's "special" elements: an end tag of another name does not close across them.
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
];

/// Start tags that close an open `p` first.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dd",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "ul",
    "xmp",
];

/// Elements that bound the scope in which a `p` is found open.
const SCOPE: &[&str] = &[
    "applet", "button", "caption", "html", "marquee", "object", "table", "td", "template", "th",
];

impl Bound {
    /// A model with the limits [`MAX_DEPTH`] and [`MAX_ELEMENTS`].
    pub fn new() -> Bound {
        Bound::with_limits(MAX_DEPTH, MAX_ELEMENTS)
    }

    fn with_limits(limit: usize, max_elements: usize) -> Bound {
        Bound {
            limit,
            max_elements,
            elements: 0,
            exceeded: false,
            stack: Vec::new(),
            foreign: 0,
        }
    }

    /// Whether a tag went past the limits so far.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// Models one tag the tokenizer emitted outside raw text (and the end tag that closes raw
    /// text). Returns false for a start tag past the limits.
    pub fn tag(&mut self, kind: TagKind, name: &str, self_closing: bool) -> bool {
        match kind {
            TagKind::StartTag => self.start(name, self_closing),
            TagKind::EndTag => {
                self.end(name);
                true
            }
        }
    }

    /// Pops the stack down to (and including) the nearest `names` element, unless one of `stop`
    /// comes first.
    /// Returns whether it closed anything.
    fn close_nearest(&mut self, names: &[&str], stop: impl Fn(&Open) -> bool) -> bool {
        for i in (0..self.stack.len()).rev() {
            let open = &self.stack[i];
            if names.contains(&open.name.as_str()) {
                let closed_foreign = self.stack[i..]
                    .iter()
                    .filter(|o| matches!(o.name.as_str(), "svg" | "math"))
                    .count();
                self.foreign -= closed_foreign;
                self.stack.truncate(i);
                return true;
            }
            if stop(open) {
                return false;
            }
        }
        false
    }

    /// Whether the model is inside `svg` or `math`, where `<style>` and `<script>` hold markup,
    /// not raw text (a tokenizer pass must not switch to raw text there).
    pub fn in_foreign(&self) -> bool {
        self.foreign > 0
    }

    fn push(&mut self, name: &str) {
        if matches!(name, "svg" | "math") {
            self.foreign += 1;
        }
        self.stack.push(Open {
            name: name.to_string(),
            special: SPECIAL.contains(&name),
            scope: SCOPE.contains(&name),
        });
    }

    /// Models a start tag; false when it is dropped (past the limit).
    fn start(&mut self, name: &str, self_closing: bool) -> bool {
        self.elements += 1;
        if self.elements > self.max_elements {
            self.exceeded = true;
            return false;
        }
        if matches!(name, "html" | "head" | "body") || VOID.contains(&name) {
            return true;
        }
        let foreign = self.in_foreign();
        if foreign && self_closing {
            return true;
        }
        if !foreign {
            if CLOSES_P.contains(&name) {
                self.close_nearest(&["p"], |n| n.scope);
            }
            match name {
                "li" => {
                    self.close_nearest(&["li"], |n| {
                        n.special && !matches!(n.name.as_str(), "address" | "div" | "p")
                    });
                }
                "dd" | "dt" => {
                    self.close_nearest(&["dd", "dt"], |n| {
                        n.special && !matches!(n.name.as_str(), "address" | "div" | "p")
                    });
                }
                // Cells and rows close their open siblings; the tree builder puts the `tbody`
                // and `tr` a table leaves out around them.
                "td" | "th" => {
                    self.close_nearest(&["td", "th"], |n| n.name == "table");
                    self.implied_table_parents(&["tbody", "tr"]);
                }
                "tr" => {
                    self.close_nearest(&["tr"], |n| n.name == "table");
                    self.implied_table_parents(&["tbody"]);
                }
                "tbody" | "thead" | "tfoot" => {
                    self.close_nearest(&["tbody", "thead", "tfoot"], |n| n.name == "table");
                }
                "option" | "optgroup" => {
                    self.close_nearest(&["option"], |n| n.name != "option");
                }
                _ => {}
            }
        }
        if self.stack.len() >= self.limit {
            self.exceeded = true;
            return false;
        }
        self.push(name);
        true
    }

    /// Pushes the parents the tree builder supplies for a row or cell directly in a table
    /// (`parents` in order, the missing ones only).
    fn implied_table_parents(&mut self, parents: &[&str]) {
        let mut skip = match self.stack.last().map(|o| o.name.as_str()) {
            Some("table") => 0,
            Some("tbody" | "thead" | "tfoot") => 1,
            _ => return,
        };
        for p in parents {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            self.push(p);
        }
    }

    /// Models an end tag: the end tag of a special element closes the nearest one in scope
    /// (table parts within their table); any other closes the nearest element of its name unless
    /// a special element stands between (in foreign content, nothing stops it).
    /// Returns whether it closed anything.
    fn end(&mut self, name: &str) -> bool {
        if self.in_foreign() {
            self.close_nearest(&[name], |_| false)
        } else if matches!(name, "tbody" | "thead" | "tfoot" | "tr" | "td" | "th") {
            self.close_nearest(&[name], |n| {
                matches!(n.name.as_str(), "table" | "html" | "template")
            })
        } else if name == "table" {
            self.close_nearest(&[name], |n| matches!(n.name.as_str(), "html" | "template"))
        } else if SPECIAL.contains(&name) {
            self.close_nearest(&[name], |n| n.scope)
        } else {
            self.close_nearest(&[name], |n| n.special)
        }
    }
}

impl State {
    fn write_tag(&mut self, tag: &Tag) {
        if !self.rewrite {
            return;
        }
        let out = &mut self.out;
        out.push('<');
        if tag.kind == TagKind::EndTag {
            out.push('/');
        }
        out.push_str(&tag.name);
        for a in &tag.attrs {
            out.push(' ');
            if let Some(p) = &a.name.prefix {
                out.push_str(p);
                out.push(':');
            }
            out.push_str(&a.name.local);
            out.push_str("=\"");
            for c in a.value.chars() {
                match c {
                    '"' => out.push_str("&quot;"),
                    '&' => out.push_str("&amp;"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        if tag.self_closing {
            out.push('/');
        }
        out.push('>');
    }

    fn write_text(&mut self, text: &str) {
        if !self.rewrite {
            return;
        }
        if self.raw.is_some() {
            self.out.push_str(text);
            return;
        }
        for c in text.chars() {
            match c {
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '&' => self.out.push_str("&amp;"),
                '\0' => {}
                c => self.out.push(c),
            }
        }
    }
}

impl TokenSink for Model {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.st.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                if let Some(raw) = &st.raw {
                    // The tokenizer only ends raw text at the matching end tag.
                    if tag.kind == TagKind::EndTag && *raw == name {
                        st.raw = None;
                        st.bound.end(&name);
                    }
                    st.write_tag(&tag);
                    return TokenSinkResult::Continue;
                }
                match tag.kind {
                    TagKind::StartTag => {
                        if !st.bound.start(&name, tag.self_closing) {
                            return TokenSinkResult::Continue;
                        }
                        st.write_tag(&tag);
                        if !st.bound.in_foreign() && !tag.self_closing {
                            let kind = match name.as_str() {
                                "script" => Some(RawKind::ScriptData),
                                "textarea" | "title" => Some(RawKind::Rcdata),
                                "style" | "xmp" | "iframe" | "noembed" | "noframes"
                                | "noscript" => Some(RawKind::Rawtext),
                                _ => None,
                            };
                            if let Some(kind) = kind {
                                st.raw = Some(name);
                                return TokenSinkResult::RawData(kind);
                            }
                        }
                    }
                    TagKind::EndTag => {
                        // An end tag that closes nothing is left out of a rewrite (the tree
                        // builder would ignore it, after a walk down the stack), but for `</p>`
                        // and `</br>`, which make elements.
                        if st.bound.end(&name) || matches!(name.as_str(), "p" | "br") {
                            st.write_tag(&tag);
                        }
                    }
                }
            }
            Token::CharacterTokens(t) => st.write_text(&t),
            Token::DoctypeToken(d) if st.rewrite => {
                let name = d.name.as_deref().unwrap_or("html").to_string();
                st.out.push_str(&format!("<!DOCTYPE {name}>"));
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, n: usize) -> String {
        format!(
            "<!doctype html><html><body>{}deep text{}</body></html>",
            format!("<{tag}>").repeat(n),
            format!("</{tag}>").repeat(n)
        )
    }

    #[test]
    fn ordinary_pages_are_returned_untouched() {
        let page = "<!doctype html><html><head><title>A &amp; B</title><script>if (a<b) x()</script></head>\
            <body><div class=\"x\"><p>One<p>Two<ul><li>a<li>b</ul><table><tr><td>1<td>2<tr><td>3</table>\
            <svg><path d=\"M0\"/><path/></svg><br><img src=\"i.png\"></div></body></html>"
            .repeat(40);
        let (out, rewritten) = bounded_at(&page, 64, MAX_ELEMENTS);
        assert!(!rewritten);
        assert!(matches!(out, Cow::Borrowed(_)));
    }

    #[test]
    fn unclosed_paragraphs_list_items_and_cells_do_not_count_as_depth() {
        let page = format!(
            "<body>{}{}<table>{}</table></body>",
            "<p>para".repeat(300),
            "<ul>".to_owned() + &"<li>item".repeat(300) + "</ul>",
            "<tr><td>a<td>b".repeat(300)
        );
        assert!(!bounded_at(&page, 32, MAX_ELEMENTS).1);
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit_and_the_text_kept() {
        let page = nested("div", 5000);
        let (out, rewritten) = bounded_at(&page, 100, MAX_ELEMENTS);
        assert!(rewritten);
        assert_eq!(out.matches("<div>").count(), 100);
        assert!(out.contains("deep text"));
        assert!(
            !bounded_at(&out, 100, MAX_ELEMENTS).1,
            "the rewrite is within the limit"
        );
    }

    #[test]
    fn end_tags_that_the_tree_builder_ignores_do_not_hide_depth() {
        // `</span>` does not close across the `<div>`: the tree nests span > div > span > div...
        let page = format!("<body>{}x</body>", "<span><div></span>".repeat(400));
        assert!(bounded_at(&page, 100, MAX_ELEMENTS).1);
        // Formatting elements nest too.
        let page = format!("<body>{}x</body>", "<b><i><u>".repeat(400));
        assert!(bounded_at(&page, 100, MAX_ELEMENTS).1);
        // Tables nest four deep a level (the tree builder adds the tbody and tr left out).
        let page = format!("<body>{}x</body>", "<table><td>".repeat(60));
        assert!(bounded_at(&page, 200, MAX_ELEMENTS).1);
        assert!(!bounded_at(&page, 241, MAX_ELEMENTS).1);
    }

    #[test]
    fn start_tags_past_the_element_cap_are_dropped_and_their_text_kept() {
        let page = format!("<body>{}</body>", "<p>x".repeat(1000));
        let (out, rewritten) = bounded_at(&page, MAX_DEPTH, 100);
        assert!(rewritten);
        assert_eq!(out.matches("<p>").count(), 99, "body counts as one");
        assert_eq!(out.matches('x').count(), 1000);
    }

    #[test]
    fn markup_inside_scripts_and_attributes_survives_the_rewrite() {
        let page = format!(
            "<script>if (a<b && c>d) {{ x(\"</div>\") }}</script><a title='1 > 0 & \"q\"' href=\"/x?a=1&amp;b=2\">link</a>{}",
            nested("div", 200)
        );
        let (out, rewritten) = bounded_at(&page, 50, MAX_ELEMENTS);
        assert!(rewritten);
        assert!(out.contains("<script>if (a<b && c>d) { x(\"</div>\") }</script>"));
        assert!(out.contains("title=\"1 > 0 &amp; &quot;q&quot;\""), "{out}");
        assert!(out.contains("href=\"/x?a=1&amp;b=2\""));
    }
}
