//! A real webhook receiver for the alert tests: axum on 127.0.0.1, recording every POST (path,
//! headers, body, arrival time) and answering from a script of statuses per path (then 200), with
//! optional `Retry-After` and a delay before answering. Signatures are verified here with hmac and
//! sha2 directly, independently of briefwatch's own signing code.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// A signing secret for tests: `whsec_` + base64 of 32 bytes.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwbmFybmlhbmFybmlhbmFybmlh";

/// One answer: a status, `Retry-After` seconds, and a delay before answering.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "receiver got a body that is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Verifies the Standard Webhooks signature with `secret`, as a receiver would.
    pub fn signature_ok(&self, secret: &str) -> bool {
        let (Some(id), Some(ts), Some(sig)) = (
            self.header("webhook-id"),
            self.header("webhook-timestamp"),
            self.header("webhook-signature"),
        ) else {
            return false;
        };
        let key = STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .expect("test secret is base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(&self.body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        sig.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct State {
    script: HashMap<String, VecDeque<Answer>>,
    seen: Vec<Seen>,
}

pub struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts on 127.0.0.1 with a random port.
    pub async fn start() -> Receiver {
        Receiver::start_at("127.0.0.1:0").await
    }

    /// Starts on a given address (to come back on the port of a receiver that was stopped).
    pub async fn start_at(addr: &str) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = Router::new().fallback(move |req: Request| answer(shared.clone(), req));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state, task }
    }

    /// Stops accepting connections (the port is free again).
    pub fn stop(self) -> SocketAddr {
        self.task.abort();
        self.addr
    }

    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers the next requests to `path` with these, in order; then 200.
    pub fn script(&self, path: &str, answers: impl IntoIterator<Item = Answer>) {
        self.lock()
            .script
            .insert(path.to_string(), answers.into_iter().collect());
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Requests to `path` so far.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Waits until `n` requests reached `path` (or panics after `within`).
    pub async fn wait_for(&self, path: &str, n: usize, within: Duration) -> Vec<Seen> {
        let start = Instant::now();
        loop {
            let seen = self.seen_at(path);
            if seen.len() >= n {
                return seen;
            }
            assert!(
                start.elapsed() < within,
                "receiver: {} of {n} requests to {path} within {within:?}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(state: Arc<Mutex<State>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let body: Bytes = axum::body::to_bytes(req.into_body(), 10 << 20)
        .await
        .unwrap_or_default();
    let next = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.seen.push(Seen {
            path: path.clone(),
            headers,
            body: body.to_vec(),
            at: Instant::now(),
        });
        s.script.get_mut(&path).and_then(VecDeque::pop_front)
    };
    let a = next.unwrap_or(Answer::status(200));
    if !a.delay.is_zero() {
        tokio::time::sleep(a.delay).await;
    }
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, format!("status {}", a.status)).into_response();
    if let Some(s) = a.retry_after {
        resp.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    resp
}
