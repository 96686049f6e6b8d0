//! The dispatcher: delivers the alert outbox. Woken by the writer when a commit queues deliveries
//! (and at the time the next retry falls due), it claims due rows under a lease, applies each rule's
//! throttle, builds the outward message from the store, renders it for the destination, signs
//! webhooks, POSTs without following redirects, and records the outcome: delivered, retried on
//! 5xx/429/timeouts after design.md's schedule with jitter (or `Retry-After`), destination disabled
//! on 410, dead letter after the last attempt or on another 4xx. Every store access goes through
//! the writer; every request is a tracked task bounded by the destination's timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::payload::{
    Alert, BriefInfo, Entity, Evidence, EvidenceField, Message, StoryInfo, Summary, SummaryBrief,
    TopicMatch, Window,
};
use super::{Rendered, discord, ntfy, sign, slack, teams, webhook};
use crate::config::{Config, DeliveryConfig, Destination, DestinationKind};
use crate::errors::chain;
use crate::model::Throttle;
use crate::sources::http::{FetchError, HttpClient, PostRequest};
use crate::store::writer::WriterHandle;
use crate::store::{AlertContent, Claimed, DeliveryKind, Finish, StoreError};
use crate::transforms::classify::{Field, expand_evidence};

/// The longest the dispatcher sleeps without looking at the outbox again (it is woken sooner by
/// new deliveries and by the next due retry; this covers rows another process made due).
const MAX_IDLE: Duration = Duration::from_secs(30);
/// How long in-flight deliveries may take to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// What the dispatcher delivers with: destinations, throttles, the retry schedule and the client.
/// Replaced as a whole on reload.
#[derive(Clone)]
pub struct DispatchEnv {
    /// Destinations by name.
    pub destinations: HashMap<String, Destination>,
    /// Throttled rules by name.
    pub throttles: HashMap<String, Throttle>,
    /// Retry schedule, timeouts, concurrency.
    pub delivery: DeliveryConfig,
    /// The HTTP client (private-network guard included).
    pub client: HttpClient,
}

impl DispatchEnv {
    /// The environment `cfg` describes.
    pub fn new(cfg: &Config, client: HttpClient) -> DispatchEnv {
        DispatchEnv {
            destinations: cfg
                .destinations
                .iter()
                .map(|d| (d.name.clone(), d.clone()))
                .collect(),
            throttles: cfg
                .alerts
                .iter()
                .filter_map(|r| r.rule.throttle.map(|t| (r.rule.name.clone(), t)))
                .collect(),
            delivery: cfg.delivery.clone(),
            client,
        }
    }

    fn lease(&self) -> Duration {
        let longest = self
            .destinations
            .values()
            .map(|d| d.timeout)
            .max()
            .unwrap_or(self.delivery.timeout);
        longest * 2 + Duration::from_secs(5)
    }
}

/// What a drain delivered (`poll --once`, `alerts test`, `alerts retry`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Accepted by their receivers.
    pub delivered: usize,
    /// Scheduled for a later retry.
    pub retrying: usize,
    /// Dead-lettered.
    pub failed: usize,
    /// Held over a throttle (merged into a summary later).
    pub held: usize,
}

impl DrainReport {
    fn add(&mut self, f: &Finish) {
        match f {
            Finish::Delivered { .. } => self.delivered += 1,
            Finish::Retry { .. } | Finish::DestinationGone { .. } => self.retrying += 1,
            Finish::Failed { .. } => self.failed += 1,
            Finish::Held => self.held += 1,
        }
    }
}

/// Delivers the outbox until `shutdown`: the daemon's task.
pub async fn run(
    writer: WriterHandle,
    mut env: watch::Receiver<Arc<DispatchEnv>>,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    match writer.call(|s| s.release_leases()).await {
        Ok(Ok(n)) if n > 0 => {
            tracing::info!(
                deliveries = n,
                "deliveries left in flight by a previous run are due again"
            )
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) | Err(e) => {
            tracing::error!(error = %chain(&e), "releasing delivery leases failed")
        }
    }
    let mut tasks: JoinSet<()> = JoinSet::new();
    loop {
        let e = env.borrow().clone();
        let next = match round(&writer, &e, &mut tasks).await {
            Ok(next) => next,
            Err(err) => {
                tracing::error!(error = %chain(&err), "dispatching deliveries failed; trying again shortly");
                Some(Utc::now() + chrono::Duration::seconds(5))
            }
        };
        let idle = next
            .map(|t| (t - Utc::now()).to_std().unwrap_or_default())
            .unwrap_or(MAX_IDLE)
            .min(MAX_IDLE);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            r = env.changed() => if r.is_err() { break },
            () = tokio::time::sleep(idle) => {}
        }
    }
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            in_flight = tasks.len(),
            "deliveries still in flight at shutdown; they are sent again (same id) at the next start"
        );
        tasks.abort_all();
    }
}

/// Delivers what is due now and whatever falls due before `within` runs out (retries included),
/// then returns; what is left stays queued for the daemon. `poll --once`, `alerts test`/`retry`.
pub async fn drain(
    writer: &WriterHandle,
    env: &DispatchEnv,
    within: Duration,
) -> Result<DrainReport, StoreError> {
    let deadline = tokio::time::Instant::now() + within;
    let mut report = DrainReport::default();
    loop {
        let held_recheck = merge_held(writer, env).await?;
        let (send, held) = claim(writer, env, env.delivery.concurrency).await?;
        report.held += held;
        if send.is_empty() && held == 0 {
            let due = writer.call(|s| s.next_delivery_due()).await??;
            match earliest(due, held_recheck) {
                Some(t) if tokio::time::Instant::now() < deadline => {
                    let wait = (t - Utc::now()).to_std().unwrap_or_default();
                    if tokio::time::Instant::now() + wait > deadline {
                        return Ok(report);
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
                _ => return Ok(report),
            }
        }
        let mut set = JoinSet::new();
        for c in send {
            let (writer, env) = (writer.clone(), env.clone());
            set.spawn(async move {
                let f = attempt(&writer, &env, &c).await;
                finish(&writer, &c, f.clone()).await;
                f
            });
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let all = tokio::time::timeout(left, async {
            let mut out = Vec::new();
            while let Some(Ok(f)) = set.join_next().await {
                out.push(f);
            }
            out
        })
        .await;
        match all {
            Ok(done) => done.iter().for_each(|f| report.add(f)),
            // Leases of unfinished sends run out; the daemon sends them again under their ids.
            Err(_) => return Ok(report),
        }
    }
}

/// One round of the daemon's loop: summaries whose budget allows, then claims up to the free
/// concurrency and spawns their sends. Returns when to look again.
async fn round(
    writer: &WriterHandle,
    env: &Arc<DispatchEnv>,
    tasks: &mut JoinSet<()>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let held_recheck = merge_held(writer, env).await?;
    let room = env.delivery.concurrency.saturating_sub(tasks.len());
    if room > 0 {
        let (send, _) = claim(writer, env, room).await?;
        for c in send {
            let (writer, env) = (writer.clone(), env.clone());
            tasks.spawn(async move {
                let f = attempt(&writer, &env, &c).await;
                finish(&writer, &c, f).await;
            });
        }
    }
    let next = writer.call(|s| s.next_delivery_due()).await??;
    Ok(earliest(next, held_recheck))
}

/// The earlier of two optional times.
fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Claims up to `n` due deliveries, holds those over their rule's throttle (recorded), and returns
/// the ones to send with the number held.
async fn claim(
    writer: &WriterHandle,
    env: &DispatchEnv,
    n: usize,
) -> Result<(Vec<Claimed>, usize), StoreError> {
    let lease = env.lease();
    let claimed = writer.call(move |s| s.claim_due(n, lease)).await??;
    let (send, held) = apply_throttles(writer, env, claimed).await?;
    for c in &held {
        finish(writer, c, Finish::Held).await;
    }
    Ok((send, held.len()))
}

/// Splits claimed deliveries into those a rule's throttle lets through and those to hold.
async fn apply_throttles(
    writer: &WriterHandle,
    env: &DispatchEnv,
    claimed: Vec<Claimed>,
) -> Result<(Vec<Claimed>, Vec<Claimed>), StoreError> {
    let mut send = Vec::new();
    let mut held = Vec::new();
    let mut budgets: HashMap<(String, String), i64> = HashMap::new();
    let mut batch: HashMap<(String, String), i64> = HashMap::new();
    for c in &claimed {
        *batch
            .entry((c.rule.clone(), c.destination.clone()))
            .or_default() += 1;
    }
    for c in claimed {
        let throttle = match (c.kind, env.throttles.get(&c.rule)) {
            (DeliveryKind::Alert, Some(t)) => *t,
            _ => {
                send.push(c);
                continue;
            }
        };
        let key = (c.rule.clone(), c.destination.clone());
        let budget = match budgets.get(&key) {
            Some(b) => *b,
            None => {
                let since =
                    Utc::now() - chrono::Duration::from_std(throttle.window).unwrap_or_default();
                let (rule, dest) = key.clone();
                let counted = writer
                    .call(move |s| s.sent_since(&rule, &dest, since))
                    .await??;
                // The rows of this batch are `sending` too: they are not yet spent budget.
                let b = i64::from(throttle.max) - (i64::from(counted) - batch[&key]);
                budgets.insert(key.clone(), b);
                b
            }
        };
        if budget > 0 {
            budgets.insert(key, budget - 1);
            send.push(c);
        } else {
            held.push(c);
        }
    }
    Ok((send, held))
}

/// Merges held alerts into a summary for every (rule, destination) whose budget allows a message
/// again. Returns when to look again while alerts stay held.
async fn merge_held(
    writer: &WriterHandle,
    env: &DispatchEnv,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let groups = writer.call(|s| s.held_groups()).await??;
    let mut recheck: Option<DateTime<Utc>> = None;
    for (rule, dest, _oldest) in groups {
        let Some(t) = env.throttles.get(&rule).copied() else {
            // The rule lost its throttle (or was removed): send what it held now.
            let (r, d) = (rule.clone(), dest.clone());
            writer.call(move |s| s.merge_held(&r, &d)).await??;
            continue;
        };
        let since = Utc::now() - chrono::Duration::from_std(t.window).unwrap_or_default();
        let (r, d) = (rule.clone(), dest.clone());
        let sent = writer.call(move |s| s.sent_since(&r, &d, since)).await??;
        if sent < t.max {
            let (r, d) = (rule.clone(), dest.clone());
            if let Some(id) = writer.call(move |s| s.merge_held(&r, &d)).await?? {
                tracing::info!(delivery_id = %id, rule = %rule, destination = %dest, "held alerts merged into a summary");
            }
        } else {
            let step = (t.window / 8).clamp(Duration::from_millis(200), MAX_IDLE);
            let at = Utc::now() + chrono::Duration::from_std(step).unwrap_or_default();
            recheck = Some(recheck.map_or(at, |r| r.min(at)));
        }
    }
    Ok(recheck)
}

/// Records an attempt's outcome (logged; a lost claim is logged too).
async fn finish(writer: &WriterHandle, c: &Claimed, how: Finish) {
    let (id, token, f) = (c.id.clone(), c.token.clone(), how.clone());
    match writer
        .call(move |s| s.finish_delivery(&id, &token, &f))
        .await
    {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            tracing::warn!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, "delivery claim was lost (lease ran out); the newer claim decides")
        }
        Ok(Err(e)) | Err(e) => {
            tracing::error!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, error = %chain(&e), "recording a delivery failed; it is sent again after its lease")
        }
    }
    let outcome = match &how {
        Finish::Delivered { .. } => Some("delivered"),
        Finish::Retry { .. } => Some("retry"),
        Finish::Failed { .. } => Some("failed"),
        Finish::DestinationGone { .. } => Some("disabled"),
        Finish::Held => None,
    };
    if let Some(o) = outcome {
        crate::metrics::METRICS.delivery(&c.destination, o);
    }
    match how {
        Finish::Delivered { status } => {
            tracing::info!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, status, attempt = c.attempts + 1, "alert delivered")
        }
        Finish::Retry { at, status, error } => {
            tracing::warn!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, status, attempt = c.attempts + 1, retry_at = %at, error = %error, "delivery failed; will retry")
        }
        Finish::Failed { status, error } => {
            tracing::error!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, status, attempt = c.attempts + 1, error = %error, "delivery failed for good (dead letter)")
        }
        Finish::DestinationGone { error } => {
            tracing::error!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, error = %error, "destination answered 410 Gone: disabled; its deliveries wait for `alerts enable`")
        }
        Finish::Held => {
            tracing::info!(delivery_id = %c.id, destination = %c.destination, rule = %c.rule, "alert held by the rule's throttle; it goes out in the next summary")
        }
    }
}

/// One attempt at one delivery: build, render, sign, POST, classify.
async fn attempt(writer: &WriterHandle, env: &DispatchEnv, c: &Claimed) -> Finish {
    let Some(dest) = env.destinations.get(&c.destination) else {
        return Finish::Failed {
            status: None,
            error: format!("destination {:?} is no longer configured", c.destination),
        };
    };
    let msg = match message(writer, c).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Finish::Failed {
                status: None,
                error: "the brief was deleted before it could be sent".into(),
            };
        }
        Err(e) => return retry_or_fail(env, c, None, None, chain(&e).to_string()),
    };
    let (url, rendered) = match render(dest, &msg) {
        Ok(r) => r,
        Err(e) => {
            return Finish::Failed {
                status: None,
                error: chain(&e).to_string(),
            };
        }
    };
    let mut headers = rendered.headers;
    if let Some(secret) = &dest.secret {
        let signed = sign::WebhookSecret::parse(secret.expose())
            .map_err(|e| e.to_string())
            .and_then(|k| {
                sign::headers(&[k], &c.id, Utc::now().timestamp(), &rendered.body)
                    .map_err(|e| e.to_string())
            });
        match signed {
            Ok(h) => headers.extend(h),
            Err(error) => {
                return Finish::Failed {
                    status: None,
                    error,
                };
            }
        }
    }
    headers.extend(
        dest.headers
            .iter()
            .map(|(n, v)| (n.clone(), v.expose().to_string())),
    );
    let req = PostRequest {
        url: &url,
        content_type: rendered.content_type,
        headers: &headers,
        body: &rendered.body,
        timeout: dest.timeout,
    };
    match env.client.post(req).await {
        Ok(r) if (200..300).contains(&r.status) => Finish::Delivered { status: r.status },
        Ok(r) if r.status == 410 => Finish::DestinationGone {
            error: format!("410 Gone: {}", one_line(&r.body)),
        },
        Ok(r) if r.status == 429 || r.status == 408 || r.status >= 500 => retry_or_fail(
            env,
            c,
            Some(r.status),
            r.retry_after,
            format!("HTTP {}: {}", r.status, one_line(&r.body)),
        ),
        Ok(r) => Finish::Failed {
            status: Some(r.status),
            error: format!(
                "HTTP {} (not retried: fix the destination, then `alerts retry`): {}",
                r.status,
                one_line(&r.body)
            ),
        },
        Err(e @ FetchError::Refused { .. }) => Finish::Failed {
            status: None,
            error: chain(&e).to_string(),
        },
        Err(e) => retry_or_fail(env, c, None, None, chain(&e).to_string()),
    }
}

/// A retry after the schedule's next delay (with ±10% jitter, never earlier than `Retry-After`), or
/// a dead letter once the schedule is used up.
fn retry_or_fail(
    env: &DispatchEnv,
    c: &Claimed,
    status: Option<u16>,
    retry_after: Option<Duration>,
    error: String,
) -> Finish {
    let attempts = c.attempts as usize + 1;
    let Some(delay) = env.delivery.retry_schedule.get(attempts).copied() else {
        return Finish::Failed {
            status,
            error: format!("gave up after {attempts} attempts: {error}"),
        };
    };
    let jittered = delay.mul_f64(1.0 + (fastrand::f64() - 0.5) * 0.2);
    let wait = jittered.max(retry_after.unwrap_or_default());
    Finish::Retry {
        at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
        status,
        error,
    }
}

/// A receiver's answer, on one line and short, for the delivery's last error.
fn one_line(s: &str) -> String {
    super::escape::truncate(
        &super::escape::one_line(s),
        200,
        super::escape::Measure::Chars,
    )
}

/// The outward message of a claimed delivery, built from the store; `None` when its brief is gone.
async fn message(writer: &WriterHandle, c: &Claimed) -> Result<Option<Message>, StoreError> {
    let now = Utc::now();
    match c.kind {
        DeliveryKind::Test => Ok(Some(Message::test(c.id.clone(), now))),
        DeliveryKind::Alert => {
            let Some(id) = c.brief_id else {
                return Ok(None);
            };
            let content = writer.call(move |s| s.alert_content(id)).await??;
            Ok(content.map(|content| Message::Alert(alert(c, content, now))))
        }
        DeliveryKind::Summary => {
            let sid = c.id.clone();
            let merged = writer.call(move |s| s.merged_briefs(&sid)).await??;
            let mut briefs = Vec::new();
            for (id, topics) in merged.iter().take(super::payload::SUMMARY_MAX_BRIEFS) {
                let id = *id;
                let b = match writer.call(move |s| s.get_brief(id)).await? {
                    Ok(b) => b,
                    Err(StoreError::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                };
                let mut sb = SummaryBrief::new(b.id, b.source, b.title);
                sb.url = b.url;
                sb.topics = topics.clone();
                briefs.push(sb);
            }
            let window = Window {
                start: c.created_at.min(now),
                end: now,
            };
            let count = u32::try_from(merged.len()).unwrap_or(u32::MAX);
            Ok(Some(Message::Summary(Summary::new(
                c.id.clone(),
                c.rule.clone(),
                now,
                window,
                count,
                briefs,
            ))))
        }
    }
}

/// The alert payload for a claimed delivery: the brief, its story's sources, its topics (the matched
/// ones first) with evidence, and its entities.
fn alert(c: &Claimed, content: AlertContent, now: DateTime<Utc>) -> Alert {
    let AlertContent {
        brief: b,
        also,
        topics,
        entities,
    } = content;
    let mut info = BriefInfo::new(b.id, b.source.clone(), b.title.clone(), &b.text);
    if let Some(u) = &b.url {
        info = info.with_url(u.clone());
    }
    if let Some(p) = b.published {
        info = info.with_published(p);
    }
    if let Some(a) = &b.author {
        info = info.with_author(a.clone());
    }
    let mut story = StoryInfo::new(
        b.story_id.unwrap_or_default(),
        u32::try_from(1 + also.iter().filter(|a| a.brief_id != b.id).count()).unwrap_or(u32::MAX),
    )
    .with_source(b.source.clone(), b.url.clone());
    for a in &also {
        if !story.sources.iter().any(|s| s.source == a.source) {
            story = story.with_source(a.source.clone(), a.url.clone());
        }
    }
    let mut ordered: Vec<&crate::model::TopicTag> = topics.iter().collect();
    ordered.sort_by_key(|t| !c.topics.contains(&t.topic));
    let topics = ordered
        .into_iter()
        .map(|t| {
            expand_evidence(&t.evidence, &b.title, &b.text)
                .into_iter()
                .fold(
                    TopicMatch::new(t.topic.clone(), f64::from(t.score)),
                    |m, e| {
                        let field = match e.field {
                            Some(Field::Title) => EvidenceField::Title,
                            Some(Field::Text) => EvidenceField::Text,
                            None => EvidenceField::Model,
                        };
                        m.with_evidence(Evidence::new(e.term, field, &e.snippet))
                    },
                )
        })
        .collect();
    Alert::new(c.id.clone(), c.rule.clone(), now, info)
        .with_story(story)
        .with_topics(topics)
        .with_entities(
            entities
                .into_iter()
                .map(|e| Entity::new(e.name, e.kind))
                .collect(),
        )
}

/// A destination whose URL cannot be posted to (validated at load, so only a hand-edited state
/// gets here).
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error("destination {0:?}: invalid URL")]
    Url(String, #[source] url::ParseError),
    #[error("destination {0:?}: not an ntfy topic URL")]
    Ntfy(String, #[source] ntfy::TargetError),
}

/// Where to POST and what, for `dest`.
fn render(dest: &Destination, msg: &Message) -> Result<(Url, Rendered), RenderError> {
    let url = Url::parse(dest.url.expose()).map_err(|e| RenderError::Url(dest.name.clone(), e))?;
    Ok(match dest.kind {
        DestinationKind::Webhook => (url, webhook::render(msg, &webhook::WebhookOptions {})),
        DestinationKind::Slack => (url, slack::render(msg, &slack::SlackOptions {})),
        DestinationKind::Discord => (url, discord::render(msg, &discord::DiscordOptions {})),
        DestinationKind::Teams => (url, teams::render(msg, &teams::TeamsOptions {})),
        DestinationKind::Ntfy => {
            let (root, topic) = ntfy::target(dest.url.expose())
                .map_err(|e| RenderError::Ntfy(dest.name.clone(), e))?;
            let mut opts = ntfy::NtfyOptions::new(topic);
            if let Some(p) = dest.priority {
                opts.priority = p;
            }
            if !dest.tags.is_empty() {
                opts.tags = Some(dest.tags.clone());
            }
            (root, ntfy::render(msg, &opts))
        }
    })
}
