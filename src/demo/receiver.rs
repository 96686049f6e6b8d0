//! The demo's webhook receiver, on loopback: checks each alert's Standard Webhooks signature with
//! the shared secret through [`crate::sinks::sign::verify`] (the receiver's side of the project's
//! own signing code) and reports what arrived. Sends nothing back but the status code.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::sinks::sign::{self, WebhookSecret};

/// One alert as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `webhook-id` header.
    pub id: String,
    /// Whether the signature matched the secret.
    pub verified: Result<(), String>,
    /// The alert rule that fired.
    pub rule: String,
    /// The brief's title.
    pub title: String,
    /// The brief's source.
    pub source: String,
    /// Its story, when the payload names one.
    pub story: Option<i64>,
    /// The topics that matched, best first.
    pub topics: Vec<String>,
}

struct ReceiverState {
    secret: WebhookSecret,
    events: mpsc::UnboundedSender<Received>,
}

/// The running receiver.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Receiver {
    /// The URL alerts are posted to.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

/// Starts the receiver on an ephemeral loopback port; every alert is reported on `events`.
pub async fn start(
    secret: WebhookSecret,
    events: mpsc::UnboundedSender<Received>,
    stop: CancellationToken,
) -> std::io::Result<Receiver> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(ReceiverState { secret, events });
    let app = Router::new().route("/hook", post(hook)).with_state(state);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "demo webhook receiver stopped");
        }
    });
    Ok(Receiver { addr })
}

async fn hook(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header(sign::HEADER_ID);
    let verified = sign::verify(
        &state.secret,
        &id,
        &header(sign::HEADER_TIMESTAMP),
        &header(sign::HEADER_SIGNATURE),
        &body,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| e.to_string());
    let status = if verified.is_ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    };
    let _ = state.events.send(describe(id, verified, &body));
    status
}

/// What the alert `body` says, as far as the demo prints it.
fn describe(id: String, verified: Result<(), String>, body: &[u8]) -> Received {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |p: &str| v.pointer(p).and_then(|x| x.as_str()).unwrap_or_default();
    Received {
        id,
        verified,
        rule: text("/rule").to_owned(),
        title: text("/brief/title").to_owned(),
        source: text("/brief/source").to_owned(),
        story: v.pointer("/story/id").and_then(|x| x.as_i64()),
        topics: v
            .get("topics")
            .and_then(|t| t.as_array())
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| t.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_is_described_by_rule_title_story_and_topics() {
        let body = br#"{"rule":"plots","brief":{"title":"T","source":"Wire"},"story":{"id":3},
            "topics":[{"id":"assassination_plot"},{"id":"diplomacy"}]}"#;
        let r = describe("msg_1".into(), Ok(()), body);
        assert_eq!(
            (r.rule.as_str(), r.title.as_str(), r.story),
            ("plots", "T", Some(3))
        );
        assert_eq!(r.topics, ["assassination_plot", "diplomacy"]);
        assert_eq!(r.source, "Wire");
    }
}
