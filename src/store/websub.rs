//! WebSub subscriptions and the hubs sources announced: read at the subscriber's start and after a
//! reload, written at every change of a subscription. Does not talk to hubs (that is `websub`).

use rusqlite::{OptionalExtension, params};
use url::Url;

use super::{Context, Store, StoreError, from_ms, query_all, to_ms};
use crate::model::{HubMode, SourceId, Subscription, SubscriptionState, WebSubLinks};

/// An enabled source with the hub and topic its feed last announced (`None`: none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncedHub {
    /// The source.
    pub source_id: SourceId,
    /// Its name, for logs.
    pub name: String,
    /// What its feed announced.
    pub links: Option<WebSubLinks>,
}

const COLUMNS: &str = "id, source_id, hub, topic, secret, state, pending, requested_at, lease_secs,
     expires_at, next_at, failures, last_error";

impl Store {
    /// Every enabled feed source with the hub its feed last announced, in name order.
    pub fn announced_hubs(&self) -> Result<Vec<AnnouncedHub>, StoreError> {
        let rows = query_all(
            &self.conn,
            "reading announced WebSub hubs",
            "SELECT id, name, websub_hub, websub_topic FROM sources
             WHERE enabled = 1 AND kind = 'feed' ORDER BY name",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        Ok(rows
            .into_iter()
            .map(|(source_id, name, hub, topic)| {
                let parse = |s: Option<String>| s.and_then(|s| Url::parse(&s).ok());
                let links = match (parse(hub), parse(topic)) {
                    (Some(hub), Some(topic)) => Some(WebSubLinks { hub, topic }),
                    _ => None,
                };
                AnnouncedHub {
                    source_id,
                    name,
                    links,
                }
            })
            .collect())
    }

    /// Every stored subscription (unreadable rows, written by a newer version, are skipped with
    /// an error in the log).
    pub fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = query_all(
            &self.conn,
            "reading WebSub subscriptions",
            &format!("SELECT {COLUMNS} FROM websub_subscriptions ORDER BY id"),
            [],
            RawRow::read,
        )?;
        Ok(rows
            .into_iter()
            .filter_map(RawRow::into_subscription)
            .collect())
    }

    /// Writes `sub` (inserted or replaced whole).
    pub fn save_subscription(&mut self, sub: &Subscription) -> Result<(), StoreError> {
        let now = to_ms(chrono::Utc::now());
        self.conn
            .prepare_cached(&format!(
                "INSERT OR REPLACE INTO websub_subscriptions ({COLUMNS}, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            ))
            .ctx("saving a WebSub subscription")?
            .execute(params![
                sub.id,
                sub.source_id,
                sub.hub.as_str(),
                sub.topic.as_str(),
                sub.secret,
                sub.state.as_str(),
                sub.pending.map(HubMode::as_str),
                sub.requested_at.map(to_ms),
                sub.lease_secs.map(|s| s.min(i64::MAX as u64) as i64),
                sub.expires_at.map(to_ms),
                sub.next_at.map(to_ms),
                sub.failures,
                sub.last_error,
                now
            ])
            .ctx("saving a WebSub subscription")
            .map_err(|e| e.about(|| format!("subscription {}", sub.id)))?;
        Ok(())
    }

    /// Deletes the subscription `id` (unsubscribed, or given up); `false` when there was none.
    pub fn delete_subscription(&mut self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute("DELETE FROM websub_subscriptions WHERE id = ?1", [id])
            .ctx("deleting a WebSub subscription")?;
        Ok(n > 0)
    }

    /// The subscription `id`, if stored.
    pub fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM websub_subscriptions WHERE id = ?1"),
                [id],
                RawRow::read,
            )
            .optional()
            .ctx("reading a WebSub subscription")?
            .and_then(RawRow::into_subscription))
    }
}

/// A row as stored, before its URLs and names are parsed.
struct RawRow {
    id: String,
    source_id: i64,
    hub: String,
    topic: String,
    secret: String,
    state: String,
    pending: Option<String>,
    requested_at: Option<i64>,
    lease_secs: Option<i64>,
    expires_at: Option<i64>,
    next_at: Option<i64>,
    failures: i64,
    last_error: Option<String>,
}

impl RawRow {
    /// A row of `SELECT {COLUMNS}`.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            id: r.get(0)?,
            source_id: r.get(1)?,
            hub: r.get(2)?,
            topic: r.get(3)?,
            secret: r.get(4)?,
            state: r.get(5)?,
            pending: r.get(6)?,
            requested_at: r.get(7)?,
            lease_secs: r.get(8)?,
            expires_at: r.get(9)?,
            next_at: r.get(10)?,
            failures: r.get(11)?,
            last_error: r.get(12)?,
        })
    }

    fn into_subscription(self) -> Option<Subscription> {
        let (Ok(hub), Ok(topic), Some(state)) = (
            Url::parse(&self.hub),
            Url::parse(&self.topic),
            SubscriptionState::parse(&self.state),
        ) else {
            tracing::error!(subscription = %self.id, "stored WebSub subscription unreadable; skipped");
            return None;
        };
        Some(Subscription {
            id: self.id,
            source_id: self.source_id,
            hub,
            topic,
            secret: self.secret,
            state,
            pending: self.pending.as_deref().and_then(HubMode::parse),
            requested_at: self.requested_at.map(from_ms),
            lease_secs: self.lease_secs.map(|s| s.max(0) as u64),
            expires_at: self.expires_at.map(from_ms),
            next_at: self.next_at.map(from_ms),
            failures: self.failures.clamp(0, u32::MAX as i64) as u32,
            last_error: self.last_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::store::testing;

    fn sub(id: &str, source_id: i64) -> Subscription {
        Subscription {
            id: id.into(),
            source_id,
            hub: Url::parse("https://hub.example/").unwrap(),
            topic: Url::parse("https://news.example/feed.xml").unwrap(),
            secret: "s3cr3t".into(),
            state: SubscriptionState::Verified,
            pending: Some(HubMode::Subscribe),
            requested_at: Some(Utc.timestamp_millis_opt(1_000).unwrap()),
            lease_secs: Some(864_000),
            expires_at: Some(Utc.timestamp_millis_opt(2_000_000).unwrap()),
            next_at: Some(Utc.timestamp_millis_opt(1_500_000).unwrap()),
            failures: 2,
            last_error: Some("HTTP 500".into()),
        }
    }

    #[test]
    fn a_subscription_is_saved_read_back_whole_and_deleted() {
        let (_dir, mut store, ids) = testing::store_with_sources(&["wire"]);
        let s = sub("abc", ids[0]);
        store.save_subscription(&s).unwrap();
        assert_eq!(store.subscriptions().unwrap(), vec![s.clone()]);
        assert_eq!(store.subscription("abc").unwrap(), Some(s.clone()));
        let mut changed = s.clone();
        changed.state = SubscriptionState::Failed;
        changed.pending = None;
        store.save_subscription(&changed).unwrap();
        assert_eq!(store.subscriptions().unwrap(), vec![changed]);
        let status = store.source_statuses().unwrap();
        // No hub announced by the source itself: nothing to show.
        assert_eq!(status[0].websub, None);
        assert!(store.delete_subscription("abc").unwrap());
        assert!(store.subscriptions().unwrap().is_empty());
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}
