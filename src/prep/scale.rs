//! Numeric scalers, fitted then frozen: min-max, z-score, a signed log, and
//! quantile buckets.
//!
//! `fit` ignores non-finite values (they are missing, not zero) and fails when
//! nothing finite is left; `transform` fails on a non-finite input, so no NaN
//! can come out silently.
//!
//! ```
//! use localrec::prep::scale::{Bucketizer, MinMaxScaler, StandardScaler, signed_log1p};
//! let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
//! let mm = MinMaxScaler::fit(&v).unwrap();
//! assert_eq!(mm.transform(4.5).unwrap(), 0.5);
//! let z = StandardScaler::fit(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
//! assert_eq!((z.mean, z.std), (5.0, 2.0));
//! let b = Bucketizer::fit_quantiles(&v, 4).unwrap();
//! assert_eq!(b.edges, vec![3.0, 5.0, 7.0]);
//! assert_eq!(b.bucket(4.9).unwrap(), 1);
//! assert_eq!(signed_log1p(-(std::f64::consts::E - 1.0)).unwrap(), -1.0);
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::prep::format::Persist;

fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}

fn check_input(field: &str, x: f64) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(field, x, "must be a finite number"))
    }
}

/// `sign(x) * ln(1 + |x|)`: compresses prices and counts spanning orders of magnitude.
pub fn signed_log1p(x: f64) -> Result<f64> {
    check_input("x", x)?;
    Ok(x.signum() * x.abs().ln_1p())
}

/// Maps `[min, max]` of the fitted values onto `[0, 1]`.
/// Values outside the fitted range map outside `[0, 1]` (callers clip if they want).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinMaxScaler {
    pub min: f64,
    pub max: f64,
}

impl MinMaxScaler {
    /// Fits on the finite `values`; fails when there is none.
    pub fn fit(values: &[f64]) -> Result<Self> {
        let v = finite(values);
        if v.is_empty() {
            return Err(Error::invalid(
                "values",
                format!("{} values", values.len()),
                "min-max scaling needs at least one finite value",
            ));
        }
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Ok(MinMaxScaler { min, max })
    }

    /// `(x - min) / (max - min)`, or 0 when the fitted values were all equal.
    pub fn transform(&self, x: f64) -> Result<f64> {
        check_input("x", x)?;
        let span = self.max - self.min;
        Ok(if span > 0.0 {
            (x - self.min) / span
        } else {
            0.0
        })
    }
}

/// Z-score: `(x - mean) / std`, population standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardScaler {
    pub mean: f64,
    /// Never zero: a constant feature is fitted with `std = 1` (it maps to 0).
    pub std: f64,
}

impl StandardScaler {
    /// The identity transform (mean 0, std 1), used when nothing was there to fit.
    pub const IDENTITY: StandardScaler = StandardScaler {
        mean: 0.0,
        std: 1.0,
    };

    /// Fits on the finite `values`; fails when there is none.
    pub fn fit(values: &[f64]) -> Result<Self> {
        let v = finite(values);
        if v.is_empty() {
            return Err(Error::invalid(
                "values",
                format!("{} values", values.len()),
                "z-score scaling needs at least one finite value",
            ));
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let std = var.sqrt();
        let std = if std > 1e-12 && std.is_finite() {
            std
        } else {
            1.0
        };
        if !mean.is_finite() {
            return Err(Error::invalid(
                "values",
                mean,
                "the mean overflowed (values too large)",
            ));
        }
        Ok(StandardScaler { mean, std })
    }

    /// `(x - mean) / std`.
    pub fn transform(&self, x: f64) -> Result<f64> {
        check_input("x", x)?;
        let z = (x - self.mean) / self.std;
        check_input("z-score", z)?;
        Ok(z)
    }
}

/// Quantile buckets: `edges` sorted ascending and distinct; `bucket(x)` is the
/// number of edges `<= x`, in `0..=edges.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucketizer {
    pub edges: Vec<f64>,
}

impl Bucketizer {
    /// Edges at the `i / n_buckets` quantiles (lower nearest rank), ties merged:
    /// fewer than `n_buckets` buckets when many values are equal. No finite
    /// value at all gives a single bucket.
    pub fn fit_quantiles(values: &[f64], n_buckets: usize) -> Result<Self> {
        if n_buckets == 0 || n_buckets > 1024 {
            return Err(Error::invalid(
                "buckets",
                n_buckets,
                "must be between 1 and 1024",
            ));
        }
        let mut v = finite(values);
        crate::sort::sort_by(&mut v, f64::total_cmp);
        let mut edges: Vec<f64> = Vec::new();
        if !v.is_empty() {
            for i in 1..n_buckets {
                let e = v[(i * v.len() / n_buckets).min(v.len() - 1)];
                if edges.last().is_none_or(|&last| e > last) && e > v[0] {
                    edges.push(e);
                }
            }
        }
        Ok(Bucketizer { edges })
    }

    /// Number of buckets (`edges.len() + 1`).
    pub fn n_buckets(&self) -> usize {
        self.edges.len() + 1
    }

    /// The bucket of `x`.
    pub fn bucket(&self, x: f64) -> Result<usize> {
        check_input("x", x)?;
        Ok(self.edges.partition_point(|&e| e <= x))
    }
}

impl Persist for MinMaxScaler {
    fn write(&self, w: &mut Writer) {
        w.put_f64(self.min);
        w.put_f64(self.max);
    }
    fn read(r: &mut Reader) -> Result<Self> {
        let min = r.get_f64("minmax.min")?;
        let max = r.get_f64("minmax.max")?;
        if !min.is_finite() || !max.is_finite() || min > max {
            return Err(Error::decode(format!("minmax: bad range [{min}, {max}]")));
        }
        Ok(MinMaxScaler { min, max })
    }
}

impl Persist for StandardScaler {
    fn write(&self, w: &mut Writer) {
        w.put_f64(self.mean);
        w.put_f64(self.std);
    }
    fn read(r: &mut Reader) -> Result<Self> {
        let mean = r.get_f64("zscore.mean")?;
        let std = r.get_f64("zscore.std")?;
        if !mean.is_finite() || !std.is_finite() || std <= 0.0 {
            return Err(Error::decode(format!(
                "zscore: bad mean {mean} or std {std}"
            )));
        }
        Ok(StandardScaler { mean, std })
    }
}

impl Persist for Bucketizer {
    fn write(&self, w: &mut Writer) {
        w.put_len(self.edges.len());
        for e in &self.edges {
            w.put_f64(*e);
        }
    }
    fn read(r: &mut Reader) -> Result<Self> {
        let n = r.get_len("buckets.edges", 8)?;
        let mut edges = Vec::with_capacity(n);
        for _ in 0..n {
            let e = r.get_f64("buckets.edge")?;
            if !e.is_finite() || edges.last().is_some_and(|&last| e <= last) {
                return Err(Error::decode(
                    "buckets: edges must be finite and increasing",
                ));
            }
            edges.push(e);
        }
        Ok(Bucketizer { edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_hand_computed() {
        let s = MinMaxScaler::fit(&[10.0, f64::NAN, 30.0, 20.0, f64::INFINITY]).unwrap();
        assert_eq!((s.min, s.max), (10.0, 30.0));
        assert_eq!(s.transform(10.0).unwrap(), 0.0);
        assert_eq!(s.transform(25.0).unwrap(), 0.75);
        assert_eq!(s.transform(40.0).unwrap(), 1.5);
        assert!(s.transform(f64::NAN).is_err());
        let constant = MinMaxScaler::fit(&[3.0, 3.0]).unwrap();
        assert_eq!(constant.transform(7.0).unwrap(), 0.0);
        assert!(MinMaxScaler::fit(&[f64::NAN]).is_err());
        assert!(MinMaxScaler::fit(&[]).is_err());
    }

    #[test]
    fn z_score_hand_computed() {
        // mean 5, population variance (9+1+1+1+0+0+4+16)/8 = 4.
        let s = StandardScaler::fit(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.transform(9.0).unwrap(), 2.0);
        assert_eq!(s.transform(1.0).unwrap(), -2.0);
        let c = StandardScaler::fit(&[4.0]).unwrap();
        assert_eq!((c.mean, c.std), (4.0, 1.0));
        assert_eq!(c.transform(4.0).unwrap(), 0.0);
        assert!(StandardScaler::fit(&[f64::MAX, f64::MAX]).is_err());
    }

    #[test]
    fn log_hand_computed() {
        assert_eq!(signed_log1p(0.0).unwrap(), 0.0);
        assert!((signed_log1p(99.0).unwrap() - 100f64.ln()).abs() < 1e-15);
        assert!(signed_log1p(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn buckets_hand_computed_and_ties() {
        let b = Bucketizer::fit_quantiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 4).unwrap();
        assert_eq!(b.n_buckets(), 4);
        let got: Vec<usize> = [0.0, 1.0, 3.0, 4.9, 5.0, 8.0, 100.0]
            .iter()
            .map(|&x| b.bucket(x).unwrap())
            .collect();
        assert_eq!(got, vec![0, 0, 1, 1, 2, 3, 3]);
        let ties = Bucketizer::fit_quantiles(&[5.0; 10], 4).unwrap();
        assert_eq!(ties.n_buckets(), 1);
        let empty = Bucketizer::fit_quantiles(&[f64::NAN], 4).unwrap();
        assert_eq!(empty.bucket(3.0).unwrap(), 0);
        assert!(Bucketizer::fit_quantiles(&[1.0], 0).is_err());
    }
}
