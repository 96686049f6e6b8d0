//! Hostile origins: a gzip bomb, oversized bodies, redirect loops and long chains, a body that
//! trickles forever, script in titles and descriptions, XML entity tricks, invalid UTF-8, parser
//! bombs (pages nested 100,000 deep or of 150,000 elements) and a feed of 1,500 entries. Every
//! poll over hostile input stays under 256 MiB of peak RSS (`peak_rss_kib` of `poll --json`).
//!
//! Each test pairs the hostile source with the healthy `alpha` fixture on a separate origin: the
//! hostile one is cut off (or defused) and recorded, and alpha's briefs are stored and alerted (a
//! rule sends each to a webhook receiver) regardless.
//! What [`FeedServer`] cannot do (a `Content-Encoding` header, a body without `Content-Length`,
//! an endless body) is served by [`RawServer`], a tiny HTTP/1.1 origin on a raw TCP listener.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::{
    ALPHA_ENTRIES, ConfigSpec, PLOT_FEED, PollSummary, RSS, SourceSpec, Workspace, by_guid,
    by_title, fixture, source_row, str_field, titles,
};
use crate::receiver::{Receiver, SECRET};
use crate::server::{FeedServer, Mode};

/// `fetch.max_body_bytes` in the size tests.
const BODY_LIMIT: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 origin
// ---------------------------------------------------------------------------------------------

/// How [`RawServer`] answers one path.
#[derive(Clone)]
enum Reply {
    /// `200 OK` with these extra header lines, then `body`, then the connection is closed.
    /// No `Content-Length` is added: a header list without one gives a close-delimited body.
    Raw {
        headers: Vec<String>,
        body: Arc<Vec<u8>>,
    },
    /// `200 OK`, chunked, first chunk `prefix`, then one more byte every `every`, never ending
    /// (the connection task gives up after a minute or when the client goes away).
    Trickle { prefix: Vec<u8>, every: Duration },
}

/// A minimal HTTP/1.1 origin on 127.0.0.1 that writes exactly the bytes it is told to.
/// Every connection is `Connection: close`. Aborts its connections when dropped.
struct RawServer {
    addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind the raw test server on 127.0.0.1");
        let addr = listener.local_addr().expect("raw server address");
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, s) = (routes.clone(), seen.clone());
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it (on drop) aborts every connection too.
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                while conns.try_join_next().is_some() {}
                conns.spawn(serve_raw(stream, r.clone(), s.clone()));
            }
        });
        Self {
            addr,
            routes,
            seen,
            task,
        }
    }

    fn host_port(&self) -> String {
        self.addr.to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn route(&self, path: &str, reply: Reply) {
        lock(&self.routes).insert(path.to_string(), reply);
    }

    fn hits(&self, path: &str) -> usize {
        lock(&self.seen).iter().filter(|p| *p == path).count()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads one request head (bounded in size and time) and answers it; errors just end the task.
async fn serve_raw(
    mut stream: TcpStream,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<String>>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        true
    };
    if !matches!(
        tokio::time::timeout(Duration::from_secs(10), read_head).await,
        Ok(true)
    ) {
        return;
    }
    let text = String::from_utf8_lossy(&head);
    let path = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    lock(&seen).push(path.clone());
    let reply = lock(&routes).get(&path).cloned();
    let _ = match reply {
        None => {
            stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await
        }
        Some(Reply::Raw { headers, body }) => {
            let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\n".to_vec();
            for h in &headers {
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&body);
            // The client may hang up once it has seen enough: that is fine.
            stream.write_all(&out).await
        }
        Some(Reply::Trickle { prefix, every }) => trickle(&mut stream, &prefix, every).await,
    };
    let _ = stream.shutdown().await;
}

async fn trickle(stream: &mut TcpStream, prefix: &[u8], every: Duration) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: {RSS}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        prefix.len()
    )
    .into_bytes();
    out.extend_from_slice(prefix);
    out.extend_from_slice(b"\r\n");
    stream.write_all(&out).await?;
    stream.flush().await?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(every).await;
        stream.write_all(b"1\r\n \r\n").await?;
        stream.flush().await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fixtures and shared assertions
// ---------------------------------------------------------------------------------------------

/// A valid RSS document with one item, padded with `padding` bytes of whitespace inside the
/// channel: were no limit enforced it would parse and store fine, so only the limit rejects it.
fn padded_feed(padding: usize) -> Vec<u8> {
    let mut doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Padded</title>
    <link>https://hostile.example.net/</link>
    <description>A feed that is mostly whitespace</description>
    <item>
      <title>Should never be stored</title>
      <link>https://hostile.example.net/padded</link>
      <guid>padded-0001</guid>
      <description>Only reachable past the body limit.</description>
    </item>
"#
    .to_vec();
    doc.resize(doc.len() + padding, b' ');
    doc.extend_from_slice(b"\n  </channel>\n</rss>\n");
    doc
}

/// `body` gzip-compressed (best compression), written in 1 MiB slices.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for part in body.chunks(1024 * 1024) {
        enc.write_all(part).expect("gzip in memory");
    }
    enc.finish().expect("gzip in memory")
}

/// A config for `spec` with extra `[fetch]` lines (keys [`ConfigSpec`] does not model), and an
/// alert rule sending every brief of alpha to a webhook on the returned receiver: the healthy
/// source must be stored and alerted whatever its hostile neighbour does.
pub(crate) async fn workspace_with_fetch(
    spec: &ConfigSpec,
    extra_fetch: &str,
) -> (Workspace, Receiver) {
    let receiver = Receiver::start().await;
    let mut spec = spec.clone();
    spec.allow_hosts.push(receiver.host_port());
    let mut text = spec
        .render()
        .replacen("[fetch]\n", &format!("[fetch]\n{extra_fetch}"), 1);
    assert!(
        text.contains(extra_fetch),
        "config has no [fetch] table:\n{text}"
    );
    text.push_str(&format!(
        "\n[[destinations]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://{}/hook\"\n\
         secret_file = \"hook.secret\"\n\
         [[alerts]]\nname = \"alpha\"\nsources = [\"alpha\"]\ndestinations = [\"hook\"]\n",
        receiver.host_port()
    ));
    let ws = Workspace::new();
    std::fs::write(ws.path("hook.secret"), SECRET).unwrap();
    ws.write_config(&text);
    (ws, receiver)
}

/// A feed server publishing the healthy `alpha` fixture; returns it with its source.
async fn healthy_origin() -> (FeedServer, SourceSpec) {
    let server = FeedServer::start().await;
    server.publish("/alpha.xml", fixture("alpha.rss"), RSS);
    let alpha = SourceSpec::new("alpha", server.url("/alpha.xml"));
    (server, alpha)
}

/// Asserts that every `hostile` source (name, URL) failed, is logged on stderr with its name and
/// URL, and has a `last_error` naming its URL and one of `words` (lower-case); and that alpha
/// was stored in full and has no error. Nothing else is expected in the database.
async fn assert_only_hostile_failed(
    ws: &Workspace,
    hook: &Receiver,
    summary: &PollSummary,
    hostile: &[(&str, String)],
    problem: &str,
    words: &[&str],
) {
    summary.assert_counts(&[
        ("sources", 1 + hostile.len() as u64),
        ("errors", hostile.len() as u64),
        ("new_briefs", ALPHA_ENTRIES as u64),
        ("alerts_delivered", ALPHA_ENTRIES as u64),
    ]);
    assert_eq!(
        hook.seen_at("/hook").len(),
        ALPHA_ENTRIES,
        "each of alpha's briefs alerted once"
    );
    assert_peak_rss(summary);
    for (name, url) in hostile {
        assert!(
            summary.run.stderr.contains(name) && summary.run.stderr.contains(url.as_str()),
            "stderr does not name failing source {name} with its URL {url}\n{}",
            summary.run.describe()
        );
    }

    let briefs = ws.briefs().await;
    assert_eq!(
        briefs.len(),
        ALPHA_ENTRIES,
        "only alpha's briefs expected; titles: {:?}",
        titles(&briefs)
    );
    assert!(
        briefs.iter().all(|b| b["source"] == "alpha"),
        "only alpha's briefs expected: {briefs:#?}"
    );

    let rows = ws.sources().await;
    let alpha = source_row(&rows, "alpha");
    assert_eq!(alpha["failures"], 0, "healthy source: {alpha}");
    assert!(alpha["last_error"].is_null(), "healthy source: {alpha}");
    for (name, url) in hostile {
        let row = source_row(&rows, name);
        assert!(
            row["failures"].as_u64().is_some_and(|n| n >= 1),
            "{name}: no failure recorded: {row}"
        );
        let err = match &row["last_error"] {
            Value::String(s) if !s.trim().is_empty() => s.clone(),
            other => panic!("{name}: expected a non-empty last_error, got {other} in {row}"),
        };
        assert!(
            err.contains(url.as_str()),
            "{name}: last_error does not name the URL {url}: {err:?}"
        );
        let lower = err.to_lowercase();
        assert!(
            words.iter().any(|w| lower.contains(w)),
            "{name}: last_error does not name {problem} (any of {words:?}): {err:?}"
        );
    }
}

/// Peak RSS allowed for one poll over hostile inputs.
const PEAK_RSS_KIB: u64 = 256 * 1024;

/// Asserts that the poll's peak resident memory stayed under [`PEAK_RSS_KIB`].
pub(crate) fn assert_peak_rss(summary: &PollSummary) {
    let peak = summary.get("peak_rss_kib");
    eprintln!("hostile poll: peak RSS {peak} KiB");
    assert!(
        peak > 0 && peak < PEAK_RSS_KIB,
        "peak RSS {peak} KiB over hostile input (limit {PEAK_RSS_KIB} KiB)"
    );
}

/// Asserts that alpha's briefs were all stored, and alerted, next to whatever the other sources
/// gave.
async fn assert_alpha_stored(ws: &Workspace, hook: &Receiver) -> Vec<Value> {
    assert_eq!(
        hook.seen_at("/hook").len(),
        ALPHA_ENTRIES,
        "each of alpha's briefs alerted once"
    );
    let briefs = ws.briefs().await;
    let from_alpha = briefs.iter().filter(|b| b["source"] == "alpha").count();
    assert_eq!(
        from_alpha,
        ALPHA_ENTRIES,
        "alpha's briefs not all stored; titles: {:?}",
        titles(&briefs)
    );
    briefs
}

const LIMIT_WORDS: &[&str] = &[
    "max_body_bytes",
    "too large",
    "larger than",
    "exceed",
    "limit",
];
const REDIRECT_WORDS: &[&str] = &["redirect"];
const TIMEOUT_WORDS: &[&str] = &["timeout", "timed out", "time out", "deadline"];

// ---------------------------------------------------------------------------------------------
// Size limits
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bomb_is_cut_off_at_max_body_bytes_after_decompression() {
    let (server, alpha) = healthy_origin().await;
    let raw = RawServer::start().await;
    // 50 MiB of feed once decompressed, a few tens of KiB on the wire.
    let bomb = gzip(&padded_feed(50 * 1024 * 1024));
    assert!(
        bomb.len() < BODY_LIMIT / 4,
        "the compressed bomb ({} bytes) must be far below the limit on the wire",
        bomb.len()
    );
    raw.route(
        "/bomb.xml",
        Reply::Raw {
            headers: vec![
                format!("Content-Type: {RSS}"),
                "Content-Encoding: gzip".into(),
                format!("Content-Length: {}", bomb.len()),
            ],
            body: Arc::new(bomb),
        },
    );
    let bomb_url = raw.url("/bomb.xml");
    let mut spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .source(SourceSpec::new("bomb", bomb_url.clone()));
    spec.allow_hosts.push(raw.host_port());
    let (ws, hook) = workspace_with_fetch(&spec, &format!("max_body_bytes = {BODY_LIMIT}\n")).await;

    let started = Instant::now();
    let summary = ws.poll().await;
    let took = started.elapsed();
    assert_eq!(raw.hits("/bomb.xml"), 1, "the bomb was not requested once");
    assert_only_hostile_failed(
        &ws,
        &hook,
        &summary,
        &[("bomb", bomb_url)],
        "the body limit",
        LIMIT_WORDS,
    )
    .await;
    assert!(
        took < Duration::from_secs(30),
        "poll took {took:?} on a gzip bomb"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_plain_bodies_are_refused_with_and_without_content_length() {
    let (server, alpha) = healthy_origin().await;
    let raw = RawServer::start().await;
    let big = Arc::new(padded_feed(2 * BODY_LIMIT));
    // Declared: the Content-Length alone tells that the body is too large.
    raw.route(
        "/declared.xml",
        Reply::Raw {
            headers: vec![
                format!("Content-Type: {RSS}"),
                format!("Content-Length: {}", big.len()),
            ],
            body: big.clone(),
        },
    );
    // Undeclared: no Content-Length, the body ends when the connection closes; only counting
    // the bytes as they arrive catches it.
    raw.route(
        "/undeclared.xml",
        Reply::Raw {
            headers: vec![format!("Content-Type: {RSS}")],
            body: big,
        },
    );
    let hostile = [
        ("declared", raw.url("/declared.xml")),
        ("undeclared", raw.url("/undeclared.xml")),
    ];
    let mut spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .sources(hostile.iter().map(|(n, u)| SourceSpec::new(n, u.clone())));
    spec.allow_hosts.push(raw.host_port());
    let (ws, hook) = workspace_with_fetch(&spec, &format!("max_body_bytes = {BODY_LIMIT}\n")).await;

    let summary = ws.poll().await;
    assert_eq!(raw.hits("/declared.xml"), 1);
    assert_eq!(raw.hits("/undeclared.xml"), 1);
    assert_only_hostile_failed(
        &ws,
        &hook,
        &summary,
        &hostile,
        "the body limit",
        LIMIT_WORDS,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loop_is_detected_and_recorded() {
    let (server, alpha) = healthy_origin().await;
    // A → B → A → ...
    server.set_mode("/loop-a.xml", Mode::Redirect(server.url("/loop-b.xml")));
    server.set_mode("/loop-b.xml", Mode::Redirect(server.url("/loop-a.xml")));
    let loop_url = server.url("/loop-a.xml");
    let spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .source(SourceSpec::new("loop", loop_url.clone()));
    let (ws, hook) = workspace_with_fetch(&spec, "max_redirects = 5\n").await;

    let summary = ws.poll().await;
    let (a, b) = (server.hits("/loop-a.xml"), server.hits("/loop-b.xml"));
    assert!(
        (1..=6).contains(&a) && (1..=6).contains(&b),
        "the loop was not cut off within max_redirects: A hit {a} times, B {b} times"
    );
    assert_only_hostile_failed(
        &ws,
        &hook,
        &summary,
        &[("loop", loop_url)],
        "redirects",
        &["redirect loop"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_chain_longer_than_max_redirects_is_refused() {
    let (server, alpha) = healthy_origin().await;
    server.publish("/chain-end.xml", fixture("nolink.rss"), RSS);
    // /chain-0 → /chain-1 → ... → /chain-4 → /chain-end.xml: five redirects to a valid feed.
    for i in 0..5 {
        let next = if i == 4 {
            server.url("/chain-end.xml")
        } else {
            server.url(&format!("/chain-{}", i + 1))
        };
        server.set_mode(&format!("/chain-{i}"), Mode::Redirect(next));
    }
    let chain_url = server.url("/chain-0");
    let spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .source(SourceSpec::new("chain", chain_url.clone()));
    let (ws, hook) = workspace_with_fetch(&spec, "max_redirects = 3\n").await;

    let summary = ws.poll().await;
    assert_eq!(
        server.hits("/chain-end.xml"),
        0,
        "the end of a 5-redirect chain was reached with max_redirects = 3\n{}",
        summary.run.describe()
    );
    assert_eq!(
        server.hits("/chain-4"),
        0,
        "a 4th redirect was followed with max_redirects = 3"
    );
    assert_only_hostile_failed(
        &ws,
        &hook,
        &summary,
        &[("chain", chain_url)],
        "redirects",
        REDIRECT_WORDS,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endlessly_trickling_body_is_cut_off_by_timeout_secs() {
    let (server, alpha) = healthy_origin().await;
    let raw = RawServer::start().await;
    // A plausible feed head, then one space every 200 ms: never idle long, never finished.
    let head = padded_feed(0);
    let prefix = head[..head.len() - b"\n  </channel>\n</rss>\n".len()].to_vec();
    raw.route(
        "/trickle.xml",
        Reply::Trickle {
            prefix,
            every: Duration::from_millis(200),
        },
    );
    let trickle_url = raw.url("/trickle.xml");
    let mut spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .source(SourceSpec::new("trickle", trickle_url.clone()));
    spec.allow_hosts.push(raw.host_port());
    spec.timeout_secs = 2;
    spec.connect_timeout_secs = 1;
    let (ws, hook) = workspace_with_fetch(&spec, "").await;

    let started = Instant::now();
    let summary = ws.poll().await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "poll took {took:?}: the trickling body was not cut off by timeout_secs = 2\n{}",
        summary.run.describe()
    );
    assert_eq!(raw.hits("/trickle.xml"), 1);
    assert_only_hostile_failed(
        &ws,
        &hook,
        &summary,
        &[("trickle", trickle_url)],
        "the timeout",
        TIMEOUT_WORDS,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

/// Item `script-1`: the title's markup is escaped once, so its HTML is
/// `<script>alert(1)</script>Breaking` (a script element, not text about one); the description's
/// HTML holds a script, an `onerror` handler and a `javascript:` link.
/// Item `script-2`: a title with a quote, a backslash and a stray `</script>` end tag.
const SCRIPT_FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Script Kiddies Daily</title>
    <link>https://hostile.example.net/</link>
    <description>Markup where it should not be</description>
    <item>
      <title>&lt;script&gt;alert(1)&lt;/script&gt;Breaking</title>
      <link>https://hostile.example.net/script-1</link>
      <guid isPermaLink="false">script-1</guid>
      <description>&lt;p&gt;Calm &lt;b&gt;opening&lt;/b&gt; words.&lt;/p&gt;&lt;script&gt;alert(document.cookie)&lt;/script&gt;&lt;img src="https://hostile.example.net/x.png" onerror="alert(2)"&gt;&lt;p onclick="alert(3)"&gt;Read &lt;a href="javascript:alert(4)"&gt;more&lt;/a&gt; here.&lt;/p&gt;</description>
    </item>
    <item>
      <title>He said "hi" \ &lt;/script&gt; done</title>
      <link>https://hostile.example.net/script-2</link>
      <guid isPermaLink="false">script-2</guid>
      <description>Plain text with a "quote" and a back\slash.</description>
    </item>
  </channel>
</rss>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_in_titles_and_descriptions_is_dropped_and_json_stays_valid() {
    let (server, alpha) = healthy_origin().await;
    server.publish("/script.xml", SCRIPT_FEED, RSS);
    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(alpha)
            .source(SourceSpec::new("script", server.url("/script.xml"))),
        "",
    )
    .await;

    // `poll`, `briefs list` and `briefs show` all parse their stdout as JSON (or panic).
    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 0),
        ("new_briefs", ALPHA_ENTRIES as u64 + 2),
    ]);
    assert_peak_rss(&summary);
    let briefs = assert_alpha_stored(&ws, &hook).await;

    let first = by_guid(&briefs, "script-1");
    let title = str_field(first, "title");
    assert!(
        title.contains("Breaking"),
        "the text after the script was lost: {title:?}"
    );
    for bad in ["<script", "</script", "alert("] {
        assert!(
            !title.contains(bad),
            "title keeps {bad:?} (script element or its contents): {title:?}"
        );
    }
    let shown = ws.show(first).await;
    assert_eq!(str_field(&shown, "title"), title, "list and show disagree");
    let html = str_field(&shown, "html");
    let lower = html.to_lowercase();
    for bad in ["<script", "onerror", "onclick", "javascript:", "alert("] {
        assert!(
            !lower.contains(bad),
            "sanitised html keeps {bad:?}: {html:?}"
        );
    }
    assert!(
        html.contains("opening") && html.contains("more"),
        "sanitised html lost the harmless text: {html:?}"
    );
    let text = str_field(&shown, "text");
    assert!(
        text.contains("Calm opening words.") && !text.contains("alert(") && !text.contains('<'),
        "text: {text:?}"
    );

    let second = by_guid(&briefs, "script-2");
    let title = str_field(second, "title");
    assert!(
        title.contains("He said \"hi\" \\") && title.contains("done") && !title.contains("script"),
        "title with quote, backslash and stray end tag: {title:?}"
    );
    let shown = ws.show(second).await;
    assert!(
        str_field(&shown, "text").contains("a \"quote\" and a back\\slash."),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_entities_and_entity_expansion_are_not_resolved() {
    let (server, alpha) = healthy_origin().await;
    // Anything the parser might try to fetch: the external DTD, an external general entity, an
    // external parameter entity.
    for probe in ["/probe.dtd", "/probe-entity", "/probe-param.dtd"] {
        server.publish(probe, "<!ENTITY probed \"PROBED\">", "application/xml-dtd");
    }
    let xxe = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss SYSTEM "{dtd}" [
  <!ENTITY passwd SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "{entity}">
  <!ENTITY % param SYSTEM "{param}">
  %param;
]>
<rss version="2.0">
  <channel>
    <title>XXE</title>
    <link>https://hostile.example.net/</link>
    <description>External entities</description>
    <item>
      <title>Passwd: &passwd; end</title>
      <link>https://hostile.example.net/xxe-1</link>
      <guid isPermaLink="false">xxe-1</guid>
      <description>Remote: &remote; &probed; end</description>
    </item>
  </channel>
</rss>
"#,
        dtd = server.url("/probe.dtd"),
        entity = server.url("/probe-entity"),
        param = server.url("/probe-param.dtd"),
    );
    server.publish("/xxe.xml", xxe, RSS);

    let mut laughs = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE rss [\n  <!ENTITY lol0 \"lol\">\n",
    );
    for i in 1..=9 {
        let refs = format!("&lol{};", i - 1).repeat(10);
        laughs.push_str(&format!("  <!ENTITY lol{i} \"{refs}\">\n"));
    }
    laughs.push_str(
        r#"]>
<rss version="2.0">
  <channel>
    <title>Billion laughs &lol9;</title>
    <link>https://hostile.example.net/</link>
    <description>Entity expansion</description>
    <item>
      <title>Laughs: &lol9; end</title>
      <link>https://hostile.example.net/lol-1</link>
      <guid isPermaLink="false">lol-1</guid>
      <description>More: &lol9;&lol9;&lol9; end</description>
    </item>
  </channel>
</rss>
"#,
    );
    server.publish("/laughs.xml", laughs, RSS);

    let hostile = [
        ("xxe", server.url("/xxe.xml")),
        ("laughs", server.url("/laughs.xml")),
    ];
    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(alpha)
            .sources(hostile.iter().map(|(n, u)| SourceSpec::new(n, u.clone()))),
        "",
    )
    .await;

    let started = Instant::now();
    let summary = ws.poll().await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "poll took {took:?} on entity tricks\n{}",
        summary.run.describe()
    );
    assert_eq!(summary.get("sources"), 3, "{}", summary.json);
    assert_peak_rss(&summary);
    for probe in ["/probe.dtd", "/probe-entity", "/probe-param.dtd"] {
        assert_eq!(
            server.hits(probe),
            0,
            "the feed parser fetched the external resource {probe}"
        );
    }
    let briefs = assert_alpha_stored(&ws, &hook).await;

    // Either outcome is acceptable for the hostile documents (stored with the references left
    // unexpanded, or refused and recorded); expanding them is not.
    let mut stored = Vec::new();
    for brief in briefs.iter().filter(|b| b["source"] != "alpha") {
        stored.push(brief.to_string());
        stored.push(ws.show(brief).await.to_string());
    }
    let leaked_laughs = "lol".repeat(100);
    for doc in &stored {
        assert!(
            !doc.contains("root:") && !doc.contains("/bin/"),
            "/etc/passwd content was stored: {doc}"
        );
        assert!(
            !doc.contains("PROBED"),
            "an external entity was resolved: {doc}"
        );
        assert!(
            !doc.contains(&leaked_laughs),
            "nested entities were expanded: {} bytes stored",
            doc.len()
        );
    }
    let rows = ws.sources().await;
    for (name, url) in &hostile {
        let row = source_row(&rows, name);
        if let Value::String(err) = &row["last_error"] {
            assert!(
                err.contains(url.as_str()),
                "{name}: last_error does not name the URL {url}: {err:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_bytes_in_a_utf8_feed_are_replaced_not_fatal() {
    let (server, alpha) = healthy_origin().await;
    let mut doc = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<rss version=\"2.0\">
  <channel>
    <title>Bad Bytes</title>
    <link>https://hostile.example.net/</link>
    <description>Declared UTF-8, is not quite</description>
    <item>
      <title>Caf\xFF au lait</title>
      <link>https://hostile.example.net/bytes-1</link>
      <guid isPermaLink=\"false\">bytes-1</guid>
      <description>Truncated \xE2\x82 sequence, overlong \xC0\xAF slash, intact caf\xC3\xA9.</description>
    </item>
    <item>
      <title>Clean neighbour</title>
      <link>https://hostile.example.net/bytes-2</link>
      <guid isPermaLink=\"false\">bytes-2</guid>
      <description>Nothing wrong here.</description>
    </item>
  </channel>
</rss>
"
    .to_vec();
    doc.extend_from_slice(b"<!-- trailing lone byte \xFF -->\n");
    assert!(
        std::str::from_utf8(&doc).is_err(),
        "fixture must be invalid UTF-8"
    );
    server.publish("/bytes.xml", doc, "application/rss+xml; charset=utf-8");
    let (ws, hook) = workspace_with_fetch(
        &ConfigSpec::for_server(&server)
            .source(alpha)
            .source(SourceSpec::new("bytes", server.url("/bytes.xml"))),
        "",
    )
    .await;

    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 2),
        ("errors", 0),
        ("new_briefs", ALPHA_ENTRIES as u64 + 2),
    ]);
    assert_peak_rss(&summary);
    let briefs = assert_alpha_stored(&ws, &hook).await;
    let bad = by_guid(&briefs, "bytes-1");
    let title = str_field(bad, "title");
    assert!(
        title == "Caf\u{FFFD} au lait" || title == "Caf au lait",
        "title of the item with a lone 0xFF: {title:?} (expected U+FFFD or the valid remainder, \
         not a re-decoding such as \"Cafÿ\")"
    );
    let shown = ws.show(bad).await;
    let text = str_field(&shown, "text");
    assert!(
        text.contains("Truncated") && text.contains("intact café."),
        "valid UTF-8 around the bad bytes was not kept: {text:?}"
    );
    assert_eq!(
        str_field(by_guid(&briefs, "bytes-2"), "title"),
        "Clean neighbour"
    );
}

// ---------------------------------------------------------------------------------------------
// Parser bombs and floods
// ---------------------------------------------------------------------------------------------

/// A brief page: `before`, the article, `after`.
fn brief_page(title: &str, before: &str, after: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body>{before}<article><h1>{title}</h1>\
         <p>The ministry denied on Monday that it had planned the attack, calling the charges a fabrication \
         meant to derail talks.</p><p>Officials said the investigation would continue.</p></article>{after}</body></html>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parser_bombs_and_floods_are_bounded_and_the_good_source_is_stored() {
    let (server, alpha) = healthy_origin().await;
    // A listing whose links are followed by 100,000 nested elements: quadratic for a tree
    // builder without a depth bound.
    let deep = "<div>".repeat(100_000);
    let links: String = (1..=3)
        .map(|i| {
            format!("<article class=\"b\"><h2><a href=\"/desk/{i}\">Brief {i}</a></h2></article>")
        })
        .collect();
    server.publish(
        "/desk/",
        format!("<html><body><main>{links}</main>{deep}</body></html>"),
        "text/html",
    );
    // Article 1 nests 60,000 deep before its text; article 2 has 150,000 elements after it.
    server.publish(
        "/desk/1",
        brief_page("Deep denial", &"<span><div>".repeat(30_000), ""),
        "text/html",
    );
    server.publish(
        "/desk/2",
        brief_page("Wide denial", "", &"<p>x".repeat(150_000)),
        "text/html",
    );
    server.publish("/desk/3", brief_page("Plain denial", "", ""), "text/html");
    // A feed of 1,500 entries.
    let mut flood = String::from("<rss version=\"2.0\"><channel><title>Flood</title>");
    for i in 0..1_500 {
        flood.push_str(&format!(
            "<item><title>Flood item {i}</title><link>https://flood.example.net/{i}</link></item>"
        ));
    }
    flood.push_str("</channel></rss>");
    server.publish("/flood.xml", flood, RSS);

    let desk_url = server.url("/desk/");
    let flood_url = server.url("/flood.xml");
    let spec = ConfigSpec::for_server(&server)
        .source(alpha)
        .source(SourceSpec::new("flood", flood_url.clone()));
    let (ws, hook) = workspace_with_fetch(&spec, "").await;
    let text = format!(
        "{}\n[[sources]]\nname = \"desk\"\nkind = \"html\"\nurl = \"{desk_url}\"\nmax_articles = 5\n\
         [sources.html]\nlinks = \"article.b h2 a\"\n",
        std::fs::read_to_string(ws.config_str()).unwrap()
    );
    ws.write_config(&text);

    let summary = ws.poll().await;
    summary.assert_counts(&[
        ("sources", 3),
        ("errors", 0),
        ("new_briefs", (ALPHA_ENTRIES + 3 + 1_000) as u64),
    ]);
    let stderr = &summary.run.stderr;
    for (url, what) in [
        (desk_url.as_str(), "too many elements"),
        (&server.url("/desk/1"), "too many elements"),
        (&server.url("/desk/2"), "too many elements"),
        (flood_url.as_str(), "more entries"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(url) && l.contains(what)),
            "no warning naming {url} ({what}):\n{}",
            summary.run.describe()
        );
    }
    assert_peak_rss(&summary);

    let briefs = assert_alpha_stored(&ws, &hook).await;
    let titles = titles(&briefs);
    for t in ["Deep denial", "Wide denial", "Plain denial"] {
        assert!(titles.iter().any(|x| x == t), "{t} missing: {titles:?}");
    }
    let deep_brief = by_title(&briefs, "Deep denial");
    assert!(
        str_field(&ws.show(deep_brief).await, "text").contains("fabrication"),
        "the deep page's article text was kept"
    );
    assert_eq!(
        briefs.iter().filter(|b| b["source"] == "flood").count(),
        1_000
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile receivers
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_receivers_cannot_stall_the_dispatcher_or_the_other_destinations() {
    let origin = FeedServer::start().await;
    origin.publish("/wire.xml", PLOT_FEED, RSS);
    // Answers 302 to itself: a POST is never redirected, so this is a failure, not a loop.
    origin.set_mode("/moved", Mode::Redirect(origin.url("/moved")));
    let receiver = Receiver::start().await;
    let raw = RawServer::start().await;
    // Headers at once, then one byte of body every 200 ms, forever.
    raw.route(
        "/slow",
        Reply::Trickle {
            prefix: b"ok".to_vec(),
            every: Duration::from_millis(200),
        },
    );
    // 64 MiB of answer: only the start is read.
    raw.route(
        "/huge",
        Reply::Raw {
            headers: vec!["Content-Type: text/plain".into()],
            body: Arc::new(vec![b'x'; 64 * 1024 * 1024]),
        },
    );
    let mut spec =
        ConfigSpec::for_server(&origin).source(SourceSpec::new("wire", origin.url("/wire.xml")));
    spec.allow_hosts.push(receiver.host_port());
    spec.allow_hosts.push(raw.host_port());
    let ws = Workspace::new();
    std::fs::write(ws.path("hook.secret"), SECRET).unwrap();
    let mut text = spec.render();
    text.push_str("\n[delivery]\nretry_schedule = [\"0s\", \"1h\"]\npoll_once_timeout_secs = 20\n");
    for (name, url) in [
        ("slow", raw.url("/slow")),
        ("huge", raw.url("/huge")),
        ("moved", origin.url("/moved")),
        ("ok", format!("http://{}/hook", receiver.host_port())),
    ] {
        text.push_str(&format!(
            "[[destinations]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"{url}\"\ntimeout_secs = 2\n\
             secret_file = \"hook.secret\"\n"
        ));
    }
    text.push_str(
        "[[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\n\
         destinations = [\"slow\", \"huge\", \"moved\", \"ok\"]\n",
    );
    ws.write_config(&text);

    let started = Instant::now();
    let summary = ws.poll().await;
    let took = started.elapsed();
    assert_eq!(summary.get("new_briefs"), 1, "{}", summary.run.describe());
    assert_eq!(
        receiver.seen_at("/hook").len(),
        1,
        "the healthy receiver got its alert"
    );
    assert!(
        took < Duration::from_secs(12),
        "poll --once took {took:?}: a hostile receiver held up the others"
    );
    assert_peak_rss(&summary);

    let run = ws.bw(&["alerts", "list", "--limit", "0", "--json"]).await;
    run.assert_success();
    let rows = run.json_lines();
    let row = |dest: &str| {
        rows.iter()
            .find(|r| r["destination"] == dest)
            .unwrap_or_else(|| panic!("no delivery to {dest}: {rows:#?}"))
    };
    assert_eq!(row("ok")["state"], "delivered");
    assert_eq!(
        row("huge")["state"],
        "delivered",
        "a 200 with a huge body is accepted"
    );
    let moved = row("moved");
    assert_eq!(moved["state"], "failed", "{moved}");
    assert!(
        moved["last_error"].as_str().unwrap_or("").contains("302"),
        "{moved}"
    );
    let slow = row("slow");
    assert_ne!(slow["state"], "delivered", "{slow}");
    let err = slow["last_error"].as_str().unwrap_or("");
    assert!(
        err.contains(&format!("http://{}/…", raw.host_port())) && err.contains("timed out"),
        "the slow receiver's error names its host (not the secret path) and the timeout: {slow}"
    );
}
