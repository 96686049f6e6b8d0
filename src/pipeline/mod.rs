//! One poll of one or many sources: fetch → parse (→ article pages) → normalise → classify → persist,
//! with bounded concurrency.
//!
//! Owns no state between polls; the caller (the daemon or `poll --once`) keeps the schedule. Fetching
//! and parsing can be cancelled; a write that has started always finishes.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::model::{FetchOutcome, RawBrief, SourceKind, SourceReport, SourceState, Validators};
use crate::scheduler::{self, Outcome};
use crate::sources::feed::parse_feed;
use crate::sources::http::{ACCEPT_FEED, ACCEPT_HTML, FetchRequest, FetchResponse, HttpClient};
use crate::store::writer::WriterHandle;
use crate::store::{LinkState, NewBrief};
use crate::transforms::classify::Classifier;
use crate::transforms::normalize::{guid_of, normalize};

mod pages;

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

/// Fetches and parses one source (and, for HTML sources and full-article feeds, its new article
/// pages). Returns the report to persist plus the cache hint for scheduling.
async fn fetch_and_parse(
    client: &HttpClient,
    classifier: &Classifier,
    writer: Option<&WriterHandle>,
    src: &SourceState,
) -> (FetchOutcome, Outcome) {
    let accept = match src.spec.kind {
        SourceKind::Feed => ACCEPT_FEED,
        SourceKind::Html => ACCEPT_HTML,
    };
    let req = FetchRequest {
        url: &src.spec.url,
        validators: &src.validators,
        accept,
    };
    let failures = src.failures + 1;
    let f = match client.fetch(req).await {
        Ok(FetchResponse::NotModified) => {
            return (
                FetchOutcome::NotModified,
                Outcome::Success { max_age: None },
            );
        }
        Ok(FetchResponse::Fetched(f)) => f,
        Err(e) => {
            return (
                FetchOutcome::Failed {
                    error: e.to_string(),
                    status: e.status(),
                },
                Outcome::Failure {
                    // A failure that retrying will not fix (404, 410, a refused address) backs off as
                    // if it had already failed a few times; fixing the URL in the config resets it.
                    failures: if e.should_retry() {
                        failures
                    } else {
                        failures.max(5)
                    },
                    retry_after: e.retry_after(),
                },
            );
        }
    };
    let mut complete = true;
    let mut known = 0;
    let raws = match src.spec.kind {
        SourceKind::Feed => match parse_feed(&f.body, f.content_type.as_deref(), &f.url) {
            // Article pages are looked up in the store anyway: that lookup also drops known entries.
            Ok(parsed) if src.spec.settings.fetch_full_article => {
                let (entries, done, k) =
                    pages::full_articles(client, writer, src, parsed.entries).await;
                complete = done;
                known = k;
                entries
            }
            Ok(parsed) => match writer.filter(|_| src.fetched_before) {
                Some(w) => {
                    let (entries, k) = drop_known(w, src, parsed.entries).await;
                    known = k;
                    entries
                }
                None => parsed.entries,
            },
            Err(e) => {
                return (
                    FetchOutcome::Failed {
                        error: e.to_string(),
                        status: Some(f.status),
                    },
                    Outcome::Failure {
                        failures,
                        retry_after: None,
                    },
                );
            }
        },
        SourceKind::Html => {
            let (raws, done, k) = pages::html_source(client, writer, src, &f).await;
            complete = done;
            known = k;
            raws
        }
    };
    let briefs = raws
        .into_iter()
        .map(|raw| {
            let mut b = normalize(raw);
            (b.topics, b.entities) = classifier.tags(&b.title, &b.text);
            b
        })
        .collect();
    (
        FetchOutcome::Fetched {
            briefs,
            known,
            // Links left for later need the page read again, changed or not.
            validators: if complete {
                f.validators
            } else {
                Validators::default()
            },
            status: f.status,
        },
        Outcome::Success { max_age: f.max_age },
    )
}

/// `entries` without those this source's store rows (briefs, sightings, tombstones) already cover,
/// matched by guid, and how many were dropped. Skipping them here saves normalising, fingerprinting
/// and classifying what the writer would discard: a feed without validators, or one whose document
/// changed, repeats mostly known entries at every poll. The writer still checks every brief it gets.
async fn drop_known(
    writer: &WriterHandle,
    src: &SourceState,
    entries: Vec<RawBrief>,
) -> (Vec<RawBrief>, usize) {
    let keys = entries.iter().map(|e| (guid_of(e), None)).collect();
    match writer.link_states(src.id, keys).await {
        Ok(states) => {
            let before = entries.len();
            let kept: Vec<RawBrief> = entries
                .into_iter()
                .zip(states)
                .filter(|(_, s)| *s != LinkState::Known)
                .map(|(e, _)| e)
                .collect();
            let known = before - kept.len();
            (kept, known)
        }
        Err(e) => {
            tracing::warn!(source = %src.spec.name, error = %e, "looking up known entries failed; processing them all");
            (entries, 0)
        }
    }
}

/// What a source yields right now, fetched in full (no validators) and not stored: `sources test`.
pub async fn preview(
    client: &HttpClient,
    classifier: &Classifier,
    src: &SourceState,
) -> Result<Vec<crate::model::Brief>, String> {
    let mut src = src.clone();
    src.validators = Validators::default();
    match fetch_and_parse(client, classifier, None, &src).await.0 {
        FetchOutcome::Fetched { briefs, .. } => Ok(briefs),
        FetchOutcome::NotModified => Ok(Vec::new()),
        FetchOutcome::Failed { error, .. } => Err(error),
    }
}

/// Polls one source: fetch, parse and classify while holding one of `fetch_slots` (abandoned if
/// `cancel` fires), then persist (always completed; the writer's bounded queue provides
/// backpressure). Returns `None` only when cancelled before anything was written.
pub async fn poll_source(
    client: &HttpClient,
    classifier: &Classifier,
    writer: &WriterHandle,
    mut src: SourceState,
    fetch_slots: &Semaphore,
    cancel: &CancellationToken,
) -> Option<SourcePoll> {
    let started = Instant::now();
    let (outcome, sched) = tokio::select! {
        r = async {
            let _slot = fetch_slots.acquire().await.ok()?;
            Some(fetch_and_parse(client, classifier, Some(writer), &src).await)
        } => r?,
        () = cancel.cancelled() => return None,
    };
    let now = Utc::now();
    let next = scheduler::next_check(now, src.spec.interval, sched);
    let name = src.spec.name.clone();
    let url = src.spec.url.to_string();
    let known = match &outcome {
        FetchOutcome::Fetched { known, .. } => *known,
        _ => 0,
    };
    let (mut kind, validators) = match &outcome {
        FetchOutcome::Fetched { validators, .. } => (PollKind::Fetched, Some(validators.clone())),
        FetchOutcome::NotModified => (PollKind::NotModified, None),
        FetchOutcome::Failed { error, .. } => {
            tracing::warn!(source = %name, url = %url, error = %error, "poll failed");
            (PollKind::Failed, None)
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
            tracing::error!(source = %name, url = %url, error = %e, "storing poll results failed");
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
    if !new.is_empty() {
        tracing::info!(source = %name, new_briefs = new.len(), known_entries = known, elapsed_ms = started.elapsed().as_millis() as u64, "new briefs stored");
    } else {
        tracing::debug!(source = %name, kind = ?kind, known_entries = known, elapsed_ms = started.elapsed().as_millis() as u64, "polled");
    }
    Some(SourcePoll {
        source: src,
        kind,
        new,
        known,
    })
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
