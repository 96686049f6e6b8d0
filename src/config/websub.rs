//! `[websub]`: whether the daemon subscribes to the WebSub hubs its feeds announce, the lease it
//! asks for, how long it waits for a hub to verify, and how often a pushed source is still polled.
//!
//! Rule: WebSub is active only when `[server]` has both `listen` and `public_url` (hubs call back
//! under `public_url`) and `[websub] enabled` is not `false`. Asking for it explicitly
//! (`enabled = true`) without them is an error naming the missing key.

use std::time::Duration;

use url::Url;

use super::raw::RawWebSub;
use super::server::ServerConfig;
use super::{Problem, parse_interval};

/// The lease asked for unless configured: ten days.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10 * 86_400);
/// How long a hub may take to verify a request unless configured.
pub const DEFAULT_VERIFY_TIMEOUT: Duration = Duration::from_secs(300);
/// The shortest default safety-net interval of a pushed source.
pub const MIN_SAFETY_NET: Duration = Duration::from_secs(3_600);

/// A validated `[websub]` section, present only when WebSub is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSubConfig {
    /// `[server] public_url`: callbacks are `<public_url>/websub/<id>`.
    pub public_url: Url,
    /// How often a source with a verified subscription is still polled; `None`: four times its
    /// interval, at least an hour.
    pub safety_net_interval: Option<Duration>,
    /// The lease asked for (`hub.lease_seconds`); the hub may grant another.
    pub lease: Duration,
    /// How long a hub may take to verify a request before the source falls back to polling.
    pub verify_timeout: Duration,
}

impl WebSubConfig {
    /// How often a source polled every `interval` is polled while its subscription is verified:
    /// never more often than usual.
    pub fn safety_net(&self, interval: Duration) -> Duration {
        self.safety_net_interval
            .unwrap_or_else(|| interval.saturating_mul(4).max(MIN_SAFETY_NET))
            .max(interval)
    }

    /// The callback URL of subscription `id`.
    pub fn callback(&self, id: &str) -> Url {
        let mut url = self.public_url.clone();
        let path = format!("{}/websub/{id}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

/// Checks `[websub]` against `[server]`: `None` when WebSub is not active.
pub(super) fn validate_websub(
    raw: Option<RawWebSub>,
    server: Option<&ServerConfig>,
    problems: &mut Vec<Problem>,
) -> Option<WebSubConfig> {
    let explicit = raw.as_ref().and_then(|r| r.enabled);
    let raw = raw.unwrap_or_default();
    let mut interval = |key: &str, value: Option<&str>, default: Option<Duration>| match value {
        None => Some(default),
        Some(v) => match parse_interval(v) {
            Ok(d) => Some(Some(d)),
            Err(e) => {
                problems.push(Problem {
                    key: format!("websub.{key}"),
                    reason: e.to_string(),
                });
                None
            }
        },
    };
    let safety = interval(
        "safety_net_interval",
        raw.safety_net_interval.as_deref(),
        None,
    );
    let lease = interval("lease", raw.lease.as_deref(), Some(DEFAULT_LEASE));
    let verify = interval(
        "verify_timeout",
        raw.verify_timeout.as_deref(),
        Some(DEFAULT_VERIFY_TIMEOUT),
    );
    if explicit == Some(false) {
        return None;
    }
    let public_url = match server {
        Some(s) => s.public_url.clone(),
        None => None,
    };
    let Some(public_url) = public_url else {
        if explicit == Some(true) {
            let missing = if server.is_none() {
                "[server] listen and public_url"
            } else {
                "[server] public_url"
            };
            problems.push(Problem {
                key: "websub.enabled".into(),
                reason: format!(
                    "WebSub needs {missing}: hubs call back at <public_url>/websub/<id>"
                ),
            });
        }
        return None;
    };
    Some(WebSubConfig {
        public_url,
        safety_net_interval: safety?,
        lease: lease??,
        verify_timeout: verify??,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;
    use super::*;

    const SERVER: &str =
        "[server]\nlisten = \"127.0.0.1:9464\"\npublic_url = \"https://briefs.example.org/bw/\"\n";

    #[test]
    fn websub_is_active_with_listen_and_public_url_and_takes_defaults() {
        let c = load(SERVER).unwrap();
        let w = c.websub.unwrap();
        assert_eq!(w.lease, DEFAULT_LEASE);
        assert_eq!(w.verify_timeout, DEFAULT_VERIFY_TIMEOUT);
        assert_eq!(
            w.callback("abc").as_str(),
            "https://briefs.example.org/bw/websub/abc"
        );
        let m15 = Duration::from_secs(900);
        assert_eq!(w.safety_net(m15), Duration::from_secs(3_600));
        assert_eq!(w.safety_net(m15 * 4), m15 * 16);
    }

    #[test]
    fn websub_is_off_without_public_url_or_when_disabled() {
        assert!(
            load("[server]\nlisten = \"127.0.0.1:9464\"\n")
                .unwrap()
                .websub
                .is_none()
        );
        assert!(
            load(&format!("{SERVER}[websub]\nenabled = false\n"))
                .unwrap()
                .websub
                .is_none()
        );
        assert!(load("").unwrap().websub.is_none());
    }

    #[test]
    fn asking_for_websub_without_public_url_names_the_missing_key() {
        let e = load("[server]\nlisten = \"127.0.0.1:9464\"\n[websub]\nenabled = true\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("websub.enabled") && e.contains("[server] public_url"),
            "{e}"
        );
        let e = load("[websub]\nenabled = true\n").unwrap_err().to_string();
        assert!(e.contains("[server] listen and public_url"), "{e}");
    }

    #[test]
    fn intervals_are_checked_and_the_safety_net_never_polls_more_often() {
        let c = load(&format!(
            "{SERVER}[websub]\nsafety_net_interval = \"30m\"\nlease = \"2d\"\nverify_timeout = \"1m\"\n"
        ))
        .unwrap();
        let w = c.websub.unwrap();
        assert_eq!(w.lease, Duration::from_secs(2 * 86_400));
        assert_eq!(
            w.safety_net(Duration::from_secs(60)),
            Duration::from_secs(1_800)
        );
        assert_eq!(
            w.safety_net(Duration::from_secs(7_200)),
            Duration::from_secs(7_200)
        );
        let e = load(&format!("{SERVER}[websub]\nlease = \"soon\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("websub.lease") && e.contains("soon"), "{e}");
    }
}
