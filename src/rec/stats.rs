//! Aggregate item statistics of a shop (what the base model ships) and the
//! neighbourhood scorers built on them: popularity, item-kNN (co-occurrence cosine,
//! recency-weighted history), first-order Markov chains from the last 1–3 items,
//! session kNN, and attribute affinity.
//!
//! The same scorers are the baselines of the evaluation and the inputs (features and
//! candidate generators) of the MLP re-ranker, so baselines and model share one code path.
//!
//! ```
//! use localrec::rec::{ItemStats, StatsConfig, Baseline, ScoreScratch};
//! let seqs: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![0, 1], vec![3, 1, 2]];
//! let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
//! let stats = ItemStats::build(&views, 4, &[], &StatsConfig::default())?;
//! let mut scratch = ScoreScratch::default();
//! let mut scores = vec![0f32; 4];
//! stats.baseline_scores(Baseline::Markov, &[0], &mut scratch, &mut scores)?;
//! assert!(scores[1] > scores[2] && scores[1] > scores[3]);
//! # Ok::<(), localrec::Error>(())
//! ```

use std::sync::Arc;

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::rec::neighbours::{CoocConfig, Neighbours};
use crate::rec::sknn::{SessionMemory, SknnConfig, SknnScratch};

/// Hyper-parameters of the statistics and of the neighbourhood scorers.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsConfig {
    /// Co-occurrence counting (item-kNN).
    pub cooc: CoocConfig,
    /// Markov transitions kept per item.
    pub markov_top_n: usize,
    /// item-kNN: weight of the history item `a` positions before the last is `decay^a`.
    pub knn_decay: f32,
    /// item-kNN: only the last `knn_history` history items are used.
    pub knn_history: usize,
    /// Session kNN parameters.
    pub sknn: SknnConfig,
    /// Keep at most this many most-recent sessions for session kNN (0 = no session kNN).
    pub keep_sessions: usize,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            cooc: CoocConfig::default(),
            markov_top_n: 50,
            knn_decay: 0.7,
            knn_history: 20,
            sknn: SknnConfig::default(),
            keep_sessions: usize::MAX,
        }
    }
}

/// The neighbourhood baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Training-interaction counts.
    Popularity,
    /// Co-occurrence cosine, scored from the recency-weighted history.
    ItemKnn,
    /// First-order Markov chain from the last item.
    Markov,
    /// V-SKNN.
    SessionKnn,
}

impl Baseline {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Baseline::Popularity => "popularity",
            Baseline::ItemKnn => "item-kNN",
            Baseline::Markov => "markov",
            Baseline::SessionKnn => "session-kNN",
        }
    }
}

/// Aggregate statistics of the items.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemStats {
    n_items: usize,
    /// Interaction counts per item.
    pub popularity: Vec<f32>,
    /// Co-occurrence neighbours (cosine-like weights). Shared, not copied,
    /// with the storefront's catalog-aligned view (`recommender::BaseStats`).
    pub cooc: Arc<Neighbours>,
    /// Markov transition probabilities.
    pub markov: Neighbours,
    /// Session memory for session kNN (None when not kept).
    pub sessions: Option<SessionMemory>,
    /// Attribute tokens per item (sorted, may be empty).
    pub attributes: Attributes,
    /// Number of distinct attribute tokens.
    pub n_attributes: usize,
    /// The most popular items, descending.
    pub top_popular: Vec<u32>,
    /// The scorer hyper-parameters.
    pub config: StatsConfig,
    /// Popularity in [0, 1] on a log scale (precomputed).
    pop_score: Vec<f32>,
    /// Interaction counts in the most recent tenth of the sequences.
    pub recent: Vec<f32>,
    recent_score: Vec<f32>,
}

/// Attribute tokens of every item as one flat table (offsets + tokens): no
/// list per item. Items without tokens cost 4 bytes, and nothing at all when
/// no item has any.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes {
    /// Item i's tokens are `tokens[offsets[i]..offsets[i + 1]]`; empty when no item has any.
    offsets: Vec<u32>,
    tokens: Vec<u32>,
}

impl Attributes {
    /// The flat table of one sorted token list per item (`lists` may be empty: no attributes).
    pub fn from_lists(lists: &[Vec<u32>]) -> Result<Self> {
        let total: usize = lists.iter().map(Vec::len).sum();
        if total == 0 {
            return Ok(Attributes::default());
        }
        if u32::try_from(total).is_err() {
            return Err(Error::invalid("attribute tokens", total, "exceed u32"));
        }
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut tokens = Vec::with_capacity(total);
        offsets.push(0);
        for l in lists {
            tokens.extend_from_slice(l);
            offsets.push(tokens.len() as u32);
        }
        Ok(Attributes { offsets, tokens })
    }

    /// The tokens of `item` (empty when it has none or is out of range).
    pub fn of(&self, item: u32) -> &[u32] {
        let i = item as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.tokens.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Whether no item has a token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// One token list per item (`n_items` of them), for code that wants lists.
    pub fn to_lists(&self, n_items: usize) -> Vec<Vec<u32>> {
        (0..n_items as u32).map(|i| self.of(i).to_vec()).collect()
    }

    /// Serialises `n_items` rows (offsets then tokens, as format 2 always did).
    fn write(&self, n_items: usize, w: &mut Writer) {
        if self.offsets.is_empty() {
            w.put_u32s(&vec![0u32; n_items + 1]);
        } else {
            w.put_u32s(&self.offsets);
        }
        w.put_u32s(&self.tokens);
    }

    /// Reads what [`Attributes::write`] wrote for `n_items` items whose tokens are `< n_tokens`.
    fn read(r: &mut Reader<'_>, n_items: usize, n_tokens: usize) -> Result<Self> {
        let offsets = r.get_u32s("attribute offsets")?;
        let tokens = r.get_u32s("attributes")?;
        if offsets.len() != n_items + 1
            || offsets.first() != Some(&0)
            || offsets.windows(2).any(|w| w[0] > w[1])
            || offsets.last().copied() != Some(tokens.len() as u32)
            || tokens.iter().any(|&a| a as usize >= n_tokens)
        {
            return Err(Error::decode(
                "attributes: inconsistent offsets or token out of range",
            ));
        }
        if tokens.is_empty() {
            return Ok(Attributes::default());
        }
        Ok(Attributes { offsets, tokens })
    }
}

/// Reusable dense buffers for scoring one history (allocated once per catalog size).
#[derive(Debug, Clone, Default)]
pub struct ScoreScratch {
    pub(crate) knn: Vec<f32>,
    pub(crate) knn_best: Vec<f32>,
    pub(crate) knn_src: Vec<u32>,
    pub(crate) knn_hits: Vec<f32>,
    pub(crate) last_sim: Vec<f32>,
    pub(crate) m1: Vec<f32>,
    pub(crate) m2: Vec<f32>,
    pub(crate) m3: Vec<f32>,
    pub(crate) sknn: Vec<f32>,
    pub(crate) touched: Vec<u32>,
    pub(crate) sknn_touched: Vec<u32>,
    pub(crate) sknn_scratch: SknnScratch,
    pub(crate) attr_bag: Vec<f32>,
    pub(crate) attr_touched: Vec<u32>,
}

impl ScoreScratch {
    fn ensure(&mut self, n_items: usize, n_attrs: usize) {
        if self.knn.len() != n_items {
            for v in [
                &mut self.knn,
                &mut self.knn_best,
                &mut self.knn_hits,
                &mut self.last_sim,
                &mut self.m1,
                &mut self.m2,
                &mut self.m3,
                &mut self.sknn,
            ] {
                *v = vec![0.0; n_items];
            }
            self.knn_src = vec![0; n_items];
            self.touched.clear();
            self.sknn_touched.clear();
        }
        if self.attr_bag.len() != n_attrs {
            self.attr_bag = vec![0.0; n_attrs];
            self.attr_touched.clear();
        }
    }

    /// Zeroes every touched entry (cheap: proportional to what the last history touched).
    pub(crate) fn reset(&mut self) {
        for &j in &self.touched {
            let j = j as usize;
            for v in [
                &mut self.knn,
                &mut self.knn_best,
                &mut self.knn_hits,
                &mut self.last_sim,
                &mut self.m1,
                &mut self.m2,
                &mut self.m3,
            ] {
                if let Some(x) = v.get_mut(j) {
                    *x = 0.0;
                }
            }
        }
        for &j in &self.sknn_touched {
            if let Some(x) = self.sknn.get_mut(j as usize) {
                *x = 0.0;
            }
        }
        for &a in &self.attr_touched {
            if let Some(x) = self.attr_bag.get_mut(a as usize) {
                *x = 0.0;
            }
        }
        self.touched.clear();
        self.sknn_touched.clear();
        self.attr_touched.clear();
    }
}

fn mark(touched: &mut Vec<u32>, seen: &[f32], j: u32) {
    if seen.get(j as usize).copied() == Some(0.0) {
        touched.push(j);
    }
}

impl ItemStats {
    /// Counts everything from `sequences` (each in time order; their order is taken as time
    /// order for the session memory). `attributes` is empty or one token list per item.
    pub fn build(
        sequences: &[&[u32]],
        n_items: usize,
        attributes: &[Vec<u32>],
        cfg: &StatsConfig,
    ) -> Result<Self> {
        if !attributes.is_empty() && attributes.len() != n_items {
            return Err(Error::shape("attributes", n_items, attributes.len()));
        }
        Self::build_with(sequences, n_items, Attributes::from_lists(attributes)?, cfg)
    }

    /// [`ItemStats::build`] with the attribute table already flat (one row per item, or empty).
    pub fn build_with(
        sequences: &[&[u32]],
        n_items: usize,
        attributes: Attributes,
        cfg: &StatsConfig,
    ) -> Result<Self> {
        if !attributes.is_empty() && attributes.offsets.len() != n_items + 1 {
            return Err(Error::shape(
                "attributes",
                n_items,
                attributes.offsets.len().saturating_sub(1),
            ));
        }
        if !(cfg.knn_decay.is_finite() && cfg.knn_decay >= 0.0) {
            return Err(Error::invalid(
                "knn_decay",
                cfg.knn_decay,
                "must be finite and ≥ 0",
            ));
        }
        let mut popularity = vec![0f32; n_items];
        for (s, seq) in sequences.iter().enumerate() {
            for &i in seq.iter() {
                *popularity.get_mut(i as usize).ok_or_else(|| {
                    Error::invalid(
                        format!("sequences[{s}] item"),
                        i,
                        format!("out of range for {n_items} items"),
                    )
                })? += 1.0;
            }
        }
        // "Trending": counts in the most recent tenth of the sequences (their order is time order).
        let mut recent = vec![0f32; n_items];
        for seq in &sequences[sequences.len() - sequences.len() / 10..] {
            for &i in seq.iter() {
                if let Some(r) = recent.get_mut(i as usize) {
                    *r += 1.0;
                }
            }
        }
        let cooc = Neighbours::cooccurrence(sequences, n_items, &cfg.cooc)?;
        let markov = Neighbours::markov(sequences, n_items, cfg.markov_top_n)?;
        let sessions = if cfg.keep_sessions > 0 {
            let from = sequences.len().saturating_sub(cfg.keep_sessions);
            Some(SessionMemory::new(
                sequences.get(from..).unwrap_or(&[]),
                n_items,
            )?)
        } else {
            None
        };
        let n_attributes = attributes
            .tokens
            .iter()
            .map(|&a| a as usize + 1)
            .max()
            .unwrap_or(0);
        Ok(Self::assemble(
            n_items,
            popularity,
            recent,
            cooc,
            markov,
            sessions,
            attributes,
            n_attributes,
            cfg.clone(),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        n_items: usize,
        popularity: Vec<f32>,
        recent: Vec<f32>,
        cooc: Neighbours,
        markov: Neighbours,
        sessions: Option<SessionMemory>,
        attributes: Attributes,
        n_attributes: usize,
        config: StatsConfig,
    ) -> Self {
        let mut order: Vec<u32> = (0..n_items as u32).collect();
        crate::sort::sort_by(&mut order, |&a, &b| {
            popularity[b as usize]
                .total_cmp(&popularity[a as usize])
                .then(a.cmp(&b))
        });
        order.truncate(100);
        order.shrink_to_fit();
        let max_log_pop = popularity
            .iter()
            .fold(0f32, |m, &p| m.max(p))
            .ln_1p()
            .max(1e-6);
        let max_log_recent = recent.iter().fold(0f32, |m, &p| m.max(p)).ln_1p().max(1e-6);
        ItemStats {
            n_items,
            cooc: Arc::new(cooc),
            markov,
            sessions,
            attributes,
            n_attributes,
            top_popular: order,
            config,
            pop_score: popularity.iter().map(|p| p.ln_1p() / max_log_pop).collect(),
            recent_score: recent.iter().map(|p| p.ln_1p() / max_log_recent).collect(),
            popularity,
            recent,
        }
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Popularity of every item in [0, 1] on a log scale.
    pub fn popularity_scores(&self) -> &[f32] {
        &self.pop_score
    }

    /// Recent popularity in [0, 1] on a log scale.
    pub fn recent_score(&self, item: u32) -> f32 {
        self.recent_score.get(item as usize).copied().unwrap_or(0.0)
    }

    /// Popularity in [0, 1] on a log scale.
    pub fn popularity_score(&self, item: u32) -> f32 {
        self.pop_score.get(item as usize).copied().unwrap_or(0.0)
    }

    /// Fills every neighbourhood accumulator of `scratch` for `history` (items with weights,
    /// time order). The caller must call `scratch.reset()` before reusing it.
    pub(crate) fn accumulate(
        &self,
        history: &[(u32, f32)],
        scratch: &mut ScoreScratch,
    ) -> Result<()> {
        self.accumulate_parts(history, scratch, true)
    }

    /// [`ItemStats::accumulate`], skipping session kNN and attributes unless `everything`.
    pub(crate) fn accumulate_parts(
        &self,
        history: &[(u32, f32)],
        scratch: &mut ScoreScratch,
        everything: bool,
    ) -> Result<()> {
        scratch.ensure(self.n_items, self.n_attributes);
        scratch.reset();
        for &(i, w) in history {
            if i as usize >= self.n_items {
                return Err(Error::invalid(
                    "history item",
                    i,
                    format!("out of range for {} items", self.n_items),
                ));
            }
            if !w.is_finite() || w < 0.0 {
                return Err(Error::invalid(
                    "history weight",
                    w,
                    "must be finite and ≥ 0",
                ));
            }
        }
        let cfg = &self.config;
        let n = history.len();
        let start = n.saturating_sub(cfg.knn_history);
        let mut decay = 1.0f32;
        for (age, &(h, hw)) in history[start..].iter().rev().enumerate() {
            let w = decay * hw;
            decay *= cfg.knn_decay;
            for (j, s) in self.cooc.row(h).iter() {
                let ju = j as usize;
                mark(&mut scratch.touched, &scratch.knn_hits, j);
                let c = w * s;
                scratch.knn[ju] += c;
                scratch.knn_hits[ju] += 1.0;
                if c > scratch.knn_best[ju] {
                    scratch.knn_best[ju] = c;
                    scratch.knn_src[ju] = h;
                }
                if age == 0 {
                    scratch.last_sim[ju] = s;
                }
            }
        }
        for (back, target) in [(1usize, 0usize), (2, 1), (3, 2)] {
            let Some(&(h, _)) = n.checked_sub(back).and_then(|p| history.get(p)) else {
                break;
            };
            for (j, p) in self.markov.row(h).iter() {
                mark(&mut scratch.touched, &scratch.knn_hits, j);
                // knn_hits doubles as the "touched" marker: keep it non-zero.
                if scratch.knn_hits[j as usize] == 0.0 {
                    scratch.knn_hits[j as usize] = 1e-9;
                }
                match target {
                    0 => scratch.m1[j as usize] += p,
                    1 => scratch.m2[j as usize] += p,
                    _ => scratch.m3[j as usize] += p,
                }
            }
        }
        if !everything {
            return Ok(());
        }
        if let Some(mem) = &self.sessions {
            let items: Vec<u32> = history.iter().map(|&(i, _)| i).collect();
            mem.score_touched(
                &items,
                &cfg.sknn,
                &mut scratch.sknn_scratch,
                &mut scratch.sknn,
                &mut scratch.sknn_touched,
            );
        }
        let total: f32 = history.iter().map(|&(_, w)| w).sum::<f32>().max(1e-6);
        for &(h, w) in history {
            for &a in self.attributes.of(h) {
                if let Some(x) = scratch.attr_bag.get_mut(a as usize) {
                    if *x == 0.0 {
                        scratch.attr_touched.push(a);
                    }
                    *x += w / total;
                }
            }
        }
        Ok(())
    }

    /// Mean history share of the candidate's attributes (0 when either has none).
    pub(crate) fn attribute_affinity(&self, item: u32, scratch: &ScoreScratch) -> f32 {
        let attrs = self.attributes.of(item);
        if attrs.is_empty() {
            return 0.0;
        }
        attrs
            .iter()
            .map(|&a| scratch.attr_bag.get(a as usize).copied().unwrap_or(0.0))
            .sum::<f32>()
            / attrs.len() as f32
    }

    /// Jaccard similarity of two items' attribute sets.
    pub fn attribute_jaccard(&self, a: u32, b: u32) -> f32 {
        let (x, y) = (self.attributes.of(a), self.attributes.of(b));
        if x.is_empty() || y.is_empty() {
            return 0.0;
        }
        let inter = x.iter().filter(|t| y.binary_search(t).is_ok()).count();
        inter as f32 / (x.len() + y.len() - inter) as f32
    }

    /// Dense scores of one baseline for `history` into `out` (length = item count). Non-popularity
    /// baselines back off to popularity with a tiny weight, so ties among unscored items follow popularity.
    pub fn baseline_scores(
        &self,
        which: Baseline,
        history: &[u32],
        scratch: &mut ScoreScratch,
        out: &mut [f32],
    ) -> Result<()> {
        if out.len() != self.n_items {
            return Err(Error::shape("baseline scores", self.n_items, out.len()));
        }
        let hist: Vec<(u32, f32)> = history.iter().map(|&i| (i, 1.0)).collect();
        self.accumulate_parts(&hist, scratch, which == Baseline::SessionKnn)?;
        const BACKOFF: f32 = 1e-6;
        for (o, p) in out.iter_mut().zip(&self.pop_score) {
            *o = BACKOFF * p;
        }
        match which {
            Baseline::Popularity => {
                for (o, p) in out.iter_mut().zip(&self.popularity) {
                    *o = *p;
                }
            }
            Baseline::ItemKnn => {
                for &j in &scratch.touched {
                    out[j as usize] += scratch.knn[j as usize];
                }
            }
            Baseline::Markov => {
                for &j in &scratch.touched {
                    out[j as usize] += scratch.m1[j as usize];
                }
            }
            Baseline::SessionKnn => {
                if self.sessions.is_none() {
                    return Err(Error::invalid(
                        "baseline",
                        "session-kNN",
                        "the statistics keep no sessions",
                    ));
                }
                for &j in &scratch.sknn_touched {
                    out[j as usize] += scratch.sknn[j as usize];
                }
            }
        }
        Ok(())
    }

    /// Serialises the statistics.
    pub fn write(&self, w: &mut Writer) {
        w.put_len(self.n_items);
        w.put_f32s(&self.popularity);
        w.put_f32s(&self.recent);
        self.cooc.write(w);
        self.markov.write(w);
        w.put_bool(self.sessions.is_some());
        if let Some(s) = &self.sessions {
            s.write(w);
        }
        w.put_len(self.n_attributes);
        self.attributes.write(self.n_items, w);
        let c = &self.config;
        w.put_u64(c.cooc.window as u64);
        w.put_f32(c.cooc.backward_weight);
        w.put_u64(c.cooc.top_n as u64);
        w.put_f32(c.cooc.alpha);
        w.put_u64(c.markov_top_n as u64);
        w.put_f32(c.knn_decay);
        w.put_u64(c.knn_history as u64);
        w.put_u64(c.sknn.k as u64);
        w.put_u64(c.sknn.sample as u64);
        w.put_u64(c.sknn.max_history as u64);
        w.put_u64(c.keep_sessions as u64);
    }

    /// Reads what [`ItemStats::write`] wrote.
    pub fn read(r: &mut Reader<'_>) -> Result<Self> {
        let n_items = r.get_u64("item count")? as usize;
        let popularity = r.get_f32s("popularity")?;
        let recent = r.get_f32s("recent popularity")?;
        if recent.len() != n_items || recent.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return Err(Error::decode(
                "recent popularity: wrong length or invalid value",
            ));
        }
        if popularity.len() != n_items || popularity.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return Err(Error::decode("popularity: wrong length or invalid value"));
        }
        let cooc = Neighbours::read(r, n_items, "co-occurrence")?;
        let markov = Neighbours::read(r, n_items, "markov")?;
        let sessions = if r.get_bool("has sessions")? {
            Some(SessionMemory::read(r, n_items)?)
        } else {
            None
        };
        let n_attributes = r.get_u64("attribute count")? as usize;
        let attributes = Attributes::read(r, n_items, n_attributes)?;
        let get = |r: &mut Reader<'_>, f: &str| -> Result<usize> {
            Ok(r.get_u64(f)?.min(usize::MAX as u64) as usize)
        };
        let window = get(r, "window")?;
        let backward_weight = r.get_f32("backward weight")?;
        let top_n = get(r, "cooc top n")?;
        let alpha = r.get_f32("alpha")?;
        let markov_top_n = get(r, "markov top n")?;
        let knn_decay = r.get_f32("knn decay")?;
        let knn_history = get(r, "knn history")?;
        let k = get(r, "sknn k")?;
        let sample = get(r, "sknn sample")?;
        let max_history = get(r, "sknn history")?;
        let keep_sessions = get(r, "keep sessions")?;
        if !(knn_decay.is_finite() && alpha.is_finite() && backward_weight.is_finite()) {
            return Err(Error::decode("stats config: non-finite value"));
        }
        let config = StatsConfig {
            cooc: CoocConfig {
                window,
                backward_weight,
                top_n,
                alpha,
            },
            markov_top_n,
            knn_decay,
            knn_history,
            sknn: SknnConfig {
                k,
                sample,
                max_history,
            },
            keep_sessions,
        };
        Ok(Self::assemble(
            n_items,
            popularity,
            recent,
            cooc,
            markov,
            sessions,
            attributes,
            n_attributes,
            config,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(seqs: &[Vec<u32>], n: usize) -> ItemStats {
        let v: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        ItemStats::build(&v, n, &[], &StatsConfig::default()).unwrap()
    }

    #[test]
    fn knn_prefers_recent_history() {
        let s = stats(&[vec![0, 2], vec![0, 2], vec![1, 3], vec![1, 3]], 4);
        let mut scratch = ScoreScratch::default();
        let mut out = vec![0f32; 4];
        s.baseline_scores(Baseline::ItemKnn, &[0, 1], &mut scratch, &mut out)
            .unwrap();
        assert!(out[3] > out[2], "{out:?}");
        s.baseline_scores(Baseline::ItemKnn, &[1, 0], &mut scratch, &mut out)
            .unwrap();
        assert!(out[2] > out[3], "{out:?}");
    }

    #[test]
    fn scratch_reset_leaves_no_residue() {
        let s = stats(&[vec![0, 1, 2], vec![2, 3]], 4);
        let mut scratch = ScoreScratch::default();
        let mut a = vec![0f32; 4];
        let mut b = vec![0f32; 4];
        s.baseline_scores(Baseline::SessionKnn, &[2], &mut scratch, &mut a)
            .unwrap();
        s.baseline_scores(Baseline::SessionKnn, &[0], &mut scratch, &mut b)
            .unwrap();
        let mut fresh = vec![0f32; 4];
        s.baseline_scores(
            Baseline::SessionKnn,
            &[0],
            &mut ScoreScratch::default(),
            &mut fresh,
        )
        .unwrap();
        assert_eq!(b, fresh);
    }

    #[test]
    fn bad_history_is_an_error() {
        let s = stats(&[vec![0, 1]], 2);
        let mut out = vec![0f32; 2];
        assert!(s
            .baseline_scores(
                Baseline::Markov,
                &[5],
                &mut ScoreScratch::default(),
                &mut out
            )
            .is_err());
        assert!(s
            .baseline_scores(
                Baseline::Markov,
                &[0],
                &mut ScoreScratch::default(),
                &mut [0.0]
            )
            .is_err());
    }

    #[test]
    fn round_trip() {
        let v: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![2, 1]];
        let views: Vec<&[u32]> = v.iter().map(|s| s.as_slice()).collect();
        let attrs = vec![vec![0, 1], vec![1], vec![]];
        let s = ItemStats::build(&views, 3, &attrs, &StatsConfig::default()).unwrap();
        let mut w = Writer::new();
        s.write(&mut w);
        let b = w.into_bytes();
        let mut r = Reader::new(&b);
        assert_eq!(ItemStats::read(&mut r).unwrap(), s);
        r.finish().unwrap();
        assert!((s.attribute_jaccard(0, 1) - 0.5).abs() < 1e-6);
    }
}
