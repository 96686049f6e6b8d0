//! Turns the single pass's hits into per-topic rule points with evidence: exclusions, required / any /
//! none groups, term weights with title boost and repeats, proximity rules. Also picks entity matches.
//! Does not scan text or run models.

use super::entities::Gazetteer;
use super::matcher::{Hit, Table, Use};
use super::pack::{Pack, Topic};
use super::{EntityHit, Evidence, Field};

/// Share of a term's weight each repeat adds, and how many repeats count.
const REPEAT_SHARE: f32 = 0.25;
const MAX_REPEATS: usize = 4;
/// Bytes of context on each side of a match in a snippet.
const SNIPPET_CONTEXT: usize = 48;

/// Rule outcome for one topic that had at least one hit.
#[derive(Debug)]
pub(crate) struct RuleScore {
    pub topic: usize,
    /// Rule points (before any model contribution).
    pub raw: f32,
    /// Whether the `all` / `any` / `none` groups allow the topic.
    pub gates_ok: bool,
    /// Evidence, strongest first, without its text until the topic is known to be reported.
    pub evidence: Vec<Pending>,
}

/// What a piece of evidence is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Said {
    /// Term `0` of the topic.
    Term(u32),
    /// Proximity rule `rule`, with term `a` of one side and `b` of the other.
    Near { rule: u32, a: u32, b: u32 },
    /// A model's contribution.
    Model,
}

/// An [`Evidence`] before its term and snippet are written out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    pub said: Said,
    /// The match (unused for a model's contribution).
    pub hit: Hit,
    pub weight: f32,
}

impl Pending {
    /// The evidence in full, for topic `t`; `texts` are the original title and text.
    pub fn evidence(&self, t: &Topic, texts: [&str; 2]) -> Evidence {
        let term = match self.said {
            Said::Term(i) => t.terms[i as usize].text.clone(),
            Said::Near { rule, a, b } => {
                let r = &t.near[rule as usize];
                format!("{} ~ {}", r.a[a as usize].text, r.b[b as usize].text)
            }
            Said::Model => {
                return Evidence {
                    term: "model".into(),
                    field: None,
                    start: 0,
                    end: 0,
                    snippet: String::new(),
                    weight: self.weight,
                };
            }
        };
        let h = &self.hit;
        Evidence {
            term,
            field: Some(h.field),
            start: h.start,
            end: h.end,
            snippet: snippet(texts[h.field as usize], h.start, h.end),
            weight: self.weight,
        }
    }
}

/// Whether a topic with no hits at all passes its groups (it does unless it requires terms).
pub(crate) fn gates_ok_without_hits(t: &Topic) -> bool {
    t.all.is_empty() && t.any.is_empty()
}

#[derive(Clone, Copy)]
struct Event {
    topic: u32,
    use_: Use,
    hit: Hit,
}

fn overlaps(a: &Hit, b: &Hit) -> bool {
    a.field == b.field && a.first < b.last && b.first < a.last
}

/// Scores every topic touched by `hits`.
pub(crate) fn score_topics(pack: &Pack, table: &Table, hits: &[Hit]) -> Vec<RuleScore> {
    let mut events: Vec<Event> = hits
        .iter()
        .flat_map(|h| {
            table.uses(h.pattern).iter().filter_map(move |&u| {
                u.topic().map(|topic| Event {
                    topic,
                    use_: u,
                    hit: *h,
                })
            })
        })
        .collect();
    events.sort_by_key(|e| e.topic);
    events
        .chunk_by(|a, b| a.topic == b.topic)
        .map(|group| score_topic(pack, group))
        .collect()
}

fn score_topic(pack: &Pack, events: &[Event]) -> RuleScore {
    let ti = events[0].topic as usize;
    let t = &pack.topics[ti];
    let excluded: Vec<Hit> = events
        .iter()
        .filter(|e| matches!(e.use_, Use::Exclude { .. }))
        .map(|e| e.hit)
        .collect();
    let live: Vec<&Event> = events
        .iter()
        .filter(|e| {
            !matches!(e.use_, Use::Exclude { .. }) && !excluded.iter().any(|x| overlaps(x, &e.hit))
        })
        .collect();
    let mut all_seen = vec![false; t.all.len()];
    let (mut any_seen, mut none_seen) = (false, false);
    for e in &live {
        match e.use_ {
            Use::All { term, .. } => all_seen[term as usize] = true,
            Use::Any { .. } => any_seen = true,
            Use::None { .. } => none_seen = true,
            _ => {}
        }
    }
    let gates_ok = !none_seen && all_seen.iter().all(|&s| s) && (t.any.is_empty() || any_seen);
    let mut evidence = Vec::new();
    let raw = if gates_ok {
        score_terms(pack, t, &live, &mut evidence) + score_near(pack, t, &live, &mut evidence)
    } else {
        0.0
    };
    evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    RuleScore {
        topic: ti,
        raw,
        gates_ok,
        evidence,
    }
}

fn score_terms(pack: &Pack, t: &Topic, live: &[&Event], ev: &mut Vec<Pending>) -> f32 {
    // Longest match wins where a topic's terms overlap ("air strike" over "strike").
    let mut terms: Vec<(u32, Hit)> = live
        .iter()
        .filter_map(|e| match e.use_ {
            Use::Term { term, .. } => Some((term, e.hit)),
            _ => None,
        })
        .collect();
    terms.sort_by_key(|(_, h)| (h.field as u8, h.first, u32::MAX - (h.last - h.first)));
    let mut kept: Vec<(u32, Hit)> = Vec::with_capacity(terms.len());
    for (term, h) in terms {
        if !kept.iter().any(|(_, k)| overlaps(k, &h)) {
            kept.push((term, h));
        }
    }
    kept.sort_by_key(|&(term, h)| (term, h.field as u8, h.first));
    let mut total = 0.0;
    for group in kept.chunk_by(|a, b| a.0 == b.0) {
        let term = &t.terms[group[0].0 as usize];
        let first = group[0].1; // title occurrences sort first
        let mult = if first.field == Field::Title {
            pack.title_weight
        } else {
            1.0
        };
        let repeats = (group.len() - 1).min(MAX_REPEATS) as f32;
        let points = term.weight * mult + term.weight * REPEAT_SHARE * repeats;
        total += points;
        ev.push(Pending {
            said: Said::Term(group[0].0),
            hit: first,
            weight: points,
        });
    }
    total
}

fn score_near(pack: &Pack, t: &Topic, live: &[&Event], ev: &mut Vec<Pending>) -> f32 {
    let mut total = 0.0;
    for (ri, rule) in t.near.iter().enumerate() {
        let side = |want: u8| -> Vec<(u32, Hit)> {
            live.iter()
                .filter_map(|e| match e.use_ {
                    Use::Near {
                        rule, side, term, ..
                    } if rule as usize == ri && side == want => Some((term, e.hit)),
                    _ => None,
                })
                .collect()
        };
        let (a, b) = (side(0), side(1));
        let mut best: Option<((u32, Hit), (u32, Hit))> = None;
        for &(ta, ha) in &a {
            for &(tb, hb) in &b {
                if ha.field != hb.field || overlaps(&ha, &hb) {
                    continue;
                }
                let dist = if ha.first < hb.first {
                    hb.first + 1 - ha.last
                } else {
                    ha.first + 1 - hb.last
                };
                let better =
                    best.is_none_or(|(x, _)| x.1.field != Field::Title && ha.field == Field::Title);
                if dist <= rule.within && better {
                    best = Some(((ta, ha), (tb, hb)));
                }
            }
        }
        if let Some(((ta, ha), (tb, hb))) = best {
            let mult = if ha.field == Field::Title {
                pack.title_weight
            } else {
                1.0
            };
            let points = rule.weight * mult;
            total += points;
            let span = Hit {
                first: ha.first.min(hb.first),
                last: ha.last.max(hb.last),
                start: ha.start.min(hb.start),
                end: ha.end.max(hb.end),
                ..ha
            };
            ev.push(Pending {
                said: Said::Near {
                    rule: ri as u32,
                    a: ta,
                    b: tb,
                },
                hit: span,
                weight: points,
            });
        }
    }
    total
}

/// A short excerpt around `start..end`, cut at word boundaries, whitespace collapsed, "…" where cut.
pub(crate) fn snippet(text: &str, start: usize, end: usize) -> String {
    let mut a = start.saturating_sub(SNIPPET_CONTEXT);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    if a > 0 {
        if let Some(sp) = text[a..start].find(char::is_whitespace) {
            a += sp;
        }
    }
    let mut b = (end + SNIPPET_CONTEXT).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    if b < text.len() {
        if let Some(sp) = text[end..b].rfind(char::is_whitespace) {
            b = end + sp;
        }
    }
    let mut out = String::with_capacity(b - a + 8);
    if a > 0 {
        out.push('…');
    }
    for (i, w) in text[a..b].split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    if b < text.len() {
        out.push('…');
    }
    out
}

/// Entity matches: the longest leftmost name wins where names overlap.
pub(crate) fn entities(table: &Table, gazetteer: &Gazetteer, hits: &[Hit]) -> Vec<EntityHit> {
    let mut found: Vec<(u32, Hit)> = hits
        .iter()
        .flat_map(|h| {
            table.uses(h.pattern).iter().filter_map(move |u| match *u {
                Use::Entity { entity, .. } => Some((entity, *h)),
                _ => None,
            })
        })
        .collect();
    found.sort_by_key(|(_, h)| (h.field as u8, h.first, u32::MAX - (h.last - h.first)));
    let mut out: Vec<EntityHit> = Vec::new();
    let mut last: Option<Hit> = None;
    for (entity, h) in found {
        if last.is_some_and(|l| overlaps(&l, &h)) {
            continue;
        }
        last = Some(h);
        let e = &gazetteer.entities[entity as usize];
        out.push(EntityHit {
            name: e.name.clone(),
            kind: e.kind,
            field: h.field,
            start: h.start,
            end: h.end,
        });
    }
    out
}
