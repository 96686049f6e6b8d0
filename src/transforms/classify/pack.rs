//! Topic packs: the raw TOML shape users write and its compiled, validated form. Owns `PackError`.
//! Parses text only (reading a pack file is the config's job); does not match text.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use rust_stemmers::Stemmer;
use serde::Deserialize;

use super::matcher::{Variant, compile_term, stemmer};

/// The default pack shipped with briefwatch (`config/topics.toml`).
const DEFAULT_PACK: &str = include_str!("../../../config/topics.toml");

/// A topic pack that could not be loaded: the file, and when known the topic and rule at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct PackError {
    /// The pack file (or the label the caller gave its text).
    pub file: String,
    /// The topic id (or index, when the id itself is missing) the problem is in.
    pub topic: Option<String>,
    /// The rule within the topic, e.g. `terms."cease fire"` or `near[0].within`.
    pub rule: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(t) = &self.topic {
            write!(f, ": topic `{t}`")?;
        }
        if let Some(r) = &self.rule {
            write!(f, ", rule `{r}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    single_label: bool,
    fallback: Option<String>,
    title_weight: Option<f32>,
    model_weight: Option<f32>,
    model_margin: Option<f32>,
    long_text_words: Option<u32>,
    #[serde(default)]
    topic: Vec<RawTopic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: String,
    label: Option<String>,
    #[serde(default)]
    description: String,
    threshold: Option<f32>,
    #[serde(default)]
    terms: BTreeMap<String, f32>,
    #[serde(default)]
    near: Vec<RawNear>,
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    any: Vec<String>,
    #[serde(default)]
    none: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNear {
    a: Vec<String>,
    b: Vec<String>,
    within: u32,
    weight: f32,
    #[serde(default)]
    ordered: bool,
}

/// [`Pack::model_margin`] when a pack does not set it: on the labelled dev sets (topics and event
/// types, cross-validated) 0.6 to 0.8 all keep the rules' recall; 0 loses 5 to 7 recall points.
pub const DEFAULT_MODEL_MARGIN: f32 = 0.7;

/// A compiled topic pack: topics with their rules, ready for a [`super::Classifier`].
#[derive(Debug, Clone)]
pub struct Pack {
    /// Where the pack came from (a path or a label).
    pub file: String,
    /// The pack's name.
    pub name: String,
    /// What the pack is for.
    pub description: String,
    /// Whether every text gets exactly one topic (the best, else `fallback`).
    pub single_label: bool,
    /// Index into `topics` of the topic used when nothing matches, in single-label packs.
    pub fallback: Option<usize>,
    /// Factor applied to rule hits found in the title.
    pub title_weight: f32,
    /// How much a model's opinion counts, in units of a topic's threshold (0 ignores models).
    pub model_weight: f32,
    /// The share of a model's certainty (`|2q − 1|` of its rebased probability `q`, 0 to 1) that
    /// counts for nothing: only certainty beyond it adds or removes points, rescaled so that a
    /// certain model still moves `model_weight` thresholds. A model trained on a few hundred
    /// examples leans mildly against most topics on most texts; without a margin that lean
    /// vetoes rule hits that just reach their threshold (one core term).
    pub model_margin: f32,
    /// Words (title and text together) beyond which thresholds grow with the square root of the
    /// length, so that a passing mention in a long article does not tag it; `None`: no growth.
    pub long_text_words: Option<u32>,
    /// The topics, in file order.
    pub topics: Vec<Topic>,
}

/// One topic and its rules.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Stable id (used by alerts, the store and label files).
    pub id: String,
    /// Human-readable name.
    pub label: String,
    /// What the topic covers.
    pub description: String,
    /// Rule points a text needs for the topic to apply (its score is then 0.5).
    pub threshold: f32,
    /// Weighted terms and phrases.
    pub terms: Vec<Term>,
    /// Proximity rules.
    pub near: Vec<Near>,
    /// Terms that must all occur.
    pub all: Vec<Term>,
    /// Terms of which at least one must occur (when any are listed).
    pub any: Vec<Term>,
    /// Terms of which none may occur.
    pub none: Vec<Term>,
    /// Phrases whose occurrences hide any overlapping hit of this topic ("hunger strike" for "strike").
    pub exclude: Vec<Term>,
}

/// A term as written in the pack, compiled.
#[derive(Debug, Clone)]
pub struct Term {
    /// The term as written.
    pub text: String,
    /// Points per match (1 for group members and exclusions).
    pub weight: f32,
    pub(crate) variants: Vec<Variant>,
}

/// A proximity rule: a term of `a` within `within` words of a term of `b`, either order.
#[derive(Debug, Clone)]
pub struct Near {
    /// One side.
    pub a: Vec<Term>,
    /// The other side.
    pub b: Vec<Term>,
    /// Largest distance in words between the two.
    pub within: u32,
    /// Points when the rule holds.
    pub weight: f32,
    /// Whether the `a` term must come first ("militants attacked", not "attacked the militants").
    pub ordered: bool,
}

impl Pack {
    /// The default pack shipped with briefwatch (the 14 topics of `docs/topics.md`).
    pub fn default_pack() -> Pack {
        parse_pack(DEFAULT_PACK, "config/topics.toml (built in)")
            .expect("the built-in pack compiles")
    }

    /// The index of topic `id`.
    pub fn topic_index(&self, id: &str) -> Option<usize> {
        self.topics.iter().position(|t| t.id == id)
    }

    /// What a topic's threshold is multiplied by for a text of `words` words: 1 up to
    /// [`Pack::long_text_words`], then √(words / long_text_words).
    pub fn threshold_factor(&self, words: usize) -> f32 {
        match self.long_text_words {
            Some(w) if words > w as usize => (words as f32 / w as f32).sqrt(),
            _ => 1.0,
        }
    }

    /// The topic ids, in pack order.
    pub fn topic_ids(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.id.clone()).collect()
    }
}

/// Compiles pack text; `file_label` names it in errors.
pub fn parse_pack(text: &str, file_label: &str) -> Result<Pack, PackError> {
    let err = |topic: Option<&str>, rule: Option<String>, reason: String| PackError {
        file: file_label.to_string(),
        topic: topic.map(str::to_string),
        rule,
        reason,
    };
    let raw: RawPack =
        toml::from_str(text).map_err(|e| err(None, None, e.to_string().trim_end().to_string()))?;
    let stemmer = stemmer();
    let mut topics = Vec::with_capacity(raw.topic.len());
    let mut seen = HashSet::new();
    for (i, t) in raw.topic.into_iter().enumerate() {
        let name = if t.id.trim().is_empty() {
            format!("#{}", i + 1)
        } else {
            t.id.clone()
        };
        let topic = compile_topic(t, &stemmer)
            .map_err(|(rule, reason)| err(Some(&name), Some(rule), reason))?;
        if !seen.insert(topic.id.clone()) {
            return Err(err(
                Some(&name),
                Some("id".into()),
                "duplicate topic id".into(),
            ));
        }
        topics.push(topic);
    }
    if topics.is_empty() {
        return Err(err(None, None, "the pack has no [[topic]]".into()));
    }
    let fallback = match raw.fallback {
        None => None,
        Some(f) => Some(topics.iter().position(|t| t.id == f).ok_or_else(|| {
            err(
                None,
                Some("fallback".into()),
                format!("no topic has id {f:?}"),
            )
        })?),
    };
    let positive = |v: Option<f32>, default: f32, key: &str| match v {
        Some(v) if !v.is_finite() || v < 0.0 => Err(err(
            None,
            Some(key.into()),
            format!("must be a finite number ≥ 0, not {v}"),
        )),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    Ok(Pack {
        file: file_label.to_string(),
        name: raw.name.unwrap_or_else(|| file_label.to_string()),
        description: raw.description.unwrap_or_default(),
        single_label: raw.single_label,
        fallback,
        title_weight: positive(raw.title_weight, 2.0, "title_weight")?,
        model_weight: positive(raw.model_weight, 1.0, "model_weight")?,
        model_margin: match raw.model_margin {
            Some(m) if !(0.0..1.0).contains(&m) => {
                return Err(err(
                    None,
                    Some("model_margin".into()),
                    format!("must be at least 0 and below 1, not {m}"),
                ));
            }
            Some(m) => m,
            None => DEFAULT_MODEL_MARGIN,
        },
        long_text_words: match raw.long_text_words {
            Some(0) => {
                return Err(err(
                    None,
                    Some("long_text_words".into()),
                    "must be at least 1 word".into(),
                ));
            }
            w => w,
        },
        topics,
    })
}

type RuleError = (String, String);

fn check_id(id: &str) -> Result<(), RuleError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err((
            "id".into(),
            format!("{id:?} must be non-empty ASCII letters, digits, '_', '-' or '.'"),
        ))
    }
}

/// The largest weight a term or `near` rule may carry, either sign. Scores add weights over up to
/// tens of thousands of matches: far larger ones would overflow `f32` to infinity and the topic's
/// score to NaN (found by fuzzing the pack parser).
pub const MAX_WEIGHT: f32 = 1_000.0;

fn compile_topic(t: RawTopic, stemmer: &Stemmer) -> Result<Topic, RuleError> {
    check_id(&t.id)?;
    let threshold = t.threshold.unwrap_or(3.0);
    if !threshold.is_finite() || threshold <= 0.0 {
        return Err(("threshold".into(), format!("must be > 0, not {threshold}")));
    }
    let term = |text: &str, weight: f32, rule: String| -> Result<Term, RuleError> {
        if !weight.is_finite() {
            return Err((rule, format!("weight {weight} is not a number")));
        }
        if weight.abs() > MAX_WEIGHT {
            return Err((
                rule,
                format!("weight {weight} is outside -{MAX_WEIGHT}..={MAX_WEIGHT}"),
            ));
        }
        let variants = compile_term(text, stemmer).map_err(|reason| (rule, reason))?;
        Ok(Term {
            text: text.to_string(),
            weight,
            variants,
        })
    };
    let list = |items: &[String], key: &str| -> Result<Vec<Term>, RuleError> {
        items
            .iter()
            .enumerate()
            .map(|(i, s)| term(s, 1.0, format!("{key}[{i}]")))
            .collect()
    };
    let terms = t
        .terms
        .iter()
        .map(|(s, &w)| term(s, w, format!("terms.{s:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, a) in terms.iter().enumerate() {
        if let Some(b) = terms[..i].iter().find(|b| b.variants == a.variants) {
            return Err((
                format!("terms.{:?}", a.text),
                format!(
                    "matches the same words as {:?} (terms match their inflections through stemming); keep one",
                    b.text
                ),
            ));
        }
    }
    let mut near = Vec::with_capacity(t.near.len());
    for (i, n) in t.near.iter().enumerate() {
        if n.within == 0 {
            return Err((
                format!("near[{i}].within"),
                "must be at least 1 word".into(),
            ));
        }
        if n.a.is_empty() || n.b.is_empty() {
            return Err((
                format!("near[{i}]"),
                "`a` and `b` must both list terms".into(),
            ));
        }
        if !n.weight.is_finite() {
            return Err((format!("near[{i}].weight"), "is not a number".into()));
        }
        if n.weight.abs() > MAX_WEIGHT {
            return Err((
                format!("near[{i}].weight"),
                format!("{} is outside -{MAX_WEIGHT}..={MAX_WEIGHT}", n.weight),
            ));
        }
        near.push(Near {
            a: list(&n.a, &format!("near[{i}].a"))?,
            b: list(&n.b, &format!("near[{i}].b"))?,
            within: n.within,
            weight: n.weight,
            ordered: n.ordered,
        });
    }
    if terms.is_empty() && near.is_empty() {
        return Err((
            "terms".into(),
            "a topic needs at least one weighted term or near rule".into(),
        ));
    }
    Ok(Topic {
        label: t.label.clone().unwrap_or_else(|| t.id.clone()),
        description: t.description.clone(),
        threshold,
        terms,
        near,
        all: list(&t.all, "all")?,
        any: list(&t.any, "any")?,
        none: list(&t.none, "none")?,
        exclude: list(&t.exclude, "exclude")?,
        id: t.id,
    })
}
