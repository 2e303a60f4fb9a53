//! Options and results of `recommend` / `similar`, shaped for JavaScript
//! (camelCase, every option optional).
//!
//! ```
//! use localrec::recommender::RecommendOptions;
//! let o = RecommendOptions::default();
//! assert_eq!(o.k, 10);
//! assert!(o.filters.exclude_purchased && o.filters.exclude_in_cart && !o.filters.in_stock_only);
//! ```

use super::catalog::Item;
use crate::error::{Error, Result};
use crate::fmtnum::Num;
use serde::{Deserialize, Serialize};

/// Most results one call may ask for.
pub const MAX_K: usize = 1000;

/// Which items may be recommended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Filters {
    /// Skip items the shopper bought. Default true.
    pub exclude_purchased: bool,
    /// Skip items in the shopper's cart. Default true.
    pub exclude_in_cart: bool,
    /// Only items whose `inStock` is not false. Default false.
    pub in_stock_only: bool,
    /// Only items under one of these category paths (prefix match by level,
    /// `"Shoes"` matches `"Shoes > Running"`). Default: any.
    pub categories: Vec<String>,
    /// Only items with a known price ≥ this. Default: none.
    pub min_price: Option<f64>,
    /// Only items with a known price ≤ this. Default: none.
    pub max_price: Option<f64>,
    /// Never these ids (unknown ids are ignored). Default: none.
    pub exclude_ids: Vec<String>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            exclude_purchased: true,
            exclude_in_cart: true,
            in_stock_only: false,
            categories: Vec::new(),
            min_price: None,
            max_price: None,
            exclude_ids: Vec::new(),
        }
    }
}

/// Optional diversity re-rank of the top of the list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Diversity {
    /// Maximal marginal relevance: 1 = pure relevance, 0 = pure novelty. In [0, 1].
    pub mmr_lambda: Option<f64>,
    /// At most this many items per top-level category (≥ 1).
    pub per_category_cap: Option<usize>,
}

/// Options of `recommend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RecommendOptions {
    /// How many items. Default 10; 1..=min(1000, catalog size), else an error.
    pub k: usize,
    pub filters: Filters,
    pub diversity: Diversity,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            k: 10,
            filters: Filters::default(),
            diversity: Diversity::default(),
        }
    }
}

/// Options of `similar` (the purchase/cart exclusions default to off here:
/// a product page shows neighbours whatever the shopper did).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SimilarOptions {
    /// Default 10.
    pub k: usize,
    pub filters: Filters,
}

impl Default for SimilarOptions {
    fn default() -> Self {
        SimilarOptions {
            k: 10,
            filters: Filters {
                exclude_purchased: false,
                exclude_in_cart: false,
                ..Filters::default()
            },
        }
    }
}

/// Why an item is recommended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasonKind {
    /// "because you viewed / added / bought <item>" (shares attributes with it).
    History,
    /// "often bought together with <item>" (co-occurrence in the shop's data).
    BoughtTogether,
    /// "you viewed it in the same visit as <item>" (local sessions).
    SameSession,
    /// "matches your interest in <category>".
    Category,
    /// "popular in <category>" (base-model popularity).
    Popular,
    /// "rated 4.5 in <category>".
    TopRated,
    /// "from <category>" (no signal: catalog order).
    Catalog,
    /// "similar to <item>: same <category>/<brand>" (`similar`).
    SimilarAttributes,
    /// "similar to <item>": the base model's learned item embedding puts the two close
    /// (shoppers' sequences treat them alike), although the data need not show them together.
    LearnedSimilarity,
}

/// One recommended item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub item_id: String,
    pub score: f64,
    pub reason: String,
    pub reason_kind: ReasonKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_item_id: Option<String>,
}

/// The answer of `recommend` / `similar`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendations {
    pub items: Vec<Recommendation>,
    /// Set when fewer than `k` items could be returned: what excluded the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Items that passed the filters.
    pub candidates: usize,
    /// `"prior"` before any training, `"fineTuned"` after.
    pub model: String,
}

/// `"A >  b\tc> "` → `["A", "b c"]`: parts between `>`, whitespace runs inside
/// a part one space, no leading or trailing space, empty parts dropped. One pass
/// over the characters (the `split`/`split_whitespace`/`join` chain it replaces
/// was ~5 KB of WebAssembly).
fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut space = false;
    for ch in path.chars().chain(std::iter::once('>')) {
        if ch == '>' {
            if !part.is_empty() {
                parts.push(std::mem::take(&mut part));
            }
            space = false;
        } else if ch.is_whitespace() {
            space = !part.is_empty();
        } else {
            if space {
                part.push(' ');
                space = false;
            }
            part.push(ch);
        }
    }
    parts
}

fn check_price(field: &str, v: Option<f64>) -> Result<()> {
    match v {
        Some(p) if !p.is_finite() => Err(Error::invalid(field, p, "must be a finite number")),
        _ => Ok(()),
    }
}

/// Fails unless `1 <= k <= min(MAX_K, catalog_len)`.
pub fn check_k(k: usize, catalog_len: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::invalid("k", k, "must be at least 1"));
    }
    if k > MAX_K {
        return Err(Error::invalid("k", k, format!("must be at most {MAX_K}")));
    }
    if k > catalog_len {
        return Err(Error::invalid(
            "k",
            k,
            format!("larger than the catalog ({catalog_len} items)"),
        ));
    }
    Ok(())
}

impl Filters {
    pub fn validate(&self) -> Result<()> {
        check_price("filters.minPrice", self.min_price)?;
        check_price("filters.maxPrice", self.max_price)?;
        if let (Some(lo), Some(hi)) = (self.min_price, self.max_price) {
            if lo > hi {
                return Err(Error::invalid(
                    "filters.minPrice",
                    lo,
                    format!("greater than filters.maxPrice = {}", Num(hi)),
                ));
            }
        }
        if self.categories.len() > 10_000 || self.exclude_ids.len() > 100_000 {
            return Err(Error::invalid(
                "filters",
                format!(
                    "{} categories, {} excludeIds",
                    self.categories.len(),
                    self.exclude_ids.len()
                ),
                "too many entries (at most 10,000 categories and 100,000 ids)",
            ));
        }
        Ok(())
    }

    /// The category filter as split, trimmed paths.
    pub fn category_paths(&self) -> Vec<Vec<String>> {
        self.categories.iter().map(|c| split_path(c)).collect()
    }

    /// Whether the item's own attributes pass (the shopper-dependent
    /// exclusions are checked by the caller).
    pub fn item_passes(&self, item: &Item, paths: &[Vec<String>]) -> bool {
        if self.in_stock_only && !item.in_stock {
            return false;
        }
        if self.min_price.is_some() || self.max_price.is_some() {
            let Some(p) = item.price else { return false };
            if self.min_price.is_some_and(|lo| p < lo) || self.max_price.is_some_and(|hi| p > hi) {
                return false;
            }
        }
        if !paths.is_empty() {
            let matches = paths.iter().any(|want| {
                !want.is_empty()
                    && want.len() <= item.category_path().len()
                    && want
                        .iter()
                        .zip(item.category_path())
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            });
            if !matches {
                return false;
            }
        }
        true
    }
}

impl RecommendOptions {
    pub fn validate(&self, catalog_len: usize) -> Result<()> {
        check_k(self.k, catalog_len)?;
        self.filters.validate()?;
        if let Some(l) = self.diversity.mmr_lambda {
            if !(l.is_finite() && (0.0..=1.0).contains(&l)) {
                return Err(Error::invalid(
                    "diversity.mmrLambda",
                    l,
                    "must be a number in [0, 1]",
                ));
            }
        }
        if self.diversity.per_category_cap == Some(0) {
            return Err(Error::invalid(
                "diversity.perCategoryCap",
                0,
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain `split_path` replaces.
    fn reference(c: &str) -> Vec<String> {
        c.split('>')
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn category_paths_split_as_before() {
        let alphabet = ['a', 'B', 'é', ' ', '\t', '\u{3000}', '>', '-', '\n'];
        let mut rng = crate::rng::Rng::new(17);
        for _ in 0..20_000 {
            let len = rng.below(14);
            let c: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            assert_eq!(split_path(&c), reference(&c), "{c:?}");
        }
        let filters = Filters {
            categories: vec![" Shoes >  Running  Trail > ".into(), ">>".into()],
            ..Filters::default()
        };
        assert_eq!(
            filters.category_paths(),
            vec![vec!["Shoes".to_string(), "Running Trail".into()], vec![]]
        );
    }
}
