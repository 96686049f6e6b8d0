//! Where every subscription stands and what to do next: pure transitions over
//! [`Subscription`]s, given the hubs the sources announce and the clock (callers pass `now`).
//! Each transition returns its [`Effects`]: rows to save or delete, requests to send to hubs,
//! and sources whose subscription became fresh or stopped being so. No I/O.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::WebSubConfig;
use crate::model::{HubMode, SourceId, Subscription, SubscriptionState, WebSubLinks};
use crate::store::AnnouncedHub;

/// The first retry after a failure; doubled at each further failure.
const FIRST_RETRY: Duration = Duration::from_secs(300);
/// The longest wait between attempts, and the wait after a hub's denial.
const MAX_RETRY: Duration = Duration::from_secs(86_400);
/// The most a renewal is brought forward before the lease ends.
const MAX_RENEW_MARGIN: Duration = Duration::from_secs(86_400);

/// What a transition asks the subscriber to do.
#[derive(Debug, Default)]
pub struct Effects {
    /// Rows to write, in order.
    pub save: Vec<Subscription>,
    /// Rows to delete.
    pub delete: Vec<String>,
    /// Requests to send to hubs: the subscription as it is now, and the mode.
    pub send: Vec<(Subscription, HubMode)>,
    /// Sources whose subscription became fresh (`true`: poll at the safety-net interval) or
    /// stopped being so (`false`: back to the normal interval).
    pub fresh: Vec<(SourceId, bool)>,
}

/// Why a hub's verification of intent was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No subscription with that id.
    Unknown,
    /// The mode or topic does not match a request awaiting verification.
    NotPending,
}

/// Every subscription, the hubs enabled feed sources announce, and their names.
#[derive(Debug, Default)]
pub struct Registry {
    subs: HashMap<String, Subscription>,
    announced: HashMap<SourceId, Option<WebSubLinks>>,
    names: HashMap<SourceId, String>,
    /// The fresh sources as last reported in [`Effects::fresh`]: a lease that ends with time is
    /// reported at the next transition.
    reported: HashSet<SourceId>,
}

impl Registry {
    /// A registry of the stored subscriptions and announced hubs.
    pub fn new(subs: Vec<Subscription>, announced: Vec<AnnouncedHub>) -> Registry {
        let mut r = Registry {
            subs: subs.into_iter().map(|s| (s.id.clone(), s)).collect(),
            ..Registry::default()
        };
        r.set_announced(announced);
        r.reported = r.fresh_sources(Utc::now());
        r
    }

    /// Replaces the announced hubs (after a reload: sources added, removed, changed).
    pub fn set_announced(&mut self, announced: Vec<AnnouncedHub>) {
        self.announced.clear();
        for a in announced {
            self.names.insert(a.source_id, a.name);
            self.announced.insert(a.source_id, a.links);
        }
    }

    /// Records what a poll of an enabled source found (`None`: its feed announced no hub).
    pub fn announce(&mut self, source_id: SourceId, links: Option<WebSubLinks>) {
        if let Some(slot) = self.announced.get_mut(&source_id) {
            *slot = links;
        }
    }

    /// A subscription by id.
    pub fn get(&self, id: &str) -> Option<&Subscription> {
        self.subs.get(id)
    }

    /// The name of a source, for logs (`#id` when it is gone).
    pub fn name(&self, source_id: SourceId) -> String {
        self.names
            .get(&source_id)
            .cloned()
            .unwrap_or_else(|| format!("#{source_id}"))
    }

    /// Sources whose subscription is verified and within its lease at `now`.
    pub fn fresh_sources(&self, now: DateTime<Utc>) -> HashSet<SourceId> {
        self.subs
            .values()
            .filter(|s| is_fresh(s, now))
            .map(|s| s.source_id)
            .collect()
    }

    /// When the earliest subscription is due for action.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.subs.values().filter_map(|s| s.next_at).min()
    }

    /// Brings subscriptions in line with the announced hubs, then acts on every one that is due:
    /// new requests, renewals, retries, verifications given up on.
    pub fn plan(&mut self, now: DateTime<Utc>, cfg: &WebSubConfig) -> Effects {
        let mut fx = Effects::default();
        self.reconcile(now, &mut fx);
        let due: Vec<String> = self
            .subs
            .values()
            .filter(|s| s.next_at.is_none_or(|t| t <= now))
            .map(|s| s.id.clone())
            .collect();
        for id in due {
            self.act(&id, now, cfg, &mut fx);
        }
        self.fresh_diff(now, &mut fx);
        fx
    }

    /// A hub did not take a request (refused, unreachable, an error status).
    pub fn request_failed(
        &mut self,
        id: &str,
        mode: HubMode,
        error: &str,
        now: DateTime<Utc>,
    ) -> Effects {
        let mut fx = Effects::default();
        let name = self.subs.get(id).map(|s| self.name(s.source_id));
        if let (Some(s), Some(name)) = (self.subs.get_mut(id), name)
            && s.pending == Some(mode)
        {
            match mode {
                HubMode::Unsubscribe => {
                    tracing::warn!(source = %name, subscription = %id, hub = %s.hub, error = %error, "WebSub unsubscribe request failed; the hub's lease will lapse by itself");
                    self.subs.remove(id);
                    fx.delete.push(id.to_string());
                }
                HubMode::Subscribe if is_fresh(s, now) => {
                    s.pending = None;
                    s.failures += 1;
                    s.last_error = Some(error.to_string());
                    let retry = now + chrono_duration(backoff(s.failures));
                    s.next_at = Some(s.expires_at.map_or(retry, |e| e.min(retry)));
                    tracing::warn!(source = %name, subscription = %id, hub = %s.hub, error = %error, "WebSub renewal request failed; retrying before the lease ends");
                    fx.save.push(s.clone());
                }
                HubMode::Subscribe => {
                    fail(s, &name, error, now);
                    fx.save.push(s.clone());
                }
            }
        }
        self.fresh_diff(now, &mut fx);
        fx
    }

    /// A hub's verification of intent (`GET ?hub.mode=subscribe|unsubscribe`): accepted only
    /// for a request of that mode and topic awaiting verification.
    pub fn verify(
        &mut self,
        id: &str,
        mode: HubMode,
        topic: &str,
        lease_secs: Option<u64>,
        now: DateTime<Utc>,
        cfg: &WebSubConfig,
    ) -> Result<Effects, Refusal> {
        let name = match self.subs.get(id) {
            Some(s) => self.name(s.source_id),
            None => return Err(Refusal::Unknown),
        };
        let s = self.subs.get_mut(id).ok_or(Refusal::Unknown)?;
        if s.pending != Some(mode) || s.topic.as_str() != topic {
            return Err(Refusal::NotPending);
        }
        let mut fx = Effects::default();
        match mode {
            HubMode::Subscribe => {
                let lease = lease_secs
                    .filter(|l| *l > 0)
                    .unwrap_or(cfg.lease.as_secs())
                    .min(i32::MAX as u64);
                let expires = now + chrono::Duration::seconds(lease as i64);
                s.state = SubscriptionState::Verified;
                s.pending = None;
                s.lease_secs = Some(lease);
                s.expires_at = Some(expires);
                s.next_at = Some(renew_at(now, lease));
                s.failures = 0;
                s.last_error = None;
                tracing::info!(source = %name, subscription = %id, hub = %s.hub, lease_secs = lease, expires = %expires.to_rfc3339(), "WebSub subscription verified");
                fx.save.push(s.clone());
            }
            HubMode::Unsubscribe => {
                tracing::info!(source = %name, subscription = %id, hub = %s.hub, "WebSub unsubscription verified");
                self.subs.remove(id);
                fx.delete.push(id.to_string());
            }
        }
        self.fresh_diff(now, &mut fx);
        Ok(fx)
    }

    /// A hub's denial (`GET ?hub.mode=denied`) of the subscription `id` to `topic`: the source is
    /// polled as usual and the subscription asked for again after a day.
    pub fn deny(
        &mut self,
        id: &str,
        topic: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Effects, Refusal> {
        let name = match self.subs.get(id) {
            Some(s) => self.name(s.source_id),
            None => return Err(Refusal::Unknown),
        };
        let s = self.subs.get_mut(id).ok_or(Refusal::Unknown)?;
        if s.topic.as_str() != topic {
            return Err(Refusal::NotPending);
        }
        let mut fx = Effects::default();
        let reason: String = reason
            .unwrap_or("no reason given")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        if s.state == SubscriptionState::Unsubscribing {
            self.subs.remove(id);
            fx.delete.push(id.to_string());
        } else {
            s.state = SubscriptionState::Denied;
            s.pending = None;
            s.failures += 1;
            s.last_error = Some(format!("denied by the hub: {reason}"));
            s.next_at = Some(now + chrono_duration(MAX_RETRY));
            tracing::warn!(source = %name, subscription = %id, hub = %s.hub, reason = %reason, "WebSub subscription denied by the hub; polling at the normal interval");
            fx.save.push(s.clone());
        }
        self.fresh_diff(now, &mut fx);
        Ok(fx)
    }

    /// New subscriptions for announced hubs without one; those whose source is gone or whose
    /// hub or topic changed are retired.
    fn reconcile(&mut self, now: DateTime<Utc>, fx: &mut Effects) {
        let mut covered: HashSet<SourceId> = HashSet::new();
        let live: Vec<String> = self
            .subs
            .values()
            .filter(|s| s.state != SubscriptionState::Unsubscribing)
            .map(|s| s.id.clone())
            .collect();
        for id in live {
            let s = &self.subs[&id];
            let wanted = self.announced.get(&s.source_id).and_then(Option::as_ref);
            let current = wanted.is_some_and(|w| w.hub == s.hub && w.topic == s.topic);
            if current && covered.insert(s.source_id) {
                continue;
            }
            self.retire(&id, now, fx);
        }
        for (source_id, links) in &self.announced {
            let Some(links) = links else {
                continue;
            };
            if covered.contains(source_id) {
                continue;
            }
            let sub = Subscription {
                id: random_hex(16),
                source_id: *source_id,
                hub: links.hub.clone(),
                topic: links.topic.clone(),
                secret: random_hex(32),
                state: SubscriptionState::Requested,
                pending: None,
                requested_at: None,
                lease_secs: None,
                expires_at: None,
                next_at: Some(now),
                failures: 0,
                last_error: None,
            };
            fx.save.push(sub.clone());
            self.subs.insert(sub.id.clone(), sub);
        }
    }

    /// Unsubscribes `id` when the hub may hold it, else forgets it.
    fn retire(&mut self, id: &str, now: DateTime<Utc>, fx: &mut Effects) {
        let Some(s) = self.subs.get_mut(id) else {
            return;
        };
        let held = matches!(
            s.state,
            SubscriptionState::Verified | SubscriptionState::Requested
        ) && s.requested_at.is_some();
        if held {
            s.state = SubscriptionState::Unsubscribing;
            s.pending = None;
            s.requested_at = None;
            s.failures = 0;
            s.next_at = Some(now);
            fx.save.push(s.clone());
        } else {
            self.subs.remove(id);
            fx.delete.push(id.to_string());
        }
    }

    /// Acts on one due subscription.
    fn act(&mut self, id: &str, now: DateTime<Utc>, cfg: &WebSubConfig, fx: &mut Effects) {
        let Some(name) = self.subs.get(id).map(|s| self.name(s.source_id)) else {
            return;
        };
        let Some(s) = self.subs.get_mut(id) else {
            return;
        };
        let waited = cfg.verify_timeout;
        let send = |s: &mut Subscription, mode: HubMode, fx: &mut Effects| {
            s.pending = Some(mode);
            s.requested_at = Some(now);
            let deadline = now + chrono_duration(waited);
            s.next_at = Some(
                s.expires_at
                    .filter(|_| is_fresh(s, now))
                    .map_or(deadline, |e| e.min(deadline)),
            );
            fx.save.push(s.clone());
            fx.send.push((s.clone(), mode));
        };
        match (s.state, s.pending) {
            (SubscriptionState::Unsubscribing, None) => send(s, HubMode::Unsubscribe, fx),
            (SubscriptionState::Unsubscribing, Some(_)) => {
                tracing::info!(source = %name, subscription = %id, hub = %s.hub, "WebSub hub did not verify the unsubscription; forgetting it (its lease lapses by itself)");
                self.subs.remove(id);
                fx.delete.push(id.to_string());
            }
            (SubscriptionState::Verified, _) if !is_fresh(s, now) => {
                fail(s, &name, "the lease expired without renewal", now);
                fx.save.push(s.clone());
            }
            (SubscriptionState::Verified, Some(_)) => {
                s.pending = None;
                s.failures += 1;
                s.last_error = Some(format!(
                    "the hub did not verify the renewal within {}",
                    humantime::format_duration(waited)
                ));
                let retry = now + chrono_duration(backoff(s.failures));
                s.next_at = Some(s.expires_at.map_or(retry, |e| e.min(retry)));
                tracing::warn!(source = %name, subscription = %id, hub = %s.hub, "WebSub renewal not verified in time; retrying before the lease ends");
                fx.save.push(s.clone());
            }
            (SubscriptionState::Requested, Some(_)) => {
                let error = format!(
                    "the hub did not verify the subscription within {}",
                    humantime::format_duration(waited)
                );
                fail(s, &name, &error, now);
                fx.save.push(s.clone());
            }
            (SubscriptionState::Verified, None) => {
                tracing::debug!(source = %name, subscription = %id, hub = %s.hub, "renewing WebSub subscription");
                send(s, HubMode::Subscribe, fx);
            }
            (
                SubscriptionState::Requested
                | SubscriptionState::Failed
                | SubscriptionState::Denied,
                _,
            ) => {
                s.state = SubscriptionState::Requested;
                send(s, HubMode::Subscribe, fx);
            }
        }
    }

    /// Reports the sources whose freshness changed since the last report.
    fn fresh_diff(&mut self, now: DateTime<Utc>, fx: &mut Effects) {
        let after = self.fresh_sources(now);
        fx.fresh
            .extend(after.difference(&self.reported).map(|id| (*id, true)));
        fx.fresh
            .extend(self.reported.difference(&after).map(|id| (*id, false)));
        self.reported = after;
    }
}

/// Whether `s` is verified and within its lease.
fn is_fresh(s: &Subscription, now: DateTime<Utc>) -> bool {
    s.state == SubscriptionState::Verified && s.expires_at.is_some_and(|e| e > now)
}

/// Marks `s` failed: polled as usual, asked for again after a backoff.
fn fail(s: &mut Subscription, name: &str, error: &str, now: DateTime<Utc>) {
    s.state = SubscriptionState::Failed;
    s.pending = None;
    s.failures += 1;
    s.last_error = Some(error.to_string());
    let wait = backoff(s.failures);
    s.next_at = Some(now + chrono_duration(wait));
    tracing::warn!(source = %name, subscription = %s.id, hub = %s.hub, error = %error, retry_in = %humantime::format_duration(wait), "WebSub subscription failed; polling at the normal interval");
}

/// The wait after `failures` failures in a row: 5 min, doubled each time, at most a day.
pub fn backoff(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << exp).min(MAX_RETRY)
}

/// When a lease of `lease_secs` granted at `now` is renewed: a fifth of it before it ends (at
/// most a day before), so that a failed renewal has time for retries.
pub fn renew_at(now: DateTime<Utc>, lease_secs: u64) -> DateTime<Utc> {
    let lease = Duration::from_secs(lease_secs);
    let margin = (lease / 5).min(MAX_RENEW_MARGIN);
    now + chrono_duration(lease.saturating_sub(margin))
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// `bytes` random bytes from the system's source, as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the system's random source is available");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn cfg() -> WebSubConfig {
        WebSubConfig {
            public_url: Url::parse("https://briefs.example.org").unwrap(),
            safety_net_interval: None,
            lease: Duration::from_secs(864_000),
            verify_timeout: Duration::from_secs(300),
        }
    }

    fn links(hub: &str) -> Option<WebSubLinks> {
        Some(WebSubLinks {
            hub: Url::parse(hub).unwrap(),
            topic: Url::parse("https://news.example/feed.xml").unwrap(),
        })
    }

    fn announced(links: Option<WebSubLinks>) -> Vec<AnnouncedHub> {
        vec![AnnouncedHub {
            source_id: 1,
            name: "wire".into(),
            links,
        }]
    }

    /// A registry with one source that announced a hub, planned once: the subscription is asked for.
    fn subscribed() -> (Registry, String, DateTime<Utc>) {
        let mut r = Registry::new(Vec::new(), announced(links("https://hub.example/")));
        let now = Utc::now();
        let fx = r.plan(now, &cfg());
        assert_eq!(fx.send.len(), 1);
        let (sub, mode) = &fx.send[0];
        assert_eq!(*mode, HubMode::Subscribe);
        assert_eq!(
            sub.pending,
            Some(HubMode::Subscribe),
            "pending before it is sent"
        );
        assert_eq!(sub.secret.len(), 64);
        (r, sub.id.clone(), now)
    }

    #[test]
    fn an_announced_hub_is_subscribed_and_verified_with_its_lease() {
        let (mut r, id, now) = subscribed();
        let topic = "https://news.example/feed.xml";
        assert_eq!(
            r.verify(&id, HubMode::Unsubscribe, topic, None, now, &cfg())
                .unwrap_err(),
            Refusal::NotPending
        );
        assert_eq!(
            r.verify(
                &id,
                HubMode::Subscribe,
                "https://other.example/",
                None,
                now,
                &cfg()
            )
            .unwrap_err(),
            Refusal::NotPending
        );
        assert_eq!(
            r.verify("nope", HubMode::Subscribe, topic, None, now, &cfg())
                .unwrap_err(),
            Refusal::Unknown
        );
        let fx = r
            .verify(&id, HubMode::Subscribe, topic, Some(1000), now, &cfg())
            .unwrap();
        assert_eq!(fx.fresh, vec![(1, true)]);
        let s = r.get(&id).unwrap();
        assert_eq!(s.state, SubscriptionState::Verified);
        assert_eq!(s.expires_at, Some(now + chrono::Duration::seconds(1000)));
        assert_eq!(s.next_at, Some(now + chrono::Duration::seconds(800)));
        // A second verification without a request pending is refused.
        assert!(
            r.verify(&id, HubMode::Subscribe, topic, None, now, &cfg())
                .is_err()
        );
        // Nothing is due until the renewal.
        assert!(
            r.plan(now + chrono::Duration::seconds(799), &cfg())
                .send
                .is_empty()
        );
        let fx = r.plan(now + chrono::Duration::seconds(800), &cfg());
        assert_eq!(fx.send.len(), 1, "renewal");
        assert!(fx.fresh.is_empty(), "still fresh while renewing");
    }

    #[test]
    fn an_unverified_request_times_out_and_a_lapsed_lease_falls_back_to_polling() {
        let (mut r, id, now) = subscribed();
        let fx = r.plan(now + chrono::Duration::seconds(301), &cfg());
        assert!(fx.send.is_empty());
        let s = r.get(&id).unwrap();
        assert_eq!(s.state, SubscriptionState::Failed);
        assert!(s.last_error.as_deref().unwrap().contains("did not verify"));
        assert_eq!(
            s.next_at,
            Some(now + chrono::Duration::seconds(301 + 300)),
            "retried after the first backoff"
        );
        // Retried, verified with a short lease, renewal never verified: the lease lapses.
        let later = now + chrono::Duration::seconds(601);
        assert_eq!(r.plan(later, &cfg()).send.len(), 1);
        let topic = "https://news.example/feed.xml";
        r.verify(&id, HubMode::Subscribe, topic, Some(10), later, &cfg())
            .unwrap();
        assert_eq!(
            r.plan(later + chrono::Duration::seconds(8), &cfg())
                .send
                .len(),
            1
        );
        let fx = r.plan(later + chrono::Duration::seconds(10), &cfg());
        assert_eq!(fx.fresh, vec![(1, false)]);
        assert_eq!(r.get(&id).unwrap().state, SubscriptionState::Failed);
    }

    #[test]
    fn a_refused_request_and_a_denial_fall_back_to_polling() {
        let (mut r, id, now) = subscribed();
        let fx = r.request_failed(&id, HubMode::Subscribe, "HTTP 500", now);
        assert_eq!(fx.save.len(), 1);
        assert_eq!(r.get(&id).unwrap().state, SubscriptionState::Failed);
        let (mut r, id, now) = subscribed();
        let topic = "https://news.example/feed.xml";
        r.verify(&id, HubMode::Subscribe, topic, None, now, &cfg())
            .unwrap();
        let fx = r.deny(&id, topic, Some("spam\u{1b}[31m"), now).unwrap();
        assert_eq!(fx.fresh, vec![(1, false)]);
        let s = r.get(&id).unwrap();
        assert_eq!(s.state, SubscriptionState::Denied);
        assert!(!s.last_error.as_deref().unwrap().contains('\u{1b}'));
        assert_eq!(s.next_at, Some(now + chrono::Duration::days(1)));
    }

    #[test]
    fn a_removed_source_or_a_changed_hub_is_unsubscribed() {
        let (mut r, id, now) = subscribed();
        let topic = "https://news.example/feed.xml";
        r.verify(&id, HubMode::Subscribe, topic, None, now, &cfg())
            .unwrap();
        r.announce(1, links("https://new-hub.example/"));
        let fx = r.plan(now, &cfg());
        let modes: Vec<_> = fx
            .send
            .iter()
            .map(|(s, m)| (s.hub.as_str().to_string(), *m))
            .collect();
        assert!(
            modes.contains(&("https://hub.example/".into(), HubMode::Unsubscribe)),
            "{modes:?}"
        );
        assert!(
            modes.contains(&("https://new-hub.example/".into(), HubMode::Subscribe)),
            "{modes:?}"
        );
        assert_eq!(fx.fresh, vec![(1, false)]);
        r.verify(&id, HubMode::Unsubscribe, topic, None, now, &cfg())
            .unwrap();
        assert!(r.get(&id).is_none());
        // The source leaves the config: the new subscription, only requested, is unsubscribed too.
        r.set_announced(Vec::new());
        let fx = r.plan(now, &cfg());
        assert_eq!(fx.send.len(), 1);
        assert_eq!(fx.send[0].1, HubMode::Unsubscribe);
    }

    #[test]
    fn renewal_comes_a_fifth_of_the_lease_early_at_most_a_day() {
        let now = Utc::now();
        assert_eq!(renew_at(now, 10), now + chrono::Duration::seconds(8));
        assert_eq!(renew_at(now, 10 * 86_400), now + chrono::Duration::days(9));
        assert_eq!(backoff(1), Duration::from_secs(300));
        assert_eq!(backoff(2), Duration::from_secs(600));
        assert_eq!(backoff(40), MAX_RETRY);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
