//! The read-only JSON API under `/api` (served only when `[server]` has a token): bearer-token
//! auth, the JSON error shape, query parameters, and the endpoints `/api/briefs` (keyset pages),
//! `/api/briefs/{id}`, `/api/stories`, `/api/sources` and `/api/deliveries`. Reads go through
//! read-only connections of its own, never the writer; the live stream is [`super::stream`]'s.
//!
//! Every error is `{"error": {"code": "...", "message": "..."}}` with one of the codes
//! `unauthorized` (401), `invalid_parameter` (400), `invalid_cursor` (400), `invalid_query` (400),
//! `query_too_costly` (400), `not_found` (404), `method_not_allowed` (405), `internal` (500).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

use crate::cli::output::{BriefShow, DeliveryLine, ListLine, SourceLine, StoryLine};
use crate::config::Secret;
use crate::model::StoredBrief;
use crate::store::{BriefQuery, Store, StoreError};
use crate::transforms::classify::Gazetteer;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest `limit` accepted.
pub const MAX_LIMIT: u64 = 500;

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
}

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

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: &'a str,
    message: &'a str,
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
fn json(body: Vec<u8>) -> Response {
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

/// The query parameters of one request: each at most once, none unknown, none empty.
pub(super) struct Params(HashMap<String, String>);

impl Params {
    /// Parses `raw`, accepting only the names in `allowed`.
    pub(super) fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut out = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::param(
                    &k,
                    format!("unknown parameter; known: {}", allowed.join(", ")),
                ));
            }
            if v.trim().is_empty() {
                return Err(ApiError::param(&k, "empty"));
            }
            if out.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(ApiError::param(&k, "given more than once"));
            }
        }
        Ok(Params(out))
    }

    /// The value of `name`, if given.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
    pub(super) fn limit(&self) -> Result<u64, ApiError> {
        match self.0.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<u64>() {
                Ok(n @ 1..=MAX_LIMIT) => Ok(n),
                _ => Err(ApiError::param(
                    "limit",
                    format!("{v:?} is not a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
        }
    }

    /// `min_score`: a number from 0 to 1.
    pub(super) fn min_score(&self) -> Result<Option<f32>, ApiError> {
        self.0
            .get("min_score")
            .map(|v| match v.parse::<f32>() {
                Ok(s) if (0.0..=1.0).contains(&s) => Ok(s),
                _ => Err(ApiError::param(
                    "min_score",
                    format!("{v:?} is not a number from 0 to 1"),
                )),
            })
            .transpose()
    }

    /// `since`: an RFC 3339 time or a date (midnight UTC).
    fn since(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(v) = self.0.get("since") else {
            return Ok(None);
        };
        if let Ok(d) = DateTime::parse_from_rfc3339(v) {
            return Ok(Some(d.with_timezone(&Utc)));
        }
        match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())),
            Err(_) => Err(ApiError::param(
                "since",
                format!("{v:?} is not an RFC 3339 time or a date (2026-11-01)"),
            )),
        }
    }
}

/// The opaque cursor of the page after the brief `id`.
fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("b1:{id}"))
}

fn decode_cursor(c: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("b1:").and_then(|n| n.parse::<i64>().ok()))
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "cursor: not a cursor this API gave out",
            )
        })
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
async fn list_briefs(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(
        raw.as_deref(),
        &[
            "topic",
            "source",
            "entity",
            "since",
            "q",
            "min_score",
            "limit",
            "cursor",
        ],
    )?;
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
        let lines = list_lines(s, &briefs)?;
        let mut out = b"{\"briefs\":[".to_vec();
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(l);
        }
        out.extend_from_slice(b"],\"next_cursor\":");
        out.extend(serde_json::to_vec(&next).unwrap_or_default());
        out.push(b'}');
        Ok(out)
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/briefs/{id}`: the brief in full, as `briefs show ID --json`.
async fn show_brief(
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
async fn list_stories(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["limit", "min_sources"])?;
    let limit = p.limit()?;
    let min_sources = match p.get("min_sources") {
        None => 1,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| ApiError::param("min_sources", format!("{v:?} is not a whole number")))?,
    };
    let body = read(&api.reader, move |s| {
        let stories = s.list_stories(Some(limit), min_sources)?;
        let lines: Vec<StoryLine> = stories.iter().map(StoryLine::new).collect();
        Ok(serde_json::to_vec(&serde_json::json!({ "stories": lines })).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/sources`: every source with its status, as `sources status --json`.
async fn list_sources(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let body = read(&api.reader, move |s| {
        let sources = s.source_statuses()?;
        let lines: Vec<SourceLine> = sources.iter().map(SourceLine::new).collect();
        Ok(serde_json::to_vec(&serde_json::json!({ "sources": lines })).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

/// `GET /api/deliveries`: alert deliveries, newest first, as `alerts list --json`; `failed=true`
/// keeps the failed ones and those held for a disabled destination.
async fn list_deliveries(
    State(api): State<Api>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["limit", "failed"])?;
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
        let lines: Vec<DeliveryLine> = list.iter().map(DeliveryLine::new).collect();
        Ok(serde_json::to_vec(&serde_json::json!({ "deliveries": lines })).unwrap_or_default())
    })
    .await?;
    Ok(json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        for bad in ["", "42", "YjE6LTE", "!!", &URL_SAFE_NO_PAD.encode("b1:x")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters_are_known_single_and_in_range() {
        let p = Params::parse(Some("limit=500&topic=ceasefire"), &["limit", "topic"]).unwrap();
        assert_eq!(p.limit().unwrap(), 500);
        assert_eq!(
            Params::parse(None, &["limit"]).unwrap().limit().unwrap(),
            50
        );
        for bad in ["limit=0", "limit=501", "limit=x"] {
            let p = Params::parse(Some(bad), &["limit"]).unwrap();
            assert_eq!(p.limit().unwrap_err().code, "invalid_parameter");
        }
        assert!(Params::parse(Some("nope=1"), &["limit"]).is_err());
        assert!(Params::parse(Some("limit=1&limit=2"), &["limit"]).is_err());
        assert!(Params::parse(Some("limit="), &["limit"]).is_err());
    }
}
