//! In-memory LSH index over the fingerprints of the briefs inside the story window.
//!
//! Derived state: built from the signatures stored in `briefs` the first time a brief is placed, then
//! kept up to date by the writer, and pruned as briefs leave the window. A B-tree of band keys would
//! cost dozens of random index writes per brief; this costs dozens of hash-map operations. Lookup cost
//! depends on the number of briefs in the window, never on the number stored.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rusqlite::Connection;

use super::{Context, StoreError};
use crate::model::{BriefId, SourceId};
use crate::transforms::cluster::Candidate;
use crate::transforms::fingerprint::{BANDS, Signature, band_keys};

/// Content hashes are already well-mixed: use them as they are.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u32(&mut self, v: u32) {
        // Spread the (uniform) 32 bits over the whole word for hashbrown's control bytes.
        self.0 = u64::from(v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

const NONE: u32 = u32::MAX;

/// Buckets per band of an empty index (grows by doubling, keeping at most one entry per bucket on
/// average).
const MIN_BUCKETS: usize = 1024;

/// A brief in the index.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub brief_id: BriefId,
    pub story_id: i64,
    pub at: i64,
    pub source_id: SourceId,
    pub content_hash: i64,
}

/// One entry's place in one band: its key (the low 32 bits: a rare collision only adds a candidate,
/// which the similarity check then rejects) and the previous entry in the same bucket.
#[derive(Debug, Clone, Copy)]
struct Link {
    key: u32,
    next: u32,
}

/// The band keys of every entry, chained by bucket: a flat table per band instead of one hash map
/// of all keys. 12 to 16 bytes per entry and band (a 4-byte bucket, one or two per entry, and the
/// 8-byte link) where the map took 14 to 24 and briefly half as much again while it grew; an array
/// write per key instead of a hash-map insert. A lookup walks its bucket's chain, about one other
/// entry per band on average.
pub(super) struct StoryIndex {
    /// `buckets` heads per band: `heads[band * buckets + (key & mask)]` is the newest entry whose
    /// key in that band falls in the bucket.
    heads: Vec<u32>,
    buckets: usize,
    /// `links[e * BANDS + band]`: entry `e`'s key in that band and the previous entry in the same
    /// bucket, side by side so that walking a chain costs one memory access per entry.
    links: Vec<Link>,
    /// Whether entry `e` has band keys (a brief too short for a fingerprint has none).
    keyed: Vec<bool>,
    entries: Vec<Entry>,
    /// Content hash → the newest entry with that exact title and text.
    by_content: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    /// `next_content[e]`: the previous entry with the same content hash.
    next_content: Vec<u32>,
    /// Oldest `at` loaded (entries before it may linger until the next rebuild).
    horizon: i64,
    /// Newest `at` indexed: the window is measured back from the newest brief, not from the clock,
    /// so that a backlog of old briefs still clusters among itself.
    newest: i64,
    window_secs: i64,
}

impl StoryIndex {
    /// Builds the index from every brief within two windows of the newest one.
    pub fn load(conn: &Connection, window_secs: i64) -> Result<StoryIndex, StoreError> {
        let op = "loading the story index";
        let newest: i64 = conn
            .query_row("SELECT coalesce(max(sort_at), 0) FROM briefs", [], |r| {
                r.get(0)
            })
            .ctx(op)?;
        let mut idx = StoryIndex::empty(window_secs);
        idx.newest = newest;
        idx.horizon = newest.saturating_sub(window_secs.saturating_mul(2));
        let mut stmt = conn
            .prepare(
                "SELECT id, story_id, sort_at, source_id, content_hash, signature FROM briefs
                 WHERE story_id IS NOT NULL AND sort_at >= ?1 ORDER BY id",
            )
            .ctx(op)?;
        let mut rows = stmt.query([idx.horizon]).ctx(op)?;
        while let Some(r) = rows.next().ctx(op)? {
            let sig: Option<Vec<u8>> = r.get(5).ctx(op)?;
            let entry = Entry {
                brief_id: r.get(0).ctx(op)?,
                story_id: r.get(1).ctx(op)?,
                at: r.get(2).ctx(op)?,
                source_id: r.get(3).ctx(op)?,
                content_hash: r.get(4).ctx(op)?,
            };
            let keys = sig
                .and_then(|s| Signature::from_bytes(&s))
                .map(|s| band_keys(&s));
            idx.insert(entry, keys.as_ref());
        }
        Ok(idx)
    }

    /// An empty index for a story window of `window_secs`.
    fn empty(window_secs: i64) -> StoryIndex {
        StoryIndex {
            heads: vec![NONE; BANDS * MIN_BUCKETS],
            buckets: MIN_BUCKETS,
            links: Vec::new(),
            keyed: Vec::new(),
            entries: Vec::new(),
            by_content: HashMap::default(),
            next_content: Vec::new(),
            horizon: i64::MIN,
            newest: 0,
            window_secs,
        }
    }

    /// Entries sharing at least one band key, each once, with their fingerprints (read from the
    /// database: candidates are few, mostly true copies).
    pub fn candidates(
        &self,
        conn: &Connection,
        keys: &[i64; BANDS],
    ) -> Result<Vec<Candidate>, StoreError> {
        let found = self.sharing(keys);
        let mut out = Vec::with_capacity(found.len());
        for e in found {
            let entry = self.entries[e as usize];
            if let Some(signature) = signature_of(conn, entry.brief_id)? {
                out.push(Candidate {
                    brief_id: entry.brief_id,
                    story_id: entry.story_id,
                    signature,
                    at: entry.at,
                });
            }
        }
        Ok(out)
    }

    /// The entries (positions) with at least one band key equal to one of `keys`, each once.
    fn sharing(&self, keys: &[i64; BANDS]) -> Vec<u32> {
        let mask = self.buckets - 1;
        let mut seen: Vec<u32> = Vec::new();
        for (band, key) in keys.iter().enumerate() {
            let key = *key as u32;
            let mut e = self.heads[band * self.buckets + (key as usize & mask)];
            while e != NONE {
                let link = self.links[e as usize * BANDS + band];
                if link.key == key && !seen.contains(&e) {
                    seen.push(e);
                }
                e = link.next;
            }
        }
        seen
    }

    /// Entries with exactly this title and text (content hash), newest first.
    pub fn same_text(&self, content_hash: i64) -> Vec<Entry> {
        let mut out = Vec::new();
        let mut e = self
            .by_content
            .get(&(content_hash as u32))
            .copied()
            .unwrap_or(NONE);
        while e != NONE {
            let entry = self.entries[e as usize];
            if entry.content_hash == content_hash {
                out.push(entry);
            }
            e = self.next_content[e as usize];
        }
        out
    }

    /// Adds a placed brief, with the band keys of its fingerprint when it has one.
    pub fn insert(&mut self, entry: Entry, keys: Option<&[i64; BANDS]>) {
        let e = u32::try_from(self.entries.len())
            .ok()
            .filter(|&e| e != NONE)
            .expect("fewer than 4 billion briefs in a window");
        self.newest = self.newest.max(entry.at);
        self.entries.push(entry);
        let prev = self
            .by_content
            .insert(entry.content_hash as u32, e)
            .unwrap_or(NONE);
        self.next_content.push(prev);
        self.keyed.push(keys.is_some());
        match keys {
            Some(keys) => {
                for (band, key) in keys.iter().enumerate() {
                    let head = &mut self.heads
                        [band * self.buckets + (*key as u32 as usize & (self.buckets - 1))];
                    self.links.push(Link {
                        key: *key as u32,
                        next: *head,
                    });
                    *head = e;
                }
            }
            None => {
                // Never a candidate: chained nowhere.
                self.links.extend([Link { key: 0, next: NONE }; BANDS]);
            }
        }
        if self.entries.len() > self.buckets {
            self.grow();
        }
    }

    /// Doubles the buckets per band and chains every keyed entry again, oldest first, so that each
    /// chain stays newest first.
    fn grow(&mut self) {
        self.buckets *= 2;
        let mask = self.buckets - 1;
        self.heads = vec![NONE; BANDS * self.buckets];
        for e in 0..self.entries.len() {
            if !self.keyed[e] {
                continue;
            }
            for band in 0..BANDS {
                let slot = e * BANDS + band;
                let link = &mut self.links[slot];
                let head = &mut self.heads[band * self.buckets + (link.key as usize & mask)];
                link.next = *head;
                *head = e as u32;
            }
        }
    }

    /// Whether enough entries have left the window that a rebuild ([`StoryIndex::load`]) pays off.
    pub fn wants_rebuild(&self) -> bool {
        let cutoff = self
            .newest
            .saturating_sub(self.window_secs.saturating_mul(2));
        if cutoff <= self.horizon {
            return false;
        }
        let stale = self.entries.iter().filter(|e| e.at < cutoff).count();
        stale >= 10_000 && stale * 4 >= self.entries.len()
    }
}

/// The stored fingerprint of one brief.
fn signature_of(conn: &Connection, id: BriefId) -> Result<Option<Signature>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached("SELECT signature FROM briefs WHERE id = ?1")
        .ctx("reading a fingerprint")?
        .query_row([id], |r| r.get(0))
        .ctx("reading a fingerprint")?;
    Ok(blob.and_then(|b| Signature::from_bytes(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: i64) -> Entry {
        Entry {
            brief_id: i,
            story_id: i,
            at: i,
            source_id: 1,
            content_hash: i,
        }
    }

    /// Keys for entry `i`: unique per entry and band, except band `shared_band` which carries
    /// `shared` when given.
    fn keys(i: u64, shared: Option<(usize, i64)>) -> [i64; BANDS] {
        std::array::from_fn(|band| match shared {
            Some((b, k)) if b == band => k,
            _ => (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (band as u64) << 40) as i64,
        })
    }

    #[test]
    fn finds_exactly_the_entries_sharing_a_band_key_across_growth() {
        let mut idx = StoryIndex::empty(86_400);
        let n = 5 * MIN_BUCKETS as u64; // several doublings
        for i in 0..n {
            // Every 100th entry shares key 7 in band 3; entry 50 has no fingerprint.
            let shared = (i % 100 == 0).then_some((3, 7));
            if i == 50 {
                idx.insert(entry(i as i64), None);
            } else {
                idx.insert(entry(i as i64), Some(&keys(i, shared)));
            }
        }
        assert!(idx.buckets >= n as usize, "grew: {}", idx.buckets);
        let mut probe = keys(u64::MAX, Some((3, 7)));
        let found = idx.sharing(&probe);
        let expected: Vec<u32> = (0..n)
            .filter(|i| i % 100 == 0)
            .rev()
            .map(|i| i as u32)
            .collect();
        assert_eq!(found, expected, "newest first, each once");
        // An entry's own keys find it (and only it: the others differ in every band).
        probe = keys(1234, None);
        assert_eq!(idx.sharing(&probe), vec![1234]);
        // Equal low bits (same bucket) but a different key is not a candidate.
        let own = keys(1234, None);
        let mut near: [i64; BANDS] = keys(u64::MAX - 1, None);
        near[0] = own[0] ^ (1 << 31);
        assert!(idx.sharing(&near).is_empty());
        // The entry without a fingerprint is in the content index only.
        assert_eq!(idx.same_text(50).len(), 1);
    }
}
