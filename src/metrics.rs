//! The process's Prometheus metrics: one registry, counted where things happen (polls, briefs
//! stored, topics assigned, deliveries, digest runs, fetch latency) and, for what the database
//! knows better (outbox depth, oldest pending delivery, last success per source), set from the
//! store just before each scrape. Encodes the text format; serves nothing (see `server`).

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a per-source counter with an outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceOutcome {
    /// The source's name.
    pub source: String,
    /// `fetched`, `not_modified` or `failed`.
    pub outcome: &'static str,
}

/// Labels of the WebSub pushes counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PushOutcome {
    /// The source's name.
    pub source: String,
    /// `stored` (read and stored), `failed` (unreadable or not stored) or `rejected` (bad or
    /// missing signature, or an inactive subscription: ignored).
    pub outcome: &'static str,
}

/// Labels of a per-source series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    /// The source's name.
    pub source: String,
}

/// Labels of the topics counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TopicLabel {
    /// The topic's id.
    pub topic: String,
}

/// Labels of the deliveries counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryOutcome {
    /// The destination's name.
    pub destination: String,
    /// `delivered`, `retry`, `failed` or `disabled`.
    pub outcome: &'static str,
}

/// Labels of the digest runs counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DigestOutcome {
    /// The digest's name.
    pub digest: String,
    /// `sent`, `empty`, `retry` or `failed`.
    pub outcome: &'static str,
}

/// Every metric briefwatch exports.
pub struct Metrics {
    registry: Registry,
    /// Polls by source and outcome.
    pub polls: Family<SourceOutcome, Counter>,
    /// Briefs stored, by source.
    pub briefs_stored: Family<SourceLabel, Counter>,
    /// Topic tags given to stored briefs, by topic.
    pub topics_assigned: Family<TopicLabel, Counter>,
    /// Delivery attempts by destination and outcome.
    pub deliveries: Family<DeliveryOutcome, Counter>,
    /// Digest attempts by digest and outcome.
    pub digest_runs: Family<DigestOutcome, Counter>,
    /// How long a poll took (fetch, parse, process, store), in seconds.
    pub poll_seconds: Histogram,
    /// Deliveries waiting to be sent (pending or in flight), set at scrape time.
    pub outbox_depth: Gauge,
    /// Age of the oldest waiting delivery in seconds (0 when none), set at scrape time.
    pub oldest_pending_seconds: Gauge,
    /// Seconds since each source last answered successfully, set at scrape time.
    pub last_success_age: Family<SourceLabel, Gauge>,
    /// Sources configured and enabled, set at scrape time.
    pub sources: Gauge,
    /// Content pushed by WebSub hubs, by source and outcome.
    pub websub_pushes: Family<PushOutcome, Counter>,
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("briefwatch");
        let m = Metrics {
            polls: Family::default(),
            briefs_stored: Family::default(),
            topics_assigned: Family::default(),
            deliveries: Family::default(),
            digest_runs: Family::default(),
            // 10 ms to about 80 s.
            poll_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            outbox_depth: Gauge::default(),
            oldest_pending_seconds: Gauge::default(),
            last_success_age: Family::default(),
            sources: Gauge::default(),
            websub_pushes: Family::default(),
            registry: Registry::default(),
        };
        registry.register("polls", "Polls of sources by outcome", m.polls.clone());
        registry.register(
            "briefs_stored",
            "Briefs stored, by source",
            m.briefs_stored.clone(),
        );
        registry.register(
            "topics_assigned",
            "Topic tags given to stored briefs, by topic",
            m.topics_assigned.clone(),
        );
        registry.register(
            "deliveries",
            "Alert delivery attempts by destination and outcome",
            m.deliveries.clone(),
        );
        registry.register(
            "digest_runs",
            "Digest attempts by digest and outcome",
            m.digest_runs.clone(),
        );
        registry.register(
            "poll_duration_seconds",
            "Time to poll one source: fetch, parse, classify and store",
            m.poll_seconds.clone(),
        );
        registry.register(
            "outbox_depth",
            "Alert deliveries waiting to be sent or in flight",
            m.outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest waiting alert delivery (0 when none)",
            m.oldest_pending_seconds.clone(),
        );
        registry.register(
            "source_last_success_age_seconds",
            "Seconds since each source last answered successfully",
            m.last_success_age.clone(),
        );
        registry.register("sources", "Enabled sources", m.sources.clone());
        registry.register(
            "websub_pushes",
            "Content pushed by WebSub hubs, by source and outcome",
            m.websub_pushes.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The metrics in the Prometheus text format (version 0.0.4 / OpenMetrics text).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts one poll of `source`.
    pub fn poll(&self, source: &str, outcome: &'static str, seconds: f64, stored: usize) {
        self.polls
            .get_or_create(&SourceOutcome {
                source: source.to_owned(),
                outcome,
            })
            .inc();
        self.poll_seconds.observe(seconds);
        if stored > 0 {
            self.briefs_stored
                .get_or_create(&SourceLabel {
                    source: source.to_owned(),
                })
                .inc_by(stored as u64);
        }
    }

    /// Counts one WebSub push for `source` and the briefs it stored.
    pub fn push(&self, source: &str, outcome: &'static str, stored: usize) {
        self.websub_pushes
            .get_or_create(&PushOutcome {
                source: source.to_owned(),
                outcome,
            })
            .inc();
        if stored > 0 {
            self.briefs_stored
                .get_or_create(&SourceLabel {
                    source: source.to_owned(),
                })
                .inc_by(stored as u64);
        }
    }

    /// Counts the topics of a stored brief.
    pub fn topics<'a>(&self, topics: impl IntoIterator<Item = &'a str>) {
        for t in topics {
            self.topics_assigned
                .get_or_create(&TopicLabel {
                    topic: t.to_owned(),
                })
                .inc();
        }
    }

    /// Counts one delivery attempt.
    pub fn delivery(&self, destination: &str, outcome: &'static str) {
        self.deliveries
            .get_or_create(&DeliveryOutcome {
                destination: destination.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Counts one digest attempt.
    pub fn digest(&self, digest: &str, outcome: &'static str) {
        self.digest_runs
            .get_or_create(&DigestOutcome {
                digest: digest.to_owned(),
                outcome,
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_events_appear_in_the_text_format() {
        let m = Metrics::new();
        m.poll("un-news", "fetched", 0.2, 3);
        m.topics(["ceasefire", "ceasefire"]);
        m.delivery("ops", "delivered");
        m.digest("morning", "sent");
        m.push("un-news", "rejected", 0);
        m.outbox_depth.set(4);
        let text = m.encode();
        for line in [
            "briefwatch_polls_total{source=\"un-news\",outcome=\"fetched\"} 1",
            "briefwatch_briefs_stored_total{source=\"un-news\"} 3",
            "briefwatch_topics_assigned_total{topic=\"ceasefire\"} 2",
            "briefwatch_deliveries_total{destination=\"ops\",outcome=\"delivered\"} 1",
            "briefwatch_digest_runs_total{digest=\"morning\",outcome=\"sent\"} 1",
            "briefwatch_outbox_depth 4",
            "briefwatch_websub_pushes_total{source=\"un-news\",outcome=\"rejected\"} 1",
            "briefwatch_poll_duration_seconds_count 1",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }
}
