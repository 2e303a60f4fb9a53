//! Small open-addressing hash tables, in place of std's `HashMap`/`HashSet` on the
//! browser's paths (hashbrown and SipHash are ~4 KB of WebAssembly per key type).
//!
//! - [`IdSet`]: a set of `u64` ids (the event log's ids): insert, remove and look
//!   up in O(1) expected time, 8 bytes a slot, at most half full.
//! - [`IndexTable`]: `u32` indices into the caller's own `Vec`, found by a hash and
//!   an equality the caller gives (ids, categories, brands: the strings stay where
//!   they are, the table holds 4 bytes a slot). No removal.
//! - [`KeyedHasher`]: a string hash with a random key, so that the ids of a crafted
//!   catalog cannot be chosen to collide offline (a collision only costs a longer
//!   probe; lookups still compare the strings).
//!
//! Both tables use linear probing on a power-of-two array, the home slot being the
//! top bits of a well-mixed 64-bit hash.
//!
//! ```
//! use localrec::idtable::{IdSet, IndexTable, KeyedHasher};
//! let mut ids = IdSet::default();
//! assert!(ids.insert(7) && !ids.insert(7) && ids.contains(7));
//! assert!(ids.remove(7) && !ids.contains(7));
//!
//! let names = vec!["rose".to_string(), "oud".to_string()];
//! let hasher = KeyedHasher::new(42);
//! let mut index = IndexTable::default();
//! for (i, n) in names.iter().enumerate() {
//!     index.insert(hasher.hash(n.as_bytes()), i as u32);
//! }
//! let found = index.find(hasher.hash(b"oud"), |i| names[i as usize] == "oud");
//! assert_eq!(found, Some(1));
//! ```

use crate::rng::mix64 as mix;

/// The smallest table (slots) once something is inserted.
const MIN_SLOTS: usize = 16;

/// The home slot of a mixed hash in a table of `1 << bits` slots.
fn home(mixed: u64, bits: u32) -> usize {
    // bits >= 4: MIN_SLOTS.
    (mixed >> (64 - bits)) as usize
}

fn bits_of(slots: usize) -> u32 {
    slots.trailing_zeros()
}

/// A set of `u64` ids.
///
/// The slots hold `mix(id)` (a bijection, so equal slots mean equal ids), `0`
/// marking an empty slot; the one id whose mix is `0` is a flag of its own.
#[derive(Debug, Clone, Default)]
pub struct IdSet {
    slots: Vec<u64>,
    /// Occupied slots.
    filled: usize,
    /// The id with `mix(id) == 0` is in the set.
    has_zero_image: bool,
}

impl IdSet {
    /// Number of ids.
    pub fn len(&self) -> usize {
        self.filled + usize::from(self.has_zero_image)
    }

    /// True when the set holds no id.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slot holding `mixed`, or the empty slot where it would go.
    fn probe(&self, mixed: u64) -> Option<(usize, bool)> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = home(mixed, bits_of(self.slots.len()));
        // At most half full: an empty slot always ends the probe.
        loop {
            match self.slots.get(i).copied()? {
                0 => return Some((i, false)),
                s if s == mixed => return Some((i, true)),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// True when `id` is in the set.
    pub fn contains(&self, id: u64) -> bool {
        let mixed = mix(id);
        if mixed == 0 {
            return self.has_zero_image;
        }
        self.probe(mixed).is_some_and(|(_, found)| found)
    }

    /// Adds `id`; false when it was already there.
    pub fn insert(&mut self, id: u64) -> bool {
        let mixed = mix(id);
        if mixed == 0 {
            return !std::mem::replace(&mut self.has_zero_image, true);
        }
        if (self.filled + 1) * 2 > self.slots.len() {
            self.grow();
        }
        match self.probe(mixed) {
            Some((_, true)) => false,
            Some((i, false)) => {
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = mixed;
                    self.filled += 1;
                }
                true
            }
            // `grow` made room: not reached.
            None => false,
        }
    }

    /// Removes `id`; false when it was not there.
    pub fn remove(&mut self, id: u64) -> bool {
        let mixed = mix(id);
        if mixed == 0 {
            return std::mem::replace(&mut self.has_zero_image, false);
        }
        let Some((mut hole, true)) = self.probe(mixed) else {
            return false;
        };
        // Backward-shift deletion: pull later entries of the run into the hole when
        // their home slot does not lie cyclically in (hole, j].
        let mask = self.slots.len() - 1;
        let bits = bits_of(self.slots.len());
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots.get(j).copied().unwrap_or(0);
            if s == 0 {
                break;
            }
            let h = home(s, bits);
            let stays = if hole <= j {
                hole < h && h <= j
            } else {
                hole < h || h <= j
            };
            if !stays {
                self.slots.swap(hole, j);
                hole = j;
            }
        }
        if let Some(slot) = self.slots.get_mut(hole) {
            *slot = 0;
        }
        self.filled -= 1;
        true
    }

    /// Removes every id and frees the slots.
    pub fn clear(&mut self) {
        *self = IdSet::default();
    }

    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![0; slots]);
        self.filled = 0;
        for mixed in old.into_iter().filter(|&s| s != 0) {
            if let Some((i, false)) = self.probe(mixed) {
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = mixed;
                    self.filled += 1;
                }
            }
        }
    }
}

/// `u32` indices into the caller's collection, found by hash and equality.
///
/// Each slot holds `index + 1` (`0` = empty) and, beside it, the hash's top bits
/// used as the home slot (kept so that growing needs no access to the items).
#[derive(Debug, Clone, Default)]
pub struct IndexTable {
    slots: Vec<(u32, u32)>,
    filled: usize,
}

impl IndexTable {
    /// A table that takes `n` indices without growing.
    pub fn with_capacity(n: usize) -> Self {
        let slots = (n.saturating_mul(2)).max(MIN_SLOTS).next_power_of_two();
        IndexTable {
            slots: vec![(0, 0); slots],
            filled: 0,
        }
    }

    /// Number of indices.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// True when the table holds no index.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// An index inserted under this hash for which `is_match` holds (the callers
    /// insert each key once, after a `find` that missed, so there is one).
    pub fn find(&self, hash: u64, mut is_match: impl FnMut(u32) -> bool) -> Option<u32> {
        let tag = (mix(hash) >> 32) as u32;
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = home(u64::from(tag) << 32, bits_of(self.slots.len()));
        loop {
            let &(stored, stored_tag) = self.slots.get(i)?;
            if stored == 0 {
                return None;
            }
            if stored_tag == tag && is_match(stored - 1) {
                return Some(stored - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `index` under `hash`. Indices must be below `u32::MAX` (others are ignored).
    pub fn insert(&mut self, hash: u64, index: u32) {
        if index == u32::MAX {
            return;
        }
        if (self.filled + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let tag = (mix(hash) >> 32) as u32;
        self.put(tag, index + 1);
    }

    fn put(&mut self, tag: u32, stored: u32) {
        let mask = self.slots.len() - 1;
        let mut i = home(u64::from(tag) << 32, bits_of(self.slots.len()));
        while let Some(slot) = self.slots.get_mut(i) {
            if slot.0 == 0 {
                *slot = (stored, tag);
                self.filled += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); slots]);
        self.filled = 0;
        for (stored, tag) in old.into_iter().filter(|&(s, _)| s != 0) {
            self.put(tag, stored);
        }
    }
}

/// A string hash keyed by a random 64-bit value (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct KeyedHasher {
    key: u64,
}

impl KeyedHasher {
    /// A hasher with this key.
    pub fn new(key: u64) -> Self {
        KeyedHasher { key: mix(key) | 1 }
    }

    /// A hasher with a key from the platform's entropy source.
    pub fn random() -> Self {
        KeyedHasher::new(crate::rng::random_seed())
    }

    /// The keyed hash of `bytes`.
    pub fn hash(&self, bytes: &[u8]) -> u64 {
        let mut h = self.key ^ (bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = mix(h ^ u64::from_le_bytes(word)).wrapping_add(self.key);
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        mix(h ^ u64::from_le_bytes(last) ^ self.key.rotate_left(32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn id_set_matches_std_under_random_operations() {
        let mut rng = Rng::new(7);
        let mut ours = IdSet::default();
        let mut std = HashSet::new();
        // Small id range: many repeats, removals of present and absent ids, and the
        // id whose mix is zero (the inverse of mix at 0 is 0).
        for step in 0..200_000 {
            let id = match rng.below(10) {
                0 => 0,
                1 => u64::MAX,
                _ => rng.below(5_000) as u64 * 0x1_0000_0001,
            };
            if rng.below(3) == 0 {
                assert_eq!(ours.remove(id), std.remove(&id), "remove {id} at {step}");
            } else {
                assert_eq!(ours.insert(id), std.insert(id), "insert {id} at {step}");
            }
            assert_eq!(ours.len(), std.len());
            if step % 1000 == 0 {
                for probe in 0..5_000u64 {
                    let p = probe * 0x1_0000_0001;
                    assert_eq!(ours.contains(p), std.contains(&p));
                }
            }
        }
        ours.clear();
        assert!(ours.is_empty() && !ours.contains(0));
    }

    #[test]
    fn zero_image_is_kept_apart() {
        assert_eq!(mix(0), 0);
        let mut s = IdSet::default();
        assert!(s.insert(0) && s.contains(0) && s.len() == 1);
        assert!(!s.insert(0));
        assert!(s.remove(0) && !s.contains(0) && s.is_empty());
    }

    #[test]
    fn index_table_finds_what_was_inserted() {
        let mut rng = Rng::new(3);
        let hasher = KeyedHasher::new(99);
        let keys: Vec<String> = (0..20_000)
            .map(|_| format!("k{}", rng.below(8_000)))
            .collect();
        let mut table = IndexTable::default();
        let mut first: HashMap<&str, u32> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            let h = hasher.hash(k.as_bytes());
            let found = table.find(h, |j| keys[j as usize] == *k);
            assert_eq!(found, first.get(k.as_str()).copied(), "{k}");
            if found.is_none() {
                table.insert(h, i as u32);
                first.insert(k, i as u32);
            }
        }
        assert_eq!(table.len(), first.len());
        assert_eq!(table.find(hasher.hash(b"absent"), |_| true), None);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_equality() {
        // Every key under one hash: find must still return the right index.
        let mut table = IndexTable::with_capacity(4);
        for i in 0..100u32 {
            table.insert(42, i);
        }
        for i in 0..100u32 {
            assert_eq!(table.find(42, |j| j == i), Some(i));
        }
        assert_eq!(table.find(42, |_| false), None);
    }

    #[test]
    fn keyed_hash_depends_on_key_length_and_every_byte() {
        let (a, b) = (KeyedHasher::new(1), KeyedHasher::new(2));
        assert_ne!(a.hash(b"rose"), b.hash(b"rose"));
        assert_eq!(a.hash(b"rose"), a.hash(b"rose"));
        assert_ne!(a.hash(b""), a.hash(b"\0"));
        assert_ne!(a.hash(b"12345678"), a.hash(b"12345678\0"));
        let base = b"abcdefghijklmnopq".to_vec();
        let h = a.hash(&base);
        for i in 0..base.len() {
            let mut c = base.clone();
            c[i] ^= 1;
            assert_ne!(a.hash(&c), h, "byte {i}");
        }
    }
}
