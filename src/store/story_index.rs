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

/// Band keys are already well-mixed hashes: use them as they are.
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

/// A brief in the index.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub brief_id: BriefId,
    pub story_id: i64,
    pub at: i64,
    pub source_id: SourceId,
    pub content_hash: i64,
}

pub(super) struct StoryIndex {
    /// Band key (its low 32 bits: a rare collision only adds a candidate, which the similarity
    /// check then rejects) → the newest entry with that key.
    heads: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    entries: Vec<Entry>,
    /// `next[e * BANDS + band]`: the previous entry with the same key in that band.
    next: Vec<u32>,
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
        let mut idx = StoryIndex {
            heads: HashMap::default(),
            entries: Vec::new(),
            next: Vec::new(),
            by_content: HashMap::default(),
            next_content: Vec::new(),
            horizon: newest.saturating_sub(window_secs.saturating_mul(2)),
            newest,
            window_secs,
        };
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

    /// Entries sharing at least one band key, each once, with their fingerprints (read from the
    /// database: candidates are few, mostly true copies).
    pub fn candidates(
        &self,
        conn: &Connection,
        keys: &[i64; BANDS],
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut seen: Vec<u32> = Vec::new();
        for (band, key) in keys.iter().enumerate() {
            let mut e = self.heads.get(&(*key as u32)).copied().unwrap_or(NONE);
            while e != NONE {
                if !seen.contains(&e) {
                    seen.push(e);
                }
                e = self.next[e as usize * BANDS + band];
            }
        }
        let mut out = Vec::with_capacity(seen.len());
        for e in seen {
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
        let e = u32::try_from(self.entries.len()).expect("fewer than 4 billion briefs in a window");
        self.newest = self.newest.max(entry.at);
        self.entries.push(entry);
        let prev = self
            .by_content
            .insert(entry.content_hash as u32, e)
            .unwrap_or(NONE);
        self.next_content.push(prev);
        match keys {
            Some(keys) => {
                for key in keys {
                    let prev = self.heads.insert(*key as u32, e).unwrap_or(NONE);
                    self.next.push(prev);
                }
            }
            None => self.next.extend([NONE; BANDS]),
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
