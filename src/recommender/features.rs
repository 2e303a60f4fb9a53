//! The feature vector of one (shopper profile, candidate item) pair, and the
//! hand-set prior that scores it before any training.
//!
//! Features (all bounded, so no NaN or overflow can reach the MLP):
//!
//! | # | feature | range |
//! |---|---------|-------|
//! | 0 | attribute-token affinity of the profile with the item | [-1, 1] |
//! | 1 | max recency-weighted token Jaccard with the recent items | [0, 1] |
//! | 2 | category affinity share | [-1, 1] |
//! | 3 | brand affinity share | [-1, 1] |
//! | 4 | own interaction strength, tanh | (-1, 1) |
//! | 5 | local same-session co-occurrence with recent items, tanh | [0, 1) |
//! | 6 | base-model popularity | [0, 1] |
//! | 7 | base-model co-occurrence with recent items, tanh | [0, 1) |
//! | 8 | rating / 5 (0 when missing) | [0, 1] |
//! | 9 | price closeness to the profile's price level | [0, 1] |
//! | 10 | already purchased | {0, 1} |
//! | 11 | in cart | {0, 1} |
//! | 12 | the base model's re-ranker probability (its candidates only) | [0, 1) |
//!
//! The prior is a fixed linear score over these: it makes cold start
//! (popularity, rating, catalog order) and the first events (affinity terms)
//! work before any training, and the MLP learns a correction on top of it.
//!
//! ```
//! use localrec::recommender::features::{prior_score, FEATURES};
//! let mut x = [0.0f32; FEATURES];
//! x[6] = 1.0; // popular
//! assert!(prior_score(&x) > 0.0);
//! ```

use super::base::BaseStats;
use super::catalog::{jaccard, Item, ItemTable};
use super::profile::{Profile, TokenAffinities};
use crate::sort::U32Map;

/// Length of a feature vector.
pub const FEATURES: usize = 13;
/// Weights of the prior score (see the module table).
pub const PRIOR_WEIGHTS: [f32; FEATURES] = [
    2.0, 1.5, 1.0, 0.7, 0.5, 1.0, 1.0, 3.0, 0.3, 0.3, -1.0, -0.5, 3.0,
];

/// The fixed prior score of a feature vector.
pub fn prior_score(x: &[f32; FEATURES]) -> f32 {
    x.iter().zip(PRIOR_WEIGHTS).map(|(a, w)| a * w).sum()
}

/// Per-query precomputation from the profile (done once, then each
/// candidate costs O(tokens × recent items)).
pub struct Context<'a> {
    table: &'a ItemTable,
    profile: &'a Profile,
    /// (item, recency weight) of recent items, most recent first.
    recent: Vec<(u32, f32)>,
    local_co: U32Map<f64>,
    base_co: U32Map<f64>,
    base: Option<&'a BaseStats>,
    mean_log_price: Option<f64>,
    /// The base model's re-ranker probabilities by catalog index (empty without one).
    ranker: U32Map<f32>,
    /// Items some per-item map above or in the profile holds: the others
    /// skip those lookups (`recommend` computes features for every item).
    touched: Vec<bool>,
    /// The profile's affinity for each of the table's categories and brands.
    category_aff: Vec<f32>,
    brand_aff: Vec<f32>,
    /// The profile's token affinities, dense over the table's tokens.
    token_aff: TokenAffinities,
    /// Tokens some recent item holds: an item with none of them matches no
    /// recent item, so its Jaccard loop is skipped.
    recent_tokens: Vec<bool>,
}

impl<'a> Context<'a> {
    pub fn new(table: &'a ItemTable, profile: &'a Profile, base: Option<&'a BaseStats>) -> Self {
        let recent: Vec<(u32, f32)> = profile
            .recent()
            .iter()
            .rev()
            .enumerate()
            .map(|(age, &i)| (i, 0.85f32.powi(age as i32)))
            .collect();
        // The contributions in the order the B-tree maps used to take them: the same sums.
        let mut local_co = Vec::new();
        let mut base_co = Vec::new();
        for &(h, rw) in &recent {
            if let Some(co) = profile.co_occurring(h) {
                for (&c, &n) in co.iter() {
                    local_co.push((c, rw as f64 * n));
                }
            }
            if let Some(b) = base {
                for (c, w) in b.neighbours(h) {
                    base_co.push((c, rw as f64 * w as f64));
                }
            }
        }
        let local_co = U32Map::from_sums(&local_co);
        let base_co = U32Map::from_sums(&base_co);
        let mut recent_tokens = vec![false; table.token_count()];
        for &(h, _) in &recent {
            for &t in table.get(h).map_or(&[][..], |it| &it.tokens) {
                if let Some(seen) = recent_tokens.get_mut(t as usize) {
                    *seen = true;
                }
            }
        }
        Context {
            token_aff: profile.token_affinities(table.token_count()),
            recent_tokens,
            table,
            profile,
            recent,
            local_co,
            base_co,
            base,
            mean_log_price: profile.mean_log_price(),
            ranker: U32Map::default(),
            touched: Vec::new(),
            category_aff: table
                .categories()
                .iter()
                .map(|c| profile.category_affinity(Some(&c.key)) as f32)
                .collect(),
            brand_aff: table
                .brands()
                .iter()
                .map(|b| profile.brand_affinity(Some(&**b)) as f32)
                .collect(),
        }
        .with_touched()
    }

    fn with_touched(mut self) -> Self {
        let mut touched = vec![false; self.table.len()];
        let keys = self
            .profile
            .touched_items()
            .chain(self.local_co.keys())
            .chain(self.base_co.keys())
            .chain(self.ranker.keys());
        for i in keys {
            if let Some(t) = touched.get_mut(i as usize) {
                *t = true;
            }
        }
        self.touched = touched;
        self
    }

    /// Adds the base model's re-ranker probabilities (catalog index → probability).
    pub fn with_ranker_scores(mut self, scores: U32Map<f32>) -> Self {
        self.ranker = scores;
        self.with_touched()
    }

    /// Items the context already relates to the shopper: the base
    /// re-ranker's candidates and the items co-occurring (locally or in the
    /// base model) with the recent ones. Sorted, distinct.
    pub fn related_items(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .ranker
            .keys()
            .chain(self.local_co.keys())
            .chain(self.base_co.keys())
            .collect();
        crate::sort::sort_u32(&mut out);
        out.dedup();
        out
    }

    /// Whether the profile, the co-occurrence sums or the re-ranker hold
    /// `item` (items they do not hold skip those lookups).
    pub fn is_touched(&self, item: u32) -> bool {
        self.touched.get(item as usize).copied().unwrap_or(true)
    }

    /// The base re-ranker's probability for an item (0 when not a candidate).
    pub fn ranker_score(&self, item: u32) -> f32 {
        self.ranker.get(item).unwrap_or(0.0)
    }

    /// The feature vector of candidate `item`.
    pub fn features(&self, item: u32) -> [f32; FEATURES] {
        let mut x = [0.0f32; FEATURES];
        let Some(it) = self.table.get(item) else {
            return x;
        };
        let p = self.profile;
        x[0] = self.token_aff.of(&it.tokens) as f32;
        x[1] = self.best_recent_match(item, it).map_or(0.0, |(_, s)| s);
        let by_id = |aff: &[f32], id: Option<u32>| id.and_then(|i| aff.get(i as usize).copied());
        x[2] = by_id(&self.category_aff, it.category_id)
            .unwrap_or_else(|| p.category_affinity(it.category_str()) as f32);
        x[3] = by_id(&self.brand_aff, it.brand_id)
            .unwrap_or_else(|| p.brand_affinity(it.brand_str()) as f32);
        let touched = self.is_touched(item);
        if touched {
            x[4] = (p.strength(item) / 3.0).tanh() as f32;
            x[5] = self.local_co.get(item).map_or(0.0, |v| (v / 2.0).tanh()) as f32;
        }
        if let Some(b) = self.base {
            x[6] = b.popularity(item);
            if touched {
                x[7] = self.base_co.get(item).map_or(0.0, |v| v.tanh()) as f32;
            }
        }
        x[8] = it.rating.map_or(0.0, |r| (r / 5.0).clamp(0.0, 1.0)) as f32;
        if let (Some(m), Some(price)) = (self.mean_log_price, it.price) {
            x[9] = (-((1.0 + price).ln() - m).abs()).exp() as f32;
        }
        if touched {
            x[10] = p.purchased(item) as u8 as f32;
            x[11] = p.in_cart(item) as u8 as f32;
            x[12] = self.ranker_score(item).clamp(0.0, 1.0);
        }
        for v in &mut x {
            if !v.is_finite() {
                *v = 0.0;
            }
        }
        x
    }

    /// The recent item (other than `item`) most similar to it, with the
    /// recency-weighted Jaccard similarity.
    pub fn best_recent_match(&self, item: u32, it: &Item) -> Option<(u32, f32)> {
        let shares_a_token = it
            .tokens
            .iter()
            .any(|&t| self.recent_tokens.get(t as usize).copied().unwrap_or(true));
        if !shares_a_token {
            // Every Jaccard similarity would be 0, and 0 is never a match.
            return None;
        }
        let mut best: Option<(u32, f32)> = None;
        for &(h, rw) in &self.recent {
            if h == item {
                continue;
            }
            let Some(hi) = self.table.get(h) else {
                continue;
            };
            let s = jaccard(&it.tokens, &hi.tokens) * rw;
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((h, s));
            }
        }
        best
    }

    /// The recent item contributing most co-occurrence with `item`, local
    /// sessions first, then the base model.
    pub fn co_source(&self, item: u32) -> Option<(u32, bool)> {
        let mut best: Option<(u32, f64, bool)> = None;
        for &(h, rw) in &self.recent {
            if h == item {
                continue;
            }
            let local = self
                .profile
                .co_occurring(h)
                .and_then(|m| m.get(&item))
                .map_or(0.0, |n| n * rw as f64);
            let base = self
                .base
                .map_or(0.0, |b| b.neighbour_weight(h, item) as f64 * rw as f64);
            let (s, is_base) = if base >= local {
                (base, true)
            } else {
                (local, false)
            };
            if s > 0.0 && best.is_none_or(|(_, b, _)| s > b) {
                best = Some((h, s, is_base));
            }
        }
        best.map(|(h, _, is_base)| (h, is_base))
    }
}
