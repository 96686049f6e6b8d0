//! Decides which story a new brief joins, given candidate briefs found through the band index.
//! Pure: the store finds the candidates, this picks one (or none) and says why.

use crate::model::BriefId;
use crate::transforms::fingerprint::{MATCH_THRESHOLD, Signature, similarity};

/// A stored brief that shares at least one band key with the new one.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The stored brief.
    pub brief_id: BriefId,
    /// Its story.
    pub story_id: i64,
    /// Its fingerprint.
    pub signature: Signature,
    /// Its time (published, else fetched), unix seconds.
    pub at: i64,
}

/// Where a new brief goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Into an existing story, because it reads like `brief_id` (estimated Jaccard `similarity`).
    Join {
        /// The story joined.
        story_id: i64,
        /// The most similar brief of that story.
        brief_id: BriefId,
        /// Estimated Jaccard similarity of the two fingerprints.
        similarity: f64,
    },
    /// Into a story of its own.
    NewStory,
}

/// The most similar candidate within `window_secs` of `at` whose similarity reaches the threshold;
/// ties go to the older story, so story ids stay stable.
pub fn place(sig: &Signature, at: i64, window_secs: i64, candidates: &[Candidate]) -> Placement {
    let mut best: Option<(f64, &Candidate)> = None;
    for c in candidates {
        if (c.at - at).abs() > window_secs {
            continue;
        }
        let s = similarity(sig, &c.signature);
        if s < MATCH_THRESHOLD {
            continue;
        }
        let better = match best {
            None => true,
            Some((bs, bc)) => s > bs || (s == bs && c.story_id < bc.story_id),
        };
        if better {
            best = Some((s, c));
        }
    }
    match best {
        Some((similarity, c)) => Placement::Join {
            story_id: c.story_id,
            brief_id: c.brief_id,
            similarity,
        },
        None => Placement::NewStory,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::fingerprint::signature;

    fn body(seed: u64) -> String {
        let words = [
            "officials",
            "said",
            "the",
            "situation",
            "remained",
            "fluid",
            "as",
            "regional",
            "partners",
            "weighed",
            "options",
            "analysts",
            "noted",
            "that",
            "economic",
            "pressure",
            "and",
            "domestic",
            "politics",
            "shaped",
            "response",
            "statement",
            "followed",
            "weeks",
        ];
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..120)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                words[(x % words.len() as u64) as usize]
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn cand(id: i64, story: i64, text: &str, at: i64) -> Candidate {
        Candidate {
            brief_id: id,
            story_id: story,
            signature: signature("Gaza: Ceasefire deal reported", text).unwrap(),
            at,
        }
    }

    #[test]
    fn a_copy_joins_the_story_of_its_original() {
        let original = body(1);
        let mut copy: Vec<&str> = original.split(' ').collect();
        copy[10] = "changed";
        copy.truncate(110);
        let sig = signature("UPDATE: Gaza: Ceasefire deal reported", &copy.join(" ")).unwrap();
        let got = place(
            &sig,
            100,
            7 * 86_400,
            &[cand(1, 7, &body(2), 100), cand(2, 9, &original, 50)],
        );
        assert!(
            matches!(
                got,
                Placement::Join {
                    story_id: 9,
                    brief_id: 2,
                    ..
                }
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_different_story_under_the_same_headline_starts_its_own() {
        let sig = signature("Gaza: Ceasefire deal reported", &body(3)).unwrap();
        assert_eq!(
            place(&sig, 0, 86_400, &[cand(1, 1, &body(4), 0)]),
            Placement::NewStory
        );
    }

    #[test]
    fn copies_outside_the_window_start_a_new_story() {
        let text = body(5);
        let sig = signature("Gaza: Ceasefire deal reported", &text).unwrap();
        let week = 7 * 86_400;
        assert_eq!(
            place(&sig, 10 * week, week, &[cand(1, 1, &text, 0)]),
            Placement::NewStory
        );
    }

    #[test]
    fn ties_go_to_the_older_story() {
        let text = body(6);
        let sig = signature("Gaza: Ceasefire deal reported", &text).unwrap();
        let got = place(
            &sig,
            0,
            86_400,
            &[cand(5, 8, &text, 0), cand(4, 3, &text, 0)],
        );
        assert!(
            matches!(got, Placement::Join { story_id: 3, .. }),
            "{got:?}"
        );
    }
}
