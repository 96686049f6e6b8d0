//! Loopback and private addresses are refused unless listed in `allow_hosts` or
//! `allow_private_networks = true`; a refused source never stops the others, which are stored and
//! alerted.

use serde_json::Value;

use crate::harness::{
    ALPHA_ENTRIES, ConfigSpec, RSS, SourceSpec, Workspace, fixture, source_row, titles,
};
use crate::hostile::{assert_peak_rss, workspace_with_fetch};
use crate::server::{FeedServer, Mode};

/// A second origin on loopback that is not in `allow_hosts`: 127.0.0.2 where the system
/// routes all of 127.0.0.0/8 to loopback (Linux), else another port on 127.0.0.1.
async fn unlisted_loopback_server() -> FeedServer {
    match FeedServer::start_on("127.0.0.2").await {
        Ok(s) => s,
        Err(_) => FeedServer::start().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_source_outside_allow_hosts_is_refused_without_stopping_the_others() {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    let unlisted = unlisted_loopback_server().await;
    unlisted.publish("/sneaky.xml", fixture("nolink.rss"), RSS);
    let sneaky_url = unlisted.url("/sneaky.xml");
    assert_ne!(unlisted.host_port(), server.host_port());

    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(SourceSpec::new("alpha", server.url("/alpha.xml")))
            .source(SourceSpec::new("sneaky", sneaky_url.clone())),
        "",
    )
    .await;

    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 1),
        ("new_briefs", ALPHA_ENTRIES as u64),
        ("alerts_delivered", ALPHA_ENTRIES as u64),
    ]);
    assert_eq!(hook.seen_at("/hook").len(), ALPHA_ENTRIES, "alpha alerted");
    assert_peak_rss(&summary);
    assert_eq!(
        unlisted.hits("/sneaky.xml"),
        0,
        "the refused loopback origin was contacted anyway"
    );
    assert!(
        summary.run.stderr.contains(&sneaky_url),
        "stderr does not name the refused URL {sneaky_url}\n{}",
        summary.run.describe()
    );

    let briefs = ws.briefs().await;
    assert_eq!(briefs.len(), ALPHA_ENTRIES, "titles: {:?}", titles(&briefs));
    assert!(
        briefs.iter().all(|b| b["source"] == "alpha"),
        "only alpha's briefs expected: {briefs:#?}"
    );

    let rows = ws.sources().await;
    let sneaky = source_row(&rows, "sneaky");
    assert!(
        sneaky["failures"].as_u64().is_some_and(|n| n >= 1),
        "refused source has no failure recorded: {sneaky}"
    );
    assert!(
        matches!(&sneaky["last_error"], Value::String(s) if !s.trim().is_empty()),
        "refused source has no last_error: {sneaky}"
    );
    let alpha = source_row(&rows, "alpha");
    assert!(alpha["last_error"].is_null(), "{alpha}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_private_networks_permits_loopback_sources_without_allow_hosts() {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    let mut spec =
        ConfigSpec::for_server(&server).source(SourceSpec::new("alpha", server.url("/alpha.xml")));
    spec.allow_hosts.clear();
    spec.allow_private_networks = Some(true);
    let ws = Workspace::with_config(&spec);

    ws.poll().await.assert_counts(&[
        ("sources", 1),
        ("errors", 0),
        ("new_briefs", ALPHA_ENTRIES as u64),
    ]);
    assert!(server.hits("/alpha.xml") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_name_outside_allow_hosts_is_refused() {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    // Another port on 127.0.0.1, reached through the name `localhost`.
    let unlisted = FeedServer::start().await;
    unlisted.publish("/sneaky.xml", fixture("nolink.rss"), RSS);
    let port = unlisted
        .host_port()
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    let sneaky_url = format!("http://localhost:{port}/sneaky.xml");

    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(SourceSpec::new("alpha", server.url("/alpha.xml")))
            .source(SourceSpec::new("sneaky", sneaky_url.clone())),
        "",
    )
    .await;
    let summary = ws.poll().await;
    assert_eq!(
        unlisted.hits("/sneaky.xml"),
        0,
        "{sneaky_url} (loopback, not in allow_hosts) was fetched\n{}",
        summary.run.describe()
    );
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 1),
        ("new_briefs", ALPHA_ENTRIES as u64),
        ("alerts_delivered", ALPHA_ENTRIES as u64),
    ]);
    assert_eq!(hook.seen_at("/hook").len(), ALPHA_ENTRIES, "alpha alerted");
    assert_peak_rss(&summary);
    assert!(
        summary.run.stderr.contains(&sneaky_url),
        "stderr does not name the refused URL {sneaky_url}\n{}",
        summary.run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_from_an_allowed_host_to_an_unlisted_loopback_is_refused() {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    let unlisted = unlisted_loopback_server().await;
    unlisted.publish("/sneaky.xml", fixture("nolink.rss"), RSS);
    server.set_mode("/hop.xml", Mode::Redirect(unlisted.url("/sneaky.xml")));

    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(SourceSpec::new("alpha", server.url("/alpha.xml")))
            .source(SourceSpec::new("hop", server.url("/hop.xml"))),
        "",
    )
    .await;
    let summary = ws.poll().await;
    assert!(
        server.hits("/hop.xml") >= 1,
        "the allowed URL was not requested"
    );
    assert_eq!(
        unlisted.hits("/sneaky.xml"),
        0,
        "a redirect led the client to a loopback origin outside allow_hosts\n{}",
        summary.run.describe()
    );
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 1),
        ("new_briefs", ALPHA_ENTRIES as u64),
        ("alerts_delivered", ALPHA_ENTRIES as u64),
    ]);
    assert_eq!(hook.seen_at("/hook").len(), ALPHA_ENTRIES, "alpha alerted");
    assert_peak_rss(&summary);
    let rows = ws.sources().await;
    let hop = source_row(&rows, "hop");
    assert!(
        matches!(&hop["last_error"], Value::String(s) if !s.trim().is_empty()),
        "refused redirect left no last_error: {hop}"
    );
}
