//! A thread that owns the [`Store`] while the pipeline runs and commits results in groups.
//!
//! Every report waiting in the queue when the thread wakes goes into one transaction: fewer fsyncs and
//! fewer FTS segments than a transaction per source, with the same durability. A failed transaction
//! stores nothing of its group and every caller in it gets the error (their sources are polled again). A caller's `persist` returns once its data is
//! committed.

use std::thread::JoinHandle;

use rusqlite::TransactionBehavior;
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::sync::oneshot;

use super::{Context, Store, StoreError, briefs::persist_in};
use crate::model::{SourceId, SourceReport};
use crate::store::{InsertReport, LinkState};

/// Most reports committed in one transaction.
const MAX_GROUP: usize = 256;
/// Reports waiting for the writer before submitters wait (bounds memory when ingest outpaces it).
const QUEUE: usize = 32;
/// Most briefs indexed for search in one idle step (keeps a waiting report's latency low).
const INDEX_CHUNK: usize = 500;

struct Job {
    report: SourceReport,
    /// The result, and the report handed back so that its memory is freed on the caller's thread,
    /// not the writer's (the writer is the pipeline's serial stage).
    reply: oneshot::Sender<(Result<InsertReport, StoreError>, SourceReport)>,
}

/// A question for the writer's connection, answered between write transactions.
struct Lookup {
    source_id: SourceId,
    links: Vec<(String, Option<String>)>,
    reply: oneshot::Sender<Result<Vec<LinkState>, StoreError>>,
}

enum Msg {
    Persist(Job),
    Lookup(Lookup),
}

/// Owner of the writer thread; [`StoreWriter::finish`] returns the store once every handle is gone.
pub struct StoreWriter {
    tx: mpsc::Sender<Msg>,
    thread: JoinHandle<Store>,
}

/// A cloneable way to submit reports to the writer.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Msg>,
}

impl StoreWriter {
    /// Moves `store` to a new writer thread. With `index_when_idle`, the thread also brings the
    /// full-text index up to date whenever no report is waiting (the daemon's mode; a one-off poll
    /// leaves that to the next search or daemon run).
    pub fn spawn(store: Store, index_when_idle: bool) -> StoreWriter {
        let (tx, rx) = mpsc::channel::<Msg>(QUEUE);
        let thread = std::thread::Builder::new()
            .name("briefwatch-writer".into())
            .spawn(move || run(store, rx, index_when_idle))
            .expect("spawning the writer thread");
        StoreWriter { tx, thread }
    }

    /// A handle for submitting reports.
    pub fn handle(&self) -> WriterHandle {
        WriterHandle {
            tx: self.tx.clone(),
        }
    }

    /// Waits until every submitted report is committed and every handle dropped, then returns the store.
    pub fn finish(self) -> Store {
        drop(self.tx);
        self.thread.join().expect("writer thread panicked")
    }
}

impl WriterHandle {
    /// Persists one report; resolves when it is committed.
    pub async fn persist(&self, report: SourceReport) -> Result<InsertReport, StoreError> {
        let (reply, rx) = oneshot::channel();
        let gone = || {
            StoreError::query(
                "handing results to the writer",
                "the writer thread has stopped",
            )
        };
        self.tx
            .send(Msg::Persist(Job { report, reply }))
            .await
            .map_err(|_| gone())?;
        let (result, report) = rx.await.map_err(|_| gone())?;
        drop(report);
        result
    }
}

impl WriterHandle {
    /// What the store knows of links a source is about to fetch (`(guid, canonical URL)` pairs), in
    /// order: so that a page already stored is never fetched again.
    pub async fn link_states(
        &self,
        source_id: SourceId,
        links: Vec<(String, Option<String>)>,
    ) -> Result<Vec<LinkState>, StoreError> {
        let (reply, rx) = oneshot::channel();
        let gone = || StoreError::query("asking the writer", "the writer thread has stopped");
        self.tx
            .send(Msg::Lookup(Lookup {
                source_id,
                links,
                reply,
            }))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn answer(store: &Store, l: Lookup) {
    let _ = l.reply.send(store.link_states(l.source_id, &l.links));
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Msg>, index_when_idle: bool) -> Store {
    let mut maybe_unindexed = index_when_idle;
    loop {
        let first = if maybe_unindexed {
            match rx.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty) => {
                    match store.index_pending(Some(INDEX_CHUNK)) {
                        Ok(n) => maybe_unindexed = n == INDEX_CHUNK,
                        Err(e) => {
                            tracing::error!(error = %e, "search index update failed; retried after the next write");
                            maybe_unindexed = false;
                        }
                    }
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
            }
        } else {
            match rx.blocking_recv() {
                Some(job) => job,
                None => break,
            }
        };
        maybe_unindexed = index_when_idle;
        let first = match first {
            Msg::Persist(job) => job,
            Msg::Lookup(l) => {
                answer(&store, l);
                continue;
            }
        };
        let mut group = vec![first];
        let mut lookups = Vec::new();
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Msg::Persist(job)) => group.push(job),
                Ok(Msg::Lookup(l)) => lookups.push(l),
                Err(_) => break,
            }
        }
        commit_group(&mut store, group);
        for l in lookups {
            answer(&store, l);
        }
    }
    store
}

fn commit_group(store: &mut Store, group: Vec<Job>) {
    if store
        .stories
        .index
        .as_ref()
        .is_some_and(|i| i.wants_rebuild())
    {
        // Rebuilt from the database at the next placement, without the briefs that left the window.
        store.stories.index = None;
    }
    let mut results = Vec::with_capacity(group.len());
    let outcome = (|| -> Result<(), StoreError> {
        let tx = store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("starting a write")?;
        for job in &group {
            results.push(persist_in(&tx, &job.report, &mut store.stories)?);
        }
        tx.commit().ctx("committing briefs")
    })();
    match outcome {
        Ok(()) => {
            for (job, r) in group.into_iter().zip(results) {
                let _ = job.reply.send((Ok(r), job.report));
            }
        }
        Err(e) => {
            store.stories.index = None;
            tracing::error!(error = %e, reports = group.len(), "write transaction failed; nothing of it was stored");
            for job in group {
                let err =
                    StoreError::query("committing briefs", crate::errors::chain(&e).to_string());
                let _ = job.reply.send((Err(err), job.report));
            }
        }
    }
}
