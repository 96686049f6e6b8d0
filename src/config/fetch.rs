//! `[fetch]`: limits and politeness of the one HTTP client. Owns [`FetchConfig`] and
//! [`AllowedHost`]; does not build the client (that is `sources::http`).

use std::time::Duration;

use url::Url;

use super::raw::RawFetch;
use super::{Problem, ValueError, parse_interval};

/// `[fetch]`: limits and politeness of the one HTTP client.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    /// Most redirects followed for one request.
    pub max_redirects: usize,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Most requests in flight to one host at once.
    pub per_host_concurrency: usize,
    /// Allow loopback, private and link-local targets.
    pub allow_private_networks: bool,
    /// Hosts allowed even when private (`host` or `host:port`).
    pub allow_hosts: Vec<AllowedHost>,
    /// Interval for sources that do not set one (imported ones, for instance).
    pub default_interval: Duration,
}

/// An entry of `fetch.allow_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// The port, or any port when absent.
    pub port: Option<u16>,
}

impl AllowedHost {
    /// Whether this entry allows `url`'s host and port.
    pub fn matches(&self, url: &Url) -> bool {
        let host = match url.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string().to_ascii_lowercase(),
            None => return false,
        };
        host == self.host
            && self
                .port
                .is_none_or(|p| Some(p) == url.port_or_known_default())
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 32,
            per_host_concurrency: 2,
            allow_private_networks: false,
            allow_hosts: Vec::new(),
            default_interval: Duration::from_secs(15 * 60),
        }
    }
}

/// `v`, or `default` when absent; zero (or less) is a problem under `key`.
fn positive<T: PartialOrd + Default + Copy>(
    v: Option<T>,
    default: T,
    key: &str,
    problems: &mut Vec<Problem>,
) -> T {
    match v {
        Some(v) if v <= T::default() => {
            problems.push(Problem {
                key: key.into(),
                reason: "must be greater than zero".into(),
            });
            default
        }
        Some(v) => v,
        None => default,
    }
}

/// Checks `[fetch]`; every invalid value is a problem and its default stands in for it.
pub(super) fn validate_fetch(raw: RawFetch, problems: &mut Vec<Problem>) -> FetchConfig {
    let d = FetchConfig::default();
    let secs = |v: Option<u64>, d: Duration, key: &str, problems: &mut Vec<Problem>| {
        Duration::from_secs(positive(v, d.as_secs(), key, problems))
    };
    let default_interval = match raw.default_interval.as_deref() {
        None => d.default_interval,
        Some(s) => parse_interval(s).unwrap_or_else(|e| {
            problems.push(Problem {
                key: "fetch.default_interval".into(),
                reason: e.to_string(),
            });
            d.default_interval
        }),
    };
    let mut allow_hosts = Vec::new();
    for (i, h) in raw.allow_hosts.unwrap_or_default().iter().enumerate() {
        match parse_allowed_host(h) {
            Ok(a) => allow_hosts.push(a),
            Err(e) => problems.push(Problem {
                key: format!("fetch.allow_hosts[{i}]"),
                reason: e.to_string(),
            }),
        }
    }
    FetchConfig {
        timeout: secs(raw.timeout_secs, d.timeout, "fetch.timeout_secs", problems),
        connect_timeout: secs(
            raw.connect_timeout_secs,
            d.connect_timeout,
            "fetch.connect_timeout_secs",
            problems,
        ),
        max_body_bytes: positive(
            raw.max_body_bytes,
            d.max_body_bytes,
            "fetch.max_body_bytes",
            problems,
        ),
        max_redirects: raw.max_redirects.unwrap_or(d.max_redirects),
        concurrency: positive(
            raw.concurrency,
            d.concurrency,
            "fetch.concurrency",
            problems,
        ),
        per_host_concurrency: positive(
            raw.per_host_concurrency,
            d.per_host_concurrency,
            "fetch.per_host_concurrency",
            problems,
        ),
        allow_private_networks: raw.allow_private_networks.unwrap_or(false),
        allow_hosts,
        default_interval,
    }
}

/// Parses an entry of `fetch.allow_hosts`: `host` or `host:port`.
fn parse_allowed_host(s: &str) -> Result<AllowedHost, ValueError> {
    let url =
        Url::parse(&format!("http://{}/", s.trim())).map_err(|source| ValueError::AllowedHost {
            input: s.to_string(),
            source,
        })?;
    let host = match url.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(h) => h.to_string(),
        None => {
            return Err(ValueError::AllowedHostMissing {
                input: s.to_string(),
            });
        }
    };
    Ok(AllowedHost {
        host,
        port: url.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;
    use super::*;

    #[test]
    fn allow_hosts_match_host_and_port() {
        let c = load("[fetch]\nallow_hosts = [\"127.0.0.1:8088\", \"Intranet\"]\n").unwrap();
        let ok = |u: &str| {
            c.fetch
                .allow_hosts
                .iter()
                .any(|a| a.matches(&Url::parse(u).unwrap()))
        };
        assert!(ok("http://127.0.0.1:8088/feed"));
        assert!(!ok("http://127.0.0.1:8089/feed"));
        assert!(ok("https://intranet/x"));
    }
}
