//! In-memory LSH index over the fingerprints of the briefs inside the story window.
//!
//! Derived state: built from the signatures stored in `briefs` the first time a brief is placed, then
//! kept up to date by the writer, and pruned as briefs leave the window. A B-tree of band keys would
//! cost dozens of random index writes per brief; this costs dozens of hash-map operations. Lookup cost
//! depends on the number of briefs in the window, never on the number stored. The signatures
//! themselves are kept too (252 bytes a brief), so that comparing a new brief with its candidates
//! reads no database rows.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rusqlite::Connection;

use super::{Context, StoreError};
use crate::model::SIGNATURE_LEN;
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
    /// `sigs[e * SIGNATURE_LEN..][..SIGNATURE_LEN]`: entry `e`'s signature (its values are 16-bit;
    /// zeros for an entry without one).
    sigs: Vec<u16>,
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
            let sig = sig.and_then(|s| Signature::from_bytes(&s));
            let keys = sig.as_ref().map(band_keys);
            idx.insert(entry, keys.as_ref().zip(sig.as_ref()));
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
            sigs: Vec::new(),
            entries: Vec::new(),
            by_content: HashMap::default(),
            next_content: Vec::new(),
            horizon: i64::MIN,
            newest: 0,
            window_secs,
        }
    }

    /// Entries sharing at least one band key, each once, with their fingerprints.
    pub fn candidates(&self, keys: &[i64; BANDS]) -> Vec<Candidate> {
        self.sharing(keys)
            .into_iter()
            .map(|e| {
                let entry = self.entries[e as usize];
                let stored = &self.sigs[e as usize * SIGNATURE_LEN..][..SIGNATURE_LEN];
                Candidate {
                    brief_id: entry.brief_id,
                    story_id: entry.story_id,
                    signature: Signature(std::array::from_fn(|i| u32::from(stored[i]))),
                    at: entry.at,
                }
            })
            .collect()
    }

    /// The entries (positions) with at least one band key equal to one of `keys`, each once.
    fn sharing(&self, keys: &[i64; BANDS]) -> Vec<u32> {
        let mask = self.buckets - 1;
        // Every band's bucket head, then a prefetch of each head's link: independent memory accesses
        // the CPU overlaps. Walking band by band waited for one cache miss after another (the links
        // of a large window are far bigger than the caches).
        let heads: [u32; BANDS] = std::array::from_fn(|band| {
            self.heads[band * self.buckets + (keys[band] as u32 as usize & mask)]
        });
        for (band, head) in heads.iter().enumerate() {
            if *head != NONE {
                prefetch(&self.links[*head as usize * BANDS + band]);
            }
        }
        let mut seen: Vec<u32> = Vec::new();
        for (band, (key, head)) in keys.iter().zip(heads).enumerate() {
            let key = *key as u32;
            let mut e = head;
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

    /// Adds a placed brief, with its fingerprint and that fingerprint's band keys when it has one.
    pub fn insert(&mut self, entry: Entry, fingerprint: Option<(&[i64; BANDS], &Signature)>) {
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
        self.keyed.push(fingerprint.is_some());
        match fingerprint {
            Some((keys, sig)) => {
                self.sigs.extend(sig.0.iter().map(|v| *v as u16));
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
                self.sigs.extend([0; SIGNATURE_LEN]);
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

/// Asks the CPU to start loading `item`'s cache line (a hint: no effect on results).
#[inline(always)]
fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 target, and a prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
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
                idx.insert(
                    entry(i as i64),
                    Some((&keys(i, shared), &Signature([0; SIGNATURE_LEN]))),
                );
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

    #[test]
    fn candidates_carry_the_signature_they_were_inserted_with() {
        let mut idx = StoryIndex::empty(86_400);
        let sig = Signature(std::array::from_fn(|i| (i as u32 * 517) & 0xffff));
        idx.insert(entry(1), Some((&keys(1, Some((5, 99))), &sig)));
        idx.insert(entry(2), None);
        let other = Signature([7; SIGNATURE_LEN]);
        idx.insert(entry(3), Some((&keys(3, None), &other)));
        let found = idx.candidates(&keys(u64::MAX, Some((5, 99))));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].brief_id, 1);
        assert_eq!(found[0].signature, sig);
        assert_eq!(idx.candidates(&keys(3, None))[0].signature, other);
    }
}
