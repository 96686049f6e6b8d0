//! Failing sources (HTTP 500, malformed XML, a hanging origin) are counted and recorded, and
//! never keep the healthy sources from being stored.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    ConfigSpec, RSS, STANDARD_ENTRIES, SourceSpec, Workspace, fixture, serve_standard_feeds,
    source_row, titles,
};
use crate::server::{FeedServer, Mode};

/// `last_error` of a source row, lower-cased; panics when it is missing or null.
fn last_error(row: &Value) -> String {
    match row.get("last_error") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.to_lowercase(),
        other => panic!("expected a non-empty last_error, got {other:?} in {row}"),
    }
}

fn failures(row: &Value) -> u64 {
    row.get("failures")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("`failures` is not a number in {row}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_sources_are_counted_and_recorded_while_healthy_ones_are_stored() {
    let server = FeedServer::start().await;
    let mut sources = serve_standard_feeds(&server);

    server.publish("/down.xml", fixture("alpha.rss"), RSS);
    server.set_mode("/down.xml", Mode::Status(500));
    server.publish("/broken.xml", fixture("broken.xml"), RSS);
    server.publish("/slow.xml", fixture("alpha.rss"), RSS);
    server.set_mode("/slow.xml", Mode::Hang(Duration::from_secs(30)));
    let failing = [
        ("down", server.url("/down.xml")),
        ("broken", server.url("/broken.xml")),
        ("slow", server.url("/slow.xml")),
    ];
    sources.extend(failing.iter().map(|(n, u)| SourceSpec::new(n, u.clone())));

    let mut spec = ConfigSpec::for_server(&server).sources(sources);
    spec.timeout_secs = 2;
    spec.connect_timeout_secs = 1;
    let ws = Workspace::with_config(&spec);

    let started = Instant::now();
    let summary = ws.poll().await;
    let took = started.elapsed();
    summary.assert_counts(&[
        ("sources", 6),
        ("errors", 3),
        ("new_briefs", STANDARD_ENTRIES as u64),
    ]);
    assert!(
        took < Duration::from_secs(25),
        "poll took {took:?}: the hanging source was not cut off by timeout_secs = 2"
    );
    for path in ["/down.xml", "/broken.xml", "/slow.xml"] {
        assert!(server.hits(path) >= 1, "{path} was never requested");
    }
    // Each failure is logged on stderr with the source's name and URL.
    for (name, url) in &failing {
        assert!(
            summary.run.stderr.contains(name) && summary.run.stderr.contains(url.as_str()),
            "stderr does not name failing source {name} with its URL {url}\n{}",
            summary.run.describe()
        );
    }

    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        STANDARD_ENTRIES,
        "healthy briefs only; titles: {:?}",
        titles(&briefs)
    );

    let rows = ws.sources().await;
    assert_eq!(rows.len(), 6, "sources list: {rows:#?}");
    for row in &rows {
        for key in [
            "name",
            "kind",
            "url",
            "enabled",
            "failures",
            "last_error",
            "last_status",
        ] {
            assert!(row.get(key).is_some(), "sources row lacks `{key}`: {row}");
        }
    }
    for row in &rows {
        assert_eq!(row["kind"], "feed", "kind defaults to feed: {row}");
        assert_eq!(row["enabled"], true, "{row}");
    }
    for healthy in ["alpha", "beta", "gamma"] {
        let row = source_row(&rows, healthy);
        assert_eq!(failures(row), 0, "healthy source {healthy}: {row}");
        assert!(
            row["last_error"].is_null(),
            "healthy source {healthy} has an error: {row}"
        );
    }

    let down = source_row(&rows, "down");
    assert!(failures(down) >= 1, "{down}");
    let err = last_error(down);
    assert!(
        err.contains("500"),
        "last_error of `down` does not name HTTP 500: {err:?}"
    );

    let broken = source_row(&rows, "broken");
    assert!(failures(broken) >= 1, "{broken}");
    let err = last_error(broken);
    assert!(
        [
            "pars",
            "xml",
            "malformed",
            "invalid",
            "syntax",
            "unexpected",
            "eof",
            "mismatch"
        ]
        .iter()
        .any(|w| err.contains(w)),
        "last_error of `broken` does not name a parse problem: {err:?}"
    );

    let slow = source_row(&rows, "slow");
    assert!(failures(slow) >= 1, "{slow}");
    let err = last_error(slow);
    assert!(
        ["timeout", "timed out", "time out", "deadline"]
            .iter()
            .any(|w| err.contains(w)),
        "last_error of `slow` does not name a timeout: {err:?}"
    );
}
