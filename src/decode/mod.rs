//! Turns what the web sends into plain values, below both sources and transforms: bytes in legacy or
//! declared character sets into UTF-8, and the date formats feeds and pages use into UTC timestamps.
//! No I/O, no parsing of documents.
//!
//! - [`charset`]: legacy encodings to UTF-8 (BOM, HTTP header, XML declaration, sniffing).
//! - [`dates`]: lenient feed and page timestamps.

pub mod charset;
pub mod dates;
