//! The read-only JSON API under `/api` (served only when `[server]` has a token): bearer-token
//! auth, the JSON error shape and the endpoints `/api/briefs` (keyset pages), `/api/briefs/{id}`,
//! `/api/stories`, `/api/sources` and `/api/deliveries`. Reads go through read-only connections of
//! its own, never the writer. Query parameters are [`super::params`]'s, the live stream
//! [`super::stream`]'s, and the OpenAPI document, built from the `#[utoipa::path]` annotations
//! here, [`super::openapi`]'s.
//!
//! Every error is `{"error": {"code": "...", "message": "..."}}` with one of the codes
//! `unauthorized` (401), `invalid_parameter` (400), `invalid_cursor` (400), `invalid_query` (400),
//! `query_too_costly` (400), `not_found` (404), `method_not_allowed` (405), `internal` (500),
//! `too_many_streams` (503).

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::params::{
    BRIEFS_PARAMS, DELIVERIES_PARAMS, Params, STORIES_PARAMS, Since, decode_cursor, encode_cursor,
};
use crate::config::Secret;
use crate::model::StoredBrief;
use crate::store::{BriefQuery, Store, StoreError};
use crate::transforms::classify::Gazetteer;
use crate::views::{BriefShow, DeliveryLine, ListLine, SourceLine, StoryLine};

/// What the API needs: the token, its read-only connections, the gazetteer (entity names are
/// looked up under their canonical form, as `briefs list --entity` does) and the daemon's shutdown,
/// which ends live streams.
#[derive(Clone)]
pub struct Api {
    token: Secret,
    /// For request-response endpoints.
    pub(super) reader: Arc<Mutex<Store>>,
    /// For the live streams, so that a slow page never delays an event.
    pub(super) stream_reader: Arc<Mutex<Store>>,
    gazetteer: Arc<Gazetteer>,
    pub(super) shutdown: CancellationToken,
    /// One permit per open live stream (at most [`MAX_STREAMS`]).
    pub(super) streams: Arc<Semaphore>,
}

/// How many live streams may be open at once; one more is refused with 503 `too_many_streams`.
pub const MAX_STREAMS: usize = 64;

impl Api {
    /// Opens the API's read-only connections to the database at `db` (which the daemon has opened
    /// and migrated already).
    pub fn open(
        db: &Path,
        token: Secret,
        gazetteer: Arc<Gazetteer>,
        shutdown: CancellationToken,
    ) -> Result<Api, StoreError> {
        Ok(Api {
            token,
            reader: Arc::new(Mutex::new(Store::open_reader(db)?)),
            stream_reader: Arc::new(Mutex::new(Store::open_reader(db)?)),
            gazetteer,
            shutdown,
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
        })
    }
}

/// The routes under `/api`, every one behind the bearer token.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/briefs", get(list_briefs))
        .route("/briefs/{id}", get(show_brief))
        .route("/stories", get(list_stories))
        .route("/sources", get(list_sources))
        .route("/deliveries", get(list_deliveries))
        .route("/stream", get(super::stream::stream))
        .route("/openapi.json", get(super::openapi::openapi_json))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "the API is read-only: use GET",
            )
        })
        .layer(middleware::from_fn_with_state(api.clone(), require_token))
        .with_state(api)
}

/// An API error: its status and the body `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorFields<'a> {
    /// Stable: `unauthorized`, `invalid_parameter`, `invalid_cursor`, `invalid_query`,
    /// `query_too_costly`, `not_found`, `method_not_allowed`, `internal`, `too_many_streams`.
    code: &'a str,
    /// For people; may change.
    message: &'a str,
}

/// A page of `GET /api/briefs`.
#[derive(Serialize, ToSchema)]
pub struct BriefPage<'a> {
    /// Newest stored first, as the lines of `briefs list --json`.
    briefs: Vec<ListLine<'a>>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// `GET /api/stories`.
#[derive(Serialize, ToSchema)]
pub struct StoryList<'a> {
    /// As the lines of `stories list --json`.
    stories: Vec<StoryLine<'a>>,
}

/// `GET /api/sources`.
#[derive(Serialize, ToSchema)]
pub struct SourceList<'a> {
    /// As the lines of `sources status --json`.
    sources: Vec<SourceLine<'a>>,
}

/// `GET /api/deliveries`.
#[derive(Serialize, ToSchema)]
pub struct DeliveryList<'a> {
    /// As the lines of `alerts list --json`.
    deliveries: Vec<DeliveryLine<'a>>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The stable code, e.g. `invalid_parameter`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A 400 naming the parameter.
    pub fn param(name: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("{name}: {why}"),
        )
    }

    /// The error as an SSE event's data, for a stream that cannot go on.
    pub(super) fn to_json(&self) -> String {
        serde_json::to_string(&ErrorBody {
            error: ErrorFields {
                code: self.code,
                message: &self.message,
            },
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, json_headers(), self.to_json()).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match &e {
            StoreError::NotFound { what } => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            StoreError::TooCostly { .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "query_too_costly",
                format!("{e}; narrow the query or lower limit"),
            ),
            StoreError::BadQuery { query, .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("q: cannot search for {query:?}"),
            ),
            _ => {
                tracing::warn!(error = %crate::errors::chain(&e), "API read failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the database could not answer",
                )
            }
        }
    }
}

fn json_headers() -> [(header::HeaderName, &'static str); 1] {
    [(header::CONTENT_TYPE, "application/json")]
}

/// A JSON body that is already serialised.
pub(super) fn json(body: Vec<u8>) -> Response {
    (json_headers(), body).into_response()
}

/// Lets the request through when it carries `Authorization: Bearer <token>`, compared in constant
/// time; a 401 otherwise.
async fn require_token(State(api): State<Api>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let ok = given.is_some_and(|t| bool::from(t.as_bytes().ct_eq(api.token.expose().as_bytes())));
    if !ok {
        let message = match given {
            None => "send Authorization: Bearer <token>",
            Some(_) => "the token is not valid",
        };
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    }
    next.run(req).await
}

/// Runs `f` on `conn` off the async threads.
pub(super) async fn read<T: Send + 'static>(
    conn: &Arc<Mutex<Store>>,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let conn = conn.clone();
    tokio::task::spawn_blocking(move || {
        let store = conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&store)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(ApiError::from)
}

/// Serialises briefs as the lines of `briefs list --json`, with their topic scores.
pub(super) fn list_lines(
    store: &Store,
    briefs: &[StoredBrief],
) -> Result<Vec<Vec<u8>>, StoreError> {
    let ids: Vec<i64> = briefs.iter().map(|b| b.id).collect();
    let topics = store.topic_scores(&ids)?;
    Ok(briefs
        .iter()
        .map(|b| serde_json::to_vec(&ListLine::new(b, topics.get(&b.id))).unwrap_or_default())
        .collect())
}

/// `GET /api/briefs`: newest stored first; `next_cursor` fetches the following page, `null` on the
/// last one. Briefs stored while a client pages have larger ids and never enter its later pages.
#[utoipa::path(get, path = "/api/briefs", tag = "briefs",
    params(
        ("topic" = Option<String>, Query, min_length = 1, description = "Only briefs with this topic (its id, e.g. ceasefire)"),
        ("source" = Option<String>, Query, min_length = 1, description = "Only briefs of this source (its name)"),
        ("entity" = Option<String>, Query, min_length = 1, description = "Only briefs naming this entity (any name the gazetteer knows)"),
        ("since" = Option<Since>, Query, description = "Only briefs published (or stored, when undated) since: RFC 3339 or 2026-11-01"),
        ("q" = Option<String>, Query, min_length = 1, description = "Full-text search over title and text (FTS5 syntax when it parses, else plain words)"),
        ("min_score" = Option<f32>, Query, minimum = 0, maximum = 1, description = "Only briefs with a topic (the `topic`, when given) scoring at least this"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, min_length = 1, pattern = "^[A-Za-z0-9_-]+$", description = "The `next_cursor` of the previous page (opaque: any other value is a 400 `invalid_cursor`)"),
    ),
    responses(
        (status = 200, description = "A page of briefs", body = BriefPage),
        (status = 400, description = "A bad parameter or cursor", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    ))]
pub(super) async fn list_briefs(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), BRIEFS_PARAMS)?;
    let limit = p.limit()?;
    let entity = p.get("entity").map(|e| {
        api.gazetteer
            .canonical(&e)
            .map_or(e.clone(), str::to_string)
    });
    let query = BriefQuery {
        topic: p.get("topic"),
        source: p.get("source"),
        entity,
        since: p.since()?,
        q: p.get("q"),
        min_score: p.min_score()?,
        before: p.get("cursor").as_deref().map(decode_cursor).transpose()?,
        after: None,
        // One more than asked tells whether another page follows.
        limit: limit + 1,
    };
    let body = read(&api.reader, move |s| {
        let mut briefs = s.brief_page(&query)?;
        let next = (briefs.len() as u64 > limit).then(|| {
            briefs.truncate(limit as usize);
            encode_cursor(briefs.last().map_or(0, |b| b.id))
        });
        let ids: Vec<i64> = briefs.iter().map(|b| b.id).collect();
        let topics = s.topic_scores(&ids)?;
        let page = BriefPage {
            briefs: briefs
                .iter()
                .map(|b| ListLine::new(b, topics.get(&b.id)))
                .collect(),
            next_cursor: next,
        };
        Ok(serde_json::to_vec(&page).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/briefs/{id}`: the brief in full, as `briefs show ID --json`.
#[utoipa::path(get, path = "/api/briefs/{id}", tag = "briefs",
    params(("id" = i64, Path, description = "The brief's id")),
    responses(
        (status = 200, description = "The brief, as briefs show --json", body = BriefShow),
        (status = 400, description = "Not a brief id", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 404, description = "No such brief", body = ErrorBody),
    ))]
pub(super) async fn show_brief(
    State(api): State<Api>,
    UrlPath(id): UrlPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::param("id", format!("{id:?} is not a brief id")))?;
    let body = read(&api.reader, move |s| {
        let b = s.get_brief(id)?;
        let also = s.story_appearances(id)?;
        let topics = s.brief_topics(id)?;
        let entities = s.brief_entities(id)?;
        Ok(serde_json::to_vec(&BriefShow::new(&b, &also, &topics, &entities)).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/stories`: the most recently active stories first, as `stories list --json`.
#[utoipa::path(get, path = "/api/stories", tag = "stories",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "How many, 50 by default"),
        ("min_sources" = Option<i64>, Query, minimum = 0, description = "Only stories carried by at least this many sources (1)"),
    ),
    responses(
        (status = 200, description = "Stories", body = StoryList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    ))]
pub(super) async fn list_stories(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), STORIES_PARAMS)?;
    let limit = p.limit()?;
    // Within i64, as the document says (and as SQLite counts).
    let min_sources = match p.get("min_sources") {
        None => 1,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::param("min_sources", format!("{v:?} is not a whole number"))
            })?,
    };
    let body = read(&api.reader, move |s| {
        let stories = s.list_stories(Some(limit), min_sources)?;
        let list = StoryList {
            stories: stories.iter().map(StoryLine::new).collect(),
        };
        Ok(serde_json::to_vec(&list).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/sources`: every source with its status, as `sources status --json`.
#[utoipa::path(get, path = "/api/sources", tag = "sources",
    responses(
        (status = 200, description = "Every source with its status", body = SourceList),
        (status = 400, description = "A parameter was given (none is known)", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    ))]
pub(super) async fn list_sources(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let body = read(&api.reader, move |s| {
        let sources = s.source_statuses()?;
        let list = SourceList {
            sources: sources.iter().map(SourceLine::new).collect(),
        };
        Ok(serde_json::to_vec(&list).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/deliveries`: alert deliveries, newest first, as `alerts list --json`; `failed=true`
/// keeps the failed ones and those held for a disabled destination.
#[utoipa::path(get, path = "/api/deliveries", tag = "deliveries",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "How many, 50 by default"),
        ("failed" = Option<bool>, Query, description = "true: only failed deliveries and those held for a disabled destination"),
    ),
    responses(
        (status = 200, description = "Deliveries, newest first", body = DeliveryList),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
    ))]
pub(super) async fn list_deliveries(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), DELIVERIES_PARAMS)?;
    let limit = p.limit()?;
    let failed = match p.get("failed").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(ApiError::param(
                "failed",
                format!("{v:?} is not true or false"),
            ));
        }
    };
    let body = read(&api.reader, move |s| {
        let list = s.list_deliveries(failed, Some(limit))?;
        let list = DeliveryList {
            deliveries: list.iter().map(DeliveryLine::new).collect(),
        };
        Ok(serde_json::to_vec(&list).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}
