//! Candidate generation and the re-ranker's feature vector for (history, candidate) pairs.
//!
//! Candidates are the union of the top items of each neighbourhood scorer (item-kNN,
//! Markov from the last three items, session kNN), the most popular items and, unless the
//! shop excludes them, the history's own items (repeat views are frequent in browsing data).
//! Each candidate gets [`FEATURE_COUNT`] features, all roughly in [0, 1] so the MLP needs no
//! fitted scaler: the scores themselves, their ranks among the candidates (scale-free, so
//! they transfer between shops and data sizes), popularity, repeat/recency in the history,
//! attribute affinity and the history length, and (when the model has an item embedding,
//! see [`crate::rec::embed`]) the embedding cosines of the candidate with the last item and
//! with the recency-weighted recent items. Without an embedding those two are 0 and no
//! embedding candidates are added.

use crate::error::{Error, Result};
use crate::rec::embed::ItemEmbedding;
use crate::rec::stats::{ItemStats, ScoreScratch};

/// Number of features per candidate.
pub const FEATURE_COUNT: usize = 24;

/// Feature names, in column order (for docs and debugging).
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "knn/max",
    "ln(1+knn)",
    "1/(1+rank knn)",
    "markov last",
    "1/(1+rank markov)",
    "markov 2nd last",
    "markov 3rd last",
    "sknn/max",
    "ln(1+sknn)",
    "1/(1+rank sknn)",
    "log popularity",
    "1/(1+rank popularity)",
    "count in history",
    "recency in history",
    "is last item",
    "attribute affinity",
    "attribute jaccard with last",
    "history length",
    "cooc with last item",
    "share of history co-occurring",
    "recent popularity",
    "markov candidate -> last",
    "embedding cosine with last",
    "embedding cosine with recent",
];

/// Weight of the history item `a` positions before the last in the embedding query: `decay^a`.
const EMBEDDING_DECAY: f32 = 0.7;

/// Which neighbourhoods feed the candidate list, and how many items each.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateConfig {
    /// Top items by item-kNN.
    pub from_knn: usize,
    /// Top items by the Markov chains.
    pub from_markov: usize,
    /// Top items by session kNN.
    pub from_sknn: usize,
    /// Most popular items (the cold-start prior).
    pub popular: usize,
    /// History items are never candidates (purchase data: S3-Rec protocol) instead of always.
    pub exclude_history: bool,
    /// Top items by embedding cosine with the recent items (needs an item embedding).
    pub from_embedding: usize,
    /// Fill the two embedding features (false: they stay 0, for ablations).
    pub embedding_features: bool,
}

impl Default for CandidateConfig {
    fn default() -> Self {
        CandidateConfig {
            from_knn: 150,
            from_markov: 50,
            from_sknn: 150,
            popular: 30,
            exclude_history: false,
            from_embedding: 50,
            embedding_features: true,
        }
    }
}

/// Candidates of one history with their features (row-major, `items.len() × FEATURE_COUNT`).
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// Candidate item indices.
    pub items: Vec<u32>,
    /// Features, row-major.
    pub features: Vec<f32>,
    order: Vec<usize>,
    rank: Vec<f32>,
    hist: Vec<(u32, u32, usize)>,
    /// Embedding cosine of every item with the history's query vector (empty without one).
    pub(crate) emb_cos: Vec<f32>,
    emb_query: Vec<f32>,
    emb_pool: Vec<u32>,
}

fn top_by(items: &[u32], score: &[f32], n: usize, out: &mut Vec<u32>) {
    let scored: Vec<(u32, f32)> = items
        .iter()
        .filter_map(|&j| score.get(j as usize).map(|&s| (j, s)))
        .filter(|&(_, s)| s > 0.0)
        .collect();
    top_of(scored, n, out);
}

/// Appends the items of the `n` highest scores of `scored` (ties by item) to `out`, in no
/// particular order (the candidate list is sorted afterwards). One copy for every scorer.
#[inline(never)]
fn top_of(mut scored: Vec<(u32, f32)>, n: usize, out: &mut Vec<u32>) {
    if scored.len() > n && n > 0 {
        crate::sort::sort_by(&mut scored, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    scored.truncate(n);
    out.extend(scored.iter().map(|&(j, _)| j));
}

impl Candidates {
    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Feature row of candidate `c`.
    pub fn row(&self, c: usize) -> &[f32] {
        self.features
            .get(c * FEATURE_COUNT..(c + 1) * FEATURE_COUNT)
            .unwrap_or(&[])
    }

    /// Writes 1/(1+rank) of each candidate by its `score` (0 where the score is 0, or
    /// missing) into `rank`. One copy for every column (no closure parameter).
    fn ranks(&mut self, score: &[f32]) {
        let key = |j: u32| score.get(j as usize).copied().unwrap_or(0.0);
        let n = self.items.len();
        self.order.clear();
        self.order.extend(0..n);
        let items = &self.items;
        crate::sort::sort_by(&mut self.order, |&a, &b| {
            key(items[b])
                .total_cmp(&key(items[a]))
                .then(items[a].cmp(&items[b]))
        });
        self.rank.clear();
        self.rank.resize(n, 0.0);
        for (r, &c) in self.order.iter().enumerate() {
            if key(items[c]) > 0.0 {
                self.rank[c] = 1.0 / (1.0 + r as f32);
            }
        }
    }

    /// Generates the candidates of `history` (items with weights, time order) and their features.
    /// `scratch` holds the neighbourhood scores afterwards (for the reasons).
    pub fn build(
        &mut self,
        stats: &ItemStats,
        embedding: Option<&ItemEmbedding>,
        history: &[(u32, f32)],
        cfg: &CandidateConfig,
        scratch: &mut ScoreScratch,
    ) -> Result<()> {
        stats.accumulate(history, scratch)?;
        self.emb_cos.clear();
        let embedding = embedding.filter(|e| e.n_items() == stats.n_items());
        let mut has_query = false;
        if let Some(e) = embedding {
            let recent = stats.config.knn_history;
            has_query = e.query(history, recent, EMBEDDING_DECAY, &mut self.emb_query);
            // Every item's cosine is only needed to pick embedding candidates.
            if has_query && cfg.from_embedding > 0 {
                e.cosines(&self.emb_query, &mut self.emb_cos);
            }
        }
        self.items.clear();
        top_by(
            &scratch.touched,
            &scratch.knn,
            cfg.from_knn,
            &mut self.items,
        );
        {
            let scored: Vec<(u32, f32)> = scratch
                .touched
                .iter()
                .map(|&j| {
                    (
                        j,
                        scratch.m1[j as usize]
                            + 0.5 * scratch.m2[j as usize]
                            + 0.25 * scratch.m3[j as usize],
                    )
                })
                .filter(|&(_, s)| s > 0.0)
                .collect();
            top_of(scored, cfg.from_markov, &mut self.items);
        }
        top_by(
            &scratch.sknn_touched,
            &scratch.sknn,
            cfg.from_sknn,
            &mut self.items,
        );
        self.items
            .extend(stats.top_popular.iter().take(cfg.popular));
        if cfg.from_embedding > 0 && !self.emb_cos.is_empty() {
            // Nearest items to the recent history in embedding space: they reach items the
            // co-occurrence lists miss (rare pairs, items two hops away).
            self.emb_pool.clear();
            self.emb_pool.extend(0..self.emb_cos.len() as u32);
            let cos = &self.emb_cos;
            let k = cfg.from_embedding.min(self.emb_pool.len());
            if k < self.emb_pool.len() {
                crate::sort::select_nth_by(&mut self.emb_pool, k, |&a, &b| {
                    cos[b as usize].total_cmp(&cos[a as usize]).then(a.cmp(&b))
                });
            }
            self.items.extend(
                self.emb_pool[..k]
                    .iter()
                    .filter(|&&j| cos[j as usize] > 0.0),
            );
        }
        // History summary: (item, count, distance from the end of its last occurrence).
        self.hist.clear();
        let n = history.len();
        for (p, &(i, _)) in history.iter().enumerate() {
            match self.hist.iter_mut().find(|h| h.0 == i) {
                Some(h) => {
                    h.1 += 1;
                    h.2 = n - 1 - p;
                }
                None => self.hist.push((i, 1, n - 1 - p)),
            }
        }
        if !cfg.exclude_history {
            self.items.extend(self.hist.iter().map(|h| h.0));
        }
        crate::sort::sort(&mut self.items);
        self.items.dedup();
        if cfg.exclude_history {
            let hist = &self.hist;
            self.items.retain(|j| !hist.iter().any(|h| h.0 == *j));
        }
        if self.items.is_empty() {
            return Err(Error::invalid(
                "candidates",
                0,
                "no candidate items (empty catalog statistics?)",
            ));
        }
        let nc = self.items.len();
        self.features.clear();
        self.features.resize(nc * FEATURE_COUNT, 0.0);
        let max_knn = self
            .items
            .iter()
            .map(|&j| scratch.knn[j as usize])
            .fold(0f32, f32::max);
        let max_sknn = self
            .items
            .iter()
            .map(|&j| scratch.sknn[j as usize])
            .fold(0f32, f32::max);
        let last = history.last().map(|h| h.0);
        let len_feature = (n as f32).ln_1p() / 51f32.ln();
        let hist_len = n.max(1) as f32;
        let columns: [(usize, &[f32]); 3] =
            [(2, &scratch.knn), (4, &scratch.m1), (9, &scratch.sknn)];
        for (col, score) in columns {
            self.ranks(score);
            for c in 0..nc {
                self.features[c * FEATURE_COUNT + col] = self.rank[c];
            }
        }
        self.ranks(&stats.popularity);
        for c in 0..nc {
            self.features[c * FEATURE_COUNT + 11] = self.rank[c];
        }
        for (c, &j) in self.items.iter().enumerate() {
            let ju = j as usize;
            let f = &mut self.features[c * FEATURE_COUNT..(c + 1) * FEATURE_COUNT];
            let knn = scratch.knn[ju];
            let sknn = scratch.sknn[ju];
            f[0] = if max_knn > 0.0 { knn / max_knn } else { 0.0 };
            f[1] = knn.ln_1p();
            f[3] = scratch.m1[ju];
            f[5] = scratch.m2[ju];
            f[6] = scratch.m3[ju];
            f[7] = if max_sknn > 0.0 { sknn / max_sknn } else { 0.0 };
            f[8] = sknn.ln_1p() / 5.0;
            f[10] = stats.popularity_score(j);
            if let Some(h) = self.hist.iter().find(|h| h.0 == j) {
                f[12] = (h.1.min(5) as f32) / 5.0;
                f[13] = 1.0 / (1.0 + h.2 as f32);
            }
            f[14] = (last == Some(j)) as u8 as f32;
            f[15] = stats.attribute_affinity(j, scratch);
            f[16] = last.map_or(0.0, |l| stats.attribute_jaccard(l, j));
            f[17] = len_feature;
            f[18] = scratch.last_sim[ju];
            f[19] = (scratch.knn_hits[ju].floor() / hist_len).min(1.0);
            f[20] = stats.recent_score(j);
            f[21] = last.map_or(0.0, |l| stats.markov.weight(j, l));
            if let (Some(e), true) = (embedding, cfg.embedding_features) {
                f[22] = last.map_or(0.0, |l| e.cosine(l, j));
                f[23] = match self.emb_cos.get(ju) {
                    Some(&c) => c,
                    None if has_query => e.cosine_to(&self.emb_query, j),
                    None => 0.0,
                };
            }
        }
        if let Some(bad) = self.features.iter().position(|v| !v.is_finite()) {
            return Err(Error::Training(format!(
                "feature {} of candidate {} is not finite",
                FEATURE_NAMES.get(bad % FEATURE_COUNT).unwrap_or(&"?"),
                bad / FEATURE_COUNT
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rec::stats::StatsConfig;

    #[test]
    fn candidates_cover_neighbours_and_respect_history_exclusion() {
        let seqs: Vec<Vec<u32>> = vec![
            vec![0, 1, 2],
            vec![0, 1, 3],
            vec![4, 5],
            vec![4, 5],
            vec![4, 5],
        ];
        let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let stats = ItemStats::build(&views, 6, &[], &StatsConfig::default()).unwrap();
        let mut scratch = ScoreScratch::default();
        let mut c = Candidates::default();
        let cfg = CandidateConfig {
            popular: 1,
            ..CandidateConfig::default()
        };
        c.build(&stats, None, &[(0, 1.0), (1, 1.0)], &cfg, &mut scratch)
            .unwrap();
        assert!(c.items.contains(&2) && c.items.contains(&3) && c.items.contains(&0));
        assert_eq!(c.features.len(), c.len() * FEATURE_COUNT);
        let pos = c.items.iter().position(|&j| j == 1).unwrap();
        assert_eq!(c.row(pos)[14], 1.0, "item 1 is the last history item");
        let ex = CandidateConfig {
            exclude_history: true,
            ..cfg
        };
        c.build(&stats, None, &[(0, 1.0), (1, 1.0)], &ex, &mut scratch)
            .unwrap();
        assert!(!c.items.contains(&0) && !c.items.contains(&1));
        assert!(c.features.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
}
