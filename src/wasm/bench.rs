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
use crate::rec::{
    pretrain, BaseModel, FineTuneBudget, FineTuneReport, HistoryItem, ItemVocab, PretrainConfig,
    RankScratch, TrainingMode,
};
use crate::rng::Rng;
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

/// The real job on a synthetic catalog: a base model pretrained (outside the
/// timings) on synthetic shopping sessions over `items` items, then the
/// shopper's part — fine-tune on the local events, rank, score the catalog.
///
/// The events are item indices (a `Uint32Array`); the catalog-facing API
/// with string ids sits on top of this model in the package.
#[wasm_bindgen]
pub struct BenchCatalog {
    model: BaseModel,
    scratch: RankScratch,
    last_report: FineTuneReport,
}

#[wasm_bindgen]
impl BenchCatalog {
    /// Pretrains a base model on `sessions` seeded synthetic sessions over
    /// `items` items (clustered tastes, popular items); takes seconds.
    #[wasm_bindgen(js_name = synthetic)]
    pub fn synthetic_js(items: usize, sessions: usize, seed: u32) -> Result<BenchCatalog, JsError> {
        Self::synthetic(items, sessions, seed).map_err(to_js)
    }

    /// A shopper's `count` events (item indices) drawn from a few clusters.
    #[wasm_bindgen(js_name = shopperEvents)]
    pub fn shopper_events(&self, count: usize, seed: u32) -> Vec<u32> {
        let mut rng = Rng::new(u64::from(seed));
        synthetic_session(&mut rng, self.model.item_count(), count)
    }

    /// Fine-tunes the re-ranker on `events` (the package's browser defaults:
    /// at most 200 steps and 150 ms); returns the optimizer steps taken.
    #[wasm_bindgen(js_name = fineTune)]
    pub fn fine_tune_js(&mut self, events: &[u32]) -> Result<usize, JsError> {
        self.fine_tune(events).map_err(to_js)
    }

    /// Rows the last fine-tuning trained on (positives + negatives).
    #[wasm_bindgen(js_name = lastFineTuneRows)]
    pub fn last_fine_tune_rows(&self) -> usize {
        self.last_report.rows
    }

    /// The last fine-tuning loss (NaN if no step ran).
    #[wasm_bindgen(js_name = lastFineTuneLoss)]
    pub fn last_fine_tune_loss(&self) -> f32 {
        self.last_report.loss.unwrap_or(f32::NAN)
    }

    /// The best `k` items for `events` (candidates, re-ranked), best first.
    #[wasm_bindgen(js_name = rank)]
    pub fn rank_js(&mut self, events: &[u32], k: usize) -> Result<Vec<u32>, JsError> {
        self.rank(events, k).map_err(to_js)
    }

    /// A score for every catalog item (candidates re-ranked, the rest by popularity).
    #[wasm_bindgen(js_name = scoreAll)]
    pub fn score_all_js(&mut self, events: &[u32]) -> Result<Vec<f32>, JsError> {
        self.score_all(events).map_err(to_js)
    }

    /// Items in the catalog.
    #[wasm_bindgen(js_name = itemCount)]
    pub fn item_count(&self) -> usize {
        self.model.item_count()
    }
}

/// One synthetic session: a few taste clusters of 50 items, some popular items.
fn synthetic_session(rng: &mut Rng, items: usize, len: usize) -> Vec<u32> {
    const CLUSTER: usize = 50;
    let clusters = (items / CLUSTER).max(1);
    // Popularity: the square of a uniform number favours low indices.
    let mut pick_cluster =
        |rng: &mut Rng| ((rng.next_f64().powi(2) * clusters as f64) as usize).min(clusters - 1);
    let tastes = [pick_cluster(rng), pick_cluster(rng), pick_cluster(rng)];
    (0..len)
        .map(|_| {
            let item = if rng.next_f32() < 0.85 {
                let c = tastes[rng.below(tastes.len())];
                c * CLUSTER + (rng.next_f64().powi(2) * CLUSTER as f64) as usize
            } else {
                (rng.next_f64().powi(3) * items as f64) as usize
            };
            item.min(items - 1) as u32
        })
        .collect()
}

impl BenchCatalog {
    /// See [`BenchCatalog::synthetic_js`].
    pub fn synthetic(items: usize, sessions: usize, seed: u32) -> crate::Result<BenchCatalog> {
        if items < 2 {
            return Err(Error::invalid("items", items, "must be at least 2"));
        }
        if sessions < 10 {
            return Err(Error::invalid("sessions", sessions, "must be at least 10"));
        }
        let mut rng = Rng::new(u64::from(seed));
        let seqs: Vec<Vec<u32>> = (0..sessions)
            .map(|_| {
                let len = 3 + rng.below(12);
                synthetic_session(&mut rng, items, len)
            })
            .collect();
        let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let vocab = ItemVocab::from_ids((0..items).map(|i| format!("item-{i}")).collect())?;
        let cfg = PretrainConfig {
            epochs: 2,
            negatives: 10,
            max_pairs: 20_000,
            max_validation: 500,
            seed: u64::from(seed),
            mode: TrainingMode::SessionPrefixes,
            ..PretrainConfig::default()
        };
        let (model, _) = pretrain(&refs, vocab, None, &[], &cfg, &mut |_| {})?;
        Ok(BenchCatalog {
            model,
            scratch: RankScratch::default(),
            last_report: FineTuneReport::default(),
        })
    }

    fn history(&self, events: &[u32]) -> crate::Result<Vec<HistoryItem>> {
        let n = self.model.item_count();
        events
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                if (e as usize) < n {
                    Ok(HistoryItem::new(e))
                } else {
                    Err(Error::invalid(
                        format!("events[{i}]"),
                        e,
                        "not an item index of the catalog",
                    ))
                }
            })
            .collect()
    }

    /// See [`BenchCatalog::fine_tune_js`].
    pub fn fine_tune(&mut self, events: &[u32]) -> crate::Result<usize> {
        let history = self.history(events)?;
        let clock = crate::nn::clock::now_ms;
        let budget = FineTuneBudget::new(&clock);
        self.last_report = self.model.fine_tune(&history, &budget)?;
        Ok(self.last_report.steps)
    }

    /// See [`BenchCatalog::rank_js`].
    pub fn rank(&mut self, events: &[u32], k: usize) -> crate::Result<Vec<u32>> {
        let history = self.history(events)?;
        Ok(self
            .model
            .rank(&history, k, &mut self.scratch)?
            .iter()
            .map(|s| s.item)
            .collect())
    }

    /// See [`BenchCatalog::score_all_js`].
    pub fn score_all(&mut self, events: &[u32]) -> crate::Result<Vec<f32>> {
        self.history(events)?;
        let mut out = vec![0.0; self.model.item_count()];
        self.model.score_all(events, &mut self.scratch, &mut out)?;
        Ok(out)
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

    #[test]
    fn the_real_job_runs_on_a_small_synthetic_catalog() {
        let mut cat = super::BenchCatalog::synthetic(500, 400, 5).unwrap();
        assert_eq!(cat.item_count(), 500);
        let events = cat.shopper_events(60, 9);
        assert_eq!(events.len(), 60);
        assert!(events.iter().all(|&e| e < 500));
        let steps = cat.fine_tune(&events).unwrap();
        assert!(
            steps > 0 && cat.last_fine_tune_loss().is_finite(),
            "steps {steps}"
        );
        let top = cat.rank(&events, 20).unwrap();
        assert!(!top.is_empty() && top.len() <= 20);
        let scores = cat.score_all(&events).unwrap();
        assert_eq!(scores.len(), 500);
        assert!(scores.iter().all(|s| s.is_finite()));
        assert!(cat.rank(&[500], 5).is_err());
        assert!(super::BenchCatalog::synthetic(1, 100, 0).is_err());
    }
}
