//! Stories: placing new briefs into near-duplicate clusters through the band index, sightings of one
//! brief by several sources, and reading clusters back.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::story_index::{Entry, StoryIndex};
use super::{Context, Store, StoreError, from_ts};
use crate::model::{Brief, BriefId, SourceId};
use crate::transforms::cluster::{Placement, place};
use crate::transforms::fingerprint::{BANDS, band_keys};

/// Where `place_brief` put a brief.
pub(super) struct Placed {
    pub story_id: i64,
    pub new_story: bool,
    /// Band keys of the brief's fingerprint, computed once for lookup and reused for indexing.
    pub keys: Option<[i64; BANDS]>,
}

/// A story as `stories list` shows it.
#[derive(Debug, Clone)]
pub struct StorySummary {
    /// Story id (stable).
    pub id: i64,
    /// Title of the brief that started it.
    pub title: String,
    /// When its first brief was published (or fetched).
    pub first_seen: DateTime<Utc>,
    /// When its latest brief was published (or fetched).
    pub last_seen: DateTime<Utc>,
    /// Number of briefs in it.
    pub briefs: u64,
    /// Names of the sources that carried it, by first sighting.
    pub sources: Vec<String>,
}

/// Another place where the story of a brief appeared.
#[derive(Debug, Clone)]
pub struct Appearance {
    /// The brief (the same one when another source carried the very same article).
    pub brief_id: BriefId,
    /// The source that carried it.
    pub source: String,
    /// Its URL.
    pub url: Option<String>,
    /// Its title.
    pub title: String,
}

/// Story placement state the writer keeps between transactions.
pub(crate) struct StoryState {
    /// How far apart two briefs may be published and still be one story.
    pub window_secs: i64,
    /// Built at the first placement; dropped when a transaction fails (it may hold rolled-back rows).
    pub index: Option<StoryIndex>,
}

/// Stored briefs within the story index's horizon whose title and text hash like `b`'s.
pub(super) fn same_text(
    tx: &Connection,
    st: &mut StoryState,
    b: &Brief,
) -> Result<Vec<Entry>, StoreError> {
    let index = index(tx, st)?;
    if b.title.is_empty() && b.text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(index.same_text(b.content_hash))
}

/// The story index, built on first use.
fn index<'a>(tx: &Connection, st: &'a mut StoryState) -> Result<&'a mut StoryIndex, StoreError> {
    if st.index.is_none() {
        st.index = Some(StoryIndex::load(tx, st.window_secs)?);
    }
    Ok(st.index.as_mut().expect("just built"))
}

/// Chooses the story of a brief about to be inserted: that of an identical text from another source
/// within the window, else of the most similar fingerprint within the window, else a new one (whose
/// row is created here, stamped with the time of insertion).
pub(super) fn place_brief(
    tx: &Connection,
    st: &mut StoryState,
    b: &Brief,
    at: i64,
    same_text: &[Entry],
) -> Result<Placed, StoreError> {
    let op = "clustering a brief";
    let window_secs = st.window_secs;
    let keys = b.signature.as_ref().map(band_keys);
    let exact = same_text
        .iter()
        .filter(|d| (d.at - at).abs() <= window_secs)
        .min_by_key(|d| d.brief_id)
        .map(|d| (d.story_id, d.brief_id));
    let placement = match (exact, &b.signature, &keys) {
        (Some((story_id, brief_id)), _, _) => Placement::Join {
            story_id,
            brief_id,
            similarity: 1.0,
        },
        (None, Some(sig), Some(keys)) => {
            let found = index(tx, st)?.candidates(keys);
            place(sig, at, window_secs, &found)
        }
        _ => Placement::NewStory,
    };
    Ok(match placement {
        Placement::Join { story_id, .. } => {
            tx.prepare_cached(
                "UPDATE stories SET briefs = briefs + 1, last_seen = max(last_seen, ?2),
                     first_seen = min(first_seen, ?2)
                 WHERE id = ?1",
            )
            .ctx(op)?
            .execute(params![story_id, at])
            .ctx(op)?;
            Placed {
                story_id,
                new_story: false,
                keys,
            }
        }
        Placement::NewStory => {
            tx.prepare_cached(
                "INSERT INTO stories (first_seen, last_seen, created_at) VALUES (?1, ?1, ?2)",
            )
            .ctx(op)?
            .execute(params![at, chrono::Utc::now().timestamp_millis()])
            .ctx(op)?;
            Placed {
                story_id: tx.last_insert_rowid(),
                new_story: true,
                keys,
            }
        }
    })
}

/// Bookkeeping once the brief row exists: the story's source count, the in-memory index.
pub(super) fn placed(
    tx: &Connection,
    st: &mut StoryState,
    id: BriefId,
    source_id: SourceId,
    b: &Brief,
    at: i64,
    placed: &Placed,
) -> Result<(), StoreError> {
    if !placed.new_story {
        refresh_source_count(tx, placed.story_id)?;
    }
    let entry = Entry {
        brief_id: id,
        story_id: placed.story_id,
        at,
        source_id,
        content_hash: b.content_hash,
    };
    index(tx, st)?.insert(entry, placed.keys.as_ref().zip(b.signature.as_ref()));
    Ok(())
}

/// Bookkeeping after a brief of `story_id` was deleted: counts, and the story row when it is empty.
pub(super) fn brief_removed(tx: &Connection, story_id: i64) -> Result<(), StoreError> {
    let op = "updating a story";
    tx.execute(
        "UPDATE stories SET briefs = (SELECT count(*) FROM briefs WHERE story_id = ?1) WHERE id = ?1",
        [story_id],
    )
    .ctx(op)?;
    tx.execute(
        "DELETE FROM stories WHERE id = ?1 AND briefs = 0",
        [story_id],
    )
    .ctx(op)?;
    refresh_source_count(tx, story_id)
}

fn refresh_source_count(tx: &Connection, story_id: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE stories SET sources = (
             SELECT count(DISTINCT src) FROM (
                 SELECT source_id AS src FROM briefs WHERE story_id = ?1
                 UNION ALL
                 SELECT s.source_id FROM sightings s JOIN briefs b ON b.id = s.brief_id
                 WHERE b.story_id = ?1))
         WHERE id = ?1",
    )
    .ctx("counting a story's sources")?
    .execute([story_id])
    .ctx("counting a story's sources")?;
    Ok(())
}

/// Records that `source_id` also carried the stored brief `brief_id` (under its own guid, at `url`).
pub(super) fn add_sighting(
    tx: &Connection,
    source_id: SourceId,
    guid_hash: i64,
    brief_id: BriefId,
    url: Option<&str>,
    seen_at: i64,
) -> Result<(), StoreError> {
    let op = "recording a sighting";
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sightings (source_id, guid_hash, brief_id, seen_at, url)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .ctx(op)?
    .execute(params![source_id, guid_hash, brief_id, seen_at, url])
    .ctx(op)?;
    let story: Option<i64> = tx
        .query_row(
            "SELECT story_id FROM briefs WHERE id = ?1",
            [brief_id],
            |r| r.get(0),
        )
        .ctx(op)?;
    if let Some(story) = story {
        refresh_source_count(tx, story)?;
    }
    Ok(())
}

impl Store {
    /// Stories, most recently active first; `min_sources` filters out single-source ones.
    pub fn list_stories(
        &self,
        limit: Option<u64>,
        min_sources: u64,
    ) -> Result<Vec<StorySummary>, StoreError> {
        let op = "listing stories";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT st.id, b.title, st.first_seen, st.last_seen, st.briefs
                 FROM stories st
                 JOIN briefs b ON b.id = (SELECT min(id) FROM briefs WHERE story_id = st.id)
                 WHERE st.sources >= ?1
                 ORDER BY st.last_seen DESC, st.id DESC LIMIT ?2",
            )
            .ctx(op)?;
        let limit = limit.map(|l| l as i64).unwrap_or(-1);
        let rows = stmt
            .query_map(params![min_sources as i64, limit], |r| {
                Ok(StorySummary {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    first_seen: from_ts(r.get(2)?),
                    last_seen: from_ts(r.get(3)?),
                    briefs: r.get::<_, i64>(4)? as u64,
                    sources: Vec::new(),
                })
            })
            .ctx(op)?;
        let mut out: Vec<StorySummary> = rows.collect::<Result<_, _>>().ctx(op)?;
        let mut src = self
            .conn
            .prepare_cached(
                "SELECT so.name FROM (
                     SELECT source_id AS src, fetched_at AS at FROM briefs WHERE story_id = ?1
                     UNION ALL
                     SELECT s.source_id, s.seen_at FROM sightings s JOIN briefs b ON b.id = s.brief_id
                     WHERE b.story_id = ?1) x
                 JOIN sources so ON so.id = x.src
                 GROUP BY so.id ORDER BY min(x.at), so.name",
            )
            .ctx(op)?;
        for st in &mut out {
            st.sources = src
                .query_map([st.id], |r| r.get(0))
                .ctx(op)?
                .collect::<Result<_, _>>()
                .ctx(op)?;
        }
        Ok(out)
    }

    /// Where else the story of brief `id` appeared: other sources carrying the same article, and the
    /// other briefs of its story.
    pub fn story_appearances(&self, id: BriefId) -> Result<Vec<Appearance>, StoreError> {
        let op = "reading a story";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT b.id, so.name, b.url, b.title, b.fetched_at AS at FROM briefs b
                   JOIN sources so ON so.id = b.source_id
                 WHERE b.story_id = (SELECT story_id FROM briefs WHERE id = ?1) AND b.id <> ?1
                 UNION ALL
                 SELECT b.id, so.name, coalesce(s.url, b.url), b.title, s.seen_at FROM sightings s
                   JOIN briefs b ON b.id = s.brief_id JOIN sources so ON so.id = s.source_id
                 WHERE b.story_id = (SELECT story_id FROM briefs WHERE id = ?1)
                   AND s.source_id <> b.source_id
                 ORDER BY 5, 1",
            )
            .ctx(op)?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(Appearance {
                    brief_id: r.get(0)?,
                    source: r.get(1)?,
                    url: r.get(2)?,
                    title: r.get(3)?,
                })
            })
            .ctx(op)?;
        rows.collect::<Result<_, _>>().ctx(op)
    }
}
