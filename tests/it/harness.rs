//! Everything the tests share besides the HTTP origin: fixtures, config files in a temp dir,
//! running the real `briefwatch` binary with a deadline, and reading its JSON output.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::server::FeedServer;

/// Upper bound for any one CLI invocation that is not expected to hang.
pub const CLI_DEADLINE: Duration = Duration::from_secs(60);

/// Entries in each standard fixture.
pub const ALPHA_ENTRIES: usize = 3;
pub const BETA_ENTRIES: usize = 2;
pub const GAMMA_ENTRIES: usize = 2;
pub const STANDARD_ENTRIES: usize = ALPHA_ENTRIES + BETA_ENTRIES + GAMMA_ENTRIES;

pub const RSS: &str = "application/rss+xml";

/// An RSS document of one brief that the default pack tags `assassination_plot` (guid `plot-1`).
pub const PLOT_FEED: &str = "<rss version=\"2.0\"><channel><title>Wire</title><item><guid>plot-1</guid>\
     <title>Iran denies assassination plot against exiled dissident</title>\
     <link>https://wire.example.net/plot-1</link><description>Tehran rejected accusations that \
     its agents plotted to assassinate an exiled dissident, calling the alleged plot a fabrication.\
     </description></item></channel></rss>";
pub const ATOM: &str = "application/atom+xml";
pub const JSON_FEED: &str = "application/feed+json";

/// Bytes of a hand-written fixture under `tests/fixtures/`.
#[track_caller]
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()))
}

/// One `[[sources]]` entry.
#[derive(Clone, Debug)]
pub struct SourceSpec {
    pub name: String,
    pub url: String,
    pub kind: Option<String>,
    pub interval: Option<String>,
}

impl SourceSpec {
    pub fn new(name: &str, url: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            url: url.into(),
            kind: None,
            interval: None,
        }
    }

    pub fn interval(mut self, interval: &str) -> Self {
        self.interval = Some(interval.to_string());
        self
    }
}

/// Builds the TOML config text of the contract.
#[derive(Clone, Debug)]
pub struct ConfigSpec {
    pub db: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub allow_hosts: Vec<String>,
    pub allow_private_networks: Option<bool>,
    pub sources: Vec<SourceSpec>,
}

impl ConfigSpec {
    /// A config whose `allow_hosts` lists the given server.
    pub fn for_server(server: &FeedServer) -> Self {
        Self {
            db: "bw.db".into(),
            timeout_secs: 3,
            connect_timeout_secs: 2,
            allow_hosts: vec![server.host_port()],
            allow_private_networks: None,
            sources: Vec::new(),
        }
    }

    pub fn source(mut self, s: SourceSpec) -> Self {
        self.sources.push(s);
        self
    }

    pub fn sources(mut self, s: impl IntoIterator<Item = SourceSpec>) -> Self {
        self.sources.extend(s);
        self
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("[storage]\npath = {}\n\n", toml_str(&self.db)));
        out.push_str("[fetch]\n");
        out.push_str(&format!("timeout_secs = {}\n", self.timeout_secs));
        out.push_str(&format!(
            "connect_timeout_secs = {}\n",
            self.connect_timeout_secs
        ));
        if !self.allow_hosts.is_empty() {
            let hosts: Vec<String> = self.allow_hosts.iter().map(|h| toml_str(h)).collect();
            out.push_str(&format!("allow_hosts = [{}]\n", hosts.join(", ")));
        }
        if let Some(p) = self.allow_private_networks {
            out.push_str(&format!("allow_private_networks = {p}\n"));
        }
        for s in &self.sources {
            out.push_str("\n[[sources]]\n");
            out.push_str(&format!("name = {}\n", toml_str(&s.name)));
            out.push_str(&format!("url = {}\n", toml_str(&s.url)));
            if let Some(k) = &s.kind {
                out.push_str(&format!("kind = {}\n", toml_str(k)));
            }
            if let Some(i) = &s.interval {
                out.push_str(&format!("interval = {}\n", toml_str(i)));
            }
        }
        out
    }
}

fn toml_str(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Serves the three standard fixtures (RSS 2.0, Atom, JSON Feed) and returns their sources.
pub fn serve_standard_feeds(server: &FeedServer) -> Vec<SourceSpec> {
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    server.publish("/beta.atom", fixture("beta.atom"), ATOM);
    server.publish("/gamma.json", fixture("gamma.json"), JSON_FEED);
    vec![
        SourceSpec::new("alpha", server.url("/alpha.xml")),
        SourceSpec::new("beta", server.url("/beta.atom")),
        SourceSpec::new("gamma", server.url("/gamma.json")),
    ]
}

/// A temp dir holding one config file (`bw.toml`) and whatever the binary writes next to it.
///
/// The binary runs with its working directory in a second, separate temp dir, so that a
/// relative `storage.path` that is (wrongly) resolved against the working directory shows.
pub struct Workspace {
    pub dir: TempDir,
    pub cwd: TempDir,
    pub config: PathBuf,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("briefwatch-it-")
            .tempdir()
            .expect("create temp dir");
        let cwd = tempfile::Builder::new()
            .prefix("briefwatch-it-cwd-")
            .tempdir()
            .expect("create temp dir");
        let config = dir.path().join("bw.toml");
        Self { dir, cwd, config }
    }

    /// A workspace whose config is `spec`.
    pub fn with_config(spec: &ConfigSpec) -> Self {
        let ws = Self::new();
        ws.write_config(&spec.render());
        ws
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).expect("write config");
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_str(&self) -> &str {
        self.config.to_str().expect("utf-8 temp path")
    }

    /// Runs `briefwatch --config <bw.toml> <args>` to completion (bounded by [`CLI_DEADLINE`]).
    pub async fn bw(&self, args: &[&str]) -> Run {
        let mut full: Vec<OsString> = vec!["--config".into(), self.config.clone().into()];
        full.extend(args.iter().map(OsString::from));
        run_bw(full, self.cwd.path().to_path_buf(), CLI_DEADLINE).await
    }

    /// [`Workspace::bw`] with `input` on stdin.
    pub async fn bw_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut full: Vec<OsString> = vec!["--config".into(), self.config.clone().into()];
        full.extend(args.iter().map(OsString::from));
        run_bw_input(
            full,
            self.cwd.path().to_path_buf(),
            CLI_DEADLINE,
            Some(input.as_bytes().to_vec()),
        )
        .await
    }

    /// `poll --once --json`, which must succeed and print one JSON summary line.
    pub async fn poll(&self) -> PollSummary {
        let run = self.bw(&["poll", "--once", "--json"]).await;
        run.assert_success();
        PollSummary {
            json: run.json_one(),
            run,
        }
    }

    /// `briefs list --limit 0 --json`, which must succeed.
    pub async fn briefs(&self) -> Vec<Value> {
        let run = self.bw(&["briefs", "list", "--limit", "0", "--json"]).await;
        run.assert_success();
        run.json_lines()
    }

    /// `briefs show ID --json`, which must succeed.
    pub async fn show(&self, brief: &Value) -> Value {
        let id = id_arg(brief);
        let run = self.bw(&["briefs", "show", &id, "--json"]).await;
        run.assert_success();
        run.json_one()
    }

    /// `sources list --json`, which must succeed.
    pub async fn sources(&self) -> Vec<Value> {
        let run = self.bw(&["sources", "list", "--json"]).await;
        run.assert_success();
        run.json_lines()
    }

    /// Starts `briefwatch --config <bw.toml> <args>` as a long-running child.
    pub fn spawn(&self, args: &[&str]) -> Daemon {
        self.spawn_env(args, &[])
    }

    /// [`Workspace::spawn`] with extra environment variables.
    pub fn spawn_env(&self, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = base_command();
        cmd.current_dir(self.cwd.path())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .envs(env.iter().copied());
        Daemon::spawn(cmd)
    }
}

/// The poll summary line plus the run that printed it.
pub struct PollSummary {
    pub json: Value,
    pub run: Run,
}

impl PollSummary {
    #[track_caller]
    pub fn get(&self, key: &str) -> u64 {
        self.json
            .get(key)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| {
                panic!(
                    "poll summary lacks numeric `{key}`: {}\n{}",
                    self.json,
                    self.run.describe()
                )
            })
    }

    /// Asserts the counters named in `expected`, reporting all of them at once.
    #[track_caller]
    pub fn assert_counts(&self, expected: &[(&str, u64)]) {
        let wrong: Vec<String> = expected
            .iter()
            .filter(|(k, v)| self.get(k) != *v)
            .map(|(k, v)| format!("{k}: expected {v}, got {}", self.get(k)))
            .collect();
        assert!(
            wrong.is_empty(),
            "poll summary mismatch: {}\nsummary: {}\n{}",
            wrong.join("; "),
            self.json,
            self.run.describe()
        );
    }
}

/// The outcome of one finished CLI invocation.
pub struct Run {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn describe(&self) -> String {
        format!(
            "command: briefwatch {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.status,
            self.stdout,
            self.stderr
        )
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "expected exit 0\n{}",
            self.describe()
        );
        self
    }

    /// stdout as one JSON value per non-empty line.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!("stdout line is not JSON ({e}): {l:?}\n{}", self.describe())
                })
            })
            .collect()
    }

    /// stdout as exactly one JSON value (one line, or one pretty-printed document).
    #[track_caller]
    pub fn json_one(&self) -> Value {
        let text = self.stdout.trim();
        match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => panic!("stdout is not one JSON value ({e})\n{}", self.describe()),
        }
    }
}

/// Proxy settings a test's child processes must not inherit (every server they talk to is local).
pub const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// An RSS 2.0 document titled "Wire" with `(guid, title, text)` items; `channel_extra` goes into the
/// channel before them (e.g. `atom:link` elements, whose namespace is declared).
pub fn wire_rss(channel_extra: &str, items: &[(&str, &str, &str)]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
         <channel><title>Wire</title><link>https://wire.example/</link>{channel_extra}"
    );
    for (guid, title, text) in items {
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title>\
             <link>https://wire.example/{guid}</link><description>{text}</description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// The binary under test with a clean, deterministic environment.
pub fn base_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_briefwatch"));
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs the binary with `args` in a blocking thread, killing it if it outlives `deadline`.
pub async fn run_bw(args: Vec<OsString>, cwd: PathBuf, deadline: Duration) -> Run {
    run_bw_input(args, cwd, deadline, None).await
}

/// [`run_bw`] with `input` written to the child's stdin.
pub async fn run_bw_input(
    args: Vec<OsString>,
    cwd: PathBuf,
    deadline: Duration,
    input: Option<Vec<u8>>,
) -> Run {
    let handle = tokio::task::spawn_blocking(move || run_blocking(args, &cwd, deadline, input));
    match handle.await {
        Ok(run) => run,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn run_blocking(
    args: Vec<OsString>,
    cwd: &Path,
    deadline: Duration,
    input: Option<Vec<u8>>,
) -> Run {
    let mut cmd = base_command();
    cmd.current_dir(cwd)
        .args(&args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn briefwatch {shown:?}: {e}"));
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for briefwatch") {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "briefwatch {} did not finish within {deadline:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                shown.join(" "),
                out.take(),
                err.take()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        args: shown,
        status,
        stdout: out.take(),
        stderr: err.take(),
    }
}

/// Reads a pipe to the end on its own thread, so that the child never blocks on a full pipe.
struct Drain {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drain {
    /// Everything read so far.
    fn snapshot(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Waits for end-of-file (bounded) and returns all output.
    fn take(mut self) -> String {
        if let Some(t) = self.thread.take() {
            let start = Instant::now();
            while !t.is_finished() && start.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
        self.snapshot()
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> Drain {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let thread = std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&chunk[..n]),
            }
        }
    });
    Drain {
        buf,
        thread: Some(thread),
    }
}

/// A long-running `briefwatch` child (the daemon). Killed on drop if still running.
pub struct Daemon {
    child: Child,
    out: Option<Drain>,
    err: Option<Drain>,
}

impl Daemon {
    fn spawn(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn briefwatch daemon");
        let out = drain(child.stdout.take().expect("stdout"));
        let err = drain(child.stderr.take().expect("stderr"));
        Self {
            child,
            out: Some(out),
            err: Some(err),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Output captured so far, for failure messages.
    pub fn output_so_far(&self) -> String {
        format!(
            "--- daemon stdout ---\n{}\n--- daemon stderr ---\n{}",
            self.out.as_ref().map(Drain::snapshot).unwrap_or_default(),
            self.err.as_ref().map(Drain::snapshot).unwrap_or_default()
        )
    }

    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait daemon")
    }

    /// Sends `signal` (e.g. "TERM", "INT") with the `kill` utility.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {} failed", self.pid());
    }

    /// Waits (polling, bounded) for the child to exit; returns its status and all output.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<(ExitStatus, String, String)> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_status() {
                let out = self.out.take().map(Drain::take).unwrap_or_default();
                let err = self.err.take().map(Drain::take).unwrap_or_default();
                return Some((status, out, err));
            }
            if start.elapsed() > within {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The value of `id` as a command-line argument (number or string).
#[track_caller]
pub fn id_arg(brief: &Value) -> String {
    match brief.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        other => panic!("brief has no usable id ({other:?}): {brief}"),
    }
}

/// A string field, or panic naming the field and the object.
#[track_caller]
pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

/// The brief whose `title` equals `title`, or panic listing the titles.
#[track_caller]
pub fn by_title<'a>(briefs: &'a [Value], title: &str) -> &'a Value {
    briefs
        .iter()
        .find(|b| b.get("title").and_then(Value::as_str) == Some(title))
        .unwrap_or_else(|| panic!("no brief titled {title:?}; titles: {:?}", titles(briefs)))
}

/// The brief whose `guid` equals `guid`, or panic listing the guids.
#[track_caller]
pub fn by_guid<'a>(briefs: &'a [Value], guid: &str) -> &'a Value {
    briefs
        .iter()
        .find(|b| b.get("guid").and_then(Value::as_str) == Some(guid))
        .unwrap_or_else(|| {
            let guids: Vec<_> = briefs.iter().map(|b| b.get("guid")).collect();
            panic!("no brief with guid {guid:?}; guids: {guids:?}")
        })
}

/// The source row named `name`, or panic listing the rows.
#[track_caller]
pub fn source_row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no source named {name:?} in {rows:#?}"))
}

pub fn titles(briefs: &[Value]) -> Vec<String> {
    briefs
        .iter()
        .map(|b| {
            b.get("title")
                .and_then(Value::as_str)
                .unwrap_or("<none>")
                .to_string()
        })
        .collect()
}

/// Whether `haystack` contains `word` not glued to further identifier characters,
/// so that "timeout" is not found inside "timeout_secs".
pub fn contains_word(haystack: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    haystack.match_indices(word).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Asserts that `published`/`updated` style field is RFC 3339 with an explicit offset and
/// denotes the instant `expected` (RFC 3339 too); returns the parsed value.
#[track_caller]
pub fn assert_instant(brief: &Value, key: &str, expected: &str) {
    let got = str_field(brief, key);
    let got_t = chrono::DateTime::parse_from_rfc3339(got)
        .unwrap_or_else(|e| panic!("`{key}` = {got:?} is not RFC 3339 ({e}) in {brief}"));
    let want = chrono::DateTime::parse_from_rfc3339(expected).expect("expected instant");
    assert_eq!(
        got_t, want,
        "`{key}` = {got:?} is not the instant {expected} in {brief}"
    );
}
