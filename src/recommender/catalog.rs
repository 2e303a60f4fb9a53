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
use crate::idtable::{IndexTable, KeyedHasher};
use crate::prep::catalog::{clean_item, MAX_ITEMS};
use crate::prep::hash::fnv1a_64;
use crate::prep::{CatalogItem, CleanItem, CleanReport};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest item id accepted (ids are stored with every event).
pub const MAX_ID_LEN: usize = crate::prep::catalog::MAX_ID_BYTES;
/// Longest title kept (longer ones are cut; they are only shown in reasons).
pub const MAX_TITLE_CHARS: usize = 200;

/// A distinct category of the catalog, shared by its items (a catalog of
/// 50,000 items has a few hundred: one copy of each path, not one per item).
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// Dense index in [`ItemTable::categories`].
    pub id: u32,
    /// The cleaned path joined with " > " (`"Shoes > Running"`).
    pub key: String,
    /// Category path levels, e.g. `["Shoes", "Running"]`.
    pub path: Vec<String>,
}

/// One cleaned catalog item, as ranking reads it: the core's [`CleanItem`]
/// with the recommender's display defaults applied once. Category and brand
/// strings are shared between the items that have them.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    /// The title, or the id when the shop gave none.
    pub title: String,
    /// The item's category (shared with the other items of it).
    pub category: Option<Arc<Category>>,
    /// The brand (shared with the other items of it).
    pub brand: Option<Arc<str>>,
    pub price: Option<f64>,
    /// Missing stock information counts as in stock.
    pub in_stock: bool,
    pub rating: Option<f64>,
    /// Sorted, deduplicated attribute tokens (`prep::attribute_tokens`),
    /// renumbered densely by [`ItemTable`]: token `t` is the rank of its hash
    /// among the catalog's distinct tokens (`0..ItemTable::token_count()`), so
    /// the order and every set operation are those of the hashes, and ranking
    /// indexes per-token arrays instead of searching maps.
    pub tokens: Vec<u32>,
    /// Dense index of the category in [`ItemTable::categories`].
    pub category_id: Option<u32>,
    /// Dense index of `brand` in [`ItemTable::brands`].
    pub brand_id: Option<u32>,
}

impl Item {
    /// The full category path (`"Shoes > Running"`), if any.
    pub fn category(&self) -> Option<String> {
        self.category_str().map(str::to_string)
    }
    /// The full category path without copying it.
    pub fn category_str(&self) -> Option<&str> {
        self.category.as_deref().map(|c| c.key.as_str())
    }
    /// The category path levels (empty without a category).
    pub fn category_path(&self) -> &[String] {
        self.category.as_deref().map_or(&[], |c| c.path.as_slice())
    }
    /// The brand, if any.
    pub fn brand_str(&self) -> Option<&str> {
        self.brand.as_deref()
    }
}

/// Shares each distinct category and brand between the items that have it
/// (ids in order of first appearance).
struct Interner {
    hasher: KeyedHasher,
    categories: Vec<Arc<Category>>,
    /// Indices into `categories`, by their key.
    category_index: IndexTable,
    brands: Vec<Arc<str>>,
    /// Indices into `brands`.
    brand_index: IndexTable,
}

impl Interner {
    fn new(hasher: KeyedHasher) -> Self {
        Interner {
            hasher,
            categories: Vec::new(),
            category_index: IndexTable::default(),
            brands: Vec::new(),
            brand_index: IndexTable::default(),
        }
    }

    fn category(&mut self, path: Vec<String>) -> Option<Arc<Category>> {
        if path.is_empty() {
            return None;
        }
        let key = path.join(" > ");
        let h = self.hasher.hash(key.as_bytes());
        let categories = &self.categories;
        let known = self.category_index.find(h, |i| {
            categories.get(i as usize).is_some_and(|c| c.key == key)
        });
        if let Some(c) = known.and_then(|i| categories.get(i as usize)) {
            return Some(Arc::clone(c));
        }
        let id = self.categories.len() as u32;
        self.category_index.insert(h, id);
        let c = Arc::new(Category { id, key, path });
        self.categories.push(Arc::clone(&c));
        Some(c)
    }

    fn brand(&mut self, brand: Option<String>) -> Option<(Arc<str>, u32)> {
        let brand = brand?;
        let h = self.hasher.hash(brand.as_bytes());
        let brands = &self.brands;
        let known = self
            .brand_index
            .find(h, |i| brands.get(i as usize).is_some_and(|b| **b == *brand));
        if let Some(i) = known {
            if let Some(b) = brands.get(i as usize) {
                return Some((Arc::clone(b), i));
            }
        }
        let id = self.brands.len() as u32;
        let b: Arc<str> = Arc::from(brand);
        self.brand_index.insert(h, id);
        self.brands.push(Arc::clone(&b));
        Some((b, id))
    }

    /// The ranking view of a core-cleaned item, consumed (its strings move);
    /// `true` when the title was cut.
    fn item(&mut self, clean: CleanItem) -> (Item, bool) {
        let mut title = clean.title.unwrap_or_else(|| clean.id.clone());
        let cut = title.chars().nth(MAX_TITLE_CHARS).is_some();
        if cut {
            title = title.chars().take(MAX_TITLE_CHARS).collect();
        }
        let category = self.category(clean.category);
        let (brand, brand_id) = self.brand(clean.brand).unzip();
        let item = Item {
            id: clean.id,
            title,
            category_id: category.as_ref().map(|c| c.id),
            category,
            brand,
            brand_id,
            price: clean.price,
            in_stock: clean.in_stock.unwrap_or(true),
            rating: clean.rating,
            tokens: clean.tokens,
        };
        (item, cut)
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

/// A sentence for a `prep` drop reason code (shown to storefront engineers).
fn describe_drop(code: &str) -> String {
    match code {
        "missing_id" => "id is missing or empty".into(),
        "id_too_long" => format!("id is longer than {MAX_ID_LEN} bytes"),
        "id_has_control_characters" => "id contains control characters".into(),
        "duplicate_id" => "duplicate id (the first one is kept)".into(),
        other => other.replace('_', " "),
    }
}

impl CatalogReport {
    /// The recommender's summary of the core cleaning report.
    fn from_clean(clean: &CleanReport, titles_truncated: usize) -> Self {
        let fixed = |reason: &str| clean.fixed.get(reason).copied().unwrap_or(0);
        CatalogReport {
            accepted: clean.kept,
            rejected: clean
                .rejected
                .iter()
                .map(|r| Rejection {
                    index: r.index,
                    reason: describe_drop(&r.reason),
                })
                .collect(),
            fields_cleared: [
                "price_not_finite",
                "price_negative",
                "rating_not_finite",
                "rating_negative",
            ]
            .iter()
            .map(|r| fixed(r))
            .sum(),
            titles_truncated,
        }
    }
}

/// The catalog cleaned item by item with the core's [`clean_item`] (the rules
/// of [`crate::prep::Catalog`]), kept as the ranking view of each item.
#[derive(Debug, Clone, Default)]
pub struct ItemTable {
    items: Vec<Item>,
    /// (FNV-1a 64 of the id, index), sorted: the id lookup without a second
    /// copy of every id (16 bytes an item instead of a `HashMap<String, u32>`);
    /// hits are confirmed against the item's id, so collisions cannot mislead.
    by_hash: Vec<(u64, u32)>,
    /// [`crate::prep::Catalog::fingerprint`] of the cleaned catalog, computed once.
    fingerprint: u64,
    /// Distinct categories and brands, indexed by `Item::category_id` /
    /// `brand_id`: ranking computes an affinity once per category or brand,
    /// not once per item.
    categories: Vec<Arc<Category>>,
    brands: Vec<Arc<str>>,
    /// Number of distinct attribute tokens (`Item::tokens` are below it).
    token_count: usize,
}

impl ItemTable {
    /// Cleans `items` with the core's [`clean_item`]: ids trimmed and
    /// required (at most 256 bytes, no control characters), duplicates
    /// skipped (the first wins), non-finite or negative prices and ratings
    /// treated as missing. Fails when nothing is left or the catalog exceeds
    /// `max_items`.
    ///
    /// Each row is consumed as it is cleaned (its strings move into the
    /// item; categories and brands are shared), so the peak is the input
    /// rows plus the table, not the several copies of a cleaned catalog.
    pub fn from_items(
        items: Vec<CatalogItem>,
        max_items: usize,
    ) -> Result<(ItemTable, CatalogReport)> {
        if items.len() > max_items.min(MAX_ITEMS) {
            return Err(Error::invalid(
                "catalog.length",
                items.len(),
                format!("more than maxCatalogItems = {max_items}"),
            ));
        }
        let mut clean = CleanReport::new(items.len());
        // Keyed with a random key: ids cannot be crafted to collide (a collision
        // only costs a longer probe; the ids are compared).
        let hasher = KeyedHasher::random();
        let mut interner = Interner::new(hasher);
        let mut kept: Vec<Item> = Vec::with_capacity(items.len());
        // The kept items by id: duplicates are found as rows arrive.
        let mut seen = IndexTable::with_capacity(items.len());
        let mut titles_cut = 0;
        for (index, raw) in items.into_iter().enumerate() {
            let c = match clean_item(raw, &mut clean) {
                Ok(c) => c,
                Err(reason) => {
                    clean.drop(index, reason);
                    continue;
                }
            };
            let h = hasher.hash(c.id.as_bytes());
            let duplicate = seen
                .find(h, |i| kept.get(i as usize).is_some_and(|it| it.id == c.id))
                .is_some();
            if duplicate {
                clean.drop(index, "duplicate_id");
                continue;
            }
            seen.insert(h, kept.len() as u32);
            let (item, cut) = interner.item(c);
            // Titles the core cut are longer than ours too: counted here.
            titles_cut += usize::from(cut);
            kept.push(item);
        }
        drop(seen);
        clean.finish(kept.len());
        let report = CatalogReport::from_clean(&clean, titles_cut);
        if kept.is_empty() {
            return Err(Error::invalid(
                "catalog",
                format!("{} rows", report.rejected.len()),
                "no usable item (every row was rejected or the list is empty)",
            ));
        }
        kept.shrink_to_fit();
        let (items, token_count) = renumber_tokens(kept);
        let mut by_hash: Vec<(u64, u32)> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (fnv1a_64(it.id.as_bytes()), i as u32))
            .collect();
        crate::sort::sort_u64_u32(&mut by_hash);
        Ok((
            ItemTable {
                fingerprint: fingerprint(&items),
                items,
                by_hash,
                categories: interner.categories,
                brands: interner.brands,
                token_count,
            },
            report,
        ))
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
    /// The dense index of an id. Not inlined: a dozen callers, none per candidate.
    #[inline(never)]
    pub fn index_of(&self, id: &str) -> Option<u32> {
        let h = fnv1a_64(id.as_bytes());
        let start = self.by_hash.partition_point(|&(x, _)| x < h);
        self.by_hash
            .get(start..)?
            .iter()
            .take_while(|&&(x, _)| x == h)
            .map(|&(_, i)| i)
            .find(|&i| self.items.get(i as usize).is_some_and(|it| it.id == id))
    }
    pub fn items(&self) -> &[Item] {
        &self.items
    }
    /// A hash of the ids in order: models fine-tuned on one catalog are
    /// rejected on another.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// Distinct categories (`Item::category_id` indexes them).
    pub fn categories(&self) -> &[Arc<Category>] {
        &self.categories
    }
    /// Distinct brands (`Item::brand_id` indexes them).
    pub fn brands(&self) -> &[Arc<str>] {
        &self.brands
    }
    /// Number of distinct attribute tokens: every `Item::tokens` entry is below it.
    pub fn token_count(&self) -> usize {
        self.token_count
    }
}

/// [`crate::prep::Catalog::fingerprint`] of the items: FNV-1a 64 of the ids
/// in order, each followed by a 0 byte (a fine-tuned model saved for this
/// catalog must match it again).
fn fingerprint(items: &[Item]) -> u64 {
    let mut bytes = Vec::with_capacity(items.iter().map(|it| it.id.len() + 1).sum());
    for it in items {
        bytes.extend_from_slice(it.id.as_bytes());
        bytes.push(0);
    }
    fnv1a_64(&bytes)
}

/// Replaces each item's hashed tokens by their rank among the distinct
/// hashes. The map is increasing, so each list stays sorted and Jaccard
/// similarities and affinity sums are unchanged.
fn renumber_tokens(mut items: Vec<Item>) -> (Vec<Item>, usize) {
    let mut distinct: Vec<u32> = items
        .iter()
        .flat_map(|it| it.tokens.iter().copied())
        .collect();
    crate::sort::sort_u32(&mut distinct);
    distinct.dedup();
    for it in &mut items {
        for t in &mut it.tokens {
            // Every token is in `distinct`, so the search always hits.
            *t = distinct.partition_point(|&d| d < *t) as u32;
        }
    }
    (items, distinct.len())
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
    fn the_table_cleans_like_the_core_catalog() {
        // Rejections, duplicates (first wins, after trimming) and the
        // fingerprint a saved model is matched by are those of prep::Catalog.
        let mut rows: Vec<CatalogItem> = (0..40)
            .map(|i| item(&format!("sku-{}", i % 30), &format!("C{} > D", i % 4), "B"))
            .collect();
        rows[3].id = " sku-7 ".into();
        rows[5].id = String::new();
        rows[9].id = "bad\u{7}id".into();
        rows[11].title = Some("x".repeat(250));
        let (core, clean) = crate::prep::Catalog::from_items(rows.clone()).unwrap();
        let (table, report) = ItemTable::from_items(rows, 100).unwrap();
        assert_eq!(table.fingerprint(), core.fingerprint());
        assert_eq!(table.len(), core.len());
        assert_eq!(report, CatalogReport::from_clean(&clean, 1));
        for (it, c) in table.items().iter().zip(core.items()) {
            assert_eq!(it.id, c.id);
            assert_eq!(it.category_path(), c.category.as_slice());
            assert_eq!(it.brand_str(), c.brand.as_deref());
            assert_eq!(it.tokens.len(), c.tokens.len());
        }
        // One shared category object per distinct path.
        assert_eq!(table.categories().len(), 4);
        let first = table.get(0).and_then(|it| it.category.clone()).unwrap();
        assert!(table
            .items()
            .iter()
            .filter(|it| it.category_id == Some(first.id))
            .all(|it| it.category.as_ref().is_some_and(|c| Arc::ptr_eq(c, &first))));
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
        // Interned categories and brands point back to the item's own strings;
        // ids are found again, unknown ones are not.
        for it in t.items() {
            let cat = it
                .category_id
                .map(|c| t.categories()[c as usize].key.as_str());
            assert_eq!(cat, it.category_str());
            let brand = it.brand_id.map(|b| &*t.brands()[b as usize]);
            assert_eq!(brand, it.brand_str());
            assert_eq!(t.get(t.index_of(&it.id).unwrap()), Some(it));
        }
        assert_eq!((t.categories().len(), t.brands().len()), (2, 2));
        assert_eq!(t.index_of("zz"), None);
    }
}
