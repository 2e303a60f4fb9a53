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
use crate::prep::hash::fnv1a_64;
use crate::prep::{Catalog, CatalogItem, CleanItem, CleanReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest item id accepted (ids are stored with every event).
pub const MAX_ID_LEN: usize = crate::prep::catalog::MAX_ID_BYTES;
/// Longest title kept (longer ones are cut; they are only shown in reasons).
pub const MAX_TITLE_CHARS: usize = 200;

/// One cleaned catalog item, as ranking reads it: the core's [`CleanItem`]
/// with the recommender's display defaults applied once.
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
    /// Sorted, deduplicated attribute tokens (`prep::attribute_tokens`),
    /// renumbered densely by [`ItemTable`]: token `t` is the rank of its hash
    /// among the catalog's distinct tokens (`0..ItemTable::token_count()`), so
    /// the order and every set operation are those of the hashes, and ranking
    /// indexes per-token arrays instead of searching maps.
    pub tokens: Vec<u32>,
    /// The cleaned path joined with " > " (kept: ranking looks it up per candidate).
    pub category_key: Option<String>,
    /// Dense index of `category_key` in [`ItemTable::categories`].
    pub category_id: Option<u32>,
    /// Dense index of `brand` in [`ItemTable::brands`].
    pub brand_id: Option<u32>,
}

impl Item {
    /// The full category path (`"Shoes > Running"`), if any.
    pub fn category(&self) -> Option<String> {
        self.category_key.clone()
    }
    /// The full category path without copying it.
    pub fn category_str(&self) -> Option<&str> {
        self.category_key.as_deref()
    }

    /// The ranking view of a core-cleaned item; `true` when the title was cut.
    fn from_clean(clean: &CleanItem) -> (Item, bool) {
        let mut title = clean.title.clone().unwrap_or_else(|| clean.id.clone());
        let cut = title.chars().nth(MAX_TITLE_CHARS).is_some();
        if cut {
            title = title.chars().take(MAX_TITLE_CHARS).collect();
        }
        let category_key = (!clean.category.is_empty()).then(|| clean.category.join(" > "));
        let item = Item {
            id: clean.id.clone(),
            title,
            category_path: clean.category.clone(),
            brand: clean.brand.clone(),
            price: clean.price,
            in_stock: clean.in_stock.unwrap_or(true),
            rating: clean.rating,
            tokens: clean.tokens.clone(),
            category_key,
            category_id: None,
            brand_id: None,
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

/// The catalog cleaned by the core [`Catalog`], kept as the ranking view of
/// each item (the `Catalog` itself is dropped: only its fingerprint is kept).
#[derive(Debug, Clone, Default)]
pub struct ItemTable {
    items: Vec<Item>,
    /// (FNV-1a 64 of the id, index), sorted: the id lookup without a second
    /// copy of every id (12 bytes an item instead of a `HashMap<String, u32>`);
    /// hits are confirmed against the item's id, so collisions cannot mislead.
    by_hash: Vec<(u64, u32)>,
    /// [`Catalog::fingerprint`] of the cleaned catalog, computed once.
    fingerprint: u64,
    /// Distinct category keys and brands, indexed by `Item::category_id` /
    /// `brand_id`: ranking computes an affinity once per category or brand,
    /// not once per item.
    categories: Vec<String>,
    brands: Vec<String>,
    /// Number of distinct attribute tokens (`Item::tokens` are below it).
    token_count: usize,
}

/// Gives each distinct string a dense index, in first-seen order.
fn intern(names: &mut Vec<String>, index: &mut BTreeMap<String, u32>, name: &str) -> u32 {
    if let Some(&i) = index.get(name) {
        return i;
    }
    let i = names.len() as u32;
    names.push(name.to_string());
    index.insert(name.to_string(), i);
    i
}

impl ItemTable {
    /// Cleans `items` with [`Catalog::from_items`]: ids trimmed and required
    /// (at most 256 bytes, no control characters), duplicates skipped (the
    /// first wins), non-finite or negative prices and ratings treated as
    /// missing. Fails when nothing is left or the catalog exceeds `max_items`.
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
        let (catalog, clean) = Catalog::from_items(items)?;
        let mut titles_cut = 0;
        let (mut categories, mut brands) = (Vec::new(), Vec::new());
        let (mut category_index, mut brand_index) = (BTreeMap::new(), BTreeMap::new());
        let items: Vec<Item> = catalog
            .items()
            .iter()
            .map(|c| {
                let (mut item, cut) = Item::from_clean(c);
                // Titles the core cut are longer than ours too: counted here.
                titles_cut += usize::from(cut);
                item.category_id = item
                    .category_key
                    .as_deref()
                    .map(|k| intern(&mut categories, &mut category_index, k));
                item.brand_id = item
                    .brand
                    .as_deref()
                    .map(|b| intern(&mut brands, &mut brand_index, b));
                item
            })
            .collect();
        let (items, token_count) = renumber_tokens(items);
        let report = CatalogReport::from_clean(&clean, titles_cut);
        if items.is_empty() {
            return Err(Error::invalid(
                "catalog",
                format!("{} rows", report.rejected.len()),
                "no usable item (every row was rejected or the list is empty)",
            ));
        }
        // The cleaned catalog itself is not kept: `Item` holds what ranking
        // reads, and a second copy of 50,000 items cost ~20 MB (native).
        let fingerprint = catalog.fingerprint();
        drop(catalog);
        let mut by_hash: Vec<(u64, u32)> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (fnv1a_64(it.id.as_bytes()), i as u32))
            .collect();
        crate::sort::sort_u64_u32(&mut by_hash);
        Ok((
            ItemTable {
                items,
                by_hash,
                fingerprint,
                categories,
                brands,
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
    /// The dense index of an id.
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
    /// Distinct category keys (`Item::category_id` indexes them).
    pub fn categories(&self) -> &[String] {
        &self.categories
    }
    /// Distinct brands (`Item::brand_id` indexes them).
    pub fn brands(&self) -> &[String] {
        &self.brands
    }
    /// Number of distinct attribute tokens: every `Item::tokens` entry is below it.
    pub fn token_count(&self) -> usize {
        self.token_count
    }
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
            let cat = it.category_id.map(|c| t.categories()[c as usize].as_str());
            assert_eq!(cat, it.category_str());
            let brand = it.brand_id.map(|b| t.brands()[b as usize].as_str());
            assert_eq!(brand, it.brand.as_deref());
            assert_eq!(t.get(t.index_of(&it.id).unwrap()), Some(it));
        }
        assert_eq!((t.categories().len(), t.brands().len()), (2, 2));
        assert_eq!(t.index_of("zz"), None);
    }
}
