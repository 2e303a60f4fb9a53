//! The shopper profile: what the local events say about taste, updated
//! incrementally (one event = O(tokens + session length), no pass over old
//! events) with exponential recency decay.
//!
//! Decay without revisiting old entries: values are stored in the units of a
//! reference time `origin` (an event at time t adds `w · 2^((t − origin)/h)`),
//! and read back multiplied by `2^((origin − now)/h)`. When the exponent grows
//! large everything is rescaled once and `origin` moves forward.
//!
//! Every map is a [`SortedMap`] (a sorted `Vec`, iterated in key order like a
//! `BTreeMap`) or, for the per-item tables that grow to tens of thousands of
//! keys, a [`BucketedMap`] (64 of them, by the key's low bits): iteration is in
//! a fixed order, so the same history gives bit-identical features natively
//! and in the browser.
//!
//! ```
//! use localrec::prep::{CatalogItem, EventKind};
//! use localrec::recommender::{catalog::ItemTable, profile::Profile, RecommenderConfig};
//! let (t, _) = ItemTable::from_items(vec![CatalogItem { id: "a".into(), ..Default::default() }], 10).unwrap();
//! let mut p = Profile::new(&RecommenderConfig::default());
//! p.add(&t, 0, EventKind::Purchase, 0.0, 1.0);
//! assert!(p.strength(0) > 0.0 && p.purchased(0));
//! ```

use super::catalog::ItemTable;
use super::config::RecommenderConfig;
use crate::pow2::exp2;
use crate::prep::EventKind;
use crate::sort::{BucketedMap, SortedMap};

const DAY_MS: f64 = 86_400_000.0;
/// Recent distinct items remembered for "because you viewed" and similarity.
pub const RECENT: usize = 10;
/// Items of the current session that co-occurrence pairs are counted with.
const SESSION_WINDOW: usize = 20;

/// The incremental profile of one shopper.
#[derive(Debug, Clone)]
pub struct Profile {
    half_life_ms: f64,
    gap_ms: f64,
    weights: [f64; 6],
    origin: f64,
    /// Latest event time seen (the "now" of the profile).
    pub last_ts: Option<f64>,
    pub first_ts: Option<f64>,
    /// Per item: the decayed strength and the strongest kind of event (one map, so a new item
    /// costs one sorted insert).
    item_strength: BucketedMap<(f64, EventKind)>,
    token_aff: SortedMap<u32, f64>,
    category_aff: SortedMap<String, f64>,
    brand_aff: SortedMap<String, f64>,
    log_price_sum: f64,
    price_weight: f64,
    token_total: f64,
    category_total: f64,
    brand_total: f64,
    /// Most recent distinct items, most recent last.
    recent: Vec<u32>,
    purchased: BucketedMap<()>,
    cart: BucketedMap<f64>,
    /// Within-session co-occurrence counts (symmetric).
    co: BucketedMap<SortedMap<u32, f64>>,
    session: Vec<u32>,
    pub events: usize,
}

fn kind_index(k: EventKind) -> usize {
    match k {
        EventKind::View => 0,
        EventKind::Click => 1,
        EventKind::AddToCart => 2,
        EventKind::RemoveFromCart => 3,
        EventKind::Purchase => 4,
        EventKind::Search => 5,
    }
}

fn kind_rank(k: EventKind) -> u8 {
    match k {
        EventKind::Purchase => 4,
        EventKind::AddToCart => 3,
        EventKind::Click => 2,
        EventKind::View => 1,
        EventKind::RemoveFromCart | EventKind::Search => 0,
    }
}

/// `map[key] += by` (0 first for a new key). One shared copy, not inlined: the profile updates
/// several maps of this type per event, and each inlined insert path costs code in the wasm.
#[inline(never)]
fn add_to(map: &mut SortedMap<u32, f64>, key: u32, by: f64) {
    *map.value_or(key, || 0.0) += by;
}

/// [`add_to`] for the category and brand maps: the name is copied only for a new key.
#[inline(never)]
fn add_to_named(map: &mut SortedMap<String, f64>, name: &str, by: f64) {
    match map.get_mut(name) {
        Some(v) => *v += by,
        None => *map.value_or(name.to_string(), || 0.0) += by,
    }
}

/// Counts one within-session co-occurrence of `item` with `other` (one direction).
#[inline(never)]
fn count_pair(co: &mut BucketedMap<SortedMap<u32, f64>>, other: u32, item: u32) {
    add_to(co.value_or(other, SortedMap::new), item, 1.0);
}

impl Profile {
    #[inline(never)]
    pub fn new(cfg: &RecommenderConfig) -> Self {
        let k = &cfg.kind_weights;
        Profile {
            half_life_ms: cfg.half_life_days * DAY_MS,
            gap_ms: cfg.session_gap_minutes * 60_000.0,
            weights: [
                k.view,
                k.click,
                k.add_to_cart,
                k.remove_from_cart,
                k.purchase,
                0.0,
            ],
            origin: 0.0,
            last_ts: None,
            first_ts: None,
            item_strength: BucketedMap::new(),
            token_aff: SortedMap::new(),
            category_aff: SortedMap::new(),
            brand_aff: SortedMap::new(),
            log_price_sum: 0.0,
            price_weight: 0.0,
            token_total: 0.0,
            category_total: 0.0,
            brand_total: 0.0,
            recent: Vec::new(),
            purchased: BucketedMap::new(),
            cart: BucketedMap::new(),
            co: BucketedMap::new(),
            session: Vec::new(),
            events: 0,
        }
    }

    /// True before the first event.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    fn rescale(&mut self, factor: f64) {
        for v in self.item_strength.values_mut() {
            v.0 *= factor;
        }
        for v in self.token_aff.values_mut() {
            *v *= factor;
        }
        for v in self.category_aff.values_mut() {
            *v *= factor;
        }
        for v in self.brand_aff.values_mut() {
            *v *= factor;
        }
        self.log_price_sum *= factor;
        self.price_weight *= factor;
        self.token_total *= factor;
        self.category_total *= factor;
        self.brand_total *= factor;
    }

    /// Adds one event on catalog item `item` (unknown indices are ignored).
    pub fn add(
        &mut self,
        table: &ItemTable,
        item: u32,
        kind: EventKind,
        ts_ms: f64,
        quantity: f64,
    ) {
        let Some(it) = table.get(item) else { return };
        if !ts_ms.is_finite() {
            return;
        }
        if self.events == 0 {
            self.origin = ts_ms;
        }
        // Keep exponents small: rescale once the newest event is 40 half-lives past origin.
        if (ts_ms - self.origin) / self.half_life_ms > 40.0 {
            let factor = exp2(-(ts_ms - self.origin) / self.half_life_ms);
            self.rescale(factor);
            self.origin = ts_ms;
        }
        let w = self.weights[kind_index(kind)] * exp2((ts_ms - self.origin) / self.half_life_ms);
        let new_session = self
            .last_ts
            .is_none_or(|last| (ts_ms - last).abs() > self.gap_ms);
        self.events += 1;
        self.first_ts = Some(self.first_ts.map_or(ts_ms, |f| f.min(ts_ms)));
        self.last_ts = Some(self.last_ts.map_or(ts_ms, |l| l.max(ts_ms)));

        let (strength, strongest) = self.item_strength.value_or(item, || (0.0, kind));
        *strength += w;
        if kind_rank(kind) > kind_rank(*strongest) {
            *strongest = kind;
        }
        let token_w = w / (it.tokens.len().max(1) as f64).sqrt();
        for &t in &it.tokens {
            add_to(&mut self.token_aff, t, token_w);
        }
        self.token_total += w.abs() * (it.tokens.len().max(1) as f64).sqrt();
        if let Some(cat) = it.category_str() {
            add_to_named(&mut self.category_aff, cat, w);
            self.category_total += w.abs();
        }
        if let Some(b) = it.brand_str() {
            add_to_named(&mut self.brand_aff, b, w);
            self.brand_total += w.abs();
        }
        if let Some(p) = it.price {
            if w > 0.0 {
                self.log_price_sum += w * (1.0 + p).ln();
                self.price_weight += w;
            }
        }
        match kind {
            EventKind::Purchase => {
                self.purchased.value_or(item, || ());
                self.cart.remove(&item);
            }
            EventKind::AddToCart => *self.cart.value_or(item, || 0.0) += quantity.max(1.0),
            EventKind::RemoveFromCart => {
                if let Some(q) = self.cart.get_mut(&item) {
                    *q -= quantity.max(1.0);
                    if *q <= 0.0 {
                        self.cart.remove(&item);
                    }
                }
            }
            _ => {}
        }
        if kind != EventKind::RemoveFromCart {
            self.recent.retain(|&r| r != item);
            self.recent.push(item);
            if self.recent.len() > RECENT {
                self.recent.remove(0);
            }
        }
        if new_session {
            self.session.clear();
        }
        if kind != EventKind::RemoveFromCart && !self.session.contains(&item) {
            for &other in &self.session {
                count_pair(&mut self.co, other, item);
                count_pair(&mut self.co, item, other);
            }
            self.session.push(item);
            if self.session.len() > SESSION_WINDOW {
                self.session.remove(0);
            }
        }
    }

    /// Converts stored units to "now" units.
    fn now_scale(&self) -> f64 {
        match self.last_ts {
            Some(now) => exp2((self.origin - now) / self.half_life_ms),
            None => 1.0,
        }
    }

    /// Decayed, kind-weighted interaction strength with an item (0 if none).
    pub fn strength(&self, item: u32) -> f64 {
        self.item_strength.get(&item).map_or(0.0, |v| v.0) * self.now_scale()
    }
    /// The strongest kind of event on an item (purchase > cart > click > view).
    pub fn strongest_kind(&self, item: u32) -> Option<EventKind> {
        self.item_strength.get(&item).map(|v| v.1)
    }
    /// Share of the attribute-token affinity the item's tokens hold, in [-1, 1].
    pub fn token_affinity(&self, tokens: &[u32]) -> f64 {
        if self.token_total <= 0.0 {
            return 0.0;
        }
        let s: f64 = tokens.iter().filter_map(|t| self.token_aff.get(t)).sum();
        (s / self.token_total).clamp(-1.0, 1.0)
    }
    /// [`Profile::token_affinity`] as a dense table over a catalog's
    /// `token_count` tokens: built once per query, then each item costs one
    /// array read per token instead of a map search (same sums, same order).
    pub fn token_affinities(&self, token_count: usize) -> TokenAffinities {
        let mut by_token = vec![None; token_count];
        for (&t, &v) in self.token_aff.iter() {
            if let Some(slot) = by_token.get_mut(t as usize) {
                *slot = Some(v);
            }
        }
        TokenAffinities {
            by_token,
            total: self.token_total,
        }
    }
    /// Share of category affinity, in [-1, 1].
    pub fn category_affinity(&self, category: Option<&str>) -> f64 {
        match category.and_then(|c| self.category_aff.get(c)) {
            Some(v) if self.category_total > 0.0 => (v / self.category_total).clamp(-1.0, 1.0),
            _ => 0.0,
        }
    }
    /// Share of brand affinity, in [-1, 1].
    pub fn brand_affinity(&self, brand: Option<&str>) -> f64 {
        match brand.and_then(|b| self.brand_aff.get(b)) {
            Some(v) if self.brand_total > 0.0 => (v / self.brand_total).clamp(-1.0, 1.0),
            _ => 0.0,
        }
    }
    /// Weighted mean of ln(1 + price) over liked items, if any had a price.
    pub fn mean_log_price(&self) -> Option<f64> {
        if self.price_weight > 1e-300 {
            Some(self.log_price_sum / self.price_weight)
        } else {
            None
        }
    }
    /// Most recent distinct items, most recent last.
    pub fn recent(&self) -> &[u32] {
        &self.recent
    }
    pub fn purchased(&self, item: u32) -> bool {
        self.purchased.contains_key(&item)
    }
    pub fn in_cart(&self, item: u32) -> bool {
        self.cart.contains_key(&item)
    }
    /// Items seen in the same session as `item`, with counts.
    pub fn co_occurring(&self, item: u32) -> Option<&SortedMap<u32, f64>> {
        self.co.get(&item)
    }
    /// Every item any per-item table of the profile holds (strength,
    /// purchased, cart), possibly repeated.
    pub fn touched_items(&self) -> impl Iterator<Item = u32> + '_ {
        self.item_strength
            .keys()
            .chain(self.purchased.keys())
            .chain(self.cart.keys())
            .copied()
    }
    /// Every item with any interaction, with its strength (in index order).
    pub fn items(&self) -> impl Iterator<Item = (u32, f64)> {
        let s = self.now_scale();
        let mut items: Vec<(u32, f64)> = self
            .item_strength
            .iter()
            .map(|(&i, v)| (i, v.0 * s))
            .collect();
        crate::sort::sort_by_key(&mut items, |p| p.0);
        items.into_iter()
    }
    /// Number of distinct items interacted with.
    pub fn distinct_items(&self) -> usize {
        self.item_strength.len()
    }
}

/// The profile's token affinities indexed by catalog token (see
/// [`Profile::token_affinities`]).
pub struct TokenAffinities {
    by_token: Vec<Option<f64>>,
    total: f64,
}

impl TokenAffinities {
    /// Equals `Profile::token_affinity(tokens)` bit for bit.
    pub fn of(&self, tokens: &[u32]) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let s: f64 = tokens
            .iter()
            .filter_map(|&t| self.by_token.get(t as usize).copied().flatten())
            .sum();
        (s / self.total).clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::CatalogItem;

    fn table() -> ItemTable {
        let mk = |id: &str, cat: &str, brand: &str, price: f64| CatalogItem {
            id: id.into(),
            category: Some(cat.into()),
            brand: Some(brand.into()),
            price: Some(price),
            ..Default::default()
        };
        ItemTable::from_items(
            vec![
                mk("a", "Shoes > Running", "Asics", 100.0),
                mk("b", "Shoes > Running", "Nike", 120.0),
                mk("c", "Kitchen", "Tefal", 30.0),
            ],
            10,
        )
        .unwrap()
        .0
    }

    #[test]
    fn decay_halves_strength_per_half_life() {
        let t = table();
        let cfg = RecommenderConfig {
            half_life_days: 1.0,
            ..RecommenderConfig::default()
        };
        let mut p = Profile::new(&cfg);
        p.add(&t, 0, EventKind::View, 0.0, 1.0);
        assert!((p.strength(0) - 1.0).abs() < 1e-12);
        p.add(&t, 2, EventKind::View, DAY_MS, 1.0);
        assert!((p.strength(0) - 0.5).abs() < 1e-12);
        // Far in the future (rescaling path): still exact halving.
        p.add(&t, 2, EventKind::View, 100.0 * DAY_MS, 1.0);
        let expect = 0.5f64.powi(100);
        assert!(
            (p.strength(0) - expect).abs() < expect * 1e-9,
            "{}",
            p.strength(0)
        );
        // An out-of-order old event is simply weighted by its age.
        p.add(&t, 1, EventKind::View, 99.0 * DAY_MS, 1.0);
        assert!((p.strength(1) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn affinities_cart_and_sessions() {
        let t = table();
        let mut p = Profile::new(&RecommenderConfig::default());
        p.add(&t, 0, EventKind::View, 0.0, 1.0);
        p.add(&t, 1, EventKind::AddToCart, 1000.0, 1.0);
        assert!(p.category_affinity(Some("Shoes > Running")) > 0.99);
        assert_eq!(p.category_affinity(Some("Kitchen")), 0.0);
        assert!(
            p.token_affinity(&t.get(1).unwrap().tokens)
                > p.token_affinity(&t.get(2).unwrap().tokens)
        );
        assert!(p.in_cart(1));
        assert_eq!(p.co_occurring(0).unwrap().get(&1), Some(&1.0));
        p.add(&t, 1, EventKind::RemoveFromCart, 2000.0, 1.0);
        assert!(!p.in_cart(1));
        // A new session (gap > 30 min) does not pair with the old one.
        p.add(&t, 2, EventKind::View, 2000.0 + 3_600_000.0, 1.0);
        assert!(p.co_occurring(2).is_none());
        assert_eq!(p.recent(), &[0, 1, 2]);
        assert_eq!(p.strongest_kind(1), Some(EventKind::AddToCart));
    }
}
