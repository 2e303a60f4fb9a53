//! Item vocabulary: opaque string ids of a catalog mapped to dense `u32` indices.
//!
//! ```
//! use localrec::rec::ItemVocab;
//! let mut vocab = ItemVocab::new();
//! let a = vocab.intern("sku-1")?;
//! assert_eq!(vocab.intern("sku-1")?, a);
//! assert_eq!(vocab.id(a), Some("sku-1"));
//! assert_eq!(vocab.index("nope"), None);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::idtable::{IndexTable, KeyedHasher};

/// Dense, insertion-ordered mapping between item id strings and indices.
///
/// The lookup table holds indices into `ids` (each id string is stored once), found
/// through a randomly keyed hash: std's `HashMap<String, u32>` would add hashbrown and
/// SipHash to the browser's package and a second copy of every id.
#[derive(Debug, Clone)]
pub struct ItemVocab {
    ids: Vec<String>,
    index: IndexTable,
    hasher: KeyedHasher,
}

impl Default for ItemVocab {
    fn default() -> Self {
        ItemVocab {
            ids: Vec::new(),
            index: IndexTable::default(),
            hasher: KeyedHasher::random(),
        }
    }
}

/// Two vocabularies are equal when they hold the same ids in the same order.
impl PartialEq for ItemVocab {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

impl ItemVocab {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a vocabulary from ids in index order; duplicates are rejected.
    pub fn from_ids(ids: Vec<String>) -> Result<Self> {
        let mut vocab = ItemVocab::new();
        for id in ids {
            let before = vocab.len();
            vocab.intern(&id)?;
            if vocab.len() == before {
                return Err(Error::invalid("item id", id, "appears twice"));
            }
        }
        Ok(vocab)
    }

    /// The index of `id`, adding it if new.
    pub fn intern(&mut self, id: &str) -> Result<u32> {
        let hash = self.hasher.hash(id.as_bytes());
        if let Some(i) = self.find(hash, id) {
            return Ok(i);
        }
        if id.is_empty() {
            return Err(Error::invalid("item id", "\"\"", "must not be empty"));
        }
        let i = u32::try_from(self.ids.len())
            .map_err(|_| Error::invalid("item count", self.ids.len(), "exceeds u32"))?;
        self.index.insert(hash, i);
        self.ids.push(id.to_string());
        Ok(i)
    }

    /// The index of `id`, if known.
    pub fn index(&self, id: &str) -> Option<u32> {
        self.find(self.hasher.hash(id.as_bytes()), id)
    }

    /// The index of `id`, whose keyed hash is `hash`.
    fn find(&self, hash: u64, id: &str) -> Option<u32> {
        let ids = &self.ids;
        self.index
            .find(hash, |i| ids.get(i as usize).is_some_and(|s| s == id))
    }

    /// The id string of index `i`, if in range.
    pub fn id(&self, i: u32) -> Option<&str> {
        self.ids.get(i as usize).map(String::as_str)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// All ids in index order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::HashMap;

    #[test]
    fn interning_agrees_with_a_std_hash_map() {
        let mut rng = Rng::new(5);
        let mut vocab = ItemVocab::new();
        let mut reference: HashMap<String, u32> = HashMap::new();
        for _ in 0..30_000 {
            // Repeats, shared prefixes and ids longer than one 8-byte hash word.
            let id = format!("sku-{}-{}", rng.below(9_000), "x".repeat(rng.below(12)));
            let next = reference.len() as u32;
            let expected = *reference.entry(id.clone()).or_insert(next);
            assert_eq!(vocab.intern(&id).unwrap(), expected);
        }
        assert_eq!(vocab.len(), reference.len());
        for (id, &i) in &reference {
            assert_eq!(vocab.index(id), Some(i));
            assert_eq!(vocab.id(i), Some(id.as_str()));
        }
        assert_eq!(vocab.index("sku-unknown"), None);
        let rebuilt = ItemVocab::from_ids(vocab.ids().to_vec()).unwrap();
        assert_eq!(
            rebuilt, vocab,
            "equal ids in the same order, whatever the hash keys"
        );
        assert!(ItemVocab::from_ids(vec!["a".into(), "a".into()]).is_err());
        assert!(vocab.intern("").is_err());
    }
}
