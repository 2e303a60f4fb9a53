//! The shopper profile: what one shopper's cleaned events say about them,
//! kept up to date one event at a time.
//!
//! Every event adds `weight(kind) × quantity factor × 2^(-(now - t) / half_life)`
//! to the strength of its item, and the same to each of the item's attribute
//! tokens (category prefixes, brand, tags). The decay is applied lazily: sums
//! are stored relative to an anchor time, so adding an event is O(log n) and
//! never revisits old ones; reading at any `now` multiplies by one factor.
//! When events move far past the anchor, all sums are rescaled once to a new
//! anchor (amortised, keeps numbers finite).
//!
//! ```
//! use localrec::prep::{clean_events, Catalog, CatalogItem, CleanConfig, Profile, ProfileConfig, RawEvent};
//! let (catalog, _) = Catalog::from_items(vec![
//!     CatalogItem { id: "a".into(), ..Default::default() },
//!     CatalogItem { id: "b".into(), ..Default::default() },
//! ]).unwrap();
//! let ev = |id: &str, kind: &str, t: f64| RawEvent { item_id: id.into(), kind: kind.into(), timestamp: t, ..Default::default() };
//! let t = 1.7e12; // ms since the epoch
//! let (events, _) = clean_events(&catalog, vec![ev("a", "view", t), ev("b", "purchase", t + 60_000.0)],
//!                                &CleanConfig::default(), t + 60_000.0).unwrap();
//! let mut p = Profile::new(ProfileConfig::default()).unwrap();
//! for e in &events { p.add(e, &catalog).unwrap(); }
//! assert!(p.item_strength(1, t + 60_000.0) > p.item_strength(0, t + 60_000.0)); // purchase > view
//! assert_eq!(p.history().iter().map(|h| h.item).collect::<Vec<_>>(), vec![0, 1]);
//! ```

use crate::error::{Error, Result};
use crate::prep::catalog::{brand_token, category_prefixes, category_token, Catalog};
use crate::prep::event::Event;
use crate::prep::features::ItemFeaturizer;
use crate::prep::scale::signed_log1p;
use crate::prep::types::EventKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// How much each kind of event says about the shopper's taste.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KindWeights {
    pub view: f64,
    pub click: f64,
    #[serde(alias = "add_to_cart")]
    pub add_to_cart: f64,
    /// Negative: taking an item out of the cart is a (mild) signal against it.
    #[serde(alias = "remove_from_cart")]
    pub remove_from_cart: f64,
    pub purchase: f64,
    pub search: f64,
}

impl Default for KindWeights {
    fn default() -> Self {
        KindWeights {
            view: 1.0,
            click: 2.0,
            add_to_cart: 4.0,
            remove_from_cart: -2.0,
            purchase: 8.0,
            search: 1.0,
        }
    }
}

impl KindWeights {
    /// The weight of `kind`.
    pub fn weight(&self, kind: EventKind) -> f64 {
        match kind {
            EventKind::View => self.view,
            EventKind::Click => self.click,
            EventKind::AddToCart => self.add_to_cart,
            EventKind::RemoveFromCart => self.remove_from_cart,
            EventKind::Purchase => self.purchase,
            EventKind::Search => self.search,
        }
    }
}

/// Hyper-parameters of the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfileConfig {
    pub weights: KindWeights,
    /// Time for an event's weight to halve (default 7 days).
    #[serde(alias = "half_life_ms")]
    pub half_life_ms: f64,
    /// Inactivity that starts a new session (default 30 minutes).
    #[serde(alias = "session_gap_ms")]
    pub session_gap_ms: f64,
    /// Length of the recent-history sequence kept (default 50).
    #[serde(alias = "history_len")]
    pub history_len: usize,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            weights: KindWeights::default(),
            half_life_ms: 7.0 * 86_400_000.0,
            session_gap_ms: 30.0 * 60_000.0,
            history_len: 50,
        }
    }
}

impl ProfileConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        for kind in EventKind::ALL {
            let w = self.weights.weight(kind);
            if !w.is_finite() || w.abs() > 1e6 {
                return Err(Error::invalid(
                    format!("weights.{}", kind.as_str()),
                    w,
                    "must be a finite number within ±1e6",
                ));
            }
        }
        // At least a second, at most ~30 years: the decay stays representable.
        if !self.half_life_ms.is_finite() || !(1_000.0..=1e12).contains(&self.half_life_ms) {
            return Err(Error::invalid(
                "halfLifeMs",
                self.half_life_ms,
                "must be between 1000 (1 s) and 1e12",
            ));
        }
        if !self.session_gap_ms.is_finite() || self.session_gap_ms < 0.0 {
            return Err(Error::invalid(
                "sessionGapMs",
                self.session_gap_ms,
                "must be a finite number >= 0",
            ));
        }
        if self.history_len == 0 || self.history_len > 100_000 {
            return Err(Error::invalid(
                "historyLen",
                self.history_len,
                "must be between 1 and 100000",
            ));
        }
        Ok(())
    }
}

/// One entry of the recent, time-ordered history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub item: u32,
    pub kind: EventKind,
    pub ts_ms: i64,
    /// Kind weight × quantity factor, not decayed (decay with [`Profile::decay`]).
    pub weight: f64,
}

/// What the profile knows about one item.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemStats {
    /// Events by kind, in [`EventKind::ALL`] order.
    pub counts: [u32; 6],
    pub last_ts_ms: i64,
    /// Units currently in the cart (adds minus removes, zeroed by a purchase).
    pub cart_units: f64,
    /// Units purchased in total.
    pub purchased_units: f64,
}

/// Session-level features at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionFeatures {
    /// Sessions seen (a gap longer than `sessionGapMs` starts a new one).
    pub sessions: u32,
    /// Events in the latest session.
    pub current_session_events: u32,
    /// Time from the first to the last event of the latest session.
    pub current_session_ms: f64,
    /// Time since the latest event (0 when none, or when `now` is earlier).
    pub since_last_event_ms: f64,
    /// Events added in total.
    pub events: u64,
}

/// The shopper's decayed preference for a price level (log scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricePreference {
    /// Weighted mean of `ln(1 + price)` over positively weighted events.
    pub mean_log_price: f64,
    /// Weighted standard deviation of the same.
    pub std_log_price: f64,
}

/// See [`Profile::summary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    /// Events added, by kind name (kinds never seen are left out).
    pub events_by_kind: BTreeMap<String, u64>,
    pub session: SessionFeatures,
    pub price: Option<PricePreference>,
    /// `(item id, strength)`, strongest first.
    pub top_items: Vec<(String, f64)>,
    /// `(attribute label, affinity)`, strongest first.
    pub top_attributes: Vec<(String, f64)>,
}

/// Latest accepted event time (about the year 33 658): keeps time differences far from overflow.
const MAX_TS_MS: i64 = 1_000_000_000_000_000;

/// Decay exponents beyond this (2^64) trigger a rescale to a new anchor.
const RESCALE_EXPONENT: f64 = 64.0;

/// A deterministic, incremental shopper profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    config: ProfileConfig,
    /// Decayed sums are stored as values at this time.
    anchor_ms: Option<i64>,
    /// Item → decayed strength (relative to the anchor).
    strength: BTreeMap<u32, f64>,
    stats: BTreeMap<u32, ItemStats>,
    /// Attribute token → decayed affinity (relative to the anchor).
    tokens: BTreeMap<u32, f64>,
    /// Decayed positive weight, weighted sums of log price and its square.
    price_w: f64,
    price_sum: f64,
    price_sq: f64,
    kind_counts: [u64; 6],
    events: u64,
    last_ts_ms: Option<i64>,
    sessions: u32,
    session_start_ms: i64,
    session_events: u32,
    history: VecDeque<HistoryEntry>,
}

fn kind_slot(kind: EventKind) -> usize {
    EventKind::ALL.iter().position(|&k| k == kind).unwrap_or(0)
}

impl Profile {
    /// An empty profile.
    pub fn new(config: ProfileConfig) -> Result<Self> {
        config.validate()?;
        Ok(Profile {
            config,
            anchor_ms: None,
            strength: BTreeMap::new(),
            stats: BTreeMap::new(),
            tokens: BTreeMap::new(),
            price_w: 0.0,
            price_sum: 0.0,
            price_sq: 0.0,
            kind_counts: [0; 6],
            events: 0,
            last_ts_ms: None,
            sessions: 0,
            session_start_ms: 0,
            session_events: 0,
            history: VecDeque::new(),
        })
    }

    /// A profile of `events` (any order).
    pub fn from_events(config: ProfileConfig, events: &[Event], catalog: &Catalog) -> Result<Self> {
        let mut p = Profile::new(config)?;
        for e in events {
            p.add(e, catalog)?;
        }
        Ok(p)
    }

    /// The configuration.
    pub fn config(&self) -> &ProfileConfig {
        &self.config
    }

    /// `2^(-(now - t) / half_life)`: how much an event at `t_ms` still counts at `now_ms`.
    pub fn decay(&self, t_ms: f64, now_ms: f64) -> f64 {
        let d = crate::pow2::exp2(-(now_ms - t_ms) / self.config.half_life_ms);
        if d.is_finite() {
            d
        } else {
            0.0
        }
    }

    /// The event's weight before decay: kind weight × (1 + ln quantity) for
    /// cart and purchase events (2 units count more than 1, 100 not 100×).
    pub fn event_weight(&self, event: &Event) -> f64 {
        let w = self.config.weights.weight(event.kind);
        let q = if event.quantity.is_finite() {
            event.quantity.max(1.0)
        } else {
            1.0
        };
        w * (1.0 + q.ln())
    }

    fn rescale_to(&mut self, new_anchor: i64) {
        let Some(old) = self.anchor_ms else {
            self.anchor_ms = Some(new_anchor);
            return;
        };
        let f = self.decay(old as f64, new_anchor as f64);
        for v in self.strength.values_mut() {
            *v *= f;
        }
        for v in self.tokens.values_mut() {
            *v *= f;
        }
        self.price_w *= f;
        self.price_sum *= f;
        self.price_sq *= f;
        self.anchor_ms = Some(new_anchor);
    }

    /// Adds one cleaned event. Fails (changing nothing) when its item is not
    /// in `catalog` or its numbers are not finite.
    pub fn add(&mut self, event: &Event, catalog: &Catalog) -> Result<()> {
        let item = catalog.item(event.item)?;
        if !event.quantity.is_finite() {
            return Err(Error::invalid(
                "event.quantity",
                event.quantity,
                "must be finite",
            ));
        }
        if !(0..=MAX_TS_MS).contains(&event.ts_ms) {
            return Err(Error::invalid(
                "event.tsMs",
                event.ts_ms,
                "must be between 0 and 1e15 ms since the epoch",
            ));
        }
        // Everything fallible happens before the first change to the profile.
        let log_price = item.price.map(signed_log1p).transpose()?;
        let t = event.ts_ms;
        if self.anchor_ms.is_none() {
            self.anchor_ms = Some(t);
        }
        let anchor = self.anchor_ms.unwrap_or(t);
        if (t as f64 - anchor as f64) / self.config.half_life_ms > RESCALE_EXPONENT {
            self.rescale_to(t);
        }
        let anchor = self.anchor_ms.unwrap_or(t);
        let weight = self.event_weight(event);
        // Relative to the anchor: 2^((t - anchor) / h); far-past events underflow to 0.
        let w = weight * self.decay(t as f64, anchor as f64);

        *self.strength.entry(event.item).or_insert(0.0) += w;
        let s = self.stats.entry(event.item).or_default();
        let slot = kind_slot(event.kind);
        s.counts[slot] = s.counts[slot].saturating_add(1);
        s.last_ts_ms = s.last_ts_ms.max(t);
        match event.kind {
            EventKind::AddToCart => s.cart_units += event.quantity,
            EventKind::RemoveFromCart => s.cart_units = (s.cart_units - event.quantity).max(0.0),
            EventKind::Purchase => {
                s.cart_units = 0.0;
                s.purchased_units += event.quantity;
            }
            _ => {}
        }
        for tok in &item.tokens {
            *self.tokens.entry(*tok).or_insert(0.0) += w;
        }
        if let (Some(lp), true) = (log_price, w > 0.0) {
            self.price_w += w;
            self.price_sum += w * lp;
            self.price_sq += w * lp * lp;
        }
        self.kind_counts[slot] += 1;
        self.events += 1;

        match self.last_ts_ms {
            None => {
                self.sessions = 1;
                self.session_start_ms = t;
                self.session_events = 1;
                self.last_ts_ms = Some(t);
            }
            Some(last) if t >= last => {
                if (t - last) as f64 > self.config.session_gap_ms {
                    self.sessions = self.sessions.saturating_add(1);
                    self.session_start_ms = t;
                    self.session_events = 1;
                } else {
                    self.session_events = self.session_events.saturating_add(1);
                }
                self.last_ts_ms = Some(t);
            }
            // A late event: counts in the current session only if it falls inside it.
            Some(_) if t >= self.session_start_ms => {
                self.session_events = self.session_events.saturating_add(1);
            }
            Some(_) => {}
        }

        let entry = HistoryEntry {
            item: event.item,
            kind: event.kind,
            ts_ms: t,
            weight,
        };
        let pos = self.history.partition_point(|h| h.ts_ms <= t);
        self.history.insert(pos, entry);
        while self.history.len() > self.config.history_len {
            self.history.pop_front();
        }
        Ok(())
    }

    /// Adds several events.
    pub fn add_all(&mut self, events: &[Event], catalog: &Catalog) -> Result<()> {
        for e in events {
            self.add(e, catalog)?;
        }
        Ok(())
    }

    fn at(&self, stored: f64, now_ms: f64) -> f64 {
        match self.anchor_ms {
            Some(a) => stored * self.decay(a as f64, now_ms),
            None => 0.0,
        }
    }

    /// The decayed interaction strength of `item` at `now_ms` (0 when never seen; negative after removals).
    pub fn item_strength(&self, item: u32, now_ms: f64) -> f64 {
        self.strength
            .get(&item)
            .map_or(0.0, |&s| self.at(s, now_ms))
    }

    /// Counts and cart state of `item`.
    pub fn item_stats(&self, item: u32) -> Option<&ItemStats> {
        self.stats.get(&item)
    }

    /// The `n` items with the highest strength at `now_ms` (ties: lower index first).
    pub fn top_items(&self, n: usize, now_ms: f64) -> Vec<(u32, f64)> {
        top(&self.strength, n, |s| self.at(s, now_ms))
    }

    /// Items interacted with, in index order.
    pub fn items(&self) -> impl Iterator<Item = u32> + '_ {
        self.strength.keys().copied()
    }

    /// The decayed affinity for an attribute token at `now_ms`.
    pub fn token_affinity(&self, token: u32, now_ms: f64) -> f64 {
        self.tokens.get(&token).map_or(0.0, |&s| self.at(s, now_ms))
    }

    /// The `n` tokens with the highest affinity at `now_ms` (ties: lower token first).
    pub fn top_tokens(&self, n: usize, now_ms: f64) -> Vec<(u32, f64)> {
        top(&self.tokens, n, |s| self.at(s, now_ms))
    }

    /// Affinity for a category path such as `"Beauty > Skin Care"` (any case).
    pub fn category_affinity(&self, path: &str, now_ms: f64) -> f64 {
        let parts: Vec<String> = path
            .split('>')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect();
        match category_prefixes(&parts).last() {
            Some(prefix) => self.token_affinity(category_token(prefix), now_ms),
            None => 0.0,
        }
    }

    /// Affinity for a brand (any case).
    pub fn brand_affinity(&self, brand: &str, now_ms: f64) -> f64 {
        self.token_affinity(brand_token(brand.trim()), now_ms)
    }

    /// The share of the shopper's positive token affinity that a candidate's
    /// (distinct) tokens cover, in `[0, 1]`; 0 for an empty profile.
    pub fn content_score(&self, tokens: &[u32]) -> f64 {
        let total: f64 = self.tokens.values().filter(|v| **v > 0.0).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let mut toks = tokens.to_vec();
        crate::sort::sort(&mut toks);
        toks.dedup();
        let covered: f64 = toks
            .iter()
            .filter_map(|t| self.tokens.get(t))
            .filter(|v| **v > 0.0)
            .sum();
        if covered <= 0.0 {
            return 0.0; // also turns the -0.0 of an empty sum into 0.0
        }
        (covered / total).clamp(0.0, 1.0)
    }

    /// The decayed price preference (`None` until a positively weighted event
    /// on a priced item). Independent of `now`: decay scales all weights alike.
    pub fn price_preference(&self) -> Option<PricePreference> {
        if self.price_w <= 0.0 || !self.price_w.is_finite() {
            return None;
        }
        let mean = self.price_sum / self.price_w;
        let var = (self.price_sq / self.price_w - mean * mean).max(0.0);
        if !mean.is_finite() || !var.is_finite() {
            return None;
        }
        Some(PricePreference {
            mean_log_price: mean,
            std_log_price: var.sqrt(),
        })
    }

    /// How far a price is from the shopper's usual price level, in standard
    /// deviations of their (log) prices: `|ln(1 + price) - mean| / max(std, 0.1)`.
    /// `None` without a price preference; a non-finite or negative price is an error.
    pub fn price_distance(&self, price: f64) -> Result<Option<f64>> {
        if !price.is_finite() || price < 0.0 {
            return Err(Error::invalid(
                "price",
                price,
                "must be a finite number >= 0",
            ));
        }
        Ok(self.price_preference().map(|p| {
            (signed_log1p(price).unwrap_or(0.0) - p.mean_log_price).abs() / p.std_log_price.max(0.1)
        }))
    }

    /// Decayed strength per price bucket of `featurizer` (items without a
    /// price are skipped), computed from the items in the profile.
    pub fn price_bucket_affinity(
        &self,
        catalog: &Catalog,
        featurizer: &ItemFeaturizer,
        now_ms: f64,
    ) -> Result<Vec<f64>> {
        let mut out = vec![0.0; featurizer.n_price_buckets()];
        for (&item, &s) in &self.strength {
            let price = catalog.item(item)?.price;
            if let Some(slot) = featurizer.price_bucket(price)?.and_then(|b| out.get_mut(b)) {
                *slot += self.at(s, now_ms);
            }
        }
        Ok(out)
    }

    /// A readable summary (for an "what this device knows about you" view):
    /// counts, sessions, price level, the strongest items and attributes with
    /// their catalog labels.
    pub fn summary(&self, catalog: &Catalog, now_ms: f64, top: usize) -> ProfileSummary {
        let mut events_by_kind = BTreeMap::new();
        for (k, n) in EventKind::ALL.iter().zip(self.kind_counts) {
            if n > 0 {
                events_by_kind.insert(k.as_str().to_string(), n);
            }
        }
        ProfileSummary {
            events_by_kind,
            session: self.session(now_ms),
            price: self.price_preference(),
            top_items: self
                .top_items(top, now_ms)
                .into_iter()
                .filter_map(|(i, s)| catalog.get(i).map(|it| (it.id.clone(), s)))
                .collect(),
            top_attributes: self
                .top_tokens(top, now_ms)
                .into_iter()
                .filter_map(|(t, s)| catalog.token_label(t).map(|l| (l.to_string(), s)))
                .collect(),
        }
    }

    /// Session-level features at `now_ms`.
    pub fn session(&self, now_ms: f64) -> SessionFeatures {
        let last = self.last_ts_ms.map(|t| t as f64);
        SessionFeatures {
            sessions: self.sessions,
            current_session_events: self.session_events,
            current_session_ms: self
                .last_ts_ms
                .map_or(0.0, |t| (t - self.session_start_ms) as f64),
            since_last_event_ms: last.map_or(0.0, |t| (now_ms - t).max(0.0)),
            events: self.events,
        }
    }

    /// Events added, by kind in [`EventKind::ALL`] order.
    pub fn kind_counts(&self) -> [u64; 6] {
        self.kind_counts
    }

    /// The most recent events (at most `historyLen`), oldest first — the
    /// "history" the ranker consumes.
    pub fn history(&self) -> Vec<HistoryEntry> {
        self.history.iter().copied().collect()
    }

    /// True when the profile has no events.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }
}

fn top(map: &BTreeMap<u32, f64>, n: usize, value: impl Fn(f64) -> f64) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = map.iter().map(|(&k, &s)| (k, value(s))).collect();
    crate::sort::sort_by(&mut v, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}
