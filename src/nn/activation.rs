//! Element-wise activations and their derivatives.
//!
//! Derivatives are written in terms of the activation's *output* (the value
//! the forward pass already stored), so the backward pass needs no extra
//! buffer for pre-activations: ReLU' = [a > 0], σ' = a(1 − a), tanh' = 1 − a².
//! Softmax is applied row-wise and is only differentiated together with the
//! cross-entropy loss (see [`crate::nn::loss`]).
//!
//! ```
//! use localrec::nn::Activation;
//! let mut row = [-1.0f32, 0.0, 2.0];
//! Activation::Relu.apply_rows(&mut row, 3);
//! assert_eq!(row, [0.0, 0.0, 2.0]);
//! ```

use crate::error::{Error, Result};

/// The non-linearity applied after a dense layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// f(x) = x.
    Identity,
    /// f(x) = max(0, x).
    Relu,
    /// f(x) = 1 / (1 + e^−x).
    Sigmoid,
    /// f(x) = tanh(x).
    Tanh,
    /// Row-wise e^x / Σe^x; only valid on the output layer.
    Softmax,
}

impl Activation {
    /// The stable numeric code used by the model format.
    pub fn code(self) -> u8 {
        match self {
            Activation::Identity => 0,
            Activation::Relu => 1,
            Activation::Sigmoid => 2,
            Activation::Tanh => 3,
            Activation::Softmax => 4,
        }
    }

    /// The inverse of [`Activation::code`].
    pub fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            0 => Activation::Identity,
            1 => Activation::Relu,
            2 => Activation::Sigmoid,
            3 => Activation::Tanh,
            4 => Activation::Softmax,
            _ => return Err(Error::decode(format!("activation code {code} is unknown"))),
        })
    }

    /// A short lower-case name ("relu", "sigmoid", ...).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
        }
    }

    /// Applies the activation in place to a row-major buffer of rows `width` wide.
    pub fn apply_rows(self, values: &mut [f32], width: usize) {
        match self {
            Activation::Identity => {}
            // Compare-and-select vectorises; `f32::max` is a libm call in wasm32.
            Activation::Relu => values
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Activation::Sigmoid => values.iter_mut().for_each(|v| *v = sigmoid(*v)),
            Activation::Tanh => values.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Softmax => {
                if width > 0 {
                    values.chunks_exact_mut(width).for_each(softmax_in_place);
                }
            }
        }
    }

    /// Multiplies `grad` (∂L/∂a) in place by f'(z), given the outputs `out` = f(z),
    /// turning it into ∂L/∂z. Softmax is left unchanged: its Jacobian is only
    /// used fused with cross-entropy, which hands back ∂L/∂z directly.
    pub fn backprop_in_place(self, out: &[f32], grad: &mut [f32]) {
        match self {
            Activation::Identity | Activation::Softmax => {}
            Activation::Relu => grad.iter_mut().zip(out).for_each(|(g, &a)| {
                if a <= 0.0 {
                    *g = 0.0
                }
            }),
            Activation::Sigmoid => grad
                .iter_mut()
                .zip(out)
                .for_each(|(g, &a)| *g *= a * (1.0 - a)),
            Activation::Tanh => grad
                .iter_mut()
                .zip(out)
                .for_each(|(g, &a)| *g *= 1.0 - a * a),
        }
    }
}

/// The logistic function, evaluated without overflow for any input.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Replaces a row of logits by its softmax (max-shifted, so it never overflows).
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        let inv = 1.0 / sum;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for a in [
            Activation::Identity,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Softmax,
        ] {
            assert_eq!(Activation::from_code(a.code()).unwrap(), a);
        }
        assert!(Activation::from_code(9).is_err());
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_sums_to_one_without_overflow() {
        let mut row = [1000.0f32, 1001.0, 999.0];
        softmax_in_place(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[1] > row[0] && row[0] > row[2]);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let eps = 1e-3f32;
        for act in [
            Activation::Identity,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            for &z in &[-1.7f32, -0.3, 0.4, 2.1] {
                let f = |x: f32| {
                    let mut v = [x];
                    act.apply_rows(&mut v, 1);
                    v[0]
                };
                let numeric = (f(z + eps) - f(z - eps)) / (2.0 * eps);
                let mut g = [1.0f32];
                act.backprop_in_place(&[f(z)], &mut g);
                assert!(
                    (g[0] - numeric).abs() < 2e-3,
                    "{act:?} at {z}: {} vs {numeric}",
                    g[0]
                );
            }
        }
    }
}
