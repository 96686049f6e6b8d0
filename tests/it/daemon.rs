//! `run`: the daemon polls on each source's interval and stops cleanly on SIGTERM / SIGINT.

use std::time::Duration;

use crate::harness::{ConfigSpec, STANDARD_ENTRIES, Workspace, serve_standard_feeds, titles};
use crate::server::FeedServer;

const PATHS: [&str; 3] = ["/alpha.xml", "/beta.atom", "/gamma.json"];

async fn daemon_polls_then_exits_zero_on(signal: &str) {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    let mut daemon = ws.spawn(&["run"]);

    // Two requests per feed prove that it polls on the interval, not just once at start.
    wait_for_requests(&server, &mut daemon, 2).await;

    daemon.signal(signal);
    let Some((status, stdout, stderr)) = daemon.wait_exit(Duration::from_secs(10)).await else {
        panic!(
            "daemon did not exit within 10 s of SIG{signal}\n{}",
            daemon.output_so_far()
        );
    };
    assert_eq!(
        status.code(),
        Some(0),
        "daemon exit after SIG{signal}: {status:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );

    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        STANDARD_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );
}

async fn wait_for_requests(server: &FeedServer, daemon: &mut crate::harness::Daemon, n: usize) {
    let deadline = Duration::from_secs(30);
    let start = std::time::Instant::now();
    loop {
        if PATHS.iter().all(|p| server.hits(p) >= n) {
            return;
        }
        if let Some(status) = daemon.try_status() {
            panic!(
                "daemon exited early with {status:?}\n{}",
                daemon.output_so_far()
            );
        }
        if start.elapsed() > deadline {
            let hits: Vec<_> = PATHS.iter().map(|p| (p, server.hits(p))).collect();
            panic!(
                "daemon did not request every feed {n} times within {deadline:?}: {hits:?}\n{}",
                daemon.output_so_far()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_polls_on_a_1s_interval_and_exits_0_on_sigterm() {
    daemon_polls_then_exits_zero_on("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_polls_on_a_1s_interval_and_exits_0_on_sigint() {
    daemon_polls_then_exits_zero_on("INT").await;
}
