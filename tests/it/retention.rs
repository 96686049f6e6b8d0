//! `backup FILE` while the daemon runs: a complete, consistent copy; an existing file is refused.

use std::time::{Duration, Instant};

use crate::harness::{ConfigSpec, Workspace, serve_standard_feeds};
use crate::server::FeedServer;

#[tokio::test]
async fn a_backup_taken_while_the_daemon_runs_is_complete_and_never_overwrites() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));
    let mut daemon = ws.spawn(&["run"]);
    let start = Instant::now();
    let stored = loop {
        let n = ws.briefs().await.len();
        if n > 0 && start.elapsed() > Duration::from_secs(2) {
            break n;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let copy = ws.path("copy.db");
    let run = ws.bw(&["backup", copy.to_str().unwrap()]).await;
    run.assert_success();
    let again = ws.bw(&["backup", copy.to_str().unwrap()]).await;
    assert_eq!(again.code(), Some(1), "{}", again.describe());
    assert!(again.stderr.contains("copy.db") && again.stderr.contains("already exists"));
    daemon.signal("TERM");
    daemon
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("stops");

    let db = rusqlite::Connection::open(&copy).unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let briefs: i64 = db
        .query_row("SELECT count(*) FROM briefs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(briefs as usize, stored);
}
