//! The daemon's health and metrics endpoint: `/healthz`, `/readyz` and `/metrics`, scraped from the
//! running binary and parsed with a Prometheus text-format parser.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use prometheus_parse::{Scrape, Value};

use crate::harness::{ConfigSpec, SourceSpec, Workspace};
use crate::server::FeedServer;
use crate::smtp::free_port;

const FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
    <link>https://wire.example/</link>\
    <item><guid>a</guid><title>Police foil assassination plot against minister</title>\
    <link>https://wire.example/a</link><description>Two suspects were arrested over the murder \
    plot, prosecutors said.</description></item>\
    <item><guid>b</guid><title>Central bank keeps rates unchanged</title>\
    <link>https://wire.example/b</link><description>Inflation is steady.</description></item>\
    </channel></rss>";

/// reqwest is built without a default TLS provider; plain HTTP still needs one installed.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn get(url: &str) -> (u16, String) {
    let r = client()
        .get(url)
        .send()
        .await
        .expect("the endpoint answers");
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Sample values by metric name and sorted `k=v` labels.
fn samples(text: &str) -> HashMap<(String, String), f64> {
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("parses");
    scrape
        .samples
        .into_iter()
        .filter_map(|s| {
            let v = match s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
                _ => return None,
            };
            let mut labels: Vec<String> =
                s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            Some(((s.metric, labels.join(",")), v))
        })
        .collect()
}

#[tokio::test]
async fn healthz_readyz_and_metrics_describe_the_running_daemon() {
    let origin = FeedServer::start().await;
    origin.publish("/wire.xml", FEED, "application/rss+xml");
    let port = free_port();
    let spec = ConfigSpec::for_server(&origin)
        .source(SourceSpec::new("wire", origin.url("/wire.xml")).interval("1h"));
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\n",
        spec.render()
    ));
    let mut daemon = ws.spawn(&["run"]);
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let values = loop {
        if let Ok(r) = client().get(format!("{base}/metrics")).send().await {
            let text = r.text().await.unwrap();
            let v = samples(&text);
            if v.get(&(
                "briefwatch_briefs_stored_total".into(),
                "source=wire".into(),
            )) == Some(&2.0)
            {
                break v;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no metrics showing the poll\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let v = |name: &str, labels: &str| values.get(&(name.to_owned(), labels.to_owned())).copied();
    assert_eq!(
        v("briefwatch_polls_total", "outcome=fetched,source=wire"),
        Some(1.0)
    );
    assert_eq!(
        v(
            "briefwatch_topics_assigned_total",
            "topic=assassination_plot"
        ),
        Some(1.0)
    );
    assert_eq!(v("briefwatch_outbox_depth", ""), Some(0.0));
    assert_eq!(v("briefwatch_sources", ""), Some(1.0));
    let age = v("briefwatch_source_last_success_age_seconds", "source=wire").expect("age");
    assert!((0.0..30.0).contains(&age), "{age}");
    assert_eq!(v("briefwatch_poll_duration_seconds_count", ""), Some(1.0));

    assert_eq!(
        get(&format!("{base}/healthz")).await,
        (200, "ok\n".to_owned())
    );
    assert_eq!(
        get(&format!("{base}/readyz")).await,
        (200, "ready\n".to_owned())
    );
    daemon.signal("TERM");
    let (status, ..) = daemon
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("stops");
    assert!(status.success());
}

#[tokio::test]
async fn a_taken_listen_port_is_an_error_at_start_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let ws = Workspace::new();
    ws.write_config(&format!(
        "[storage]\npath = \"bw.db\"\n[server]\nlisten = \"127.0.0.1:{port}\"\n"
    ));
    let mut daemon = ws.spawn(&["run"]);
    let (status, _, stderr) = daemon
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exits");
    assert!(!status.success());
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
}
