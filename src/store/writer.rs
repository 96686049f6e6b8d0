//! A thread that owns the [`Store`] while the pipeline runs and commits results in groups.
//!
//! Every report waiting in the queue when the thread wakes goes into one transaction: fewer fsyncs and
//! fewer FTS segments than a transaction per source, with the same durability. A failed transaction
//! stores nothing of its group and every caller in it gets the error (their sources are polled again). A caller's `persist` returns once its data is
//! committed.
//!
//! While the writer runs it is the only connection that writes: lookups, the daemon's reload (syncing
//! the config's sources) and reading the stored model are messages too, answered between write
//! transactions.

use std::thread::JoinHandle;

use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::sync::oneshot;

use super::{Store, StoreError};
use crate::model::{SourceId, SourceReport, SourceSpec, SourceState};
use crate::store::{InsertReport, LinkState, StoredModel};

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

/// Work on the writer's store other than a report: answered between write transactions, in order.
enum Request {
    /// Link states for a source about to fetch.
    Lookup(Lookup),
    /// Anything else a handle asks for (see [`WriterHandle::call`]); the closure sends its own reply.
    Call(Box<dyn FnOnce(&mut Store) + Send>),
}

enum Msg {
    Persist(Job),
    Other(Request),
}

/// The error a handle gets when the writer thread has stopped; `op` says what the caller was doing.
fn writer_gone(op: &'static str) -> StoreError {
    StoreError::query(op, "the writer thread has stopped")
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
        const OP: &str = "handing results to the writer";
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Persist(Job { report, reply }))
            .await
            .map_err(|_| writer_gone(OP))?;
        let (result, report) = rx.await.map_err(|_| writer_gone(OP))?;
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
        self.tx
            .send(Msg::Other(Request::Lookup(Lookup {
                source_id,
                links,
                reply,
            })))
            .await
            .map_err(|_| writer_gone(ASKING))?;
        rx.await.map_err(|_| writer_gone(ASKING))?
    }

    /// Brings the store's config sources in line with `specs` and returns the active sources (the
    /// daemon's reload, on the writer's connection).
    pub async fn sync_config_sources(
        &self,
        specs: Vec<SourceSpec>,
    ) -> Result<Vec<SourceState>, StoreError> {
        self.call(move |store| {
            store.sync_config_sources(&specs)?;
            store.active_sources()
        })
        .await?
    }

    /// The model stored under `name`, if any.
    pub async fn load_model(&self, name: String) -> Result<Option<StoredModel>, StoreError> {
        self.call(move |store| store.load_model(&name)).await?
    }

    /// Runs `f` on the writer's store between write transactions and returns what it returns.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        let call = Box::new(move |store: &mut Store| {
            let _ = reply.send(f(store));
        });
        self.tx
            .send(Msg::Other(Request::Call(call)))
            .await
            .map_err(|_| writer_gone(ASKING))?;
        rx.await.map_err(|_| writer_gone(ASKING))
    }
}

/// What a handle was doing when it finds the writer gone, for anything but `persist`.
const ASKING: &str = "asking the writer";

fn answer(store: &mut Store, r: Request) {
    match r {
        Request::Lookup(l) => {
            let _ = l.reply.send(store.link_states(l.source_id, &l.links));
        }
        Request::Call(f) => f(store),
    }
}

fn run(mut store: Store, mut rx: mpsc::Receiver<Msg>, index_when_idle: bool) -> Store {
    let mut maybe_unindexed = index_when_idle;
    // Indexing a large backlog fills SQLite's cache; once caught up, the memory is given back
    // (at most every ten minutes: a release also drops the story index, rebuilt at the next brief).
    let mut indexed_since_release = false;
    let mut released_at: Option<std::time::Instant> = None;
    loop {
        let first = if maybe_unindexed {
            match rx.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty) => {
                    match store.index_pending(Some(INDEX_CHUNK)) {
                        Ok(n) => {
                            maybe_unindexed = n == INDEX_CHUNK;
                            indexed_since_release |= n > 0;
                            let due = released_at
                                .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(600));
                            if !maybe_unindexed && indexed_since_release && due {
                                store.release_memory();
                                released_at = Some(std::time::Instant::now());
                                indexed_since_release = false;
                            }
                        }
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
            Msg::Other(r) => {
                answer(&mut store, r);
                continue;
            }
        };
        let mut group = vec![first];
        let mut requests = Vec::new();
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(Msg::Persist(job)) => group.push(job),
                Ok(Msg::Other(r)) => requests.push(r),
                Err(_) => break,
            }
        }
        commit_group(&mut store, group);
        for r in requests {
            answer(&mut store, r);
        }
    }
    store
}

fn commit_group(store: &mut Store, group: Vec<Job>) {
    match store.persist_group(group.iter().map(|j| &j.report)) {
        Ok(results) => {
            for (job, r) in group.into_iter().zip(results) {
                let _ = job.reply.send((Ok(r), job.report));
            }
        }
        Err(e) => {
            let detail = crate::errors::chain(&e).to_string();
            tracing::error!(error = %detail, reports = group.len(), "write transaction failed; nothing of it was stored");
            // One error, many callers: each gets its own copy of the message.
            for job in group {
                let err = StoreError::query("committing briefs", detail.clone());
                let _ = job.reply.send((Err(err), job.report));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{SourceKind, SourceOrigin};

    fn spec(name: &str) -> SourceSpec {
        SourceSpec {
            name: name.into(),
            kind: SourceKind::Feed,
            url: url::Url::parse(&format!("https://{name}.example/feed")).unwrap(),
            interval: Duration::from_secs(60),
            origin: SourceOrigin::Config,
            settings: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_source_synced_through_the_writer_is_active_and_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bw.db")).unwrap();
        store.sync_config_sources(&[spec("alpha")]).unwrap();
        let writer = StoreWriter::spawn(store, true);
        let handle = writer.handle();

        let active = handle
            .sync_config_sources(vec![spec("alpha"), spec("beta")])
            .await
            .unwrap();
        let names: Vec<_> = active.iter().map(|s| s.spec.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"beta"), "{names:?}");

        drop(handle);
        let store = tokio::task::spawn_blocking(move || writer.finish())
            .await
            .unwrap();
        let stored: Vec<_> = store
            .active_sources()
            .unwrap()
            .into_iter()
            .map(|s| s.spec.name)
            .collect();
        assert!(stored.contains(&"beta".to_string()), "{stored:?}");
    }

    #[tokio::test]
    async fn the_stored_model_is_read_through_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("bw.db")).unwrap();
        store.save_model("topics:t", "{\"m\":1}", 3).unwrap();
        let writer = StoreWriter::spawn(store, false);
        let handle = writer.handle();
        let got = handle.load_model("topics:t".into()).await.unwrap();
        assert_eq!(got.map(|m| m.body).as_deref(), Some("{\"m\":1}"));
        assert!(handle.load_model("none".into()).await.unwrap().is_none());
        drop(handle);
        tokio::task::spawn_blocking(move || writer.finish())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_handle_whose_writer_has_stopped_gets_an_error() {
        // A handle on a channel nobody reads any more: what a handle sees once the writer is gone.
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let stale = WriterHandle { tx };
        let e = stale.load_model("x".into()).await.unwrap_err();
        let e = crate::errors::chain(&e).to_string();
        assert!(
            e.contains("asking the writer: the writer thread has stopped"),
            "{e}"
        );
    }
}
