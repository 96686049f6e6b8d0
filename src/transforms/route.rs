//! Routes a new brief to the alert rules it matches: topics (any or all, above a score), sources,
//! entities and an optional full-text query. Pure: the store calls it at insert, inside the
//! transaction that writes the brief, so that the outbox rows are written with it.
//!
//! # Query syntax
//!
//! Words are matched as whole words after the same folding the topic classifier uses (case,
//! diacritics, full-width forms, possessives): `iran nuclear` needs both words; `"cease fire"` needs
//! the phrase; `sanction*` matches words starting with `sanction`; `-exercise` excludes briefs with
//! the word; `OR` between two parts needs either (`hamas OR hezbollah ceasefire` is `(hamas OR
//! hezbollah) AND ceasefire`).

use std::collections::HashSet;

use crate::model::{AlertRule, EntityTag, TopicTag};
use crate::transforms::classify::normalize::tokenize;

/// A query that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Nothing to match.
    #[error("the query is empty")]
    Empty,
    /// A `"` without its closing quote.
    #[error("unclosed quote in the query")]
    UnclosedQuote,
    /// `OR` at the start or end, or twice in a row.
    #[error("OR needs a word on each side")]
    DanglingOr,
    /// Only exclusions: the query would match almost everything.
    #[error("the query only excludes words; add at least one word to match")]
    OnlyExclusions,
}

/// One thing to look for: a word, a phrase or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// Consecutive normalised words (one word is a phrase of one).
    Phrase(Vec<String>),
    /// A normalised word prefix.
    Prefix(String),
}

/// A compiled full-text query: every clause must match; a clause is a set of alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Conjunction of disjunctions.
    clauses: Vec<Vec<Term>>,
    /// None of these may match.
    excluded: Vec<Term>,
}

impl Query {
    /// Compiles `q` (see the module docs for the syntax).
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        let mut clauses: Vec<Vec<Term>> = Vec::new();
        let mut excluded = Vec::new();
        let mut or_pending = false;
        let mut rest = q.trim();
        while !rest.is_empty() {
            let (negated, body) = match rest.strip_prefix('-') {
                Some(b) if !b.starts_with(char::is_whitespace) && !b.is_empty() => (true, b),
                _ => (false, rest),
            };
            let (raw, quoted, after) = if let Some(b) = body.strip_prefix('"') {
                let end = b.find('"').ok_or(QueryError::UnclosedQuote)?;
                (&b[..end], true, &b[end + 1..])
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                (&body[..end], false, &body[end..])
            };
            rest = after.trim_start();
            if !quoted && !negated && raw == "OR" {
                if or_pending || clauses.is_empty() {
                    return Err(QueryError::DanglingOr);
                }
                or_pending = true;
                continue;
            }
            let Some(term) = term_of(raw, quoted) else {
                continue;
            };
            if negated {
                if or_pending {
                    return Err(QueryError::DanglingOr);
                }
                excluded.push(term);
            } else if or_pending {
                clauses.last_mut().expect("checked above").push(term);
                or_pending = false;
            } else {
                clauses.push(vec![term]);
            }
        }
        if or_pending {
            return Err(QueryError::DanglingOr);
        }
        if clauses.is_empty() {
            return Err(if excluded.is_empty() {
                QueryError::Empty
            } else {
                QueryError::OnlyExclusions
            });
        }
        Ok(Query { clauses, excluded })
    }

    /// Whether a brief with this title and text matches.
    pub fn matches(&self, title: &str, text: &str) -> bool {
        let words = Words::of(title, text);
        self.clauses
            .iter()
            .all(|alternatives| alternatives.iter().any(|t| words.has(t)))
            && !self.excluded.iter().any(|t| words.has(t))
    }
}

/// A raw query word or phrase as a term; `None` when it has no letters or digits.
fn term_of(raw: &str, quoted: bool) -> Option<Term> {
    if !quoted && raw.len() > 1 && raw.ends_with('*') {
        let t = tokenize(&raw[..raw.len() - 1]);
        return match t.len() {
            0 => None,
            1 => Some(Term::Prefix(t.norm(0).to_string())),
            // "u.s*": a phrase whose last word is a prefix is rare; match the words exactly.
            n => Some(Term::Phrase(
                (0..n).map(|i| t.norm(i).to_string()).collect(),
            )),
        };
    }
    let t = tokenize(raw);
    (!t.is_empty()).then(|| Term::Phrase((0..t.len()).map(|i| t.norm(i).to_string()).collect()))
}

/// The normalised words of a brief, title then text (a phrase does not span the two).
struct Words {
    seq: Vec<String>,
    set: HashSet<String>,
}

impl Words {
    fn of(title: &str, text: &str) -> Words {
        let mut seq = Vec::new();
        for field in [title, text] {
            let t = tokenize(field);
            seq.extend((0..t.len()).map(|i| t.norm(i).to_string()));
            // An empty word keeps phrases from running from the title into the text.
            seq.push(String::new());
        }
        let set = seq.iter().filter(|w| !w.is_empty()).cloned().collect();
        Words { seq, set }
    }

    fn has(&self, t: &Term) -> bool {
        match t {
            Term::Phrase(p) if p.len() == 1 => self.set.contains(&p[0]),
            Term::Phrase(p) => self.seq.windows(p.len()).any(|w| w == p.as_slice()),
            Term::Prefix(p) => self.set.iter().any(|w| w.starts_with(p.as_str())),
        }
    }
}

/// An alert rule with its query compiled.
#[derive(Debug, Clone)]
pub struct Route {
    /// The rule.
    pub rule: AlertRule,
    query: Option<Query>,
}

impl Route {
    /// Compiles a rule; fails only on its query.
    pub fn new(rule: AlertRule) -> Result<Route, QueryError> {
        let query = rule.query.as_deref().map(Query::parse).transpose()?;
        Ok(Route { rule, query })
    }
}

/// What the router needs to know of a new brief.
#[derive(Debug, Clone, Copy)]
pub struct NewBriefView<'a> {
    /// The source's name.
    pub source: &'a str,
    /// Plain-text title.
    pub title: &'a str,
    /// Plain-text body.
    pub text: &'a str,
    /// Its topics, best first.
    pub topics: &'a [TopicTag],
    /// The entities it names.
    pub entities: &'a [EntityTag],
}

/// A rule a brief matched, with the topics that made it match (empty for a rule without topics).
#[derive(Debug, Clone, PartialEq)]
pub struct Matched<'a> {
    /// The rule.
    pub rule: &'a AlertRule,
    /// Topic ids of the rule the brief has at or above its `min_score`, in the brief's order.
    pub topics: Vec<&'a str>,
}

/// The rules of `routes` that `b` matches, in rule order.
pub fn route<'a>(routes: &'a [Route], b: &NewBriefView<'a>) -> Vec<Matched<'a>> {
    routes.iter().filter_map(|r| matches(r, b)).collect()
}

fn matches<'a>(r: &'a Route, b: &NewBriefView<'a>) -> Option<Matched<'a>> {
    let rule = &r.rule;
    if !rule.sources.is_empty() && !rule.sources.iter().any(|s| s == b.source) {
        return None;
    }
    let topics: Vec<&'a str> = b
        .topics
        .iter()
        .filter(|t| t.score >= rule.min_score && rule.topics.contains(&t.topic))
        .map(|t| t.topic.as_str())
        .collect();
    if !rule.topics.is_empty() {
        let ok = if rule.all_topics {
            rule.topics.iter().all(|id| topics.contains(&id.as_str()))
        } else {
            !topics.is_empty()
        };
        if !ok {
            return None;
        }
    }
    if !rule.entities.is_empty()
        && !b.entities.iter().any(|e| {
            rule.entities
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&e.name))
        })
    {
        return None;
    }
    if let Some(q) = &r.query
        && !q.matches(b.title, b.text)
    {
        return None;
    }
    Some(Matched { rule, topics })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> AlertRule {
        AlertRule {
            name: name.into(),
            topics: Vec::new(),
            all_topics: false,
            min_score: 0.5,
            sources: Vec::new(),
            entities: Vec::new(),
            query: None,
            destinations: vec!["ops".into()],
            throttle: None,
        }
    }

    fn topic(id: &str, score: f32) -> TopicTag {
        TopicTag {
            topic: id.into(),
            score,
            evidence: "[]".into(),
        }
    }

    fn view<'a>(topics: &'a [TopicTag], entities: &'a [EntityTag]) -> NewBriefView<'a> {
        NewBriefView {
            source: "wire",
            title: "Iran denies assassination plot",
            text: "Tehran rejected the accusation of a cease-fire violation on Monday.",
            topics,
            entities,
        }
    }

    #[test]
    fn any_listed_topic_above_the_score_matches() {
        let r = Route::new(AlertRule {
            topics: vec!["assassination_plot".into(), "ceasefire".into()],
            ..rule("plots")
        })
        .unwrap();
        let tags = [topic("assassination_plot", 0.7), topic("ceasefire", 0.4)];
        let m = route(std::slice::from_ref(&r), &view(&tags, &[]));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].topics, vec!["assassination_plot"]);
        let low = [topic("assassination_plot", 0.3)];
        assert!(route(std::slice::from_ref(&r), &view(&low, &[])).is_empty());
    }

    #[test]
    fn all_topics_needs_every_listed_topic() {
        let r = Route::new(AlertRule {
            topics: vec!["assassination_plot".into(), "ceasefire".into()],
            all_topics: true,
            ..rule("both")
        })
        .unwrap();
        let one = [topic("assassination_plot", 0.9)];
        assert!(route(std::slice::from_ref(&r), &view(&one, &[])).is_empty());
        let both = [topic("assassination_plot", 0.9), topic("ceasefire", 0.6)];
        assert_eq!(
            route(std::slice::from_ref(&r), &view(&both, &[]))[0]
                .topics
                .len(),
            2
        );
    }

    #[test]
    fn sources_and_entities_filter() {
        let by_source = Route::new(AlertRule {
            sources: vec!["other".into()],
            ..rule("s")
        })
        .unwrap();
        assert!(route(std::slice::from_ref(&by_source), &view(&[], &[])).is_empty());
        let by_entity = Route::new(AlertRule {
            entities: vec!["iran".into()],
            ..rule("e")
        })
        .unwrap();
        assert!(route(std::slice::from_ref(&by_entity), &view(&[], &[])).is_empty());
        let iran = [EntityTag {
            name: "Iran".into(),
            kind: "country".into(),
        }];
        let m = route(std::slice::from_ref(&by_entity), &view(&[], &iran));
        assert_eq!(m.len(), 1);
        assert!(m[0].topics.is_empty());
    }

    #[test]
    fn query_words_phrases_prefixes_exclusions_and_or() {
        let q = |s: &str| Query::parse(s).unwrap();
        let (title, text) = (
            "Iran denies assassination plot",
            "A cease-fire violation, Tehran's envoy said.",
        );
        assert!(q("iran plot").matches(title, text));
        assert!(q("IRAN denies").matches(title, text));
        assert!(!q("iran nuclear").matches(title, text));
        assert!(q("\"assassination plot\"").matches(title, text));
        assert!(!q("\"plot assassination\"").matches(title, text));
        assert!(q("assassin*").matches(title, text));
        assert!(q("tehran envoy").matches(title, text), "possessive folded");
        assert!(q("cease fire").matches(title, text), "hyphen splits words");
        assert!(!q("iran -tehran").matches(title, text));
        assert!(q("hamas OR iran").matches(title, text));
        assert!(!q("hamas OR hezbollah plot").matches(title, text));
        assert!(
            !q("\"plot a\"").matches(title, text),
            "phrases do not run from title into text"
        );
    }

    #[test]
    fn bad_queries_are_refused_with_a_reason() {
        assert_eq!(Query::parse("  "), Err(QueryError::Empty));
        assert_eq!(Query::parse("\"iran"), Err(QueryError::UnclosedQuote));
        assert_eq!(Query::parse("OR iran"), Err(QueryError::DanglingOr));
        assert_eq!(Query::parse("iran OR"), Err(QueryError::DanglingOr));
        assert_eq!(Query::parse("-iran"), Err(QueryError::OnlyExclusions));
    }
}
