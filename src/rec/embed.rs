//! A learned item embedding (item2vec): skip-gram with negative sampling over the training
//! sequences, so items that appear near each other in many sessions get close vectors even
//! when no single co-occurrence count links them strongly.
//!
//! It is learnt only when the data is large enough ([`EmbeddingConfig::min_interactions`]
//! interactions and [`EmbeddingConfig::min_items`] items seen at least
//! [`EmbeddingConfig::min_count`] times); below that the model has no embedding and the
//! features that use it are zero. Items seen fewer than `min_count` times get no vector
//! (every cosine with them is 0).
//!
//! Stored compactly for the browser: each item's unit vector quantised to `i8` with one
//! scale per item, chosen so that the dequantised vector has norm 1 (cosines are dot
//! products of the codes times the two scales, exactly the cosine of the stored vectors).
//!
//! ```
//! use localrec::rec::embed::{EmbeddingConfig, ItemEmbedding};
//! // Two groups of items that never meet in a session.
//! let seqs: Vec<Vec<u32>> = (0..400u32).map(|s| (0..6).map(|t| (s % 2) * 10 + (s * 7 + t * 3) % 10).collect()).collect();
//! let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
//! let cfg = EmbeddingConfig { min_interactions: 0, min_items: 0, ..EmbeddingConfig::default() };
//! let emb = ItemEmbedding::train(&views, 20, &cfg, &mut |_| {})?.expect("enough data");
//! assert!(emb.cosine(0, 5) > emb.cosine(0, 15));
//! let back = ItemEmbedding::from_bytes(&emb.to_bytes(), 20)?;
//! assert_eq!(back, emb);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::rng::Rng;

/// Hyper-parameters of the item embedding (apart from the fitted [`ItemEmbedding`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingConfig {
    /// Vector dimension.
    pub dim: usize,
    /// Context: items at most this many positions before or after the centre item.
    pub window: usize,
    /// Negative items per (centre, context) pair, sampled ∝ count^0.75.
    pub negatives: usize,
    /// Passes over the sequences.
    pub epochs: usize,
    /// Initial SGD learning rate (decays linearly to 1e-4 of it).
    pub learning_rate: f32,
    /// Items seen fewer times get no vector.
    pub min_count: usize,
    /// No embedding below this many interactions in the training sequences.
    pub min_interactions: usize,
    /// No embedding when fewer items than this reach `min_count`.
    pub min_items: usize,
    /// Seed of initialisation and sampling.
    pub seed: u64,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        EmbeddingConfig {
            dim: 16,
            window: 3,
            negatives: 5,
            epochs: 5,
            learning_rate: 0.025,
            min_count: 2,
            min_interactions: 50_000,
            min_items: 500,
            seed: 42,
        }
    }
}

impl EmbeddingConfig {
    fn validate(&self) -> Result<()> {
        if self.dim == 0 || self.dim > 256 {
            return Err(Error::invalid("embedding dim", self.dim, "must be 1..=256"));
        }
        if self.window == 0 {
            return Err(Error::invalid("embedding window", 0, "must be at least 1"));
        }
        if self.epochs == 0 {
            return Err(Error::invalid("embedding epochs", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::invalid(
                "embedding learning_rate",
                self.learning_rate,
                "must be finite and > 0",
            ));
        }
        Ok(())
    }
}

/// Unit item vectors, quantised to `i8` with a per-item scale (0 = the item has no vector).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemEmbedding {
    dim: usize,
    codes: Vec<i8>,
    scales: Vec<f32>,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-30.0, 30.0)).exp())
}

impl ItemEmbedding {
    /// Learns vectors for `n_items` items from `sequences` (time order within each). Returns
    /// `None` when the data is below the thresholds of `cfg` (too small to learn one).
    pub fn train(
        sequences: &[&[u32]],
        n_items: usize,
        cfg: &EmbeddingConfig,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Option<Self>> {
        cfg.validate()?;
        let mut counts = vec![0u64; n_items];
        let mut total = 0usize;
        for (s, seq) in sequences.iter().enumerate() {
            for &i in seq.iter() {
                *counts.get_mut(i as usize).ok_or_else(|| {
                    Error::invalid(
                        format!("sequences[{s}] item"),
                        i,
                        format!("out of range for {n_items} items"),
                    )
                })? += 1;
                total += 1;
            }
        }
        let min_count = cfg.min_count.max(1) as u64;
        let kept = counts.iter().filter(|&&c| c >= min_count).count();
        if total < cfg.min_interactions || kept < cfg.min_items.max(2) {
            progress(&format!(
                "no item embedding: {total} interactions and {kept} items seen ≥ {min_count} times \
                 (needs {} and {})",
                cfg.min_interactions,
                cfg.min_items.max(2)
            ));
            return Ok(None);
        }
        let d = cfg.dim;
        // Negative-sampling distribution ∝ count^0.75 over the kept items (cumulative).
        let mut cumulative = Vec::with_capacity(kept);
        let mut noise_items = Vec::with_capacity(kept);
        let mut acc = 0f64;
        for (i, &c) in counts.iter().enumerate() {
            if c >= min_count {
                acc += (c as f64).powf(0.75);
                cumulative.push(acc);
                noise_items.push(i as u32);
            }
        }
        let mut rng = Rng::new(cfg.seed);
        let mut input = vec![0f32; n_items * d];
        for (i, v) in input.chunks_exact_mut(d).enumerate() {
            if counts[i] >= min_count {
                for x in v {
                    *x = (rng.next_f32() - 0.5) / d as f32;
                }
            }
        }
        let mut output = vec![0f32; n_items * d];
        let mut grad = vec![0f32; d];
        let pairs_per_epoch: usize = sequences
            .iter()
            .map(|s| {
                (0..s.len())
                    .map(|p| p.min(cfg.window) + (s.len() - 1 - p).min(cfg.window))
                    .sum::<usize>()
            })
            .sum();
        let total_pairs = (pairs_per_epoch * cfg.epochs).max(1) as f32;
        let mut done = 0usize;
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        for epoch in 0..cfg.epochs {
            rng.shuffle(&mut order);
            let mut loss = 0f64;
            let mut loss_pairs = 0usize;
            for &s in &order {
                let seq = sequences[s];
                for (p, &centre) in seq.iter().enumerate() {
                    let lo = p.saturating_sub(cfg.window);
                    let hi = (p + cfg.window + 1).min(seq.len());
                    for (q, &context) in seq.iter().enumerate().take(hi).skip(lo) {
                        if q == p {
                            continue;
                        }
                        done += 1;
                        if context == centre
                            || counts[centre as usize] < min_count
                            || counts[context as usize] < min_count
                        {
                            continue;
                        }
                        let lr = cfg.learning_rate * (1.0 - done as f32 / total_pairs).max(1e-4);
                        let c = centre as usize * d;
                        grad.iter_mut().for_each(|g| *g = 0.0);
                        for k in 0..=cfg.negatives {
                            let (target, label) = if k == 0 {
                                (context, 1.0)
                            } else {
                                let u = rng.next_f64() * acc;
                                let at = cumulative.partition_point(|&x| x <= u);
                                let t = noise_items[at.min(noise_items.len() - 1)];
                                if t == context {
                                    continue;
                                }
                                (t, 0.0)
                            };
                            let t = target as usize * d;
                            let (h, o) = (&input[c..c + d], &mut output[t..t + d]);
                            let dot: f32 = h.iter().zip(o.iter()).map(|(a, b)| a * b).sum();
                            let prob = sigmoid(dot);
                            if k == 0 {
                                loss -= f64::from(prob.max(1e-7).ln());
                                loss_pairs += 1;
                            }
                            let g = (label - prob) * lr;
                            for ((gi, oi), hi) in grad.iter_mut().zip(o.iter_mut()).zip(h) {
                                *gi += g * *oi;
                                *oi += g * hi;
                            }
                        }
                        for (x, g) in input[c..c + d].iter_mut().zip(&grad) {
                            *x += g;
                        }
                    }
                }
            }
            progress(&format!(
                "item embedding epoch {}: positive log-loss {:.4} over {loss_pairs} pairs",
                epoch + 1,
                loss / loss_pairs.max(1) as f64
            ));
        }
        if input.iter().any(|x| !x.is_finite()) {
            return Err(Error::Training(
                "item embedding diverged (non-finite vector)".into(),
            ));
        }
        for (i, v) in input.chunks_exact_mut(d).enumerate() {
            if counts[i] < min_count {
                v.iter_mut().for_each(|x| *x = 0.0);
            }
        }
        Self::from_vectors(d, &input).map(Some)
    }

    /// Quantises `vectors` (row-major, `dim` per item). All-zero rows mean "no vector".
    pub fn from_vectors(dim: usize, vectors: &[f32]) -> Result<Self> {
        if dim == 0 || vectors.len() % dim != 0 {
            return Err(Error::shape("embedding vectors", dim, vectors.len()));
        }
        if let Some(p) = vectors.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(
                format!("vectors[{p}]"),
                vectors[p],
                "must be finite",
            ));
        }
        let mut codes = Vec::with_capacity(vectors.len());
        let mut scales = Vec::with_capacity(vectors.len() / dim);
        for v in vectors.chunks_exact(dim) {
            let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            let start = codes.len();
            if max > 0.0 {
                codes.extend(v.iter().map(|x| (x / max * 127.0).round() as i8));
            } else {
                codes.extend(std::iter::repeat_n(0i8, dim));
            }
            let norm = codes[start..]
                .iter()
                .map(|&c| f32::from(c) * f32::from(c))
                .sum::<f32>()
                .sqrt();
            scales.push(if norm > 0.0 { 1.0 / norm } else { 0.0 });
        }
        Ok(ItemEmbedding { dim, codes, scales })
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of items (rows).
    pub fn n_items(&self) -> usize {
        self.scales.len()
    }

    /// Whether `item` has a vector.
    pub fn has(&self, item: u32) -> bool {
        self.scales.get(item as usize).is_some_and(|&s| s > 0.0)
    }

    fn codes(&self, item: u32) -> &[i8] {
        let i = item as usize;
        self.codes
            .get(i * self.dim..(i + 1) * self.dim)
            .unwrap_or(&[])
    }

    /// Cosine of two items' vectors (0 when either has none or is out of range).
    pub fn cosine(&self, a: u32, b: u32) -> f32 {
        let (Some(&sa), Some(&sb)) = (self.scales.get(a as usize), self.scales.get(b as usize))
        else {
            return 0.0;
        };
        if sa == 0.0 || sb == 0.0 {
            return 0.0;
        }
        let dot: i32 = self
            .codes(a)
            .iter()
            .zip(self.codes(b))
            .map(|(&x, &y)| i32::from(x) * i32::from(y))
            .sum();
        dot as f32 * sa * sb
    }

    /// The unit query vector of a history (items with weights, time order): the
    /// `decay`-weighted sum of the last `recent` items' unit vectors (the last item weighs 1),
    /// normalised. Returns false (and leaves `out` zero) when no item has a vector.
    pub fn query(
        &self,
        history: &[(u32, f32)],
        recent: usize,
        decay: f32,
        out: &mut Vec<f32>,
    ) -> bool {
        out.clear();
        out.resize(self.dim, 0.0);
        let start = history.len().saturating_sub(recent.max(1));
        let mut w = 1.0f32;
        for &(item, weight) in history[start..].iter().rev() {
            let s = self.scales.get(item as usize).copied().unwrap_or(0.0);
            if s > 0.0 {
                let f = w * weight * s;
                for (o, &c) in out.iter_mut().zip(self.codes(item)) {
                    *o += f * f32::from(c);
                }
            }
            w *= decay;
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !(norm > 1e-12 && norm.is_finite()) {
            out.iter_mut().for_each(|x| *x = 0.0);
            return false;
        }
        out.iter_mut().for_each(|x| *x /= norm);
        true
    }

    /// A query vector in 16-bit fixed point and its scale: integer dot products with the
    /// `i8` codes vectorise (a float sum is a serial chain), at a relative error ~1e-4.
    fn fixed_point(query: &[f32], fixed: &mut Vec<i16>) -> f32 {
        let max = query.iter().fold(0f32, |m, x| m.max(x.abs()));
        fixed.clear();
        if !(max > 0.0 && max.is_finite()) {
            return 0.0;
        }
        fixed.extend(query.iter().map(|x| (x / max * 32767.0).round() as i16));
        max / 32767.0
    }

    fn dot_fixed(codes: &[i8], fixed: &[i16]) -> i32 {
        codes
            .iter()
            .zip(fixed)
            .map(|(&c, &q)| i32::from(c) * i32::from(q))
            .sum()
    }

    /// Cosine of `item` with a unit `query` vector (0 when it has no vector).
    pub fn cosine_to(&self, query: &[f32], item: u32) -> f32 {
        let s = self.scales.get(item as usize).copied().unwrap_or(0.0);
        if s == 0.0 {
            return 0.0;
        }
        let mut fixed = Vec::with_capacity(self.dim);
        let q_scale = Self::fixed_point(query, &mut fixed);
        Self::dot_fixed(self.codes(item), &fixed) as f32 * s * q_scale
    }

    /// Cosine of every item with a unit `query` vector into `out` (0 for items without one).
    pub fn cosines(&self, query: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.reserve(self.n_items());
        let mut fixed = Vec::with_capacity(self.dim);
        let q_scale = Self::fixed_point(query, &mut fixed);
        for (codes, &s) in self.codes.chunks_exact(self.dim).zip(&self.scales) {
            out.push(Self::dot_fixed(codes, &fixed) as f32 * s * q_scale);
        }
    }

    /// The `k` items with the highest cosine to `item` (itself excluded, positive cosines only),
    /// best first, ties by index.
    pub fn nearest(&self, item: u32, k: usize) -> Vec<(u32, f32)> {
        if !self.has(item) || k == 0 {
            return Vec::new();
        }
        let mut best: Vec<(u32, f32)> = (0..self.n_items() as u32)
            .filter(|&j| j != item)
            .map(|j| (j, self.cosine(item, j)))
            .filter(|&(_, c)| c > 0.0)
            .collect();
        crate::sort::sort_by(&mut best, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        best.truncate(k);
        best
    }

    /// Bytes of the vectors in memory (codes and scales).
    pub fn memory_bytes(&self) -> usize {
        self.codes.len() + 4 * self.scales.len()
    }

    /// Serialises the embedding.
    pub fn write(&self, w: &mut Writer) {
        w.put_len(self.dim);
        w.put_f32s(&self.scales);
        let bytes: Vec<u8> = self.codes.iter().map(|&c| c as u8).collect();
        w.put_bytes(&bytes);
    }

    /// Reads what [`ItemEmbedding::write`] wrote, for a model of `n_items` items.
    pub fn read(r: &mut Reader<'_>, n_items: usize) -> Result<Self> {
        let dim = r.get_u64("embedding dim")? as usize;
        if dim == 0 || dim > 256 {
            return Err(Error::decode(format!(
                "embedding dim {dim} out of range 1..=256"
            )));
        }
        let scales = r.get_f32s("embedding scales")?;
        if scales.len() != n_items || scales.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
            return Err(Error::decode(format!(
                "embedding scales: {} values for {n_items} items, or a negative/non-finite one",
                scales.len()
            )));
        }
        let bytes = r.get_bytes("embedding codes")?;
        if Some(bytes.len()) != n_items.checked_mul(dim) {
            return Err(Error::decode(format!(
                "embedding codes: {} bytes for {n_items} items × {dim}",
                bytes.len()
            )));
        }
        let codes = bytes.iter().map(|&b| b as i8).collect();
        Ok(ItemEmbedding { dim, codes, scales })
    }

    /// The embedding alone as bytes (for tests and size reports).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.into_bytes()
    }

    /// Reads [`ItemEmbedding::to_bytes`].
    pub fn from_bytes(bytes: &[u8], n_items: usize) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let e = Self::read(&mut r, n_items)?;
        r.finish()?;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 8 clusters of 25 items; each session browses one cluster. Items of one cluster are
    /// seldom adjacent directly (25 items, sessions of 6) yet share contexts.
    fn planted(sessions: usize, seed: u64) -> Vec<Vec<u32>> {
        let mut rng = Rng::new(seed);
        (0..sessions)
            .map(|_| {
                let cluster = rng.below(8) as u32;
                (0..6)
                    .map(|_| cluster * 25 + rng.below(25) as u32)
                    .collect()
            })
            .collect()
    }

    fn small_cfg() -> EmbeddingConfig {
        EmbeddingConfig {
            min_interactions: 0,
            min_items: 0,
            ..EmbeddingConfig::default()
        }
    }

    #[test]
    fn co_occurring_items_are_closer_than_random_pairs() {
        let seqs = planted(3000, 1);
        let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let emb = ItemEmbedding::train(&views, 200, &small_cfg(), &mut |_| {})
            .unwrap()
            .unwrap();
        let (mut same, mut other) = (Vec::new(), Vec::new());
        for a in 0..200u32 {
            for b in (a + 1)..200 {
                if a / 25 == b / 25 {
                    same.push(emb.cosine(a, b));
                } else {
                    other.push(emb.cosine(a, b));
                }
            }
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let (ms, mo) = (mean(&same), mean(&other));
        assert!(ms > mo + 0.3, "same cluster {ms}, other {mo}");
        // Nearest neighbours stay inside the cluster.
        let inside = (0..200u32)
            .filter(|&a| emb.nearest(a, 5).iter().all(|&(b, _)| b / 25 == a / 25))
            .count();
        assert!(
            inside >= 190,
            "{inside} of 200 items have 5 same-cluster neighbours"
        );
    }

    #[test]
    fn deterministic_with_a_seed_and_round_trips() {
        let seqs = planted(500, 2);
        let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let a = ItemEmbedding::train(&views, 201, &small_cfg(), &mut |_| {})
            .unwrap()
            .unwrap();
        let b = ItemEmbedding::train(&views, 201, &small_cfg(), &mut |_| {})
            .unwrap()
            .unwrap();
        assert_eq!(a, b);
        assert!(!a.has(200), "an item never seen has no vector");
        assert_eq!(a.cosine(0, 200), 0.0);
        assert!((a.cosine(3, 3) - 1.0).abs() < 1e-5);
        let bytes = a.to_bytes();
        assert_eq!(ItemEmbedding::from_bytes(&bytes, 201).unwrap(), a);
        assert!(ItemEmbedding::from_bytes(&bytes, 200).is_err());
        assert!(ItemEmbedding::from_bytes(&bytes[..bytes.len() - 1], 201).is_err());
    }

    #[test]
    fn below_the_threshold_there_is_no_embedding() {
        let seqs = planted(100, 3);
        let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let got = ItemEmbedding::train(&views, 200, &EmbeddingConfig::default(), &mut |_| {});
        assert_eq!(got.unwrap(), None);
        assert!(ItemEmbedding::train(&[&[0, 9][..]], 5, &small_cfg(), &mut |_| {}).is_err());
    }

    #[test]
    fn query_weights_recent_items() {
        let v = vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let e = ItemEmbedding::from_vectors(2, &v).unwrap();
        let mut q = Vec::new();
        assert!(e.query(&[(0, 1.0), (1, 1.0)], 5, 0.5, &mut q));
        assert!(q[1] > q[0], "the last item weighs more: {q:?}");
        assert!(!e.query(&[(2, 1.0)], 5, 0.5, &mut q));
        let mut cos = Vec::new();
        e.query(&[(1, 1.0)], 5, 0.5, &mut q);
        e.cosines(&q, &mut cos);
        assert_eq!(cos.len(), 3);
        assert!((cos[1] - 1.0).abs() < 1e-3 && cos[0].abs() < 1e-3 && cos[2] == 0.0);
    }
}
