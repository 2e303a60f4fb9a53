//! The shop's catalog as the recommender sees it: dense item indices, cleaned
//! display strings, and per item a sorted set of "attribute tokens" (hashed
//! category-path prefixes, brand, tags) used for content similarity.
//!
//! ```
//! use localrec::prep::CatalogItem;
//! use localrec::recommender::catalog::ItemTable;
//! let items = vec![
//!     CatalogItem { id: "a".into(), category: Some("Shoes > Running".into()), ..Default::default() },
//!     CatalogItem { id: "a".into(), ..Default::default() }, // duplicate: skipped and counted
//! ];
//! let (table, report) = ItemTable::from_items(items, 1000).unwrap();
//! assert_eq!(table.len(), 1);
//! assert_eq!(report.rejected.len(), 1);
//! ```

use crate::error::{Error, Result};
use crate::prep::CatalogItem;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Longest item id accepted (ids are stored with every event).
pub const MAX_ID_LEN: usize = 256;
/// Longest title kept (longer ones are cut; they are only shown in reasons).
pub const MAX_TITLE_CHARS: usize = 200;

/// One cleaned catalog item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    /// The title, or the id when the shop gave none.
    pub title: String,
    /// Category path levels, e.g. `["Shoes", "Running"]`.
    pub category_path: Vec<String>,
    pub brand: Option<String>,
    pub price: Option<f64>,
    /// Missing stock information counts as in stock.
    pub in_stock: bool,
    pub rating: Option<f64>,
    /// Sorted, deduplicated attribute tokens.
    pub tokens: Vec<u32>,
}

impl Item {
    /// The full category path as the shop wrote it (`"Shoes > Running"`), if any.
    pub fn category(&self) -> Option<String> {
        if self.category_path.is_empty() {
            None
        } else {
            Some(self.category_path.join(" > "))
        }
    }
}

/// A rejected input row: its position in the input and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub index: usize,
    pub reason: String,
}

/// What `load_catalog` kept and dropped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogReport {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    /// Fields that were present but unusable (NaN price, …) and treated as missing.
    pub fields_cleared: usize,
    /// Titles longer than the limit, cut.
    pub titles_truncated: usize,
}

/// The cleaned catalog with a lookup by id.
#[derive(Debug, Clone, Default)]
pub struct ItemTable {
    items: Vec<Item>,
    by_id: HashMap<String, u32>,
    fingerprint: u64,
}

/// FNV-1a, 32 bits: a stable hash, identical natively and in wasm32.
pub fn fnv1a32(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for part in parts {
        for &b in *part {
            h ^= b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xFF;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a, 64 bits.
pub fn fnv1a64(h: u64, bytes: &[u8]) -> u64 {
    let mut h = h;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

const FNV64_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;

fn clean_text(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn attribute_tokens(path: &[String], brand: Option<&str>, tags: &[String]) -> Vec<u32> {
    let mut tokens = Vec::new();
    let mut prefix = String::new();
    for level in path {
        if !prefix.is_empty() {
            prefix.push('>');
        }
        prefix.push_str(&level.to_lowercase());
        tokens.push(fnv1a32(&[b"cat", prefix.as_bytes()]));
    }
    if let Some(b) = brand {
        tokens.push(fnv1a32(&[b"brand", b.to_lowercase().as_bytes()]));
    }
    for t in tags {
        let t = clean_text(t).to_lowercase();
        if !t.is_empty() && t.len() <= MAX_ID_LEN {
            tokens.push(fnv1a32(&[b"tag", t.as_bytes()]));
        }
    }
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

impl ItemTable {
    /// Cleans `items`: ids trimmed and required (at most 256 chars), duplicates
    /// skipped (the first wins), non-finite or negative prices and ratings
    /// treated as missing. Fails when nothing is left or the catalog exceeds
    /// `max_items`.
    pub fn from_items(
        items: Vec<CatalogItem>,
        max_items: usize,
    ) -> Result<(ItemTable, CatalogReport)> {
        if items.len() > max_items {
            return Err(Error::invalid(
                "catalog.length",
                items.len(),
                format!("more than maxCatalogItems = {max_items}"),
            ));
        }
        let mut report = CatalogReport::default();
        let mut table = ItemTable {
            fingerprint: FNV64_OFFSET,
            ..ItemTable::default()
        };
        for (index, raw) in items.into_iter().enumerate() {
            let id = raw.id.trim().to_string();
            if id.is_empty() {
                report.rejected.push(Rejection {
                    index,
                    reason: "id is missing or empty".into(),
                });
                continue;
            }
            if id.len() > MAX_ID_LEN {
                report.rejected.push(Rejection {
                    index,
                    reason: format!("id is {} bytes, longer than {MAX_ID_LEN}", id.len()),
                });
                continue;
            }
            if table.by_id.contains_key(&id) {
                let shown: String = id.chars().take(40).collect();
                report.rejected.push(Rejection {
                    index,
                    reason: format!("duplicate id {shown:?} (the first one is kept)"),
                });
                continue;
            }
            let mut title = raw.title.as_deref().map(clean_text).unwrap_or_default();
            if title.chars().count() > MAX_TITLE_CHARS {
                title = title.chars().take(MAX_TITLE_CHARS).collect();
                report.titles_truncated += 1;
            }
            if title.is_empty() {
                title = id.clone();
            }
            let category_path: Vec<String> = raw
                .category
                .as_deref()
                .unwrap_or("")
                .split('>')
                .map(clean_text)
                .filter(|s| !s.is_empty())
                .take(8)
                .map(|s| s.chars().take(MAX_TITLE_CHARS).collect())
                .collect();
            let brand = raw
                .brand
                .as_deref()
                .map(clean_text)
                .filter(|b| !b.is_empty())
                .map(|b| b.chars().take(MAX_TITLE_CHARS).collect::<String>());
            let mut usable = |v: Option<f64>| match v {
                Some(x) if x.is_finite() && x >= 0.0 => Some(x),
                Some(_) => {
                    report.fields_cleared += 1;
                    None
                }
                None => None,
            };
            let price = usable(raw.price);
            let rating = usable(raw.rating);
            let tags: Vec<String> = raw.tags.into_iter().take(64).collect();
            let tokens = attribute_tokens(&category_path, brand.as_deref(), &tags);
            table.fingerprint = fnv1a64(table.fingerprint, id.as_bytes());
            table.fingerprint = fnv1a64(table.fingerprint, &[0]);
            table.by_id.insert(id.clone(), table.items.len() as u32);
            table.items.push(Item {
                id,
                title,
                category_path,
                brand,
                price,
                in_stock: raw.in_stock.unwrap_or(true),
                rating,
                tokens,
            });
            report.accepted += 1;
        }
        if table.items.is_empty() {
            return Err(Error::invalid(
                "catalog",
                format!("{} rows", report.rejected.len()),
                "no usable item (every row was rejected or the list is empty)",
            ));
        }
        Ok((table, report))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// The item at a dense index.
    pub fn get(&self, index: u32) -> Option<&Item> {
        self.items.get(index as usize)
    }
    /// The dense index of an id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }
    pub fn items(&self) -> &[Item] {
        &self.items
    }
    /// A hash of the ids in order: models fine-tuned on one catalog are
    /// rejected on another.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// Jaccard similarity of two sorted token sets.
pub fn jaccard(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f32 / (a.len() + b.len() - common) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, cat: &str, brand: &str) -> CatalogItem {
        CatalogItem {
            id: id.into(),
            category: Some(cat.into()),
            brand: Some(brand.into()),
            ..Default::default()
        }
    }

    #[test]
    fn cleaning_counts_every_rejection() {
        let mut rows = vec![
            item(" a ", "Shoes > Running", "Asics"),
            item("", "Shoes", "x"),
            item("a", "Shoes", "x"),
            item(&"z".repeat(300), "Shoes", "x"),
        ];
        rows[0].price = Some(f64::NAN);
        rows[0].title = Some(format!("  Long   {}", "t".repeat(300)));
        let (t, r) = ItemTable::from_items(rows, 10).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t.index_of("a"), Some(0));
        assert_eq!(
            r.rejected.iter().map(|x| x.index).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(r.fields_cleared, 1);
        assert_eq!(r.titles_truncated, 1);
        let a = t.get(0).unwrap();
        assert_eq!(a.price, None);
        assert_eq!(a.category().as_deref(), Some("Shoes > Running"));
        assert_eq!(a.tokens.len(), 3); // two path prefixes + brand
        assert!(ItemTable::from_items(vec![], 10).is_err());
        assert!(ItemTable::from_items(vec![item("a", "", ""); 11], 10).is_err());
    }

    #[test]
    fn similar_attributes_give_overlapping_tokens() {
        let (t, _) = ItemTable::from_items(
            vec![
                item("a", "Shoes > Running", "Asics"),
                item("b", "Shoes > Running", "Nike"),
                item("c", "Kitchen", "Asics"),
            ],
            10,
        )
        .unwrap();
        let tok = |i| &t.get(i).unwrap().tokens;
        assert!(jaccard(tok(0), tok(1)) > jaccard(tok(0), tok(2)));
        assert!(jaccard(tok(0), tok(2)) > 0.0); // same brand
        assert_eq!(jaccard(tok(1), tok(2)), 0.0);
        assert_eq!(jaccard(tok(0), tok(0)), 1.0);
    }
}
