//! HTML sources: a local site written for the test (a listing page with navigation, a cookie banner,
//! a newsletter box and a footer; a second listing page behind "Older"; article pages with the same
//! furniture and Previous/Next links). The first poll stores every brief with its title, date and
//! clean text; the next poll fetches only the listing (304); a new article on the listing is fetched
//! once; a teaser feed with `fetch_full_article` stores the article text instead of the teaser.

use serde_json::Value;

use crate::harness::{ConfigSpec, RSS, Workspace, by_title, str_field};
use crate::server::{FeedServer, Mode};

const HTML: &str = "text/html; charset=utf-8";

/// Words that only occur in page furniture: none may reach a stored brief.
const FURNITURE: [&str; 7] = [
    "cookies",
    "Subscribe",
    "newsletter",
    "Previous",
    "Next brief",
    "All rights reserved",
    "Home",
];

struct Brief {
    n: u32,
    title: &'static str,
    date: &'static str,
    body: [&'static str; 2],
}

const BRIEFS: [Brief; 5] = [
    Brief {
        n: 1,
        title: "Water talks resume between upstream and downstream states",
        date: "2026-10-28T09:00:00+00:00",
        body: [
            "Delegations from the three river states met again on Tuesday to discuss how the reservoir is filled during dry years.",
            "Officials said a technical committee would report within a month on flow guarantees for the lower basin.",
        ],
    },
    Brief {
        n: 2,
        title: "Port authority reopens northern terminal after repairs",
        date: "2026-10-29T10:30:00+00:00",
        body: [
            "The northern container terminal reopened after four months of repairs to its quay wall and cranes.",
            "Shipping lines expect waiting times at the southern terminal to fall back to normal levels by December.",
        ],
    },
    Brief {
        n: 3,
        title: "Grain corridor inspections speed up",
        date: "2026-10-30T08:15:00+00:00",
        body: [
            "Inspectors cleared a record number of grain ships in a single day, the joint coordination centre said.",
            "The backlog of vessels waiting at anchor has halved since the new inspection teams began work.",
        ],
    },
    Brief {
        n: 4,
        title: "Border crossing opens for aid convoys",
        date: "2026-10-31T12:00:00+00:00",
        body: [
            "Trucks carrying food and medicine crossed the border for the first time in three weeks on Friday morning.",
            "Aid agencies said forty trucks a day would be needed to meet the needs of displaced families.",
        ],
    },
    Brief {
        n: 5,
        title: "Election commission publishes final turnout figures",
        date: "2026-11-01T16:45:00+00:00",
        body: [
            "Final figures show turnout of sixty-two percent, four points higher than at the previous election.",
            "Observers from the regional organisation said the count had been orderly and transparent.",
        ],
    },
];

fn furniture_top() -> &'static str {
    r#"<header><nav><a href="/">Home</a> <a href="/briefs/">Briefs</a> <a href="/about">About us</a></nav></header>
<div class="cookie-banner"><p>We use cookies to improve your experience. <button>Accept all cookies</button></p></div>"#
}

fn furniture_bottom() -> &'static str {
    r#"<aside class="newsletter"><h3>Subscribe to our newsletter</h3><p>Get the briefs in your inbox every morning. Subscribe now.</p></aside>
<footer><p>&copy; 2026 Strategic Briefs. All rights reserved.</p><a href="/privacy">Privacy</a></footer>"#
}

fn article_page(b: &Brief) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Strategic Briefs</title>
<meta property="og:title" content="{title}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}","datePublished":"{date}","author":{{"@type":"Person","name":"Desk Staff"}}}}</script>
</head><body>{top}
<main><article class="brief-item"><h1 class="entry-title">{title}</h1><time datetime="{date}">{date}</time>
<div class="brief-content"><p>{p1}</p><p>{p2}</p></div>
<nav class="pager"><a href="/briefs/{prev}">Previous brief</a> <a href="/briefs/{next}">Next brief</a></nav>
</article></main>{bottom}</body></html>"#,
        title = b.title,
        date = b.date,
        p1 = b.body[0],
        p2 = b.body[1],
        prev = b.n.saturating_sub(1),
        next = b.n + 1,
        top = furniture_top(),
        bottom = furniture_bottom(),
    )
}

/// A listing page with `briefs` (newest first) and an "Older" link to `older` when given.
fn listing_page(briefs: &[&Brief], older: Option<&str>) -> String {
    let items: String = briefs
        .iter()
        .map(|b| {
            format!(
                r#"<article class="blog-item"><h2><a href="/briefs/{}">{}</a></h2><p>Teaser text.</p></article>"#,
                b.n, b.title
            )
        })
        .collect();
    let older = older
        .map(|o| format!(r#"<a class="older" href="{o}">Older briefs</a>"#))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><title>Briefs</title></head><body>{}<main>{items}{older}</main>{}</body></html>",
        furniture_top(),
        furniture_bottom()
    )
}

fn publish_site(server: &FeedServer, newest: usize) {
    for b in &BRIEFS[..newest] {
        server.publish(&format!("/briefs/{}", b.n), article_page(b), HTML);
    }
    // Page 1: the two newest; page 2: the rest.
    let mut shown: Vec<&Brief> = BRIEFS[..newest].iter().collect();
    shown.reverse();
    server.publish(
        "/briefs/",
        listing_page(&shown[..2], Some("/briefs/page/2")),
        HTML,
    );
    server.publish("/briefs/page/2", listing_page(&shown[2..], None), HTML);
}

fn workspace(server: &FeedServer) -> Workspace {
    let text = format!(
        "{}\n[[sources]]\nname = \"strategic\"\nkind = \"html\"\nurl = \"{}\"\n[sources.html]\nlinks = \"article.blog-item h2 a\"\nnext_page = \"a.older\"\n",
        ConfigSpec::for_server(server).render(),
        server.url("/briefs/")
    );
    let ws = Workspace::new();
    ws.write_config(&text);
    ws
}

fn assert_clean(brief: &Value, expected: &Brief) {
    let text = str_field(brief, "text");
    for p in expected.body {
        assert!(text.contains(p), "paragraph missing from {text:?}");
    }
    assert!(text.contains("\n\n"), "paragraph break lost: {text:?}");
    for word in FURNITURE {
        assert!(!text.contains(word), "page furniture {word:?} in {text:?}");
    }
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(str_field(brief, "published")).unwrap(),
        chrono::DateTime::parse_from_rfc3339(expected.date).unwrap()
    );
}

#[tokio::test]
async fn html_source_stores_clean_briefs_then_fetches_only_what_is_new() {
    let server = FeedServer::start().await;
    publish_site(&server, 4);
    let ws = workspace(&server);

    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("errors", 0), ("new_briefs", 4)]);
    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), 4);
    for b in &BRIEFS[..4] {
        let listed = by_title(&briefs, b.title);
        assert_eq!(
            str_field(listed, "url"),
            server.url(&format!("/briefs/{}", b.n))
        );
        assert_clean(&ws.show(listed).await, b);
        assert_eq!(server.hits(&format!("/briefs/{}", b.n)), 1);
    }
    assert_eq!(server.hits("/briefs/page/2"), 1);

    // Nothing changed: one conditional GET of the listing, nothing else.
    ws.poll()
        .await
        .assert_counts(&[("not_modified", 1), ("new_briefs", 0)]);
    assert_eq!(server.hits("/briefs/"), 2);
    assert_eq!(server.hits("/briefs/page/2"), 1);
    for b in &BRIEFS[..4] {
        assert_eq!(
            server.hits(&format!("/briefs/{}", b.n)),
            1,
            "{} fetched again",
            b.n
        );
    }

    // A new brief on the listing is fetched once; the stored ones are not fetched again.
    publish_site(&server, 5);
    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("new_briefs", 1)]);
    let briefs = ws.briefs().await;
    assert_clean(
        &ws.show(by_title(&briefs, BRIEFS[4].title)).await,
        &BRIEFS[4],
    );
    assert_eq!(server.hits("/briefs/5"), 1);
    for b in &BRIEFS[..4] {
        assert_eq!(
            server.hits(&format!("/briefs/{}", b.n)),
            1,
            "{} fetched again",
            b.n
        );
    }
    ws.poll()
        .await
        .assert_counts(&[("not_modified", 1), ("new_briefs", 0)]);
    assert_eq!(server.hits("/briefs/5"), 1);
}

#[tokio::test]
async fn max_articles_leaves_the_rest_for_the_next_poll() {
    let server = FeedServer::start().await;
    publish_site(&server, 4);
    let ws = workspace(&server);
    let text = std::fs::read_to_string(ws.path("bw.toml")).unwrap();
    ws.write_config(&text.replace("kind = \"html\"\n", "kind = \"html\"\nmax_articles = 3\n"));
    ws.poll().await.assert_counts(&[("new_briefs", 3)]);
    // The listing has not changed, but a brief is still waiting: it is read again.
    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("new_briefs", 1)]);
    ws.poll()
        .await
        .assert_counts(&[("not_modified", 1), ("new_briefs", 0)]);
    for b in &BRIEFS[..4] {
        assert_eq!(server.hits(&format!("/briefs/{}", b.n)), 1);
    }
}

#[tokio::test]
async fn teaser_feed_with_fetch_full_article_stores_the_article_text() {
    let server = FeedServer::start().await;
    publish_site(&server, 2);
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>
<item><title>{}</title><link>{}</link><guid>teaser-1</guid><description>Read more on our site.</description></item>
</channel></rss>"#,
        BRIEFS[0].title,
        server.url("/briefs/1")
    );
    server.publish("/teasers.rss", feed, RSS);
    let text = format!(
        "{}\n[[sources]]\nname = \"teasers\"\nurl = \"{}\"\nfetch_full_article = true\n",
        ConfigSpec::for_server(&server).render(),
        server.url("/teasers.rss")
    );
    let ws = Workspace::new();
    ws.write_config(&text);
    ws.poll().await.assert_counts(&[("new_briefs", 1)]);
    let briefs = ws.briefs().await;
    let shown = ws.show(by_title(&briefs, BRIEFS[0].title)).await;
    let body = str_field(&shown, "text");
    assert!(body.contains(BRIEFS[0].body[1]), "{body}");
    assert!(!body.contains("Read more"), "{body}");
    ws.poll().await;
    assert_eq!(server.hits("/briefs/1"), 1, "article fetched again");
}

/// A workspace with one `fetch_full_article` feed whose entries tease `BRIEFS[..n]` (the site must
/// be published separately); `extra` is appended to the source's table.
fn teaser_workspace(server: &FeedServer, n: usize, extra: &str) -> Workspace {
    let items: String = BRIEFS[..n]
        .iter()
        .map(|b| {
            format!(
                "<item><title>{}</title><link>{}</link><guid>teaser-{}</guid>\
                 <description>Read more on our site.</description></item>\n",
                b.title,
                server.url(&format!("/briefs/{}", b.n)),
                b.n
            )
        })
        .collect();
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Teasers</title>
{items}</channel></rss>"#
    );
    server.publish("/teasers.rss", feed, RSS);
    let text = format!(
        "{}\n[[sources]]\nname = \"teasers\"\nurl = \"{}\"\nfetch_full_article = true\n{extra}",
        ConfigSpec::for_server(server).render(),
        server.url("/teasers.rss")
    );
    let ws = Workspace::new();
    ws.write_config(&text);
    ws
}

#[tokio::test]
async fn teaser_entries_over_max_articles_wait_for_the_next_poll_and_get_their_article() {
    let server = FeedServer::start().await;
    publish_site(&server, 3);
    let ws = teaser_workspace(&server, 3, "max_articles = 2\n");
    ws.poll().await.assert_counts(&[("new_briefs", 2)]);
    // The feed has not changed, but an entry is waiting: the feed is read again, the two stored
    // entries are skipped and the third gets its article, not the teaser.
    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("new_briefs", 1), ("known_entries", 2)]);
    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), 3);
    for b in &BRIEFS[..3] {
        let shown = ws.show(by_title(&briefs, b.title)).await;
        let body = str_field(&shown, "text");
        assert!(body.contains(b.body[1]), "{}: {body}", b.title);
        assert!(
            !body.contains("Read more"),
            "{}: teaser stored: {body}",
            b.title
        );
        assert_eq!(server.hits(&format!("/briefs/{}", b.n)), 1);
    }
    ws.poll()
        .await
        .assert_counts(&[("not_modified", 1), ("new_briefs", 0)]);
}

#[tokio::test]
async fn a_teaser_whose_page_fails_for_now_waits_and_one_whose_page_is_gone_keeps_its_teaser() {
    let server = FeedServer::start().await;
    publish_site(&server, 3);
    let ws = teaser_workspace(&server, 3, "");
    server.set_mode("/briefs/2", Mode::Status(503));
    server.set_mode("/briefs/3", Mode::Status(404));
    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", 2)]);
    let briefs = ws.briefs().await;
    assert!(
        !briefs
            .iter()
            .any(|b| str_field(b, "title") == BRIEFS[1].title),
        "the entry whose page answered 503 was stored with its teaser"
    );
    let gone = ws.show(by_title(&briefs, BRIEFS[2].title)).await;
    assert!(str_field(&gone, "text").contains("Read more"), "{gone}");

    server.set_mode("/briefs/2", Mode::Serve);
    ws.poll()
        .await
        .assert_counts(&[("fetched", 1), ("new_briefs", 1), ("known_entries", 2)]);
    let briefs = ws.briefs().await;
    let back = ws.show(by_title(&briefs, BRIEFS[1].title)).await;
    assert!(
        str_field(&back, "text").contains(BRIEFS[1].body[1]),
        "{back}"
    );
    assert_eq!(
        server.hits("/briefs/3"),
        1,
        "a gone page is not asked for again"
    );
}

#[tokio::test]
async fn an_html_source_without_a_links_selector_is_a_config_error() {
    let server = FeedServer::start().await;
    let text = format!(
        "{}\n[[sources]]\nname = \"bare\"\nkind = \"html\"\nurl = \"{}\"\n[sources.html]\ntitle = \"h1 >>> bad\"\n",
        ConfigSpec::for_server(&server).render(),
        server.url("/briefs/")
    );
    let ws = Workspace::new();
    ws.write_config(&text);
    let run = ws.bw(&["check-config"]).await;
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    for needle in ["sources[0].html.links", "sources[0].html.title"] {
        assert!(
            run.stderr.contains(needle),
            "{needle} missing\n{}",
            run.describe()
        );
    }
}

#[tokio::test]
async fn discover_finds_announced_feeds_else_proposes_a_links_selector() {
    let server = FeedServer::start().await;
    publish_site(&server, 4);
    server.publish(
        "/with-feed",
        format!(
            r#"<html><head><link rel="alternate" type="application/rss+xml" title="Desk" href="/desk.rss"></head><body>{}</body></html>"#,
            furniture_top()
        ),
        HTML,
    );
    server.publish("/desk.rss", crate::harness::fixture("topics/desk.rss"), RSS);
    let ws = workspace(&server);
    let run = ws
        .bw(&["sources", "discover", &server.url("/with-feed"), "--json"])
        .await;
    run.assert_success();
    let found = run.json_lines();
    assert_eq!(found.len(), 1, "{}", run.describe());
    assert_eq!(str_field(&found[0], "kind"), "feed");
    assert_eq!(str_field(&found[0], "url"), server.url("/desk.rss"));
    assert_eq!(found[0]["entries"], 3);

    let all: Vec<&Brief> = BRIEFS.iter().collect();
    server.publish("/all", listing_page(&all, None), HTML);
    let run = ws
        .bw(&["sources", "discover", &server.url("/all"), "--json"])
        .await;
    run.assert_success();
    let found = run.json_lines();
    assert_eq!(str_field(&found[0], "kind"), "html", "{}", run.describe());
    assert_eq!(str_field(&found[0], "links"), "article.blog-item h2 a");
    assert_eq!(found[0]["matches"], 5);
}

#[tokio::test]
async fn sources_test_shows_what_a_source_yields_and_stores_nothing() {
    let server = FeedServer::start().await;
    publish_site(&server, 4);
    let ws = workspace(&server);
    let run = ws.bw(&["sources", "test", "strategic", "--json"]).await;
    run.assert_success();
    let briefs = run.json_lines();
    assert_eq!(briefs.len(), 4, "{}", run.describe());
    assert_clean_text(
        str_field(by_title(&briefs, BRIEFS[2].title), "text"),
        &BRIEFS[2],
    );
    assert!(ws.briefs().await.is_empty(), "sources test stored briefs");
    let run = ws.bw(&["sources", "test", "nope"]).await;
    assert_eq!(run.code(), Some(2), "{}", run.describe());
}

fn assert_clean_text(text: &str, expected: &Brief) {
    for p in expected.body {
        assert!(text.contains(p), "paragraph missing from {text:?}");
    }
    for word in FURNITURE {
        assert!(!text.contains(word), "page furniture {word:?} in {text:?}");
    }
}
