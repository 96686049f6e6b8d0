//! Digests sent: claims each due period in the store, gathers and renders it, mails it and
//! records the outcome, so that every period goes out exactly once: late after an SMTP outage or a
//! crash, never twice, never skipped. [`run`] is the daemon's digest timer; [`send_due`] serves it
//! and `digest send`; [`preview`] renders without sending or recording.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::gather::{GatherRequest, gather};
use super::render::{DigestContent, Rendered, render};
use crate::config::{Config, DigestConfig};
use crate::errors::chain;
use crate::sinks::smtp::{Mail, MailError, Mailer, SendError, lease, message_id};
use crate::sources::netguard::NetPolicy;
use crate::store::writer::WriterHandle;
use crate::store::{ClaimRequest, ClaimedRun, RunOutcome, StoreError};

/// Delays before retrying a period after a temporary failure (4xx, connection refused, timeout);
/// the last one repeats.
const RETRY_DELAYS: [u64; 7] = [10, 30, 60, 120, 300, 600, 900];

/// Attempts a period gets when the server refuses it for good (5xx) before it is given up.
pub const MAX_PERMANENT_ATTEMPTS: u32 = 3;

/// The timer re-reads the clock at least this often, so that a suspended machine or a clock step
/// does not delay a digest.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Everything sending digests needs: the digests, the mail server, the topic labels.
#[derive(Debug, Clone)]
pub struct DigestEnv {
    /// The configured digests.
    pub digests: Vec<DigestConfig>,
    /// The mail server; `None` when no digest is configured.
    pub mailer: Option<Mailer>,
    /// How long a claim holds.
    pub lease: Duration,
    /// Topic id to display name, in the pack's order.
    pub labels: Arc<Vec<(String, String)>>,
    from: Option<lettre::message::Mailbox>,
}

impl DigestEnv {
    /// The digest environment of `cfg`.
    pub fn new(cfg: &Config) -> Result<DigestEnv, MailError> {
        let smtp = cfg.smtp.as_ref().filter(|_| !cfg.digests.is_empty());
        Ok(DigestEnv {
            digests: cfg.digests.clone(),
            mailer: smtp
                .map(|s| Mailer::new(s, NetPolicy::new(&cfg.fetch)))
                .transpose()?,
            lease: smtp.map_or(Duration::from_secs(60), |s| lease(s.timeout)),
            labels: Arc::new(
                cfg.classify
                    .pack
                    .topics
                    .iter()
                    .map(|t| (t.id.clone(), t.label.clone()))
                    .collect(),
            ),
            from: smtp.map(|s| s.from.clone()),
        })
    }

    /// The digest named `name`.
    pub fn digest(&self, name: &str) -> Option<&DigestConfig> {
        self.digests.iter().find(|d| d.name == name)
    }
}

/// What triggers a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The timer: the period ending at the last fire time, and retries that are due.
    Scheduled,
    /// `digest send`: waiting retries now, then the period from the last one's end to now.
    Now,
}

/// How one claimed period ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReport {
    /// The digest.
    pub digest: String,
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The period's end.
    pub period_end: DateTime<Utc>,
    /// Its `Message-ID`.
    pub message_id: String,
    /// What happened.
    pub outcome: RunOutcome,
}

/// Sends every period of `digest` that is due at `now`, one after the other, and says how each
/// ended. Stops at the first failure (the others wait for their retry).
pub async fn send_due(
    writer: &WriterHandle,
    env: &DigestEnv,
    digest: &DigestConfig,
    trigger: Trigger,
    now: DateTime<Utc>,
) -> Result<Vec<SendReport>, StoreError> {
    let (Some(mailer), Some(from)) = (&env.mailer, &env.from) else {
        return Ok(Vec::new());
    };
    let last_fire = digest.schedule.previous_at_or_before(now).unwrap_or(now);
    let end = match trigger {
        Trigger::Scheduled => last_fire,
        Trigger::Now => now,
    };
    let mut reports = Vec::new();
    loop {
        let req = ClaimRequest {
            digest: digest.name.clone(),
            end,
            first_start: (trigger == Trigger::Now).then_some(last_fire),
            retry_now: trigger == Trigger::Now,
            message_id: message_id(&digest.name, end, from),
            now,
            lease: env.lease,
        };
        let Some(claimed) = writer.call(move |s| s.claim_digest_run(&req)).await?? else {
            break;
        };
        let outcome = attempt(writer, env, mailer, digest, &claimed).await;
        let done_at = Utc::now();
        let (c, o) = (claimed.clone(), outcome.clone());
        if !writer
            .call(move |s| s.finish_digest_run(&c, &o, done_at))
            .await??
        {
            tracing::warn!(digest = %digest.name, message_id = %claimed.run.message_id,
                "the digest claim was taken over by another process before the attempt was recorded");
        }
        log_outcome(&claimed, &outcome);
        let stop = matches!(
            outcome,
            RunOutcome::Retry { .. } | RunOutcome::Failed { .. }
        );
        reports.push(SendReport {
            digest: digest.name.clone(),
            period_start: claimed.run.period_start,
            period_end: claimed.run.period_end,
            message_id: claimed.run.message_id,
            outcome,
        });
        if stop {
            break;
        }
    }
    Ok(reports)
}

/// Gathers, renders and sends one claimed period.
async fn attempt(
    writer: &WriterHandle,
    env: &DigestEnv,
    mailer: &Mailer,
    digest: &DigestConfig,
    claimed: &ClaimedRun,
) -> RunOutcome {
    let run = &claimed.run;
    let content = match content(writer, env, digest, run.period_start, run.period_end).await {
        Ok(c) => c,
        Err(e) => {
            return retry_after(run.attempts, format!("reading the stories: {}", chain(&e)));
        }
    };
    if content.total_stories == 0 && !digest.send_empty {
        return RunOutcome::Empty;
    }
    let rendered = match render(&content, digest.subject.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            return RunOutcome::Failed {
                error: e.to_string(),
            };
        }
    };
    let mail = mail(digest, rendered, run.message_id.clone());
    match mailer.send(&mail).await {
        Ok(()) => RunOutcome::Sent {
            stories: (content.total_stories - content.omitted_stories) as u32,
        },
        Err(SendError::Transient(e)) => retry_after(run.attempts, e),
        Err(SendError::Permanent(e)) if run.attempts + 1 >= MAX_PERMANENT_ATTEMPTS => {
            RunOutcome::Failed { error: e }
        }
        Err(SendError::Permanent(e)) => retry_after(run.attempts, e),
    }
}

/// The mail of a rendered digest.
fn mail(digest: &DigestConfig, r: Rendered, message_id: String) -> Mail {
    Mail {
        to: digest.to.clone(),
        subject: r.subject,
        text: r.text,
        html: r.html,
        message_id,
        date: SystemTime::now(),
        unsubscribe: digest.unsubscribe.clone(),
    }
}

/// A retry after the delay for the `attempts` already made, with up to 10% jitter.
fn retry_after(attempts: u32, error: String) -> RunOutcome {
    let base = RETRY_DELAYS[(attempts as usize).min(RETRY_DELAYS.len() - 1)];
    let jitter = fastrand::u64(0..=base / 10);
    RunOutcome::Retry {
        at: Utc::now() + chrono::Duration::seconds((base + jitter) as i64),
        error,
    }
}

fn log_outcome(c: &ClaimedRun, o: &RunOutcome) {
    let (digest, mid) = (&c.run.digest, &c.run.message_id);
    let outcome = match o {
        RunOutcome::Sent { .. } => "sent",
        RunOutcome::Empty => "empty",
        RunOutcome::Retry { .. } => "retry",
        RunOutcome::Failed { .. } => "failed",
    };
    crate::metrics::METRICS.digest(digest, outcome);
    let (start, end) = (c.run.period_start, c.run.period_end);
    match o {
        RunOutcome::Sent { stories } => {
            tracing::info!(digest = %digest, message_id = %mid, period_start = %start, period_end = %end, stories, "digest sent")
        }
        RunOutcome::Empty => {
            tracing::info!(digest = %digest, period_start = %start, period_end = %end, "digest period had no stories; nothing sent")
        }
        RunOutcome::Retry { at, error } => {
            tracing::warn!(digest = %digest, message_id = %mid, retry_at = %at, error = %error, "digest not sent; will retry")
        }
        RunOutcome::Failed { error } => {
            tracing::error!(digest = %digest, message_id = %mid, error = %error, "digest given up for this period")
        }
    }
}

/// The content of `digest` for [`start`, `end`), read through the writer.
pub async fn content(
    writer: &WriterHandle,
    env: &DigestEnv,
    digest: &DigestConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<DigestContent, StoreError> {
    let (d, labels) = (digest.clone(), env.labels.clone());
    writer
        .call(move |s| {
            gather(
                s,
                &GatherRequest {
                    digest: &d,
                    start,
                    end,
                    labels: &labels,
                    now: Utc::now(),
                },
            )
        })
        .await?
}

/// The digest `digest` would send at its next fire time, as far as it goes now: the stories since
/// the last recorded period (or since the last fire time, for a digest never run). Records
/// nothing.
pub async fn preview(
    writer: &WriterHandle,
    env: &DigestEnv,
    digest: &DigestConfig,
    now: DateTime<Utc>,
) -> Result<(DigestContent, Rendered), anyhow::Error> {
    let name = digest.name.clone();
    let last = writer
        .call(move |s| s.last_digest_period_end(&name))
        .await??;
    let start = last
        .or_else(|| digest.schedule.previous_at_or_before(now))
        .unwrap_or(now)
        .min(now);
    let mut c = content(writer, env, digest, start, now).await?;
    c.period_end = digest.schedule.next_after(now);
    let r = render(&c, digest.subject.as_deref())?;
    Ok((c, r))
}

/// The daemon's digest timer: at start, claims a previous run left in flight are released and
/// missed periods are sent; then each digest is sent at its fire times and its failed periods
/// retried, until `shutdown`. A send in flight at shutdown is cut short and retried at the next
/// start, under the same `Message-ID`.
pub async fn run(
    writer: WriterHandle,
    mut env: watch::Receiver<Arc<DigestEnv>>,
    shutdown: CancellationToken,
) {
    match writer.call(|s| s.release_digest_claims()).await {
        Ok(Ok(n)) if n > 0 => {
            tracing::info!(
                runs = n,
                "digests left in flight by a previous run are due again"
            )
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) | Err(e) => {
            tracing::error!(error = %chain(&e), "releasing digest claims failed")
        }
    }
    loop {
        let e = env.borrow().clone();
        let mut wake = Utc::now() + chrono::Duration::from_std(MAX_SLEEP).unwrap_or_default();
        for d in &e.digests {
            let round = async {
                send_due(&writer, &e, d, Trigger::Scheduled, Utc::now()).await?;
                let name = d.name.clone();
                writer.call(move |s| s.next_digest_retry(&name)).await?
            };
            let next_retry = tokio::select! {
                () = shutdown.cancelled() => return,
                r = round => r,
            };
            match next_retry {
                Ok(Some(at)) => wake = wake.min(at),
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(digest = %d.name, error = %chain(&err), "sending digests failed; trying again shortly");
                    wake = wake.min(Utc::now() + chrono::Duration::seconds(5));
                }
            }
            wake = wake.min(d.schedule.next_after(Utc::now()));
        }
        let idle = (wake - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            () = shutdown.cancelled() => return,
            r = env.changed() => if r.is_err() { return },
            () = tokio::time::sleep(idle) => {}
        }
    }
}
