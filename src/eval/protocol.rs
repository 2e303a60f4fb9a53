//! Ranking evaluation cases with baselines and the localrec model, and tuning item-kNN on
//! validation. Single-threaded: the CLI splits the cases across threads.
//!
//! ```
//! use localrec::eval::protocol::{rank_cases, Case, EvalScratch, Scorer};
//! use localrec::rec::{Baseline, ItemStats, StatsConfig};
//! let seqs: Vec<Vec<u32>> = vec![vec![0, 1], vec![0, 1], vec![2, 3]];
//! let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
//! let stats = ItemStats::build(&views, 4, &[], &StatsConfig::default())?;
//! let cases = [Case { input: &[0][..], target: 1, negatives: None }];
//! let out = rank_cases(&Scorer::Baseline(&stats, Baseline::Markov), &cases, true, &mut EvalScratch::default())?;
//! assert_eq!(out[0].greater, 0);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::eval::metrics::RankOutcome;
use crate::rec::{BaseModel, Baseline, ItemStats, RankScratch, ScoreScratch, StatsConfig};
use crate::rng::Rng;

/// Something that scores every item for a history.
#[derive(Debug, Clone, Copy)]
pub enum Scorer<'a> {
    /// A neighbourhood baseline on some statistics.
    Baseline(&'a ItemStats, Baseline),
    /// The localrec model (candidates + MLP re-ranker).
    Model(&'a BaseModel),
    /// The model's "similar items" of the history's last item ([`BaseModel::similar`], top
    /// [`SIMILAR_DEPTH`]), as a next-item predictor; every other item below them by popularity.
    Similar(&'a BaseModel),
}

/// How many similar items [`Scorer::Similar`] ranks.
pub const SIMILAR_DEPTH: usize = 100;

impl Scorer<'_> {
    /// Number of items scored.
    pub fn n_items(&self) -> usize {
        match self {
            Scorer::Baseline(s, _) => s.n_items(),
            Scorer::Model(m) | Scorer::Similar(m) => m.item_count(),
        }
    }

    /// Dense scores for `history` into `out`.
    pub fn scores(
        &self,
        history: &[u32],
        scratch: &mut EvalScratch,
        out: &mut [f32],
    ) -> Result<()> {
        match self {
            Scorer::Baseline(s, b) => s.baseline_scores(*b, history, &mut scratch.score, out),
            Scorer::Model(m) => m.score_all(history, &mut scratch.rank, out),
            Scorer::Similar(m) => {
                if out.len() != m.item_count() {
                    return Err(Error::shape("similar scores", m.item_count(), out.len()));
                }
                for (o, p) in out.iter_mut().zip(m.stats().popularity_scores()) {
                    *o = -2.0 + 0.5 * p;
                }
                let Some(&last) = history.last() else {
                    return Ok(());
                };
                let list = m.similar(last, SIMILAR_DEPTH.min(m.item_count()))?;
                let n = list.len() as f32;
                for (r, s) in list.iter().enumerate() {
                    if let Some(o) = out.get_mut(s.item as usize) {
                        *o = n - r as f32;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Reusable buffers.
#[derive(Debug, Clone, Default)]
pub struct EvalScratch {
    score: ScoreScratch,
    rank: RankScratch,
    dense: Vec<f32>,
}

/// One ranking to evaluate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case<'a> {
    /// The history (time order).
    pub input: &'a [u32],
    /// The item to find.
    pub target: u32,
    /// Sampled protocol: rank only against these items.
    pub negatives: Option<&'a [u32]>,
}

/// Ranks every case. With `exclude_history`, items of the input other than the target are
/// left out of a full ranking (the S3-Rec protocol).
pub fn rank_cases(
    scorer: &Scorer<'_>,
    cases: &[Case<'_>],
    exclude_history: bool,
    scratch: &mut EvalScratch,
) -> Result<Vec<RankOutcome>> {
    let n = scorer.n_items();
    let mut dense = std::mem::take(&mut scratch.dense);
    dense.resize(n, 0.0);
    let mut out = Vec::with_capacity(cases.len());
    let mut others = Vec::new();
    for case in cases {
        scorer.scores(case.input, scratch, &mut dense)?;
        let o = match case.negatives {
            Some(neg) => {
                others.clear();
                for &j in neg {
                    others.push(
                        *dense
                            .get(j as usize)
                            .ok_or_else(|| Error::invalid("negative item", j, "out of range"))?,
                    );
                }
                let t = *dense
                    .get(case.target as usize)
                    .ok_or_else(|| Error::invalid("target", case.target, "out of range"))?;
                RankOutcome::among(t, &others)?
            }
            None => RankOutcome::from_scores(
                &dense,
                case.target,
                if exclude_history { case.input } else { &[] },
            )?,
        };
        out.push(o);
    }
    scratch.dense = dense;
    Ok(out)
}

/// For each user, `count` items sampled uniformly (seeded, without replacement) from those the
/// user never interacted with.
pub fn sample_negatives(
    sequences: &[&[u32]],
    n_items: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<Vec<u32>>> {
    let mut rng = Rng::new(seed);
    sequences
        .iter()
        .enumerate()
        .map(|(u, s)| {
            let mut seen: Vec<u32> = s.to_vec();
            seen.sort_unstable();
            seen.dedup();
            if n_items < seen.len() + count {
                return Err(Error::invalid(
                    format!("user {u}"),
                    s.len(),
                    format!("too few unseen items for {count} negatives"),
                ));
            }
            let mut neg: Vec<u32> = Vec::with_capacity(count);
            while neg.len() < count {
                let j = rng.below(n_items) as u32;
                if seen.binary_search(&j).is_err() && !neg.contains(&j) {
                    neg.push(j);
                }
            }
            Ok(neg)
        })
        .collect()
}

/// The item-kNN grid searched on validation: (window, backward weight, alpha, decay).
pub fn knn_grid() -> Vec<(usize, f32, f32, f32)> {
    let mut g = Vec::new();
    for (window, backward) in [(usize::MAX, 1.0), (usize::MAX, 0.5), (3, 1.0)] {
        for alpha in [0.5, 0.75] {
            for decay in [0.3, 0.6, 1.0] {
                g.push((window, backward, alpha, decay));
            }
        }
    }
    g
}

/// Tunes item-kNN's counting and history weighting on validation cases (NDCG@10), from
/// statistics of `train`. Returns the best configuration and its (HR@10, NDCG@10).
pub fn tune_item_knn(
    train: &[&[u32]],
    n_items: usize,
    base: &StatsConfig,
    cases: &[Case<'_>],
    exclude_history: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<(StatsConfig, f64, f64)> {
    let mut best = (base.clone(), -1.0, -1.0);
    let mut last_counting = None;
    let mut stats: Option<ItemStats> = None;
    let lean = StatsConfig {
        keep_sessions: 0,
        ..base.clone()
    };
    for (window, backward, alpha, decay) in knn_grid() {
        let mut cfg = lean.clone();
        cfg.cooc.window = window;
        cfg.cooc.backward_weight = backward;
        cfg.cooc.alpha = alpha;
        cfg.knn_decay = decay;
        let counting = (window, backward.to_bits(), alpha.to_bits());
        if last_counting != Some(counting) || stats.is_none() {
            stats = Some(ItemStats::build(train, n_items, &[], &cfg)?);
            last_counting = Some(counting);
        }
        let Some(s) = stats.as_mut() else { continue };
        s.config.knn_decay = decay;
        let out = rank_cases(
            &Scorer::Baseline(s, Baseline::ItemKnn),
            cases,
            exclude_history,
            &mut EvalScratch::default(),
        )?;
        let n = out.len().max(1) as f64;
        let hr = out.iter().map(|o| o.hit_rate(10)).sum::<f64>() / n;
        let ndcg = out.iter().map(|o| o.ndcg(10)).sum::<f64>() / n;
        let w = if window == usize::MAX {
            "all".to_string()
        } else {
            window.to_string()
        };
        progress(&format!("item-kNN window {w} backward {backward} alpha {alpha} decay {decay}: HR@10 {hr:.4} NDCG@10 {ndcg:.4}"));
        if ndcg > best.2 {
            let mut chosen = base.clone();
            chosen.cooc.window = window;
            chosen.cooc.backward_weight = backward;
            chosen.cooc.alpha = alpha;
            chosen.knn_decay = decay;
            best = (chosen, hr, ndcg);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_avoid_the_users_items() {
        let seqs: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![3]];
        let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
        let neg = sample_negatives(&views, 10, 5, 1).unwrap();
        assert!(neg[0].iter().all(|j| *j > 2 && *j < 10));
        assert_eq!(neg[0].len(), 5);
        let mut d = neg[0].clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 5);
        assert_eq!(sample_negatives(&views, 10, 5, 1).unwrap(), neg);
        assert!(sample_negatives(&views, 6, 5, 1).is_err());
    }
}
