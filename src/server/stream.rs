//! `GET /api/stream`: newly stored briefs as Server-Sent Events (`event: brief`, `id:` the brief's
//! row id, `data:` the brief as a line of `briefs list --json`), filtered by `topic`, `source` and
//! `min_score`. A client resumes with `Last-Event-ID` (or `?after=ID`): what was stored after that
//! id is replayed from the database, then it goes on live; without either it starts from now.
//!
//! Gap-free by construction: the single writer commits briefs in id order (AUTOINCREMENT ids,
//! one write transaction at a time), so once the newest id `M` is visible every brief up to `M` is,
//! and each turn sends the matches in `(last, M]` and moves `last` to `M`. Replay and live are the
//! same loop, polling the stream's read-only connection every [`POLL_EVERY`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::OwnedSemaphorePermit;

use super::api::{Api, ApiError, ErrorBody, MAX_STREAMS, list_lines, read};
use super::params::{Params, STREAM_PARAMS};
use crate::store::BriefQuery;
use crate::views::ListLine;

/// How often a stream looks for newly stored briefs.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// At most this many briefs are read per turn (a long replay goes on over several turns).
const BATCH: u64 = 200;

/// A comment line is sent when nothing else was for this long, so that proxies keep the connection.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct StreamState {
    api: Api,
    filter: BriefQuery,
    /// The id of the last brief considered (sent or filtered out).
    last: i64,
    pending: VecDeque<Event>,
    /// Read again without waiting (the first turn, or after a full batch).
    read_now: bool,
    ended: bool,
    /// Held while the stream is open.
    _permit: OwnedSemaphorePermit,
}

/// Opens the stream.
#[utoipa::path(get, path = "/api/stream", tag = "stream",
    params(
        ("topic" = Option<String>, Query, min_length = 1, description = "Only briefs with this topic"),
        ("source" = Option<String>, Query, min_length = 1, description = "Only briefs of this source"),
        ("min_score" = Option<f32>, Query, minimum = 0, maximum = 1, description = "Only briefs with a topic (the `topic`, when given) scoring at least this"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Replay the briefs stored after this event id first (Last-Event-ID wins)"),
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this event id: what was stored since is replayed first"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events: `event: brief`, `id:` the brief id, `data:` the brief as in `GET /api/briefs`; an `event: error` (data: the error body) ends the stream", content_type = "text/event-stream", body = ListLine),
        (status = 400, description = "A bad parameter or Last-Event-ID", body = ErrorBody),
        (status = 401, description = "No or a wrong bearer token", body = ErrorBody),
        (status = 503, description = "Too many live streams are open", body = ErrorBody),
    ))]
pub(super) async fn stream(
    State(api): State<Api>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), STREAM_PARAMS)?;
    let filter = BriefQuery {
        topic: p.get("topic"),
        source: p.get("source"),
        min_score: p.min_score()?,
        ..BriefQuery::default()
    };
    let header = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|id| *id >= 0)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        "Last-Event-ID: not an event id this stream sent",
                    )
                })
        })
        .transpose()?;
    let after = p
        .get("after")
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|id| *id >= 0)
                .ok_or_else(|| ApiError::param("after", format!("{v:?} is not an event id")))
        })
        .transpose()?;
    // The header wins: a browser's EventSource sends it on reconnecting to the same URL.
    let last = match header.or(after) {
        Some(id) => id,
        None => read(&api.stream_reader, |s| s.last_brief_id()).await?,
    };
    let permit = api.streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
            format!("{MAX_STREAMS} live streams are open already; try again later"),
        )
    })?;
    let state = StreamState {
        api,
        filter,
        last,
        pending: VecDeque::new(),
        read_now: true,
        ended: false,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(state, next_event);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// The next event: a pending one, or whatever the next turn finds; `None` ends the stream (the
/// daemon is stopping, or the database failed and an `error` event was sent).
async fn next_event(mut st: StreamState) -> Option<(Result<Event, Infallible>, StreamState)> {
    loop {
        if let Some(ev) = st.pending.pop_front() {
            return Some((Ok(ev), st));
        }
        if st.ended || st.api.shutdown.is_cancelled() {
            return None;
        }
        if !std::mem::replace(&mut st.read_now, false) {
            tokio::select! {
                () = st.api.shutdown.cancelled() => return None,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
        turn(&mut st).await;
    }
}

/// Reads the matches in `(last, newest]` (at most [`BATCH`]) and queues them.
async fn turn(st: &mut StreamState) {
    let mut q = st.filter.clone();
    let last = st.last;
    let found = read(&st.api.stream_reader, move |s| {
        let newest = s.last_brief_id()?;
        if newest <= last {
            return Ok((last, Vec::new()));
        }
        q.after = Some(last);
        q.before = Some(newest + 1);
        q.limit = BATCH;
        let briefs = s.briefs_after(&q)?;
        // A full batch may stop short of `newest`: go on from its last brief next turn.
        let upto = match briefs.len() as u64 == BATCH {
            true => briefs.last().map_or(newest, |b| b.id),
            false => newest,
        };
        let lines = list_lines(s, &briefs)?;
        Ok((
            upto,
            briefs.iter().map(|b| b.id).zip(lines).collect::<Vec<_>>(),
        ))
    })
    .await;
    match found {
        Ok((upto, briefs)) => {
            // More may be waiting beyond a full batch: read on without pausing.
            st.read_now = briefs.len() as u64 == BATCH;
            st.last = upto;
            for (id, line) in briefs {
                st.pending.push_back(
                    Event::default()
                        .event("brief")
                        .id(id.to_string())
                        .data(String::from_utf8_lossy(&line)),
                );
            }
        }
        Err(e) => {
            st.pending
                .push_back(Event::default().event("error").data(e.to_json()));
            st.ended = true;
        }
    }
}
