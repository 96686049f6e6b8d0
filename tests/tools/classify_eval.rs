//! Runs a topic pack (and optionally a model learnt by k-fold cross-validation) over a label TSV and
//! prints `id<TAB>label` predictions, one line per example, for scoring with an external script.
//!
//! ```sh
//! cargo run --release --example classify_eval -- PACK.toml GOLD.tsv [--cv K] > pred.tsv
//! python3 event_f1.py GOLD.tsv pred.tsv
//! ```
//!
//! With `--cv K` the examples are split into K folds; each fold is classified by the pack combined with a
//! model trained on the other K-1 folds, so no example is ever predicted by a model that saw it.
//! Multi-label packs print every reported topic, comma-separated.

use std::path::Path;

use briefwatch::config::load_pack_file;
use briefwatch::transforms::classify::{Classifier, Gazetteer, Model, read_tsv, split_title};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(pack_path), Some(gold_path)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: classify_eval PACK.toml GOLD.tsv [--cv K]");
    };
    let folds: usize = match args.iter().position(|a| a == "--cv") {
        Some(i) => args.get(i + 1).and_then(|k| k.parse().ok()).unwrap_or(5),
        None => 0,
    };
    let pack = load_pack_file(Path::new(pack_path))?;
    let examples = read_tsv(&std::fs::read_to_string(gold_path)?)?;
    let topic_ids = pack.topic_ids();
    let mut predictions = vec![String::new(); examples.len()];
    let rounds = folds.max(1);
    for fold in 0..rounds {
        let in_fold = |i: usize| folds == 0 || i % folds == fold;
        let model = (folds > 0).then(|| {
            let train: Vec<(String, Vec<String>)> = examples
                .iter()
                .enumerate()
                .filter(|(i, _)| !in_fold(*i))
                .map(|(_, e)| (e.text.clone(), e.labels.clone()))
                .collect();
            Model::train(&train, &topic_ids)
        });
        let classifier = Classifier::with_gazetteer(pack.clone(), Gazetteer::empty(), model);
        for (i, e) in examples.iter().enumerate().filter(|(i, _)| in_fold(*i)) {
            let (title, body) = split_title(&e.text);
            let c = classifier.classify(title, body);
            predictions[i] = c
                .topics
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(",");
        }
    }
    println!("id\tlabel");
    for (e, p) in examples.iter().zip(predictions) {
        println!("{}\t{p}", e.id);
    }
    Ok(())
}
