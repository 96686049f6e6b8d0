//! Read-only access for the HTTP API: a second connection opened read-only (WAL lets it read while
//! the single writer commits, so the API never holds up ingest), keyset pages of briefs newest
//! first, briefs stored after an id (the live stream), and a time budget on every such query.
//! Writes nothing; the full-text index is the writer's to bring up to date.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, params};

use super::briefs::{BRIEF_COLUMNS, brief_from_row, quote_terms};
use super::{Context, Store, StoreError, to_ts};
use crate::model::{BriefId, StoredBrief};

/// How long one API query may run before SQLite interrupts it.
pub const QUERY_BUDGET: Duration = Duration::from_secs(2);

/// Which briefs an API page or the live stream asks for. Every filter is optional; they combine
/// with AND.
#[derive(Debug, Clone, Default)]
pub struct BriefQuery {
    /// Only briefs tagged with this topic (with `min_score`: scoring at least that in it).
    pub topic: Option<String>,
    /// Only briefs of this source (its name).
    pub source: Option<String>,
    /// Only briefs naming this entity (its canonical name, any case).
    pub entity: Option<String>,
    /// Only briefs published (or fetched, when undated) at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only briefs matching this full-text query (FTS5 syntax when it parses, else plain words).
    pub q: Option<String>,
    /// Only briefs with a topic (`topic`, when given) scoring at least this.
    pub min_score: Option<f32>,
    /// Pages: only briefs with a smaller id (the cursor).
    pub before: Option<BriefId>,
    /// The stream: only briefs with a larger id (the last event id).
    pub after: Option<BriefId>,
    /// At most this many.
    pub limit: u64,
}

impl Store {
    /// Opens a read-only connection to the database at `path`, which must exist and be up to date
    /// (the daemon opened it first). Only reading methods may be used on it.
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        super::disable_memory_statistics();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        Ok(Store {
            conn,
            stories: super::stories::StoryState {
                window_secs: super::INITIAL_STORY_WINDOW.as_secs() as i64,
                index: None,
            },
            outbox: super::deliveries::Outbox::default(),
        })
    }

    /// A page of briefs, newest stored first (descending id): the keyset order of the API, in which
    /// briefs stored while a client pages through never shift the pages it has yet to read.
    pub fn brief_page(&self, q: &BriefQuery) -> Result<Vec<StoredBrief>, StoreError> {
        self.brief_query(q, "DESC")
    }

    /// Briefs stored after `q.after`, oldest first (ascending id): what the live stream sends next.
    pub fn briefs_after(&self, q: &BriefQuery) -> Result<Vec<StoredBrief>, StoreError> {
        self.brief_query(q, "ASC")
    }

    /// The id of the newest stored brief (0 when there is none).
    pub fn last_brief_id(&self) -> Result<BriefId, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM briefs", [], |r| r.get(0))
            .ctx("reading the newest brief id")
    }

    fn brief_query(&self, q: &BriefQuery, order: &str) -> Result<Vec<StoredBrief>, StoreError> {
        let op = "listing briefs for the API";
        let fts = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match self.within_budget(op, |c| run_brief_query(c, q, fts, order)) {
            // FTS5 says "syntax error", "unterminated string", "no such column"...: whatever
            // it could not read is tried again as plain words.
            Err(StoreError::Query { .. }) if fts.is_some() => {
                let quoted = quote_terms(fts.unwrap_or_default());
                if quoted.is_empty() {
                    return Ok(Vec::new());
                }
                self.within_budget(op, |c| run_brief_query(c, q, Some(&quoted), order))
                    .map_err(|e| match e {
                        StoreError::TooCostly { .. } => e,
                        e => StoreError::BadQuery {
                            query: fts.unwrap_or_default().to_string(),
                            source: Box::new(e),
                        },
                    })
            }
            other => other,
        }
    }

    /// Runs `f` with SQLite interrupting it once [`QUERY_BUDGET`] has passed.
    fn within_budget<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let deadline = Instant::now() + QUERY_BUDGET;
        self.conn
            .progress_handler(1_000, Some(move || Instant::now() > deadline))
            .ctx(op)?;
        let out = f(&self.conn);
        self.conn
            .progress_handler(0, None::<fn() -> bool>)
            .ctx(op)?;
        match out {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                Err(StoreError::TooCostly {
                    op,
                    budget: QUERY_BUDGET,
                })
            }
            other => other.ctx(op),
        }
    }
}

fn run_brief_query(
    conn: &Connection,
    q: &BriefQuery,
    fts: Option<&str>,
    order: &str,
) -> rusqlite::Result<Vec<StoredBrief>> {
    let sql = format!(
        "SELECT {BRIEF_COLUMNS} FROM briefs b JOIN sources s ON s.id = b.source_id
         WHERE (?1 IS NULL OR b.sort_at >= ?1) AND (?2 IS NULL OR s.name = ?2)
           AND (?3 IS NULL OR b.id < ?3) AND (?4 IS NULL OR b.id > ?4)
           AND (?5 IS NULL OR b.id IN (SELECT brief_id FROM brief_topics
                                        WHERE topic = ?5 AND score >= coalesce(?6, 0)))
           AND (?6 IS NULL OR ?5 IS NOT NULL
                OR b.id IN (SELECT brief_id FROM brief_topics WHERE score >= ?6))
           AND (?7 IS NULL OR b.id IN (SELECT brief_id FROM brief_entities WHERE entity = ?7))
           AND (?8 IS NULL OR b.id IN (SELECT rowid FROM briefs_fts WHERE briefs_fts MATCH ?8))
         ORDER BY b.id {order} LIMIT ?9"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            q.since.map(to_ts),
            q.source,
            q.before,
            q.after,
            q.topic,
            q.min_score.map(f64::from),
            q.entity.as_deref().map(str::to_lowercase),
            fts,
            q.limit.min(i64::MAX as u64) as i64,
        ],
        brief_from_row,
    )?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{brief, persist, store_with_sources};

    #[test]
    fn pages_are_newest_first_and_the_reader_sees_later_commits() {
        let (dir, mut store, ids) = store_with_sources(&["wire"]);
        let reader = Store::open_reader(&dir.path().join("t.db")).unwrap();
        assert_eq!(reader.last_brief_id().unwrap(), 0);
        let briefs = vec![
            brief("a", "Floods close the port"),
            brief("b", "Talks resume in Geneva"),
            brief("c", "Rates unchanged again"),
        ];
        persist(&mut store, ids[0], briefs);
        let all = BriefQuery {
            limit: 10,
            ..BriefQuery::default()
        };
        let page = reader.brief_page(&all).unwrap();
        let ids: Vec<_> = page.iter().map(|b| b.id).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
        let before = reader
            .brief_page(&BriefQuery {
                before: Some(ids[0]),
                limit: 1,
                ..BriefQuery::default()
            })
            .unwrap();
        assert_eq!(before[0].id, ids[1]);
        let after = reader
            .briefs_after(&BriefQuery {
                after: Some(ids[2]),
                limit: 10,
                ..BriefQuery::default()
            })
            .unwrap();
        assert_eq!(
            after.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![ids[1], ids[0]]
        );
        assert_eq!(reader.last_brief_id().unwrap(), ids[0]);
        // The reader cannot write.
        assert!(reader.conn.execute("DELETE FROM briefs", []).is_err());
    }
}
