//! The WebSub subscriber (W3C Recommendation): subscribes to the hubs the feed sources announce,
//! renews leases before they end, unsubscribes sources that left the config, answers hubs'
//! verifications of intent and takes their signed pushes on `/websub/{id}`, and tells the daemon
//! which sources may be polled at the relaxed safety-net interval. Active only with `[server]
//! listen` and `public_url`.
//!
//! Discovery is `sources::websub`'s; storing is the store's; a verified push becomes a
//! [`WebSubEvent::Pushed`] the daemon runs through the normal pipeline.
//!
//! - [`registry`]: pure transitions (subscribe, verify, renew, fail, deny, unsubscribe).
//! - [`hub`]: the requests to hubs.
//! - [`signature`]: `X-Hub-Signature` checking.
//! - [`routes`]: the callback's HTTP handlers.

pub mod hub;
pub mod registry;
pub mod routes;
pub mod signature;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::WebSubConfig;
use crate::errors::chain;
use crate::model::{HubMode, SourceId, WebSubLinks};
use crate::sources::http::HttpClient;
use crate::store::StoreError;
use crate::store::writer::WriterHandle;
use registry::{Effects, Registry};

/// The longest the subscriber sleeps without looking again.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// What the subscriber tells the daemon.
#[derive(Debug)]
pub enum WebSubEvent {
    /// A hub pushed content with a good signature for a verified subscription.
    Pushed(Push),
    /// A source's subscription became fresh (`relaxed`: poll at the safety-net interval) or
    /// stopped being so (back to its normal interval).
    Polling {
        /// The source.
        source_id: SourceId,
        /// Whether its subscription is verified and within its lease.
        relaxed: bool,
    },
}

/// Content a hub pushed, signature checked.
#[derive(Debug)]
pub struct Push {
    /// The source it is for.
    pub source_id: SourceId,
    /// The subscription it came through.
    pub subscription: String,
    /// The topic URL (the document's address, for relative links).
    pub topic: Url,
    /// `Content-Type` of the push.
    pub content_type: Option<String>,
    /// The body as the hub sent it.
    pub body: Vec<u8>,
}

/// Changes waiting for the subscriber's next step.
#[derive(Default)]
struct Pending {
    announced: Vec<(SourceId, Option<WebSubLinks>)>,
    reload: bool,
}

struct Shared {
    cfg: WebSubConfig,
    max_body: usize,
    writer: WriterHandle,
    /// Every change goes through this lock and is saved before it is released, so that rows are
    /// written in the order the changes happened.
    registry: tokio::sync::Mutex<Registry>,
    /// Sources whose subscription is fresh, for the daemon's scheduling (read without waiting).
    fresh: Mutex<HashSet<SourceId>>,
    pending: Mutex<Pending>,
    wake: Notify,
    events: mpsc::UnboundedSender<WebSubEvent>,
}

/// A handle on the subscriber, shared by the daemon, its task and the callback routes.
#[derive(Clone)]
pub struct WebSub(Arc<Shared>);

impl WebSub {
    /// Loads the stored subscriptions and announced hubs; `max_body` caps pushed bodies
    /// (`fetch.max_body_bytes`).
    pub async fn open(
        cfg: WebSubConfig,
        max_body: u64,
        writer: WriterHandle,
        events: mpsc::UnboundedSender<WebSubEvent>,
    ) -> Result<WebSub, StoreError> {
        let (subs, announced) = writer
            .call(|s| Ok::<_, StoreError>((s.subscriptions()?, s.announced_hubs()?)))
            .await??;
        let registry = Registry::new(subs, announced);
        let fresh = registry.fresh_sources(Utc::now());
        Ok(WebSub(Arc::new(Shared {
            cfg,
            max_body: usize::try_from(max_body).unwrap_or(usize::MAX),
            writer,
            registry: tokio::sync::Mutex::new(registry),
            fresh: Mutex::new(fresh),
            pending: Mutex::default(),
            wake: Notify::new(),
            events,
        })))
    }

    /// Records what a poll of a source found in its feed (`None`: no hub).
    pub fn announce(&self, source_id: SourceId, links: Option<WebSubLinks>) {
        self.pending().announced.push((source_id, links));
        self.0.wake.notify_one();
    }

    /// Reads the sources' announced hubs again (after a reload changed the sources).
    pub fn reload(&self) {
        self.pending().reload = true;
        self.0.wake.notify_one();
    }

    /// The interval to poll a source at: the safety net while its subscription is fresh.
    pub fn poll_interval(&self, source_id: SourceId, interval: Duration) -> Duration {
        let fresh = self
            .0
            .fresh
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&source_id);
        if fresh {
            self.0.cfg.safety_net(interval)
        } else {
            interval
        }
    }

    /// The callback routes (`/websub/{id}`), served without the API's token.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.0.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves and announces what a transition changed (the caller holds the registry's lock),
    /// and returns the requests it asks for.
    async fn apply(&self, fx: Effects) -> Vec<(crate::model::Subscription, HubMode)> {
        let Effects {
            save,
            delete,
            send,
            fresh,
        } = fx;
        if !save.is_empty() || !delete.is_empty() {
            let result = self
                .0
                .writer
                .call(move |s| {
                    for sub in &save {
                        s.save_subscription(sub)?;
                    }
                    for id in &delete {
                        s.delete_subscription(id)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await;
            if let Err(e) | Ok(Err(e)) = result {
                tracing::error!(error = %chain(&e), "saving WebSub subscriptions failed");
            }
        }
        if !fresh.is_empty() {
            let mut set = self.0.fresh.lock().unwrap_or_else(|e| e.into_inner());
            for (source_id, relaxed) in fresh {
                if relaxed {
                    set.insert(source_id);
                } else {
                    set.remove(&source_id);
                }
                let _ = self
                    .0
                    .events
                    .send(WebSubEvent::Polling { source_id, relaxed });
            }
        }
        send
    }

    /// One round: pending announcements, then every due action; returns how long to sleep.
    async fn step(&self, client: &HttpClient, request_timeout: Duration) -> Duration {
        let (announced, reload) = {
            let mut p = self.pending();
            (
                std::mem::take(&mut p.announced),
                std::mem::take(&mut p.reload),
            )
        };
        let hubs = if reload {
            match self.0.writer.call(|s| s.announced_hubs()).await {
                Ok(Ok(h)) => Some(h),
                Ok(Err(e)) | Err(e) => {
                    tracing::error!(error = %chain(&e), "reading announced WebSub hubs failed; keeping the previous ones");
                    None
                }
            }
        } else {
            None
        };
        let sends = {
            let mut reg = self.0.registry.lock().await;
            if let Some(h) = hubs {
                reg.set_announced(h);
            }
            for (source_id, links) in announced {
                reg.announce(source_id, links);
            }
            let fx = reg.plan(Utc::now(), &self.0.cfg);
            self.apply(fx).await
        };
        for (sub, mode) in sends {
            let callback = self.0.cfg.callback(&sub.id);
            let outcome = hub::request(
                client,
                &sub,
                mode,
                &callback,
                self.0.cfg.lease,
                request_timeout,
            )
            .await;
            let mut reg = self.0.registry.lock().await;
            let name = reg.name(sub.source_id);
            match outcome {
                Ok(()) => {
                    tracing::info!(source = %name, subscription = %sub.id, hub = %sub.hub, topic = %sub.topic, mode = mode.as_str(), "WebSub request accepted by the hub; awaiting its verification");
                }
                Err(e) => {
                    let error = chain(&e).to_string();
                    let fx = reg.request_failed(&sub.id, mode, &error, Utc::now());
                    self.apply(fx).await;
                }
            }
        }
        let reg = self.0.registry.lock().await;
        reg.next_due()
            .map(|t| (t - Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(MAX_IDLE)
            .min(MAX_IDLE)
    }
}

/// Runs the subscriber until `shutdown`: subscribes, renews, retries and unsubscribes as due,
/// and at once when a poll announces a hub, a reload changes the sources or a hub verifies.
pub async fn run(
    websub: WebSub,
    client: HttpClient,
    request_timeout: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let sleep = tokio::select! {
            () = shutdown.cancelled() => break,
            d = websub.step(&client, request_timeout) => d,
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = websub.0.wake.notified() => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }
}
