//! `train` (fit the topic model from a label file and the labels users gave) and `label` (record one
//! label).

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use crate::config::Config;
use crate::transforms::classify::{Classifier, Gazetteer, Model, Pack, read_tsv, split_title};

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled examples: `id<TAB>labels<TAB>text` (comma-separated topics) or
    /// `id<TAB>text<TAB>label`, with a header line. Labels given with `label` are added.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Also estimate what the model adds: K-fold cross-validation of rules alone against rules plus
    /// a model trained on the other folds.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Evaluate only; do not store the model.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `label`.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// The brief's id.
    pub brief_id: i64,
    /// The topic's id in the configured pack.
    pub topic: String,
    /// The brief is NOT about the topic (a correction the next training learns from).
    #[arg(long)]
    pub not: bool,
}

type Example = (String, Vec<String>);

pub(super) fn train(config: &Path, args: TrainArgs) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (mut store, _) = crate::app::open_and_sync(&cfg)?;
    let pack = cfg.classify.pack.as_ref();
    let mut examples: Vec<Example> = Vec::new();
    if let Some(path) = &args.labels {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        let read =
            read_tsv(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
        examples.extend(read.into_iter().map(|e| (e.text, e.labels)));
    }
    let from_store = stored_examples(&store)?;
    let stored = from_store.len();
    examples.extend(from_store);
    if examples.is_empty() {
        return Err(CliError::Usage(
            "nothing to train on: give --labels FILE.tsv or label briefs with `briefwatch label`"
                .into(),
        ));
    }
    let topic_ids = pack.topic_ids();
    let unknown: std::collections::BTreeSet<&str> = examples
        .iter()
        .flat_map(|(_, l)| l.iter())
        .filter(|l| !topic_ids.contains(l))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "warning: labels not in pack {:?} are ignored: {}",
            pack.name,
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(k) = args.cv {
        if k < 2 || k > examples.len() {
            return Err(CliError::Usage(format!(
                "--cv {k}: need 2 <= K <= {} examples",
                examples.len()
            )));
        }
        let (rules, combined) = cross_validate(pack, &examples, k);
        println!(
            "{k}-fold cross-validation over {} examples:",
            examples.len()
        );
        println!("  rules alone:      {}", rules.line(pack.single_label));
        println!("  rules and model:  {}", combined.line(pack.single_label));
    }
    if args.dry_run {
        return Ok(());
    }
    let model = Model::train(&examples, &topic_ids);
    store.save_model(
        &crate::app::model_name(pack),
        &model.to_json(),
        examples.len() as i64,
    )?;
    println!(
        "trained a model for pack {:?} on {} examples ({stored} from stored labels), {} features; \
         it applies from the next poll (run `briefwatch reclassify` for stored briefs)",
        pack.name,
        examples.len(),
        model.vocabulary_size()
    );
    Ok(())
}

/// Examples from the labels users gave: a brief's title and text, with the topics labelled positive.
fn stored_examples(store: &crate::store::Store) -> Result<Vec<Example>, CliError> {
    let labels = store.labels()?;
    let mut out: Vec<Example> = Vec::new();
    let mut current: Option<(i64, Vec<String>)> = None;
    let mut flush = |cur: Option<(i64, Vec<String>)>| -> Result<(), CliError> {
        if let Some((id, topics)) = cur {
            let b = store.get_brief(id)?;
            out.push((format!("{}\n\n{}", b.title, b.text), topics));
        }
        Ok(())
    };
    for l in labels {
        if current.as_ref().is_some_and(|(id, _)| *id != l.brief_id) {
            flush(current.take())?;
        }
        let entry = current.get_or_insert_with(|| (l.brief_id, Vec::new()));
        if l.positive {
            entry.1.push(l.topic);
        }
    }
    flush(current)?;
    Ok(out)
}

/// Micro-averaged precision, recall and F1 (multi-label), or accuracy (single-label).
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
    exact: usize,
    n: usize,
}

impl Tally {
    fn add(&mut self, gold: &[String], predicted: &[String]) {
        self.n += 1;
        let hit = |x: &String, set: &[String]| set.contains(x);
        self.tp += predicted.iter().filter(|p| hit(p, gold)).count();
        self.fp += predicted.iter().filter(|p| !hit(p, gold)).count();
        self.fn_ += gold.iter().filter(|g| !hit(g, predicted)).count();
        let mut a = gold.to_vec();
        let mut b = predicted.to_vec();
        a.sort();
        b.sort();
        self.exact += usize::from(a == b);
    }

    fn line(&self, single_label: bool) -> String {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let p = ratio(self.tp, self.tp + self.fp);
        let r = ratio(self.tp, self.tp + self.fn_);
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        if single_label {
            format!("accuracy {:.3} (n {})", ratio(self.exact, self.n), self.n)
        } else {
            format!(
                "micro P {p:.3} R {r:.3} F1 {f:.3}, exact match {:.3} (n {})",
                ratio(self.exact, self.n),
                self.n
            )
        }
    }
}

/// Rules alone and rules plus a model trained on the other folds, over every example once.
fn cross_validate(pack: &Pack, examples: &[Example], k: usize) -> (Tally, Tally) {
    let topic_ids = pack.topic_ids();
    let rules = Classifier::with_gazetteer(pack.clone(), Gazetteer::empty(), None);
    let (mut alone, mut combined) = (Tally::default(), Tally::default());
    let ids = |c: &Classifier, text: &str| -> Vec<String> {
        let (title, body) = split_title(text);
        c.classify(title, body)
            .topics
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    for fold in 0..k {
        let train: Vec<Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, e)| e.clone())
            .collect();
        let model = Model::train(&train, &topic_ids);
        let with_model = Classifier::with_gazetteer(pack.clone(), Gazetteer::empty(), Some(model));
        for (_, (text, gold)) in examples.iter().enumerate().filter(|(i, _)| i % k == fold) {
            let gold: Vec<String> = gold
                .iter()
                .filter(|g| topic_ids.contains(g))
                .cloned()
                .collect();
            alone.add(&gold, &ids(&rules, text));
            combined.add(&gold, &ids(&with_model, text));
        }
    }
    (alone, combined)
}

pub(super) fn label(config: &Path, args: LabelArgs) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let pack = cfg.classify.pack.as_ref();
    if !pack.topic_ids().contains(&args.topic) {
        return Err(CliError::Usage(format!(
            "topic {:?} is not in pack {:?} ({}); its topics: {}",
            args.topic,
            pack.name,
            pack.file,
            pack.topic_ids().join(", ")
        )));
    }
    let (mut store, _) = crate::app::open_and_sync(&cfg)?;
    store.add_label(args.brief_id, &args.topic, !args.not)?;
    let labels = store.labels()?.len();
    println!(
        "brief {} is {}about {} ({labels} labels stored; `briefwatch train` learns from them)",
        args.brief_id,
        if args.not { "not " } else { "" },
        args.topic
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_micro_f1_and_exact_matches() {
        let mut t = Tally::default();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        t.add(&s(&["a", "b"]), &s(&["a"]));
        t.add(&s(&["c"]), &s(&["c"]));
        t.add(&s(&[]), &s(&["d"]));
        assert_eq!((t.tp, t.fp, t.fn_, t.exact, t.n), (2, 1, 1, 1, 3));
        assert!(t.line(false).contains("F1 0.667"), "{}", t.line(false));
        assert!(t.line(true).contains("accuracy 0.333"));
    }
}
