//! From rule points to reported topics: adds a model's contribution, turns points into scores, keeps what
//! the pack reports (or the one topic of a single-label pack) and only then writes out their evidence.

use super::matcher::{Analyzed, Hit};
use super::normalize::Tokens;
use super::score::{self, Pending, RuleScore, Said};
use super::{Classifier, Field, TopicHit};

/// A scored topic whose evidence is not written out yet.
pub(super) struct Ranked {
    pub topic: usize,
    pub score: f32,
    pub evidence: Vec<Pending>,
    pub model_score: Option<f32>,
}

impl Classifier {
    /// The reported topics with their evidence written out in full (snippets included).
    pub(super) fn hits(&self, ranked: Vec<Ranked>, texts: [&str; 2]) -> Vec<TopicHit> {
        ranked
            .into_iter()
            .map(|r| {
                let t = &self.pack.topics[r.topic];
                TopicHit {
                    id: t.id.clone(),
                    score: r.score,
                    evidence: r.evidence.iter().map(|e| e.evidence(t, texts)).collect(),
                    model_score: r.model_score,
                }
            })
            .collect()
    }

    /// Adds the model's contribution, turns points into scores and keeps what the pack reports, best
    /// first.
    pub(super) fn combine(&self, rules: Vec<RuleScore>, fields: &[Tokens; 2]) -> Vec<Ranked> {
        let probs = self.model.as_ref().map(|(m, map)| {
            let a = fields
                .clone()
                .map(|t| Analyzed::from_tokens(t, &self.stemmer));
            let p = m.predict_analyzed(&[&a[0], &a[1]]);
            let q = m.rebased(&p);
            map.iter()
                .map(|i| i.map(|i| (p[i], q[i])))
                .collect::<Vec<_>>()
        });
        let mut by_topic: Vec<Option<RuleScore>> = Vec::new();
        let every_topic = probs.is_some() || self.pack.single_label;
        if every_topic {
            by_topic.resize_with(self.pack.topics.len(), || None);
        }
        let mut candidates = Vec::new();
        for r in rules {
            if every_topic {
                let i = r.topic;
                by_topic[i] = Some(r);
            } else {
                candidates.push(r);
            }
        }
        if every_topic {
            for (i, r) in by_topic.into_iter().enumerate() {
                candidates.push(r.unwrap_or_else(|| RuleScore {
                    topic: i,
                    raw: 0.0,
                    gates_ok: score::gates_ok_without_hits(&self.pack.topics[i]),
                    evidence: Vec::new(),
                }));
            }
        }
        let factor = self
            .pack
            .threshold_factor(fields[0].len() + fields[1].len());
        let mut out: Vec<Ranked> = Vec::with_capacity(candidates.len());
        for mut r in candidates {
            if !r.gates_ok {
                continue;
            }
            let t = &self.pack.topics[r.topic];
            let threshold = t.threshold * factor;
            let pq = probs.as_ref().and_then(|p| p[r.topic]);
            let p = pq.map(|(p, _)| p);
            if let Some((_, q)) = pq {
                // The rebased probability: a model with no evidence either way adds nothing, and
                // neither does the part of its certainty within the pack's margin.
                let c =
                    self.pack.model_weight * threshold * beyond_margin(q, self.pack.model_margin);
                r.raw += c;
                r.evidence.push(Pending {
                    said: Said::Model,
                    hit: Hit {
                        pattern: 0,
                        field: Field::Title,
                        first: 0,
                        last: 0,
                        start: 0,
                        end: 0,
                    },
                    weight: c,
                });
            }
            let score = if r.raw > 0.0 {
                r.raw / (r.raw + threshold)
            } else {
                0.0
            };
            out.push(Ranked {
                topic: r.topic,
                score,
                evidence: r.evidence,
                model_score: p,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        if self.pack.single_label {
            out = self.single(out);
        } else {
            out.retain(|t| t.score > 0.0 && t.score >= self.min_score);
        }
        out
    }

    /// The one topic of a single-label pack: the best scoring, else the model's favourite, else the fallback.
    fn single(&self, ranked: Vec<Ranked>) -> Vec<Ranked> {
        if ranked.first().is_some_and(|t| t.score > 0.0) {
            return ranked.into_iter().take(1).collect();
        }
        let by_model = ranked
            .into_iter()
            .filter(|t| t.model_score.is_some())
            .max_by(|a, b| {
                a.model_score
                    .unwrap_or(0.0)
                    .total_cmp(&b.model_score.unwrap_or(0.0))
            });
        let pick = by_model.unwrap_or_else(|| Ranked {
            topic: self.pack.fallback.unwrap_or(0),
            score: 0.0,
            evidence: Vec::new(),
            model_score: None,
        });
        vec![pick]
    }
}

/// A model's certainty for or against a topic (`2q − 1` of its rebased probability `q`, −1 to 1)
/// with the first `margin` of it counting for nothing and the rest rescaled to the full range.
pub(super) fn beyond_margin(q: f32, margin: f32) -> f32 {
    let x = 2.0 * q - 1.0;
    x.signum() * ((x.abs() - margin).max(0.0) / (1.0 - margin))
}
