//! A thread that owns the [`Store`] while the pipeline runs and commits results in groups.
//!
//! Every report waiting in the queue when the thread wakes goes into one transaction (each in its own
//! savepoint, so one failure does not undo the others): fewer fsyncs and fewer FTS segments than a
//! transaction per source, with the same durability. A caller's `persist` returns once its data is
//! committed.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{Context, Store, StoreError, briefs::persist_in};
use crate::model::SourceReport;
use crate::store::InsertReport;

/// Most reports committed in one transaction.
const MAX_GROUP: usize = 256;

struct Job {
    report: SourceReport,
    reply: oneshot::Sender<Result<InsertReport, StoreError>>,
}

/// Owner of the writer thread; [`StoreWriter::finish`] returns the store once every handle is gone.
pub struct StoreWriter {
    tx: mpsc::Sender<Job>,
    thread: JoinHandle<Store>,
}

/// A cloneable way to submit reports to the writer.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Job>,
}

impl StoreWriter {
    /// Moves `store` to a new writer thread.
    pub fn spawn(store: Store) -> StoreWriter {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("briefwatch-writer".into())
            .spawn(move || run(store, rx))
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
        let gone = || StoreError::Query {
            op: "handing results to the writer",
            detail: "the writer thread has stopped".into(),
        };
        self.tx.send(Job { report, reply }).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

fn run(mut store: Store, rx: mpsc::Receiver<Job>) -> Store {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut store, group);
    }
    store
}

fn commit_group(store: &mut Store, group: Vec<Job>) {
    let mut results = Vec::with_capacity(group.len());
    let outcome = (|| -> Result<(), StoreError> {
        let mut tx = store.conn.transaction().ctx("starting a write")?;
        for job in &group {
            let sp = tx.savepoint().ctx("starting a write")?;
            let r = persist_in(&sp, &job.report);
            if r.is_ok() {
                sp.commit().ctx("committing briefs")?;
            }
            results.push(r);
        }
        tx.commit().ctx("committing briefs")
    })();
    match outcome {
        Ok(()) => {
            for (job, r) in group.into_iter().zip(results) {
                let _ = job.reply.send(r);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, reports = group.len(), "write transaction failed; nothing of it was stored");
            for job in group {
                let _ = job.reply.send(Err(StoreError::Query {
                    op: "committing briefs",
                    detail: e.to_string(),
                }));
            }
        }
    }
}
