//! OPML 2.0: import subscriptions, poll them, export them again.

use serde_json::Value;

use crate::harness::{
    ALPHA_ENTRIES, BETA_ENTRIES, ConfigSpec, GAMMA_ENTRIES, SourceSpec, Workspace, fixture,
    serve_standard_feeds, str_field, titles,
};
use crate::server::FeedServer;

fn source_urls(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| str_field(r, "url").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opml_import_adds_feeds_that_are_listed_polled_and_exported() {
    let server = FeedServer::start().await;
    serve_standard_feeds(&server);
    let alpha = server.url("/alpha.xml");
    let beta = server.url("/beta.atom");
    let gamma = server.url("/gamma.json");

    // The config has one source of its own; the OPML file brings two more (one nested in a
    // category outline, as feed readers export them).
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server).source(SourceSpec::new("gamma", gamma.clone())),
    );
    let template = String::from_utf8(fixture("subscriptions.opml")).expect("utf-8 fixture");
    let opml_path = ws.path("subscriptions.opml");
    std::fs::write(&opml_path, template.replace("{{BASE}}", &server.url(""))).expect("write opml");

    let run = ws
        .bw(&["sources", "import", opml_path.to_str().expect("utf-8 path")])
        .await;
    run.assert_success();

    let rows = ws.sources().await;
    let urls = source_urls(&rows);
    for url in [&alpha, &beta] {
        assert!(
            urls.contains(url),
            "imported feed {url} missing from sources list: {rows:#?}"
        );
    }

    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 3),
        ("errors", 0),
        (
            "new_briefs",
            (ALPHA_ENTRIES + BETA_ENTRIES + GAMMA_ENTRIES) as u64,
        ),
    ]);
    for path in ["/alpha.xml", "/beta.atom", "/gamma.json"] {
        assert!(server.hits(path) >= 1, "{path} was not polled");
    }
    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        ALPHA_ENTRIES + BETA_ENTRIES + GAMMA_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );

    let rows = ws.sources().await;
    assert_eq!(rows.len(), 3, "sources list after poll: {rows:#?}");
    let urls = source_urls(&rows);
    for url in [&alpha, &beta, &gamma] {
        assert!(
            urls.contains(url),
            "{url} missing from sources list: {rows:#?}"
        );
    }

    let export = ws.bw(&["sources", "export"]).await;
    export.assert_success();
    let out = &export.stdout;
    assert!(
        out.contains("<opml") && (out.contains("version=\"2.0\"") || out.contains("version='2.0'")),
        "export is not OPML 2.0\n{}",
        export.describe()
    );
    for url in [&alpha, &beta, &gamma] {
        assert!(
            out.contains(&format!("xmlUrl=\"{url}\"")),
            "export lacks xmlUrl=\"{url}\"\n{}",
            export.describe()
        );
    }
    assert_eq!(
        out.matches("xmlUrl=").count(),
        3,
        "one outline per source expected\n{}",
        export.describe()
    );
}
