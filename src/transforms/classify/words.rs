//! A small open-addressing map from short strings (normalised words) to copyable values, with the
//! longer strings kept in one arena: the per-thread word cache of the matching pass. A word of up to 16
//! bytes is identified by its length and two fixed-size loads, so a hit costs a few dozen instructions,
//! no loop over the bytes and no allocation.

/// Most words the cache holds before it starts afresh (a few MB at most).
const MAX_WORDS: usize = 50_000;

/// Slots when empty (a power of two).
const MIN_SLOTS: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Entry<V> {
    key: Key,
    /// Where the word is in the arena (for words longer than 16 bytes).
    start: u32,
    value: V,
}

/// Normalised word → value, cleared when it reaches [`MAX_WORDS`] words.
#[derive(Debug)]
pub(crate) struct WordMap<V> {
    /// Index + 1 into `entries`, or 0 for an empty slot; the length is a power of two.
    slots: Vec<u32>,
    entries: Vec<Entry<V>>,
    arena: String,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap {
            slots: Vec::new(),
            entries: Vec::new(),
            arena: String::new(),
        }
    }
}

/// A word's fingerprint: its length and two words of its bytes, from fixed-size loads (no loops). For
/// words of up to 16 bytes it determines the word; longer ones are also compared in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    len: u32,
    a: u64,
    b: u64,
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
}

fn le32(b: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes(b[..4].try_into().unwrap_or_default()))
}

impl Key {
    #[inline]
    fn of(w: &[u8]) -> Key {
        let n = w.len();
        let (a, b) = match n {
            0 => (0, 0),
            1..=3 => {
                let a = u64::from(w[0]) | u64::from(w[n / 2]) << 8 | u64::from(w[n - 1]) << 16;
                (a, 0)
            }
            4..=7 => (le32(w), le32(&w[n - 4..])),
            _ => (le64(w), le64(&w[n - 8..])),
        };
        Key {
            len: n as u32,
            a,
            b,
        }
    }

    fn hash(self) -> u64 {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let h = (self.a ^ u64::from(self.len) << 56).wrapping_mul(K);
        (h.rotate_left(23) ^ self.b).wrapping_mul(K)
    }

    fn slot(self, mask: usize) -> usize {
        (self.hash() >> 32) as usize & mask
    }
}

impl<V: Copy> WordMap<V> {
    /// Empties the map.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.entries.clear();
        self.arena.clear();
    }

    /// The value for `word`, computed by `make` (and kept) the first time.
    #[inline]
    pub fn get_or_insert_with(&mut self, word: &str, make: impl FnOnce() -> V) -> V {
        let key = Key::of(word.as_bytes());
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut s = key.slot(mask);
            loop {
                let e = self.slots[s];
                if e == 0 {
                    break;
                }
                let entry = &self.entries[e as usize - 1];
                if entry.key == key && (key.len <= 16 || self.long_word(entry) == word) {
                    return entry.value;
                }
                s = (s + 1) & mask;
            }
        }
        self.insert_new(word, key, make)
    }

    #[cold]
    #[inline(never)]
    fn insert_new(&mut self, word: &str, key: Key, make: impl FnOnce() -> V) -> V {
        let value = make();
        self.insert(word, key, value);
        value
    }

    fn long_word(&self, e: &Entry<V>) -> &str {
        &self.arena[e.start as usize..e.start as usize + e.key.len as usize]
    }

    fn insert(&mut self, word: &str, key: Key, value: V) {
        if self.entries.len() >= MAX_WORDS || self.arena.len() + word.len() > u32::MAX as usize {
            self.clear();
        }
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.entries.push(Entry {
            key,
            start: self.arena.len() as u32,
            value,
        });
        if word.len() > 16 {
            self.arena.push_str(word);
        }
        let n = self.entries.len() as u32;
        self.place(key, n);
    }

    fn place(&mut self, key: Key, index_plus_one: u32) {
        let mask = self.slots.len() - 1;
        let mut s = key.slot(mask);
        while self.slots[s] != 0 {
            s = (s + 1) & mask;
        }
        self.slots[s] = index_plus_one;
    }

    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(MIN_SLOTS);
        self.slots.clear();
        self.slots.resize(n, 0);
        for i in 0..self.entries.len() {
            let key = self.entries[i].key;
            self.place(key, i as u32 + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_keeps_and_computes_once() {
        let mut m = WordMap::default();
        let mut words: Vec<String> = (0..5000).map(|i| format!("w{i}x{}", i % 7)).collect();
        words.extend((0..300).map(|i| format!("{}{i}", "long".repeat(i % 9))));
        words.extend(
            [
                "ab",
                "ba",
                "aab",
                "aba",
                "abcdefgh",
                "abcdefghi",
                "abcdefgxhi",
            ]
            .map(String::from),
        );
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get_or_insert_with(w, || i), i);
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get_or_insert_with(w, || usize::MAX), i, "{w}");
        }
        assert_eq!(m.get_or_insert_with("", || 7), 7);
        assert_eq!(m.get_or_insert_with("", || 8), 7);
        assert_eq!(m.get_or_insert_with("a\0", || 9), 9);
        assert_eq!(m.get_or_insert_with("a", || 10), 10);
        m.clear();
        assert_eq!(m.get_or_insert_with("w1x1", || 11), 11);
    }
}
