//! `run` under a service manager: the notify protocol seen from a datagram socket the test owns
//! in place of systemd's ($NOTIFY_SOCKET): READY, STATUS, WATCHDOG, RELOADING with
//! MONOTONIC_USEC and READY again on SIGHUP, STOPPING on SIGTERM; and log lines shaped for
//! journald when stderr is the stream $JOURNAL_STREAM names.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sd_notify::NotifyState;
use tokio::net::UnixDatagram;

use crate::harness::{
    ConfigSpec, Daemon, STANDARD_ENTRIES, Workspace, base_command, serve_standard_feeds,
};
use crate::server::FeedServer;

/// Everything the daemon sent, one entry per datagram, in order.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<String>>>);

impl Received {
    /// Binds `path` and records every datagram until the test ends.
    fn listen(path: &Path) -> Self {
        let socket = UnixDatagram::bind(path).expect("bind the notify socket");
        let received = Received::default();
        let sink = received.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf).await {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.0.lock().unwrap().push(msg);
            }
        });
        received
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (bounded) for a datagram at index `from` or later holding the line `line`;
    /// returns its index.
    async fn wait_for(&self, line: &str, from: usize, daemon: &mut Daemon) -> usize {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let all = self.all();
            if let Some(i) = (from..all.len()).find(|&i| all[i].lines().any(|l| l == line)) {
                return i;
            }
            if let Some(status) = daemon.try_status() {
                panic!(
                    "daemon exited ({status:?}) before sending {line}; got {all:#?}\n{}",
                    daemon.output_so_far()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {line} within 20 s; got {all:#?}\n{}",
                daemon.output_so_far()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The value of `KEY=` in one datagram.
fn field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    msg.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

fn monotonic_usec() -> i128 {
    match NotifyState::monotonic_usec_now().expect("read CLOCK_MONOTONIC") {
        NotifyState::MonotonicUsec(u) => u,
        other => panic!("not a monotonic time: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_notifies_ready_watchdog_status_reload_and_stopping() {
    let server = FeedServer::start().await;
    let sources = serve_standard_feeds(&server)
        .into_iter()
        .map(|s| s.interval("1s"));
    let ws = Workspace::with_config(&ConfigSpec::for_server(&server).sources(sources));
    let socket = ws.path("notify.sock");
    let received = Received::listen(&socket);
    let mut daemon = ws.spawn_env(
        &["run"],
        &[
            ("NOTIFY_SOCKET", socket.to_str().expect("utf-8 path")),
            ("WATCHDOG_USEC", "400000"),
        ],
    );

    let ready = received.wait_for("READY=1", 0, &mut daemon).await;
    let first = &received.all()[ready];
    let status =
        field(first, "STATUS").unwrap_or_else(|| panic!("READY=1 without STATUS: {first:?}"));
    assert!(status.starts_with("polling 3 sources"), "{status:?}");

    // Pings at half of WATCHDOG_USEC (200 ms): seven in 1.5 s, at least four on a busy machine.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pings = |msgs: &[String]| {
        msgs.iter()
            .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
            .count()
    };
    let seen = pings(&received.all()[ready + 1..]);
    assert!(
        seen >= 5,
        "{seen} WATCHDOG=1 in 1.5 s: {:#?}",
        received.all()
    );

    // Every feed polled and stored, so that the status after the reload has something to say.
    let deadline = Instant::now() + Duration::from_secs(20);
    while ws.briefs().await.len() < STANDARD_ENTRIES {
        assert!(
            Instant::now() < deadline,
            "first polls not stored\n{}",
            daemon.output_so_far()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let before = monotonic_usec();
    let mark = received.all().len();
    daemon.signal("HUP");
    let reloading = received.wait_for("RELOADING=1", mark, &mut daemon).await;
    let msg = &received.all()[reloading];
    let usec: i128 = field(msg, "MONOTONIC_USEC")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("RELOADING=1 without MONOTONIC_USEC: {msg:?}"));
    let after = monotonic_usec();
    assert!(
        (before..=after).contains(&usec),
        "MONOTONIC_USEC={usec} is not CLOCK_MONOTONIC between {before} and {after}"
    );
    let ready_again = received
        .wait_for("READY=1", reloading + 1, &mut daemon)
        .await;
    let status = field(&received.all()[ready_again], "STATUS").map(str::to_owned);
    assert!(
        status.as_deref().is_some_and(|s| s
            .contains(&format!("{STANDARD_ENTRIES} new briefs since start"))
            && s.contains("last poll")),
        "status after the reload: {status:?}"
    );
    let pinged_after_reload = received
        .wait_for("WATCHDOG=1", ready_again + 1, &mut daemon)
        .await;
    assert!(pinged_after_reload > ready_again);

    let mark = received.all().len();
    daemon.signal("TERM");
    received.wait_for("STOPPING=1", mark, &mut daemon).await;
    let Some((status, _, stderr)) = daemon.wait_exit(Duration::from_secs(10)).await else {
        panic!(
            "daemon did not exit within 10 s of SIGTERM\n{}",
            daemon.output_so_far()
        );
    };
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_is_left_alone_when_watchdog_pid_names_another_process() {
    let server = FeedServer::start().await;
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server).sources(serve_standard_feeds(&server)),
    );
    let socket = ws.path("notify.sock");
    let received = Received::listen(&socket);
    let mut daemon = ws.spawn_env(
        &["run"],
        &[
            ("NOTIFY_SOCKET", socket.to_str().expect("utf-8 path")),
            ("WATCHDOG_USEC", "200000"),
            ("WATCHDOG_PID", "1"),
        ],
    );
    received.wait_for("READY=1", 0, &mut daemon).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all = received.all();
    assert!(
        !all.iter().any(|m| m.lines().any(|l| l == "WATCHDOG=1")),
        "pinged a watchdog meant for PID 1: {all:#?}"
    );
    daemon.signal("TERM");
    let exited = daemon.wait_exit(Duration::from_secs(10)).await;
    assert!(exited.is_some_and(|(s, _, _)| s.success()), "no clean exit");
}

/// Kills the child if the test fails before it exits.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_journald_log_lines_carry_priorities_and_no_timestamps_or_colours() {
    let server = FeedServer::start().await;
    let ws = Workspace::with_config(
        &ConfigSpec::for_server(&server).sources(serve_standard_feeds(&server)),
    );
    // stderr is a file whose device:inode the test hands over, as systemd does for its stream.
    let log = ws.path("stderr.log");
    let file = std::fs::File::create(&log).expect("create the log file");
    let meta = file.metadata().expect("stat the log file");
    let mut cmd = base_command();
    cmd.current_dir(ws.cwd.path())
        .arg("--config")
        .arg(&ws.config)
        .arg("run")
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file);
    let mut child = KillOnDrop(cmd.spawn().expect("spawn briefwatch"));
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !read().contains("new briefs stored") {
        assert!(
            Instant::now() < deadline,
            "no poll logged within 20 s:\n{}",
            read()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.0.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no exit within 10 s:\n{}",
            read()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}\n{}", read());

    let text = read();
    assert!(
        !text.contains('\x1b'),
        "ANSI escape under journald:\n{text}"
    );
    for line in text.lines() {
        let rest = ["<3>", "<4>", "<6>", "<7>"]
            .iter()
            .find_map(|p| line.strip_prefix(p))
            .unwrap_or_else(|| panic!("line without a priority prefix: {line:?}\n{text}"));
        assert!(
            !rest.starts_with(|c: char| c.is_ascii_digit() || c.is_whitespace()),
            "timestamp or padding after the prefix: {line:?}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("<6>") && l.contains("briefwatch running")),
        "{text}"
    );
}
