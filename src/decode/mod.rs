//! Turns what the web sends into plain values, below both sources and transforms: bytes in legacy or
//! declared character sets into UTF-8, and the date formats feeds and pages use into UTC timestamps.
//! No I/O, no parsing of documents into trees.
//!
//! - [`charset`]: legacy encodings and UTF-16/32 to UTF-8 (BOM, HTTP header, XML declaration,
//!   `<meta charset>`, sniffing).
//! - [`dates`]: lenient feed and page timestamps.
//! - [`depth`]: HTML nesting bounded before a tree is built (a deep page is a parser bomb).
//! - [`entities`]: undeclared HTML entities and bare ampersands repaired before the XML parser.

pub mod charset;
pub mod dates;
pub mod depth;
pub mod entities;

/// Runs html5ever's tokenizer (no tree builder) over `html`, feeding `sink`, and returns the sink:
/// the one-pass scans of pages (metadata, cleaning, the nesting bound) share this.
pub fn tokenize_html<S: html5ever::tokenizer::TokenSink>(html: &str, sink: S) -> S {
    tokenize_html_at(html, |_| sink)
}

/// Like [`tokenize_html`], handing `make_sink` an [`Offset`] through which the sink can tell how
/// far into `html` the tokenizer has read when a token reaches it.
pub fn tokenize_html_at<S: html5ever::tokenizer::TokenSink>(
    html: &str,
    make_sink: impl FnOnce(Offset) -> S,
) -> S {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let queue = std::rc::Rc::new(BufferQueue::default());
    queue.push_back(StrTendril::from_slice(html));
    let offset = Offset {
        queue: Some(queue.clone()),
        len: html.len(),
    };
    let tok = Tokenizer::new(make_sink(offset), TokenizerOpts::default());
    let _ = tok.feed(&queue);
    tok.end();
    tok.sink
}

/// How many bytes of its input a tokenizer run has consumed (see [`tokenize_html_at`]).
#[derive(Clone, Default)]
pub struct Offset {
    queue: Option<std::rc::Rc<html5ever::tokenizer::BufferQueue>>,
    len: usize,
}

impl Offset {
    /// The bytes consumed so far. Right after a tag token it is the offset just past the tag's
    /// `>`; elsewhere, or while the tokenizer holds characters it pushed back, it may be off, so a
    /// caller checks what it finds there.
    pub fn get(&self) -> usize {
        let rest = self
            .queue
            .as_ref()
            .and_then(|q| q.peek_front_chunk_mut().map(|c| c.len()))
            .unwrap_or(0);
        self.len.saturating_sub(rest)
    }
}
