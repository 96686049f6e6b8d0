//! `classify` (topics for text on stdin) and `reclassify` (re-run classification over stored briefs).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::{CliError, one_line};
use crate::config::{ClassifyConfig, Config, load_pack_file};
use crate::transforms::classify::{Classification, Classifier, split_title};

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// A topic pack to use instead of the configured one (no trained model is applied with it).
    #[arg(long)]
    pub topics: Option<PathBuf>,
    /// Show the evidence for every topic: matched terms, where, their weight, and a snippet.
    #[arg(long)]
    pub explain: bool,
    /// Read `id<TAB>text` lines (a header line is skipped) and print `id<TAB>topics<TAB>scores`.
    #[arg(long)]
    pub tsv: bool,
    /// Rules only: ignore the model trained for the pack.
    #[arg(long)]
    pub no_model: bool,
}

/// The classifier `classify` uses: the `--topics` pack, else the configured pack with its trained
/// model. Works without a config file (built-in pack) so that text can be tried before setting up.
fn classifier_for(config: &Path, args: &ClassifyArgs) -> Result<Arc<Classifier>, CliError> {
    let cfg = if config.exists() {
        Some(Config::load(config)?)
    } else {
        None
    };
    let classify = cfg.as_ref().map(|c| c.classify.clone()).unwrap_or_default();
    if let Some(path) = &args.topics {
        let pack = load_pack_file(path).map_err(|e| CliError::Usage(e.to_string()))?;
        let cfg = ClassifyConfig {
            pack: Arc::new(pack),
            ..classify
        };
        return Ok(Arc::new(cfg.classifier(None)));
    }
    match cfg.filter(|_| !args.no_model) {
        Some(cfg) if cfg.storage.path.exists() => {
            let store = crate::store::Store::open(&cfg.storage.path)
                .map_err(|e| CliError::Other(e.into()))?;
            Ok(crate::app::build_classifier(&cfg, &store)?)
        }
        _ => Ok(Arc::new(classify.classifier(None))),
    }
}

pub(super) fn classify(config: &Path, args: ClassifyArgs) -> Result<(), CliError> {
    let classifier = classifier_for(config, &args)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let res: std::io::Result<()> = if args.tsv {
        classify_tsv(&classifier, stdin.lock(), &mut out)
    } else {
        let mut text = String::new();
        stdin
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| CliError::Usage(format!("reading stdin: {e}")))?;
        let (title, body) = split_title(&text);
        let c = classifier.classify(title, body);
        print_classification(&c, args.explain, &mut out)
    };
    match res.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| CliError::Other(e.into())),
    }
}

/// `id<TAB>text` in, `id<TAB>t1,t2<TAB>s1,s2` out (best first). A first line whose first field is
/// `id` is a header; with three columns the header says which one holds the text.
fn classify_tsv(
    classifier: &Classifier,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut text_col = 1;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        let line = line.trim_end_matches('\r');
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols[0].trim() == "id" {
            text_col = cols
                .iter()
                .position(|c| matches!(c.trim(), "text" | "EventSnippet" | "snippet"))
                .unwrap_or(1);
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let text = cols.get(text_col).copied().unwrap_or("");
        let (title, body) = split_title(text);
        let c = classifier.classify(title, body);
        let ids: Vec<&str> = c.topics.iter().map(|t| t.id.as_str()).collect();
        let scores: Vec<String> = c.topics.iter().map(|t| format!("{:.3}", t.score)).collect();
        writeln!(out, "{}\t{}\t{}", cols[0], ids.join(","), scores.join(","))?;
    }
    Ok(())
}

fn print_classification(
    c: &Classification,
    explain: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if c.topics.is_empty() {
        writeln!(out, "no topic")?;
    }
    for t in &c.topics {
        writeln!(out, "{:<24} {:.2}", t.id, t.score)?;
        if explain {
            for e in &t.evidence {
                match e.field {
                    Some(_) => writeln!(
                        out,
                        "    {:+.2}  {:?} at {}..{}: {}",
                        e.weight,
                        one_line(&e.term),
                        e.start,
                        e.end,
                        one_line(&e.snippet)
                    )?,
                    None => writeln!(out, "    {:+.2}  {} (trained model)", e.weight, e.term)?,
                }
            }
        }
    }
    if explain && !c.entities.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for e in &c.entities {
            let n = format!("{} ({})", e.name, e.kind.as_str());
            if !names.contains(&n) {
                names.push(n);
            }
        }
        writeln!(out, "entities: {}", names.join(", "))?;
    }
    Ok(())
}

/// Briefs classified per transaction.
const RECLASSIFY_BATCH: usize = 500;

pub(super) fn reclassify(config: &Path) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (mut store, _) = crate::app::open_and_sync(&cfg)?;
    let classifier = crate::app::build_classifier(&cfg, &store)?;
    let total = store.count_briefs()?;
    let mut progress = Progress::new(total);
    let (mut done, mut topics, mut entities, mut after) = (0u64, 0usize, 0usize, 0i64);
    loop {
        let page = store.brief_texts(after, RECLASSIFY_BATCH)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let batch: Vec<_> = page
            .iter()
            .map(|b| {
                let (t, e) = classifier.tags(&b.title, &b.text);
                topics += t.len();
                entities += e.len();
                (b.id, t, e)
            })
            .collect();
        store.replace_tags(&batch)?;
        done += page.len() as u64;
        progress.update(done);
    }
    progress.finish();
    println!(
        "reclassified {done} briefs with pack {:?}: {topics} topics, {entities} entities",
        classifier.pack().name
    );
    Ok(())
}

/// A progress bar on stderr when it is a terminal, else a line every 10%.
struct Progress {
    total: u64,
    tty: bool,
    last_tenth: u64,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress {
            total,
            tty: std::io::stderr().is_terminal(),
            last_tenth: 0,
        }
    }

    fn update(&mut self, done: u64) {
        let total = self.total.max(1);
        if self.tty {
            let width = 40;
            let filled = (done.min(total) * width / total) as usize;
            eprint!(
                "\r[{}{}] {done}/{}",
                "#".repeat(filled),
                " ".repeat(width as usize - filled),
                self.total
            );
        } else {
            let tenth = done * 10 / total;
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                eprintln!("reclassify: {done}/{} briefs", self.total);
            }
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_mode_prints_best_first_and_skips_the_header() {
        let c = ClassifyConfig::default().classifier(None);
        let input = "id\ttext\n1\tIsrael and Hamas agreed a ceasefire after talks in Cairo.\n2\tThe weather was mild.\n";
        let mut out = Vec::new();
        classify_tsv(&c, input.as_bytes(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let first: Vec<&str> = lines[0].split('\t').collect();
        assert_eq!(first[0], "1");
        assert!(first[1].split(',').any(|t| t == "ceasefire"), "{out}");
        assert_eq!(
            first[1].split(',').count(),
            first[2].split(',').count(),
            "one score per topic"
        );
        assert_eq!(lines[1], "2\t\t");
    }
}
