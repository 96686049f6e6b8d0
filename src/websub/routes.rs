//! The callback a hub calls, `/websub/{id}`, served without the API's token (a hub cannot hold
//! it) and whether or not the API is on.
//!
//! - `GET`: a verification of intent. The challenge is echoed (200) only when `hub.mode` and
//!   `hub.topic` match a request of that subscription awaiting verification; otherwise 404. A
//!   denial (`hub.mode=denied`) is recorded and answered 200.
//! - `POST`: content distribution. The body (capped at `fetch.max_body_bytes`) must carry a good
//!   `X-Hub-Signature` for a verified subscription; otherwise it is ignored with a warning, and
//!   still answered 2xx as the Recommendation asks, so that a forger learns nothing.

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;

use super::registry::Refusal;
use super::signature;
use super::{Push, WebSub, WebSubEvent};
use crate::model::{HubMode, SubscriptionState};

/// The routes, with `websub` as their state.
pub fn router(websub: WebSub) -> Router {
    Router::new()
        .route("/websub/{id}", get(verify).post(content))
        .with_state(websub)
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such subscription request\n").into_response()
}

/// `GET /websub/{id}?hub.mode=...&hub.topic=...&hub.challenge=...&hub.lease_seconds=...`.
async fn verify(
    State(ws): State<WebSub>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut mode = None;
    let mut topic = None;
    let mut challenge = None;
    let mut lease = None;
    let mut reason = None;
    for (k, v) in url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.topic" => topic = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            "hub.lease_seconds" => lease = Some(v.into_owned()),
            "hub.reason" => reason = Some(v.into_owned()),
            _ => {}
        }
    }
    let (Some(mode), Some(topic)) = (mode, topic) else {
        return (
            StatusCode::BAD_REQUEST,
            "hub.mode and hub.topic are required\n",
        )
            .into_response();
    };
    let now = Utc::now();
    let mut reg = ws.0.registry.lock().await;
    if mode == "denied" {
        return match reg.deny(&id, &topic, reason.as_deref(), now) {
            Ok(fx) => {
                ws.apply(fx).await;
                ws.0.wake.notify_one();
                StatusCode::OK.into_response()
            }
            Err(_) => not_found(),
        };
    }
    let Some(mode) = HubMode::parse(&mode) else {
        return (StatusCode::BAD_REQUEST, "unknown hub.mode\n").into_response();
    };
    let Some(challenge) = challenge.filter(|c| !c.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "hub.challenge is required\n").into_response();
    };
    let lease = lease.and_then(|l| l.trim().parse::<u64>().ok());
    match reg.verify(&id, mode, &topic, lease, now, &ws.0.cfg) {
        Ok(fx) => {
            ws.apply(fx).await;
            // The subscriber's next action (a renewal) moved: let it look again.
            ws.0.wake.notify_one();
            (StatusCode::OK, challenge).into_response()
        }
        Err(refusal) => {
            let source = reg
                .get(&id)
                .map(|s| reg.name(s.source_id))
                .unwrap_or_default();
            let why = match refusal {
                Refusal::Unknown => "unknown subscription",
                Refusal::NotPending => {
                    "mode or topic does not match a request awaiting verification"
                }
            };
            tracing::info!(source = %source, subscription = %id, mode = mode.as_str(), reason = why, "WebSub verification refused");
            not_found()
        }
    }
}

/// `POST /websub/{id}`: pushed content.
async fn content(State(ws): State<WebSub>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let found = {
        let reg = ws.0.registry.lock().await;
        reg.get(&id).map(|s| {
            (
                s.secret.clone(),
                s.state,
                s.source_id,
                s.topic.clone(),
                reg.name(s.source_id),
            )
        })
    };
    let Some((secret, state, source_id, topic, name)) = found else {
        tracing::warn!(subscription = %id, "WebSub content for an unknown subscription; ignored");
        return not_found();
    };
    let body = match axum::body::to_bytes(body, ws.0.max_body).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(source = %name, subscription = %id, limit = ws.0.max_body, error = %e, "WebSub content too large or unreadable; ignored (fetch.max_body_bytes)");
            crate::metrics::METRICS.push(&name, "rejected", 0);
            return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n").into_response();
        }
    };
    let header = parts.headers.get("x-hub-signature").map(|v| v.as_bytes());
    let reason = match signature::verify(header, secret.as_bytes(), &body) {
        Err(e) => Some(e.reason()),
        Ok(()) if state != SubscriptionState::Verified => Some("subscription_not_verified"),
        Ok(()) => None,
    };
    if let Some(reason) = reason {
        tracing::warn!(source = %name, subscription = %id, reason, bytes = body.len(), "WebSub push rejected; content ignored");
        crate::metrics::METRICS.push(&name, "rejected", 0);
        return StatusCode::ACCEPTED.into_response();
    }
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    tracing::debug!(source = %name, subscription = %id, bytes = body.len(), "WebSub push accepted");
    let _ = ws.0.events.send(WebSubEvent::Pushed(Push {
        source_id,
        subscription: id,
        topic,
        content_type,
        body: body.to_vec(),
    }));
    StatusCode::ACCEPTED.into_response()
}
