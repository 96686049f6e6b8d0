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
