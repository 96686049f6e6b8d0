//! Topics and entities of briefs (`brief_topics`, `brief_entities`), the labels users give for
//! training, and trained models. Does not classify anything: the pipeline and `reclassify` hand in
//! what the classifier said.

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{Context, Store, StoreError, query_all, to_ts};
use crate::model::{BriefId, EntityTag, TopicTag};

/// A brief's text for (re)classification or training.
#[derive(Debug, Clone)]
pub struct BriefText {
    /// Row id.
    pub id: BriefId,
    /// Plain-text title.
    pub title: String,
    /// Plain-text body.
    pub text: String,
}

/// A label a user gave: brief `brief_id` is (or, when `positive` is false, is not) about `topic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The brief.
    pub brief_id: BriefId,
    /// The topic id.
    pub topic: String,
    /// Whether the brief is about the topic.
    pub positive: bool,
}

/// A stored model's body and facts about it.
#[derive(Debug, Clone)]
pub struct StoredModel {
    /// The model as JSON.
    pub body: String,
    /// How many examples it was trained on.
    pub examples: i64,
    /// When it was trained (seconds since the epoch).
    pub trained_at: i64,
}

/// The brief row's `topics` column: `[[topic, score], ...]`, best first; `None` when there are none.
pub(super) fn topics_column(topics: &[TopicTag]) -> Option<String> {
    let pairs: Vec<(&str, f64)> = topics
        .iter()
        .map(|t| {
            (
                t.topic.as_str(),
                (f64::from(t.score) * 1000.0).round() / 1000.0,
            )
        })
        .collect();
    (!pairs.is_empty()).then(|| serde_json::to_string(&pairs).expect("topics serialise"))
}

/// The brief row's `entities` column: `[[name, kind], ...]`; `None` when there are none.
pub(super) fn entities_column(entities: &[EntityTag]) -> Option<String> {
    let pairs: Vec<(&str, &str)> = entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind.as_str()))
        .collect();
    (!pairs.is_empty()).then(|| serde_json::to_string(&pairs).expect("entities serialise"))
}

fn parse_topics(col: Option<String>) -> Vec<(String, f32)> {
    col.and_then(|c| serde_json::from_str::<Vec<(String, f32)>>(&c).ok())
        .unwrap_or_default()
}

fn parse_entities(col: Option<String>) -> Vec<EntityTag> {
    col.and_then(|c| serde_json::from_str::<Vec<(String, String)>>(&c).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, kind)| EntityTag { name, kind })
        .collect()
}

/// Writes the filter index rows of a brief's topics and entities (inside the brief's
/// transaction; the brief row carries the `topics` and `entities` columns itself).
pub(super) fn insert_tags(
    tx: &Connection,
    id: BriefId,
    topics: &[TopicTag],
    entities: &[EntityTag],
) -> Result<(), StoreError> {
    let op = "storing a brief's topics";
    if !topics.is_empty() {
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO brief_topics (topic, brief_id, score, evidence)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .ctx(op)?;
        for t in topics {
            stmt.execute(params![t.topic, id, f64::from(t.score), t.evidence])
                .ctx(op)?;
        }
    }
    if !entities.is_empty() {
        let mut stmt = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO brief_entities (entity, brief_id) VALUES (?1, ?2)",
            )
            .ctx(op)?;
        for e in entities {
            stmt.execute(params![e.name.to_lowercase(), id]).ctx(op)?;
        }
    }
    Ok(())
}

/// Deletes the index rows of brief `id`'s topics and entities (found through its row's columns).
pub(super) fn remove_tags(tx: &Connection, id: BriefId) -> Result<(), StoreError> {
    let op = "removing a brief's topics";
    let cols: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached("SELECT topics, entities FROM briefs WHERE id = ?1")
        .ctx(op)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .ctx(op)?;
    let Some((topics, entities)) = cols else {
        return Ok(());
    };
    let mut del = tx
        .prepare_cached("DELETE FROM brief_topics WHERE topic = ?1 AND brief_id = ?2")
        .ctx(op)?;
    for (topic, _) in parse_topics(topics) {
        del.execute(params![topic, id]).ctx(op)?;
    }
    let mut del = tx
        .prepare_cached("DELETE FROM brief_entities WHERE entity = ?1 AND brief_id = ?2")
        .ctx(op)?;
    for e in parse_entities(entities) {
        del.execute(params![e.name.to_lowercase(), id]).ctx(op)?;
    }
    Ok(())
}

impl Store {
    /// The topics of one brief, best first, with their evidence.
    pub fn brief_topics(&self, id: BriefId) -> Result<Vec<TopicTag>, StoreError> {
        let op = "reading a brief's topics";
        let col: Option<String> = self
            .conn
            .query_row("SELECT topics FROM briefs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .ctx(op)?
            .flatten();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT evidence FROM brief_topics WHERE topic = ?1 AND brief_id = ?2")
            .ctx(op)?;
        parse_topics(col)
            .into_iter()
            .map(|(topic, score)| {
                let evidence: Option<String> = stmt
                    .query_row(params![topic, id], |r| r.get(0))
                    .optional()
                    .ctx(op)?;
                Ok(TopicTag {
                    topic,
                    score,
                    evidence: evidence.unwrap_or_else(|| "[]".into()),
                })
            })
            .collect()
    }

    /// The entities named in one brief.
    pub fn brief_entities(&self, id: BriefId) -> Result<Vec<EntityTag>, StoreError> {
        let col: Option<String> = self
            .conn
            .query_row("SELECT entities FROM briefs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .ctx("reading a brief's entities")?
            .flatten();
        Ok(parse_entities(col))
    }

    /// Topic ids and scores of several briefs (for listings), best first per brief.
    pub fn topic_scores(
        &self,
        ids: &[BriefId],
    ) -> Result<HashMap<BriefId, Vec<(String, f32)>>, StoreError> {
        let op = "reading topics";
        let mut out: HashMap<BriefId, Vec<(String, f32)>> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT topics FROM briefs WHERE id = ?1")
            .ctx(op)?;
        for id in ids {
            let col: Option<String> = stmt
                .query_row([id], |r| r.get(0))
                .optional()
                .ctx(op)?
                .flatten();
            let topics = parse_topics(col);
            if !topics.is_empty() {
                out.insert(*id, topics);
            }
        }
        Ok(out)
    }

    /// Up to `limit` briefs with an id above `after`, in id order (for paging through every brief).
    pub fn brief_texts(&self, after: BriefId, limit: usize) -> Result<Vec<BriefText>, StoreError> {
        query_all(
            &self.conn,
            "reading briefs to classify",
            "SELECT id, title, text FROM briefs WHERE id > ?1 ORDER BY id LIMIT ?2",
            params![after, limit as i64],
            |r| {
                Ok(BriefText {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    text: r.get(2)?,
                })
            },
        )
    }

    /// How many briefs are stored.
    pub fn count_briefs(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM briefs", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .ctx("counting briefs")
    }

    /// Replaces the topics and entities of a batch of briefs in one transaction (`reclassify`).
    pub fn replace_tags(
        &mut self,
        batch: &[(BriefId, Vec<TopicTag>, Vec<EntityTag>)],
    ) -> Result<(), StoreError> {
        let op = "replacing topics";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        for (id, topics, entities) in batch {
            remove_tags(&tx, *id)?;
            tx.prepare_cached("UPDATE briefs SET topics = ?2, entities = ?3 WHERE id = ?1")
                .ctx(op)?
                .execute(params![
                    id,
                    topics_column(topics),
                    entities_column(entities)
                ])
                .ctx(op)?;
            insert_tags(&tx, *id, topics, entities)?;
        }
        tx.commit().ctx(op)
    }

    /// Records that brief `id` is (or is not) about `topic`; a later label for the same pair wins.
    pub fn add_label(
        &mut self,
        id: BriefId,
        topic: &str,
        positive: bool,
    ) -> Result<(), StoreError> {
        let op = "recording a label";
        let exists: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM briefs WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )
            .ctx(op)?;
        if !exists {
            return Err(StoreError::NotFound {
                what: format!("brief {id}"),
            });
        }
        self.conn
            .execute(
                "INSERT OR REPLACE INTO labels (brief_id, topic, positive, labelled_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id, topic, positive, to_ts(Utc::now())],
            )
            .ctx(op)?;
        Ok(())
    }

    /// Every label, by brief.
    pub fn labels(&self) -> Result<Vec<Label>, StoreError> {
        query_all(
            &self.conn,
            "reading labels",
            "SELECT brief_id, topic, positive FROM labels ORDER BY brief_id, topic",
            [],
            |r| {
                Ok(Label {
                    brief_id: r.get(0)?,
                    topic: r.get(1)?,
                    positive: r.get(2)?,
                })
            },
        )
    }

    /// Stores (replacing) the model called `name`.
    pub fn save_model(&mut self, name: &str, body: &str, examples: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO models (name, trained_at, examples, body) VALUES (?1, ?2, ?3, ?4)",
                params![name, to_ts(Utc::now()), examples, body],
            )
            .ctx("storing a model")?;
        Ok(())
    }

    /// The model called `name`, if one was trained.
    pub fn load_model(&self, name: &str) -> Result<Option<StoredModel>, StoreError> {
        self.conn
            .query_row(
                "SELECT body, examples, trained_at FROM models WHERE name = ?1",
                [name],
                |r| {
                    Ok(StoredModel {
                        body: r.get(0)?,
                        examples: r.get(1)?,
                        trained_at: r.get(2)?,
                    })
                },
            )
            .optional()
            .ctx("reading a model")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_brief() -> (tempfile::TempDir, Store, BriefId) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO sources (id, name, kind, url, interval_secs, origin, created_at)
                     VALUES (1, 's', 'feed', 'https://e.example/f', 60, 'config', 0);
                 INSERT INTO briefs (id, source_id, guid_hash, guid, title, text, fetched_at, sort_at,
                     content_hash) VALUES (7, 1, 1, 'g', 'T', 'X', 0, 0, 0);",
            )
            .unwrap();
        let tx = store.conn.transaction().unwrap();
        let topics: Vec<TopicTag> = vec![
            TopicTag {
                topic: "ceasefire".into(),
                score: 0.9,
                evidence: "[]".into(),
            },
            TopicTag {
                topic: "diplomacy".into(),
                score: 0.6,
                evidence: "[]".into(),
            },
        ];
        let entities = vec![EntityTag {
            name: "Qatar".into(),
            kind: "country".into(),
        }];
        tx.execute(
            "UPDATE briefs SET topics = ?2, entities = ?3 WHERE id = ?1",
            params![7, topics_column(&topics), entities_column(&entities)],
        )
        .unwrap();
        insert_tags(&tx, 7, &topics, &entities).unwrap();
        tx.commit().unwrap();
        (dir, store, 7)
    }

    #[test]
    fn tags_round_trip_and_are_replaced_by_reclassification() {
        let (_dir, mut store, id) = store_with_brief();
        let t = store.brief_topics(id).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].topic, "ceasefire");
        assert_eq!(store.brief_entities(id).unwrap()[0].name, "Qatar");
        let scores = store.topic_scores(&[id, 99]).unwrap();
        assert_eq!(scores[&id][1].0, "diplomacy");
        assert!(!scores.contains_key(&99));
        assert_eq!(index_rows(&store), (2, 1));
        store.replace_tags(&[(id, Vec::new(), Vec::new())]).unwrap();
        assert!(store.brief_topics(id).unwrap().is_empty());
        assert!(store.brief_entities(id).unwrap().is_empty());
        assert_eq!(index_rows(&store), (0, 0), "filter index rows left behind");
    }

    #[test]
    fn deleting_a_brief_deletes_its_tags_and_labels() {
        let (_dir, mut store, id) = store_with_brief();
        store.add_label(id, "ceasefire", true).unwrap();
        store.delete_brief(id).unwrap();
        assert!(store.brief_topics(id).unwrap().is_empty());
        assert!(store.labels().unwrap().is_empty());
        assert_eq!(index_rows(&store), (0, 0), "filter index rows left behind");
    }

    fn index_rows(store: &Store) -> (i64, i64) {
        store
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM brief_topics), (SELECT count(*) FROM brief_entities)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    #[test]
    fn labels_replace_earlier_ones_and_need_a_stored_brief() {
        let (_dir, mut store, id) = store_with_brief();
        store.add_label(id, "ceasefire", true).unwrap();
        store.add_label(id, "ceasefire", false).unwrap();
        assert_eq!(
            store.labels().unwrap(),
            vec![Label {
                brief_id: id,
                topic: "ceasefire".into(),
                positive: false
            }]
        );
        assert!(matches!(
            store.add_label(404, "ceasefire", true),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn models_are_stored_by_name() {
        let (_dir, mut store, _) = store_with_brief();
        assert!(store.load_model("topics").unwrap().is_none());
        store.save_model("topics", "{\"a\":1}", 12).unwrap();
        store.save_model("topics", "{\"a\":2}", 14).unwrap();
        let m = store.load_model("topics").unwrap().unwrap();
        assert_eq!((m.body.as_str(), m.examples), ("{\"a\":2}", 14));
    }
}
