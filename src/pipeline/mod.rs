//! One poll of one or many sources, with bounded concurrency, in named steps: `fetch` the document,
//! `parse` it, `expand` it (article and further listing pages, stored entries dropped), `process` the
//! rest (normalise, fingerprint, classify), `persist` through the writer. A document a WebSub hub
//! pushes takes the same steps after `fetch` ([`ingest_push`]).
//!
//! Owns no state between polls; the caller (the daemon or `poll --once`) keeps the schedule. Fetching
//! and parsing can be cancelled; a write that has started always finishes. A panic while reading one
//! source is caught and persisted as that source's failure (counted, backed off), never lost with
//! its task.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::errors::chain;
use crate::model::{Brief, FetchOutcome, SourceReport, SourceState, Validators, WebSubLinks};
use crate::scheduler::{self, Outcome};
use crate::sources::http::HttpClient;
use crate::store::NewBrief;
use crate::store::writer::WriterHandle;
use crate::transforms::classify::Classifier;

mod expand;
mod push;
mod read;

pub use expand::Expanded;
pub use push::{PushError, ingest_push};
pub use read::{
    Parsed, Read, ReadError, expand, fetch, panic_message, parse, process, read_document,
    read_source, run_blocking,
};

/// How one source's poll ended, for the caller's bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollKind {
    /// A new document was fetched and parsed.
    Fetched,
    /// 304 Not Modified.
    NotModified,
    /// Fetching, parsing or storing failed.
    Failed,
}

/// The result of polling one source.
#[derive(Debug, Clone)]
pub struct SourcePoll {
    /// The source, with its scheduling state updated (validators, next check, failures).
    pub source: SourceState,
    /// How it ended.
    pub kind: PollKind,
    /// Briefs stored by this poll.
    pub new: Vec<NewBrief>,
    /// Entries (or listing links) of the fetched document skipped as already stored.
    pub known: usize,
    /// The WebSub hub and topic the fetched document announced (`None` also when nothing was
    /// fetched: see `kind`).
    pub websub: Option<WebSubLinks>,
}

/// The summary `poll --once --json` prints.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct PollSummary {
    /// Sources polled.
    pub sources: usize,
    /// Sources that returned a new document.
    pub fetched: usize,
    /// Sources that answered 304.
    pub not_modified: usize,
    /// Sources that failed.
    pub errors: usize,
    /// Briefs stored.
    pub new_briefs: usize,
    /// Entries of fetched documents skipped without processing because they were already stored
    /// (a source's first successful poll skips none: it asks nothing).
    pub known_entries: usize,
    /// Wall time of the whole poll.
    pub elapsed_ms: u64,
    /// Alert deliveries accepted by their receivers before `poll --once` exited.
    pub alerts_delivered: usize,
    /// Alert deliveries left queued for a later retry (or held by a throttle).
    pub alerts_waiting: usize,
    /// Alert deliveries given up on (dead letters).
    pub alerts_failed: usize,
    /// The process's peak resident memory up to the end of the poll, in KiB (0 where the system
    /// does not say).
    pub peak_rss_kib: u64,
}

impl PollSummary {
    /// Counts one source's result.
    pub fn add(&mut self, p: &SourcePoll) {
        self.sources += 1;
        match p.kind {
            PollKind::Fetched => self.fetched += 1,
            PollKind::NotModified => self.not_modified += 1,
            PollKind::Failed => self.errors += 1,
        }
        self.new_briefs += p.new.len();
        self.known_entries += p.known;
    }
}

/// What a source yields right now, fetched in full (no validators) and not stored: `sources test`.
pub async fn preview(
    client: &HttpClient,
    classifier: &Classifier,
    src: &SourceState,
) -> Result<Vec<Brief>, ReadError> {
    let mut src = src.clone();
    src.validators = Validators::default();
    Ok(read_source(client, classifier, None, &src)
        .await?
        .map(|r| r.briefs)
        .unwrap_or_default())
}

/// The store's record of a read and the scheduler's view of it. `failures` counts this poll's
/// failure, if it is one.
fn outcomes(read: Result<Option<Read>, ReadError>, failures: u32) -> (FetchOutcome, Outcome) {
    match read {
        Ok(None) => (
            FetchOutcome::NotModified,
            Outcome::Success {
                max_age: None,
                pace: None,
            },
        ),
        Ok(Some(r)) => (
            FetchOutcome::Fetched {
                briefs: r.briefs,
                known: r.known,
                validators: r.validators,
                status: r.status,
                websub: r.websub.map(Box::new),
            },
            Outcome::Success {
                max_age: r.max_age,
                pace: r.pace,
            },
        ),
        Err(e) => {
            let outcome = Outcome::Failure {
                // A failure that retrying will not fix (404, 410, a refused address) backs off as
                // if it had already failed a few times; fixing the URL in the config resets it.
                failures: if e.should_retry() {
                    failures
                } else {
                    failures.max(5)
                },
                retry_after: e.retry_after(),
            };
            (
                FetchOutcome::Failed {
                    error: chain(&e).to_string(),
                    status: e.status(),
                },
                outcome,
            )
        }
    }
}

/// Polls one source: fetch, parse and classify while holding one of `fetch_slots` (abandoned if
/// `cancel` fires), then persist (always completed; the writer's bounded queue provides
/// backpressure). Returns `None` only when cancelled before anything was written.
pub async fn poll_source(
    client: &HttpClient,
    classifier: &Classifier,
    writer: &WriterHandle,
    src: SourceState,
    fetch_slots: &Semaphore,
    cancel: &CancellationToken,
) -> Option<SourcePoll> {
    let started = Instant::now();
    let read = tokio::select! {
        r = async {
            let _slot = fetch_slots.acquire().await.ok()?;
            let read = CatchUnwind(Box::pin(read_source(client, classifier, Some(writer), &src)));
            Some(read.await.unwrap_or_else(|message| Err(ReadError::Panicked {
                step: "poll",
                url: src.spec.url.to_string(),
                message,
                status: None,
            })))
        } => r?,
        () = cancel.cancelled() => return None,
    };
    let poll = persist(writer, src, read).await;
    let (name, elapsed_ms) = (&poll.source.spec.name, started.elapsed().as_millis() as u64);
    let outcome = match poll.kind {
        PollKind::Fetched => "fetched",
        PollKind::NotModified => "not_modified",
        PollKind::Failed => "failed",
    };
    crate::metrics::METRICS.poll(
        name,
        outcome,
        started.elapsed().as_secs_f64(),
        poll.new.len(),
    );
    if !poll.new.is_empty() {
        tracing::info!(source = %name, new_briefs = poll.new.len(), known_entries = poll.known, elapsed_ms, "new briefs stored");
    } else {
        tracing::debug!(source = %name, kind = ?poll.kind, known_entries = poll.known, elapsed_ms, "polled");
    }
    Some(poll)
}

/// A future whose panic, while it is polled, becomes `Err(message)` instead of unwinding through the
/// task: one source's bug stays that source's failure.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

/// Step 5: records a read (or its failure) through the writer, which always completes, and brings
/// the source's scheduling state (next check, failures, validators) up to date.
async fn persist(
    writer: &WriterHandle,
    mut src: SourceState,
    read: Result<Option<Read>, ReadError>,
) -> SourcePoll {
    let (outcome, sched) = outcomes(read, src.failures + 1);
    let now = Utc::now();
    let next = scheduler::next_check(now, src.spec.interval, sched);
    let mut websub = None;
    let (mut kind, validators, known) = match &outcome {
        FetchOutcome::Fetched {
            validators,
            known,
            websub: announced,
            ..
        } => {
            websub = announced.as_deref().cloned();
            (PollKind::Fetched, Some(validators.clone()), *known)
        }
        FetchOutcome::NotModified | FetchOutcome::Pushed { .. } => (PollKind::NotModified, None, 0),
        FetchOutcome::Failed { error, .. } => {
            tracing::warn!(source = %src.spec.name, url = %crate::sources::http::shown_url(&src.spec.url), error = %error, "poll failed");
            (PollKind::Failed, None, 0)
        }
    };
    let report = SourceReport {
        source_id: src.id,
        outcome,
        checked_at: now,
        next_check_at: next,
    };
    let new = match writer.persist(report).await {
        Ok(r) => r.new,
        Err(e) => {
            tracing::error!(source = %src.spec.name, url = %crate::sources::http::shown_url(&src.spec.url), error = %chain(&e), "storing poll results failed");
            kind = PollKind::Failed;
            Vec::new()
        }
    };
    src.next_check_at = Some(next);
    match kind {
        PollKind::Failed => src.failures += 1,
        _ => {
            src.failures = 0;
            src.fetched_before = true;
        }
    }
    if let Some(v) = validators.filter(|_| kind == PollKind::Fetched) {
        src.validators = v;
    }
    SourcePoll {
        source: src,
        kind,
        new,
        known,
        websub,
    }
}

/// Polls every source once, at most `concurrency` at a time, and sums up.
pub async fn poll_all(
    client: &HttpClient,
    classifier: &Arc<Classifier>,
    writer: &WriterHandle,
    sources: Vec<SourceState>,
    concurrency: usize,
    cancel: &CancellationToken,
) -> (PollSummary, Vec<SourcePoll>) {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut set = JoinSet::new();
    for src in sources {
        let (client, classifier, writer, cancel, permits) = (
            client.clone(),
            classifier.clone(),
            writer.clone(),
            cancel.clone(),
            permits.clone(),
        );
        set.spawn(async move {
            poll_source(&client, &classifier, &writer, src, &permits, &cancel).await
        });
    }
    let mut summary = PollSummary::default();
    let mut polls = Vec::new();
    while let Some(res) = set.join_next().await {
        match res {
            Ok(Some(p)) => {
                summary.add(&p);
                polls.push(p);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "a poll task panicked"),
        }
    }
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    (summary, polls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_future_is_caught_with_its_message() {
        let caught = CatchUnwind(Box::pin(async {
            tokio::task::yield_now().await;
            if true {
                panic!("inside a poll");
            }
            1
        }))
        .await;
        assert_eq!(caught, Err("inside a poll".to_string()));
        assert_eq!(CatchUnwind(Box::pin(async { 2 })).await, Ok(2));
    }

    #[test]
    fn a_panic_is_recorded_as_a_failure_with_backoff() {
        let e = ReadError::Panicked {
            step: "parser",
            url: "https://e.example/f.xml".into(),
            message: "boom".into(),
            status: Some(200),
        };
        let (outcome, sched) = outcomes(Err(e), 1);
        match outcome {
            FetchOutcome::Failed { error, status } => {
                assert!(error.contains("parser panicked: boom"), "{error}");
                assert_eq!(status, Some(200));
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert!(matches!(sched, Outcome::Failure { failures: 1, .. }));
    }
}
