//! Topic and entity tagging of briefs: topic packs (readable TOML rules), one matching pass over
//! normalised, stemmed tokens, an optional linear model learnt from labels, and a gazetteer of entities.
//! Pure and synchronous, and no I/O: packs, gazetteers and label files come in as text (`config` reads them).
//!
//! Typical use:
//!
//! ```ignore
//! let classifier = Classifier::new(Pack::default_pack(), None);
//! let c = classifier.classify("Truce holds in Gaza", "The ceasefire brokered by Qatar ...");
//! for t in &c.topics { println!("{} {:.2}", t.id, t.score); }
//! ```
//!
//! Scores: a topic's rule points `raw` (terms, proximity rules, a model's contribution) become
//! `score = raw / (raw + threshold)`, so a text that just reaches the topic's threshold scores 0.5.

pub mod entities;
#[cfg(test)]
mod golden_tests;
mod headline;
pub mod labels;
mod matcher;
pub mod model;
pub mod normalize;
pub mod pack;
mod rank;
mod score;
mod snippet;
pub use snippet::snippet;
mod table;
#[cfg(test)]
mod tests;
mod words;

use std::fmt;

use rust_stemmers::Stemmer;

use crate::model::{EntityTag, TopicTag};
use serde::{Deserialize, Serialize};

pub use entities::{Entity, EntityKind, Gazetteer};
pub use headline::split_title;
pub use labels::{LabelledExample, LabelsError, read_tsv};
pub use model::{Model, TrainOptions};
pub use pack::{DEFAULT_MODEL_MARGIN, Pack, PackError, Topic, parse_pack};

use matcher::{Hit, Table, Use};
use normalize::Tokens;

/// The score at or above which a topic is reported, unless a caller sets another.
pub const DEFAULT_MIN_SCORE: f32 = 0.5;

/// Which part of a brief a match is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The title.
    Title = 0,
    /// The plain text.
    Text = 1,
}

/// One reason a topic was given: a rule match, or a model's contribution (`field` is then `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// The term as written in the pack, `a ~ b` for a proximity rule, or `model`.
    pub term: String,
    /// Where the match is; `None` for a model contribution.
    pub field: Option<Field>,
    /// Byte offset of the match in the original field text.
    pub start: usize,
    /// Byte offset just past the match in the original field text.
    pub end: usize,
    /// A short excerpt around the match (empty for a model contribution).
    pub snippet: String,
    /// Points this evidence adds (negative when a model argues against the topic).
    pub weight: f32,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            None => write!(f, "{}: {:+.2}", self.term, self.weight),
            Some(field) => write!(
                f,
                "{:?} ({field:?} {}..{}): {:+.2}  {}",
                self.term, self.start, self.end, self.weight, self.snippet
            ),
        }
    }
}

/// A topic given to a brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicHit {
    /// The topic id.
    pub id: String,
    /// Confidence in `[0, 1]`; 0.5 means the topic's threshold was just reached. (1 only when the
    /// points outweigh the threshold beyond `f32` precision: a weight of 1e30, a threshold of 1e-9.)
    pub score: f32,
    /// Why, strongest first.
    pub evidence: Vec<Evidence>,
    /// The model's probability for the topic, when a model took part.
    pub model_score: Option<f32>,
}

/// An entity named in a brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityHit {
    /// Canonical name.
    pub name: String,
    /// Country, city or organisation.
    pub kind: EntityKind,
    /// Where it was found.
    pub field: Field,
    /// Byte offset in the original field text.
    pub start: usize,
    /// Byte offset just past the name in the original field text.
    pub end: usize,
}

/// What a brief is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Topics at or above the minimum score, best first (exactly one in a single-label pack).
    pub topics: Vec<TopicHit>,
    /// Entities in title then text order.
    pub entities: Vec<EntityHit>,
}

/// Most evidence items kept per stored topic (the strongest); the rest only add to the score.
pub const STORED_EVIDENCE: usize = 5;

/// One evidence item as stored: `[term, field, start, end, weight]` with field `title`, `text` or
/// `model`. Snippets are not stored: [`snippet`] rebuilds them from the brief's own text.
pub type StoredEvidence = (String, String, usize, usize, f32);

impl Classification {
    /// The stored form: topics with their strongest [`STORED_EVIDENCE`] evidence items as a compact
    /// JSON array of [`StoredEvidence`], and each entity once.
    pub fn into_tags(self) -> (Vec<TopicTag>, Vec<EntityTag>) {
        let topics = self
            .topics
            .into_iter()
            .map(|t| {
                let items: Vec<StoredEvidence> = t
                    .evidence
                    .into_iter()
                    .take(STORED_EVIDENCE)
                    .map(|e| {
                        let field = match e.field {
                            Some(Field::Title) => "title",
                            Some(Field::Text) => "text",
                            None => "model",
                        };
                        let weight = (e.weight * 100.0).round() / 100.0;
                        (e.term, field.to_string(), e.start, e.end, weight)
                    })
                    .collect();
                TopicTag {
                    evidence: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
                    topic: t.id,
                    score: t.score,
                }
            })
            .collect();
        let mut entities: Vec<EntityTag> = Vec::new();
        for e in self.entities {
            if !entities.iter().any(|x| x.name == e.name) {
                entities.push(EntityTag {
                    name: e.name,
                    kind: e.kind.as_str().to_string(),
                });
            }
        }
        (topics, entities)
    }
}

/// Stored evidence expanded for output, snippets rebuilt from the brief's `title` and `text`. A
/// term is shown as the reader would write it: without the pack's `=` (exact form) marker.
pub fn expand_evidence(stored: &str, title: &str, text: &str) -> Vec<Evidence> {
    let items: Vec<StoredEvidence> = serde_json::from_str(stored).unwrap_or_default();
    items
        .into_iter()
        .map(|(term, field, start, end, weight)| {
            let (field, source) = match field.as_str() {
                "title" => (Some(Field::Title), title),
                "text" => (Some(Field::Text), text),
                _ => (None, ""),
            };
            Evidence {
                snippet: if field.is_some() {
                    snippet(source, start, end)
                } else {
                    String::new()
                },
                term: match term.strip_prefix('=') {
                    Some(t) => t.to_owned(),
                    None => term,
                },
                field,
                start,
                end,
                weight,
            }
        })
        .collect()
}

/// A compiled classifier: a pack's rules and a gazetteer in one pattern table, and optionally a model.
pub struct Classifier {
    pack: Pack,
    gazetteer: Gazetteer,
    /// The model and, per pack topic, its index among the model's topics.
    model: Option<(Model, Vec<Option<usize>>)>,
    table: Table,
    stemmer: Stemmer,
    min_score: f32,
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field("pack", &self.pack.name)
            .field("topics", &self.pack.topics.len())
            .field("entities", &self.gazetteer.entities.len())
            .field("patterns", &self.table.len())
            .field("model", &self.model.is_some())
            .field("min_score", &self.min_score)
            .finish()
    }
}

impl Classifier {
    /// A classifier over `pack` with the built-in gazetteer and an optional model.
    pub fn new(pack: Pack, model: Option<Model>) -> Classifier {
        Classifier::with_gazetteer(pack, Gazetteer::builtin(), model)
    }

    /// A classifier over `pack` with the given gazetteer (use [`Gazetteer::empty`] for no entities).
    pub fn with_gazetteer(pack: Pack, gazetteer: Gazetteer, model: Option<Model>) -> Classifier {
        let mut table = Table::default();
        for (ti, t) in pack.topics.iter().enumerate() {
            let topic = ti as u32;
            let add = |table: &mut Table, terms: &[pack::Term], make: &dyn Fn(u32) -> Use| {
                for (i, term) in terms.iter().enumerate() {
                    for v in &term.variants {
                        table.add(v, make(i as u32));
                    }
                }
            };
            add(&mut table, &t.terms, &|term| Use::Term { topic, term });
            add(&mut table, &t.all, &|term| Use::All { topic, term });
            add(&mut table, &t.any, &|term| Use::Any { topic, term });
            add(&mut table, &t.none, &|term| Use::None { topic, term });
            add(&mut table, &t.exclude, &|term| Use::Exclude { topic, term });
            for (ri, n) in t.near.iter().enumerate() {
                let rule = ri as u32;
                add(&mut table, &n.a, &|term| Use::Near {
                    topic,
                    rule,
                    side: 0,
                    term,
                });
                add(&mut table, &n.b, &|term| Use::Near {
                    topic,
                    rule,
                    side: 1,
                    term,
                });
            }
        }
        for (ei, e) in gazetteer.entities.iter().enumerate() {
            for (ai, (_, variants)) in e.aliases.iter().enumerate() {
                for v in variants {
                    table.add(
                        v,
                        Use::Entity {
                            entity: ei as u32,
                            alias: ai as u32,
                        },
                    );
                }
            }
        }
        let model = model.map(|m| {
            let map = pack.topics.iter().map(|t| m.topic_index(&t.id)).collect();
            (m, map)
        });
        Classifier {
            pack,
            gazetteer,
            model,
            table,
            stemmer: matcher::stemmer(),
            min_score: DEFAULT_MIN_SCORE,
        }
    }

    /// Reports topics scoring at least `min_score` (default [`DEFAULT_MIN_SCORE`]).
    pub fn with_min_score(mut self, min_score: f32) -> Classifier {
        self.min_score = min_score;
        self
    }

    /// The pack this classifier applies.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Topics (with evidence) and entities of a brief.
    pub fn classify(&self, title: &str, text: &str) -> Classification {
        SCRATCH.with_borrow_mut(|s| self.classify_with(title, text, s))
    }

    fn classify_with(&self, title: &str, text: &str, s: &mut Scratch) -> Classification {
        let texts = [title, text];
        self.scan(title, text, s);
        let rules = score::score_topics(&self.pack, &self.table, &s.hits);
        let ranked = self.combine(rules, &s.fields);
        Classification {
            topics: self.hits(ranked, texts),
            entities: score::entities(&self.table, &self.gazetteer, &s.hits),
        }
    }

    /// What [`Classifier::classify`] then [`Classification::into_tags`] give, without writing out
    /// evidence that is not stored (snippets, evidence past [`STORED_EVIDENCE`]): the ingest path.
    pub fn tags(&self, title: &str, text: &str) -> (Vec<TopicTag>, Vec<EntityTag>) {
        SCRATCH.with_borrow_mut(|s| {
            self.scan(title, text, s);
            let rules = score::score_topics(&self.pack, &self.table, &s.hits);
            let topics = self
                .combine(rules, &s.fields)
                .into_iter()
                .map(|r| {
                    let t = &self.pack.topics[r.topic];
                    let items: Vec<_> = r
                        .evidence
                        .iter()
                        .take(STORED_EVIDENCE)
                        .map(|e| e.stored(t))
                        .collect();
                    TopicTag {
                        topic: t.id.clone(),
                        score: r.score,
                        evidence: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
                    }
                })
                .collect();
            let mut entities: Vec<EntityTag> = Vec::new();
            score::each_entity(&self.table, &s.hits, |ei, _| {
                let e = &self.gazetteer.entities[ei as usize];
                if !entities.iter().any(|x| x.name == e.name) {
                    entities.push(EntityTag {
                        name: e.name.clone(),
                        kind: e.kind.as_str().to_string(),
                    });
                }
            });
            (topics, entities)
        })
    }

    /// Tokenises both fields into the scratch buffers and collects every pattern hit.
    fn scan(&self, title: &str, text: &str, s: &mut Scratch) {
        s.hits.clear();
        for (k, (field, source)) in [(Field::Title, title), (Field::Text, text)]
            .into_iter()
            .enumerate()
        {
            normalize::tokenize_into(source, &mut s.fields[k]);
            self.table.scan(
                field,
                &s.fields[k],
                &self.stemmer,
                &mut s.matcher,
                &mut s.hits,
            );
        }
    }
}

/// Buffers one thread reuses from brief to brief.
#[derive(Default)]
struct Scratch {
    matcher: matcher::Scratch,
    fields: [Tokens; 2],
    hits: Vec<Hit>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
}
