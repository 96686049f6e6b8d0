//! The WebSub subscriber end to end: a feed on a loopback origin announces a hub written for the
//! test (axum on 127.0.0.1, verifying intent with a challenge and signing pushes itself with
//! hmac/sha2), the real daemon subscribes through its public callback, a signed push is stored and
//! alerted to a real webhook receiver at once with no poll in between, a badly signed push is
//! ignored with a warning, and a short lease is renewed before it ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::harness::{ConfigSpec, Daemon, SourceSpec, Workspace, source_row};
use crate::receiver::{Receiver, SECRET};
use crate::server::FeedServer;
use crate::smtp::free_port;

const RSS_TYPE: &str = "application/rss+xml";

/// A subscription request as the hub received it, and how its verification went.
#[derive(Clone, Debug)]
struct Request {
    form: HashMap<String, String>,
    at: Instant,
    /// The challenge sent and the daemon's answer (status, body).
    verification: Option<(String, u16, String)>,
    /// When the daemon's answer to the verification arrived: the lease runs from here.
    verified_at: Option<Instant>,
}

impl Request {
    fn get(&self, k: &str) -> &str {
        self.form
            .get(k)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("hub request without {k}: {:?}", self.form))
    }
}

/// A WebSub hub for the tests: answers subscription requests 202, then verifies intent with a
/// random challenge, granting `lease_secs`.
struct Hub {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl Hub {
    async fn start(lease_secs: u64) -> Hub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let shared = requests.clone();
        let app = Router::new().route(
            "/hub",
            post(move |body: Bytes| {
                let shared = shared.clone();
                async move {
                    let form: HashMap<String, String> =
                        url::form_urlencoded::parse(&body).into_owned().collect();
                    let index = {
                        let mut r = shared.lock().unwrap();
                        r.push(Request {
                            form: form.clone(),
                            at: Instant::now(),
                            verification: None,
                            verified_at: None,
                        });
                        r.len() - 1
                    };
                    // Verify intent after answering, as an asynchronous hub does.
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let challenge = format!("challenge-{index}-{}", fastrand::u64(..));
                        let mut url = url::Url::parse(&form["hub.callback"]).unwrap();
                        url.query_pairs_mut()
                            .append_pair("hub.mode", &form["hub.mode"])
                            .append_pair("hub.topic", &form["hub.topic"])
                            .append_pair("hub.challenge", &challenge)
                            .append_pair("hub.lease_seconds", &lease_secs.to_string());
                        let (status, text) = match client().get(url).send().await {
                            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
                            Err(e) => (0, e.to_string()),
                        };
                        let mut r = shared.lock().unwrap();
                        r[index].verification = Some((challenge, status, text));
                        r[index].verified_at = Some(Instant::now());
                    });
                    StatusCode::ACCEPTED
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Hub {
            addr,
            requests,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits until `n` requests were verified (or panics after `within`).
    async fn wait_verified(&self, n: usize, within: Duration, daemon: &Daemon) -> Vec<Request> {
        let start = Instant::now();
        loop {
            let r = self.requests();
            if r.iter().filter(|r| r.verification.is_some()).count() >= n {
                return r;
            }
            assert!(
                start.elapsed() < within,
                "hub: {} requests, fewer than {n} verified within {within:?}: {r:?}\n{}",
                r.len(),
                daemon.output_so_far()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Pushes `body` to `callback`, signed `sha256=` with `secret`; returns the status.
    async fn push(callback: &str, secret: &str, body: &str) -> u16 {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let sig: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        client()
            .post(callback)
            .header("content-type", RSS_TYPE)
            .header("x-hub-signature", format!("sha256={sig}"))
            .body(body.to_string())
            .send()
            .await
            .expect("the callback answers")
            .status()
            .as_u16()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An RSS feed announcing `hub` and its self URL, with `(guid, title, text)` items.
fn feed(hub: &str, self_url: &str, items: &[(&str, &str, &str)]) -> String {
    crate::harness::wire_rss(
        &format!(
            "<atom:link rel=\"hub\" href=\"{hub}\"/><atom:link rel=\"self\" href=\"{self_url}\"/>"
        ),
        items,
    )
}

const CALM: (&str, &str, &str) = (
    "calm",
    "Central bank keeps interest rates unchanged",
    "The central bank left its benchmark rate unchanged on Thursday, citing steady inflation.",
);
const PLOT: (&str, &str, &str) = (
    "plot",
    "Iran denies assassination plot against exiled dissident",
    "Tehran rejected accusations that its agents plotted to assassinate an exiled dissident in \
     Europe. Police said the assassination plot was foiled after two suspects were arrested.",
);
const FORGED: (&str, &str, &str) = (
    "forged",
    "Police foil assassination plot near the harbour",
    "Prosecutors said the murder plot targeted a minister; the assassination plot was foiled.",
);

struct Setup {
    origin: FeedServer,
    hub: Hub,
    receiver: Receiver,
    ws: Workspace,
    port: u16,
}

/// A daemon polling one feed every hour that announces `hub`; WebSub on with a two-hour safety
/// net; a plots rule alerting a webhook receiver.
async fn setup(lease_secs: u64) -> Setup {
    let origin = FeedServer::start().await;
    let hub = Hub::start(lease_secs).await;
    let receiver = Receiver::start().await;
    let self_url = origin.url("/wire.xml");
    origin.publish("/wire.xml", feed(&hub.url(), &self_url, &[CALM]), RSS_TYPE);
    let port = free_port();
    let mut spec = ConfigSpec::for_server(&origin)
        .source(SourceSpec::new("wire", origin.url("/wire.xml")).interval("1h"));
    spec.allow_hosts.push(hub.addr.to_string());
    spec.allow_hosts.push(receiver.host_port());
    let ws = Workspace::new();
    std::fs::write(ws.path("ops.secret"), SECRET).unwrap();
    ws.write_config(&format!(
        "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\n\
         [websub]\nsafety_net_interval = \"2h\"\nlease = \"1d\"\n\n\
         [delivery]\nretry_schedule = [\"0s\", \"300ms\"]\n\n\
         [[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"http://{}/hook\"\n\
         secret_file = \"ops.secret\"\n\n\
         [[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\ndestinations = [\"ops\"]\n",
        spec.render(),
        receiver.host_port()
    ));
    Setup {
        origin,
        hub,
        receiver,
        ws,
        port,
    }
}

/// The `websub` object of the `wire` source in `sources status --json`.
async fn websub_status(ws: &Workspace) -> Value {
    let run = ws.bw(&["sources", "status", "--json"]).await;
    run.assert_success();
    let rows = run.json_lines();
    source_row(&rows, "wire")
        .get("websub")
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_discovered_hub_is_subscribed_and_a_signed_push_is_stored_and_alerted_at_once() {
    let s = setup(86_400).await;
    let mut daemon = s.ws.spawn(&["run"]);

    // 1. Discovery, subscription, verification of intent.
    let requests = s
        .hub
        .wait_verified(1, Duration::from_secs(20), &daemon)
        .await;
    let sub = &requests[0];
    assert_eq!(sub.get("hub.mode"), "subscribe");
    assert_eq!(sub.get("hub.topic"), s.origin.url("/wire.xml"));
    assert_eq!(sub.get("hub.lease_seconds"), "86400");
    let callback = sub.get("hub.callback").to_string();
    let prefix = format!("http://127.0.0.1:{}/websub/", s.port);
    assert!(callback.starts_with(&prefix), "{callback}");
    let secret = sub.get("hub.secret").to_string();
    assert!(secret.len() >= 32, "a fresh random secret: {secret:?}");
    let (challenge, status, echoed) = sub.verification.clone().unwrap();
    assert_eq!(
        (status, echoed.as_str()),
        (200, challenge.as_str()),
        "the challenge is echoed"
    );
    let status = websub_status(&s.ws).await;
    assert_eq!(status["state"], "verified", "{status}");
    assert_eq!(status["hub"], s.hub.url());
    let expires =
        chrono::DateTime::parse_from_rfc3339(status["lease_expires"].as_str().unwrap()).unwrap();
    let left = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24),
        "{status}"
    );
    // Also as stored, in the database file itself.
    let db = rusqlite::Connection::open(s.ws.path("bw.db")).unwrap();
    let (state, expires_ms): (String, i64) = db
        .query_row(
            "SELECT state, expires_at FROM websub_subscriptions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(state, "verified");
    assert_eq!(expires_ms, expires.timestamp_millis());
    // A verification for a request nobody made is refused.
    let forged = client()
        .get(format!(
            "{callback}?hub.mode=unsubscribe&hub.topic={}&hub.challenge=x",
            s.origin.url("/wire.xml")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 404);

    // 2. A signed push is stored and alerted within a second, without polling the feed again.
    assert_eq!(s.origin.hits("/wire.xml"), 1);
    let body = feed(&s.hub.url(), &s.origin.url("/wire.xml"), &[PLOT, CALM]);
    let pushed = Instant::now();
    assert_eq!(Hub::push(&callback, &secret, &body).await / 100, 2);
    let got = s
        .receiver
        .wait_for("/hook", 1, Duration::from_secs(5))
        .await;
    let latency = got[0].at.duration_since(pushed);
    eprintln!("websub: push to webhook delivery in {latency:?}");
    assert!(
        latency < Duration::from_secs(1),
        "alerted {latency:?} after the push"
    );
    assert!(got[0].signature_ok(SECRET));
    assert_eq!(got[0].json()["brief"]["title"], PLOT.1);
    let briefs = s.ws.briefs().await;
    let titles: Vec<&str> = briefs.iter().filter_map(|b| b["title"].as_str()).collect();
    assert!(titles.contains(&PLOT.1), "{titles:?}");
    assert_eq!(s.origin.hits("/wire.xml"), 1, "no poll in between");

    // 3. A push signed with another secret is ignored, with a warning naming why.
    let forged_body = feed(&s.hub.url(), &s.origin.url("/wire.xml"), &[FORGED]);
    let status = Hub::push(&callback, "not-the-secret", &forged_body).await;
    assert_eq!(status / 100, 2, "answered 2xx as the Recommendation asks");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(s.receiver.seen_at("/hook").len(), 1, "nothing alerted");
    let briefs = s.ws.briefs().await;
    assert_eq!(briefs.len(), 2, "nothing stored: {briefs:?}");
    let log = daemon.output_so_far();
    let line = log
        .lines()
        .find(|l| l.contains("WebSub push rejected"))
        .unwrap_or_else(|| panic!("no rejection logged\n{log}"));
    assert!(
        line.contains("signature_mismatch") && line.contains("wire") && !line.contains(&secret),
        "{line}"
    );
    assert!(!log.contains(&secret), "the secret was logged");

    daemon.signal("TERM");
    let (status, ..) = daemon
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("stops");
    assert!(status.success());
}

#[tokio::test]
async fn a_short_lease_is_renewed_before_it_expires() {
    let s = setup(3).await;
    let daemon = s.ws.spawn(&["run"]);
    let requests = s
        .hub
        .wait_verified(2, Duration::from_secs(20), &daemon)
        .await;
    let (first, renewal) = (&requests[0], &requests[1]);
    let verified = first.verified_at.unwrap();
    assert_eq!(renewal.get("hub.mode"), "subscribe");
    assert_eq!(renewal.get("hub.callback"), first.get("hub.callback"));
    assert_eq!(renewal.get("hub.topic"), first.get("hub.topic"));
    let after = renewal.at.duration_since(verified);
    assert!(
        after < Duration::from_secs(3),
        "renewal {after:?} after the verification: later than the 3 s lease"
    );
    eprintln!("websub: 3 s lease renewed {after:?} after its verification");
    let (challenge, status, echoed) = renewal.verification.clone().unwrap();
    assert_eq!((status, echoed), (200, challenge));
    assert_eq!(websub_status(&s.ws).await["state"], "verified");
    assert_eq!(
        s.origin.hits("/wire.xml"),
        1,
        "the feed is not polled meanwhile"
    );
}

#[tokio::test]
async fn a_source_removed_on_reload_is_unsubscribed_at_its_hub() {
    let s = setup(86_400).await;
    let mut daemon = s.ws.spawn(&["run"]);
    let requests = s
        .hub
        .wait_verified(1, Duration::from_secs(20), &daemon)
        .await;
    let callback = requests[0].get("hub.callback").to_string();
    let topic = requests[0].get("hub.topic").to_string();
    // The same config without the source, then SIGHUP.
    let text = std::fs::read_to_string(&s.ws.config).unwrap();
    let start = text.find("[[sources]]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    s.ws.write_config(&format!("{}{}", &text[..start], &text[end..]));
    daemon.signal("HUP");
    let requests = s
        .hub
        .wait_verified(2, Duration::from_secs(20), &daemon)
        .await;
    let unsub = &requests[1];
    assert_eq!(unsub.get("hub.mode"), "unsubscribe");
    assert_eq!(unsub.get("hub.callback"), callback);
    assert_eq!(unsub.get("hub.topic"), topic);
    assert!(!unsub.form.contains_key("hub.secret"));
    let (challenge, status, echoed) = unsub.verification.clone().unwrap();
    assert_eq!(
        (status, echoed),
        (200, challenge),
        "the unsubscription is confirmed"
    );
    let db = rusqlite::Connection::open(s.ws.path("bw.db")).unwrap();
    let left: i64 = db
        .query_row("SELECT count(*) FROM websub_subscriptions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        left, 0,
        "the subscription is forgotten once the hub confirmed"
    );
    // Its callback is gone: pushes and verifications for it are refused.
    let again = client()
        .get(format!(
            "{callback}?hub.mode=subscribe&hub.topic={topic}&hub.challenge=x"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(15)).await.is_some());
}
