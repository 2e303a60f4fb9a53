//! A tiny seeded training run whose predictions are pinned to constants, so
//! that the browser build (wasm-bindgen-test in Firefox) can check that it
//! trains exactly like the native build (within 1e-5).
//!
//! ```
//! let p = localrec::nn::selftest::seeded_run().unwrap();
//! assert_eq!(p.len(), localrec::nn::selftest::EXPECTED.len());
//! ```

use super::activation::Activation;
use super::bench::planted_signal;
use super::data::Dataset;
use super::loss::Loss;
use super::mlp::MlpParams;
use super::optim::Optimizer;
use super::train::{Control, TrainConfig, Validation};
use crate::error::Result;

/// The predictions of [`seeded_run`] as computed natively.
/// (Measured natively on x86_64; the portable and AVX2 kernels agree bit for bit.)
pub const EXPECTED: [f32; 8] = [
    0.273_645_28,
    0.201_429_25,
    0.454_183_97,
    0.606_753_5,
    0.075_868_86,
    0.119_866_23,
    0.205_473_48,
    0.161_617_77,
];

/// Trains 6 → 8 ReLU → 4 tanh → 1 sigmoid with Adam on 96 seeded planted-signal
/// rows (10 epochs, batch 16, shuffled), then scores 8 held-out rows.
pub fn seeded_run() -> Result<Vec<f32>> {
    let (x, y) = planted_signal(104, 6, 2024)?;
    let train = Dataset::new(
        x.slice(ndarray::s![..96, ..]).to_owned(),
        y.slice(ndarray::s![..96, ..]).to_owned(),
    )?;
    let mut mlp = MlpParams::new(6)
        .layer(8, Activation::Relu)
        .layer(4, Activation::Tanh)
        .layer(1, Activation::Sigmoid)
        .seed(7)
        .init()?;
    let cfg = TrainConfig {
        loss: Loss::BinaryCrossEntropy,
        optimizer: Optimizer::adam(0.01),
        batch_size: 16,
        epochs: 10,
        seed: Some(11),
        validation: Validation::None,
        ..TrainConfig::default()
    };
    mlp.fit(&train, &cfg, &mut |_| Control::Continue)?;
    let p = mlp.predict(x.slice(ndarray::s![96.., ..]))?;
    Ok(p.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_run_matches_the_pinned_predictions() {
        let got = seeded_run().unwrap();
        assert_eq!(got.len(), EXPECTED.len());
        for (g, e) in got.iter().zip(EXPECTED.iter()) {
            assert!((g - e).abs() < 1e-5, "got {got:?}");
        }
    }
}
