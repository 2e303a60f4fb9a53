//! A training set: inputs, targets, optional per-example weights and
//! optional per-example logit offsets, checked once.
//!
//! An offset `oᵢ` is a fixed number added to every output logit of row i
//! before the output activation: the network learns a residual on a given
//! prior (`σ(mlp(x) + o)`), and the loss and its gradient are computed on
//! the shifted logits. The gradient with respect to the network's own
//! parameters is otherwise unchanged. Predict with the same offsets through
//! [`crate::nn::Mlp::predict_with_offsets`].
//!
//! ```
//! use localrec::nn::Dataset;
//! use ndarray::{array, Array1};
//! let data = Dataset::new(array![[0.0f32, 1.0], [1.0, 0.0]], array![[1.0f32], [0.0]])
//!     .unwrap()
//!     .with_weights(Array1::from(vec![1.0f32, 3.0]))
//!     .unwrap();
//! assert_eq!(data.len(), 2);
//! assert!(Dataset::new(array![[f32::NAN]], array![[1.0f32]]).is_err());
//! ```

use crate::error::{Error, Result, Shown};
use ndarray::{Array1, Array2};

/// Inputs `x` (n×in), targets `y` (n×out), optional weights (n) and
/// optional logit offsets (n).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    x: Array2<f32>,
    y: Array2<f32>,
    weights: Option<Array1<f32>>,
    /// Boxed slice, not Array1: keeps `Validation::Data(Dataset)` small.
    offsets: Option<Box<[f32]>>,
}

/// Index of the first NaN or infinite value. Checks 64 values at a time with
/// a branch-free fold (which vectorises) and only searches a block that
/// failed: on a clean 10,000 × 64 batch this is a fraction of the scan with
/// an early exit per value.
pub fn first_non_finite(values: &[f32]) -> Option<usize> {
    const BLOCK: usize = 64;
    for (b, block) in values.chunks(BLOCK).enumerate() {
        // |v| < ∞ is false for NaN and ±∞.
        let all_finite = block
            .iter()
            .fold(true, |ok, v| ok & (v.abs() < f32::INFINITY));
        if !all_finite {
            return block
                .iter()
                .position(|v| !v.is_finite())
                .map(|i| b * BLOCK + i);
        }
    }
    None
}

/// Checks per-example, per-class or per-member weights: each finite and
/// ≥ 0. `name` is how the error names the list (e.g. `class_weights`).
pub(crate) fn check_weights<'a>(
    name: &str,
    weights: impl IntoIterator<Item = &'a f32>,
) -> Result<()> {
    match weights
        .into_iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        Some((i, w)) => Err(Error::invalid(
            format!("{name}[{i}]"),
            w,
            "must be finite and >= 0",
        )),
        None => Ok(()),
    }
}

fn check_finite_matrix(name: &str, m: &Array2<f32>) -> Result<()> {
    if let Some(values) = m.as_slice() {
        let cols = m.ncols().max(1);
        return match first_non_finite(values) {
            Some(pos) => Err(Error::invalid(
                format!("{name}[{}][{}]", pos / cols, pos % cols),
                values[pos],
                "must be finite (NaN/Inf found)",
            )),
            None => Ok(()),
        };
    }
    if let Some((idx, v)) = m.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::invalid(
            format!("{name}[{}][{}]", idx.0, idx.1),
            v,
            "must be finite (NaN/Inf found)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod finite_tests {
    use super::first_non_finite;

    #[test]
    fn first_non_finite_finds_the_first_bad_value_in_any_block() {
        let mut v = vec![1.0f32; 300];
        assert_eq!(first_non_finite(&v), None);
        assert_eq!(first_non_finite(&[]), None);
        for (pos, bad) in [
            (0, f32::NAN),
            (63, f32::INFINITY),
            (64, f32::NEG_INFINITY),
            (299, f32::NAN),
        ] {
            v[pos] = bad;
            assert_eq!(first_non_finite(&v), Some(pos));
            v[pos] = f32::MAX; // large but finite
        }
        assert_eq!(first_non_finite(&v), None);
        v[200] = f32::NAN;
        v[100] = f32::INFINITY;
        assert_eq!(first_non_finite(&v), Some(100));
    }
}

/// The given rows (all in range) of a standard-layout matrix, copied slice
/// by slice: a plain gather instead of ndarray's generic `select` (6.4 KB of
/// WebAssembly for the one call the browser makes, the recommender's epoch part).
fn gather_rows(m: &Array2<f32>, rows: &[usize]) -> Result<Array2<f32>> {
    let width = m.ncols();
    let values = m.as_slice().unwrap_or(&[]);
    let mut out = Vec::with_capacity(rows.len() * width);
    for &r in rows {
        out.extend_from_slice(values.get(r * width..(r + 1) * width).unwrap_or(&[]));
    }
    Array2::from_shape_vec((rows.len(), width), out)
        .map_err(|e| Error::shape("selected rows", rows.len() * width, Shown(e)))
}

impl Dataset {
    /// Checks that `x` and `y` have the same number of rows (at least one),
    /// at least one column each, and only finite values.
    pub fn new(x: Array2<f32>, y: Array2<f32>) -> Result<Self> {
        if x.nrows() == 0 {
            return Err(Error::invalid("dataset rows", 0, "the dataset is empty"));
        }
        if x.ncols() == 0 {
            return Err(Error::invalid(
                "x columns",
                0,
                "inputs need at least one feature",
            ));
        }
        if y.ncols() == 0 {
            return Err(Error::invalid(
                "y columns",
                0,
                "targets need at least one column",
            ));
        }
        if x.nrows() != y.nrows() {
            return Err(Error::shape(
                "dataset y rows (one target row per input row)",
                x.nrows(),
                y.nrows(),
            ));
        }
        check_finite_matrix("x", &x)?;
        check_finite_matrix("y", &y)?;
        Ok(Dataset {
            x: x.as_standard_layout().into_owned(),
            y: y.as_standard_layout().into_owned(),
            weights: None,
            offsets: None,
        })
    }

    /// Attaches per-example weights (finite, ≥ 0, not all zero).
    pub fn with_weights(mut self, weights: Array1<f32>) -> Result<Self> {
        if weights.len() != self.len() {
            return Err(Error::shape(
                "dataset weights (one per row)",
                self.len(),
                weights.len(),
            ));
        }
        check_weights("weights", weights.iter())?;
        if weights.iter().all(|&w| w == 0.0) {
            return Err(Error::invalid(
                "weights",
                "all 0",
                "at least one example needs a positive weight",
            ));
        }
        self.weights = Some(weights.as_standard_layout().into_owned());
        Ok(self)
    }

    /// Attaches a fixed logit offset per example (finite), added to every
    /// output logit of its row before the output activation, in training,
    /// validation and metrics (see the module docs). Not for softmax outputs,
    /// where a shift of every logit changes nothing.
    ///
    /// ```
    /// use localrec::nn::Dataset;
    /// use ndarray::{array, Array1};
    /// let d = Dataset::new(array![[0.5f32], [1.0]], array![[1.0f32], [0.0]]).unwrap();
    /// let d = d.with_offsets(Array1::from(vec![-2.0f32, 0.3])).unwrap();
    /// assert_eq!(d.offsets().unwrap()[0], -2.0);
    /// ```
    pub fn with_offsets(mut self, offsets: Array1<f32>) -> Result<Self> {
        if offsets.len() != self.len() {
            return Err(Error::shape(
                "dataset offsets (one per row)",
                self.len(),
                offsets.len(),
            ));
        }
        if let Some((i, v)) = offsets.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::invalid(
                format!("offsets[{i}]"),
                v,
                "must be finite (NaN/Inf found)",
            ));
        }
        self.offsets = Some(offsets.iter().copied().collect());
        Ok(self)
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }
    /// Always false: an empty dataset cannot be built.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }
    /// Number of input features.
    pub fn input_dim(&self) -> usize {
        self.x.ncols()
    }
    /// Number of target columns.
    pub fn output_dim(&self) -> usize {
        self.y.ncols()
    }
    /// The inputs.
    pub fn x(&self) -> &Array2<f32> {
        &self.x
    }
    /// The targets.
    pub fn y(&self) -> &Array2<f32> {
        &self.y
    }
    /// The per-example weights, if any.
    pub fn weights(&self) -> Option<&Array1<f32>> {
        self.weights.as_ref()
    }
    /// The per-example logit offsets, if any.
    pub fn offsets(&self) -> Option<&[f32]> {
        self.offsets.as_deref()
    }

    /// A new dataset made of the given rows (repeats allowed), in that order.
    pub fn select(&self, rows: &[usize]) -> Result<Dataset> {
        if rows.is_empty() {
            return Err(Error::invalid("rows", 0, "selection is empty"));
        }
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(Error::invalid(
                "row",
                bad,
                format!("dataset has {} rows", self.len()),
            ));
        }
        let pick = |values: &[f32]| -> Vec<f32> {
            rows.iter()
                .map(|&r| values.get(r).copied().unwrap_or(0.0))
                .collect()
        };
        Ok(Dataset {
            x: gather_rows(&self.x, rows)?,
            y: gather_rows(&self.y, rows)?,
            weights: self
                .weights
                .as_ref()
                .map(|w| Array1::from(pick(w.as_slice().unwrap_or(&[])))),
            offsets: self.offsets.as_deref().map(|o| pick(o).into()),
        })
    }

    /// The class of each row: for one target column, 1 if y ≥ 0.5 else 0;
    /// for several, the index of the largest target (one-hot labels).
    pub fn class_labels(&self) -> Vec<usize> {
        self.y
            .rows()
            .into_iter()
            .map(|row| {
                if row.len() == 1 {
                    usize::from(row[0] >= 0.5)
                } else {
                    argmax(row.iter().copied())
                }
            })
            .collect()
    }

    /// Number of classes seen by [`Dataset::class_labels`] (2 for one column).
    pub fn class_count(&self) -> usize {
        if self.output_dim() == 1 {
            2
        } else {
            self.output_dim()
        }
    }
}

/// Index of the largest value (first on ties; 0 for an empty iterator).
pub(crate) fn argmax(values: impl Iterator<Item = f32>) -> usize {
    let mut best = (0usize, f32::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn shape_and_value_errors_name_the_field() {
        let e = Dataset::new(Array2::zeros((0, 2)), Array2::zeros((0, 1)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
        let e = Dataset::new(Array2::zeros((3, 2)), Array2::zeros((2, 1)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("rows"), "{e}");
        let e = Dataset::new(array![[0.0f32, f32::INFINITY]], array![[1.0f32]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("x[0][1]"), "{e}");
        let d = Dataset::new(Array2::zeros((2, 2)), Array2::zeros((2, 1))).unwrap();
        assert!(d.clone().with_weights(Array1::from(vec![1.0])).is_err());
        assert!(d
            .clone()
            .with_weights(Array1::from(vec![1.0, -1.0]))
            .is_err());
        assert!(d
            .clone()
            .with_weights(Array1::from(vec![0.0, 0.0]))
            .is_err());
        let e = d
            .clone()
            .with_offsets(Array1::from(vec![0.0]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("offsets"), "{e}");
        let e = d
            .with_offsets(Array1::from(vec![0.0, f32::NAN]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("offsets[1]"), "{e}");
    }

    #[test]
    fn selection_equals_ndarrays_select_on_every_part() {
        use ndarray::Axis;
        let x = Array2::from_shape_fn((7, 5), |(i, j)| (i * 10 + j) as f32);
        let y = Array2::from_shape_fn((7, 3), |(i, j)| (i + j) as f32 / 10.0);
        let w = Array1::from_shape_fn(7, |i| 1.0 + i as f32);
        let d = Dataset::new(x.clone(), y.clone())
            .unwrap()
            .with_weights(w.clone())
            .unwrap();
        let rows = [6, 0, 3, 3, 1, 6];
        let s = d.select(&rows).unwrap();
        assert_eq!(s.x(), &x.select(Axis(0), &rows));
        assert_eq!(s.y(), &y.select(Axis(0), &rows));
        assert_eq!(s.weights(), Some(&w.select(Axis(0), &rows)));
        assert!(s.x().is_standard_layout() && s.offsets().is_none());
        let e = d.select(&[1, 7]).unwrap_err().to_string();
        assert!(e.contains("row") && e.contains('7'), "{e}");
    }

    #[test]
    fn labels_and_selection() {
        let d = Dataset::new(
            array![[1.0f32], [2.0], [3.0]],
            array![[0.0f32], [1.0], [0.7]],
        )
        .unwrap();
        assert_eq!(d.class_labels(), vec![0, 1, 1]);
        let s = d.select(&[2, 2, 0]).unwrap();
        assert_eq!(s.x().column(0).to_vec(), vec![3.0, 3.0, 1.0]);
        let o = d
            .clone()
            .with_offsets(Array1::from(vec![0.1f32, 0.2, 0.3]))
            .unwrap();
        let so = o.select(&[2, 0]).unwrap();
        assert_eq!(so.offsets().unwrap(), &[0.3, 0.1]);
        assert!(d.select(&[3]).is_err());
        let m = Dataset::new(
            array![[1.0f32], [2.0]],
            array![[0.0f32, 1.0, 0.0], [0.2, 0.1, 0.7]],
        )
        .unwrap();
        assert_eq!(m.class_labels(), vec![1, 2]);
        assert_eq!(m.class_count(), 3);
    }
}
