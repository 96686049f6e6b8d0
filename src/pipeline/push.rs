//! A document a WebSub hub pushed for a source, through the poll's own steps after `fetch`: parse
//! (on a blocking thread) → expand (stored entries dropped, article pages fetched when the source
//! asks) → process → persist, so that its new briefs are clustered, classified and alerted in the
//! same transaction as any poll's. The source's polling state (validators, schedule, failures) is
//! left alone: the next poll sees the origin as it left it.

use std::time::Instant;

use chrono::Utc;

use super::read::{ReadError, read_document};
use crate::model::{FetchOutcome, SourceReport, SourceState};
use crate::sources::http::{Fetched, HttpClient};
use crate::store::writer::WriterHandle;
use crate::store::{NewBrief, StoreError};
use crate::transforms::classify::Classifier;

/// Why a pushed document was not stored.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// It could not be read (not a feed, a parser panic, an article page that failed).
    #[error("pushed content for source {source_name}: {error}")]
    Read {
        /// The source it was pushed for.
        source_name: String,
        /// What failed.
        #[source]
        error: ReadError,
    },
    /// Storing its briefs failed.
    #[error("pushed content for source {source_name}: storing failed")]
    Store {
        /// The source it was pushed for.
        source_name: String,
        /// What the store said.
        #[source]
        error: StoreError,
    },
}

/// Reads `doc` (the body a hub pushed, with its content type and the topic URL as its address)
/// as `src`'s document and stores what is new; returns the briefs stored.
pub async fn ingest_push(
    client: &HttpClient,
    classifier: &Classifier,
    writer: &WriterHandle,
    src: &SourceState,
    doc: Fetched,
) -> Result<Vec<NewBrief>, PushError> {
    let started = Instant::now();
    let name = &src.spec.name;
    let read = read_document(client, classifier, Some(writer), src, doc)
        .await
        .map_err(|error| PushError::Read {
            source_name: name.clone(),
            error,
        });
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            crate::metrics::METRICS.push(name, "failed", 0);
            return Err(e);
        }
    };
    let known = read.known;
    let now = Utc::now();
    let report = SourceReport {
        source_id: src.id,
        outcome: FetchOutcome::Pushed {
            briefs: read.briefs,
        },
        checked_at: now,
        next_check_at: now,
    };
    let new = match writer.persist(report).await {
        Ok(r) => r.new,
        Err(error) => {
            crate::metrics::METRICS.push(name, "failed", 0);
            return Err(PushError::Store {
                source_name: name.clone(),
                error,
            });
        }
    };
    crate::metrics::METRICS.push(name, "stored", new.len());
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(source = %name, new_briefs = new.len(), known_entries = known, elapsed_ms, "pushed content processed");
    Ok(new)
}
