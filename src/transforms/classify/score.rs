//! Turns the single pass's hits into per-topic rule points with evidence: exclusions, required / any /
//! none groups, term weights with title boost and repeats, proximity rules. Also picks entity matches.
//! Does not scan text or run models.

use super::entities::Gazetteer;
use super::matcher::{Hit, Table, Use};
use super::pack::{Pack, Topic};
use super::snippet::snippet;
use super::{EntityHit, Evidence, Field};

/// Share of a term's weight each repeat adds, and how many repeats count.
const REPEAT_SHARE: f32 = 0.25;
const MAX_REPEATS: usize = 4;

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
    /// The evidence in its stored form ([`super::StoredEvidence`], borrowed where it can be).
    pub fn stored<'a>(
        &self,
        t: &'a Topic,
    ) -> (std::borrow::Cow<'a, str>, &'static str, usize, usize, f32) {
        let weight = (self.weight * 100.0).round() / 100.0;
        let term = match self.said {
            Said::Term(i) => std::borrow::Cow::Borrowed(t.terms[i as usize].text.as_str()),
            Said::Near { rule, a, b } => {
                let r = &t.near[rule as usize];
                std::borrow::Cow::Owned(format!(
                    "{} ~ {}",
                    r.a[a as usize].text, r.b[b as usize].text
                ))
            }
            Said::Model => return ("model".into(), "model", 0, 0, weight),
        };
        let field = match self.hit.field {
            Field::Title => "title",
            Field::Text => "text",
        };
        (term, field, self.hit.start, self.hit.end, weight)
    }

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
    let n = hits.iter().map(|h| table.uses(h.pattern).len()).sum();
    let mut events: Vec<Event> = Vec::with_capacity(n);
    for h in hits {
        for &u in table.uses(h.pattern) {
            if let Some(topic) = u.topic() {
                events.push(Event {
                    topic,
                    use_: u,
                    hit: *h,
                });
            }
        }
    }
    let events = by_topic(&events, pack.topics.len());
    let mut bufs = Bufs {
        excluded: Vec::new(),
        near: NearBufs::default(),
        live: Vec::with_capacity(events.len()),
        terms: Vec::with_capacity(events.len()),
        kept: Vec::with_capacity(events.len()),
    };
    events
        .chunk_by(|a, b| a.topic == b.topic)
        .map(|group| score_topic(pack, group, &mut bufs))
        .collect()
}

/// `events` grouped by topic, in their order within a topic (a stable counting sort).
fn by_topic(events: &[Event], topics: usize) -> Vec<Event> {
    let mut next = vec![0u32; topics + 1];
    for e in events {
        next[e.topic as usize + 1] += 1;
    }
    for t in 1..next.len() {
        next[t] += next[t - 1];
    }
    let mut sorted = events.to_vec();
    for e in events {
        let at = &mut next[e.topic as usize];
        sorted[*at as usize] = *e;
        *at += 1;
    }
    sorted
}

/// Buffers [`score_topic`] reuses from topic to topic.
struct Bufs<'a> {
    excluded: Vec<Hit>,
    near: NearBufs,
    live: Vec<&'a Event>,
    terms: Vec<(u32, Hit)>,
    kept: Vec<(u32, Hit)>,
}

fn score_topic<'a>(pack: &Pack, events: &'a [Event], bufs: &mut Bufs<'a>) -> RuleScore {
    let ti = events[0].topic as usize;
    let t = &pack.topics[ti];
    let is_exclude = |e: &Event| matches!(e.use_, Use::Exclude { .. });
    let excluded = &mut bufs.excluded;
    excluded.clear();
    excluded.extend(events.iter().filter(|e| is_exclude(e)).map(|e| e.hit));
    let live = &mut bufs.live;
    live.clear();
    live.extend(
        events
            .iter()
            .filter(|e| !is_exclude(e) && !excluded.iter().any(|x| overlaps(x, &e.hit))),
    );
    let mut all_seen = vec![false; t.all.len()];
    let (mut any_seen, mut none_seen) = (false, false);
    for e in live.iter() {
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
        let live = &bufs.live;
        score_terms(
            pack,
            t,
            live,
            &mut bufs.terms,
            &mut bufs.kept,
            &mut evidence,
        ) + score_near(pack, t, live, &mut bufs.near, &mut evidence)
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

fn score_terms(
    pack: &Pack,
    t: &Topic,
    live: &[&Event],
    terms: &mut Vec<(u32, Hit)>,
    kept: &mut Vec<(u32, Hit)>,
    ev: &mut Vec<Pending>,
) -> f32 {
    // Longest match wins where a topic's terms overlap ("air strike" over "strike").
    terms.clear();
    terms.extend(live.iter().filter_map(|e| match e.use_ {
        Use::Term { term, .. } => Some((term, e.hit)),
        _ => None,
    }));
    terms.sort_by_key(|(_, h)| (h.field as u8, h.first, u32::MAX - (h.last - h.first)));
    kept.clear();
    for &(term, h) in terms.iter() {
        if !kept.iter().any(|(_, k)| overlaps(k, &h)) {
            kept.push((term, h));
        }
    }
    ev.reserve(kept.len() + t.near.len() + 1);
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

/// Buffers [`score_near`] reuses: the proximity hits of a topic (rule, side, term, hit), and the two
/// sides of one rule.
#[derive(Default)]
struct NearBufs {
    hits: Vec<(u32, u8, u32, Hit)>,
    a: Vec<(u32, Hit)>,
    b: Vec<(u32, Hit)>,
}

fn score_near(
    pack: &Pack,
    t: &Topic,
    live: &[&Event],
    bufs: &mut NearBufs,
    ev: &mut Vec<Pending>,
) -> f32 {
    let mut total = 0.0;
    let NearBufs { hits, a, b } = bufs;
    hits.clear();
    hits.extend(live.iter().filter_map(|e| match e.use_ {
        Use::Near {
            rule, side, term, ..
        } => Some((rule, side, term, e.hit)),
        _ => None,
    }));
    if hits.is_empty() {
        return 0.0;
    }
    for (ri, rule) in t.near.iter().enumerate() {
        let side = |want: u8, out: &mut Vec<(u32, Hit)>| {
            out.clear();
            out.extend(
                hits.iter()
                    .filter(|&&(r, s, ..)| r as usize == ri && s == want)
                    .map(|&(_, _, term, hit)| (term, hit)),
            );
        };
        side(0, a);
        side(1, b);
        let mut best: Option<((u32, Hit), (u32, Hit))> = None;
        for &(ta, ha) in a.iter() {
            for &(tb, hb) in b.iter() {
                if ha.field != hb.field
                    || overlaps(&ha, &hb)
                    || (rule.ordered && ha.first > hb.first)
                {
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

/// Entity matches: the longest leftmost name wins where names overlap.
pub(crate) fn entities(table: &Table, gazetteer: &Gazetteer, hits: &[Hit]) -> Vec<EntityHit> {
    let mut out: Vec<EntityHit> = Vec::new();
    each_entity(table, hits, |entity, h| {
        let e = &gazetteer.entities[entity as usize];
        out.push(EntityHit {
            name: e.name.clone(),
            kind: e.kind,
            field: h.field,
            start: h.start,
            end: h.end,
        });
    });
    out
}

/// Calls `f` with each entity match (gazetteer index and hit) in title then text order, the longest
/// leftmost name winning where names overlap.
pub(crate) fn each_entity(table: &Table, hits: &[Hit], mut f: impl FnMut(u32, &Hit)) {
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
    let mut last: Option<Hit> = None;
    for (entity, h) in found {
        if last.is_some_and(|l| overlaps(&l, &h)) {
            continue;
        }
        last = Some(h);
        f(entity, &h);
    }
}
