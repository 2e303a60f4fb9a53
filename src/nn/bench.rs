//! The reference workload of issue 3 and its timing loop, shared by the native
//! `localrec bench` command and the browser benchmark.
//!
//! Workload: 64 inputs → 64 ReLU → 32 ReLU → 1 sigmoid, BCE, Adam (lr 1e-3),
//! batch 64, 20,000 synthetic examples with a planted linear signal, 5 epochs.
//! The library has no clock of its own here (`std::time` panics on
//! wasm32-unknown-unknown): the caller passes one returning milliseconds
//! (`Instant` natively, `performance.now()` in the browser).
//!
//! ```
//! use localrec::nn::bench::{run_reference, BenchOptions};
//! let mut t = 0.0;
//! let mut fake_clock = || { t += 1.0; t };
//! let opts = BenchOptions { train_rows: 512, epochs: 1, repeats: 1, ..BenchOptions::default() };
//! let report = run_reference(&opts, &mut fake_clock).unwrap();
//! assert_eq!(report.samples_per_run, 512);
//! assert!(report.final_loss.is_finite());
//! ```

use super::activation::Activation;
use super::data::Dataset;
use super::loss::Loss;
use super::metrics::{accuracy, roc_auc};
use super::mlp::{Mlp, MlpParams, Workspace};
use super::optim::Optimizer;
use super::train::{Control, TrainConfig, Validation};
use crate::error::{Error, Result};
use crate::rng::Rng;
use ndarray::Array2;

/// Input width of the reference model.
pub const INPUTS: usize = 64;

/// A synthetic binary task: x ~ N(0, 1)^d, y = [x·w* + 0.1·ε > 0] for a fixed
/// random unit direction w* (so a linear model can reach ≈ 97 % accuracy).
pub fn planted_signal(rows: usize, dim: usize, seed: u64) -> Result<(Array2<f32>, Array2<f32>)> {
    if rows == 0 || dim == 0 {
        return Err(Error::invalid(
            "planted_signal rows × dim",
            format!("{rows}×{dim}"),
            "must be at least 1×1",
        ));
    }
    // The direction depends only on `dim`, so train and test sets share it.
    let mut dir_rng = Rng::new(0xD1EC_7104 ^ dim as u64);
    let w: Vec<f32> = (0..dim).map(|_| dir_rng.normal()).collect();
    let norm = w.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_simple_fn((rows, dim), || rng.normal());
    let y = Array2::from_shape_fn((rows, 1), |(i, _)| {
        let s: f32 = x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f32>() / norm;
        f32::from(s + 0.1 * rng.normal() > 0.0)
    });
    Ok((x, y))
}

/// The reference model: 64 → 64 ReLU → 32 ReLU → 1 sigmoid.
pub fn reference_params(seed: u64) -> MlpParams {
    MlpParams::new(INPUTS)
        .layer(64, Activation::Relu)
        .layer(32, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(seed)
}

/// The reference training configuration (no validation split: every row trains).
pub fn reference_config(epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        loss: Loss::BinaryCrossEntropy,
        optimizer: Optimizer::adam(1e-3),
        batch_size: 64,
        epochs,
        seed: Some(seed),
        validation: Validation::None,
        ..TrainConfig::default()
    }
}

/// The reference workload's data: (training set, test x, test y).
pub fn reference_workload(
    train_rows: usize,
    test_rows: usize,
    seed: u64,
) -> Result<(Dataset, Array2<f32>, Array2<f32>)> {
    let (x, y) = planted_signal(train_rows, INPUTS, seed)?;
    let (tx, ty) = planted_signal(test_rows, INPUTS, seed ^ 0x7E57)?;
    Ok((Dataset::new(x, y)?, tx, ty))
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    pub train_rows: usize,
    pub test_rows: usize,
    pub epochs: usize,
    /// Training runs (fresh model each); the median speed is reported.
    pub repeats: usize,
    /// Scoring repetitions per size; the median time is reported.
    pub score_repeats: usize,
    pub seed: u64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            train_rows: 20_000,
            test_rows: 10_000,
            epochs: 5,
            repeats: 3,
            score_repeats: 21,
            seed: 42,
        }
    }
}

/// The measured figures.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Median training throughput over the runs (examples per second).
    pub train_samples_per_sec: f64,
    /// Every run's throughput.
    pub train_samples_per_sec_runs: Vec<f64>,
    /// Examples processed per run (rows × epochs).
    pub samples_per_run: u64,
    /// Last epoch's mean training loss of the last run.
    pub final_loss: f32,
    /// Accuracy and ROC AUC on the held-out rows.
    pub test_accuracy: f32,
    pub test_auc: f32,
    /// Median milliseconds to score 1,000 and 10,000 candidates.
    pub score_1k_ms: f64,
    pub score_10k_ms: f64,
    pub param_count: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Trains and scores the reference workload, timing with `now_ms`.
pub fn run_reference(opts: &BenchOptions, now_ms: &mut dyn FnMut() -> f64) -> Result<BenchReport> {
    if opts.repeats == 0 || opts.score_repeats == 0 || opts.epochs == 0 {
        return Err(Error::invalid(
            "bench repeats/epochs",
            format!("{opts:?}"),
            "must all be at least 1",
        ));
    }
    let test_rows = opts.test_rows.max(10_000);
    let (data, test_x, test_y) = reference_workload(opts.train_rows, test_rows, opts.seed)?;
    let cfg = reference_config(opts.epochs, opts.seed);
    let mut speeds = Vec::with_capacity(opts.repeats);
    let mut model: Option<Mlp> = None;
    let mut final_loss = f32::NAN;
    for run in 0..opts.repeats {
        let mut mlp = reference_params(opts.seed + run as u64).init()?;
        let t0 = now_ms();
        let history = mlp.fit(&data, &cfg, &mut |_| Control::Continue)?;
        let ms = now_ms() - t0;
        speeds.push(history.samples as f64 / (ms.max(1e-6) / 1000.0));
        final_loss = history.last_loss().unwrap_or(f32::NAN);
        model = Some(mlp);
    }
    let Some(mlp) = model else {
        return Err(Error::Training("no benchmark run completed".into()));
    };
    let probs = mlp.predict(test_x.view())?;
    let p = probs.as_slice().unwrap_or(&[]);
    let y = test_y.as_slice().unwrap_or(&[]);
    let test_accuracy = accuracy(p, y, 0.5)?;
    let test_auc = roc_auc(p, y)?;

    let mut ws = Workspace::new();
    let mut out = vec![0.0f32; test_rows];
    let mut time_scoring = |rows: usize| -> Result<f64> {
        let x = test_x.slice(ndarray::s![..rows, ..]);
        let out = &mut out[..rows];
        mlp.predict_into(x, out, &mut ws)?; // warm-up
        let mut times = Vec::with_capacity(opts.score_repeats);
        for _ in 0..opts.score_repeats {
            let t0 = now_ms();
            mlp.predict_into(x, out, &mut ws)?;
            times.push(now_ms() - t0);
        }
        Ok(median(times))
    };
    let score_1k_ms = time_scoring(1_000)?;
    let score_10k_ms = time_scoring(10_000)?;
    Ok(BenchReport {
        train_samples_per_sec: median(speeds.clone()),
        train_samples_per_sec_runs: speeds,
        samples_per_run: (opts.train_rows * opts.epochs) as u64,
        final_loss,
        test_accuracy,
        test_auc,
        score_1k_ms,
        score_10k_ms,
        param_count: mlp.param_count(),
    })
}
