//! A small linear model learnt from labelled texts: logistic regression over stemmed word unigrams and
//! bigrams with a vocabulary, softmax when every example has one label, one-vs-rest otherwise.
//! Owns training, prediction and the JSON form the store keeps as a blob; does no I/O.

use serde::{Deserialize, Serialize};

use super::matcher::{Analyzed, FxMap, stemmer};

/// How examples relate to topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Exactly one topic per text: probabilities sum to 1 (softmax).
    SingleLabel,
    /// Any number of topics per text: one independent probability per topic (sigmoid).
    MultiLabel,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// Passes over the examples.
    pub epochs: usize,
    /// Initial step size (decays with each epoch).
    pub learning_rate: f32,
    /// L2 penalty per update.
    pub l2: f32,
    /// Features seen in fewer examples than this are dropped (keeps the model small).
    pub min_df: usize,
    /// Seed of the example shuffle (training is deterministic).
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 25,
            learning_rate: 1.0,
            l2: 1e-5,
            min_df: 2,
            seed: 42,
        }
    }
}

/// The serialised shape (`format` lets the store refuse blobs of a future layout).
#[derive(Serialize, Deserialize)]
struct ModelData {
    format: u32,
    kind: ModelKind,
    topics: Vec<String>,
    vocab: Vec<String>,
    /// `vocab.len() × topics.len()`, row-major by feature.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Each topic's share of the training examples (absent in models trained before it was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prior: Vec<f32>,
}

/// A trained model. Serialise with serde (`to_json` / `from_json`) to keep it as a blob.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ModelData", into = "ModelData")]
pub struct Model {
    kind: ModelKind,
    topics: Vec<String>,
    vocab: Vec<String>,
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Each topic's share of the training examples, smoothed; empty for an older stored model.
    prior: Vec<f32>,
    index: FxMap<String, u32>,
}

impl From<Model> for ModelData {
    fn from(m: Model) -> ModelData {
        ModelData {
            format: 1,
            kind: m.kind,
            topics: m.topics,
            vocab: m.vocab,
            weights: m.weights,
            bias: m.bias,
            prior: m.prior,
        }
    }
}

/// A stored model that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Written by a briefwatch with another model format.
    #[error("unsupported model format {0}")]
    Format(u32),
    /// The weight matrix does not fit the vocabulary and topics.
    #[error("model weights do not match its vocabulary and topics")]
    Shape,
}

impl TryFrom<ModelData> for Model {
    type Error = ModelError;
    fn try_from(d: ModelData) -> Result<Model, ModelError> {
        if d.format != 1 {
            return Err(ModelError::Format(d.format));
        }
        if d.weights.len() != d.vocab.len() * d.topics.len()
            || d.bias.len() != d.topics.len()
            || !(d.prior.is_empty() || d.prior.len() == d.topics.len())
        {
            return Err(ModelError::Shape);
        }
        let index = d
            .vocab
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        Ok(Model {
            kind: d.kind,
            topics: d.topics,
            vocab: d.vocab,
            weights: d.weights,
            bias: d.bias,
            prior: d.prior,
            index,
        })
    }
}

/// Every unigram and bigram of stems of the given fields (bigrams do not cross fields).
fn feature_strings(fields: &[&Analyzed], mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for a in fields {
        for i in 0..a.tokens.len() {
            f(a.stem(i));
            if i + 1 < a.tokens.len() {
                buf.clear();
                buf.push_str(a.stem(i));
                buf.push(' ');
                buf.push_str(a.stem(i + 1));
                f(&buf);
            }
        }
    }
}

/// Sparse, L2-normalised binary features.
type Features = Vec<(u32, f32)>;

fn normalised(mut ids: Vec<u32>) -> Features {
    ids.sort_unstable();
    ids.dedup();
    let v = 1.0 / (ids.len().max(1) as f32).sqrt();
    ids.into_iter().map(|i| (i, v)).collect()
}

impl Model {
    /// Trains with default options. `examples` are (text, labels); labels not in `topic_ids` are ignored.
    pub fn train(examples: &[(String, Vec<String>)], topic_ids: &[String]) -> Model {
        Model::train_with(examples, topic_ids, TrainOptions::default())
    }

    /// Trains with the given options.
    pub fn train_with(
        examples: &[(String, Vec<String>)],
        topic_ids: &[String],
        opts: TrainOptions,
    ) -> Model {
        let stemmer = stemmer();
        let analyzed: Vec<Analyzed> = examples
            .iter()
            .map(|(t, _)| Analyzed::new(t, &stemmer))
            .collect();
        let kind = if examples.iter().all(|(_, l)| l.len() == 1) {
            ModelKind::SingleLabel
        } else {
            ModelKind::MultiLabel
        };
        // Vocabulary: features in at least `min_df` examples.
        let mut df: FxMap<String, (u32, usize)> = FxMap::default();
        for (n, a) in analyzed.iter().enumerate() {
            feature_strings(&[a], |s| match df.get_mut(s) {
                Some(e) if e.0 == n as u32 => {}
                Some(e) => *e = (n as u32, e.1 + 1),
                None => {
                    df.insert(s.to_string(), (n as u32, 1));
                }
            });
        }
        let mut vocab: Vec<String> = df
            .into_iter()
            .filter(|(_, (_, c))| *c >= opts.min_df)
            .map(|(s, _)| s)
            .collect();
        vocab.sort_unstable();
        let index: FxMap<String, u32> = vocab
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i as u32))
            .collect();
        let k = topic_ids.len();
        // Laplace-smoothed share of examples carrying each topic.
        let prior = topic_ids
            .iter()
            .map(|t| {
                let n = examples.iter().filter(|(_, l)| l.contains(t)).count();
                (n as f32 + 0.5) / (examples.len() as f32 + 1.0)
            })
            .collect();
        let mut model = Model {
            kind,
            topics: topic_ids.to_vec(),
            weights: vec![0.0; vocab.len() * k],
            bias: vec![0.0; k],
            prior,
            vocab,
            index,
        };
        let data: Vec<(Features, Vec<f32>)> = analyzed
            .iter()
            .zip(examples)
            .map(|(a, (_, labels))| {
                let y = topic_ids
                    .iter()
                    .map(|t| f32::from(u8::from(labels.contains(t))))
                    .collect();
                (model.features(&[a]), y)
            })
            .collect();
        model.fit(&data, opts);
        model
    }

    fn fit(&mut self, data: &[(Features, Vec<f32>)], opts: TrainOptions) {
        let k = self.topics.len();
        let mut rng = fastrand::Rng::with_seed(opts.seed);
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut p = vec![0.0; k];
        for epoch in 0..opts.epochs {
            let lr = opts.learning_rate / (1.0 + 0.2 * epoch as f32);
            rng.shuffle(&mut order);
            for &n in &order {
                let (x, y) = &data[n];
                self.probabilities(x, &mut p);
                for c in 0..k {
                    let g = p[c] - y[c];
                    self.bias[c] -= lr * g;
                    for &(j, v) in x {
                        let w = &mut self.weights[j as usize * k + c];
                        *w -= lr * (g * v + opts.l2 * *w);
                    }
                }
            }
        }
    }

    fn features(&self, fields: &[&Analyzed]) -> Features {
        let mut ids = Vec::new();
        feature_strings(fields, |s| {
            if let Some(&i) = self.index.get(s) {
                ids.push(i);
            }
        });
        normalised(ids)
    }

    fn probabilities(&self, x: &Features, out: &mut [f32]) {
        let k = self.topics.len();
        out.copy_from_slice(&self.bias);
        for &(j, v) in x {
            let row = &self.weights[j as usize * k..(j as usize + 1) * k];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * v;
            }
        }
        match self.kind {
            ModelKind::SingleLabel => {
                let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for o in out.iter_mut() {
                    *o = (*o - max).exp();
                    sum += *o;
                }
                out.iter_mut().for_each(|o| *o /= sum);
            }
            ModelKind::MultiLabel => out.iter_mut().for_each(|o| *o = 1.0 / (1.0 + (-*o).exp())),
        }
    }

    pub(crate) fn predict_analyzed(&self, fields: &[&Analyzed]) -> Vec<f32> {
        let mut p = vec![0.0; self.topics.len()];
        self.probabilities(&self.features(fields), &mut p);
        p
    }

    /// How far each probability stands from what the model would say of a text it knows nothing
    /// about, as a probability again: `σ(logit p − logit prior)`, the topic's share of the training
    /// examples. 0.5 is "no evidence either way". A topic in 5% of the examples gets p ≈ 0.05 for
    /// an ordinary text, which is no evidence against it; read as is, it said "almost surely not"
    /// and vetoed every rule hit of a rare topic. Models stored without their priors count 0.5.
    pub(crate) fn rebased(&self, p: &[f32]) -> Vec<f32> {
        let logit = |x: f32| {
            let x = x.clamp(1e-6, 1.0 - 1e-6);
            (x / (1.0 - x)).ln()
        };
        p.iter()
            .enumerate()
            .map(|(i, &p)| {
                let prior = self.prior_of(i);
                1.0 / (1.0 + (logit(prior) - logit(p)).exp())
            })
            .collect()
    }

    /// Topic `i`'s share of the training examples (0.5 for a model stored without it).
    pub(crate) fn prior_of(&self, i: usize) -> f32 {
        self.prior.get(i).copied().unwrap_or(0.5)
    }

    /// Each topic's probability for `text`, in the model's topic order.
    pub fn predict(&self, text: &str) -> Vec<(String, f32)> {
        let a = Analyzed::new(text, &stemmer());
        self.topics
            .iter()
            .cloned()
            .zip(self.predict_analyzed(&[&a]))
            .collect()
    }

    /// The topics the model knows, in its order.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// Single- or multi-label.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// Number of features kept.
    pub fn vocabulary_size(&self) -> usize {
        self.vocab.len()
    }

    /// The index of topic `id` in the model.
    pub fn topic_index(&self, id: &str) -> Option<usize> {
        self.topics.iter().position(|t| t == id)
    }

    /// The model as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model serialises")
    }

    /// A model from its JSON form.
    pub fn from_json(json: &str) -> Result<Model, serde_json::Error> {
        serde_json::from_str(json)
    }
}
