//! Figures the health and metrics endpoint reads from the database at scrape time: the alert
//! outbox's depth and oldest waiting delivery, and each enabled source's last success.

use chrono::{DateTime, Utc};

use super::{Context, Store, StoreError, from_ms, from_ts, query_all};

/// What `/metrics` and `/readyz` read from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthFigures {
    /// Deliveries pending or in flight.
    pub outbox_depth: u64,
    /// When the oldest of them was queued.
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Each enabled source with its last successful poll.
    pub sources: Vec<(String, Option<DateTime<Utc>>)>,
}

impl Store {
    /// The figures for a scrape: cheap queries on indexed columns.
    pub fn health_figures(&self) -> Result<HealthFigures, StoreError> {
        let op = "reading health figures";
        let (depth, oldest): (i64, Option<i64>) = self
            .conn
            .query_row(
                "SELECT count(*), min(created_at) FROM deliveries
                  WHERE state IN ('pending', 'sending')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ctx(op)?;
        let sources = query_all(
            &self.conn,
            op,
            "SELECT name, last_success_at FROM sources WHERE enabled = 1 ORDER BY name",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?.map(from_ts),
                ))
            },
        )?;
        Ok(HealthFigures {
            outbox_depth: depth as u64,
            oldest_pending: oldest.map(from_ms),
            sources,
        })
    }
}
