//! The JSON API and live stream of the running daemon (`[server] listen` with a token): bearer
//! auth, the JSON error shape, keyset pages while briefs keep arriving, a brief in full as the CLI
//! shows it, the lists, an SSE client resuming with `Last-Event-ID`, and the OpenAPI document with
//! the answers checked against it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{ConfigSpec, Daemon, SourceSpec, Workspace};
use crate::server::FeedServer;
use crate::smtp::free_port;

const TOKEN: &str = "api-test-token-6f1d2c";

/// reqwest is built without a default TLS provider; plain HTTP still needs one installed.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Made-up words, so that no two items read alike (the store would take a re-issued text from the
/// same source for a sighting, not a new brief).
fn word(n: usize, i: usize) -> String {
    const SYL: [&str; 16] = [
        "zor", "vak", "mel", "tun", "qir", "bex", "dal", "sur", "fen", "gol", "hab", "jix", "kor",
        "lum", "nep", "pyr",
    ];
    let mut x = (n as u64 * 7919 + i as u64 * 104_729 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..3)
        .map(|_| {
            x ^= x >> 29;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            SYL[(x >> 60) as usize]
        })
        .collect()
}

/// An RSS feed of items `0..n` (guid `i{n}`).
fn feed(n: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
         <link>https://wire.example/</link>",
    );
    for k in 0..n {
        let text: Vec<String> = (0..30).map(|i| word(k, i)).collect();
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">i{k}</guid><title>{} {} {} report {k}</title>\
             <link>https://wire.example/i{k}</link><description>{}</description></item>",
            word(k, 100),
            word(k, 101),
            word(k, 102),
            text.join(" ")
        ));
    }
    out.push_str("</channel></rss>");
    out
}

const PLOT_FEED: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
    <link>https://wire.example/</link>\
    <item><guid>a</guid><title>Police foil assassination plot against minister</title>\
    <link>https://wire.example/a</link><description>Two suspects were arrested over the murder \
    plot in Iran, prosecutors said.</description></item>\
    <item><guid>b</guid><title>Central bank keeps rates unchanged</title>\
    <link>https://wire.example/b</link><description>Inflation is steady.</description></item>\
    </channel></rss>";

/// A daemon polling one feed every second, serving the API with [`TOKEN`].
struct Setup {
    origin: FeedServer,
    ws: Workspace,
    daemon: Daemon,
    base: String,
}

impl Setup {
    async fn start(first_feed: &str) -> Setup {
        let origin = FeedServer::start().await;
        origin.publish("/wire.xml", first_feed, "application/rss+xml");
        let port = free_port();
        let spec = ConfigSpec::for_server(&origin)
            .source(SourceSpec::new("wire", origin.url("/wire.xml")).interval("1s"));
        let ws = Workspace::new();
        std::fs::write(ws.path("api.token"), format!("{TOKEN}\n")).unwrap();
        ws.write_config(&format!(
            "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\ntoken_file = \"api.token\"\n",
            spec.render()
        ));
        let daemon = ws.spawn(&["run"]);
        Setup {
            origin,
            ws,
            daemon,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn publish(&self, body: &str) {
        self.origin
            .publish("/wire.xml", body, "application/rss+xml");
    }

    /// GET with the token: status and JSON body.
    async fn get(&self, path: &str) -> (u16, Value) {
        self.get_with(path, Some(&format!("Bearer {TOKEN}"))).await
    }

    async fn get_with(&self, path: &str, auth: Option<&str>) -> (u16, Value) {
        let mut req = client().get(format!("{}{path}", self.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.expect("the API answers");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        (status, v)
    }

    /// Waits until `path` answers 200 with a body `ok` accepts.
    async fn wait_for(&mut self, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            if let Ok(r) = client()
                .get(format!("{}{path}", self.base))
                .bearer_auth(TOKEN)
                .send()
                .await
                && r.status().is_success()
            {
                let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
                if ok(&v) {
                    return v;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{path} never answered as expected\n{}",
                self.daemon.output_so_far()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until at least `n` briefs are stored; returns them newest first.
    async fn wait_for_briefs(&mut self, n: usize) -> Vec<Value> {
        let v = self
            .wait_for("/api/briefs?limit=500", |v| {
                v["briefs"].as_array().is_some_and(|b| b.len() >= n)
            })
            .await;
        v["briefs"].as_array().unwrap().clone()
    }

    async fn stop(mut self) {
        self.daemon.signal("TERM");
        let (status, ..) = self
            .daemon
            .wait_exit(Duration::from_secs(10))
            .await
            .expect("stops, live streams and all");
        assert!(status.success());
    }
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error shape: {v}"))
}

#[tokio::test]
async fn the_api_wants_the_bearer_token_and_health_stays_open() {
    let mut s = Setup::start(PLOT_FEED).await;
    s.wait_for_briefs(2).await;
    for auth in [None, Some("Bearer wrong-token"), Some(TOKEN)] {
        let (status, v) = s.get_with("/api/briefs", auth).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(error_code(&v), "unauthorized");
        assert!(v["error"]["message"].is_string());
    }
    let r = client()
        .get(format!("{}/api/stream", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap(),
        "Bearer"
    );
    let (status, v) = s.get("/api/briefs").await;
    assert_eq!(status, 200);
    assert_eq!(v["briefs"].as_array().unwrap().len(), 2);
    assert!(v["next_cursor"].is_null());
    let health = client()
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let (status, v) = s.get("/api/nothing-here").await;
    assert_eq!((status, error_code(&v)), (404, "not_found"));
    let r = client()
        .post(format!("{}/api/briefs", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    s.stop().await;
}

#[tokio::test]
async fn bad_parameters_are_400_with_the_json_error_shape() {
    let mut s = Setup::start(PLOT_FEED).await;
    s.wait_for_briefs(2).await;
    for (query, code) in [
        ("/api/briefs?limit=0", "invalid_parameter"),
        ("/api/briefs?limit=501", "invalid_parameter"),
        ("/api/briefs?limit=ten", "invalid_parameter"),
        ("/api/briefs?cursor=not-a-cursor", "invalid_cursor"),
        ("/api/briefs?since=yesterday", "invalid_parameter"),
        ("/api/briefs?min_score=2", "invalid_parameter"),
        ("/api/briefs?colour=red", "invalid_parameter"),
        ("/api/briefs?topic=a&topic=b", "invalid_parameter"),
        ("/api/briefs/abc", "invalid_parameter"),
        ("/api/stories?limit=100000", "invalid_parameter"),
        ("/api/deliveries?failed=maybe", "invalid_parameter"),
        ("/api/stream?after=-3", "invalid_parameter"),
    ] {
        let (status, v) = s.get(query).await;
        assert_eq!((status, error_code(&v)), (400, code), "{query}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{query}");
    }
    let (status, v) = s.get("/api/briefs/999999").await;
    assert_eq!((status, error_code(&v)), (404, "not_found"));
    s.stop().await;
}

#[tokio::test]
async fn cursor_pages_return_every_brief_exactly_once_while_briefs_keep_arriving() {
    let mut s = Setup::start(&feed(40)).await;
    let existing: BTreeSet<i64> = s
        .wait_for_briefs(40)
        .await
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    assert_eq!(existing.len(), 40);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut total = 40;
    for page in 0.. {
        let path = match &cursor {
            None => "/api/briefs?limit=7".to_string(),
            Some(c) => format!("/api/briefs?limit=7&cursor={c}"),
        };
        let (status, v) = s.get(&path).await;
        assert_eq!(status, 200, "{v}");
        let briefs = v["briefs"].as_array().unwrap();
        assert!(briefs.len() <= 7);
        seen.extend(briefs.iter().map(|b| b["id"].as_i64().unwrap()));
        if page < 3 {
            // New briefs are stored between these pages, before the next one is asked for.
            total += 4;
            s.publish(&feed(total));
            s.wait_for_briefs(total).await;
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(page < 50, "paging does not end");
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a brief came twice: {seen:?}");
    assert_eq!(
        unique, existing,
        "pages must hold exactly the briefs stored when paging began"
    );
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    assert_eq!(s.wait_for_briefs(total).await.len(), total);
    s.stop().await;
}

#[tokio::test]
async fn a_brief_shows_topics_evidence_entities_and_story_as_the_cli_does() {
    let mut s = Setup::start(PLOT_FEED).await;
    s.wait_for_briefs(2).await;
    let (_, v) = s.get("/api/briefs?topic=assassination_plot").await;
    let list = v["briefs"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(list[0]["topics"][0]["id"], "assassination_plot");
    let (status, brief) = s.get(&format!("/api/briefs/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        brief["title"],
        "Police foil assassination plot against minister"
    );
    let topic = &brief["topics"][0];
    assert_eq!(topic["id"], "assassination_plot");
    assert!(!topic["evidence"].as_array().unwrap().is_empty(), "{brief}");
    assert!(brief["story_id"].is_i64(), "{brief}");
    assert!(brief["entities"].is_array());
    // The same shapes as the CLI's --json.
    let cli =
        s.ws.bw(&["briefs", "show", &id.to_string(), "--json"])
            .await;
    assert_eq!(cli.assert_success().json_one(), brief);
    let cli_lines = s.ws.bw(&["briefs", "list", "--json"]).await;
    let mut cli_lines = cli_lines.assert_success().json_lines();
    let (_, all) = s.get("/api/briefs").await;
    let mut api_lines = all["briefs"].as_array().unwrap().clone();
    let by_id = |v: &Value| v["id"].as_i64().unwrap();
    cli_lines.sort_by_key(by_id);
    api_lines.sort_by_key(by_id);
    assert_eq!(cli_lines, api_lines);
    // Full-text search, once the writer has indexed the briefs.
    let found = s
        .wait_for("/api/briefs?q=prosecutors", |v| {
            v["briefs"].as_array().is_some_and(|b| !b.is_empty())
        })
        .await;
    assert_eq!(found["briefs"][0]["id"].as_i64(), Some(id));
    let (_, none) = s.get("/api/briefs?q=%22unbalanced").await;
    assert!(
        none["briefs"].as_array().is_some_and(Vec::is_empty),
        "{none}"
    );
    let (_, stories) = s.get("/api/stories").await;
    assert_eq!(stories["stories"].as_array().unwrap().len(), 2, "{stories}");
    let (_, sources) = s.get("/api/sources").await;
    assert_eq!(sources["sources"][0]["name"], "wire");
    assert_eq!(sources["sources"][0]["briefs"], 2);
    let (status, deliveries) = s.get("/api/deliveries").await;
    assert_eq!(status, 200);
    assert!(deliveries["deliveries"].as_array().unwrap().is_empty());
    s.stop().await;
}

/// One parsed Server-Sent Event.
#[derive(Debug)]
struct Sse {
    id: Option<String>,
    event: Option<String>,
    data: String,
}

/// Reads events from `r` until `n` arrived or `within` passed.
async fn read_events(
    r: &mut reqwest::Response,
    buf: &mut String,
    n: usize,
    within: Duration,
) -> Vec<Sse> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < n {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut ev = Sse {
                id: None,
                event: None,
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    ev.id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev.event = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    ev.data.push_str(v.trim_start());
                }
            }
            // Comment-only blocks (keep-alive) carry no event.
            if ev.event.is_some() || !ev.data.is_empty() {
                out.push(ev);
            }
        }
        if out.len() >= n {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, r.chunk()).await {
            Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Ok(None)) => panic!("the stream ended"),
            Ok(Err(e)) => panic!("the stream failed: {e}"),
            Err(_) => break,
        }
    }
    out
}

async fn open_stream(s: &Setup, path: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut req = client().get(format!("{}{path}", s.base)).bearer_auth(TOKEN);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let r = req.send().await.expect("the stream opens");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    r
}

fn guid(ev: &Sse) -> String {
    let v: Value = serde_json::from_str(&ev.data).unwrap();
    assert_eq!(
        ev.id.as_deref(),
        Some(v["id"].as_i64().unwrap().to_string().as_str())
    );
    v["guid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_stream_resumes_from_last_event_id_with_exactly_the_briefs_stored_meanwhile() {
    let mut s = Setup::start(&feed(2)).await;
    s.wait_for_briefs(2).await;
    let mut r = open_stream(&s, "/api/stream?after=0", None).await;
    let mut buf = String::new();
    let first = read_events(&mut r, &mut buf, 2, Duration::from_secs(10)).await;
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first.iter().all(|e| e.event.as_deref() == Some("brief")));
    assert_eq!(first.iter().map(guid).collect::<Vec<_>>(), ["i0", "i1"]);
    let last = first[1].id.clone().unwrap();
    drop(r);

    // Three briefs are stored while the client is away.
    s.publish(&feed(5));
    s.wait_for_briefs(5).await;
    let mut r = open_stream(&s, "/api/stream", Some(&last)).await;
    let mut buf = String::new();
    let resumed = read_events(&mut r, &mut buf, 3, Duration::from_secs(10)).await;
    assert_eq!(
        resumed.iter().map(guid).collect::<Vec<_>>(),
        ["i2", "i3", "i4"],
        "{resumed:?}"
    );
    let more = read_events(&mut r, &mut buf, 1, Duration::from_millis(1500)).await;
    assert!(more.is_empty(), "nothing else: {more:?}");
    // And it goes on live.
    s.publish(&feed(6));
    let live = read_events(&mut r, &mut buf, 1, Duration::from_secs(10)).await;
    assert_eq!(live.iter().map(guid).collect::<Vec<_>>(), ["i5"]);

    // A stream opened without a resume point starts from now; a filter that matches nothing sends
    // nothing.
    let mut quiet = open_stream(&s, "/api/stream?topic=ceasefire", None).await;
    let mut qbuf = String::new();
    s.publish(&feed(7));
    assert_eq!(
        read_events(&mut r, &mut buf, 1, Duration::from_secs(10))
            .await
            .len(),
        1
    );
    assert!(
        read_events(&mut quiet, &mut qbuf, 1, Duration::from_millis(800))
            .await
            .is_empty()
    );
    drop(r);
    // The daemon stops even with a stream open.
    s.stop().await;
    drop(quiet);
}

/// Checks `body` against the schema the OpenAPI document gives for `path`'s 200 answer.
fn assert_answer_matches_document(doc: &Value, path: &str, body: &Value) {
    let schema =
        &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path}: no schema for the 200 answer");
    let root = serde_json::json!({ "allOf": [schema], "components": doc["components"] });
    let validator = jsonschema::draft202012::options()
        .build(&root)
        .unwrap_or_else(|e| panic!("{path}: the document's schema does not compile: {e}"));
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{path}: {errors:#?}\n{body:#}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_describes_their_answers() {
    let mut s = Setup::start(PLOT_FEED).await;
    let briefs = s.wait_for_briefs(2).await;
    let (status, v) = s.get_with("/api/openapi.json", None).await;
    assert_eq!((status, error_code(&v)), (401, "unauthorized"));
    let (status, doc) = s.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{doc:#}"
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/api/briefs",
            "/api/briefs/{id}",
            "/api/stories",
            "/api/sources",
            "/api/deliveries",
            "/api/stream",
            "/api/openapi.json",
        ])
    );
    assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
    // Every reference points at a schema the document has.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = &r[..r.find('"').unwrap()];
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is missing"
        );
    }
    // What the running API answers is what the document says it answers.
    let id = briefs[0]["id"].as_i64().unwrap();
    for (path, url) in [
        ("/api/briefs", "/api/briefs?limit=1".to_string()),
        ("/api/briefs/{id}", format!("/api/briefs/{id}")),
        ("/api/stories", "/api/stories".to_string()),
        ("/api/sources", "/api/sources".to_string()),
        ("/api/deliveries", "/api/deliveries".to_string()),
    ] {
        let (status, body) = s.get(&url).await;
        assert_eq!(status, 200, "{url}");
        assert_answer_matches_document(&doc, path, &body);
    }
    let (_, bad) = s.get("/api/briefs?limit=0").await;
    let error_schema = &doc["paths"]["/api/briefs"]["get"]["responses"]["400"]["content"]["application/json"]
        ["schema"];
    let root = serde_json::json!({ "allOf": [error_schema], "components": doc["components"] });
    assert!(jsonschema::draft202012::is_valid(&root, &bad), "{bad}");
    s.stop().await;
}

#[tokio::test]
async fn live_streams_beyond_the_cap_are_refused_with_503_until_one_closes() {
    let mut s = Setup::start(PLOT_FEED).await;
    s.wait_for_briefs(2).await;
    let mut open = Vec::new();
    for _ in 0..64 {
        open.push(open_stream(&s, "/api/stream", None).await);
    }
    let (status, v) = s.get("/api/stream").await;
    assert_eq!((status, error_code(&v)), (503, "too_many_streams"));
    drop(open.pop());
    // The server notices the closed connection at its next write or keep-alive; a new stream gets
    // the freed place within a few seconds at most.
    let start = Instant::now();
    loop {
        let r = client()
            .get(format!("{}/api/stream", s.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        if r.status().as_u16() == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the place was never freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(open);
    s.stop().await;
}
