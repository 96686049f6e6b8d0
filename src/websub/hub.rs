//! Subscription requests to a hub: a form-encoded POST of `hub.mode`, `hub.topic`,
//! `hub.callback` (and for a subscription `hub.lease_seconds` and `hub.secret`) through the
//! project's HTTP client, so that the private-network guard and `fetch.allow_hosts` apply.

use std::time::Duration;

use url::Url;

use crate::model::{HubMode, Subscription};
use crate::sources::http::{FetchError, HttpClient, PostRequest};

/// A hub that did not take a request.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The request did not get an answer (refused address, timeout, connection).
    #[error("{mode} request to the hub failed: {source}")]
    Request {
        /// `subscribe` or `unsubscribe`.
        mode: &'static str,
        /// What failed.
        source: FetchError,
    },
    /// The hub answered with a status other than 2xx.
    #[error(
        "the hub answered the {mode} request with HTTP {status}{}",
        detail(body)
    )]
    Status {
        /// `subscribe` or `unsubscribe`.
        mode: &'static str,
        /// The status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
}

fn detail(body: &str) -> String {
    let line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let line = line.trim();
    if line.is_empty() {
        String::new()
    } else {
        format!(": {line}")
    }
}

/// The form body of a request (the secret is in it: never log it).
pub fn form(sub: &Subscription, mode: HubMode, callback: &Url, lease: Duration) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    f.append_pair("hub.mode", mode.as_str())
        .append_pair("hub.topic", sub.topic.as_str())
        .append_pair("hub.callback", callback.as_str());
    if mode == HubMode::Subscribe {
        f.append_pair("hub.lease_seconds", &lease.as_secs().to_string())
            .append_pair("hub.secret", &sub.secret);
    }
    f.finish()
}

/// Sends `mode` for `sub` to its hub; `Ok` when the hub answered 2xx (202 Accepted, as the
/// Recommendation asks, or 204 from older hubs that verify before answering).
pub async fn request(
    client: &HttpClient,
    sub: &Subscription,
    mode: HubMode,
    callback: &Url,
    lease: Duration,
    timeout: Duration,
) -> Result<(), HubError> {
    let body = form(sub, mode, callback, lease);
    let resp = client
        .post(PostRequest {
            url: &sub.hub,
            content_type: "application/x-www-form-urlencoded",
            headers: &[],
            body: body.as_bytes(),
            timeout,
        })
        .await
        .map_err(|source| HubError::Request {
            mode: mode.as_str(),
            source,
        })?;
    if (200..300).contains(&resp.status) {
        Ok(())
    } else {
        Err(HubError::Status {
            mode: mode.as_str(),
            status: resp.status,
            body: resp.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SubscriptionState;

    #[test]
    fn the_form_carries_the_secret_and_lease_only_when_subscribing() {
        let sub = Subscription {
            id: "abc".into(),
            source_id: 1,
            hub: Url::parse("https://hub.example/").unwrap(),
            topic: Url::parse("https://news.example/feed.xml?x=1&y=2").unwrap(),
            secret: "s3cret".into(),
            state: SubscriptionState::Requested,
            pending: None,
            requested_at: None,
            lease_secs: None,
            expires_at: None,
            next_at: None,
            failures: 0,
            last_error: None,
        };
        let cb = Url::parse("https://briefs.example.org/websub/abc").unwrap();
        let f = form(&sub, HubMode::Subscribe, &cb, Duration::from_secs(3600));
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(f.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("hub.mode"), Some("subscribe"));
        assert_eq!(
            get("hub.topic"),
            Some("https://news.example/feed.xml?x=1&y=2")
        );
        assert_eq!(get("hub.callback"), Some(cb.as_str()));
        assert_eq!(get("hub.lease_seconds"), Some("3600"));
        assert_eq!(get("hub.secret"), Some("s3cret"));
        let f = form(&sub, HubMode::Unsubscribe, &cb, Duration::from_secs(3600));
        assert!(!f.contains("secret") && !f.contains("lease"), "{f}");
        let e = HubError::Status {
            mode: "subscribe",
            status: 400,
            body: "bad\ntopic".into(),
        };
        assert_eq!(
            e.to_string(),
            "the hub answered the subscribe request with HTTP 400: bad topic"
        );
    }
}
