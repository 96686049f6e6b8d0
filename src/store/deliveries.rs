//! The alert outbox: delivery rows written in the transaction that stores the brief that triggers
//! them, claimed by the dispatcher under a lease and a claim token, then finished as delivered,
//! retried later, held over a rule's throttle, merged into a summary, or failed. Sends nothing.
//!
//! Each row's id (the `webhook-id` receivers see) is fixed when the row is written, so a retry or a
//! restart resends under the same id; `alerted` makes a story alert once per (rule, destination)
//! and again only when a later brief of it matches a topic that was not alerted yet.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Context, Store, StoreError, from_ms, query_all, to_ms};
use crate::model::{Brief, BriefId, EntityTag, StoredBrief, TopicTag};
use crate::store::Appearance;
use crate::transforms::route::{NewBriefView, Route, route};

/// What a delivery row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// One brief that matched a rule.
    Alert,
    /// Alerts held over a rule's throttle, merged into one message.
    Summary,
    /// `alerts test DEST`: a clearly marked test message.
    Test,
}

impl DeliveryKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Alert => "alert",
            DeliveryKind::Summary => "summary",
            DeliveryKind::Test => "test",
        }
    }

    fn parse(s: &str) -> DeliveryKind {
        match s {
            "summary" => DeliveryKind::Summary,
            "test" => DeliveryKind::Test,
            _ => DeliveryKind::Alert,
        }
    }
}

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The delivery id (`webhook-id`).
    pub id: String,
    /// What it carries.
    pub kind: DeliveryKind,
    /// The rule that produced it (`test` for test messages).
    pub rule: String,
    /// Where it goes.
    pub destination: String,
    /// The brief it is about (alerts).
    pub brief_id: Option<BriefId>,
    /// The story it is about (alerts).
    pub story_id: Option<i64>,
    /// The rule's topics the brief matched.
    pub topics: Vec<String>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The claim token: finishing the delivery needs it, so a stale claim cannot overwrite a newer one.
    pub token: String,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The receiver accepted it (2xx).
    Delivered {
        /// The status.
        status: u16,
    },
    /// Try again at `at` (5xx, 429, a timeout, a connection error).
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// The status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// Given up: dead letter (the last retry failed, or the receiver refused it with a 4xx).
    Failed {
        /// The status, when the receiver answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// The destination answered 410 Gone: it is disabled and this delivery waits with the others
    /// until `alerts enable`.
    DestinationGone {
        /// What the receiver said.
        error: String,
    },
    /// Over the rule's throttle: held for the next summary.
    Held,
}

/// A delivery as `alerts list` shows it.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    /// The delivery id.
    pub id: String,
    /// What it carries.
    pub kind: DeliveryKind,
    /// The rule.
    pub rule: String,
    /// The destination.
    pub destination: String,
    /// The brief (alerts).
    pub brief_id: Option<BriefId>,
    /// The brief's title, while it is stored.
    pub title: Option<String>,
    /// The story (alerts).
    pub story_id: Option<i64>,
    /// Matched topics.
    pub topics: Vec<String>,
    /// `pending`, `sending`, `delivered`, `held`, `merged` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it is next due (pending ones).
    pub next_at: DateTime<Utc>,
    /// The last HTTP status.
    pub last_status: Option<u16>,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The summary it was merged into.
    pub merged_into: Option<String>,
    /// Whether its destination is disabled (after a 410).
    pub destination_disabled: bool,
}

/// Everything an alert message says about its brief, read in one go.
#[derive(Debug, Clone)]
pub struct AlertContent {
    /// The brief.
    pub brief: StoredBrief,
    /// Other places its story appeared.
    pub also: Vec<Appearance>,
    /// Its topics with evidence.
    pub topics: Vec<TopicTag>,
    /// Entities it names.
    pub entities: Vec<EntityTag>,
}

/// The alert rules the writer routes new briefs through, and whom to wake when it queues deliveries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outbox {
    routes: Arc<Vec<Route>>,
    wake: Option<Arc<tokio::sync::Notify>>,
}

fn now_ms() -> i64 {
    to_ms(Utc::now())
}

/// A fresh delivery id: `msg_` and a time-ordered UUID (v7), as Standard Webhooks ids look.
pub fn new_delivery_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// The `alerted` key of (rule, destination, topic).
fn alerted_key(rule: &str, destination: &str, topic: &str) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [rule, destination, topic] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.digest() as i64
}

/// The most outbox rows one brief may queue. Rules and destinations come from the config, not the
/// feed, but a brief that matches every rule of a large config must not flood the outbox: past this
/// number its further deliveries are skipped with a warning.
pub const MAX_DELIVERIES_PER_BRIEF: usize = 100;

/// Writes the outbox rows a new brief triggers, inside the transaction that inserts it. Returns how
/// many were written (at most [`MAX_DELIVERIES_PER_BRIEF`]).
pub(super) fn fan_out(
    tx: &Connection,
    outbox: &Outbox,
    brief_id: BriefId,
    source: &str,
    story_id: i64,
    b: &Brief,
) -> Result<usize, StoreError> {
    if outbox.routes.is_empty() {
        return Ok(0);
    }
    let op = "queueing alerts";
    let view = NewBriefView {
        source,
        title: &b.title,
        text: &b.text,
        topics: &b.topics,
        entities: &b.entities,
    };
    let now = now_ms();
    let mut written = 0;
    for m in route(&outbox.routes, &view) {
        let keys: Vec<&str> = if m.topics.is_empty() {
            vec![""]
        } else {
            m.topics.clone()
        };
        for dest in &m.rule.destinations {
            if written >= MAX_DELIVERIES_PER_BRIEF {
                tracing::warn!(
                    brief_id,
                    source,
                    rule = %m.rule.name,
                    destination = %dest,
                    max = MAX_DELIVERIES_PER_BRIEF,
                    "brief matched more deliveries than one brief may queue; this one is skipped"
                );
                continue;
            }
            let id = new_delivery_id();
            let mut fresh = 0;
            for topic in &keys {
                fresh += tx
                    .prepare_cached("INSERT OR IGNORE INTO alerted (story_id, key) VALUES (?1, ?2)")
                    .ctx(op)?
                    .execute(params![story_id, alerted_key(&m.rule.name, dest, topic)])
                    .ctx(op)?;
            }
            if fresh == 0 {
                continue;
            }
            tx.prepare_cached(
                "INSERT INTO deliveries (id, kind, rule, destination, story_id, brief_id, topics, state,
                     next_at, created_at, updated_at)
                 VALUES (?1, 'alert', ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, ?7)",
            )
            .ctx(op)?
            .execute(params![
                id,
                m.rule.name,
                dest,
                story_id,
                brief_id,
                m.topics.join(","),
                now
            ])
            .ctx(op)?;
            written += 1;
        }
    }
    Ok(written)
}

impl Outbox {
    /// Whether any rule is configured.
    pub(super) fn is_active(&self) -> bool {
        !self.routes.is_empty()
    }

    /// Tells the dispatcher that committed deliveries are waiting.
    pub(super) fn wake(&self) {
        if let Some(w) = &self.wake {
            w.notify_one();
        }
    }
}

const CLAIMED_COLUMNS: &str =
    "id, kind, rule, destination, brief_id, story_id, topics, attempts, lease_token, created_at";

fn claimed_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claimed> {
    Ok(Claimed {
        id: r.get(0)?,
        kind: DeliveryKind::parse(&r.get::<_, String>(1)?),
        rule: r.get(2)?,
        destination: r.get(3)?,
        brief_id: r.get(4)?,
        story_id: r.get(5)?,
        topics: split_topics(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        token: r.get(8)?,
        created_at: from_ms(r.get(9)?),
    })
}

fn split_topics(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The columns an attempt's outcome sets (`None`: left as they are, except `delivered_at`).
struct RowUpdate<'a> {
    state: &'static str,
    next_at: Option<i64>,
    status: Option<u16>,
    error: Option<&'a str>,
    delivered_at: Option<i64>,
    /// Attempts to add: 1, or 0 for a hold (nothing was sent).
    attempt: i64,
}

impl<'a> RowUpdate<'a> {
    fn of(how: &'a Finish, now: i64) -> RowUpdate<'a> {
        let u = |state, next_at, status, error| RowUpdate {
            state,
            next_at,
            status,
            error,
            delivered_at: None,
            attempt: 1,
        };
        match how {
            Finish::Delivered { status } => RowUpdate {
                delivered_at: Some(now),
                ..u("delivered", None, Some(*status), None)
            },
            Finish::Retry { at, status, error } => {
                u("pending", Some(at.timestamp_millis()), *status, Some(error))
            }
            Finish::Failed { status, error } => u("failed", None, *status, Some(error)),
            Finish::DestinationGone { error } => u("pending", Some(now), Some(410), Some(error)),
            Finish::Held => RowUpdate {
                attempt: 0,
                ..u("held", None, None, None)
            },
        }
    }
}

/// Rows whose destination is disabled are left alone by claims and `next_due`.
const ENABLED: &str = "destination NOT IN (SELECT name FROM destination_state)";

impl Store {
    /// Sets the alert rules that new briefs are routed through (config load and reload).
    pub fn set_alert_routes(&mut self, routes: Vec<Route>) {
        self.outbox.routes = Arc::new(routes);
    }

    /// Who to wake (the dispatcher) whenever a commit queues deliveries.
    pub fn set_delivery_wake(&mut self, wake: Arc<tokio::sync::Notify>) {
        self.outbox.wake = Some(wake);
    }

    /// Makes deliveries a previous process was sending due again (at startup: that process is gone,
    /// and whether its request arrived is unknown, so it is sent again under the same id).
    pub fn release_leases(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE deliveries SET state = 'pending', lease_until = NULL, lease_token = NULL,
                     updated_at = ?1
                 WHERE state = 'sending'",
                [now_ms()],
            )
            .ctx("releasing delivery leases")
    }

    /// Claims up to `limit` due deliveries for `lease` (also those whose lease ran out), each under a
    /// new claim token.
    pub fn claim_due(
        &mut self,
        limit: usize,
        lease: std::time::Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let op = "claiming deliveries";
        let now = now_ms();
        let until = now + lease.as_millis() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let ids: Vec<String> = {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "SELECT id FROM (
                         SELECT id, next_at AS due FROM deliveries
                          WHERE state = 'pending' AND next_at <= ?1 AND {ENABLED}
                         UNION ALL
                         SELECT id, lease_until AS due FROM deliveries
                          WHERE state = 'sending' AND lease_until <= ?1 AND {ENABLED})
                     ORDER BY due, id LIMIT ?2"
                ))
                .ctx(op)?;
            stmt.query_map(params![now, limit as i64], |r| r.get(0))
                .ctx(op)?
                .collect::<Result<_, _>>()
                .ctx(op)?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let token = uuid::Uuid::now_v7().simple().to_string();
            let c = tx
                .prepare_cached(&format!(
                    "UPDATE deliveries SET state = 'sending', lease_until = ?2, lease_token = ?3,
                         updated_at = ?4
                     WHERE id = ?1 RETURNING {CLAIMED_COLUMNS}"
                ))
                .ctx(op)?
                .query_row(params![id, until, token, now], claimed_from_row)
                .ctx(op)?;
            out.push(c);
        }
        tx.commit().ctx(op)?;
        Ok(out)
    }

    /// When the next delivery falls due (a pending one, or a lease that runs out), if any.
    pub fn next_delivery_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = self
            .conn
            .query_row(
                &format!(
                    "SELECT min(due) FROM (
                         SELECT min(next_at) AS due FROM deliveries
                          WHERE state = 'pending' AND {ENABLED}
                         UNION ALL
                         SELECT min(lease_until) FROM deliveries WHERE state = 'sending')"
                ),
                [],
                |r| r.get(0),
            )
            .ctx("looking for due deliveries")?;
        Ok(at.map(from_ms))
    }

    /// Records how an attempt ended. Returns false (and changes nothing) when `token` no longer
    /// holds the claim.
    pub fn finish_delivery(
        &mut self,
        id: &str,
        token: &str,
        how: &Finish,
    ) -> Result<bool, StoreError> {
        let op = "recording a delivery attempt";
        let now = now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let u = RowUpdate::of(how, now);
        let changed = tx
            .execute(
                "UPDATE deliveries SET state = ?3, next_at = coalesce(?4, next_at),
                     last_status = coalesce(?5, last_status), last_error = coalesce(?6, last_error),
                     delivered_at = ?7, attempts = attempts + ?8, lease_until = NULL,
                     lease_token = NULL, updated_at = ?9
                 WHERE id = ?1 AND lease_token = ?2",
                params![
                    id,
                    token,
                    u.state,
                    u.next_at,
                    u.status,
                    u.error,
                    u.delivered_at,
                    u.attempt,
                    now
                ],
            )
            .ctx(op)?;
        if changed == 1
            && let Finish::DestinationGone { error } = how
        {
            tx.execute(
                "INSERT OR IGNORE INTO destination_state (name, disabled_at, reason)
                 SELECT destination, ?2, ?3 FROM deliveries WHERE id = ?1",
                params![id, now, error],
            )
            .ctx(op)?;
        }
        tx.commit().ctx(op)?;
        Ok(changed == 1)
    }

    /// Messages of `rule` to `destination` sent (or being sent) since `since`: what its throttle counts.
    pub fn sent_since(
        &self,
        rule: &str,
        destination: &str,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT (SELECT count(*) FROM deliveries
                          WHERE state = 'delivered' AND rule = ?1 AND destination = ?2
                            AND delivered_at >= ?3 AND kind <> 'test')
                      + (SELECT count(*) FROM deliveries
                          WHERE state = 'sending' AND rule = ?1 AND destination = ?2
                            AND kind <> 'test')",
            )
            .ctx("counting sent deliveries")?
            .query_row(params![rule, destination, since.timestamp_millis()], |r| {
                r.get(0)
            })
            .ctx("counting sent deliveries")
    }

    /// The (rule, destination) pairs with held alerts, and the oldest hold of each.
    pub fn held_groups(&self) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
        query_all(
            &self.conn,
            "listing held alerts",
            "SELECT rule, destination, min(updated_at) FROM deliveries WHERE state = 'held'
             GROUP BY rule, destination",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, from_ms(r.get(2)?))),
        )
    }

    /// Merges every held alert of `rule` to `destination` into one new summary delivery, due now;
    /// returns its id (`None` when nothing was held).
    pub fn merge_held(
        &mut self,
        rule: &str,
        destination: &str,
    ) -> Result<Option<String>, StoreError> {
        let op = "merging held alerts";
        let now = now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let id = new_delivery_id();
        let merged = tx
            .execute(
                "UPDATE deliveries SET state = 'merged', merged_into = ?3, updated_at = ?4
                 WHERE state = 'held' AND rule = ?1 AND destination = ?2",
                params![rule, destination, id, now],
            )
            .ctx(op)?;
        if merged == 0 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO deliveries (id, kind, rule, destination, state, next_at, created_at, updated_at)
             VALUES (?1, 'summary', ?2, ?3, 'pending', ?4, ?4, ?4)",
            params![id, rule, destination, now],
        )
        .ctx(op)?;
        tx.commit().ctx(op)?;
        Ok(Some(id))
    }

    /// The briefs merged into summary `id`, oldest first: (brief id, matched topics).
    pub fn merged_briefs(&self, id: &str) -> Result<Vec<(BriefId, Vec<String>)>, StoreError> {
        query_all(
            &self.conn,
            "reading a summary",
            "SELECT brief_id, topics FROM deliveries WHERE merged_into = ?1 AND brief_id IS NOT NULL
             ORDER BY created_at, id",
            [id],
            |r| Ok((r.get(0)?, split_topics(&r.get::<_, String>(1)?))),
        )
    }

    /// Queues a test message to `destination`, due now; returns its id.
    pub fn enqueue_test(&mut self, destination: &str) -> Result<String, StoreError> {
        let id = new_delivery_id();
        let now = now_ms();
        self.conn
            .execute(
                "INSERT INTO deliveries (id, kind, rule, destination, state, next_at, created_at, updated_at)
                 VALUES (?1, 'test', 'test', ?2, 'pending', ?3, ?3, ?3)",
                params![id, destination, now],
            )
            .ctx("queueing a test message")?;
        Ok(id)
    }

    /// The state of one delivery.
    pub fn delivery(&self, id: &str) -> Result<DeliveryRecord, StoreError> {
        self.list_deliveries_where("d.id = ?1", params![id])?
            .pop()
            .ok_or_else(|| StoreError::NotFound {
                what: format!("delivery {id}"),
            })
    }

    /// Deliveries, newest first: all, or only failed ones and those waiting on a disabled destination.
    pub fn list_deliveries(
        &self,
        failed_only: bool,
        limit: Option<u64>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        if failed_only {
            self.list_deliveries_where(
                "(d.state = 'failed' OR (d.state = 'pending' AND ds.name IS NOT NULL))
                 ORDER BY d.created_at DESC, d.id DESC LIMIT ?1",
                params![limit],
            )
        } else {
            self.list_deliveries_where(
                "1 ORDER BY d.created_at DESC, d.id DESC LIMIT ?1",
                params![limit],
            )
        }
    }

    fn list_deliveries_where(
        &self,
        clause: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.kind, d.rule, d.destination, d.brief_id, b.title, d.story_id, d.topics,
                 d.state, d.attempts, d.next_at, d.last_status, d.last_error, d.created_at,
                 d.delivered_at, d.merged_into, ds.name IS NOT NULL
             FROM deliveries d LEFT JOIN briefs b ON b.id = d.brief_id
               LEFT JOIN destination_state ds ON ds.name = d.destination
             WHERE {clause}"
        );
        query_all(&self.conn, "listing deliveries", &sql, p, |r| {
            Ok(DeliveryRecord {
                id: r.get(0)?,
                kind: DeliveryKind::parse(&r.get::<_, String>(1)?),
                rule: r.get(2)?,
                destination: r.get(3)?,
                brief_id: r.get(4)?,
                title: r.get(5)?,
                story_id: r.get(6)?,
                topics: split_topics(&r.get::<_, String>(7)?),
                state: r.get(8)?,
                attempts: r.get(9)?,
                next_at: from_ms(r.get(10)?),
                last_status: r.get(11)?,
                last_error: r.get(12)?,
                created_at: from_ms(r.get(13)?),
                delivered_at: r.get::<_, Option<i64>>(14)?.map(from_ms),
                merged_into: r.get(15)?,
                destination_disabled: r.get(16)?,
            })
        })
    }

    /// Sends a failed (or held) delivery again, now, under its own id.
    pub fn retry_delivery(&mut self, id: &str) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE deliveries SET state = 'pending', next_at = ?2, attempts = 0, updated_at = ?2
                 WHERE id = ?1 AND state IN ('failed', 'held', 'pending')",
                params![id, now_ms()],
            )
            .ctx("retrying a delivery")?;
        if changed == 0 {
            let d = self.delivery(id)?;
            return Err(StoreError::Conflict {
                what: format!("delivery {id} is {}, not failed", d.state),
            });
        }
        Ok(())
    }

    /// Destinations disabled after a 410: (name, when, why).
    pub fn disabled_destinations(
        &self,
    ) -> Result<Vec<(String, DateTime<Utc>, String)>, StoreError> {
        query_all(
            &self.conn,
            "listing disabled destinations",
            "SELECT name, disabled_at, reason FROM destination_state ORDER BY name",
            [],
            |r| Ok((r.get(0)?, from_ms(r.get(1)?), r.get(2)?)),
        )
    }

    /// Enables a destination disabled after a 410; its waiting deliveries are due now. Returns
    /// whether it was disabled.
    pub fn enable_destination(&mut self, name: &str) -> Result<bool, StoreError> {
        let op = "enabling a destination";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let was = tx
            .execute("DELETE FROM destination_state WHERE name = ?1", [name])
            .ctx(op)?;
        tx.execute(
            "UPDATE deliveries SET next_at = ?2 WHERE destination = ?1 AND state = 'pending'",
            params![name, now_ms()],
        )
        .ctx(op)?;
        tx.commit().ctx(op)?;
        Ok(was == 1)
    }

    /// Everything an alert about brief `id` says; `None` when the brief was deleted since.
    pub fn alert_content(&self, id: BriefId) -> Result<Option<AlertContent>, StoreError> {
        let brief = match self.get_brief(id) {
            Ok(b) => b,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(AlertContent {
            also: self.story_appearances(id)?,
            topics: self.brief_topics(id)?,
            entities: self.brief_entities(id)?,
            brief,
        }))
    }

    /// A source's name by id, for routing.
    pub(super) fn source_name(conn: &Connection, id: i64) -> Result<String, StoreError> {
        conn.prepare_cached("SELECT name FROM sources WHERE id = ?1")
            .ctx("reading a source name")?
            .query_row([id], |r| r.get(0))
            .optional()
            .ctx("reading a source name")
            .map(Option::unwrap_or_default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlertRule;

    fn brief(topics: &[&str]) -> Brief {
        Brief {
            guid: "g".into(),
            url: None,
            canonical_url: None,
            title: "Title".into(),
            text: "Text".into(),
            html: None,
            author: None,
            published: None,
            updated: None,
            content_hash: 0,
            signature: None,
            topics: topics
                .iter()
                .map(|t| TopicTag {
                    topic: (*t).into(),
                    score: 0.9,
                    evidence: "[]".into(),
                })
                .collect(),
            entities: Vec::new(),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let rule = AlertRule {
            name: "watch".into(),
            topics: vec!["ceasefire".into(), "sanctions".into()],
            all_topics: false,
            min_score: 0.5,
            sources: Vec::new(),
            entities: Vec::new(),
            query: None,
            destinations: vec!["ops".into(), "chat".into()],
            throttle: None,
        };
        store.set_alert_routes(vec![Route::new(rule).unwrap()]);
        (dir, store)
    }

    fn fan(store: &mut Store, brief_id: BriefId, story: i64, b: &Brief) -> usize {
        let outbox = store.outbox.clone();
        let tx = store.conn.transaction().unwrap();
        let n = fan_out(&tx, &outbox, brief_id, "wire", story, b).unwrap();
        tx.commit().unwrap();
        n
    }

    #[test]
    fn one_brief_queues_at_most_the_cap_of_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let destinations: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
        let routes = (0..5)
            .map(|r| {
                Route::new(AlertRule {
                    name: format!("rule{r}"),
                    topics: vec!["ceasefire".into()],
                    all_topics: false,
                    min_score: 0.5,
                    sources: Vec::new(),
                    entities: Vec::new(),
                    query: None,
                    destinations: destinations.clone(),
                    throttle: None,
                })
                .unwrap()
            })
            .collect();
        store.set_alert_routes(routes);
        assert_eq!(
            fan(&mut store, 1, 10, &brief(&["ceasefire"])),
            MAX_DELIVERIES_PER_BRIEF,
            "5 rules x 30 destinations, capped"
        );
    }

    #[test]
    fn a_story_alerts_once_per_destination_and_again_only_for_a_new_topic() {
        let (_dir, mut store) = store();
        assert_eq!(
            fan(&mut store, 1, 10, &brief(&["ceasefire"])),
            2,
            "one per destination"
        );
        assert_eq!(
            fan(&mut store, 2, 10, &brief(&["ceasefire"])),
            0,
            "another brief of the story, same topic: nothing"
        );
        assert_eq!(
            fan(&mut store, 3, 10, &brief(&["ceasefire", "sanctions"])),
            2,
            "the story gained a matching topic"
        );
        assert_eq!(
            fan(&mut store, 4, 11, &brief(&["elections"])),
            0,
            "no match"
        );
        let all = store.list_deliveries(false, None).unwrap();
        assert_eq!(all.len(), 4);
        let ids: std::collections::HashSet<&str> = all.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), 4, "every delivery has its own id");
    }

    #[test]
    fn a_stale_claim_cannot_finish_and_leases_are_released_at_start() {
        let (_dir, mut store) = store();
        assert_eq!(store.next_delivery_due().unwrap(), None);
        fan(&mut store, 1, 10, &brief(&["ceasefire"]));
        assert!(
            store.next_delivery_due().unwrap().unwrap() <= Utc::now(),
            "pending rows are due now"
        );
        let claimed = store
            .claim_due(10, std::time::Duration::from_secs(60))
            .unwrap();
        assert_eq!(claimed.len(), 2);
        let lease_end = store.next_delivery_due().unwrap().unwrap();
        assert!(
            lease_end > Utc::now() + chrono::Duration::seconds(50),
            "with every row claimed, the next look is when the lease runs out: {lease_end}"
        );
        assert!(
            store
                .claim_due(10, std::time::Duration::from_secs(60))
                .unwrap()
                .is_empty(),
            "claimed rows are not claimed twice"
        );
        let c = &claimed[0];
        assert!(
            !store
                .finish_delivery(&c.id, "not-the-token", &Finish::Delivered { status: 200 })
                .unwrap()
        );
        assert_eq!(store.release_leases().unwrap(), 2);
        let again = store
            .claim_due(10, std::time::Duration::from_secs(60))
            .unwrap();
        assert_eq!(again.len(), 2);
        assert!(
            !store
                .finish_delivery(&c.id, &c.token, &Finish::Delivered { status: 200 })
                .unwrap(),
            "the old token lost its claim"
        );
        let fresh = again.iter().find(|x| x.id == c.id).unwrap();
        assert!(
            store
                .finish_delivery(&fresh.id, &fresh.token, &Finish::Delivered { status: 200 })
                .unwrap()
        );
        assert_eq!(store.delivery(&c.id).unwrap().state, "delivered");
    }
}
