//! Sources and their fetch state: syncing the config's sources, imports, scheduling state, status.

use std::time::Duration;

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use url::Url;

use super::{Context, Store, StoreError, from_ts, to_ts};
use crate::model::{
    FetchOutcome, SourceKind, SourceOrigin, SourceReport, SourceSettings, SourceSpec, SourceState,
    SourceStatus, Validators, WebSubStatus,
};

/// What `sources import` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Names of the sources added.
    pub added: Vec<String>,
    /// Sources skipped because their URL was already subscribed.
    pub skipped: usize,
}

impl Store {
    /// Makes the database's config-origin sources match `specs` (the config file's `[[sources]]`):
    /// new ones are added, changed ones updated (a new URL forgets the validators), missing ones disabled.
    /// Briefs are never deleted.
    pub fn sync_config_sources(&mut self, specs: &[SourceSpec]) -> Result<(), StoreError> {
        if self.config_sources_match(specs)? {
            // Every command syncs; taking no write lock when nothing changed keeps CLI reads from
            // contending with a running daemon.
            return Ok(());
        }
        let now = to_ts(Utc::now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("syncing sources")?;
        for s in specs {
            let old: Option<(String, String)> = tx
                .query_row(
                    "SELECT url, settings FROM sources WHERE name = ?1",
                    [&s.name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .ctx("syncing sources")?;
            match old {
                None => insert_source(&tx, s, now)?,
                Some((old_url, old_settings)) => {
                    // New selectors must see the page again: forget the validators as for a new URL.
                    let url_changed =
                        old_url != s.url.as_str() || old_settings != settings_json(&s.settings);
                    tx.execute(
                        "UPDATE sources SET kind = ?2, url = ?3, interval_secs = ?4, origin = 'config',
                             enabled = 1, settings = ?6,
                             etag = CASE WHEN ?5 THEN NULL ELSE etag END,
                             last_modified = CASE WHEN ?5 THEN NULL ELSE last_modified END,
                             next_check_at = CASE WHEN ?5 THEN NULL ELSE next_check_at END,
                             failures = CASE WHEN ?5 THEN 0 ELSE failures END
                         WHERE name = ?1",
                        params![
                            s.name,
                            s.kind.as_str(),
                            s.url.as_str(),
                            s.interval.as_secs() as i64,
                            url_changed,
                            settings_json(&s.settings)
                        ],
                    )
                    .ctx("syncing sources")?;
                }
            }
        }
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let mut stmt = tx
            .prepare("SELECT name FROM sources WHERE origin = 'config' AND enabled = 1")
            .ctx("syncing sources")?;
        let stale: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .ctx("syncing sources")?
            .collect::<Result<_, _>>()
            .ctx("syncing sources")?;
        drop(stmt);
        for name in stale.iter().filter(|n| !names.contains(&n.as_str())) {
            tx.execute("UPDATE sources SET enabled = 0 WHERE name = ?1", [name])
                .ctx("syncing sources")?;
            tracing::info!(source = %name, "source left the config file; disabled, briefs kept");
        }
        tx.commit().ctx("syncing sources")
    }

    /// Whether the enabled config-origin sources in the database are exactly `specs`.
    fn config_sources_match(&self, specs: &[SourceSpec]) -> Result<bool, StoreError> {
        let op = "syncing sources";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, kind, url, interval_secs, settings FROM sources
                 WHERE origin = 'config' AND enabled = 1 ORDER BY name",
            )
            .ctx(op)?;
        let stored: Vec<(String, String, String, i64, String)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .ctx(op)?
            .collect::<Result<_, _>>()
            .ctx(op)?;
        let mut wanted: Vec<(String, String, String, i64, String)> = specs
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.kind.as_str().to_string(),
                    s.url.to_string(),
                    s.interval.as_secs() as i64,
                    settings_json(&s.settings),
                )
            })
            .collect();
        wanted.sort();
        Ok(stored == wanted)
    }

    /// Adds imported sources, skipping URLs that are already subscribed; names are made unique.
    pub fn import_sources(&mut self, specs: &[SourceSpec]) -> Result<ImportReport, StoreError> {
        let now = to_ts(Utc::now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx("importing sources")?;
        let mut report = ImportReport::default();
        for s in specs {
            let exists: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM sources WHERE url = ?1)",
                    [s.url.as_str()],
                    |r| r.get(0),
                )
                .ctx("importing sources")?;
            if exists {
                report.skipped += 1;
                continue;
            }
            let mut name = s.name.clone();
            let mut n = 2;
            while tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM sources WHERE name = ?1)",
                    [&name],
                    |r| r.get::<_, bool>(0),
                )
                .ctx("importing sources")?
            {
                name = format!("{}-{n}", s.name);
                n += 1;
            }
            let spec = SourceSpec {
                name: name.clone(),
                ..s.clone()
            };
            insert_source(&tx, &spec, now)?;
            report.added.push(name);
        }
        tx.commit().ctx("importing sources")?;
        Ok(report)
    }

    /// Every enabled source with its scheduling state, in name order.
    pub fn active_sources(&self) -> Result<Vec<SourceState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, kind, url, interval_secs, origin, etag, last_modified,
                        next_check_at, failures, settings, last_success_at IS NOT NULL
                 FROM sources WHERE enabled = 1 ORDER BY name",
            )
            .ctx("listing sources")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    Validators {
                        etag: r.get(6)?,
                        last_modified: r.get(7)?,
                    },
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, bool>(11)?,
                ))
            })
            .ctx("listing sources")?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                name,
                kind,
                url,
                interval,
                origin,
                validators,
                next,
                failures,
                settings,
                fetched_before,
            ) = row.ctx("listing sources")?;
            let settings = settings_from_json(&name, &settings);
            let Ok(url) = Url::parse(&url) else {
                tracing::error!(source = %name, url = %url, "stored source URL is invalid; skipped");
                continue;
            };
            out.push(SourceState {
                id,
                spec: SourceSpec {
                    name,
                    kind: SourceKind::parse(&kind).unwrap_or(SourceKind::Feed),
                    url,
                    interval: Duration::from_secs(interval.max(1) as u64),
                    origin: if origin == "config" {
                        SourceOrigin::Config
                    } else {
                        SourceOrigin::Imported
                    },
                    settings,
                },
                validators,
                next_check_at: next.map(from_ts),
                failures: failures as u32,
                fetched_before,
            });
        }
        Ok(out)
    }

    /// Status of every source (enabled or not) for `sources list`.
    pub fn source_statuses(&self) -> Result<Vec<SourceStatus>, StoreError> {
        let op = "reading source status";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.name, s.kind, s.url, s.interval_secs, s.origin, s.enabled, s.failures,
                        s.last_error, s.last_status, s.last_checked_at, s.last_success_at,
                        s.next_check_at,
                        (SELECT count(*) FROM briefs b WHERE b.source_id = s.id),
                        (SELECT count(*) FROM briefs b WHERE b.source_id = s.id
                            AND b.fetched_at >= ?1),
                        s.websub_hub, s.websub_topic, w.state, w.expires_at, w.last_error
                 FROM sources s
                 LEFT JOIN websub_subscriptions w ON w.id = (
                     SELECT id FROM websub_subscriptions c WHERE c.source_id = s.id
                     ORDER BY c.state = 'unsubscribing', c.updated_at DESC LIMIT 1)
                 ORDER BY s.name",
            )
            .ctx(op)?;
        let day_ago = to_ts(Utc::now()) - 86_400;
        let rows = stmt
            .query_map([day_ago], |r| {
                Ok(SourceStatus {
                    name: r.get(0)?,
                    kind: SourceKind::parse(&r.get::<_, String>(1)?).unwrap_or(SourceKind::Feed),
                    url: r.get(2)?,
                    interval_secs: r.get::<_, i64>(3)? as u64,
                    origin: if r.get::<_, String>(4)? == "config" {
                        SourceOrigin::Config
                    } else {
                        SourceOrigin::Imported
                    },
                    enabled: r.get(5)?,
                    failures: r.get::<_, i64>(6)? as u32,
                    last_error: r.get(7)?,
                    last_status: r.get::<_, Option<i64>>(8)?.map(|s| s as u16),
                    last_checked: r.get::<_, Option<i64>>(9)?.map(from_ts),
                    last_success: r.get::<_, Option<i64>>(10)?.map(from_ts),
                    next_check: r.get::<_, Option<i64>>(11)?.map(from_ts),
                    briefs: r.get::<_, i64>(12)? as u64,
                    briefs_24h: r.get::<_, i64>(13)? as u64,
                    websub: websub_status(r)?,
                })
            })
            .ctx(op)?;
        rows.collect::<Result<_, _>>().ctx(op)
    }

    /// Removes an imported source that has no briefs, or disables one that has (briefs are kept).
    pub fn remove_source(&mut self, name: &str) -> Result<bool, StoreError> {
        let op = "removing a source";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let row: Option<(i64, String, i64)> = tx
            .query_row(
                "SELECT s.id, s.origin, (SELECT count(*) FROM briefs b WHERE b.source_id = s.id)
                 FROM sources s WHERE s.name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .ctx(op)?;
        let Some((id, origin, briefs)) = row else {
            return Err(StoreError::NotFound {
                what: format!("source {name:?}"),
            });
        };
        if origin == SourceOrigin::Config.as_str() {
            return Err(StoreError::NotFound {
                what: format!(
                    "imported source {name:?} (it comes from the config file: remove its [[sources]] entry there)"
                ),
            });
        }
        let removed = briefs == 0;
        if removed {
            tx.execute("DELETE FROM tombstones WHERE source_id = ?1", [id])
                .ctx(op)?;
            tx.execute("DELETE FROM sources WHERE id = ?1", [id])
                .ctx(op)?;
        } else {
            tx.execute("UPDATE sources SET enabled = 0 WHERE id = ?1", [id])
                .ctx(op)?;
        }
        tx.commit().ctx(op)?;
        Ok(removed)
    }
}

/// The WebSub columns of a `source_statuses` row (from column 14 on): `None` without a hub.
fn websub_status(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<WebSubStatus>> {
    let hub: Option<String> = r.get(14)?;
    let topic: Option<String> = r.get(15)?;
    let state: Option<String> = r.get(16)?;
    let expires: Option<i64> = r.get(17)?;
    let last_error: Option<String> = r.get(18)?;
    Ok(match (hub, topic) {
        (Some(hub), Some(topic)) => Some(WebSubStatus {
            hub,
            topic,
            state: state.unwrap_or_else(|| "discovered".into()),
            lease_expires: expires.map(super::from_ms),
            last_error,
        }),
        _ => None,
    })
}

fn insert_source(tx: &Transaction<'_>, s: &SourceSpec, now: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO sources (name, kind, url, interval_secs, origin, created_at, settings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            s.name,
            s.kind.as_str(),
            s.url.as_str(),
            s.interval.as_secs() as i64,
            s.origin.as_str(),
            now,
            settings_json(&s.settings)
        ],
    )
    .ctx("adding a source")?;
    Ok(())
}

/// The stored form of a source's settings: `{}` for the defaults.
fn settings_json(s: &SourceSettings) -> String {
    if s.is_default() {
        "{}".into()
    } else {
        serde_json::to_string(s).expect("settings serialise")
    }
}

/// Settings read back from the store; unreadable ones (written by a newer version) fall back to the
/// defaults with an error in the log.
fn settings_from_json(name: &str, json: &str) -> SourceSettings {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::error!(source = %name, error = %e, "stored source settings unreadable; using defaults");
        SourceSettings::default()
    })
}

/// Records one poll's outcome on its source row (inside the writer's transaction).
pub(super) fn record_report(tx: &rusqlite::Connection, r: &SourceReport) -> Result<(), StoreError> {
    let op = "recording a fetch";
    let checked = to_ts(r.checked_at);
    let next = to_ts(r.next_check_at);
    match &r.outcome {
        FetchOutcome::Fetched {
            validators,
            status,
            websub,
            ..
        } => tx.execute(
            "UPDATE sources SET etag = ?2, last_modified = ?3, next_check_at = ?4, failures = 0,
                 last_error = NULL, last_status = ?5, last_checked_at = ?6, last_success_at = ?6,
                 websub_hub = ?7, websub_topic = ?8
             WHERE id = ?1",
            params![
                r.source_id,
                validators.etag,
                validators.last_modified,
                next,
                status,
                checked,
                websub.as_ref().map(|w| w.hub.as_str()),
                websub.as_ref().map(|w| w.topic.as_str())
            ],
        ),
        // A push leaves the polling state alone.
        FetchOutcome::Pushed { .. } => return Ok(()),
        FetchOutcome::NotModified => tx.execute(
            "UPDATE sources SET next_check_at = ?2, failures = 0, last_error = NULL,
                 last_status = 304, last_checked_at = ?3, last_success_at = ?3
             WHERE id = ?1",
            params![r.source_id, next, checked],
        ),
        FetchOutcome::Failed { error, status } => tx.execute(
            "UPDATE sources SET next_check_at = ?2, failures = failures + 1, last_error = ?3,
                 last_status = ?4, last_checked_at = ?5
             WHERE id = ?1",
            params![r.source_id, next, error, status, checked],
        ),
    }
    .ctx(op)?;
    Ok(())
}
