//! The daemon's HTTP endpoint (`[server] listen`): `/healthz` (the process answers), `/readyz`
//! (the store answers and the main loop is turning) and `/metrics` (Prometheus text format, with
//! the database figures read at scrape time), without authentication; and, when `[server]` has a
//! token, the read-only JSON API, live stream and OpenAPI document under `/api` ([`api`],
//! [`params`], [`stream`], [`openapi`]); and, when WebSub is active, its callback routes
//! (`crate::websub::routes`), also without the API's token.

pub mod api;
pub mod dashboard;
pub mod openapi;
pub mod params;
pub mod stream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::metrics::{METRICS, SourceLabel};
use crate::store::writer::WriterHandle;
use crate::store::{HealthFigures, StoreError};

/// The main loop is "stalled" when it has not turned for this long.
pub const STALL_AFTER: Duration = Duration::from_secs(120);

/// How long a scrape waits for the store.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// The time the daemon's main loop last turned, for `/readyz`.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    /// Records a turn of the loop now.
    pub fn beat(&self) {
        self.0
            .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// How long ago the loop last turned (`None`: never).
    pub fn age(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            at => Some(Duration::from_millis(
                (Utc::now().timestamp_millis() - at).max(0) as u64,
            )),
        }
    }
}

#[derive(Clone)]
struct AppState {
    writer: WriterHandle,
    heartbeat: Heartbeat,
}

/// Binds `listen` (so that a taken port is an error at start, naming the address).
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("[server] listen = \"{listen}\": cannot listen: {e}"))
}

/// Serves the endpoint on `listener` until `shutdown` (which also ends the API's live streams),
/// with the JSON API when `api` is given and the WebSub callbacks when `websub` is.
pub async fn serve(
    listener: TcpListener,
    writer: WriterHandle,
    heartbeat: Heartbeat,
    api: Option<api::Api>,
    websub: Option<Router>,
    shutdown: CancellationToken,
) {
    let addr = listener.local_addr().ok();
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(AppState { writer, heartbeat });
    let with_api = api.is_some();
    if let Some(api) = api {
        app = app.nest("/api", api::router(api));
        app = app.merge(dashboard::router());
    }
    if let Some(callbacks) = websub {
        app = app.merge(callbacks);
    }
    tracing::info!(listen = ?addr, api = with_api, "health and metrics endpoint listening");
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
    {
        tracing::error!(error = %e, "the health and metrics endpoint stopped");
    }
}

async fn figures(writer: &WriterHandle) -> Result<HealthFigures, String> {
    let call = writer.call(|s| s.health_figures());
    match tokio::time::timeout(STORE_TIMEOUT, call).await {
        Ok(Ok(Ok(f))) => Ok(f),
        Ok(Ok(Err(e)) | Err(e)) => Err(crate::errors::chain(&e as &StoreError).to_string()),
        Err(_) => Err(format!(
            "the store did not answer within {}s",
            STORE_TIMEOUT.as_secs()
        )),
    }
}

async fn readyz(State(st): State<AppState>) -> Response {
    if let Err(e) = figures(&st.writer).await {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response();
    }
    match st.heartbeat.age() {
        None => (StatusCode::SERVICE_UNAVAILABLE, "scheduler: not started\n").into_response(),
        Some(age) if age > STALL_AFTER => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("scheduler: stalled for {}s\n", age.as_secs()),
        )
            .into_response(),
        Some(_) => "ready\n".into_response(),
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    match figures(&st.writer).await {
        Ok(f) => set_figures(&f),
        Err(e) => tracing::warn!(error = %e, "metrics scrape without store figures"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        METRICS.encode(),
    )
        .into_response()
}

fn set_figures(f: &HealthFigures) {
    let now = Utc::now();
    METRICS.outbox_depth.set(f.outbox_depth as i64);
    METRICS.oldest_pending_seconds.set(
        f.oldest_pending
            .map_or(0, |t| (now - t).num_seconds().max(0)),
    );
    METRICS.sources.set(f.sources.len() as i64);
    METRICS.last_success_age.clear();
    for (name, at) in &f.sources {
        if let Some(at) = at {
            METRICS
                .last_success_age
                .get_or_create(&SourceLabel {
                    source: name.clone(),
                })
                .set((now - *at).num_seconds().max(0));
        }
    }
}
