//! The one HTTP client: conditional GET, limits and per-host politeness, every connection checked
//! by [`super::netguard`].
//!
//! Fetches bytes; does not parse them. `reqwest::Error` never leaves this file: failures become
//! [`FetchError`] variants that name the URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, redirect};
use tokio::sync::Semaphore;
use url::Url;

use super::netguard::{GuardedResolver, NetPolicy};
use crate::config::FetchConfig;
use crate::model::Validators;

pub use super::netguard::Refusal;

/// A failed fetch. Every variant carries the URL it concerns.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The target is on a private network and not allowed by the config.
    #[error("{url}: refused: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why (shown in the message; it is the refusal itself, not a lower-level cause).
        reason: Refusal,
    },
    /// The whole request took longer than the timeout.
    #[error("{url}: timed out after {secs} s")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        secs: u64,
    },
    /// DNS, TCP or TLS failed.
    #[error("{url}: connection failed: {detail}")]
    Connect {
        /// The URL.
        url: String,
        /// What the network stack said.
        detail: String,
    },
    /// The origin answered with an error status.
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// `Retry-After`, when the origin sent one.
        retry_after: Option<Duration>,
    },
    /// The body (after decompression) exceeded `fetch.max_body_bytes`.
    #[error("{url}: body larger than {limit} bytes (fetch.max_body_bytes)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// More redirects than `fetch.max_redirects`.
    #[error("{url}: too many redirects (more than {max})")]
    TooManyRedirects {
        /// The URL.
        url: String,
        /// The limit.
        max: usize,
    },
    /// A redirect led back to a URL already visited.
    #[error("{url}: redirect loop back to {target}")]
    RedirectLoop {
        /// The URL.
        url: String,
        /// The URL visited twice.
        target: String,
    },
    /// Anything else the transport reported (bad compression, reset while reading the body...).
    #[error("{url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// What happened.
        detail: String,
    },
}

impl FetchError {
    /// The URL the error names.
    fn url_mut(&mut self) -> &mut String {
        match self {
            FetchError::Refused { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::Connect { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::TooManyRedirects { url, .. }
            | FetchError::RedirectLoop { url, .. }
            | FetchError::Transport { url, .. } => url,
        }
    }

    /// Whether trying again later may succeed (false for refusals and most 4xx answers).
    pub fn should_retry(&self) -> bool {
        match self {
            FetchError::Refused { .. }
            | FetchError::TooLarge { .. }
            | FetchError::RedirectLoop { .. } => false,
            FetchError::Status { status, .. } => {
                matches!(*status, 408 | 425 | 429) || *status >= 500
            }
            _ => true,
        }
    }

    /// The HTTP status, when the origin answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the origin asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The HTTP client could not be built from `[fetch]` (the TLS backend or the system resolver
/// configuration failed). The cause is reqwest's error, kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client")]
pub struct ClientBuildError {
    #[source]
    source: reqwest::Error,
}

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FetchRequest<'a> {
    /// The URL.
    pub url: &'a Url,
    /// Validators from the previous fetch, for a conditional GET.
    pub validators: &'a Validators,
    /// The `Accept` header.
    pub accept: &'static str,
}

/// `Accept` for feed sources.
pub const ACCEPT_FEED: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";

/// `Accept` for web pages (HTML sources, article pages, discovery).
pub const ACCEPT_HTML: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8";

/// A complete response with a body.
#[derive(Debug)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: Url,
    /// The status (2xx).
    pub status: u16,
    /// `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// Validators to send next time.
    pub validators: Validators,
    /// `Cache-Control: max-age`, when sent.
    pub max_age: Option<Duration>,
    /// Every `Link` header, joined with `, ` (WebSub discovery reads `rel="hub"` and `rel="self"`).
    pub link_header: Option<String>,
}

/// What to POST.
#[derive(Debug, Clone)]
pub struct PostRequest<'a> {
    /// The receiver.
    pub url: &'a Url,
    /// `Content-Type` of the body.
    pub content_type: &'static str,
    /// Further headers (signature, authorisation).
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
    /// Bound on the whole exchange, body included.
    pub timeout: Duration,
}

/// A receiver's answer to a POST.
#[derive(Debug, Clone)]
pub struct PostResponse {
    /// The status, whatever it is (redirects are not followed).
    pub status: u16,
    /// `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
    /// The start of the response body (at most 512 bytes), for error messages.
    pub body: String,
}

/// How much of a receiver's response body is kept.
const POST_RESPONSE_KEPT: usize = 512;

/// The result of a successful request.
#[derive(Debug)]
pub enum FetchResponse {
    /// 2xx with a body.
    Fetched(Box<Fetched>),
    /// 304: nothing changed since the validators were issued.
    NotModified,
}

#[derive(Debug)]
struct RedirectLoop(String);

impl std::fmt::Display for RedirectLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect loop back to {}", self.0)
    }
}

impl std::error::Error for RedirectLoop {}

#[derive(Debug)]
struct RedirectLimit;

impl std::fmt::Display for RedirectLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("redirect limit")
    }
}

impl std::error::Error for RedirectLimit {}

/// The HTTP client shared by every source. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    /// For deliveries: follows no redirect (a receiver that moved must be reconfigured, and a
    /// redirect must not carry a signed body elsewhere).
    poster: reqwest::Client,
    policy: Arc<NetPolicy>,
    limits: Arc<FetchConfig>,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl HttpClient {
    /// Builds the client from `[fetch]`.
    pub fn new(cfg: &FetchConfig) -> Result<HttpClient, ClientBuildError> {
        // Idempotent: a second call finds the provider already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = Arc::new(NetPolicy::new(cfg));
        let max = cfg.max_redirects;
        let redirect_policy = policy.clone();
        let redirect = redirect::Policy::custom(move |attempt| {
            if attempt.previous().contains(attempt.url()) {
                let target = attempt.url().to_string();
                return attempt.error(RedirectLoop(target));
            }
            if attempt.previous().len() > max {
                return attempt.error(RedirectLimit);
            }
            match redirect_policy.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .redirect(redirect)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(cfg.per_host_concurrency)
            .tcp_nodelay(true)
            .build()
            .map_err(|source| ClientBuildError { source })?;
        let poster = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .connect_timeout(cfg.connect_timeout)
            .redirect(redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()
            .map_err(|source| ClientBuildError { source })?;
        Ok(HttpClient {
            client,
            poster,
            policy,
            limits: Arc::new(cfg.clone()),
            hosts: Arc::default(),
        })
    }

    fn host_slot(&self, url: &Url) -> Arc<Semaphore> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self.hosts.lock().expect("host map poisoned");
        hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_host_concurrency)))
            .clone()
    }

    /// An unconditional GET (no validators): pages, discovery, previews. A 304 to it is an error.
    pub async fn get(&self, url: &Url, accept: &'static str) -> Result<Fetched, FetchError> {
        let validators = Validators::default();
        let req = FetchRequest {
            url,
            validators: &validators,
            accept,
        };
        match self.fetch(req).await? {
            FetchResponse::Fetched(f) => Ok(*f),
            FetchResponse::NotModified => Err(FetchError::Status {
                url: url.to_string(),
                status: 304,
                retry_after: None,
            }),
        }
    }

    /// Refuses a URL the network policy does not allow (scheme, private addresses).
    fn guard(&self, url: &Url) -> Result<(), FetchError> {
        self.policy
            .check_url(url)
            .map_err(|reason| FetchError::Refused {
                url: url.to_string(),
                reason,
            })
    }

    /// Fetches one URL with a conditional GET, within the configured limits. Errors name the URL
    /// with any password in it masked.
    pub async fn fetch(&self, req: FetchRequest<'_>) -> Result<FetchResponse, FetchError> {
        let url = req.url;
        self.fetch_inner(req).await.map_err(|mut e| {
            if url.password().is_some() {
                *e.url_mut() = shown_url(url);
            }
            e
        })
    }

    async fn fetch_inner(&self, req: FetchRequest<'_>) -> Result<FetchResponse, FetchError> {
        let url = req.url;
        self.guard(url)?;
        let slot = self.host_slot(url);
        let _permit = slot.acquire().await.expect("host semaphore never closes");
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(req.accept));
        if let Some(v) = req.validators.etag.as_deref().and_then(header_value) {
            headers.insert(header::IF_NONE_MATCH, v);
        }
        if let Some(v) = req
            .validators
            .last_modified
            .as_deref()
            .and_then(header_value)
        {
            headers.insert(header::IF_MODIFIED_SINCE, v);
        }
        let mut resp = self
            .client
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| self.map_error(url, e))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchResponse::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after: retry_after(resp.headers()),
            });
        }
        let limit = self.limits.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        let declared = resp.content_length().unwrap_or(0);
        if declared > limit {
            return Err(too_large());
        }
        let final_url = resp.url().clone();
        let h = resp.headers();
        let content_type = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let validators = Validators {
            etag: header_string(h, header::ETAG),
            last_modified: header_string(h, header::LAST_MODIFIED),
        };
        let max_age = max_age(h);
        let links: Vec<&str> = h
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let link_header = (!links.is_empty()).then(|| links.join(", "));
        let mut body = Vec::with_capacity(declared.min(limit) as usize);
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_error(url, e))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchResponse::Fetched(Box::new(Fetched {
            url: final_url,
            status: status.as_u16(),
            content_type,
            body,
            validators,
            max_age,
            link_header,
        })))
    }

    /// POSTs `body` to `url` (alert deliveries): the private-network guard applies, no redirect is
    /// followed (a 3xx is returned as it is), and the whole exchange is bounded by `timeout`. Any
    /// status is a response; only a refusal, a timeout or a broken connection is an error.
    ///
    /// A destination's URL is a secret (a Slack or Discord webhook URL is its own credential):
    /// errors name only its scheme, host and port.
    pub async fn post(&self, req: PostRequest<'_>) -> Result<PostResponse, FetchError> {
        let url = req.url;
        self.post_inner(req).await.map_err(|mut e| {
            *e.url_mut() = destination_shown(url);
            e
        })
    }

    async fn post_inner(&self, req: PostRequest<'_>) -> Result<PostResponse, FetchError> {
        let url = req.url;
        self.guard(url)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(req.content_type),
        );
        for (name, value) in req.headers {
            let (Ok(n), Some(v)) = (
                header::HeaderName::try_from(name.as_str()),
                header_value(value),
            ) else {
                return Err(FetchError::Transport {
                    url: url.to_string(),
                    detail: format!("header {name:?} cannot be sent"),
                });
            };
            headers.insert(n, v);
        }
        let timed_out = |e: FetchError| match e {
            FetchError::Timeout { url, .. } => FetchError::Timeout {
                url,
                secs: req.timeout.as_secs().max(1),
            },
            other => other,
        };
        let exchange = async {
            let mut resp = self
                .poster
                .post(url.clone())
                .headers(headers)
                .body(req.body.to_vec())
                .send()
                .await
                .map_err(|e| self.map_error(url, e))?;
            let status = resp.status().as_u16();
            let retry_after = retry_after(resp.headers());
            // Enough of the answer to say what went wrong; a receiver cannot make us read more.
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.map_error(url, e))? {
                let room = POST_RESPONSE_KEPT.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= POST_RESPONSE_KEPT {
                    break;
                }
            }
            Ok(PostResponse {
                status,
                retry_after,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        match tokio::time::timeout(req.timeout, exchange).await {
            Ok(r) => r.map_err(timed_out),
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                secs: req.timeout.as_secs().max(1),
            }),
        }
    }

    fn map_error(&self, url: &Url, e: reqwest::Error) -> FetchError {
        let url_s = url.to_string();
        let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = src {
            if let Some(r) = s.downcast_ref::<Refusal>() {
                return FetchError::Refused {
                    url: url_s,
                    reason: r.clone(),
                };
            }
            if let Some(l) = s.downcast_ref::<RedirectLoop>() {
                return FetchError::RedirectLoop {
                    url: url_s,
                    target: l.0.clone(),
                };
            }
            if s.downcast_ref::<RedirectLimit>().is_some() {
                return FetchError::TooManyRedirects {
                    url: url_s,
                    max: self.limits.max_redirects,
                };
            }
            src = s.source();
        }
        if e.is_timeout() {
            FetchError::Timeout {
                url: url_s,
                secs: self.limits.timeout.as_secs(),
            }
        } else if e.is_connect() {
            FetchError::Connect {
                url: url_s,
                detail: error_chain(&e),
            }
        } else {
            FetchError::Transport {
                url: url_s,
                detail: error_chain(&e),
            }
        }
    }
}

/// `url` for messages and logs: a password in it replaced by `***`.
pub fn shown_url(url: &Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut u = url.clone();
    let _ = u.set_password(Some("***"));
    u.to_string()
}

/// A destination's URL for messages and logs: scheme, host and port, the rest (where webhook
/// URLs keep their tokens) elided.
pub fn destination_shown(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(a)) => format!("[{a}]"),
        Some(h) => h.to_string(),
        None => String::new(),
    };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if url.path() == "/" && url.query().is_none() {
        ""
    } else {
        "/…"
    };
    format!("{}://{host}{port}{rest}", url.scheme())
}

/// The innermost useful message of an error chain, without repeating the URL.
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    if parts.is_empty() {
        e.without_url_ref().to_string()
    } else {
        parts.join(": ")
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let s = self.to_string();
        match self.url() {
            Some(u) => s.replace(&format!(" ({u})"), ""),
            None => s,
        }
    }
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

fn header_string(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = header_string(h, header::RETRY_AFTER)?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(&v).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// How long the response says it stays fresh: `Cache-Control: max-age=N`, else `Expires` (counted
/// from the response's `Date`, or from now). `no-cache` and `no-store` mean nothing is promised.
fn max_age(h: &HeaderMap) -> Option<Duration> {
    let cc = header_string(h, header::CACHE_CONTROL)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let directives: Vec<&str> = cc.split(',').map(str::trim).collect();
    if directives
        .iter()
        .any(|d| *d == "no-cache" || *d == "no-store")
    {
        return None;
    }
    if let Some(age) = directives.iter().find_map(|d| {
        d.strip_prefix("max-age=")
            .and_then(|n| n.trim_matches('"').parse::<u64>().ok())
    }) {
        return Some(Duration::from_secs(age));
    }
    let date = |name| {
        header_string(h, name)
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(&v).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    let expires = date(header::EXPIRES)?;
    let now = date(header::DATE).unwrap_or_else(chrono::Utc::now);
    (expires - now).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_comes_from_max_age_else_expires_and_no_cache_promises_nothing() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        let date = "Thu, 03 Dec 2026 10:00:00 GMT";
        assert_eq!(
            max_age(&headers(&[("cache-control", "public, max-age=600")])),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            max_age(&headers(&[
                ("date", date),
                ("expires", "Thu, 03 Dec 2026 11:30:00 GMT")
            ])),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(
            max_age(&headers(&[
                ("cache-control", "no-cache"),
                ("date", date),
                ("expires", "Thu, 03 Dec 2026 11:30:00 GMT")
            ])),
            None
        );
        assert_eq!(
            max_age(&headers(&[("date", date), ("expires", "0")])),
            None,
            "an invalid Expires is already stale"
        );
    }

    #[test]
    fn errors_never_show_passwords_or_destination_paths() {
        let u = Url::parse("https://reader:s3cret@feeds.example.org/private.xml").unwrap();
        assert_eq!(
            shown_url(&u),
            "https://reader:***@feeds.example.org/private.xml"
        );
        let hook = Url::parse("https://hooks.slack.com/services/T000/B000/XXXXSECRET").unwrap();
        assert_eq!(destination_shown(&hook), "https://hooks.slack.com/…");
        let local = Url::parse("http://[::1]:8080/hook?token=abc").unwrap();
        assert_eq!(destination_shown(&local), "http://[::1]:8080/…");
    }

    #[test]
    fn retry_classification() {
        let s = |status| FetchError::Status {
            url: "u".into(),
            status,
            retry_after: None,
        };
        assert!(s(503).should_retry());
        assert!(s(429).should_retry());
        assert!(!s(404).should_retry());
    }
}
