//! `[classify]`: the topic pack, entity gazetteer and reporting threshold. Owns [`ClassifyConfig`]
//! and the reading of pack and gazetteer files (the classifier itself only parses text).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::raw::RawClassify;
use super::{Problem, resolve};
use crate::transforms::classify::{
    self, Classifier, Gazetteer, Model, Pack, PackError, parse_pack,
};

/// `[classify]`: the topic pack, entity gazetteer and reporting threshold, loaded and compiled.
#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// The pack file (absolute), or `None` for the built-in default pack.
    pub topics_file: Option<PathBuf>,
    /// The compiled pack.
    pub pack: Arc<Pack>,
    /// The gazetteer extension file (absolute), if any.
    pub entities_file: Option<PathBuf>,
    /// The built-in gazetteer plus the extension.
    pub gazetteer: Arc<Gazetteer>,
    /// Topics scoring below this are not reported (0.5: a topic's threshold just reached).
    pub min_score: f32,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            topics_file: None,
            pack: Arc::new(Pack::default_pack()),
            entities_file: None,
            gazetteer: Arc::new(Gazetteer::builtin()),
            min_score: classify::DEFAULT_MIN_SCORE,
        }
    }
}

impl ClassifyConfig {
    /// A classifier for this configuration, with an optional trained model.
    pub fn classifier(&self, model: Option<Model>) -> Classifier {
        Classifier::with_gazetteer((*self.pack).clone(), (*self.gazetteer).clone(), model)
            .with_min_score(self.min_score)
    }
}

/// A topic pack or gazetteer file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PackFileError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file, as given.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read but does not compile (the error names the file, topic and rule).
    #[error(transparent)]
    Invalid(#[from] PackError),
}

/// Reads `path` as text, with its name for errors.
fn read_file(path: &Path) -> Result<(String, String), PackFileError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, file)),
        Err(source) => Err(PackFileError::Read { file, source }),
    }
}

/// Reads and compiles the topic pack file at `path`.
pub fn load_pack_file(path: &Path) -> Result<Pack, PackFileError> {
    let (text, file) = read_file(path)?;
    Ok(parse_pack(&text, &file)?)
}

/// Reads and compiles the gazetteer file at `path` (entities only; not merged with the built-in ones).
pub fn load_gazetteer_file(path: &Path) -> Result<Gazetteer, PackFileError> {
    let (text, file) = read_file(path)?;
    Ok(Gazetteer::parse(&text, &file)?)
}

/// Loads and compiles the topic pack and gazetteer extension, so that pack errors (with file, topic
/// and rule) are config problems.
pub(super) fn validate_classify(
    raw: RawClassify,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> ClassifyConfig {
    let mut out = ClassifyConfig::default();
    if let Some(t) = raw.topics {
        let path = resolve(base, &t);
        match load_pack_file(&path) {
            Ok(pack) => out.pack = Arc::new(pack),
            Err(e) => problems.push(Problem {
                key: "classify.topics".into(),
                reason: e.to_string(),
            }),
        }
        out.topics_file = Some(path);
    }
    if let Some(e) = raw.entities {
        let path = resolve(base, &e);
        match load_gazetteer_file(&path) {
            Ok(extra) => out.gazetteer = Arc::new(Gazetteer::builtin().extended(extra)),
            Err(e) => problems.push(Problem {
                key: "classify.entities".into(),
                reason: e.to_string(),
            }),
        }
        out.entities_file = Some(path);
    }
    match raw.min_score {
        Some(m) if !(0.0..=1.0).contains(&m) => problems.push(Problem {
            key: "classify.min_score".into(),
            reason: format!("must be between 0 and 1, not {m}"),
        }),
        Some(m) => out.min_score = m,
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::ConfigError;
    use super::super::tests::{load, load_in_dir};

    #[test]
    fn classify_defaults_to_the_built_in_pack() {
        let c = load("").unwrap();
        assert!(c.classify.topics_file.is_none());
        assert_eq!(c.classify.pack.topics.len(), 14);
        assert_eq!(c.classify.min_score, 0.5);
    }

    #[test]
    fn classify_pack_and_entities_resolve_against_the_config_folder() {
        let (_dir, c) = load_in_dir(
            &[
                (
                    "mine.toml",
                    "[[topic]]\nid = \"x\"\n[topic.terms]\nfoo = 3\n",
                ),
                ("ents.toml", "[org]\n\"Acme\" = []\n"),
            ],
            "[classify]\ntopics = \"mine.toml\"\nentities = \"ents.toml\"\nmin_score = 0.6\n",
        );
        let c = c.unwrap();
        assert_eq!(c.classify.pack.topic_ids(), ["x"]);
        assert!(
            c.classify
                .gazetteer
                .entities
                .iter()
                .any(|e| e.name == "Acme")
        );
        let hit = c.classify.classifier(None).classify("foo", "Acme");
        assert_eq!(hit.topics[0].id, "x");
        assert_eq!(hit.entities[0].name, "Acme");
    }

    #[test]
    fn broken_topic_rule_is_a_problem_naming_file_topic_and_rule() {
        let (_dir, e) = load_in_dir(
            &[(
                "bad.toml",
                "[[topic]]\nid = \"plots\"\n[topic.terms]\n\"kill*\" = 3\n",
            )],
            "[classify]\ntopics = \"bad.toml\"\nmin_score = 2\n",
        );
        let e = e.unwrap_err();
        let ConfigError::Invalid { problems, .. } = e else {
            panic!("not Invalid")
        };
        assert_eq!(problems[0].key, "classify.topics");
        let r = &problems[0].reason;
        assert!(
            r.contains("bad.toml") && r.contains("`plots`") && r.contains("kill*"),
            "{r}"
        );
        assert_eq!(problems[1].key, "classify.min_score");
    }

    #[test]
    fn unreadable_pack_file_is_a_problem_naming_the_file() {
        let (dir, e) = load_in_dir(&[], "[classify]\ntopics = \"missing.toml\"\n");
        let e = e.unwrap_err();
        let ConfigError::Invalid { problems, .. } = e else {
            panic!("not Invalid")
        };
        let missing = dir.path().join("missing.toml");
        let want = format!("{}: cannot read: ", missing.display());
        assert!(
            problems[0].reason.starts_with(&want),
            "{}",
            problems[0].reason
        );
    }
}
