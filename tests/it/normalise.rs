//! Normalisation promises: legacy encodings, xml:base and relative links, JSON Feed, stable
//! GUIDs, authors and dates with a timezone, plain text next to HTML.

use serde_json::Value;

use crate::harness::{
    ATOM, ConfigSpec, JSON_FEED, RSS, SourceSpec, Workspace, assert_instant, by_guid, by_title,
    fixture, id_arg, str_field, titles,
};
use crate::server::FeedServer;

/// A workspace with one source `name` serving `fixture_name` at `path`, polled once.
async fn polled_single_source(
    server: &FeedServer,
    name: &str,
    path: &str,
    fixture_name: &str,
    content_type: &str,
) -> (Workspace, Vec<Value>) {
    server.publish(path, fixture(fixture_name), content_type);
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(server).source(SourceSpec::new(name, server.url(path))),
    );
    ws.poll()
        .await
        .assert_counts(&[("sources", 1), ("errors", 0)]);
    let briefs = ws.briefs().await;
    (ws, briefs)
}

/// Whether the JSON value (string, array of strings or objects with a name) names `who`.
fn names_author(v: &Value, who: &str) -> bool {
    match v {
        Value::String(s) => s.contains(who),
        Value::Array(items) => items.iter().any(|i| names_author(i, who)),
        Value::Object(map) => map.values().any(|i| names_author(i, who)),
        _ => false,
    }
}

fn assert_author(brief: &Value, who: &str) {
    let author = brief.get("author").unwrap_or(&Value::Null);
    assert!(
        names_author(author, who),
        "author {author} does not name {who:?} in {brief}"
    );
}

fn assert_plain(text: &str) {
    assert!(
        !text.contains('<') && !text.contains('>'),
        "text still has markup: {text:?}"
    );
    for entity in ["&amp;", "&lt;", "&gt;", "&quot;", "&#"] {
        assert!(
            !text.contains(entity),
            "text has undecoded entity {entity}: {text:?}"
        );
    }
    assert!(
        !text.contains('\u{FFFD}'),
        "text has replacement characters: {text:?}"
    );
}

const SHOW_KEYS: [&str; 10] = [
    "id",
    "source",
    "url",
    "title",
    "text",
    "html",
    "published",
    "updated",
    "author",
    "guid",
];

fn assert_show_keys(shown: &Value) {
    for key in SHOW_KEYS {
        assert!(
            shown.get(key).is_some(),
            "briefs show lacks `{key}`: {shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iso_8859_1_feed_declared_in_the_xml_prolog_is_decoded() {
    let server = FeedServer::start().await;
    let raw = fixture("latin1.rss");
    assert!(
        raw.contains(&0xE9) && std::str::from_utf8(&raw).is_err(),
        "fixture latin1.rss must be ISO-8859-1 bytes, not UTF-8"
    );
    // No charset in the Content-Type: only the XML declaration tells the encoding.
    let (ws, briefs) =
        polled_single_source(&server, "cafe", "/latin1.rss", "latin1.rss", RSS).await;
    assert_eq!(briefs.len(), 1, "titles: {:?}", titles(&briefs));
    let brief = &briefs[0];
    assert_eq!(str_field(brief, "title"), "Café crème à Paris");
    assert_instant(brief, "published", "2025-11-05T07:00:00Z");

    let shown = ws.show(brief).await;
    assert_show_keys(&shown);
    let text = str_field(&shown, "text");
    assert_plain(text);
    assert!(
        text.contains("Un résumé détaillé")
            && text.contains("crème fraîche")
            && text.contains("Noël"),
        "body not decoded from ISO-8859-1: {text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iso_8859_1_feed_declared_only_by_the_content_type_charset_is_decoded() {
    let server = FeedServer::start().await;
    let raw = fixture("latin1.rss");
    let decl = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>";
    assert!(raw.starts_with(decl), "fixture latin1.rss changed");
    // Same bytes, but the XML declaration names no encoding: only HTTP does.
    let mut body = b"<?xml version=\"1.0\"?>".to_vec();
    body.extend_from_slice(&raw[decl.len()..]);
    server.publish(
        "/latin1.rss",
        body,
        "application/rss+xml; charset=ISO-8859-1",
    );
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server).source(SourceSpec::new("cafe", server.url("/latin1.rss"))),
    );
    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", 1)]);
    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), 1, "titles: {:?}", titles(&briefs));
    assert_eq!(str_field(&briefs[0], "title"), "Café crème à Paris");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_xml_base_resolves_relative_links_to_absolute_urls() {
    let server = FeedServer::start().await;
    let (ws, briefs) = polled_single_source(&server, "beta", "/beta.atom", "beta.atom", ATOM).await;
    assert_eq!(briefs.len(), 2, "titles: {:?}", titles(&briefs));

    // Feed-level xml:base="https://blog.example.net/posts/" + href="relative-links-explained".
    let first = by_title(&briefs, "Relative links explained");
    assert_eq!(
        str_field(first, "url"),
        "https://blog.example.net/posts/relative-links-explained"
    );
    assert_eq!(
        str_field(first, "guid"),
        "tag:blog.example.net,2025:posts/1"
    );
    assert_instant(first, "published", "2025-11-05T07:00:00Z");
    assert_author(first, "Grace Hopper");

    // Entry-level xml:base="https://archive.example.net/2025/11/" + "../../items/moved-entry.html".
    let moved = by_title(&briefs, "Archive entry moved");
    assert_eq!(
        str_field(moved, "url"),
        "https://archive.example.net/items/moved-entry.html"
    );

    let shown = ws.show(first).await;
    assert_show_keys(&shown);
    let text = str_field(&shown, "text");
    assert_plain(text);
    assert!(
        text.split_whitespace().collect::<Vec<_>>().join(" ")
            == "Resolving a reference against its base is easy.",
        "text of the HTML content: {text:?}"
    );
    assert_instant(&shown, "updated", "2025-11-05T08:00:00Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_xml_base_also_resolves_links_inside_html_content() {
    let server = FeedServer::start().await;
    let (ws, briefs) = polled_single_source(&server, "beta", "/beta.atom", "beta.atom", ATOM).await;
    let shown = ws.show(by_title(&briefs, "Relative links explained")).await;

    // The relative <a href="base"> inside the escaped HTML content is in scope of the feed's
    // xml:base, so it resolves against https://blog.example.net/posts/, not the feed's URL.
    let html = str_field(&shown, "html");
    assert!(
        html.contains("href=\"https://blog.example.net/posts/base\""),
        "link inside Atom HTML content not resolved against xml:base: {html:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_relative_item_link_becomes_an_absolute_url() {
    let server = FeedServer::start().await;
    let (_ws, briefs) =
        polled_single_source(&server, "relative", "/relative.rss", "relative.rss", RSS).await;
    assert_eq!(briefs.len(), 1, "titles: {:?}", titles(&briefs));
    let link = str_field(&briefs[0], "url");
    let parsed = url::Url::parse(link)
        .unwrap_or_else(|e| panic!("relative link stored as {link:?}, not absolute: {e}"));
    // The base may be the document's own URL or the channel link; either gives this path.
    assert_eq!(parsed.path(), "/relative/bridge-reopens", "url {link:?}");
    let host = parsed.host_str().unwrap_or_default();
    assert!(
        host == "127.0.0.1" || host == "news.example.org",
        "url {link:?} resolved against neither the feed URL nor the channel link"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_feed_items_are_parsed_with_text_html_author_and_dates() {
    let server = FeedServer::start().await;
    let (ws, briefs) =
        polled_single_source(&server, "gamma", "/gamma.json", "gamma.json", JSON_FEED).await;
    assert_eq!(briefs.len(), 2, "titles: {:?}", titles(&briefs));

    let pilot = by_guid(&briefs, "gamma-42");
    assert_eq!(str_field(pilot, "title"), "Tidal energy pilot approved");
    assert_eq!(
        str_field(pilot, "url"),
        "https://gamma.example.com/items/42"
    );
    assert_eq!(str_field(pilot, "source"), "gamma");
    assert_instant(pilot, "published", "2025-11-06T15:45:00Z");
    assert_author(pilot, "Linus Pauling");

    let shown = ws.show(pilot).await;
    assert_show_keys(&shown);
    let text = str_field(&shown, "text");
    assert_plain(text);
    assert!(
        text.contains("The pilot will run for two years."),
        "text of content_html: {text:?}"
    );
    let html = str_field(&shown, "html");
    assert!(
        html.contains("<strong>pilot</strong>"),
        "html of content_html lost its markup: {html:?}"
    );

    let library = by_guid(&briefs, "gamma-41");
    assert_eq!(str_field(library, "title"), "Library extends opening hours");
    assert_instant(library, "published", "2025-11-01T17:00:00Z");
    let shown = ws.show(library).await;
    assert!(
        str_field(&shown, "text").contains("Weekend opening starts in December."),
        "text of content_text: {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_items_get_feed_guid_or_link_guid_author_and_utc_offset_dates() {
    let server = FeedServer::start().await;
    let (ws, briefs) = polled_single_source(&server, "alpha", "/alpha.xml", "alpha.rss", RSS).await;
    assert_eq!(briefs.len(), 3, "titles: {:?}", titles(&briefs));

    // <guid isPermaLink="false">alpha-0001</guid>, pubDate +0100, dc:creator.
    let rust = by_guid(&briefs, "alpha-0001");
    assert_instant(rust, "published", "2025-11-04T08:30:00Z");
    assert_author(rust, "Ada Lovelace");

    // Permalink guid.
    let crane = by_title(&briefs, "Harbour crane upgrade finished");
    assert_eq!(
        str_field(crane, "guid"),
        "https://news.example.org/alpha/harbour-crane"
    );
    assert_instant(crane, "published", "2025-11-03T14:00:00Z");

    // No <guid>: the link is the guid. pubDate -0500.
    let budget = by_title(&briefs, "Council publishes budget draft");
    assert_eq!(
        str_field(budget, "guid"),
        "https://news.example.org/alpha/budget-draft"
    );
    assert_instant(budget, "published", "2025-11-02T13:15:00Z");

    let shown = ws.show(rust).await;
    assert_show_keys(&shown);
    assert_eq!(id_arg(&shown), id_arg(rust));
    let text = str_field(&shown, "text");
    assert_plain(text);
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>().join(" "),
        "The steering group met in the old zanzibarite quarry to compare notes."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_without_guid_or_link_get_a_stable_hash_guid() {
    let server = FeedServer::start().await;
    let (ws, briefs) =
        polled_single_source(&server, "notices", "/nolink.rss", "nolink.rss", RSS).await;
    assert_eq!(briefs.len(), 2, "titles: {:?}", titles(&briefs));
    let guids: Vec<String> = briefs
        .iter()
        .map(|b| str_field(b, "guid").to_string())
        .collect();
    assert!(
        guids.iter().all(|g| !g.trim().is_empty()) && guids[0] != guids[1],
        "guids must be present and distinct: {guids:?}"
    );

    // Same items served again under fresh validators: same guids, nothing new.
    server.republish_all_with_new_validators();
    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("errors", 0), ("new_briefs", 0)]);
    let again = ws.briefs().await;
    let mut before = guids.clone();
    let mut after: Vec<String> = again
        .iter()
        .map(|b| str_field(b, "guid").to_string())
        .collect();
    before.sort();
    after.sort();
    assert_eq!(after, before, "guids are not stable across polls");
}
