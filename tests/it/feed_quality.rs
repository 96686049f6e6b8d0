//! Feeds that used to be lost whole: UTF-16 without a byte-order mark (it made feed-rs panic),
//! HTML entities used without a declaration, and a document that still makes the parser panic,
//! which must be recorded as that source's error while the other sources are stored.

use crate::harness::{
    ALPHA_ENTRIES, ConfigSpec, RSS, SourceSpec, Workspace, fixture, source_row, titles,
};
use crate::server::FeedServer;

/// An RSS document as UTF-16BE bytes without a byte-order mark.
fn utf16be_without_bom(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16be_feed_without_bom_is_stored() {
    let server = FeedServer::start().await;
    let doc = r#"<?xml version="1.0" encoding="utf-16"?>
<rss version="2.0"><channel><title>Wide</title>
<item><title>Größe Ж</title><link>https://wide.example/1</link><guid>w1</guid>
<description>Zweibyte</description></item></channel></rss>"#;
    server.publish("/wide.xml", utf16be_without_bom(doc), "application/xml");
    let spec =
        ConfigSpec::for_server(&server).source(SourceSpec::new("wide", server.url("/wide.xml")));
    let ws = Workspace::with_config(&spec);

    let summary = ws.poll().await;
    summary.assert_counts(&[("sources", 1), ("errors", 0), ("new_briefs", 1)]);
    let briefs = ws.briefs().await;
    assert_eq!(titles(&briefs), ["Größe Ж"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_html_entities_do_not_cost_the_feed() {
    let server = FeedServer::start().await;
    let doc = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Ents</title>
<item><title>Caf&eacute;&nbsp;cr&egrave;me &amp; AT&T</title><link>https://ents.example/1?a=1&b=2</link>
<guid>e1</guid></item></channel></rss>"#;
    server.publish("/ents.xml", doc.to_vec(), RSS);
    let spec =
        ConfigSpec::for_server(&server).source(SourceSpec::new("ents", server.url("/ents.xml")));
    let ws = Workspace::with_config(&spec);

    let summary = ws.poll().await;
    summary.assert_counts(&[("sources", 1), ("errors", 0), ("new_briefs", 1)]);
    let briefs = ws.briefs().await;
    assert_eq!(titles(&briefs), ["Café crème & AT&T"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parser_panic_is_recorded_as_that_sources_error() {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    // An XML declaration inside an element (ill-formed) makes feed-rs 3.0 panic in quick-xml's
    // `set_encoding` instead of returning an error.
    let doc = br#"<rss version="2.0"><channel><title>P</title><item><title>a</title>
<description>x<?xml version="1.0" encoding="windows-1252"?></description></item></channel></rss>"#;
    server.publish("/panics.xml", doc.to_vec(), RSS);
    let spec = ConfigSpec::for_server(&server).sources([
        SourceSpec::new("alpha", server.url("/alpha.xml")),
        SourceSpec::new("panics", server.url("/panics.xml")),
    ]);
    let ws = Workspace::with_config(&spec);

    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 1),
        ("new_briefs", ALPHA_ENTRIES as u64),
    ]);
    let rows = ws.sources().await;
    let row = source_row(&rows, "panics");
    let error = row["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("parser panicked"), "{row}");
    assert_eq!(row["failures"], 1, "{row}");
    assert_eq!(source_row(&rows, "alpha")["failures"], 0);
}
