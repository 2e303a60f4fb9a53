//! The cleaned catalog: dense item indices `0..n` (u32), lookup by id,
//! normalised strings, missing numbers kept missing, attribute tokens.
//!
//! ```
//! use localrec::prep::{Catalog, CatalogItem};
//! let items = vec![
//!     CatalogItem { id: "a".into(), price: Some(12.0), category: Some("Beauty > Skin".into()), ..Default::default() },
//!     CatalogItem { id: "a".into(), ..Default::default() },               // duplicate id: dropped
//!     CatalogItem { id: "b".into(), price: Some(f64::NAN), ..Default::default() }, // NaN price: missing
//! ];
//! let (catalog, report) = Catalog::from_items(items).unwrap();
//! assert_eq!(catalog.len(), 2);
//! assert_eq!(report.dropped["duplicate_id"], 1);
//! assert_eq!(catalog.get(1).unwrap().price, None);
//! assert_eq!(catalog.get(0).unwrap().category, vec!["Beauty", "Skin"]);
//! ```

use crate::error::{Error, Result};
use crate::prep::hash::{fnv1a_64, namespaced_32};
use crate::prep::report::CleanReport;
use crate::prep::text::{clean_text, key};
use crate::prep::types::{Attributes, CatalogItem};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Longest accepted item id, in bytes (longer ids are rejected, not cut: a cut id could collide).
pub const MAX_ID_BYTES: usize = 256;
/// Longest kept title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest kept brand, tag, category part or attribute name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Deepest kept category path.
pub const MAX_CATEGORY_DEPTH: usize = 8;
/// Most tags kept per item.
pub const MAX_TAGS: usize = 64;
/// Most numeric attributes kept per item.
pub const MAX_ATTRIBUTES: usize = 64;
/// Longest kept image URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// Largest catalog accepted.
pub const MAX_ITEMS: usize = 5_000_000;

/// A catalog item after cleaning. Strings are trimmed, whitespace-collapsed
/// and length-capped; numbers are finite or `None`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanItem {
    pub id: String,
    pub title: Option<String>,
    /// Category path parts, root first (`"A > B"` becomes `["A", "B"]`).
    pub category: Vec<String>,
    pub brand: Option<String>,
    /// Finite and non-negative, or `None`.
    pub price: Option<f64>,
    /// Distinct tags in first-seen order (case-insensitive distinctness).
    pub tags: Vec<String>,
    pub in_stock: Option<bool>,
    /// Finite and non-negative, or `None`.
    pub rating: Option<f64>,
    /// Finite numeric attributes by cleaned name.
    pub attributes: Attributes,
    pub image: Option<String>,
    /// Sorted, distinct attribute tokens (see [`attribute_tokens`]).
    pub tokens: Vec<u32>,
}

/// The namespace of each kind of attribute token.
pub mod token_kind {
    /// A category path prefix, e.g. `beauty>skin care`.
    pub const CATEGORY: &str = "cat";
    pub const BRAND: &str = "brand";
    pub const TAG: &str = "tag";
}

/// Lower-cased category prefixes: `["A", "B"]` gives `["a", "a>b"]`.
pub fn category_prefixes(parts: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(parts.len());
    let mut path = String::new();
    for p in parts {
        if !path.is_empty() {
            path.push('>');
        }
        path.push_str(&key(p));
        out.push(path.clone());
    }
    out
}

/// The token of a category prefix as produced by [`category_prefixes`].
pub fn category_token(prefix_key: &str) -> u32 {
    namespaced_32(token_kind::CATEGORY, prefix_key)
}

/// The token of a brand (any case).
pub fn brand_token(brand: &str) -> u32 {
    namespaced_32(token_kind::BRAND, &key(brand))
}

/// The token of a tag (any case).
pub fn tag_token(tag: &str) -> u32 {
    namespaced_32(token_kind::TAG, &key(tag))
}

/// The attribute tokens of a cleaned item: hashed category path prefixes,
/// brand and tags, sorted and deduplicated — the same shape as the anonymous
/// attribute ids of public data sets (Amazon Beauty), so the recommender
/// treats both alike. The hash is stable across platforms.
pub fn attribute_tokens(item: &CleanItem) -> Vec<u32> {
    let mut t: Vec<u32> = category_prefixes(&item.category)
        .iter()
        .map(|p| category_token(p))
        .collect();
    if let Some(b) = &item.brand {
        t.push(brand_token(b));
    }
    t.extend(item.tags.iter().map(|s| tag_token(s)));
    crate::sort::sort(&mut t);
    t.dedup();
    t
}

/// The attribute tokens of an item as readable, collision-free strings
/// (`cat:beauty>skin care`, `brand:nivea`, `tag:vegan`), sorted and distinct:
/// for consumers that build their own vocabulary of attribute ids.
pub fn attribute_token_keys(item: &CleanItem) -> Vec<String> {
    let mut t: Vec<String> = category_prefixes(&item.category)
        .into_iter()
        .map(|p| format!("{}:{p}", token_kind::CATEGORY))
        .collect();
    if let Some(b) = &item.brand {
        t.push(format!("{}:{}", token_kind::BRAND, key(b)));
    }
    t.extend(
        item.tags
            .iter()
            .map(|s| format!("{}:{}", token_kind::TAG, key(s))),
    );
    crate::sort::sort(&mut t);
    t.dedup();
    t
}

/// The cleaned catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    items: Vec<CleanItem>,
    by_id: HashMap<String, u32>,
    /// Human-readable label of each token ("Skin Care", "Nivea"), for reasons.
    token_labels: BTreeMap<u32, String>,
}

fn clean_number(
    value: Option<f64>,
    field: &str,
    allow_negative: bool,
    r: &mut CleanReport,
) -> Option<f64> {
    let v = value?;
    if !v.is_finite() {
        r.fix(&format!("{field}_not_finite"));
        None
    } else if v < 0.0 && !allow_negative {
        r.fix(&format!("{field}_negative"));
        None
    } else {
        Some(v)
    }
}

fn clean_name(raw: &str, field: &str, max: usize, r: &mut CleanReport) -> Option<String> {
    if raw.chars().nth(max).is_some() {
        r.fix(&format!("{field}_truncated"));
    }
    clean_text(raw, max)
}

/// Cleans one raw item; `Err(reason)` when it must be dropped.
/// Repairs (NaN price → missing, too-long title → cut, …) are counted in `report.fixed`.
pub fn clean_item(raw: CatalogItem, report: &mut CleanReport) -> Result<CleanItem, &'static str> {
    let id = raw.id.trim();
    if id.is_empty() {
        return Err("missing_id");
    }
    if id.len() > MAX_ID_BYTES {
        return Err("id_too_long");
    }
    if id.chars().any(char::is_control) {
        return Err("id_has_control_characters");
    }
    let title = raw
        .title
        .as_deref()
        .and_then(|t| clean_name(t, "title", MAX_TITLE_CHARS, report));
    let mut category = Vec::new();
    if let Some(c) = raw.category.as_deref() {
        for part in c.split('>') {
            if let Some(p) = clean_name(part, "category", MAX_NAME_CHARS, report) {
                if category.len() == MAX_CATEGORY_DEPTH {
                    report.fix("category_too_deep");
                    break;
                }
                category.push(p);
            }
        }
    }
    let brand = raw
        .brand
        .as_deref()
        .and_then(|b| clean_name(b, "brand", MAX_NAME_CHARS, report));
    let mut tags: Vec<String> = Vec::new();
    let mut tag_keys: Vec<String> = Vec::new();
    for t in &raw.tags {
        let Some(t) = clean_name(t, "tag", MAX_NAME_CHARS, report) else {
            continue;
        };
        let k = key(&t);
        if tag_keys.contains(&k) {
            continue;
        }
        if tags.len() == MAX_TAGS {
            report.fix("tags_capped");
            break;
        }
        tag_keys.push(k);
        tags.push(t);
    }
    let mut attributes = Attributes::new();
    for (name, v) in raw.attributes.iter() {
        let Some(name) = clean_name(name, "attribute_name", MAX_NAME_CHARS, report) else {
            report.fix("attribute_name_empty");
            continue;
        };
        if !v.is_finite() {
            report.fix("attribute_not_finite");
            continue;
        }
        if attributes.len() == MAX_ATTRIBUTES {
            report.fix("attributes_capped");
            break;
        }
        attributes.insert(name, v);
    }
    let image = raw.image.as_deref().and_then(|u| {
        if u.chars().nth(MAX_URL_CHARS).is_some() {
            report.fix("image_url_too_long");
            None
        } else {
            clean_text(u, MAX_URL_CHARS)
        }
    });
    let mut item = CleanItem {
        id: id.to_string(),
        title,
        category,
        brand,
        price: clean_number(raw.price, "price", false, report),
        tags,
        in_stock: raw.in_stock,
        rating: clean_number(raw.rating, "rating", false, report),
        attributes,
        image,
        tokens: Vec::new(),
    };
    item.tokens = attribute_tokens(&item);
    Ok(item)
}

impl Catalog {
    /// Cleans `items` into a catalog. Items are dropped (and counted) for a
    /// missing, too long or duplicate id (the first occurrence wins); every
    /// other problem is repaired and counted. Fails only when there are more
    /// than [`MAX_ITEMS`] items.
    pub fn from_items(items: Vec<CatalogItem>) -> Result<(Catalog, CleanReport)> {
        if items.len() > MAX_ITEMS {
            return Err(Error::invalid(
                "items.length",
                items.len(),
                format!("at most {MAX_ITEMS} catalog items are supported"),
            ));
        }
        let mut report = CleanReport::new(items.len());
        let mut catalog = Catalog::default();
        for (index, raw) in items.into_iter().enumerate() {
            let item = match clean_item(raw, &mut report) {
                Ok(item) => item,
                Err(reason) => {
                    report.drop(index, reason);
                    continue;
                }
            };
            if catalog.by_id.contains_key(&item.id) {
                report.drop(index, "duplicate_id");
                continue;
            }
            catalog.push(item);
        }
        let kept = catalog.len();
        report.finish(kept);
        Ok((catalog, report))
    }

    fn push(&mut self, item: CleanItem) {
        for (prefix, part) in category_prefixes(&item.category).iter().zip(&item.category) {
            self.token_labels
                .entry(category_token(prefix))
                .or_insert_with(|| part.clone());
        }
        if let Some(b) = &item.brand {
            self.token_labels
                .entry(brand_token(b))
                .or_insert_with(|| b.clone());
        }
        for t in &item.tags {
            self.token_labels
                .entry(tag_token(t))
                .or_insert_with(|| t.clone());
        }
        // `from_items` caps the length far below u32::MAX.
        let index = self.items.len() as u32;
        self.by_id.insert(item.id.clone(), index);
        self.items.push(item);
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the catalog has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The dense index of an item id (ids are matched after trimming).
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.by_id.get(id.trim()).copied()
    }

    /// The item at `index`.
    pub fn get(&self, index: u32) -> Option<&CleanItem> {
        self.items.get(index as usize)
    }

    /// The item at `index`, or an error naming the index.
    pub fn item(&self, index: u32) -> Result<&CleanItem> {
        self.get(index).ok_or_else(|| {
            Error::invalid(
                "item",
                index,
                format!("the catalog has {} items", self.items.len()),
            )
        })
    }

    /// All items, in index order.
    pub fn items(&self) -> &[CleanItem] {
        &self.items
    }

    /// The display label of an attribute token ("Skin Care", a brand, a tag).
    pub fn token_label(&self, token: u32) -> Option<&str> {
        self.token_labels.get(&token).map(String::as_str)
    }

    /// A stable 64-bit fingerprint of the item ids in index order: a model or
    /// fitted featurizer built for another catalog can be recognised.
    pub fn fingerprint(&self) -> u64 {
        let mut bytes = Vec::new();
        for item in &self.items {
            bytes.extend_from_slice(item.id.as_bytes());
            bytes.push(0);
        }
        fnv1a_64(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> CatalogItem {
        CatalogItem {
            id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn ids_map_to_dense_indices() {
        let (c, r) = Catalog::from_items(vec![item("x"), item(" y "), item("z")]).unwrap();
        assert_eq!(r.kept, 3);
        assert_eq!(c.index_of("x"), Some(0));
        assert_eq!(c.index_of("y"), Some(1));
        assert_eq!(c.index_of(" z"), Some(2));
        assert_eq!(c.index_of("w"), None);
        assert!(c.item(3).is_err());
    }

    #[test]
    fn tokens_cover_category_prefixes_brand_and_tags() {
        let raw = CatalogItem {
            id: "1".into(),
            category: Some(" Beauty >  Skin Care > > Serums ".into()),
            brand: Some("NIVEA".into()),
            tags: vec!["Vegan".into(), "vegan ".into(), "".into()],
            ..Default::default()
        };
        let (c, _) = Catalog::from_items(vec![raw]).unwrap();
        let it = c.get(0).unwrap();
        assert_eq!(it.category, vec!["Beauty", "Skin Care", "Serums"]);
        assert_eq!(it.tags, vec!["Vegan"]);
        let mut want = vec![
            category_token("beauty"),
            category_token("beauty>skin care"),
            category_token("beauty>skin care>serums"),
            brand_token("nivea"),
            tag_token("vegan"),
        ];
        crate::sort::sort(&mut want);
        assert_eq!(it.tokens, want);
        assert_eq!(
            attribute_token_keys(it),
            vec![
                "brand:nivea",
                "cat:beauty",
                "cat:beauty>skin care",
                "cat:beauty>skin care>serums",
                "tag:vegan"
            ]
        );
        assert_eq!(c.token_label(brand_token("Nivea")), Some("NIVEA"));
        assert_eq!(
            c.token_label(category_token("beauty>skin care")),
            Some("Skin Care")
        );
    }

    #[test]
    fn fingerprint_depends_on_ids_and_order() {
        let (a, _) = Catalog::from_items(vec![item("a"), item("b")]).unwrap();
        let (b, _) = Catalog::from_items(vec![item("b"), item("a")]).unwrap();
        let (c, _) = Catalog::from_items(vec![item("ab")]).unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
