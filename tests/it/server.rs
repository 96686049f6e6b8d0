//! A small, real HTTP origin for the tests: axum on 127.0.0.x with a random port.
//!
//! It serves fixture documents from an in-memory map `path → (body, content-type)` that the
//! test may change at any time, implements conditional GET (`ETag` / `Last-Modified` out,
//! `If-None-Match` / `If-Modified-Since` in, 304 when unchanged), counts and records every
//! request it sees, and can be told to answer a path with an error status or to hang.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};

/// How the server answers one path.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Serve the stored document, honouring conditional GET.
    Serve,
    /// Answer with this status and a short text body.
    Status(u16),
    /// Sleep this long before answering (meant to exceed the client's timeout).
    Hang(Duration),
    /// Answer `302 Found` with this `Location`.
    Redirect(String),
    /// Serve the stored document after this delay (to hold requests in flight).
    Slow(Duration),
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    /// Header names are lower-case.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Document {
    body: Vec<u8>,
    content_type: String,
    etag: String,
    last_modified: DateTime<Utc>,
    mode: Mode,
}

#[derive(Default)]
struct State {
    docs: HashMap<String, Document>,
    seen: Vec<SeenRequest>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: usize,
    max_in_flight: usize,
    /// Bumped on every publish: gives each version its own ETag and a strictly later
    /// Last-Modified (HTTP dates only have one-second resolution, so the clock is synthetic).
    version: u64,
}

pub struct FeedServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FeedServer {
    /// Starts a server on 127.0.0.1 with a random port.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1")
            .await
            .expect("bind the test server on 127.0.0.1")
    }

    /// Starts a server on the given loopback address with a random port.
    pub async fn start_on(ip: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = Router::new().fallback(move |req: Request| answer(shared.clone(), req));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// `host:port`, as written in `allow_hosts`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes a (new version of a) document: new body, new ETag, later Last-Modified.
    /// The path's mode is reset to [`Mode::Serve`].
    pub fn publish(&self, path: &str, body: impl Into<Vec<u8>>, content_type: &str) {
        let mut st = self.lock();
        st.version += 1;
        let version = st.version;
        let body = body.into();
        let doc = Document {
            etag: format!("\"v{version}-{}\"", body.len()),
            last_modified: Utc
                .timestamp_opt(1_761_955_200 + 3_600 * version as i64, 0)
                .single()
                .expect("valid timestamp"),
            body,
            content_type: content_type.to_string(),
            mode: Mode::Serve,
        };
        st.docs.insert(path.to_string(), doc);
    }

    /// Publishes every document again with identical bodies but fresh validators, as an
    /// origin that lost its cache state would: the client then gets 200s with the same items.
    pub fn republish_all_with_new_validators(&self) {
        let docs: Vec<(String, Vec<u8>, String)> = self
            .lock()
            .docs
            .iter()
            .map(|(p, d)| (p.clone(), d.body.clone(), d.content_type.clone()))
            .collect();
        for (path, body, ct) in docs {
            self.publish(&path, body, &ct);
        }
    }

    /// Makes `path` answer according to `mode` (the path need not have a document).
    pub fn set_mode(&self, path: &str, mode: Mode) {
        let mut st = self.lock();
        match st.docs.get_mut(path) {
            Some(doc) => doc.mode = mode,
            None => {
                st.docs.insert(
                    path.to_string(),
                    Document {
                        body: Vec::new(),
                        content_type: "text/plain".into(),
                        etag: "\"none\"".into(),
                        last_modified: Utc.timestamp_opt(1_761_955_200, 0).single().unwrap(),
                        mode,
                    },
                );
            }
        }
    }

    /// The ETag currently served for `path`.
    pub fn etag(&self, path: &str) -> Option<String> {
        self.lock().docs.get(path).map(|d| d.etag.clone())
    }

    /// The Last-Modified header value currently served for `path`.
    pub fn last_modified(&self, path: &str) -> Option<String> {
        self.lock()
            .docs
            .get(path)
            .map(|d| http_date(&d.last_modified))
    }

    /// The most requests this server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// How many requests reached `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.lock().seen.iter().filter(|r| r.path == path).count()
    }

    /// Every request that reached `path`, oldest first.
    pub fn requests(&self, path: &str) -> Vec<SeenRequest> {
        self.lock()
            .seen
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn http_date(t: &DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn strip_weak(tag: &str) -> &str {
    tag.trim().strip_prefix("W/").unwrap_or(tag.trim())
}

/// Counts a request in flight while it lives.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn enter(state: &Arc<Mutex<State>>) -> InFlight {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.in_flight += 1;
        st.max_in_flight = st.max_in_flight.max(st.in_flight);
        InFlight(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).in_flight -= 1;
    }
}

async fn answer(state: Arc<Mutex<State>>, req: Request) -> Response {
    let _in_flight = InFlight::enter(&state);
    let path = req.uri().path().to_string();
    let seen = SeenRequest {
        method: req.method().to_string(),
        path: path.clone(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    let doc = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.seen.push(seen);
        st.docs.get(&path).map(|d| {
            (
                d.body.clone(),
                d.content_type.clone(),
                d.etag.clone(),
                d.last_modified,
                d.mode.clone(),
            )
        })
    };
    let Some((body, content_type, etag, last_modified, mode)) = doc else {
        return (StatusCode::NOT_FOUND, "no such fixture").into_response();
    };
    match mode {
        Mode::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, format!("injected failure {code}")).into_response();
        }
        Mode::Hang(d) => {
            tokio::time::sleep(d).await;
            return (StatusCode::SERVICE_UNAVAILABLE, "hung").into_response();
        }
        Mode::Redirect(location) => {
            return Response::builder()
                .status(StatusCode::FOUND)
                .header(header::LOCATION, location)
                .body(Body::empty())
                .expect("302 response");
        }
        Mode::Slow(d) => tokio::time::sleep(d).await,
        Mode::Serve => {}
    }

    let headers = req.headers();
    // RFC 9110 §13.2.2: If-None-Match takes precedence over If-Modified-Since.
    let not_modified = if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let inm = String::from_utf8_lossy(inm.as_bytes()).into_owned();
        inm.split(',')
            .any(|t| t.trim() == "*" || strip_weak(t) == strip_weak(&etag))
    } else if let Some(ims) = headers.get(header::IF_MODIFIED_SINCE) {
        let ims = String::from_utf8_lossy(ims.as_bytes()).into_owned();
        DateTime::parse_from_rfc2822(ims.trim()).is_ok_and(|since| since >= last_modified)
    } else {
        false
    };

    let mut builder = Response::builder()
        .header(header::ETAG, HeaderValue::from_str(&etag).expect("etag"))
        .header(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&http_date(&last_modified)).expect("date"),
        );
    if not_modified {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder.body(Body::empty()).expect("304 response");
    }
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("200 response")
}
