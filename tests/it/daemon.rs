//! `run`: the daemon polls on each source's interval and stops cleanly on SIGTERM / SIGINT.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_config_and_the_added_source_is_polled_and_stored() {
    let server = FeedServer::start().await;
    let mut sources = serve_standard_feeds(&server).into_iter();
    let alpha = sources.next().expect("a standard feed").interval("1s");
    let beta = sources
        .next()
        .expect("a second standard feed")
        .interval("1s");
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).source(alpha.clone()));
    let mut daemon = ws.spawn(&["run"]);

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    // Polled first, so that the database exists before the CLI reads it.
    while server.hits(PATHS[0]) < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "first source never polled\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while ws.briefs().await.len() < ALPHA_ENTRIES {
        assert!(
            std::time::Instant::now() < deadline,
            "first source's briefs never stored\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert_eq!(
        server.hits(PATHS[1]),
        0,
        "second source polled before it was configured"
    );
    // The reload syncs the new source on the daemon's own (writer) connection; its briefs must then
    // be polled and stored by the same daemon, without a restart.
    ws.write_config(
        &ConfigSpec::for_server(&server)
            .source(alpha)
            .source(beta)
            .render(),
    );
    daemon.signal("HUP");
    while ws.briefs().await.len() < ALPHA_ENTRIES + BETA_ENTRIES {
        if let Some(status) = daemon.try_status() {
            panic!(
                "daemon exited on SIGHUP: {status:?}\n{}",
                daemon.output_so_far()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the source added by SIGHUP had no briefs stored\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    daemon.signal("TERM");
    let Some((status, _, stderr)) = daemon.wait_exit(Duration::from_secs(10)).await else {
        panic!("daemon did not stop\n{}", daemon.output_so_far());
    };
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("config reloaded"), "{stderr}");
    assert!(!stderr.contains("reload failed"), "{stderr}");
    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        ALPHA_ENTRIES + BETA_ENTRIES,
        "titles: {:?}",
        titles(&briefs)
    );
}
