//! Classification metrics as free functions over predicted probabilities and
//! 0/1 labels (labels ≥ 0.5 count as positive), plus [`Metric`], the names the
//! training history uses.
//!
//! ```
//! use localrec::nn::metrics::{accuracy, roc_auc};
//! let p = [0.9f32, 0.2, 0.7, 0.4];
//! let y = [1.0f32, 0.0, 0.0, 1.0];
//! assert_eq!(accuracy(&p, &y, 0.5).unwrap(), 0.5);
//! assert_eq!(roc_auc(&p, &y).unwrap(), 0.75);
//! ```

use crate::error::{Error, Result};

/// A metric reported per epoch on the validation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Accuracy,
    Precision,
    Recall,
    F1,
    RocAuc,
    LogLoss,
}

impl Metric {
    /// True when larger values are better (false for log loss).
    pub fn higher_is_better(self) -> bool {
        self != Metric::LogLoss
    }
    /// A short lower-case name ("accuracy", "auc", ...).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::RocAuc => "auc",
            Metric::LogLoss => "log_loss",
        }
    }
    /// Evaluates the metric (threshold 0.5 where one is needed).
    pub fn compute(self, probs: &[f32], labels: &[f32]) -> Result<f32> {
        match self {
            Metric::Accuracy => accuracy(probs, labels, 0.5),
            Metric::Precision => precision(probs, labels, 0.5),
            Metric::Recall => recall(probs, labels, 0.5),
            Metric::F1 => f1(probs, labels, 0.5),
            Metric::RocAuc => roc_auc(probs, labels),
            Metric::LogLoss => log_loss(probs, labels),
        }
    }
}

fn check(probs: &[f32], labels: &[f32]) -> Result<()> {
    if probs.len() != labels.len() {
        return Err(Error::shape(
            "metric labels (one per prediction)",
            probs.len(),
            labels.len(),
        ));
    }
    if probs.is_empty() {
        return Err(Error::invalid(
            "predictions",
            0,
            "cannot compute a metric on no predictions",
        ));
    }
    if let Some((i, p)) = probs.iter().enumerate().find(|(_, p)| !p.is_finite()) {
        return Err(Error::invalid(
            format!("predictions[{i}]"),
            p,
            "must be finite",
        ));
    }
    if let Some((i, y)) = labels.iter().enumerate().find(|(_, y)| !y.is_finite()) {
        return Err(Error::invalid(format!("labels[{i}]"), y, "must be finite"));
    }
    Ok(())
}

/// (true positives, false positives, false negatives, true negatives).
fn confusion(probs: &[f32], labels: &[f32], threshold: f32) -> (f64, f64, f64, f64) {
    let mut c = (0.0, 0.0, 0.0, 0.0);
    for (&p, &y) in probs.iter().zip(labels) {
        match (p >= threshold, y >= 0.5) {
            (true, true) => c.0 += 1.0,
            (true, false) => c.1 += 1.0,
            (false, true) => c.2 += 1.0,
            (false, false) => c.3 += 1.0,
        }
    }
    c
}

/// Fraction of predictions on the right side of `threshold`.
pub fn accuracy(probs: &[f32], labels: &[f32], threshold: f32) -> Result<f32> {
    check(probs, labels)?;
    let (tp, _, _, tn) = confusion(probs, labels, threshold);
    Ok(((tp + tn) / probs.len() as f64) as f32)
}

/// TP / (TP + FP); 0 when nothing is predicted positive.
pub fn precision(probs: &[f32], labels: &[f32], threshold: f32) -> Result<f32> {
    check(probs, labels)?;
    let (tp, fp, _, _) = confusion(probs, labels, threshold);
    Ok(if tp + fp > 0.0 {
        (tp / (tp + fp)) as f32
    } else {
        0.0
    })
}

/// TP / (TP + FN); 0 when there are no positives.
pub fn recall(probs: &[f32], labels: &[f32], threshold: f32) -> Result<f32> {
    check(probs, labels)?;
    let (tp, _, fn_, _) = confusion(probs, labels, threshold);
    Ok(if tp + fn_ > 0.0 {
        (tp / (tp + fn_)) as f32
    } else {
        0.0
    })
}

/// Harmonic mean of precision and recall; 0 when both are 0.
pub fn f1(probs: &[f32], labels: &[f32], threshold: f32) -> Result<f32> {
    let p = precision(probs, labels, threshold)?;
    let r = recall(probs, labels, threshold)?;
    Ok(if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    })
}

/// Area under the ROC curve (Mann–Whitney, ties count half). 0.5 when only
/// one class is present (the AUC is undefined there; 0.5 is "no skill").
pub fn roc_auc(probs: &[f32], labels: &[f32]) -> Result<f32> {
    check(probs, labels)?;
    let order = crate::sort::order_by(probs.len(), |a, b| probs[a].total_cmp(&probs[b]));
    let positives = labels.iter().filter(|&&y| y >= 0.5).count() as f64;
    let negatives = probs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Ok(0.5);
    }
    // Sum of the (average, 1-based) ranks of the positives.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && probs[order[j + 1]] == probs[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&k| labels[k] >= 0.5).count() as f64 * avg_rank;
        i = j + 1;
    }
    Ok(((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)) as f32)
}

/// Mean binary cross-entropy of probabilities (clipped to [1e-7, 1 − 1e-7]).
pub fn log_loss(probs: &[f32], labels: &[f32]) -> Result<f32> {
    check(probs, labels)?;
    let eps = 1e-7f64;
    let total: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = (p as f64).clamp(eps, 1.0 - eps);
            let y = y as f64;
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum();
    Ok((total / probs.len() as f64) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_based_metrics() {
        let p = [0.9f32, 0.8, 0.3, 0.1, 0.6];
        let y = [1.0f32, 0.0, 1.0, 0.0, 1.0];
        // TP = 2 (0.9, 0.6), FP = 1 (0.8), FN = 1 (0.3), TN = 1 (0.1)
        assert_eq!(accuracy(&p, &y, 0.5).unwrap(), 0.6);
        assert!((precision(&p, &y, 0.5).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert!((recall(&p, &y, 0.5).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert!((f1(&p, &y, 0.5).unwrap() - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(precision(&[0.1], &[1.0], 0.5).unwrap(), 0.0);
    }

    #[test]
    fn auc_counts_pairs_and_ties() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.3, 0.4], &[0.0, 0.0, 1.0, 1.0]).unwrap(),
            1.0
        );
        assert_eq!(
            roc_auc(&[0.4, 0.3, 0.2, 0.1], &[0.0, 0.0, 1.0, 1.0]).unwrap(),
            0.0
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[0.0, 1.0]).unwrap(), 0.5);
        assert_eq!(roc_auc(&[0.5, 0.7], &[1.0, 1.0]).unwrap(), 0.5);
    }

    #[test]
    fn log_loss_and_errors() {
        let l = log_loss(&[0.8, 0.3], &[1.0, 0.0]).unwrap();
        let want = -((0.8f64).ln() + (0.7f64).ln()) / 2.0;
        assert!((l as f64 - want).abs() < 1e-6);
        assert!(log_loss(&[0.0], &[1.0]).unwrap().is_finite());
        assert!(accuracy(&[], &[], 0.5).is_err());
        assert!(accuracy(&[0.1], &[1.0, 0.0], 0.5).is_err());
        let e = roc_auc(&[f32::NAN], &[1.0]).unwrap_err().to_string();
        assert!(e.contains("predictions[0]"), "{e}");
        assert!(Metric::RocAuc.higher_is_better() && !Metric::LogLoss.higher_is_better());
    }
}
