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

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Dense, insertion-ordered mapping between item id strings and indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemVocab {
    ids: Vec<String>,
    index: HashMap<String, u32>,
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
        if let Some(&i) = self.index.get(id) {
            return Ok(i);
        }
        if id.is_empty() {
            return Err(Error::invalid("item id", "\"\"", "must not be empty"));
        }
        let i = u32::try_from(self.ids.len())
            .map_err(|_| Error::invalid("item count", self.ids.len(), "exceeds u32"))?;
        self.ids.push(id.to_string());
        self.index.insert(id.to_string(), i);
        Ok(i)
    }

    /// The index of `id`, if known.
    pub fn index(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
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
