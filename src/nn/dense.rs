//! One fully connected layer: `a = f(x·W + b)`.
//!
//! W is stored `inputs × outputs` (row-major), so a batch's forward pass is the
//! plain product X·W and the weight gradient is Xᵀ·dZ.
//!
//! ```
//! use localrec::nn::{Activation, Dense};
//! use localrec::rng::Rng;
//! let layer = Dense::init(3, 2, Activation::Relu, &mut Rng::new(1)).unwrap();
//! assert_eq!(layer.weights().dim(), (3, 2));
//! assert_eq!(layer.param_count(), 8);
//! ```

use super::activation::Activation;
use crate::error::{Error, Result};
use crate::rng::Rng;
use ndarray::{Array1, Array2};

/// A dense layer's parameters and activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub(crate) w: Array2<f32>,
    pub(crate) b: Array1<f32>,
    pub(crate) activation: Activation,
}

impl Dense {
    /// Fresh weights: He-normal for ReLU (std √(2/in)), Xavier-normal otherwise
    /// (std √(2/(in+out))); biases start at zero.
    pub fn init(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        rng: &mut Rng,
    ) -> Result<Self> {
        if inputs == 0 {
            return Err(Error::invalid("layer inputs", inputs, "must be at least 1"));
        }
        if outputs == 0 {
            return Err(Error::invalid("layer width", outputs, "must be at least 1"));
        }
        let std = match activation {
            Activation::Relu => (2.0 / inputs as f32).sqrt(),
            _ => (2.0 / (inputs + outputs) as f32).sqrt(),
        };
        let w = Array2::from_shape_simple_fn((inputs, outputs), || rng.normal() * std);
        Ok(Dense {
            w,
            b: Array1::zeros(outputs),
            activation,
        })
    }

    /// A layer from given weights (`inputs × outputs`) and biases (`outputs`).
    pub fn from_parts(w: Array2<f32>, b: Array1<f32>, activation: Activation) -> Result<Self> {
        let (inputs, outputs) = w.dim();
        if inputs == 0 || outputs == 0 {
            return Err(Error::shape(
                "dense weights",
                "at least 1×1",
                format!("{inputs}×{outputs}"),
            ));
        }
        if b.len() != outputs {
            return Err(Error::shape("dense bias", outputs, b.len()));
        }
        if let Some(bad) = w.iter().chain(b.iter()).find(|v| !v.is_finite()) {
            return Err(Error::invalid("dense weights", bad, "must be finite"));
        }
        Ok(Dense {
            w: w.as_standard_layout().into_owned(),
            b,
            activation,
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.w.nrows()
    }
    /// Number of outputs (the layer's width).
    pub fn outputs(&self) -> usize {
        self.w.ncols()
    }
    /// The weight matrix, `inputs × outputs`.
    pub fn weights(&self) -> &Array2<f32> {
        &self.w
    }
    /// The bias vector.
    pub fn bias(&self) -> &Array1<f32> {
        &self.b
    }
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Weights plus biases.
    pub fn param_count(&self) -> usize {
        self.w.len() + self.b.len()
    }

    /// The weights as a contiguous slice (always: the engine only builds standard-layout arrays).
    pub(crate) fn w_slice(&self) -> &[f32] {
        self.w.as_slice_memory_order().unwrap_or(&[])
    }
    pub(crate) fn b_slice(&self) -> &[f32] {
        self.b.as_slice_memory_order().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_scales_and_rejects_zero_sizes() {
        let layer = Dense::init(400, 300, Activation::Relu, &mut Rng::new(5)).unwrap();
        let var = layer.w.iter().map(|v| v * v).sum::<f32>() / layer.w.len() as f32;
        assert!((var - 2.0 / 400.0).abs() < 0.1 * 2.0 / 400.0, "{var}");
        assert!(layer.b.iter().all(|&v| v == 0.0));
        assert!(Dense::init(0, 3, Activation::Relu, &mut Rng::new(1)).is_err());
        let e = Dense::init(3, 0, Activation::Relu, &mut Rng::new(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("width"), "{e}");
    }

    #[test]
    fn from_parts_checks_shapes_and_values() {
        let w = Array2::<f32>::zeros((2, 3));
        assert!(Dense::from_parts(w.clone(), Array1::zeros(3), Activation::Tanh).is_ok());
        assert!(Dense::from_parts(w.clone(), Array1::zeros(2), Activation::Tanh).is_err());
        let mut bad = w;
        bad[[0, 0]] = f32::NAN;
        assert!(Dense::from_parts(bad, Array1::zeros(3), Activation::Tanh).is_err());
    }
}
