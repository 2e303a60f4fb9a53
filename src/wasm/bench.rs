//! Benchmark hooks for `bench/index.html` (issue 9): the reference MLP of the
//! MLP issue behind a tiny JavaScript class, so the page can time localrec and
//! TensorFlow.js on the same `Float32Array`s, from JS arrays to results in JS.
//!
//! Compiled only with the `bench` cargo feature (`make bench` builds a separate
//! package with it), so the published package carries none of this.
//!
//! ```
//! # #[cfg(feature = "bench")] {
//! use localrec::wasm::bench::BenchMlp;
//! let mut mlp = BenchMlp::reference(64, 42).unwrap();
//! let x: Vec<f32> = (0..64 * 128).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
//! let y: Vec<f32> = (0..128).map(|i| (i % 2) as f32).collect();
//! let loss = mlp.fit(x.clone(), y, 1, 64, 1e-3, 7).unwrap();
//! assert!(loss.is_finite());
//! assert_eq!(mlp.predict(&x).unwrap().len(), 128);
//! # }
//! ```
#![cfg(feature = "bench")]

use super::to_js;
use crate::nn::{
    Activation, Control, Dataset, Loss, Mlp, MlpParams, Optimizer, TrainConfig, Validation,
    Workspace,
};
use crate::Error;
use ndarray::{Array2, ArrayView2};
use wasm_bindgen::prelude::*;

/// The reference model (inputs → 64 ReLU → 32 ReLU → 1 sigmoid) plus a reusable
/// scoring workspace. Training continues from the current weights and
/// optimizer state (that is how personalisation is measured).
#[wasm_bindgen]
pub struct BenchMlp {
    mlp: Mlp,
    workspace: Workspace,
}

#[wasm_bindgen]
impl BenchMlp {
    /// A freshly initialised reference model with `input_dim` inputs.
    #[wasm_bindgen(js_name = reference)]
    pub fn reference_js(input_dim: usize, seed: u32) -> Result<BenchMlp, JsError> {
        Self::reference(input_dim, seed).map_err(to_js)
    }

    /// Restores a model saved with [`BenchMlp::save`] (weights and optimizer state).
    #[wasm_bindgen(js_name = load)]
    pub fn load_js(bytes: &[u8]) -> Result<BenchMlp, JsError> {
        Self::load(bytes).map_err(to_js)
    }

    /// The model's bytes (`Mlp::to_bytes`), to reset it between repetitions.
    pub fn save(&self) -> Vec<u8> {
        self.mlp.to_bytes()
    }

    /// Trains on `x` (n × input_dim, row-major) and labels `y` (n) with BCE and
    /// Adam, shuffled mini-batches, no validation split; returns the last
    /// epoch's mean training loss.
    #[wasm_bindgen(js_name = fit)]
    pub fn fit_js(
        &mut self,
        x: Vec<f32>,
        y: Vec<f32>,
        epochs: usize,
        batch_size: usize,
        learning_rate: f32,
        seed: u32,
    ) -> Result<f32, JsError> {
        self.fit(x, y, epochs, batch_size, learning_rate, seed)
            .map_err(to_js)
    }

    /// Scores `x` (n × input_dim, row-major): n probabilities.
    #[wasm_bindgen(js_name = predict)]
    pub fn predict_js(&mut self, x: &[f32]) -> Result<Vec<f32>, JsError> {
        self.predict(x).map_err(to_js)
    }

    /// Number of trainable parameters.
    #[wasm_bindgen(js_name = paramCount)]
    pub fn param_count(&self) -> usize {
        self.mlp.param_count()
    }
}

impl BenchMlp {
    /// See [`BenchMlp::reference_js`].
    pub fn reference(input_dim: usize, seed: u32) -> crate::Result<BenchMlp> {
        let mlp = MlpParams::new(input_dim)
            .layer(64, Activation::Relu)
            .layer(32, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(u64::from(seed))
            .init()?;
        Ok(BenchMlp {
            mlp,
            workspace: Workspace::new(),
        })
    }

    /// See [`BenchMlp::load_js`].
    pub fn load(bytes: &[u8]) -> crate::Result<BenchMlp> {
        Ok(BenchMlp {
            mlp: Mlp::from_bytes(bytes)?,
            workspace: Workspace::new(),
        })
    }

    /// See [`BenchMlp::fit_js`].
    pub fn fit(
        &mut self,
        x: Vec<f32>,
        y: Vec<f32>,
        epochs: usize,
        batch_size: usize,
        learning_rate: f32,
        seed: u32,
    ) -> crate::Result<f32> {
        let rows = y.len();
        let x = self.rows(x, "x")?;
        if x.nrows() != rows {
            return Err(Error::shape(
                "y length (one label per row of x)",
                x.nrows(),
                rows,
            ));
        }
        let y = Array2::from_shape_vec((rows, 1), y)
            .map_err(|e| Error::invalid("y", rows, e.to_string()))?;
        let data = Dataset::new(x, y)?;
        let cfg = TrainConfig {
            loss: Loss::BinaryCrossEntropy,
            optimizer: Optimizer::adam(learning_rate),
            batch_size,
            epochs,
            shuffle: true,
            seed: Some(u64::from(seed)),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        let history = self.mlp.fit(&data, &cfg, &mut |_| Control::Continue)?;
        history
            .last_loss()
            .ok_or_else(|| Error::Training(format!("no epoch ran (epochs = {epochs})")))
    }

    /// See [`BenchMlp::predict_js`].
    pub fn predict(&mut self, x: &[f32]) -> crate::Result<Vec<f32>> {
        let d = self.mlp.input_dim();
        if d == 0 || x.len() % d != 0 {
            return Err(Error::shape(
                "x length (a multiple of the input width)",
                d,
                x.len(),
            ));
        }
        let view = ArrayView2::from_shape((x.len() / d, d), x)
            .map_err(|e| Error::invalid("x", x.len(), e.to_string()))?;
        let mut out = vec![0.0; view.nrows() * self.mlp.output_dim()];
        self.mlp
            .predict_into(view, out.as_mut_slice(), &mut self.workspace)?;
        Ok(out)
    }

    /// `x` as rows of the model's input width, without copying.
    fn rows(&self, x: Vec<f32>, field: &str) -> crate::Result<Array2<f32>> {
        let d = self.mlp.input_dim();
        if d == 0 || x.len() % d != 0 {
            return Err(Error::shape(
                format!("{field} length (a multiple of the input width)"),
                d,
                x.len(),
            ));
        }
        let len = x.len();
        Array2::from_shape_vec((len / d, d), x)
            .map_err(|e| Error::invalid(field, len, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::BenchMlp;

    fn planted(n: usize, d: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rng = crate::rng::Rng::new(3);
        let w: Vec<f32> = (0..d).map(|_| rng.normal() as f32).collect();
        let x: Vec<f32> = (0..n * d).map(|_| rng.next_f32() * 2.0 - 1.0).collect();
        let y = x
            .chunks(d)
            .map(|r| f32::from(r.iter().zip(&w).map(|(a, b)| a * b).sum::<f32>() > 0.0))
            .collect();
        (x, y)
    }

    #[test]
    fn learns_the_planted_signal_and_round_trips() {
        let (x, y) = planted(2000, 16);
        let mut mlp = BenchMlp::reference(16, 1).unwrap();
        let first = mlp.fit(x.clone(), y.clone(), 1, 64, 1e-2, 2).unwrap();
        let last = mlp.fit(x.clone(), y.clone(), 5, 64, 1e-2, 2).unwrap();
        assert!(last < first, "loss went from {first} to {last}");
        let p = mlp.predict(&x).unwrap();
        let correct = p
            .iter()
            .zip(&y)
            .filter(|(p, y)| (**p > 0.5) == (**y > 0.5))
            .count();
        assert!(
            correct as f32 / 2000.0 > 0.9,
            "accuracy {}",
            correct as f32 / 2000.0
        );
        let back = BenchMlp::load(&mlp.save()).unwrap();
        let mut back = back;
        assert_eq!(back.predict(&x).unwrap(), p);
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        let mut mlp = BenchMlp::reference(4, 1).unwrap();
        assert!(mlp.predict(&[1.0; 7]).is_err());
        assert!(mlp.fit(vec![0.0; 8], vec![1.0; 3], 1, 2, 1e-3, 0).is_err());
        assert!(mlp.fit(vec![0.0; 7], vec![1.0; 2], 1, 2, 1e-3, 0).is_err());
        assert!(mlp
            .fit(vec![f32::NAN; 8], vec![1.0; 2], 1, 2, 1e-3, 0)
            .is_err());
        assert!(BenchMlp::load(&[1, 2, 3]).is_err());
    }
}
