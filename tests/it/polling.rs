//! `poll --once`: first poll, conditional re-poll, changed feed, persistence across processes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::harness::{
    ALPHA_ENTRIES, BETA_ENTRIES, ConfigSpec, GAMMA_ENTRIES, RSS, STANDARD_ENTRIES, Workspace,
    by_title, fixture, id_arg, serve_standard_feeds, str_field, titles,
};
use crate::server::FeedServer;

const PATHS: [&str; 3] = ["/alpha.xml", "/beta.atom", "/gamma.json"];

/// The fields that identify a stored brief, for comparing listings across processes.
fn identity(briefs: &[Value]) -> BTreeSet<(String, String, String, String, String)> {
    briefs
        .iter()
        .map(|b| {
            (
                id_arg(b),
                str_field(b, "source").to_string(),
                str_field(b, "guid").to_string(),
                str_field(b, "url").to_string(),
                str_field(b, "title").to_string(),
            )
        })
        .collect()
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_poll_stores_every_entry_with_absolute_urls_and_plain_text_titles() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    let summary = ws.poll().await;
    assert_eq!(
        summary.run.stdout.trim().lines().count(),
        1,
        "poll --once --json must print exactly one line\n{}",
        summary.run.describe()
    );
    summary.assert_counts(&[
        ("sources", 3),
        ("fetched", 3),
        ("not_modified", 0),
        ("errors", 0),
        ("new_briefs", STANDARD_ENTRIES as u64),
        ("known_entries", 0),
    ]);
    summary.get("elapsed_ms");

    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        STANDARD_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );

    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for b in &briefs {
        for key in [
            "id",
            "source",
            "url",
            "title",
            "published",
            "topics",
            "story_id",
            "author",
            "guid",
        ] {
            assert!(b.get(key).is_some(), "list line lacks `{key}`: {b}");
        }
        assert!(ids.insert(id_arg(b)), "duplicate id in listing: {b}");
        *per_source
            .entry(str_field(b, "source").to_string())
            .or_default() += 1;

        let link = str_field(b, "url");
        let parsed =
            url::Url::parse(link).unwrap_or_else(|e| panic!("url {link:?} is not absolute: {e}"));
        assert!(
            matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some(),
            "url {link:?} is not an absolute http(s) URL"
        );

        let title = str_field(b, "title");
        assert!(!title.trim().is_empty(), "empty title: {b}");
        assert!(
            !title.contains('<') && !title.contains('>'),
            "title still has markup: {title:?}"
        );
        for entity in ["&amp;", "&lt;", "&gt;", "&quot;", "&#"] {
            assert!(
                !title.contains(entity),
                "title has undecoded entity {entity}: {title:?}"
            );
        }

        assert!(b["topics"].is_array(), "topics is not an array: {b}");
        match &b["published"] {
            Value::Null => {}
            Value::String(s) => {
                chrono::DateTime::parse_from_rfc3339(s)
                    .unwrap_or_else(|e| panic!("published {s:?} is not RFC 3339: {e}"));
            }
            other => panic!("published is neither null nor a string: {other}"),
        }
    }
    let expected: BTreeMap<String, usize> = [
        ("alpha".to_string(), ALPHA_ENTRIES),
        ("beta".to_string(), BETA_ENTRIES),
        ("gamma".to_string(), GAMMA_ENTRIES),
    ]
    .into_iter()
    .collect();
    assert_eq!(per_source, expected, "briefs per source");

    // Newest first: every fixture entry has a date, so the listing is ordered by it.
    let published: Vec<chrono::DateTime<chrono::FixedOffset>> = briefs
        .iter()
        .map(|b| {
            chrono::DateTime::parse_from_rfc3339(str_field(b, "published"))
                .unwrap_or_else(|e| panic!("published of {b}: {e}"))
        })
        .collect();
    assert!(
        published.windows(2).all(|w| w[0] >= w[1]),
        "briefs list is not newest first: {:?}",
        briefs
            .iter()
            .map(|b| (str_field(b, "published"), str_field(b, "title")))
            .collect::<Vec<_>>()
    );

    // `<title>Rust &amp; Friends: &lt;b&gt;bold&lt;/b&gt; compiler claims</title>`
    let rust = briefs
        .iter()
        .find(|b| str_field(b, "title").contains("Friends"))
        .unwrap_or_else(|| panic!("no Rust & Friends brief in {:?}", titles(&briefs)));
    assert_eq!(
        collapse_ws(str_field(rust, "title")),
        "Rust & Friends: bold compiler claims"
    );
    assert_eq!(
        str_field(rust, "url"),
        "https://news.example.org/alpha/rust-friends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_poll_of_unchanged_feeds_sends_validators_and_stores_nothing() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", STANDARD_ENTRIES as u64)]);
    let before = ws.briefs().await;
    let hits_before: Vec<usize> = PATHS.iter().map(|p| server.hits(p)).collect();

    let second = ws.poll().await;
    second.assert_counts(&[
        ("sources", 3),
        ("not_modified", 3),
        ("errors", 0),
        ("new_briefs", 0),
    ]);

    for (path, before_hits) in PATHS.iter().zip(hits_before) {
        let reqs = server.requests(path);
        assert!(
            reqs.len() > before_hits,
            "second poll did not request {path} (requests: {reqs:#?})"
        );
        let last = reqs.last().expect("a request");
        assert_eq!(last.method, "GET", "{path}: {last:?}");
        let etag = server.etag(path).expect("etag");
        let last_modified = server.last_modified(path).expect("last-modified");
        let inm_ok = last
            .header("if-none-match")
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
        let ims_ok = last.header("if-modified-since") == Some(last_modified.as_str());
        assert!(
            inm_ok || ims_ok,
            "second request for {path} carried neither If-None-Match: {etag} nor \
             If-Modified-Since: {last_modified}; headers: {:?}",
            last.headers
        );
    }

    let after = ws.briefs().await;
    assert_eq!(identity(&after), identity(&before), "rows changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_feed_with_one_new_entry_stores_exactly_one_brief() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", STANDARD_ENTRIES as u64)]);
    let before = ws.briefs().await;
    let old_etag = server.etag("/alpha.xml").expect("etag");

    // New entry at the top of the channel, as a publisher would add it.
    let v1 = String::from_utf8(fixture("alpha.rss")).expect("utf-8 fixture");
    let anchor = "<language>en</language>\n";
    assert!(v1.contains(anchor), "fixture changed: anchor missing");
    let v2 = v1.replacen(
        anchor,
        &format!(
            "{anchor}    <item>\n      \
             <title>Ferry timetable changes from Monday</title>\n      \
             <link>https://news.example.org/alpha/ferry-timetable</link>\n      \
             <guid isPermaLink=\"false\">alpha-0004</guid>\n      \
             <pubDate>Thu, 06 Nov 2025 06:00:00 +0000</pubDate>\n      \
             <description>Early sailings move by ten minutes.</description>\n    \
             </item>\n"
        ),
        1,
    );
    server.publish("/alpha.xml", v2, RSS);
    assert_ne!(server.etag("/alpha.xml").expect("etag"), old_etag);

    let second = ws.poll().await;
    second.assert_counts(&[
        ("sources", 3),
        ("fetched", 1),
        ("not_modified", 2),
        ("errors", 0),
        ("new_briefs", 1),
        // The feed's other entries are recognised before they are processed.
        ("known_entries", ALPHA_ENTRIES as u64),
    ]);

    let after = ws.briefs().await;
    assert_eq!(
        after.len(),
        before.len() + 1,
        "titles after: {:?}",
        titles(&after)
    );
    let new = by_title(&after, "Ferry timetable changes from Monday");
    assert_eq!(str_field(new, "source"), "alpha");
    assert_eq!(
        str_field(new, "url"),
        "https://news.example.org/alpha/ferry-timetable"
    );
    let old_ids: BTreeSet<String> = before.iter().map(id_arg).collect();
    let new_ids: BTreeSet<String> = after.iter().map(id_arg).collect();
    assert!(
        old_ids.is_subset(&new_ids),
        "existing briefs lost: before {old_ids:?}, after {new_ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_briefs_and_a_later_poll_stores_nothing_new() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    ws.poll()
        .await
        .assert_counts(&[("errors", 0), ("new_briefs", STANDARD_ENTRIES as u64)]);

    // `storage.path = "bw.db"` is relative: it belongs next to the config, not in the cwd.
    assert!(
        ws.path("bw.db").exists(),
        "bw.db was not created next to the config file ({})",
        ws.path("bw.db").display()
    );
    assert!(
        !ws.cwd.path().join("bw.db").exists(),
        "bw.db was created in the working directory instead of next to the config"
    );

    // Every CLI call is a fresh process: the listing must come back identical.
    let first = ws.briefs().await;
    assert_eq!(first.len(), STANDARD_ENTRIES);
    let again = ws.briefs().await;
    assert_eq!(identity(&again), identity(&first));

    // The origin "restarts" too: same documents, fresh validators, so every feed comes back
    // with 200 and all its entries; none of them may be stored a second time.
    server.republish_all_with_new_validators();
    let after_restart = ws.poll().await;
    after_restart.assert_counts(&[
        ("sources", 3),
        ("fetched", 3),
        ("not_modified", 0),
        ("errors", 0),
        ("new_briefs", 0),
        ("known_entries", STANDARD_ENTRIES as u64),
    ]);
    let last = ws.briefs().await;
    assert_eq!(
        identity(&last),
        identity(&first),
        "rows changed after restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_brief_stays_deleted_when_its_feed_is_fetched_again() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server);
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));
    ws.poll().await.assert_counts(&[("errors", 0)]);
    let before = ws.briefs().await;
    let victim = before[0].clone();
    ws.bw(&["briefs", "delete", &id_arg(&victim)])
        .await
        .assert_success();
    let after_delete = ws.briefs().await;
    assert_eq!(after_delete.len(), before.len() - 1);
    assert!(!after_delete.iter().any(|b| b["id"] == victim["id"]));

    // Fresh validators: every feed comes back whole, the deleted entry included.
    server.republish_all_with_new_validators();
    // The tombstone makes the deleted entry as known as the stored ones.
    ws.poll().await.assert_counts(&[
        ("errors", 0),
        ("new_briefs", 0),
        ("known_entries", STANDARD_ENTRIES as u64),
    ]);
    let last = ws.briefs().await;
    assert_eq!(last.len(), before.len() - 1, "the deleted brief came back");
    assert!(!last.iter().any(|b| b["guid"] == victim["guid"]));
}

/// 20 sources on one host, each answering slowly, polled at once: the host never sees more
/// requests at a time than `per_host_concurrency`, and the limit (not some other bound) is what
/// holds them back.
#[tokio::test]
async fn twenty_sources_on_one_host_never_exceed_the_per_host_limit() {
    for limit in [2usize, 5] {
        let server = FeedServer::start().await;
        let mut spec = ConfigSpec::for_server(&server);
        for i in 0..20 {
            let path = format!("/f{i}.xml");
            server.publish(
                &path,
                format!(
                    "<rss version=\"2.0\"><channel><title>f{i}</title><item><guid>g{i}</guid>\
                     <title>Item {i}</title><link>https://f.example/{i}</link></item></channel></rss>"
                ),
                "application/rss+xml",
            );
            server.set_mode(
                &path,
                crate::server::Mode::Slow(std::time::Duration::from_millis(150)),
            );
            spec = spec.source(crate::harness::SourceSpec::new(
                &format!("f{i}"),
                server.url(&path),
            ));
        }
        let ws = Workspace::new();
        ws.write_config(&spec.render().replace(
            "[fetch]\n",
            &format!("[fetch]\nper_host_concurrency = {limit}\n"),
        ));
        let summary = ws.poll().await;
        assert_eq!(summary.get("fetched"), 20, "{}", summary.json);
        assert_eq!(server.max_in_flight(), limit, "limit {limit}");
    }
}

/// A feed's `<ttl>` (minutes) and a response's `Expires` push the next check past the interval.
#[tokio::test]
async fn the_next_check_is_never_earlier_than_the_feed_ttl() {
    let server = FeedServer::start().await;
    server.publish(
        "/ttl.xml",
        "<rss version=\"2.0\"><channel><title>t</title><ttl>180</ttl><item><guid>a</guid>\
         <title>A</title><link>https://t.example/a</link></item></channel></rss>",
        "application/rss+xml",
    );
    let spec = ConfigSpec::for_server(&server)
        .source(crate::harness::SourceSpec::new("ttl", server.url("/ttl.xml")).interval("15m"));
    let ws = Workspace::with_config(&spec);
    ws.poll().await;
    let status = ws.bw(&["sources", "status", "--json"]).await.json_one();
    let next =
        chrono::DateTime::parse_from_rfc3339(status["next_check"].as_str().unwrap()).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        wait >= chrono::Duration::minutes(179) && wait <= chrono::Duration::minutes(199),
        "next check in {wait}: {status}"
    );
}
