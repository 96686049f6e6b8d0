//! The daemon's lifecycle: open the store, schedule every source on its interval, run the alert
//! dispatcher and the digest timer, reload on SIGHUP, stop on SIGTERM/SIGINT letting in-flight
//! writes finish. Wiring only: the work is in `pipeline` and `sinks`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::model::{SourceId, SourceState};
use crate::pipeline::{PollKind, SourcePoll, poll_source};
use crate::scheduler;
use crate::server::Heartbeat;
use crate::sinks::digest::{self, DigestEnv};
use crate::sinks::dispatcher::{self, DispatchEnv};
use crate::sources::http::HttpClient;
use crate::store::writer::{StoreWriter, WriterHandle};
use crate::store::{Store, StoredModel};
use crate::systemd::{Notifier, Status};
use crate::transforms::classify::{Classifier, Model, Pack};
use crate::websub::{Push, WebSub, WebSubEvent};

/// How long in-flight polls may take to wind down after a stop signal (their fetches are
/// cancelled at once; this bounds the writes they are finishing). Below the 10 s in which a stop
/// must complete, which `TimeoutStopSec=` in systemd/briefwatch.service leaves room for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);
/// The longest the scheduler sleeps without looking again.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Memory is given back at most this often: each release drops the story index, which the next
/// stored brief rebuilds from the database.
pub const MEMORY_RELEASE_EVERY: Duration = Duration::from_secs(600);

/// Opens the store, brings its sources in line with the config, and returns the active ones.
pub fn open_and_sync(cfg: &Config) -> anyhow::Result<(Store, Vec<SourceState>)> {
    let mut store = Store::open(&cfg.storage.path)?;
    store.set_story_window(cfg.stories.window);
    store.set_alert_routes(cfg.alerts.clone());
    store.sync_config_sources(&cfg.sources)?;
    let active = store.active_sources()?;
    Ok((store, active))
}

/// The classifier the config asks for, with the model trained for its pack when there is one (a
/// model whose topics no longer match the pack is still used for the topics they share).
pub fn build_classifier(cfg: &Config, store: &Store) -> anyhow::Result<Arc<Classifier>> {
    let stored = store.load_model(&model_name(&cfg.classify.pack))?;
    Ok(classifier_with(cfg, stored))
}

/// [`build_classifier`] while the writer owns the store: the model is read on its connection.
pub async fn build_classifier_via(
    cfg: &Config,
    writer: &WriterHandle,
) -> anyhow::Result<Arc<Classifier>> {
    let stored = writer.load_model(model_name(&cfg.classify.pack)).await?;
    Ok(classifier_with(cfg, stored))
}

/// The configured classifier with the stored model, if it is readable.
fn classifier_with(cfg: &Config, stored: Option<StoredModel>) -> Arc<Classifier> {
    let model = match stored {
        Some(stored) => match Model::from_json(&stored.body) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(error = %e, "stored topic model unreadable; classifying with rules only");
                None
            }
        },
        None => None,
    };
    Arc::new(cfg.classify.classifier(model))
}

/// The name a pack's trained model is stored under.
pub fn model_name(pack: &Pack) -> String {
    format!("topics:{}", pack.name)
}

/// Waits for SIGTERM or SIGINT, then cancels `token`.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!(signal = "SIGINT", "stopping"),
        }
        token.cancel();
    });
}

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config_path: &Path, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut cfg = Config::load(config_path)?;
    let (mut store, active) = open_and_sync(&cfg)?;
    let classifier = build_classifier(&cfg, &store)?;
    // The writer wakes the dispatcher whenever a commit queues deliveries.
    let wake = Arc::new(Notify::new());
    store.set_delivery_wake(wake.clone());
    let writer = StoreWriter::spawn(store, true);
    let client = HttpClient::new(&cfg.fetch)?;
    let (env_tx, env_rx) = watch::channel(Arc::new(DispatchEnv::new(&cfg, client.clone())));
    let stop_dispatch = CancellationToken::new();
    let dispatcher = tokio::spawn(dispatcher::run(
        writer.handle(),
        env_rx,
        wake,
        stop_dispatch.clone(),
    ));
    let (digest_tx, digest_rx) = watch::channel(Arc::new(DigestEnv::new(&cfg)?));
    let (keep_tx, keep_rx) = watch::channel(cfg.storage.keep);
    let prune = tokio::spawn(crate::maintenance::run(
        writer.handle(),
        keep_rx,
        stop_dispatch.clone(),
    ));
    let heartbeat = Heartbeat::default();
    // Kept for the whole run, so that the daemon's receiver stays open without WebSub too.
    let (websub_tx, mut websub_rx) = mpsc::unbounded_channel::<WebSubEvent>();
    let websub = match &cfg.websub {
        Some(w) => Some(
            WebSub::open(
                w.clone(),
                cfg.fetch.max_body_bytes,
                writer.handle(),
                websub_tx.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let subscriber = websub.as_ref().map(|ws| {
        tokio::spawn(crate::websub::run(
            ws.clone(),
            client.clone(),
            cfg.fetch.timeout,
            stop_dispatch.clone(),
        ))
    });
    let endpoint = match &cfg.server {
        Some(s) => {
            let listener = crate::server::bind(s.listen).await?;
            let api = match &s.token {
                Some(token) => Some(crate::server::api::Api::open(
                    &cfg.storage.path,
                    token.clone(),
                    cfg.classify.gazetteer.clone(),
                    stop_dispatch.clone(),
                )?),
                None => None,
            };
            Some(tokio::spawn(crate::server::serve(
                listener,
                writer.handle(),
                heartbeat.clone(),
                api,
                websub.as_ref().map(WebSub::router),
                stop_dispatch.clone(),
            )))
        }
        None => None,
    };
    let digests = tokio::spawn(digest::runner::run(
        writer.handle(),
        digest_rx,
        stop_dispatch.clone(),
    ));
    let mut daemon = Daemon {
        client,
        classifier,
        writer: writer.handle(),
        permits: Arc::new(Semaphore::new(cfg.fetch.concurrency)),
        sources: active.into_iter().map(|s| (s.id, s)).collect(),
        in_flight: HashSet::new(),
        released_at: None,
        tracker: TaskTracker::new(),
        cancel_fetches: CancellationToken::new(),
        websub,
    };
    tracing::info!(sources = daemon.sources.len(), db = %cfg.storage.path.display(), websub = daemon.websub.is_some(), "briefwatch running");
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<SourcePoll>();
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    // The store is open and every source is scheduled: systemd may start what depends on us.
    let mut notifier = Notifier::from_env();
    let mut activity = Activity::default();
    notifier.ready(&daemon.status(&activity).to_string(), Instant::now());
    loop {
        heartbeat.beat();
        daemon.launch_due(&done_tx);
        // The watchdog is pinged from here, so a loop that hangs is restarted by systemd.
        let now = Instant::now();
        notifier.tick(now, || daemon.status(&activity).to_string());
        // The loop turns at least every 30 s, so that /readyz can tell a hung loop from an idle one.
        let idle = daemon.idle_time().min(Duration::from_secs(30));
        let sleep = notifier.wake_within(now).map_or(idle, |d| d.min(idle));
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(p) = done_rx.recv() => {
                activity.polled(&p);
                daemon.finished(p);
                daemon.release_memory_when_idle();
            }
            Some(ev) = websub_rx.recv() => daemon.websub_event(ev),
            _ = hup.recv() => {
                notifier.reloading(Instant::now());
                let senders = Senders { dispatch: &env_tx, digests: &digest_tx, keep: &keep_tx };
                let outcome = reload_config(config_path, &mut cfg, &mut daemon, &senders).await;
                activity.reload_error = outcome.err();
                notifier.ready(&daemon.status(&activity).to_string(), Instant::now());
            }
            () = tokio::time::sleep(sleep) => {}
        }
    }
    let in_flight = daemon.in_flight.len();
    notifier.stopping(
        &format!(
            "stopping: cancelling {in_flight} polls in flight, finishing writes and deliveries"
        ),
        Instant::now(),
    );
    daemon.stop().await;
    drop(daemon);
    drop(done_rx);
    // Deliveries in flight finish (or keep their rows for the next start) before the writer stops.
    stop_dispatch.cancel();
    if let Err(e) = dispatcher.await {
        tracing::error!(error = %e, "the dispatcher task failed");
    }
    if let Err(e) = digests.await {
        tracing::error!(error = %e, "the digest task failed");
    }
    if let Err(e) = prune.await {
        tracing::error!(error = %e, "the prune task failed");
    }
    if let Some(Err(e)) = match subscriber {
        Some(task) => Some(task.await),
        None => None,
    } {
        tracing::error!(error = %e, "the WebSub subscriber task failed");
    }
    drop(websub_tx);
    if let Some(Err(e)) = match endpoint {
        Some(task) => Some(task.await),
        None => None,
    } {
        tracing::error!(error = %e, "the health and metrics endpoint failed");
    }
    tokio::task::spawn_blocking(move || writer.finish()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Where a reloaded config goes besides the daemon's own sources.
struct Senders<'a> {
    dispatch: &'a watch::Sender<Arc<DispatchEnv>>,
    digests: &'a watch::Sender<Arc<DigestEnv>>,
    keep: &'a watch::Sender<Option<Duration>>,
}

/// Loads the config file again and applies it; on any error the daemon keeps the config it has,
/// and the reason (already logged) is returned for the status line.
async fn reload_config(
    path: &Path,
    cfg: &mut Config,
    daemon: &mut Daemon,
    to: &Senders<'_>,
) -> Result<(), String> {
    let new_cfg = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "reload failed: config invalid; keeping the previous one");
            return Err(format!("config invalid: {e}"));
        }
    };
    let digest_env = match DigestEnv::new(&new_cfg) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "reload failed: [smtp] unusable; keeping the previous config");
            return Err(format!("[smtp] unusable: {e}"));
        }
    };
    if let Err(e) = daemon.reload(cfg, &new_cfg).await {
        tracing::error!(error = %format!("{e:#}"), "reload failed; keeping the previous sources");
        return Err(format!("{e:#}"));
    }
    if new_cfg.server != cfg.server {
        tracing::warn!("[server] changed; it takes effect at the next start");
    }
    if new_cfg.websub != cfg.websub {
        tracing::warn!("[websub] changed; it takes effect at the next start");
    }
    if let Some(ws) = &daemon.websub {
        ws.reload();
    }
    let _ = to
        .dispatch
        .send(Arc::new(DispatchEnv::new(&new_cfg, daemon.client.clone())));
    let _ = to.digests.send(Arc::new(digest_env));
    let _ = to.keep.send(new_cfg.storage.keep);
    *cfg = new_cfg;
    Ok(())
}

/// What the daemon has done since it started, for the status line.
#[derive(Default)]
struct Activity {
    stored: u64,
    last_poll: Option<chrono::DateTime<Utc>>,
    reload_error: Option<String>,
}

impl Activity {
    fn polled(&mut self, p: &SourcePoll) {
        self.stored += p.new.len() as u64;
        self.last_poll = Some(Utc::now());
    }
}

struct Daemon {
    client: HttpClient,
    classifier: Arc<Classifier>,
    writer: WriterHandle,
    permits: Arc<Semaphore>,
    sources: HashMap<SourceId, SourceState>,
    in_flight: HashSet<SourceId>,
    /// When memory was last given back (see [`Daemon::release_memory_when_idle`]).
    released_at: Option<Instant>,
    tracker: TaskTracker,
    cancel_fetches: CancellationToken,
    /// The WebSub subscriber, when active.
    websub: Option<WebSub>,
}

impl Daemon {
    fn launch_due(&mut self, done: &mpsc::UnboundedSender<SourcePoll>) {
        let now = Utc::now();
        for src in self.sources.values() {
            if self.in_flight.contains(&src.id) || !scheduler::is_due(src.next_check_at, now) {
                continue;
            }
            self.in_flight.insert(src.id);
            let mut src = src.clone();
            if let Some(ws) = &self.websub {
                // A source with a fresh subscription is polled at the safety-net interval.
                src.spec.interval = ws.poll_interval(src.id, src.spec.interval);
            }
            let (client, classifier, writer, permits, cancel, done, src) = (
                self.client.clone(),
                self.classifier.clone(),
                self.writer.clone(),
                self.permits.clone(),
                self.cancel_fetches.clone(),
                done.clone(),
                src,
            );
            self.tracker.spawn(async move {
                if let Some(p) =
                    poll_source(&client, &classifier, &writer, src, &permits, &cancel).await
                {
                    let _ = done.send(p);
                }
            });
        }
    }

    /// Time until the earliest source not in flight is due.
    fn idle_time(&self) -> Duration {
        let now = Utc::now();
        self.sources
            .values()
            .filter(|s| !self.in_flight.contains(&s.id))
            .filter_map(|s| s.next_check_at)
            .map(|t| (t - now).to_std().unwrap_or_default())
            .min()
            .unwrap_or(MAX_IDLE)
            .min(MAX_IDLE)
    }

    /// Once the last poll in flight is done, at most every [`MEMORY_RELEASE_EVERY`], asks the writer to give back
    /// the memory the burst used (SQLite's cache, freed heap), so that an idle daemon stays small.
    fn release_memory_when_idle(&mut self) {
        let due = self
            .released_at
            .is_none_or(|t| t.elapsed() >= MEMORY_RELEASE_EVERY);
        if !self.in_flight.is_empty() || !due {
            return;
        }
        self.released_at = Some(Instant::now());
        let writer = self.writer.clone();
        tokio::spawn(async move {
            let _ = writer.call(|s| s.release_memory()).await;
        });
    }

    fn finished(&mut self, p: SourcePoll) {
        self.in_flight.remove(&p.source.id);
        if let (Some(ws), PollKind::Fetched) = (&self.websub, p.kind) {
            ws.announce(p.source.id, p.websub.clone());
        }
        if let Some(s) = self.sources.get_mut(&p.source.id) {
            s.next_check_at = p.source.next_check_at;
            s.failures = p.source.failures;
            s.fetched_before |= p.source.fetched_before;
            if s.spec.url == p.source.spec.url {
                s.validators = p.source.validators;
            }
        }
    }

    /// Acts on what the WebSub subscriber reports: a push goes through the pipeline at once; a
    /// subscription that became fresh (or stopped being so) moves the source's next poll.
    fn websub_event(&mut self, ev: WebSubEvent) {
        match ev {
            WebSubEvent::Pushed(push) => self.ingest_push(push),
            WebSubEvent::Polling { source_id, relaxed } => {
                let (Some(ws), Some(src)) = (&self.websub, self.sources.get_mut(&source_id)) else {
                    return;
                };
                let now = Utc::now();
                let normal = src.spec.interval;
                let due = src.next_check_at.unwrap_or(now);
                let next = if relaxed {
                    let every = ws.poll_interval(source_id, normal);
                    tracing::info!(source = %src.spec.name, interval = %humantime::format_duration(every), "WebSub subscription verified; polling at the safety-net interval");
                    due.max(
                        now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX),
                    )
                } else {
                    tracing::warn!(source = %src.spec.name, interval = %humantime::format_duration(normal), "WebSub subscription not active; polling at the normal interval");
                    due.min(
                        now + chrono::Duration::from_std(normal).unwrap_or(chrono::Duration::MAX),
                    )
                };
                src.next_check_at = Some(next);
            }
        }
    }

    /// Runs pushed content through the pipeline for its source, tracked like a poll.
    fn ingest_push(&self, push: Push) {
        let Some(src) = self.sources.get(&push.source_id).cloned() else {
            tracing::warn!(subscription = %push.subscription, "WebSub push for a source no longer configured; ignored");
            return;
        };
        let doc = crate::sources::http::Fetched {
            url: push.topic,
            status: 200,
            content_type: push.content_type,
            body: push.body,
            validators: Default::default(),
            max_age: None,
            link_header: None,
        };
        let (client, classifier, writer) = (
            self.client.clone(),
            self.classifier.clone(),
            self.writer.clone(),
        );
        let subscription = push.subscription;
        self.tracker.spawn(async move {
            if let Err(e) =
                crate::pipeline::ingest_push(&client, &classifier, &writer, &src, doc).await
            {
                tracing::warn!(source = %src.spec.name, subscription = %subscription, error = %crate::errors::chain(&e), "WebSub push not stored");
            }
        });
    }

    /// Applies a reloaded config: its sources and classifier (through the writer, the one connection
    /// that writes), and a new client or concurrency limit when those settings changed.
    async fn reload(&mut self, old: &Config, new: &Config) -> anyhow::Result<()> {
        if old.storage.path != new.storage.path {
            tracing::warn!("storage.path changed; it takes effect at the next start");
        }
        let fresh = self.writer.sync_config_sources(new.sources.clone()).await?;
        let routes = new.alerts.clone();
        self.writer
            .call(move |store| store.set_alert_routes(routes))
            .await?;
        self.classifier = build_classifier_via(new, &self.writer).await?;
        if old.fetch.allow_hosts != new.fetch.allow_hosts
            || old.fetch.timeout != new.fetch.timeout
            || old.fetch.allow_private_networks != new.fetch.allow_private_networks
            || old.fetch.max_body_bytes != new.fetch.max_body_bytes
        {
            self.client = HttpClient::new(&new.fetch)?;
        }
        if old.fetch.concurrency != new.fetch.concurrency {
            self.permits = Arc::new(Semaphore::new(new.fetch.concurrency));
        }
        let mut next: HashMap<SourceId, SourceState> = HashMap::new();
        for mut s in fresh {
            if let Some(cur) = self.sources.get(&s.id).filter(|c| c.spec.url == s.spec.url) {
                s.next_check_at = cur.next_check_at;
            }
            next.insert(s.id, s);
        }
        tracing::info!(sources = next.len(), "config reloaded");
        self.sources = next;
        Ok(())
    }

    /// The status line's numbers.
    fn status(&self, activity: &Activity) -> Status {
        Status {
            sources: self.sources.len(),
            in_flight: self.in_flight.len(),
            failing: self.sources.values().filter(|s| s.failures > 0).count(),
            stored: activity.stored,
            last_poll: activity.last_poll,
            next_due: self
                .sources
                .values()
                .filter(|s| !self.in_flight.contains(&s.id))
                .map(|s| s.next_check_at.unwrap_or_else(Utc::now))
                .min(),
            reload_error: activity.reload_error.clone(),
        }
    }

    async fn stop(&mut self) {
        self.tracker.close();
        self.cancel_fetches.cancel();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = self.tracker.len(),
                "polls still running at shutdown deadline"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_starts_with_the_configured_default_story_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("bw.db")).unwrap();
        assert_eq!(store.story_window(), crate::config::DEFAULT_STORY_WINDOW);
    }
}
