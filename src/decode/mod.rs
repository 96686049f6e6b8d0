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
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tok.feed(&queue);
    tok.end();
    tok.sink
}
