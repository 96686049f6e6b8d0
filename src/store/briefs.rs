//! Briefs: inserting only what is new, reading back, full-text search, deletion with tombstones.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Context, Store, StoreError, from_ts, to_ts};
use crate::model::{Brief, BriefId, SourceId, SourceReport, StoredBrief};
use crate::transforms::normalize::{guid_hash, paragraphs_html};

/// A brief that `insert_new` actually inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBrief {
    /// Its row id.
    pub id: BriefId,
    /// Its guid within the source.
    pub guid: String,
    /// The story it was placed in.
    pub story_id: i64,
    /// Whether it started that story (alerts fire once per story, for the brief that started it).
    pub new_story: bool,
}

/// What persisting one source report did.
#[derive(Debug, Default, Clone)]
pub struct InsertReport {
    /// Briefs inserted (already stored, duplicate or tombstoned ones are not listed).
    pub new: Vec<NewBrief>,
    /// Alert deliveries queued with them.
    pub deliveries: usize,
}

/// Which briefs to list.
#[derive(Debug, Clone, Default)]
pub struct BriefFilter {
    /// At most this many; `None` means all.
    pub limit: Option<u64>,
    /// Only briefs published (or fetched, when undated) at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only briefs of this source.
    pub source: Option<String>,
    /// Only briefs with this topic.
    pub topic: Option<String>,
    /// Only briefs naming this entity (its canonical name, any case).
    pub entity: Option<String>,
}

pub(super) const BRIEF_COLUMNS: &str =
    "b.id, s.name, b.guid, b.url, b.title, b.text, b.html, b.author,
    b.published_at, b.updated_at, b.fetched_at, b.story_id";

pub(super) fn brief_from_row(r: &Row<'_>) -> rusqlite::Result<StoredBrief> {
    Ok(StoredBrief {
        id: r.get(0)?,
        source: r.get(1)?,
        guid: r.get(2)?,
        url: r.get(3)?,
        title: r.get(4)?,
        text: r.get(5)?,
        html: match r.get::<_, Option<String>>(6)? {
            Some(h) => h,
            None => paragraphs_html(&r.get::<_, String>(5)?),
        },
        author: r.get(7)?,
        published: r.get::<_, Option<i64>>(8)?.map(from_ts),
        updated: r.get::<_, Option<i64>>(9)?.map(from_ts),
        fetched: from_ts(r.get(10)?),
        story_id: r.get(11)?,
    })
}

impl Store {
    /// Persists one poll's results in a single transaction and returns only the new briefs.
    pub fn persist(&mut self, report: &SourceReport) -> Result<InsertReport, StoreError> {
        Ok(self
            .persist_group(std::iter::once(report))?
            .pop()
            .unwrap_or_default())
    }

    /// Persists several polls' results in one transaction (the writer's group commit): all of them
    /// or, on error, none. Returns each report's new briefs, in order.
    pub fn persist_group<'a>(
        &mut self,
        reports: impl IntoIterator<Item = &'a SourceReport>,
    ) -> Result<Vec<InsertReport>, StoreError> {
        if self
            .stories
            .index
            .as_ref()
            .is_some_and(|i| i.wants_rebuild())
        {
            // Rebuilt from the database at the next placement, without the briefs that left the window.
            self.stories.index = None;
        }
        let out = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .ctx("starting a write")?;
            let results = reports
                .into_iter()
                .map(|r| {
                    persist_in(&tx, r, &mut self.stories, &self.outbox)
                        .map_err(|e| e.about(|| format!("source {}", r.source_id)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit().ctx("committing briefs")?;
            Ok(results)
        })();
        if out
            .as_ref()
            .is_ok_and(|r: &Vec<InsertReport>| r.iter().any(|r| r.deliveries > 0))
        {
            self.outbox.wake();
        }
        if out.is_err() {
            // The in-memory story index may hold placements that were rolled back.
            self.stories.index = None;
        }
        out
    }

    /// Newest first.
    pub fn list_briefs(&self, f: &BriefFilter) -> Result<Vec<StoredBrief>, StoreError> {
        let op = "listing briefs";
        let sql = format!(
            "SELECT {BRIEF_COLUMNS} FROM briefs b JOIN sources s ON s.id = b.source_id
             WHERE (?1 IS NULL OR b.sort_at >= ?1) AND (?2 IS NULL OR s.name = ?2)
               AND (?4 IS NULL OR b.id IN (SELECT brief_id FROM brief_topics WHERE topic = ?4))
               AND (?5 IS NULL OR b.id IN (SELECT brief_id FROM brief_entities WHERE entity = ?5))
             ORDER BY b.sort_at DESC, b.id DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx(op)?;
        let limit = f.limit.map(|l| l as i64).unwrap_or(-1);
        let rows = stmt
            .query_map(
                params![
                    f.since.map(to_ts),
                    f.source,
                    limit,
                    f.topic,
                    f.entity.as_deref().map(str::to_lowercase)
                ],
                brief_from_row,
            )
            .ctx(op)?;
        rows.collect::<Result<_, _>>().ctx(op)
    }

    /// One brief by id.
    pub fn get_brief(&self, id: BriefId) -> Result<StoredBrief, StoreError> {
        let sql = format!(
            "SELECT {BRIEF_COLUMNS} FROM briefs b JOIN sources s ON s.id = b.source_id WHERE b.id = ?1"
        );
        self.conn
            .query_row(&sql, [id], brief_from_row)
            .optional()
            .ctx("reading a brief")
            .map_err(|e| e.about(|| format!("brief {id}")))?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("brief {id}"),
            })
    }

    /// Adds up to `max_rows` briefs (all when `None`) that are not yet in the full-text index; returns
    /// how many. Inserting briefs does not index them: this runs when the writer is idle and before
    /// every search, so ingest stays fast and searches stay complete.
    pub fn index_pending(&mut self, max_rows: Option<usize>) -> Result<usize, StoreError> {
        let op = "updating the search index";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let last: i64 = tx
            .query_row("SELECT last_id FROM fts_progress WHERE id = 1", [], |r| {
                r.get(0)
            })
            .ctx(op)?;
        let limit = max_rows.map(|n| n as i64).unwrap_or(-1);
        let upto: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM (SELECT id FROM briefs WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![last, limit],
                |r| r.get(0),
            )
            .ctx(op)?;
        let Some(upto) = upto else {
            return Ok(0);
        };
        let n = tx
            .execute(
                "INSERT INTO briefs_fts (rowid, title, text)
                 SELECT id, title, text FROM briefs WHERE id > ?1 AND id <= ?2",
                params![last, upto],
            )
            .ctx(op)?;
        tx.execute("UPDATE fts_progress SET last_id = ?1 WHERE id = 1", [upto])
            .ctx(op)?;
        tx.commit().ctx(op)?;
        Ok(n)
    }

    /// Full-text search over titles and texts, best match first. Plain words are matched as words;
    /// FTS5 syntax (`"a phrase"`, `OR`, `NEAR`, `prefix*`) is honoured when it parses.
    pub fn search_briefs(
        &mut self,
        query: &str,
        limit: Option<u64>,
    ) -> Result<Vec<StoredBrief>, StoreError> {
        let caught_up = self.index_pending(None)?;
        if caught_up > 0 {
            tracing::debug!(briefs = caught_up, "search index caught up");
        }
        match self.search_raw(query, limit) {
            Err(StoreError::Query { source, .. })
                if source.to_string().contains("fts5") || source.to_string().contains("syntax") =>
            {
                let quoted = quote_terms(query);
                if quoted.is_empty() {
                    return Ok(Vec::new());
                }
                self.search_raw(&quoted, limit)
                    .map_err(|e| StoreError::BadQuery {
                        query: query.to_string(),
                        source: Box::new(e),
                    })
            }
            other => other,
        }
    }

    fn search_raw(
        &self,
        fts_query: &str,
        limit: Option<u64>,
    ) -> Result<Vec<StoredBrief>, StoreError> {
        let op = "searching briefs";
        let sql = format!(
            "SELECT {BRIEF_COLUMNS} FROM briefs_fts f
               JOIN briefs b ON b.id = f.rowid JOIN sources s ON s.id = b.source_id
             WHERE briefs_fts MATCH ?1 ORDER BY f.rank LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql).ctx(op)?;
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        let rows = stmt
            .query_map(params![fts_query, limit], brief_from_row)
            .ctx(op)?;
        rows.collect::<Result<_, _>>().ctx(op)
    }

    /// Deletes a brief and leaves a tombstone so that the next poll does not bring it back.
    pub fn delete_brief(&mut self, id: BriefId) -> Result<(), StoreError> {
        self.delete_brief_in(id)
            .map_err(|e| e.about(|| format!("brief {id}")))
    }

    fn delete_brief_in(&mut self, id: BriefId) -> Result<(), StoreError> {
        let op = "deleting a brief";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        if !delete_in(&tx, id, to_ts(Utc::now()))? {
            return Err(StoreError::NotFound {
                what: format!("brief {id}"),
            });
        }
        tx.commit().ctx(op)?;
        // The in-memory story index may still list the brief; rebuild it at the next placement.
        self.stories.index = None;
        Ok(())
    }
}

/// Deletes brief `id` inside `tx`, leaving a tombstone for every source that carried it so that
/// none of them brings it back; false when there is no such brief.
pub(super) fn delete_in(tx: &Connection, id: BriefId, now: i64) -> Result<bool, StoreError> {
    let op = "deleting a brief";
    let row: Option<(SourceId, i64, String, String, Option<i64>)> = tx
        .prepare_cached(
            "SELECT source_id, guid_hash, title, text, story_id FROM briefs WHERE id = ?1",
        )
        .ctx(op)?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()
        .ctx(op)?;
    let Some((source_id, gh, title, text, story)) = row else {
        return Ok(false);
    };
    let indexed: bool = tx
        .prepare_cached("SELECT last_id >= ?1 FROM fts_progress WHERE id = 1")
        .ctx(op)?
        .query_row([id], |r| r.get(0))
        .ctx(op)?;
    if indexed {
        tx.prepare_cached(
            "INSERT INTO briefs_fts (briefs_fts, rowid, title, text) VALUES ('delete', ?1, ?2, ?3)",
        )
        .ctx(op)?
        .execute(params![id, title, text])
        .ctx(op)?;
    }
    tx.prepare_cached(
        "INSERT OR REPLACE INTO tombstones (source_id, guid_hash, deleted_at)
         SELECT source_id, guid_hash, ?2 FROM sightings WHERE brief_id = ?1",
    )
    .ctx(op)?
    .execute(params![id, now])
    .ctx(op)?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO tombstones (source_id, guid_hash, deleted_at) VALUES (?1, ?2, ?3)",
    )
    .ctx(op)?
    .execute(params![source_id, gh, now])
    .ctx(op)?;
    tx.prepare_cached("DELETE FROM sightings WHERE brief_id = ?1")
        .ctx(op)?
        .execute([id])
        .ctx(op)?;
    super::topics::remove_tags(tx, id)?;
    tx.prepare_cached("DELETE FROM briefs WHERE id = ?1")
        .ctx(op)?
        .execute([id])
        .ctx(op)?;
    if let Some(story) = story {
        super::stories::brief_removed(tx, story)?;
    }
    Ok(true)
}

/// Quotes every word so that FTS5 reads punctuation as text, not syntax.
pub(super) fn quote_terms(q: &str) -> String {
    q.split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Records the fetch state and inserts the new briefs of one report, inside `tx`.
fn persist_in(
    tx: &Connection,
    report: &SourceReport,
    stories: &mut super::stories::StoryState,
    outbox: &super::deliveries::Outbox,
) -> Result<InsertReport, StoreError> {
    super::sources::record_report(tx, report)?;
    let briefs = match &report.outcome {
        crate::model::FetchOutcome::Fetched { briefs, .. }
        | crate::model::FetchOutcome::Pushed { briefs } => briefs,
        _ => return Ok(InsertReport::default()),
    };
    let fetched = to_ts(report.checked_at);
    let mut out = InsertReport::default();
    // Alert rules name sources: looked up once per report, only when rules exist.
    let source = match outbox.is_active() && !briefs.is_empty() {
        true => Store::source_name(tx, report.source_id)?,
        false => String::new(),
    };
    for b in briefs {
        if let Some(new) = ingest_one(tx, report.source_id, b, fetched, stories)? {
            out.deliveries +=
                super::deliveries::fan_out(tx, outbox, new.id, &source, new.story_id, b)?;
            out.new.push(new);
        }
    }
    Ok(out)
}

/// Stores one brief unless it is already known: a stored brief, sighting or tombstone with the same
/// guid from this source, the same canonical URL from any source, or the same text from this source
/// (a re-issued guid) make it a sighting, not a new brief. A new brief is placed in a story first,
/// so that its row is written once.
fn ingest_one(
    tx: &Connection,
    source_id: SourceId,
    b: &Brief,
    fetched: i64,
    stories: &mut super::stories::StoryState,
) -> Result<Option<NewBrief>, StoreError> {
    let op = "inserting a brief";
    let gh = guid_hash(&b.guid);
    let (known, same_url) =
        known_and_same_url(tx, source_id, gh, b.canonical_url.as_deref()).ctx(op)?;
    let canonical_hash = b.canonical_url.as_deref().map(url_hash);
    if known {
        return Ok(None);
    }
    if let Some(existing) = same_url {
        super::stories::add_sighting(tx, source_id, gh, existing, b.url.as_deref(), fetched)?;
        return Ok(None);
    }
    let same_text = super::stories::same_text(tx, stories, b)?;
    if let Some(dup) = same_text.iter().find(|d| d.source_id == source_id) {
        let dup = dup.brief_id;
        super::stories::add_sighting(tx, source_id, gh, dup, b.url.as_deref(), fetched)?;
        return Ok(None);
    }
    let published = b.published.map(to_ts);
    let at = published.unwrap_or(fetched).min(fetched + 86_400);
    let placed = super::stories::place_brief(tx, stories, b, at, &same_text)?;
    tx.prepare_cached(
        "INSERT INTO briefs (source_id, guid_hash, guid, url, canonical_url, title, text, html,
             author, published_at, updated_at, fetched_at, sort_at, content_hash, signature, story_id,
             canonical_hash, topics, entities)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )
    .ctx(op)?
    .execute(params![
        source_id,
        gh,
        b.guid,
        b.url,
        // Kept only when it differs from `url` (most links are already canonical).
        b.canonical_url.as_ref().filter(|c| Some(*c) != b.url.as_ref()),
        b.title,
        b.text,
        b.html,
        b.author,
        published,
        b.updated.map(to_ts),
        fetched,
        at,
        b.content_hash,
        b.signature.as_ref().map(|s| s.to_bytes()),
        placed.story_id,
        canonical_hash,
        super::topics::topics_column(&b.topics),
        super::topics::entities_column(&b.entities),
    ])
    .ctx(op)?;
    // The brief row is its first source's sighting; `sightings` holds only the other sources.
    let id = tx.last_insert_rowid();
    super::stories::placed(tx, stories, id, source_id, b, at, &placed)?;
    super::topics::insert_tags(tx, id, &b.topics, &b.entities)?;
    crate::metrics::METRICS.topics(b.topics.iter().map(|t| t.topic.as_str()));
    Ok(Some(NewBrief {
        id,
        guid: b.guid.clone(),
        story_id: placed.story_id,
        new_story: placed.new_story,
    }))
}

/// What the store knows of a link a source is about to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Never seen: fetch it.
    New,
    /// Already stored, seen or deleted for this source: nothing to do.
    Known,
    /// Stored from another source under the same canonical URL: no need to fetch it, but this
    /// source's sighting is worth recording.
    Elsewhere,
}

impl Store {
    /// The state of each `(guid, canonical URL)` of `source_id`, in order.
    pub fn link_states(
        &self,
        source_id: SourceId,
        links: &[(String, Option<String>)],
    ) -> Result<Vec<LinkState>, StoreError> {
        let op = "looking up links";
        links
            .iter()
            .map(|(guid, canonical)| {
                let (known, elsewhere) = known_and_same_url(
                    &self.conn,
                    source_id,
                    guid_hash(guid),
                    canonical.as_deref(),
                )
                .ctx(op)?;
                Ok(if known {
                    LinkState::Known
                } else if elsewhere.is_some() {
                    LinkState::Elsewhere
                } else {
                    LinkState::New
                })
            })
            .collect()
    }
}

/// One statement for the two questions asked of every entry: has this source stored, seen or
/// deleted this guid (a brief, sighting or tombstone), and which brief, from any source, has this
/// canonical URL.
fn known_and_same_url(
    conn: &Connection,
    source_id: SourceId,
    guid_hash: i64,
    canonical: Option<&str>,
) -> rusqlite::Result<(bool, Option<BriefId>)> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM briefs WHERE source_id = ?1 AND guid_hash = ?2)
             OR EXISTS (SELECT 1 FROM sightings WHERE source_id = ?1 AND guid_hash = ?2)
             OR EXISTS (SELECT 1 FROM tombstones WHERE source_id = ?1 AND guid_hash = ?2),
             (SELECT id FROM briefs WHERE canonical_hash = ?3
                  AND coalesce(canonical_url, url) = ?4 LIMIT 1)",
    )?
    .query_row(
        params![source_id, guid_hash, canonical.map(url_hash), canonical],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Key of the canonical-URL index (the URL itself is compared too).
fn url_hash(url: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(url.as_bytes()) as i64
}
