//! The entity gazetteer: countries, capitals and major organisations, built in from
//! `config/entities.toml` and extendable with a file of the same shape. Owns the gazetteer's TOML shape;
//! parses text only (reading a gazetteer file is the config's job); matching happens in the
//! classifier's single pass.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::matcher::{Variant, compile_term, stemmer};
use super::pack::PackError;

const BUILTIN: &str = include_str!("../../../config/entities.toml");

/// What kind of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A state or territory.
    Country,
    /// A city (capitals and other conflict-relevant cities).
    City,
    /// An organisation: international body, armed group, agency.
    Org,
}

impl EntityKind {
    /// The lower-case name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Country => "country",
            EntityKind::City => "city",
            EntityKind::Org => "org",
        }
    }
}

/// One entity: its canonical name, kind and the names it goes by.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Canonical name, as reported.
    pub name: String,
    /// Country, city or organisation.
    pub kind: EntityKind,
    /// Every name that matches it, the canonical one first, each with its compiled forms.
    pub(crate) aliases: Vec<(String, Vec<Variant>)>,
}

/// A compiled gazetteer.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// The entities, in file order (built-in first).
    pub entities: Vec<Entity>,
}

/// The file shape: one table per kind, `"Canonical name" = ["alias", ...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGazetteer {
    #[serde(default)]
    country: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    city: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    org: BTreeMap<String, Vec<String>>,
}

impl Gazetteer {
    /// The built-in gazetteer.
    pub fn builtin() -> Gazetteer {
        Gazetteer::parse(BUILTIN, "config/entities.toml (built in)")
            .expect("the built-in gazetteer compiles")
    }

    /// An empty gazetteer (no entity output).
    pub fn empty() -> Gazetteer {
        Gazetteer::default()
    }

    /// Compiles gazetteer text; `file_label` names it in errors (the `topic` of the error is the kind).
    pub fn parse(text: &str, file_label: &str) -> Result<Gazetteer, PackError> {
        let err = |kind: Option<&str>, rule: Option<String>, reason: String| PackError {
            file: file_label.to_string(),
            topic: kind.map(str::to_string),
            rule,
            reason,
        };
        let raw: RawGazetteer = toml::from_str(text)
            .map_err(|e| err(None, None, e.to_string().trim_end().to_string()))?;
        let stemmer = stemmer();
        let mut g = Gazetteer::default();
        for (kind, table) in [
            (EntityKind::Country, raw.country),
            (EntityKind::City, raw.city),
            (EntityKind::Org, raw.org),
        ] {
            for (name, aliases) in table {
                let mut compiled = Vec::with_capacity(aliases.len() + 1);
                for (i, alias) in std::iter::once(&name).chain(&aliases).enumerate() {
                    let rule = if i == 0 {
                        format!("{name:?}")
                    } else {
                        format!("{name:?}[{}]", i - 1)
                    };
                    let v = compile_term(alias, &stemmer)
                        .map_err(|reason| err(Some(kind.as_str()), Some(rule), reason))?;
                    compiled.push((alias.clone(), v));
                }
                g.add(Entity {
                    name,
                    kind,
                    aliases: compiled,
                });
            }
        }
        Ok(g)
    }

    fn add(&mut self, e: Entity) {
        match self
            .entities
            .iter_mut()
            .find(|x| x.name == e.name && x.kind == e.kind)
        {
            Some(x) => x.aliases.extend(e.aliases),
            None => self.entities.push(e),
        }
    }

    /// The canonical name of the entity `name` is one of the names of (ignoring case and surrounding
    /// space): "IAEA" gives "International Atomic Energy Agency".
    pub fn canonical(&self, name: &str) -> Option<&str> {
        let name = name.trim().to_lowercase();
        self.entities
            .iter()
            .find(|e| e.aliases.iter().any(|(a, _)| a.to_lowercase() == name))
            .map(|e| e.name.as_str())
    }

    /// This gazetteer with `other`'s entities added (aliases of an entity both name are merged).
    pub fn extended(mut self, other: Gazetteer) -> Gazetteer {
        for e in other.entities {
            self.add(e);
        }
        self
    }
}
