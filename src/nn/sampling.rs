//! Class-imbalance helpers: balanced class weights, and random over- and
//! under-sampling that return a new [`Dataset`].
//!
//! Classes are read from the targets as in [`Dataset::class_labels`]: for one
//! target column, y ≥ 0.5 is class 1; for several, the largest column.
//!
//! ```
//! use localrec::nn::sampling::{balanced_class_weights, random_oversample, random_undersample};
//! use localrec::nn::Dataset;
//! use ndarray::Array2;
//! let x = Array2::from_shape_fn((10, 1), |(i, _)| i as f32);
//! let y = Array2::from_shape_fn((10, 1), |(i, _)| f32::from(i < 2)); // 2 positives, 8 negatives
//! let data = Dataset::new(x, y).unwrap();
//! assert_eq!(balanced_class_weights(&data).unwrap(), vec![10.0 / 16.0, 10.0 / 4.0]);
//! assert_eq!(random_oversample(&data, 1).unwrap().len(), 16);
//! assert_eq!(random_undersample(&data, 1).unwrap().len(), 4);
//! ```

use super::data::Dataset;
use crate::error::Result;
use crate::rng::Rng;

/// Rows of each class, in order.
fn rows_by_class(data: &Dataset) -> Vec<Vec<usize>> {
    let mut by_class = vec![Vec::new(); data.class_count()];
    for (row, class) in data.class_labels().into_iter().enumerate() {
        if let Some(rows) = by_class.get_mut(class) {
            rows.push(row);
        }
    }
    by_class
}

/// `n / (classes_present × count_c)` per class (the scikit-learn "balanced"
/// heuristic); classes with no example get weight 0.
pub fn balanced_class_weights(data: &Dataset) -> Result<Vec<f32>> {
    let by_class = rows_by_class(data);
    let present = by_class.iter().filter(|r| !r.is_empty()).count().max(1);
    Ok(by_class
        .iter()
        .map(|rows| {
            if rows.is_empty() {
                0.0
            } else {
                data.len() as f32 / (present * rows.len()) as f32
            }
        })
        .collect())
}

/// Duplicates random rows of every smaller class until each present class
/// has as many rows as the largest. Original rows come first.
pub fn random_oversample(data: &Dataset, seed: u64) -> Result<Dataset> {
    let by_class = rows_by_class(data);
    let target = by_class.iter().map(Vec::len).max().unwrap_or(0);
    let mut rng = Rng::new(seed);
    let mut rows: Vec<usize> = (0..data.len()).collect();
    for class_rows in by_class.iter().filter(|r| !r.is_empty()) {
        for _ in class_rows.len()..target {
            if let Some(&r) = class_rows.get(rng.below(class_rows.len())) {
                rows.push(r);
            }
        }
    }
    data.select(&rows)
}

/// Keeps a random subset of every larger class so that each present class
/// has as many rows as the smallest present one. Rows keep their order.
pub fn random_undersample(data: &Dataset, seed: u64) -> Result<Dataset> {
    let by_class = rows_by_class(data);
    let target = by_class
        .iter()
        .map(Vec::len)
        .filter(|&n| n > 0)
        .min()
        .unwrap_or(0);
    let mut rng = Rng::new(seed);
    let mut rows = Vec::with_capacity(target * by_class.len());
    for class_rows in &by_class {
        let mut shuffled = class_rows.clone();
        rng.shuffle(&mut shuffled);
        rows.extend(shuffled.into_iter().take(target));
    }
    rows.sort_unstable();
    data.select(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn imbalanced() -> Dataset {
        let x = Array2::from_shape_fn((100, 2), |(i, j)| (i * 2 + j) as f32);
        let y = Array2::from_shape_fn((100, 1), |(i, _)| f32::from(i % 10 == 0));
        Dataset::new(x, y).unwrap()
    }

    #[test]
    fn oversampling_balances_with_real_rows() {
        let data = imbalanced();
        let over = random_oversample(&data, 3).unwrap();
        let labels = over.class_labels();
        assert_eq!(labels.iter().filter(|&&c| c == 1).count(), 90);
        assert_eq!(labels.iter().filter(|&&c| c == 0).count(), 90);
        // Every added row is a copy of a positive row of the original.
        for row in over.x().rows().into_iter().skip(100) {
            let original = (row[0] / 2.0) as usize;
            assert_eq!(original % 10, 0);
        }
        assert_eq!(random_oversample(&data, 3).unwrap(), over, "seeded");
    }

    #[test]
    fn undersampling_keeps_a_balanced_subset() {
        let data = imbalanced();
        let under = random_undersample(&data, 4).unwrap();
        let labels = under.class_labels();
        assert_eq!(labels.len(), 20);
        assert_eq!(labels.iter().filter(|&&c| c == 1).count(), 10);
        let firsts: Vec<f32> = under.x().column(0).to_vec();
        assert!(
            firsts.windows(2).all(|w| w[0] < w[1]),
            "order kept, no repeats"
        );
        let w = balanced_class_weights(&data).unwrap();
        assert!((w[0] - 100.0 / 180.0).abs() < 1e-6 && (w[1] - 5.0).abs() < 1e-6);
    }
}
