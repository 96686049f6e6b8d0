//! `run`: the daemon polls on each source's interval, reloads its config on SIGHUP (keeping the
//! old one when the new one is broken), and stops cleanly on SIGTERM / SIGINT.

use std::time::Duration;

use crate::harness::{
    ALPHA_ENTRIES, BETA_ENTRIES, ConfigSpec, Daemon, STANDARD_ENTRIES, Workspace,
    serve_standard_feeds, titles,
};
use crate::server::{FeedServer, Mode};

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

async fn wait_for_requests(server: &FeedServer, daemon: &mut Daemon, n: usize) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_skips_stored_entries_when_a_feed_comes_back_whole() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));
    let mut daemon = ws.spawn_env(&["run"], &[("BRIEFWATCH_LOG", "briefwatch=debug")]);
    wait_for_requests(&server, &mut daemon, 1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ws.briefs().await.len() < STANDARD_ENTRIES {
        assert!(
            std::time::Instant::now() < deadline,
            "first poll not stored\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Same documents, fresh validators: every feed answers 200 with entries already stored,
    // which this daemon (not a restarted one) must recognise before processing them.
    server.republish_all_with_new_validators();
    let n = PATHS.iter().map(|p| server.hits(p)).max().unwrap_or(0) + 1;
    wait_for_requests(&server, &mut daemon, n).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    daemon.signal("TERM");
    let Some((status, _, stderr)) = daemon.wait_exit(Duration::from_secs(10)).await else {
        panic!("daemon did not exit\n{}", daemon.output_so_far());
    };
    assert!(status.success(), "{stderr}");
    let want = format!("known_entries={ALPHA_ENTRIES}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("source=alpha") && l.contains(&want)),
        "no poll of alpha skipped its {ALPHA_ENTRIES} stored entries:\n{stderr}"
    );
    assert_eq!(ws.briefs().await.len(), STANDARD_ENTRIES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn briefs_can_be_listed_while_the_daemon_runs() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));

    let mut daemon = ws.spawn(&["run"]);
    wait_for_requests(&server, &mut daemon, 1).await;

    // The daemon keeps polling (and writing) while the CLI reads the same database.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let run = ws.bw(&["briefs", "list", "--limit", "0", "--json"]).await;
        assert!(
            run.status.success(),
            "briefs list failed while the daemon runs\n{}\n{}",
            run.describe(),
            daemon.output_so_far()
        );
        let n = run.json_lines().len();
        if n == STANDARD_ENTRIES {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {n} briefs listed while the daemon runs\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Two streams of back-to-back CLI calls for a few seconds, interleaved with the
    // daemon's 1 s polls: every call must succeed (SQLite busy handling, not luck).
    let until = std::time::Instant::now() + Duration::from_secs(8);
    let stream = |args: &'static [&'static str]| {
        let ws = &ws;
        async move {
            let mut calls = 0;
            while std::time::Instant::now() < until {
                let run = ws.bw(args).await;
                calls += 1;
                assert!(
                    run.status.success(),
                    "call #{calls} failed while the daemon runs\n{}",
                    run.describe()
                );
            }
        }
    };
    tokio::join!(
        stream(&["sources", "list", "--json"]),
        stream(&["briefs", "list", "--limit", "0", "--json"]),
    );

    daemon.signal("TERM");
    let exited = daemon.wait_exit(Duration::from_secs(10)).await;
    assert!(
        exited.is_some_and(|(status, _, _)| status.success()),
        "daemon did not exit 0 after SIGTERM"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_exits_promptly_on_sigterm_while_a_fetch_hangs() {
    let server = FeedServer::start().await;
    let mut sources: Vec<_> = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"))
        .collect();
    server.publish(
        "/slow.xml",
        crate::harness::fixture("alpha.rss"),
        crate::harness::RSS,
    );
    server.set_mode("/slow.xml", Mode::Hang(Duration::from_secs(120)));
    sources.push(crate::harness::SourceSpec::new("slow", server.url("/slow.xml")).interval("1s"));
    // A long client timeout: a prompt exit must cancel the hanging fetch, not outwait it.
    let mut spec = ConfigSpec::for_server(&server).sources(sources);
    spec.timeout_secs = 60;
    let ws = Workspace::with_config(&spec);

    let mut daemon = ws.spawn(&["run"]);
    wait_for_requests(&server, &mut daemon, 1).await;
    let start = std::time::Instant::now();
    while server.hits("/slow.xml") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the hanging source was never requested\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The healthy sources' briefs are in before the signal (on a loaded machine they may not
    // have been polled yet), so that the count below checks that the shutdown lost none of them.
    let start = std::time::Instant::now();
    while ws.briefs().await.len() < STANDARD_ENTRIES {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the healthy sources were not stored within 30 s\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    daemon.signal("TERM");
    let Some((status, stdout, stderr)) = daemon.wait_exit(Duration::from_secs(8)).await else {
        panic!(
            "daemon did not exit within 8 s of SIGTERM while a fetch hung (timeout_secs = 60)\n{}",
            daemon.output_so_far()
        );
    };
    assert_eq!(
        status.code(),
        Some(0),
        "daemon exit: {status:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        STANDARD_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );
}

/// Waits (bounded) until `path` has been requested `n` times, failing if the daemon exits.
async fn wait_for_hits(server: &FeedServer, daemon: &mut Daemon, path: &str, n: usize, why: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.hits(path) < n {
        if let Some(status) = daemon.try_status() {
            panic!(
                "daemon exited ({status:?}) {why}\n{}",
                daemon.output_so_far()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} requested {} times, not {n}, {why}\n{}",
            server.hits(path),
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (bounded) until `n` briefs are stored.
async fn wait_for_briefs(ws: &Workspace, daemon: &mut Daemon, n: usize, why: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ws.briefs().await.len() < n {
        if let Some(status) = daemon.try_status() {
            panic!(
                "daemon exited ({status:?}) {why}\n{}",
                daemon.output_so_far()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} briefs stored {why}\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_with_a_broken_config_keeps_polling_and_a_good_one_adds_and_removes_sources() {
    let server = FeedServer::start().await;
    let mut feeds = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let (alpha, beta, gamma) = (
        feeds.next().expect("alpha"),
        feeds.next().expect("beta"),
        feeds.next().expect("gamma"),
    );
    let [alpha_path, beta_path, gamma_path] = PATHS;
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server)
            .source(alpha.clone())
            .source(beta),
    );
    let mut daemon = ws.spawn(&["run"]);
    wait_for_hits(&server, &mut daemon, alpha_path, 1, "before the first poll").await;
    wait_for_briefs(
        &ws,
        &mut daemon,
        ALPHA_ENTRIES + BETA_ENTRIES,
        "by the first polls",
    )
    .await;

    // A config that does not parse: the daemon keeps running on the old one and keeps polling.
    ws.write_config("[[sources]]\nname = \"alpha\"\nurl = \n");
    daemon.signal("HUP");
    for path in [alpha_path, beta_path] {
        let n = server.hits(path) + 2;
        wait_for_hits(
            &server,
            &mut daemon,
            path,
            n,
            "after SIGHUP with a broken config",
        )
        .await;
    }
    assert!(
        daemon.output_so_far().contains("reload failed"),
        "the refused reload is not logged\n{}",
        daemon.output_so_far()
    );
    assert_eq!(
        server.hits(gamma_path),
        0,
        "gamma polled before it was configured"
    );

    // A good config: gamma added, beta removed, alpha kept.
    ws.write_config(
        &ConfigSpec::for_server(&server)
            .source(alpha)
            .source(gamma)
            .render(),
    );
    daemon.signal("HUP");
    wait_for_briefs(
        &ws,
        &mut daemon,
        STANDARD_ENTRIES,
        "after gamma was added by SIGHUP",
    )
    .await;
    // A beta poll that was in flight during the reload may still land; after that, none.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let beta_hits = server.hits(beta_path);
    for path in [alpha_path, gamma_path] {
        let n = server.hits(path) + 2;
        wait_for_hits(&server, &mut daemon, path, n, "after the good reload").await;
    }
    assert_eq!(
        server.hits(beta_path),
        beta_hits,
        "beta still polled after SIGHUP removed it"
    );

    daemon.signal("TERM");
    let Some((status, _, stderr)) = daemon.wait_exit(Duration::from_secs(10)).await else {
        panic!(
            "daemon did not stop within 10 s\n{}",
            daemon.output_so_far()
        );
    };
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("config reloaded"), "{stderr}");
    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        STANDARD_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );
    let db = rusqlite::Connection::open(ws.path("bw.db")).expect("open the database");
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("PRAGMA integrity_check");
    assert_eq!(check, "ok");
}
