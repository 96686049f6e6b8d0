//! `[[alerts]]`: rules saying which new briefs are worth telling whom about, validated against the
//! topic pack, the gazetteer and the destinations (an unknown topic, entity or destination is a
//! problem naming the rule and key) into [`AlertRule`]s with their query compiled.

use std::collections::HashSet;

use super::Problem;
use super::classify::ClassifyConfig;
use super::destinations::Destination;
use super::parse_interval;
use super::raw::RawAlert;
use crate::model::{AlertRule, Throttle};
use crate::transforms::route::Route;

/// Checks every `[[alerts]]` entry; an entry with any problem is left out.
pub(super) fn validate_alerts(
    raw: Vec<RawAlert>,
    classify: &ClassifyConfig,
    destinations: &[Destination],
    problems: &mut Vec<Problem>,
) -> Vec<Route> {
    let topic_ids: HashSet<&str> = classify.pack.topics.iter().map(|t| t.id.as_str()).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, a) in raw.into_iter().enumerate() {
        let before = problems.len();
        let mut problem = |field: &str, reason: String| {
            problems.push(Problem {
                key: format!("alerts[{i}].{field}"),
                reason,
            })
        };
        if a.name.trim().is_empty() {
            problem("name", "must not be empty".into());
        } else if !seen.insert(a.name.clone()) {
            problem("name", format!("duplicate rule name {:?}", a.name));
        }
        for t in &a.topics {
            if !topic_ids.contains(t.as_str()) {
                problem(
                    "topics",
                    format!(
                        "rule {:?}: unknown topic {t:?} (not in the topic pack)",
                        a.name
                    ),
                );
            }
        }
        if a.all_topics && a.topics.is_empty() {
            problem(
                "all_topics",
                format!("rule {:?}: all_topics needs topics", a.name),
            );
        }
        let min_score = a.min_score.unwrap_or(classify.min_score);
        if !(0.0..=1.0).contains(&min_score) {
            problem(
                "min_score",
                format!(
                    "rule {:?}: must be between 0 and 1, not {min_score}",
                    a.name
                ),
            );
        }
        let mut entities = Vec::new();
        for e in &a.entities {
            match classify.gazetteer.canonical(e) {
                Some(c) => entities.push(c.to_lowercase()),
                None => problem(
                    "entities",
                    format!(
                        "rule {:?}: unknown entity {e:?} (not in the gazetteer)",
                        a.name
                    ),
                ),
            }
        }
        if a.destinations.is_empty() {
            problem(
                "destinations",
                format!("rule {:?}: names no destination", a.name),
            );
        }
        for d in &a.destinations {
            if !destinations.iter().any(|x| &x.name == d) {
                problem(
                    "destinations",
                    format!("rule {:?}: unknown destination {d:?}", a.name),
                );
            }
        }
        let throttle = a.throttle.and_then(|t| {
            if t.max == 0 {
                problem(
                    "throttle.max",
                    format!("rule {:?}: must be at least 1", a.name),
                );
            }
            match parse_interval(&t.window) {
                Ok(window) => Some(Throttle { max: t.max, window }),
                Err(e) => {
                    problem("throttle.window", e.to_string());
                    None
                }
            }
        });
        let rule = AlertRule {
            name: a.name,
            topics: a.topics,
            all_topics: a.all_topics,
            min_score,
            sources: a.sources,
            entities,
            query: a.query,
            destinations: a.destinations,
            throttle,
        };
        let route = Route::new(rule).map_err(|e| problem("query", e.to_string()));
        if problems.len() > before {
            continue;
        }
        if let Ok(r) = route {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    const DEST: &str = "[[destinations]]\nname = \"desk\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example/briefs\"\n";

    #[test]
    fn a_rule_compiles_with_entities_resolved_through_the_gazetteer() {
        let toml = format!(
            "{DEST}[[alerts]]\nname = \"plots\"\ntopics = [\"assassination_plot\"]\n\
             entities = [\"Islamic Republic of Iran\"]\nquery = \"plot -exercise\"\n\
             destinations = [\"desk\"]\nthrottle = {{ max = 5, window = \"1h\" }}\n"
        );
        let c = Config::from_toml(&toml, std::path::Path::new("/tmp/bw.toml")).unwrap();
        let r = &c.alerts[0].rule;
        assert_eq!(r.entities, ["iran"]);
        assert_eq!(r.min_score, 0.5);
        assert_eq!(r.throttle.unwrap().max, 5);
    }

    #[test]
    fn unknown_topic_entity_destination_and_bad_query_name_rule_and_key() {
        let toml = format!(
            "{DEST}[[alerts]]\nname = \"plots\"\ntopics = [\"assasination_plot\"]\n\
             entities = [\"Atlantis\"]\nquery = \"\\\"open\"\ndestinations = [\"ops\"]\n"
        );
        let e = Config::from_toml(&toml, std::path::Path::new("/tmp/bw.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("alerts[0].topics") && e.contains("assasination_plot"),
            "{e}"
        );
        assert!(
            e.contains("alerts[0].entities") && e.contains("Atlantis"),
            "{e}"
        );
        assert!(
            e.contains("alerts[0].destinations") && e.contains("\"ops\""),
            "{e}"
        );
        assert!(e.contains("alerts[0].query"), "{e}");
    }
}
