//! `extract [--json]` over a page file written by the test and over a page served by the local
//! origin: main text without page furniture, metadata, and a clear error per bad input.

use crate::harness::{ConfigSpec, Workspace, str_field};
use crate::server::{FeedServer, Mode};

const LEDE: &str = "Negotiators from both delegations met in Geneva on Tuesday to agree the terms of a ceasefire that would hold for at least ninety days, officials said.";
const SECOND: &str = "The agreement, which still has to be ratified by both parliaments, includes an exchange of prisoners and the reopening of two border crossings for humanitarian convoys.";

/// A news page with navigation, a cookie banner, a newsletter box, prev/next links and a footer.
fn news_page() -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Ceasefire agreed in Geneva | Example News</title>
<meta property="og:site_name" content="Example News">
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"WebPage"}},
{{"@type":"NewsArticle","headline":"Ceasefire agreed in Geneva","datePublished":"2026-03-10T08:30:00+01:00",
"author":{{"@type":"Person","name":"Ana Lima"}}}}]}}</script></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a></nav>
<div class="cookie-banner"><p>We use cookies. Accept all cookies?</p><button>Accept</button></div>
<article><h1>Ceasefire agreed in Geneva</h1><p>{LEDE}</p><h2>The terms</h2><p>{SECOND}</p>
<div class="newsletter"><p>Sign up for our newsletter.</p></div>
<nav class="pager"><a href="/1">Previous</a> <a href="/3">Next</a></nav></article>
<footer><p>© 2026 Example News. All rights reserved.</p></footer></body></html>"#
    )
}

#[track_caller]
fn assert_article(line: &serde_json::Value) {
    assert_eq!(str_field(line, "title"), "Ceasefire agreed in Geneva");
    assert_eq!(str_field(line, "byline"), "Ana Lima");
    assert_eq!(str_field(line, "published"), "2026-03-10T08:30:00+01:00");
    let text = str_field(line, "text");
    let paras: Vec<&str> = text.split("\n\n").collect();
    assert!(paras.contains(&LEDE), "lede missing: {text}");
    assert!(paras.contains(&SECOND), "second paragraph missing: {text}");
    assert!(paras.contains(&"The terms"), "heading missing: {text}");
    for junk in [
        "Politics",
        "cookies",
        "newsletter",
        "Previous",
        "rights reserved",
    ] {
        assert!(!text.contains(junk), "{junk:?} kept: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_json_on_a_file_prints_text_without_boilerplate_and_metadata() {
    let ws = Workspace::new();
    let page = ws.path("page.html");
    std::fs::write(&page, news_page()).unwrap();
    let page = page.to_str().unwrap();

    let run = ws.bw(&["extract", "--json", page]).await;
    run.assert_success();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert_eq!(str_field(&lines[0], "input"), page);
    assert_article(&lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_json_on_a_served_url_uses_the_configured_client() {
    let server = FeedServer::start().await;
    server.publish("/news/ceasefire", news_page(), "text/html; charset=utf-8");
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server));
    let url = server.url("/news/ceasefire");

    let run = ws.bw(&["extract", "--json", &url]).await;
    run.assert_success();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert_eq!(str_field(&lines[0], "input"), url);
    assert_article(&lines[0]);
    assert_eq!(server.hits("/news/ceasefire"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_names_each_bad_input_keeps_going_and_exits_non_zero() {
    let server = FeedServer::start().await;
    server.publish("/ok", news_page(), "text/html");
    server.set_mode("/gone", Mode::Status(404));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server));
    let missing = ws.path("missing.html");
    let missing = missing.to_str().unwrap();
    let gone = server.url("/gone");
    let ok = server.url("/ok");

    let run = ws.bw(&["extract", "--json", missing, &gone, &ok]).await;
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines = run.json_lines();
    assert_eq!(
        lines.len(),
        1,
        "only the good input prints: {}",
        run.describe()
    );
    assert_eq!(str_field(&lines[0], "input"), ok);
    assert!(run.stderr.contains(missing), "{}", run.describe());
    assert!(
        run.stderr.contains(&gone) && run.stderr.contains("404"),
        "{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_refuses_loopback_urls_without_a_config_that_allows_them() {
    let server = FeedServer::start().await;
    server.publish("/page", news_page(), "text/html");
    let ws = Workspace::new(); // no config file: default [fetch] limits
    let url = server.url("/page");

    let run = ws.bw(&["extract", &url]).await;
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(run.stderr.contains("refused"), "{}", run.describe());
    assert_eq!(server.hits("/page"), 0);
}
