//! Ranking metrics with ties handled by **expectation over a uniformly random tie order**.
//!
//! The target's rank is described by `greater` (candidates scored strictly above it) and
//! `ties` (other candidates with exactly its score). Under a random order of the tied
//! group the target lands at each position `greater+1 ..= greater+ties+1` with equal
//! probability, and every metric is the average over those positions. A model that
//! scores everything equally therefore gets exactly the metrics of a random ranking
//! (no optimistic or pessimistic bias), and without ties this is the usual definition.
//!
//! - HR@K: 1 if the position ≤ K.
//! - NDCG@K (one relevant item): 1/log2(position + 1) if position ≤ K.
//! - MRR: 1/position; MRR@K: 0 beyond K.
//!
//! ```
//! use localrec::eval::metrics::RankOutcome;
//! // scores of 4 items, the target is item 2, nothing excluded
//! let o = RankOutcome::from_scores(&[0.9, 0.1, 0.5, 0.5], 2, &[])?;
//! assert_eq!((o.greater, o.ties), (1, 1));
//! assert_eq!(o.hit_rate(1), 0.0);
//! assert_eq!(o.hit_rate(2), 0.5);          // position 2 or 3, each with probability 1/2
//! assert!((o.reciprocal_rank(None) - (0.5 / 2.0 + 0.5 / 3.0)).abs() < 1e-12);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::error::{Error, Result};

/// Where the target fell in one ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RankOutcome {
    /// Candidates scored strictly higher than the target.
    pub greater: u32,
    /// Other candidates scored exactly like the target.
    pub ties: u32,
}

const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Harmonic number H(n) = 1 + 1/2 + … + 1/n (exact below 64, asymptotic series above: error < 1e-12).
fn harmonic(n: u64) -> f64 {
    if n < 64 {
        (1..=n).map(|i| 1.0 / i as f64).sum()
    } else {
        let x = n as f64;
        x.ln() + EULER_GAMMA + 1.0 / (2.0 * x) - 1.0 / (12.0 * x * x) + 1.0 / (120.0 * x.powi(4))
    }
}

impl RankOutcome {
    /// Ranks `target` among all indices of `scores` except those in `excluded`
    /// (the target itself is never excluded; duplicates in `excluded` are fine).
    /// Errors if the target is out of range or any score is NaN.
    pub fn from_scores(scores: &[f32], target: u32, excluded: &[u32]) -> Result<Self> {
        let t = *scores.get(target as usize).ok_or_else(|| {
            Error::invalid(
                "target",
                target,
                format!("out of range for {} scores", scores.len()),
            )
        })?;
        if t.is_nan() {
            return Err(Error::invalid("score of target", target, "is NaN"));
        }
        let (mut greater, mut equal, mut nan) = (0u32, 0u32, 0u32);
        for &s in scores {
            greater += (s > t) as u32;
            equal += (s == t) as u32;
            nan += s.is_nan() as u32;
        }
        if nan > 0 {
            return Err(Error::invalid(
                "scores",
                format!("{nan} NaN values"),
                "model produced NaN",
            ));
        }
        let mut ex: Vec<u32> = excluded.iter().copied().filter(|&i| i != target).collect();
        ex.sort_unstable();
        ex.dedup();
        for i in ex {
            if let Some(&s) = scores.get(i as usize) {
                greater -= (s > t) as u32;
                equal -= (s == t) as u32;
            }
        }
        Ok(RankOutcome {
            greater,
            ties: equal.saturating_sub(1),
        })
    }

    /// Ranks `target` against an explicit candidate list of `(item, score)` (the sampled protocol).
    pub fn among(target_score: f32, others: &[f32]) -> Result<Self> {
        if target_score.is_nan() || others.iter().any(|s| s.is_nan()) {
            return Err(Error::invalid("scores", "NaN", "model produced NaN"));
        }
        let greater = others.iter().filter(|&&s| s > target_score).count() as u32;
        let ties = others.iter().filter(|&&s| s == target_score).count() as u32;
        Ok(RankOutcome { greater, ties })
    }

    fn positions(&self) -> (u64, u64) {
        let first = self.greater as u64 + 1;
        (first, first + self.ties as u64)
    }

    /// Expected HR@k.
    pub fn hit_rate(&self, k: usize) -> f64 {
        let (first, last) = self.positions();
        let k = k as u64;
        if k < first {
            0.0
        } else {
            (k.min(last) - first + 1) as f64 / (last - first + 1) as f64
        }
    }

    /// Expected NDCG@k (one relevant item, ideal DCG = 1).
    pub fn ndcg(&self, k: usize) -> f64 {
        let (first, last) = self.positions();
        let end = (k as u64).min(last);
        if end < first {
            return 0.0;
        }
        let sum: f64 = (first..=end).map(|p| 1.0 / ((p + 1) as f64).log2()).sum();
        sum / (last - first + 1) as f64
    }

    /// Expected reciprocal rank, cut at `cutoff` if given (MRR@K).
    pub fn reciprocal_rank(&self, cutoff: Option<usize>) -> f64 {
        let (first, last) = self.positions();
        let end = cutoff.map_or(last, |k| (k as u64).min(last));
        if end < first {
            return 0.0;
        }
        (harmonic(end) - harmonic(first - 1)) / (last - first + 1) as f64
    }
}

/// The metric names reported for each protocol, in table order.
pub const LEAVE_ONE_OUT_METRICS: &[&str] = &[
    "HR@1", "HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20", "MRR",
];
/// Session protocol metrics (P@20 = HR@20, in the literature's percent they are ×100).
pub const SESSION_METRICS: &[&str] = &[
    "P@20", "MRR@20", "HR@1", "HR@5", "HR@10", "NDCG@10", "NDCG@20", "MRR",
];

/// One metric by name (`HR@K`, `P@K`, `NDCG@K`, `MRR`, `MRR@K`).
pub fn metric(outcome: &RankOutcome, name: &str) -> Result<f64> {
    let bad = || Error::invalid("metric", name, "expected HR@K, P@K, NDCG@K, MRR or MRR@K");
    let (kind, k) = match name.split_once('@') {
        Some((kind, k)) => (kind, Some(k.parse::<usize>().map_err(|_| bad())?)),
        None => (name, None),
    };
    match (kind, k) {
        ("HR" | "P", Some(k)) => Ok(outcome.hit_rate(k)),
        ("NDCG", Some(k)) => Ok(outcome.ndcg(k)),
        ("MRR", k) => Ok(outcome.reciprocal_rank(k)),
        _ => Err(bad()),
    }
}

/// Means of the named metrics over outcomes.
pub fn summarize(outcomes: &[RankOutcome], names: &[&str]) -> Result<Vec<(String, f64)>> {
    let n = outcomes.len().max(1) as f64;
    names
        .iter()
        .map(|&name| {
            let mut sum = 0.0;
            for o in outcomes {
                sum += metric(o, name)?;
            }
            Ok((name.to_string(), sum / n))
        })
        .collect()
}

/// HR@K for K = 1..=max_k (the plot's curve).
pub fn hit_rate_curve(outcomes: &[RankOutcome], max_k: usize) -> Vec<f64> {
    let n = outcomes.len().max(1) as f64;
    (1..=max_k)
        .map(|k| outcomes.iter().map(|o| o.hit_rate(k)).sum::<f64>() / n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn without_ties_matches_textbook_definitions() {
        // target at position 3 of 5
        let o = RankOutcome::from_scores(&[0.9, 0.8, 0.7, 0.1, 0.0], 2, &[]).unwrap();
        assert_eq!(
            o,
            RankOutcome {
                greater: 2,
                ties: 0
            }
        );
        assert_eq!(o.hit_rate(2), 0.0);
        assert_eq!(o.hit_rate(3), 1.0);
        assert!(close(o.ndcg(3), 1.0 / 4f64.log2()));
        assert!(close(o.ndcg(5), 0.5));
        assert_eq!(o.ndcg(2), 0.0);
        assert!(close(o.reciprocal_rank(None), 1.0 / 3.0));
        assert_eq!(o.reciprocal_rank(Some(2)), 0.0);
    }

    #[test]
    fn ties_average_over_positions() {
        // target ties with 3 others right after one better item: positions 2..=5
        let o = RankOutcome::from_scores(&[1.0, 0.5, 0.5, 0.5, 0.5, 0.0], 3, &[]).unwrap();
        assert_eq!(
            o,
            RankOutcome {
                greater: 1,
                ties: 3
            }
        );
        assert!(close(o.hit_rate(3), 0.5));
        assert!(close(o.hit_rate(5), 1.0));
        let ndcg3 = (1.0 / 3f64.log2() + 1.0 / 4f64.log2()) / 4.0;
        assert!(close(o.ndcg(3), ndcg3));
        let mrr = (1.0 / 2.0 + 1.0 / 3.0 + 1.0 / 4.0 + 1.0 / 5.0) / 4.0;
        assert!(close(o.reciprocal_rank(None), mrr));
        assert!(close(
            o.reciprocal_rank(Some(3)),
            (1.0 / 2.0 + 1.0 / 3.0) / 4.0
        ));
    }

    #[test]
    fn all_equal_scores_give_random_ranking() {
        let scores = vec![0.0f32; 100];
        let o = RankOutcome::from_scores(&scores, 7, &[]).unwrap();
        assert!(close(o.hit_rate(10), 0.1));
        let expected_mrr = (1..=100).map(|p| 1.0 / p as f64).sum::<f64>() / 100.0;
        assert!(close(o.reciprocal_rank(None), expected_mrr));
    }

    #[test]
    fn exclusions_remove_items_but_never_the_target() {
        let scores = [0.9, 0.8, 0.5, 0.5, 0.1];
        let o = RankOutcome::from_scores(&scores, 2, &[0, 0, 3, 2]).unwrap();
        assert_eq!(
            o,
            RankOutcome {
                greater: 1,
                ties: 0
            }
        );
    }

    #[test]
    fn nan_and_bad_target_are_errors() {
        assert!(RankOutcome::from_scores(&[0.1, f32::NAN], 0, &[]).is_err());
        assert!(RankOutcome::from_scores(&[0.1], 3, &[]).is_err());
        assert!(RankOutcome::among(0.5, &[f32::NAN]).is_err());
    }

    #[test]
    fn harmonic_series_is_accurate() {
        let exact: f64 = (1..=1000u64).map(|i| 1.0 / i as f64).sum();
        assert!((harmonic(1000) - exact).abs() < 1e-10);
    }

    #[test]
    fn summarize_by_name() {
        let o = [
            RankOutcome {
                greater: 0,
                ties: 0,
            },
            RankOutcome {
                greater: 20,
                ties: 0,
            },
        ];
        let s = summarize(&o, &["HR@10", "P@20", "MRR@20", "MRR"]).unwrap();
        assert!(close(s[0].1, 0.5));
        assert!(close(s[1].1, 0.5));
        assert!(close(s[2].1, 0.5));
        assert!(close(s[3].1, (1.0 + 1.0 / 21.0) / 2.0));
        assert!(summarize(&o, &["XX@3"]).is_err());
        assert_eq!(hit_rate_curve(&o, 21)[20], 1.0);
    }
}
