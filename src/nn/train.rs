//! The training loop: mini-batch back-propagation with explicit forward and
//! backward passes (llm.c style), buffers allocated once per `fit`.
//!
//! [`Mlp::fit`] continues from the model's current weights, so fine-tuning is
//! calling `fit` again with another [`TrainConfig`] (lower rate, frozen layers,
//! `pull_to_start`). If training fails (NaN/Inf loss, bad config), the model
//! is left exactly as it was before the call. Cancellation (the observer
//! returns [`Control::Stop`]) and the time budget are *not* errors: `fit`
//! returns the partial [`History`] with `cancelled` / `out_of_time` set, and the
//! weights as they were after the last completed batch (or the best epoch's,
//! when early stopping with `restore_best` has seen one).
//!
//! ```
//! use localrec::nn::{Activation, Control, Dataset, Loss, MlpParams, Optimizer, TrainConfig, Validation};
//! use ndarray::array;
//! let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let y = array![[0.0f32], [1.0], [1.0], [0.0]];
//! let data = Dataset::new(x.clone(), y).unwrap();
//! let mut mlp = MlpParams::new(2).layer(8, Activation::Tanh).layer(1, Activation::Sigmoid).seed(1).init().unwrap();
//! let cfg = TrainConfig {
//!     loss: Loss::BinaryCrossEntropy,
//!     optimizer: Optimizer::adam(0.05),
//!     batch_size: 4,
//!     epochs: 500,
//!     validation: Validation::None,
//!     seed: Some(7),
//!     ..TrainConfig::default()
//! };
//! let history = mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
//! assert!(history.last_loss().unwrap() < 0.1);
//! let p = mlp.predict(x.view()).unwrap();
//! assert!(p[[1, 0]] > 0.5 && p[[0, 0]] < 0.5);
//! ```

use super::activation::{sigmoid, Activation};
use super::clock;
use super::data::{argmax, check_weights, Dataset};
use super::dense::Dense;
use super::kernels::{column_sums, copy_row, gemm, pack_b_transposed, Epilogue, Rhs, Scratch, NR};
use super::loss::{bce_loss_and_grad, loss_and_grad, Loss};
use super::metrics::Metric;
use super::mlp::Mlp;
use super::optim::{update, Optimizer, OptimizerState, StepScalars};
use super::sampled::{
    check_class_labels, class_index_metric, Negatives, Proposal, SampledOutput, Sampler,
    MAX_NEGATIVES,
};
use super::schedule::{warmup_factor, ReduceOnPlateau, Schedule};
use crate::error::{check_finite, Error, Result};
use crate::rng::{random_seed, Rng};

/// Where validation data comes from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Validation {
    /// No validation: metrics and monitoring use the training set.
    None,
    /// Hold out this fraction of the data (seeded random rows). If the split
    /// would leave either side empty, training runs without validation.
    Split(f32),
    /// A given validation set.
    Data(Dataset),
    /// 20 % held out (the default).
    #[default]
    Default,
}

/// The value early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Monitor {
    /// The validation loss (the training loss without validation data).
    #[default]
    Loss,
    /// A metric on the validation set (the training set without one).
    Metric(Metric),
}

/// Stop when the monitored value has not improved by `min_delta` for
/// `patience` epochs; with `restore_best`, end with the best epoch's weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    pub monitor: Monitor,
    pub patience: usize,
    pub min_delta: f32,
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            monitor: Monitor::Loss,
            patience: 3,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

/// The training hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub loss: Loss,
    pub optimizer: Optimizer,
    /// Examples per update (default 32).
    pub batch_size: usize,
    /// Passes over the training data (default 10).
    pub epochs: usize,
    /// Reshuffle the training rows every epoch (default true).
    pub shuffle: bool,
    /// Seeds shuffling, the validation split and dropout (None: random).
    pub seed: Option<u64>,
    pub validation: Validation,
    pub early_stopping: Option<EarlyStopping>,
    /// Metrics logged per epoch (on the validation set, or the training set without one).
    pub metrics: Vec<Metric>,
    pub schedule: Schedule,
    /// Linear learning-rate warm-up over the first this-many updates of each `fit` call.
    pub warmup_steps: usize,
    /// Lowers the rate when the (validation) loss stalls.
    pub reduce_on_plateau: Option<ReduceOnPlateau>,
    /// Adds `l1·Σ|w|` to the objective (weights, not biases).
    pub l1: f32,
    /// Adds `½·l2·Σw²` (weights, not biases): gradient `l2·w`, i.e. weight decay.
    pub l2: f32,
    /// Dropout rate on every hidden layer's output, in [0, 1).
    pub dropout: f32,
    /// Rescale the gradient when its global L2 norm exceeds this.
    pub clip_norm: Option<f32>,
    /// Weight per class (2 for one output column: [negative, positive]; else one per column).
    pub class_weights: Option<Vec<f32>>,
    /// Indices of layers whose weights stay fixed.
    pub frozen_layers: Vec<usize>,
    /// Adds `½·pull·Σ(θ − θ₀)²` toward the weights training started from
    /// (fine-tuning: a few local examples cannot wreck a good base model).
    pub pull_to_start: f32,
    /// The θ₀ of `pull_to_start` (same architecture as the model). None: the
    /// weights this `fit` call starts from. Set it when one training run is
    /// split over several `fit` calls (chunks), so the pull keeps its anchor.
    pub pull_anchor: Option<Mlp>,
    /// Stop (not an error) once training has taken this many milliseconds.
    pub max_ms: Option<f64>,
    /// The clock for `max_ms` (default: [`clock::now_ms`]).
    pub clock: Option<fn() -> f64>,
    /// For [`Loss::SampledSoftmax`] with [`Sampler::Frequency`]: a relative
    /// frequency (> 0) per output class to draw negatives from (None: the
    /// training labels' counts plus one).
    pub class_frequencies: Option<Vec<f32>>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            loss: Loss::BinaryCrossEntropy,
            optimizer: Optimizer::adam(1e-3),
            batch_size: 32,
            epochs: 10,
            shuffle: true,
            seed: None,
            validation: Validation::Default,
            early_stopping: None,
            metrics: Vec::new(),
            schedule: Schedule::Constant,
            warmup_steps: 0,
            reduce_on_plateau: None,
            l1: 0.0,
            l2: 0.0,
            dropout: 0.0,
            clip_norm: None,
            class_weights: None,
            frozen_layers: Vec::new(),
            pull_to_start: 0.0,
            pull_anchor: None,
            max_ms: None,
            clock: None,
            class_frequencies: None,
        }
    }
}

/// The settings of the browser's fine-tuning for [`Mlp::fit_bce_with`]: binary
/// cross-entropy without validation, and only the optimizer, batch size,
/// epochs, shuffling, seed and `pull_to_start`/`pull_anchor` of a
/// [`TrainConfig`] (every other field keeps its default: the type allows no other).
#[derive(Debug, Clone)]
pub(crate) struct BceFit {
    cfg: TrainConfig,
}

impl BceFit {
    /// `epochs` passes in batches of `batch_size`, reshuffled every epoch, no pull.
    pub(crate) fn new(optimizer: Optimizer, batch_size: usize, epochs: usize, seed: u64) -> Self {
        BceFit {
            cfg: TrainConfig {
                loss: Loss::BinaryCrossEntropy,
                optimizer,
                batch_size,
                epochs,
                seed: Some(seed),
                validation: Validation::None,
                ..TrainConfig::default()
            },
        }
    }

    /// Keeps the rows in the order given (the caller shuffles).
    pub(crate) fn unshuffled(mut self) -> Self {
        self.cfg.shuffle = false;
        self
    }

    /// `pull_to_start` and its `pull_anchor` (None: the weights of each call's start).
    pub(crate) fn pull(mut self, strength: f32, anchor: Option<Mlp>) -> Self {
        self.cfg.pull_to_start = strength;
        self.cfg.pull_anchor = anchor;
        self
    }
}

fn non_negative(field: &str, v: f32) -> Result<()> {
    check_finite(field, v as f64)?;
    if v < 0.0 {
        return Err(Error::invalid(field, v, "must be >= 0"));
    }
    Ok(())
}

impl TrainConfig {
    /// Checks every hyper-parameter against the model and data, naming the first bad one.
    pub fn validate(&self, mlp: &Mlp, data: &Dataset) -> Result<()> {
        self.validate_for::<true>(mlp, data)
    }

    /// [`TrainConfig::validate`]; `FULL = false` (for [`Mlp::fit_plain`],
    /// which has rejected sampled softmax and plateau reduction) leaves out
    /// the checks of those two.
    fn validate_for<const FULL: bool>(&self, mlp: &Mlp, data: &Dataset) -> Result<()> {
        self.optimizer.validate()?;
        self.schedule.validate()?;
        if let Some(p) = self.reduce_on_plateau.as_ref().filter(|_| FULL) {
            p.validate()?;
        }
        self.loss.check_output(mlp.output_activation())?;
        let target_columns = self.loss.target_columns(mlp.output_dim());
        check_columns(mlp, data, target_columns)?;
        if FULL {
            self.validate_sampled(mlp)?;
        } else if self.class_frequencies.is_some() {
            return Err(Error::invalid(
                "class_frequencies",
                "given",
                "only used by Loss::SampledSoftmax with Sampler::Frequency",
            ));
        }
        check_targets(self.loss, data, "y", mlp.output_dim())?;
        if let Validation::Data(v) = &self.validation {
            check_targets(self.loss, v, "validation y", mlp.output_dim())?;
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        non_negative("l1", self.l1)?;
        non_negative("l2", self.l2)?;
        non_negative("pull_to_start", self.pull_to_start)?;
        if let Some(anchor) = &self.pull_anchor {
            check_anchor(anchor, mlp)?;
        }
        let softmax_output = mlp.output_activation() == Activation::Softmax;
        let val_offsets = match &self.validation {
            Validation::Data(v) => v.offsets().is_some(),
            _ => false,
        };
        if softmax_output && (data.offsets().is_some() || val_offsets) {
            return Err(Error::invalid(
                "offsets",
                "given",
                "a logit offset does nothing to a softmax output (it shifts every logit)",
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::invalid("dropout", self.dropout, "must be in [0, 1)"));
        }
        if let Some(c) = self.clip_norm {
            if !(c > 0.0 && c.is_finite()) {
                return Err(Error::invalid("clip_norm", c, "must be > 0"));
            }
        }
        if let Some(cw) = &self.class_weights {
            if cw.len() != data.class_count() {
                return Err(Error::shape(
                    "class_weights (one per class)",
                    data.class_count(),
                    cw.len(),
                ));
            }
            check_weights("class_weights", cw)?;
        }
        if let Some(&l) = self.frozen_layers.iter().find(|&&l| l >= mlp.layers.len()) {
            return Err(Error::invalid(
                "frozen_layers",
                l,
                format!("the network has {} layers", mlp.layers.len()),
            ));
        }
        match &self.validation {
            Validation::Split(f) if !(0.0..1.0).contains(f) => {
                return Err(Error::invalid("validation split", f, "must be in [0, 1)"))
            }
            Validation::Data(v)
                if v.input_dim() != mlp.input_dim() || v.output_dim() != target_columns =>
            {
                return Err(Error::shape(
                    "validation data columns (x, y)",
                    format!("({}, {})", mlp.input_dim(), target_columns),
                    format!("({}, {})", v.input_dim(), v.output_dim()),
                ));
            }
            _ => {}
        }
        if let Some(ms) = self.max_ms {
            if ms.is_nan() || ms <= 0.0 {
                return Err(Error::invalid("max_ms", ms, "must be > 0"));
            }
        }
        if let Some(es) = &self.early_stopping {
            non_negative("early_stopping.min_delta", es.min_delta)?;
        }
        Ok(())
    }
}

impl TrainConfig {
    /// The sampled-softmax settings, and `class_frequencies` used only there.
    fn validate_sampled(&self, mlp: &Mlp) -> Result<()> {
        let Loss::SampledSoftmax { negatives, sampler } = self.loss else {
            if self.class_frequencies.is_some() {
                return Err(Error::invalid(
                    "class_frequencies",
                    "given",
                    "only used by Loss::SampledSoftmax with Sampler::Frequency",
                ));
            }
            return Ok(());
        };
        let classes = mlp.output_dim();
        if classes < 2 {
            return Err(Error::invalid(
                "output layer width",
                classes,
                "sampled softmax needs at least 2 classes",
            ));
        }
        if negatives == 0 || negatives > MAX_NEGATIVES {
            return Err(Error::invalid(
                "negatives",
                negatives,
                format!("must be in 1..={MAX_NEGATIVES}"),
            ));
        }
        if self.class_weights.is_some() {
            return Err(Error::invalid(
                "class_weights",
                "given",
                "not supported with sampled softmax: use per-example weights",
            ));
        }
        let monitored = self.early_stopping.and_then(|e| match e.monitor {
            Monitor::Metric(m) => Some(m),
            Monitor::Loss => None,
        });
        if let Some(m) = self
            .metrics
            .iter()
            .chain(&monitored)
            .find(|m| !matches!(m, Metric::Accuracy | Metric::LogLoss))
        {
            return Err(Error::invalid(
                "metrics",
                format!("{m:?}"),
                "sampled softmax (class-index targets) supports Accuracy and LogLoss",
            ));
        }
        if let Some(f) = &self.class_frequencies {
            if sampler != Sampler::Frequency {
                return Err(Error::invalid(
                    "class_frequencies",
                    "given",
                    "only used with Sampler::Frequency",
                ));
            }
            if f.len() != classes {
                return Err(Error::shape(
                    "class_frequencies (one per output class)",
                    classes,
                    f.len(),
                ));
            }
            Proposal::from_weights(f, "class_frequencies")?;
        }
        Ok(())
    }
}

/// The training data's x and y columns against the model (y: `target_columns`).
fn check_columns(mlp: &Mlp, data: &Dataset, target_columns: usize) -> Result<()> {
    if data.input_dim() != mlp.input_dim() {
        return Err(Error::shape(
            "training data x columns",
            mlp.input_dim(),
            data.input_dim(),
        ));
    }
    if data.output_dim() != target_columns {
        return Err(Error::shape(
            "training data y columns",
            target_columns,
            data.output_dim(),
        ));
    }
    Ok(())
}

/// The `pull_anchor` has the model's layer shapes.
fn check_anchor(anchor: &Mlp, mlp: &Mlp) -> Result<()> {
    let shape = |m: &Mlp| -> Vec<(usize, usize)> {
        m.layers.iter().map(|l| (l.inputs(), l.outputs())).collect()
    };
    // As `{:?}` shows the list of pairs.
    let shape_list = |pairs: &[(usize, usize)]| -> String {
        let shown: Vec<String> = pairs
            .iter()
            .map(|&(i, o)| crate::quote::integers(&[i, o], '(', ')'))
            .collect();
        format!("[{}]", shown.join(", "))
    };
    if shape(anchor) != shape(mlp) {
        return Err(Error::shape(
            "pull_anchor layers (inputs, outputs)",
            shape_list(&shape(mlp)),
            shape_list(&shape(anchor)),
        ));
    }
    Ok(())
}

/// The targets binary cross-entropy accepts, and the rule an error states.
const BCE_TARGETS: (fn(f32) -> bool, &str) = (
    |v| (0.0..=1.0).contains(&v),
    "binary cross-entropy needs targets in [0, 1]",
);

/// Cross-entropy needs probabilities as targets: [0, 1] for BCE, ≥ 0 for
/// softmax; sampled softmax needs class indices below `classes`.
fn check_targets(loss: Loss, data: &Dataset, name: &str, classes: usize) -> Result<()> {
    let (ok, rule): (fn(f32) -> bool, &str) = match loss {
        Loss::SampledSoftmax { .. } => return check_class_labels(data.y(), classes, name),
        Loss::BinaryCrossEntropy => BCE_TARGETS,
        Loss::SoftmaxCrossEntropy => (|v| v >= 0.0, "softmax cross-entropy needs targets >= 0"),
        Loss::MeanSquaredError => return Ok(()),
    };
    check_each_target(data, name, ok, rule)
}

/// The first target `ok` rejects, named (`y[i][j]`) with `rule`.
fn check_each_target(data: &Dataset, name: &str, ok: fn(f32) -> bool, rule: &str) -> Result<()> {
    if let Some(((i, j), v)) = data.y().indexed_iter().find(|(_, v)| !ok(**v)) {
        return Err(Error::invalid(format!("{name}[{i}][{j}]"), v, rule));
    }
    Ok(())
}

/// One epoch's line of the training log.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochLog {
    /// 0-based epoch index.
    pub epoch: usize,
    /// Mean (weighted) training loss over the epoch's batches, regularizers excluded.
    pub loss: f32,
    /// Loss on the validation set, if there is one.
    pub val_loss: Option<f32>,
    /// The configured metrics (validation set, or training set without one).
    pub metrics: Vec<(Metric, f32)>,
    /// Learning rate at the end of the epoch.
    pub lr: f32,
}

/// What a `fit` call did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub epochs: Vec<EpochLog>,
    /// The epoch early stopping judged best (if it ran).
    pub best_epoch: Option<usize>,
    /// The weights were reset to `best_epoch`'s.
    pub restored_best: bool,
    pub stopped_early: bool,
    /// The observer returned [`Control::Stop`].
    pub cancelled: bool,
    /// `max_ms` ran out.
    pub out_of_time: bool,
    /// Updates applied.
    pub steps: u64,
    /// Training examples processed.
    pub samples: u64,
    /// Output-layer columns computed by the updates, summed over steps: the
    /// full width per step, or the candidate columns with sampled softmax.
    pub output_columns: u64,
    /// Rows used for training and for validation.
    pub train_rows: usize,
    pub val_rows: usize,
}

impl History {
    /// The last epoch's training loss.
    pub fn last_loss(&self) -> Option<f32> {
        self.epochs.last().map(|e| e.loss)
    }
    /// The last epoch's validation loss.
    pub fn last_val_loss(&self) -> Option<f32> {
        self.epochs.last().and_then(|e| e.val_loss)
    }
}

/// Reported to the observer after every batch and every epoch.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub epoch: usize,
    pub epochs: usize,
    /// Batches done in this epoch.
    pub batch: usize,
    pub batches: usize,
    /// Mean training loss of the epoch so far.
    pub loss: f32,
    /// Set once, at the end of each epoch.
    pub epoch_log: Option<&'a EpochLog>,
}

/// The observer's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Stop between batches; `fit` returns the partial history (`cancelled`).
    Stop,
}

/// Per-layer buffers of one training run, sized once for `cap` rows.
struct Buffers {
    cap: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    w: Vec<f32>,
    /// Per-row logit offsets of the loaded rows; used when `has_offsets`.
    offsets: Vec<f32>,
    has_offsets: bool,
    acts: Vec<Vec<f32>>,
    pre_dropout: Vec<Vec<f32>>,
    masks: Vec<Vec<f32>>,
    logits: Vec<f32>,
    deltas: Vec<Vec<f32>>,
    /// Wᵀ of each layer above the first, packed for `dX = dZ·Wᵀ`.
    packed_t: Vec<Vec<[f32; NR]>>,
    scratch: Scratch,
    /// Gradients per tensor: w₀, b₀, w₁, b₁, …
    grads: Vec<Vec<f32>>,
}

impl Buffers {
    fn new(layers: &[Dense], cap: usize, dropout: bool) -> Self {
        let input = layers.first().map_or(0, Dense::inputs);
        let output = layers.last().map_or(0, Dense::outputs);
        let widths: Vec<usize> = layers.iter().map(Dense::outputs).collect();
        let per_layer = |on: bool| -> Vec<Vec<f32>> {
            widths
                .iter()
                .map(|&w| if on { vec![0.0; cap * w] } else { Vec::new() })
                .collect()
        };
        let mut b = Buffers {
            cap,
            x: vec![0.0; cap * input],
            y: vec![0.0; cap * output],
            w: vec![1.0; cap],
            offsets: vec![0.0; cap],
            has_offsets: false,
            acts: per_layer(true),
            pre_dropout: per_layer(dropout),
            masks: per_layer(dropout),
            logits: vec![0.0; cap * output],
            deltas: per_layer(true),
            packed_t: vec![Vec::new(); layers.len()],
            scratch: Scratch::new(),
            grads: layers
                .iter()
                .flat_map(|l| [vec![0.0; l.w.len()], vec![0.0; l.b.len()]])
                .collect(),
        };
        for l in 0..layers.len() {
            b.repack(layers, l);
        }
        b
    }

    /// Re-packs Wᵀ after layer `l` changed (W itself is read in place).
    fn repack(&mut self, layers: &[Dense], l: usize) {
        if let (true, Some(layer), Some(pt)) = (l > 0, layers.get(l), self.packed_t.get_mut(l)) {
            pack_b_transposed(layer.w_slice(), layer.inputs(), layer.outputs(), pt);
        }
    }

    /// Copies the given rows of `data` (and their weights) into the batch buffers.
    fn load(&mut self, data: &Dataset, rows: &[usize], weights: &[f32]) {
        let (d, o) = (data.input_dim(), data.output_dim());
        let xs = data.x().as_slice().unwrap_or(&[]);
        let ys = data.y().as_slice().unwrap_or(&[]);
        for (i, &r) in rows.iter().enumerate() {
            copy_row(&mut self.x[i * d..(i + 1) * d], &xs[r * d..(r + 1) * d]);
            if o == 1 {
                self.y[i] = ys[r]; // one target: skip the memmove call
            } else {
                self.y[i * o..(i + 1) * o].copy_from_slice(&ys[r * o..(r + 1) * o]);
            }
            self.w[i] = weights.get(r).copied().unwrap_or(1.0);
        }
        self.has_offsets = false;
        if let Some(offsets) = data.offsets() {
            for (dst, &r) in self.offsets.iter_mut().zip(rows) {
                *dst = offsets.get(r).copied().unwrap_or(0.0);
            }
            self.has_offsets = true;
        }
    }

    /// Forward pass over the first `rows` loaded rows; dropout when `rng` is
    /// given. Without `with_output`, stops before the output layer (sampled softmax).
    /// `GENERAL = false` ([`Mlp::fit_bce`]) knows the hidden layers are ReLU,
    /// the output a sigmoid and dropout off, and carries no other code.
    fn forward<const GENERAL: bool>(
        &mut self,
        layers: &[Dense],
        rows: usize,
        dropout: f32,
        mut rng: Option<&mut Rng>,
        with_output: bool,
    ) {
        let last = layers.len().saturating_sub(1);
        for (l, layer) in layers.iter().enumerate() {
            let (k, n) = (layer.inputs(), layer.outputs());
            let (before, after) = self.acts.split_at_mut(l);
            let input: &[f32] = if l == 0 {
                &self.x[..rows * k]
            } else {
                &before[l - 1][..rows * k]
            };
            let act = layer.activation();
            let Some(out) = after.first_mut() else { return };
            let out = &mut out[..rows * n];
            if l == last && !with_output {
                return;
            }
            if l == last {
                let logits = &mut self.logits[..rows * n];
                gemm(
                    rows,
                    n,
                    k,
                    input,
                    false,
                    Rhs::RowMajor(layer.w_slice()),
                    logits,
                    Epilogue::Bias(layer.b_slice()),
                    &mut self.scratch,
                );
                if self.has_offsets {
                    // The prior: the loss and the activation see z + offset.
                    for (row, &o) in logits.chunks_exact_mut(n).zip(&self.offsets[..rows]) {
                        row.iter_mut().for_each(|z| *z += o);
                    }
                }
                out.copy_from_slice(logits);
                if GENERAL {
                    act.apply_rows(out, n);
                } else {
                    out.iter_mut().for_each(|v| *v = sigmoid(*v));
                }
                continue;
            }
            if !GENERAL || act == Activation::Relu {
                gemm(
                    rows,
                    n,
                    k,
                    input,
                    false,
                    Rhs::RowMajor(layer.w_slice()),
                    out,
                    Epilogue::BiasRelu(layer.b_slice()),
                    &mut self.scratch,
                );
            } else {
                gemm(
                    rows,
                    n,
                    k,
                    input,
                    false,
                    Rhs::RowMajor(layer.w_slice()),
                    out,
                    Epilogue::Bias(layer.b_slice()),
                    &mut self.scratch,
                );
                act.apply_rows(out, n);
            }
            if let Some(rng) = rng.as_deref_mut().filter(|_| GENERAL) {
                if dropout > 0.0 {
                    let keep_scale = 1.0 / (1.0 - dropout);
                    let pre = &mut self.pre_dropout[l][..rows * n];
                    let mask = &mut self.masks[l][..rows * n];
                    pre.copy_from_slice(out);
                    for (m, a) in mask.iter_mut().zip(out.iter_mut()) {
                        *m = if rng.next_f32() < dropout {
                            0.0
                        } else {
                            keep_scale
                        };
                        *a *= *m;
                    }
                }
            }
        }
    }

    /// Backward pass from `deltas[last]` (∂L/∂logits) down to layer `lowest`,
    /// filling `grads` for layers `lowest..`.
    /// `GENERAL = false`: ReLU hidden layers and no dropout, as in [`Buffers::forward`].
    fn backward<const GENERAL: bool>(
        &mut self,
        layers: &[Dense],
        rows: usize,
        lowest: usize,
        dropout_active: bool,
    ) {
        for l in (lowest..layers.len()).rev() {
            let Some(layer) = layers.get(l) else { continue };
            let (k, n) = (layer.inputs(), layer.outputs());
            let input: &[f32] = if l == 0 {
                &self.x[..rows * k]
            } else {
                &self.acts[l - 1][..rows * k]
            };
            let (lower, upper) = self.deltas.split_at_mut(l);
            let delta = &upper[0][..rows * n];
            let (gw, gb) = self.grads.split_at_mut(2 * l + 1);
            gemm(
                k,
                n,
                rows,
                input,
                true,
                Rhs::RowMajor(delta),
                &mut gw[2 * l],
                Epilogue::None,
                &mut self.scratch,
            );
            column_sums(delta, n, &mut gb[0]);
            if l > lowest {
                let prev = &layers[l - 1];
                let below = &mut lower[l - 1][..rows * k];
                let act_prev = &self.acts[l - 1][..rows * k];
                let epilogue = if !GENERAL || prev.activation() == Activation::Relu {
                    Epilogue::ReluMask(act_prev)
                } else {
                    Epilogue::None
                };
                gemm(
                    rows,
                    k,
                    n,
                    delta,
                    false,
                    Rhs::Packed(&self.packed_t[l]),
                    below,
                    epilogue,
                    &mut self.scratch,
                );
                if GENERAL && dropout_active {
                    below
                        .iter_mut()
                        .zip(&self.masks[l - 1][..rows * k])
                        .for_each(|(g, m)| *g *= m);
                }
                if GENERAL && prev.activation() != Activation::Relu {
                    let outputs = if dropout_active {
                        &self.pre_dropout[l - 1][..rows * k]
                    } else {
                        act_prev
                    };
                    prev.activation().backprop_in_place(outputs, below);
                }
            }
        }
    }

    /// Loss sum over the loaded rows, and ∂(mean loss)/∂logits into `deltas[last]`.
    /// `GENERAL = false`: binary cross-entropy only.
    fn loss_and_delta<const GENERAL: bool>(
        &mut self,
        layers: &[Dense],
        loss: Loss,
        rows: usize,
        with_grad: bool,
    ) -> f64 {
        let Some(last) = layers.last() else {
            return 0.0;
        };
        let n = last.outputs();
        let li = layers.len() - 1;
        let grad = if with_grad {
            Some(&mut self.deltas[li][..rows * n])
        } else {
            None
        };
        let (logits, outputs) = (&self.logits[..rows * n], &self.acts[li][..rows * n]);
        let (targets, weights, scale) = (&self.y[..rows * n], &self.w[..rows], 1.0 / rows as f32);
        if GENERAL {
            let act = last.activation();
            loss_and_grad(loss, act, logits, outputs, targets, weights, n, scale, grad)
        } else {
            bce_loss_and_grad(logits, outputs, targets, weights, n, scale, grad)
        }
    }
}

/// The sampled-softmax path, taken only for [`Loss::SampledSoftmax`].
impl Buffers {
    /// Forward to the last hidden layer, the output layer on the batch's
    /// candidate columns only, the sampled loss, and the backward pass down to
    /// layer `lowest`: hidden layers' gradients land in `grads`, the candidate
    /// columns' in `sm.grad`. Returns Σ wᵢ·lᵢ over the batch.
    #[allow(clippy::too_many_arguments)]
    fn sampled_pass(
        &mut self,
        layers: &[Dense],
        sm: &mut SampledOutput,
        rows: usize,
        dropout: f32,
        dropout_rng: Option<&mut Rng>,
        negatives: Negatives<'_>,
        lowest: usize,
    ) -> Result<f64> {
        let Some(output) = layers.last() else {
            return Ok(0.0);
        };
        let last = layers.len() - 1;
        let dropout_active = dropout > 0.0 && dropout_rng.is_some();
        self.forward::<true>(layers, rows, dropout, dropout_rng, false);
        sm.choose(&self.y[..rows], negatives)?;
        sm.gather(output);
        let k = output.inputs();
        let input: &[f32] = if last == 0 {
            &self.x[..rows * k]
        } else {
            &self.acts[last - 1][..rows * k]
        };
        let scale = 1.0 / rows.max(1) as f32;
        let loss = sm.forward_loss(input, rows, k, &self.w[..rows], scale, &mut self.scratch);
        if last <= lowest {
            sm.backward(input, rows, k, None, &mut self.scratch);
            return Ok(loss);
        }
        let prev = &layers[last - 1];
        let relu = prev.activation() == Activation::Relu;
        let below = &mut self.deltas[last - 1][..rows * k];
        sm.backward(
            input,
            rows,
            k,
            Some((below, relu.then_some(input))),
            &mut self.scratch,
        );
        if dropout_active {
            below
                .iter_mut()
                .zip(&self.masks[last - 1][..rows * k])
                .for_each(|(g, m)| *g *= m);
        }
        if !relu {
            let outputs = if dropout_active {
                &self.pre_dropout[last - 1][..rows * k]
            } else {
                input
            };
            prev.activation().backprop_in_place(outputs, below);
        }
        self.backward::<true>(&layers[..last], rows, lowest, dropout_active);
        Ok(loss)
    }
}

/// The output layer's optimizer moments (first w, first b, second w, second b).
fn output_moments(state: &mut OptimizerState, last: usize) -> [&mut [f32]; 4] {
    let (first_w, first_b) = tensor_pair(&mut state.first, 2 * last);
    let (second_w, second_b) = tensor_pair(&mut state.second, 2 * last);
    [first_w, first_b, second_w, second_b]
}

fn tensor_pair(tensors: &mut [Vec<f32>], t: usize) -> (&mut [f32], &mut [f32]) {
    match tensors.get_mut(t..t + 2) {
        Some([w, b]) => (w.as_mut_slice(), b.as_mut_slice()),
        _ => (&mut [], &mut []),
    }
}

/// `½·l2·Σw² + l1·Σ|w| + ½·pull·Σ(θ − θ₀)²`, and its gradient added to `grads`
/// (`GENERAL = false`: the pull only, [`Mlp::fit_bce`] has checked l1 = l2 = 0).
fn regularize<const GENERAL: bool>(
    layers: &[Dense],
    start: Option<&[Dense]>,
    cfg: &TrainConfig,
    trainable: &[bool],
    grads: &mut [Vec<f32>],
) -> f64 {
    let mut value = 0.0f64;
    for (l, layer) in layers.iter().enumerate() {
        if !trainable.get(l).copied().unwrap_or(false) {
            continue;
        }
        let (gw, gb) = grads.split_at_mut(2 * l + 1);
        let gw = &mut gw[2 * l];
        let gb = &mut gb[0];
        if GENERAL && (cfg.l2 > 0.0 || cfg.l1 > 0.0) {
            for (g, &w) in gw.iter_mut().zip(layer.w_slice()) {
                *g += cfg.l2 * w + cfg.l1 * w.signum() * f32::from(w != 0.0);
                value += 0.5 * cfg.l2 as f64 * (w * w) as f64 + cfg.l1 as f64 * w.abs() as f64;
            }
        }
        if cfg.pull_to_start > 0.0 {
            if let Some(s) = start.and_then(|s| s.get(l)) {
                let p = cfg.pull_to_start;
                for ((g, &w), &w0) in gw.iter_mut().zip(layer.w_slice()).zip(s.w_slice()) {
                    *g += p * (w - w0);
                    value += 0.5 * p as f64 * ((w - w0) * (w - w0)) as f64;
                }
                for ((g, &b), &b0) in gb.iter_mut().zip(layer.b_slice()).zip(s.b_slice()) {
                    *g += p * (b - b0);
                    value += 0.5 * p as f64 * ((b - b0) * (b - b0)) as f64;
                }
            }
        }
    }
    value
}

/// Per-row weights: the dataset's weights times the class weights (empty = all 1).
fn example_weights(data: &Dataset, class_weights: Option<&[f32]>) -> Vec<f32> {
    if data.weights().is_none() && class_weights.is_none() {
        return Vec::new();
    }
    let labels = class_weights.map(|_| data.class_labels());
    (0..data.len())
        .map(|i| {
            let w = data
                .weights()
                .and_then(|w| w.get(i).copied())
                .unwrap_or(1.0);
            let c = match (class_weights, &labels) {
                (Some(cw), Some(lab)) => {
                    lab.get(i).and_then(|&k| cw.get(k)).copied().unwrap_or(1.0)
                }
                _ => 1.0,
            };
            w * c
        })
        .collect()
}

/// Loss and outputs of the model on the given rows (no dropout), in chunks of the buffer size.
fn evaluate(
    buf: &mut Buffers,
    layers: &[Dense],
    loss: Loss,
    data: &Dataset,
    rows: &[usize],
    weights: &[f32],
) -> (f64, Vec<f32>) {
    let out_dim = layers.last().map_or(0, Dense::outputs);
    let li = layers.len().saturating_sub(1);
    let mut total = 0.0f64;
    let mut weight_sum = 0.0f64;
    let mut outputs = Vec::with_capacity(rows.len() * out_dim);
    for chunk in rows.chunks(buf.cap.max(1)) {
        buf.load(data, chunk, weights);
        buf.forward::<true>(layers, chunk.len(), 0.0, None, true);
        total += buf.loss_and_delta::<true>(layers, loss, chunk.len(), false);
        weight_sum += chunk.len() as f64;
        outputs.extend_from_slice(&buf.acts[li][..chunk.len() * out_dim]);
    }
    (total / weight_sum.max(1.0), outputs)
}

/// A metric over outputs (n × width) and targets; softmax outputs use the
/// arg-max for accuracy and the categorical cross-entropy for log loss.
fn metric_value(
    metric: Metric,
    softmax: bool,
    outputs: &[f32],
    data: &Dataset,
    rows: &[usize],
) -> Result<f32> {
    let width = data.output_dim();
    let ys = data.y().as_slice().unwrap_or(&[]);
    if softmax && width == 1 && !rows.is_empty() && outputs.len() > rows.len() {
        // Sampled softmax: one class index per row, full-softmax outputs.
        let labels: Vec<f32> = rows
            .iter()
            .map(|&r| ys.get(r).copied().unwrap_or(0.0))
            .collect();
        return class_index_metric(metric, outputs, outputs.len() / rows.len(), &labels);
    }
    let targets: Vec<f32> = rows
        .iter()
        .flat_map(|&r| ys[r * width..(r + 1) * width].iter().copied())
        .collect();
    if softmax && width > 1 {
        let pairs = outputs.chunks_exact(width).zip(targets.chunks_exact(width));
        let n = rows.len().max(1) as f64;
        match metric {
            Metric::Accuracy => {
                let hits = pairs
                    .filter(|(p, y)| argmax(p.iter().copied()) == argmax(y.iter().copied()))
                    .count();
                return Ok((hits as f64 / n) as f32);
            }
            Metric::LogLoss => {
                let total: f64 = pairs
                    .map(|(p, y)| {
                        y.iter()
                            .zip(p)
                            .map(|(&yk, &pk)| -(yk as f64) * (pk.max(1e-7) as f64).ln())
                            .sum::<f64>()
                    })
                    .sum();
                return Ok((total / n) as f32);
            }
            _ => {}
        }
    }
    metric.compute(outputs, &targets)
}

/// Tracks the best value of a monitored quantity.
struct Best {
    value: f32,
    epoch: usize,
    wait: usize,
}

fn improved(value: f32, best: Option<&Best>, higher_is_better: bool, min_delta: f32) -> bool {
    match best {
        None => value.is_finite(),
        Some(b) => {
            if higher_is_better {
                value > b.value + min_delta
            } else {
                value < b.value - min_delta
            }
        }
    }
}

impl Mlp {
    /// Trains the network on `data`, continuing from its current weights and
    /// optimizer state (see the module docs of [`crate::nn::train`]).
    ///
    /// `observer` is called after every batch and every epoch; returning
    /// [`Control::Stop`] cancels between batches (`History::cancelled`, not an
    /// error). Errors: bad hyper-parameters or shapes (named), and
    /// `Error::Training` when the loss becomes NaN/Inf — the weights are then
    /// rolled back to what they were before the call.
    pub fn fit(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<History> {
        cfg.validate(self, data)?;
        self.fit_rolling_back::<true, true>(data, cfg, observer)
    }

    /// [`Mlp::fit`] for configurations without validation data
    /// ([`Validation::None`]), metrics, early stopping, `reduce_on_plateau`
    /// or [`Loss::SampledSoftmax`] (each is an error naming the field): the
    /// same steps, so the same weights and history as `fit`, from a copy of
    /// the training loop compiled without those features (13.3 KB of the
    /// gzipped package when the browser's fine-tuning called it, measured;
    /// it now calls the narrower [`Mlp::fit_bce`]).
    pub fn fit_plain(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<History> {
        self.check_plain(cfg)?;
        cfg.validate_for::<false>(self, data)?;
        self.fit_rolling_back::<false, true>(data, cfg, observer)
    }

    /// The features [`Mlp::fit_plain`] leaves out, each an error naming its field.
    fn check_plain(&self, cfg: &TrainConfig) -> Result<()> {
        let unsupported = "not supported by fit_plain (use fit)";
        if !matches!(cfg.validation, Validation::None) {
            let shown = match cfg.validation {
                Validation::Split(_) => "Split",
                Validation::Data(_) => "Data",
                _ => "Default",
            };
            return Err(Error::invalid("validation", shown, unsupported));
        }
        if !cfg.metrics.is_empty() {
            return Err(Error::invalid("metrics", cfg.metrics.len(), unsupported));
        }
        if cfg.early_stopping.is_some() {
            return Err(Error::invalid("early_stopping", "Some", unsupported));
        }
        if cfg.reduce_on_plateau.is_some() {
            return Err(Error::invalid("reduce_on_plateau", "Some", unsupported));
        }
        if matches!(cfg.loss, Loss::SampledSoftmax { .. }) {
            return Err(Error::invalid("loss", "SampledSoftmax", unsupported));
        }
        Ok(())
    }

    /// [`Mlp::fit_plain`] for binary cross-entropy on ReLU hidden layers and
    /// a sigmoid output, with the optimizer (SGD or Adam), batch size, epochs,
    /// shuffling, seed, frozen layers, `pull_to_start`/`pull_anchor`, example
    /// weights, logit offsets, `max_ms` and the observer read from `cfg`.
    /// Any other loss or hidden activation, or a dropout, `clip_norm`,
    /// `class_weights`, `l1`, `l2`, schedule or warm-up, is an error naming
    /// the field (besides everything `fit_plain` rejects). It takes the same
    /// steps to the same weights, bit for bit, as `fit_plain`, from a copy of
    /// the training loop compiled without the features it rejects: the
    /// browser's fine-tuning (the recommender's head, the base model's
    /// re-ranker) runs only this loop, through a crate-private entry that
    /// takes the settings it uses and checks them as this does.
    pub fn fit_bce(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<History> {
        self.check_plain(cfg)?;
        let unsupported = "not supported by fit_bce (use fit_plain)";
        if cfg.loss != Loss::BinaryCrossEntropy {
            return Err(Error::invalid("loss", cfg.loss.describe(), unsupported));
        }
        self.check_relu_hidden()?;
        if cfg.dropout != 0.0 {
            return Err(Error::invalid("dropout", cfg.dropout, unsupported));
        }
        if let Some(c) = cfg.clip_norm {
            return Err(Error::invalid("clip_norm", c, unsupported));
        }
        if cfg.class_weights.is_some() {
            return Err(Error::invalid("class_weights", "Some", unsupported));
        }
        if cfg.l1 != 0.0 {
            return Err(Error::invalid("l1", cfg.l1, unsupported));
        }
        if cfg.l2 != 0.0 {
            return Err(Error::invalid("l2", cfg.l2, unsupported));
        }
        if cfg.schedule != Schedule::Constant {
            let shown = match cfg.schedule {
                Schedule::Step { .. } => "Step",
                Schedule::Exponential { .. } => "Exponential",
                _ => "Cosine",
            };
            return Err(Error::invalid("schedule", shown, unsupported));
        }
        if cfg.warmup_steps != 0 {
            return Err(Error::invalid(
                "warmup_steps",
                cfg.warmup_steps,
                unsupported,
            ));
        }
        cfg.validate_for::<false>(self, data)?;
        self.fit_rolling_back::<false, false>(data, cfg, observer)
    }

    /// [`Mlp::fit_bce`] trains ReLU hidden layers only: the first other one, named.
    fn check_relu_hidden(&self) -> Result<()> {
        let hidden = self.layers.len().saturating_sub(1);
        let not_relu = self.layers[..hidden]
            .iter()
            .position(|l| l.activation() != Activation::Relu);
        if let Some(l) = not_relu {
            let name = self.layers[l].activation().name();
            let field = format!("layer {l} activation");
            return Err(Error::invalid(
                field,
                name,
                "fit_bce trains ReLU hidden layers only",
            ));
        }
        Ok(())
    }

    /// [`Mlp::fit_bce`] with the settings of a [`BceFit`]: the same checks of
    /// those settings (same order, same messages) and the same training loop,
    /// without checking the [`TrainConfig`] fields a `BceFit` cannot set (they
    /// are their defaults). The browser's fine-tuning calls this, so the
    /// WebAssembly does not link the checks and messages of the features
    /// `fit_bce` rejects.
    pub(crate) fn fit_bce_with(
        &mut self,
        data: &Dataset,
        fit: &BceFit,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<History> {
        let cfg = &fit.cfg;
        self.check_relu_hidden()?;
        // `validate_for::<false>`'s checks of what a `BceFit` can set, in its order.
        cfg.optimizer.validate()?;
        Loss::BinaryCrossEntropy.check_output(self.output_activation())?;
        check_columns(self, data, self.output_dim())?;
        let (ok, rule) = BCE_TARGETS;
        check_each_target(data, "y", ok, rule)?;
        if cfg.batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        non_negative("pull_to_start", cfg.pull_to_start)?;
        if let Some(anchor) = &cfg.pull_anchor {
            check_anchor(anchor, self)?;
        }
        self.fit_rolling_back::<false, false>(data, cfg, observer)
    }

    /// Runs the training loop; on an error the weights and optimizer state
    /// are rolled back to what they were before the call. Not inlined: the
    /// training loop stays one function of its own in the WebAssembly, as it was
    /// before the size round (the browser's compiler sees the same function).
    #[inline(never)]
    fn fit_rolling_back<const FULL: bool, const GENERAL: bool>(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
    ) -> Result<History> {
        let before_layers = self.layers.clone();
        let before_state = self.state.clone();
        let anchor = cfg
            .pull_anchor
            .as_ref()
            .map_or(before_layers.as_slice(), |m| m.layers.as_slice());
        let result = self.fit_inner::<FULL, GENERAL>(data, cfg, observer, anchor);
        if result.is_err() {
            self.layers = before_layers;
            self.state = before_state;
        }
        self.repack();
        result
    }

    /// The training loop. `FULL = false` compiles out validation, metrics,
    /// early stopping, plateau reduction and sampled softmax (which
    /// [`Mlp::fit_plain`] has checked are off, so both give the same result).
    fn fit_inner<const FULL: bool, const GENERAL: bool>(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        observer: &mut dyn FnMut(&Progress<'_>) -> Control,
        start_layers: &[Dense],
    ) -> Result<History> {
        let mut rng = Rng::new(cfg.seed.unwrap_or_else(random_seed));
        let clock = cfg.clock.unwrap_or(clock::now_ms);
        let started = cfg.max_ms.map(|_| clock());

        // Train/validation rows.
        let mut all: Vec<usize> = (0..data.len()).collect();
        let split = match cfg.validation {
            Validation::Split(f) if FULL => f,
            Validation::Default if FULL => 0.2,
            _ => 0.0,
        };
        let mut val_rows: Vec<usize> = Vec::new();
        let n_val = (data.len() as f64 * split as f64).round() as usize;
        if n_val >= 1 && n_val < data.len() {
            rng.shuffle(&mut all);
            val_rows = all.split_off(data.len() - n_val);
            all.sort_unstable();
            val_rows.sort_unstable();
        }
        let mut train_rows = all;
        let class_weights = cfg.class_weights.as_deref().filter(|_| GENERAL);
        let weights = example_weights(data, class_weights);
        let (val_data, val_weights, val_rows) = match &cfg.validation {
            _ if !FULL => (None, Vec::new(), Vec::new()),
            Validation::Data(v) => (
                Some(v),
                example_weights(v, class_weights),
                (0..v.len()).collect(),
            ),
            _ if !val_rows.is_empty() => (Some(data), weights.clone(), val_rows),
            _ => (None, Vec::new(), Vec::new()),
        };

        // Which layers learn; the backward pass stops at the lowest one.
        let trainable: Vec<bool> = (0..self.layers.len())
            .map(|l| !cfg.frozen_layers.contains(&l))
            .collect();
        let lowest = trainable
            .iter()
            .position(|&t| t)
            .unwrap_or(self.layers.len());
        let sizes: Vec<usize> = self
            .layers
            .iter()
            .flat_map(|l| [l.w.len(), l.b.len()])
            .collect();
        let state_fits = self
            .state
            .as_ref()
            .is_some_and(|s| s.fits(&cfg.optimizer, &sizes));
        if !state_fits {
            self.state = Some(OptimizerState::new(&cfg.optimizer, &sizes));
        }
        let mut state = self
            .state
            .take()
            .unwrap_or_else(|| OptimizerState::new(&cfg.optimizer, &sizes));

        let cap = cfg
            .batch_size
            .min(train_rows.len().max(val_rows.len()).max(1));
        let dropout = if GENERAL { cfg.dropout } else { 0.0 };
        let mut buf = Buffers::new(&self.layers, cap, dropout > 0.0);
        let base_lr = cfg.optimizer.learning_rate();
        let mut plateau_factor = 1.0f32;
        let mut plateau_best: Option<Best> = None;
        let mut stop_best: Option<Best> = None;
        let mut best_layers: Option<Vec<Dense>> = None;
        let softmax = self.output_activation() == Activation::Softmax;
        let mut history = History {
            train_rows: train_rows.len(),
            val_rows: val_rows.len(),
            ..History::default()
        };
        let batches = train_rows.len().div_ceil(cfg.batch_size);
        let mut lr = base_lr;
        // Sampled softmax: the output layer is computed and updated on the
        // batch's candidate columns only, apart from the other layers.
        let last = self.layers.len().saturating_sub(1);
        let mut sampled = match cfg.loss {
            Loss::SampledSoftmax { negatives, sampler } if FULL => {
                let labels = train_rows
                    .iter()
                    .map(|&r| data.y().get((r, 0)).copied().unwrap_or(0.0));
                let frequencies = cfg.class_frequencies.as_deref();
                let classes = self.output_dim();
                let sm =
                    SampledOutput::for_training(classes, negatives, sampler, frequencies, labels)?;
                Some((sm, rng.fork()))
            }
            _ => None,
        };
        let output_learns = trainable.get(last).copied().unwrap_or(false);
        let dense_trainable: Vec<bool> = (0..self.layers.len())
            .map(|l| trainable[l] && !(sampled.is_some() && l == last))
            .collect();

        'epochs: for epoch in 0..cfg.epochs {
            if cfg.shuffle {
                rng.shuffle(&mut train_rows);
            }
            let mut epoch_loss = 0.0f64;
            let mut epoch_rows = 0usize;
            for (b, rows) in train_rows.chunks(cfg.batch_size).enumerate() {
                let n = rows.len();
                buf.load(data, rows, &weights);
                if let Some(next) = train_rows.chunks(cfg.batch_size).nth(b + 1) {
                    touch_rows(data, next);
                }
                let dropout_rng = if dropout > 0.0 { Some(&mut rng) } else { None };
                let loss_sum = if let Some((sm, negatives_rng)) = sampled.as_mut().filter(|_| FULL)
                {
                    let negatives = Negatives::Draw(negatives_rng);
                    buf.sampled_pass(&self.layers, sm, n, dropout, dropout_rng, negatives, lowest)?
                } else {
                    buf.forward::<GENERAL>(&self.layers, n, dropout, dropout_rng, true);
                    buf.loss_and_delta::<GENERAL>(&self.layers, cfg.loss, n, true)
                };
                if !loss_sum.is_finite() {
                    return Err(Error::Training(format!(
                        "the loss became {} at epoch {epoch}, batch {b}: lower the learning rate, \
                         add clip_norm, or scale the inputs",
                        crate::fmtnum::Num(loss_sum)
                    )));
                }
                if !FULL || sampled.is_none() {
                    buf.backward::<GENERAL>(&self.layers, n, lowest, dropout > 0.0);
                }
                regularize::<GENERAL>(
                    &self.layers,
                    Some(start_layers),
                    cfg,
                    &dense_trainable,
                    &mut buf.grads,
                );
                let mut sampled_grad: &mut [f32] = &mut [];
                if let Some((sm, _)) = sampled.as_mut().filter(|_| FULL && output_learns) {
                    let (k, start) = (self.layers[last].inputs(), start_layers.get(last));
                    sm.regularize(k, cfg.l1, cfg.l2, cfg.pull_to_start, start);
                    sampled_grad = &mut sm.grad;
                }
                if let Some(max_norm) = cfg.clip_norm.filter(|_| GENERAL) {
                    clip(&mut buf.grads, &dense_trainable, max_norm, sampled_grad);
                }
                if GENERAL {
                    lr = base_lr
                        * cfg.schedule.factor(epoch)
                        * warmup_factor(history.steps, cfg.warmup_steps)
                        * plateau_factor;
                } // else the factors are all 1 (checked by fit_bce): lr stays base_lr
                state.step += 1;
                let scalars = StepScalars::new(&cfg.optimizer, lr, state.step);
                for (l, &learns) in dense_trainable.iter().enumerate() {
                    if !learns {
                        continue;
                    }
                    let layer = &mut self.layers[l];
                    let (w, b) = (&mut layer.w, &mut layer.b);
                    let tensors = [
                        (2 * l, w.as_slice_memory_order_mut()),
                        (2 * l + 1, b.as_slice_memory_order_mut()),
                    ];
                    for (t, params) in tensors {
                        let Some(params) = params else { continue };
                        let first = &mut state.first[t];
                        let second = state
                            .second
                            .get_mut(t)
                            .map_or(&mut [][..], |v| v.as_mut_slice());
                        update(
                            &cfg.optimizer,
                            scalars,
                            params,
                            &buf.grads[t],
                            first,
                            second,
                        );
                    }
                    buf.repack(&self.layers, l);
                }
                if let Some((sm, _)) = sampled.as_mut().filter(|_| FULL && output_learns) {
                    let moments = output_moments(&mut state, last);
                    sm.update(&cfg.optimizer, scalars, &mut self.layers[last], moments);
                }
                epoch_loss += loss_sum;
                epoch_rows += n;
                history.steps += 1;
                history.samples += n as u64;
                history.output_columns += sampled
                    .as_ref()
                    .filter(|_| FULL)
                    .map_or(self.output_dim(), |(sm, _)| sm.width())
                    as u64;
                let progress = Progress {
                    epoch,
                    epochs: cfg.epochs,
                    batch: b + 1,
                    batches,
                    loss: (epoch_loss / epoch_rows as f64) as f32,
                    epoch_log: None,
                };
                if observer(&progress) == Control::Stop {
                    history.cancelled = true;
                    break 'epochs;
                }
                if let (Some(limit), Some(t0)) = (cfg.max_ms, started) {
                    if clock() - t0 >= limit {
                        history.out_of_time = true;
                        break 'epochs;
                    }
                }
            }

            // End of epoch: validation loss, metrics, monitoring.
            if FULL && sampled.is_some() {
                buf.repack(&self.layers, last); // keep the packed Wᵀ in step with the column updates
            }
            let loss = (epoch_loss / epoch_rows.max(1) as f64) as f32;
            let (val_loss, outputs) = match val_data {
                Some(v) if FULL => {
                    let (l, o) =
                        evaluate(&mut buf, &self.layers, cfg.loss, v, &val_rows, &val_weights);
                    (Some(l as f32), o)
                }
                _ => (None, Vec::new()),
            };
            let monitor_metric = cfg.early_stopping.and_then(|e| match e.monitor {
                Monitor::Metric(m) => Some(m),
                Monitor::Loss => None,
            });
            let wanted: Vec<Metric> = cfg.metrics.iter().copied().chain(monitor_metric).collect();
            let mut metrics = Vec::new();
            if FULL && !wanted.is_empty() {
                let (src, rows, outs) = match val_data {
                    Some(v) => (v, val_rows.clone(), outputs),
                    None => {
                        let mut sorted = train_rows.clone();
                        sorted.sort_unstable();
                        let (_, o) =
                            evaluate(&mut buf, &self.layers, cfg.loss, data, &sorted, &weights);
                        (data, sorted, o)
                    }
                };
                for m in &wanted {
                    if !metrics.iter().any(|(k, _)| k == m) {
                        metrics.push((*m, metric_value(*m, softmax, &outs, src, &rows)?));
                    }
                }
            }
            let log = EpochLog {
                epoch,
                loss,
                val_loss,
                metrics,
                lr,
            };
            let monitored_loss = val_loss.unwrap_or(loss);

            if let Some(p) = cfg.reduce_on_plateau.as_ref().filter(|_| FULL) {
                if improved(monitored_loss, plateau_best.as_ref(), false, p.min_delta) {
                    plateau_best = Some(Best {
                        value: monitored_loss,
                        epoch,
                        wait: 0,
                    });
                } else if let Some(best) = plateau_best.as_mut() {
                    best.wait += 1;
                    if best.wait > p.patience {
                        plateau_factor = (plateau_factor * p.factor).max(p.min_lr / base_lr);
                        best.wait = 0;
                    }
                }
            }
            let mut stop = false;
            if let Some(es) = cfg.early_stopping.as_ref().filter(|_| FULL) {
                let (value, higher) = match es.monitor {
                    Monitor::Loss => (monitored_loss, false),
                    Monitor::Metric(m) => (
                        log.metrics
                            .iter()
                            .find(|(k, _)| *k == m)
                            .map_or(f32::NAN, |(_, v)| *v),
                        m.higher_is_better(),
                    ),
                };
                if improved(value, stop_best.as_ref(), higher, es.min_delta) {
                    stop_best = Some(Best {
                        value,
                        epoch,
                        wait: 0,
                    });
                    if es.restore_best {
                        best_layers = Some(self.layers.clone());
                    }
                } else if let Some(best) = stop_best.as_mut() {
                    best.wait += 1;
                    stop = best.wait >= es.patience.max(1);
                }
            }
            history.epochs.push(log);
            if let Some(log) = history.epochs.last() {
                let progress = Progress {
                    epoch,
                    epochs: cfg.epochs,
                    batch: batches,
                    batches,
                    loss,
                    epoch_log: Some(log),
                };
                if observer(&progress) == Control::Stop {
                    history.cancelled = true;
                    break;
                }
            }
            if stop {
                history.stopped_early = true;
                break;
            }
        }

        if let Some(best) = &stop_best {
            history.best_epoch = Some(best.epoch);
            if let Some(layers) = best_layers {
                if history.epochs.len() != best.epoch + 1
                    || history.cancelled
                    || history.out_of_time
                {
                    self.layers = layers;
                    history.restored_best = true;
                }
            }
        }
        if let Some((l, _)) = self.layers.iter().enumerate().find(|(_, layer)| {
            layer
                .w_slice()
                .iter()
                .chain(layer.b_slice())
                .any(|v| !v.is_finite())
        }) {
            return Err(Error::Training(format!(
                "layer {l}'s weights became non-finite: lower the learning rate"
            )));
        }
        self.state = Some(state);
        Ok(history)
    }
}

/// Scales the trainable gradients (and `extra`: the sampled output columns')
/// so that their global L2 norm is at most `max_norm`.
fn clip(grads: &mut [Vec<f32>], trainable: &[bool], max_norm: f32, extra: &mut [f32]) {
    let is_trainable = |t: usize| trainable.get(t / 2).copied().unwrap_or(false);
    let norm_sq: f64 = grads
        .iter()
        .enumerate()
        .filter(|(t, _)| is_trainable(*t))
        .flat_map(|(_, g)| g.iter())
        .chain(extra.iter())
        .map(|&g| (g as f64) * (g as f64))
        .sum();
    let norm = norm_sq.sqrt();
    if norm > max_norm as f64 {
        let scale = (max_norm as f64 / norm) as f32;
        for (t, g) in grads.iter_mut().enumerate() {
            if is_trainable(t) {
                g.iter_mut().for_each(|v| *v *= scale);
            }
        }
        extra.iter_mut().for_each(|v| *v *= scale);
    }
}

/// The sampled-softmax objective of the whole dataset taken as one batch,
/// with the given negative draws (`negatives`, class indices) instead of
/// random ones, and its gradient per tensor (w₀, b₀, …; zero in the output
/// columns that are not candidates), without dropout: for gradient checks.
pub fn sampled_objective_and_gradient(
    mlp: &Mlp,
    data: &Dataset,
    cfg: &TrainConfig,
    negatives: &[usize],
    start: Option<&Mlp>,
) -> Result<(f64, Vec<Vec<f32>>)> {
    cfg.validate(mlp, data)?;
    let Loss::SampledSoftmax { sampler, .. } = cfg.loss else {
        return Err(Error::invalid(
            "loss",
            format!("{:?}", cfg.loss),
            "must be Loss::SampledSoftmax",
        ));
    };
    let rows: Vec<usize> = (0..data.len()).collect();
    let weights = example_weights(data, None);
    let mut buf = Buffers::new(&mlp.layers, rows.len(), false);
    buf.load(data, &rows, &weights);
    let classes = mlp.output_dim();
    let labels = data.y().iter().copied();
    let frequencies = cfg.class_frequencies.as_deref();
    let mut sm =
        SampledOutput::for_training(classes, negatives.len(), sampler, frequencies, labels)?;
    let fixed = Negatives::Fixed(negatives);
    let loss = buf.sampled_pass(&mlp.layers, &mut sm, rows.len(), 0.0, None, fixed, 0)?;
    let last = mlp.layers.len().saturating_sub(1);
    let hidden: Vec<bool> = (0..mlp.layers.len()).map(|l| l != last).collect();
    let start = start.map(|s| s.layers.as_slice());
    let mut reg = regularize::<true>(&mlp.layers, start, cfg, &hidden, &mut buf.grads);
    if let Some(output) = mlp.layers.get(last) {
        let (k, n) = (output.inputs(), output.outputs());
        let start_output = start.and_then(|s| s.get(last));
        reg += sm.regularize(k, cfg.l1, cfg.l2, cfg.pull_to_start, start_output);
        let (gw, gb) = sm.dense_gradient(k, n);
        buf.grads[2 * last] = gw;
        buf.grads[2 * last + 1] = gb;
    }
    Ok((loss / rows.len() as f64 + reg, buf.grads))
}

/// The full-batch objective (mean loss + regularizers) and its gradient per
/// tensor (w₀, b₀, w₁, b₁, …), without dropout: for gradient checks.
pub fn objective_and_gradient(
    mlp: &Mlp,
    data: &Dataset,
    cfg: &TrainConfig,
    start: Option<&Mlp>,
) -> Result<(f64, Vec<Vec<f32>>)> {
    cfg.validate(mlp, data)?;
    let rows: Vec<usize> = (0..data.len()).collect();
    let weights = example_weights(data, cfg.class_weights.as_deref());
    let mut buf = Buffers::new(&mlp.layers, rows.len(), false);
    buf.load(data, &rows, &weights);
    buf.forward::<true>(&mlp.layers, rows.len(), 0.0, None, true);
    let loss =
        buf.loss_and_delta::<true>(&mlp.layers, cfg.loss, rows.len(), true) / rows.len() as f64;
    buf.backward::<true>(&mlp.layers, rows.len(), 0, false);
    let trainable = vec![true; mlp.layers.len()];
    let reg = regularize::<true>(
        &mlp.layers,
        start.map(|s| s.layers.as_slice()),
        cfg,
        &trainable,
        &mut buf.grads,
    );
    Ok((loss + reg, buf.grads))
}

/// Reads one value from every 64-byte line of the next batch's input rows
/// while this batch is computed: the rows sit at random places in a data set
/// larger than the cache, and these independent loads bring them in ahead of
/// the gather (wasm has no prefetch instruction) instead of stalling it.
#[inline(never)]
fn touch_rows(data: &Dataset, rows: &[usize]) {
    let d = data.input_dim();
    let xs = data.x().as_slice().unwrap_or(&[]);
    let mut sum = 0.0f32;
    for &r in rows {
        if let Some(row) = xs.get(r * d..(r + 1) * d) {
            sum += row.iter().step_by(16).sum::<f32>();
        }
    }
    std::hint::black_box(sum);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::MlpParams;
    use ndarray::{Array1, Array2};

    fn random_data(rng: &mut Rng, n: usize, d: usize, out: usize, one_hot: bool) -> Dataset {
        let x = Array2::from_shape_simple_fn((n, d), || rng.normal());
        let y = if one_hot {
            let mut y = Array2::zeros((n, out));
            for i in 0..n {
                y[[i, rng.below(out)]] = 1.0;
            }
            y
        } else {
            Array2::from_shape_simple_fn((n, out), || rng.next_f32())
        };
        let w = Array1::from_shape_simple_fn(n, || 0.5 + rng.next_f32());
        Dataset::new(x, y).unwrap().with_weights(w).unwrap()
    }

    #[test]
    fn fit_plain_takes_the_steps_of_fit() {
        let mut rng = Rng::new(21);
        let data = random_data(&mut rng, 150, 6, 1, false);
        let start = MlpParams::new(6)
            .layer(8, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(4)
            .init()
            .unwrap();
        let cfg = TrainConfig {
            optimizer: Optimizer::adam(1e-2),
            batch_size: 16,
            epochs: 3,
            seed: Some(9),
            validation: Validation::None,
            pull_to_start: 0.01,
            l2: 1e-3,
            dropout: 0.1,
            clip_norm: Some(1.0),
            warmup_steps: 4,
            class_weights: Some(vec![1.0, 2.0]),
            ..TrainConfig::default()
        };
        let (mut full, mut plain) = (start.clone(), start.clone());
        let mut steps = [0usize; 2];
        let hf = full.fit(&data, &cfg, &mut |_| {
            steps[0] += 1;
            Control::Continue
        });
        let hp = plain.fit_plain(&data, &cfg, &mut |_| {
            steps[1] += 1;
            Control::Continue
        });
        let (hf, hp) = (hf.unwrap(), hp.unwrap());
        assert_eq!(steps[0], steps[1]);
        assert_eq!(hf.steps, hp.steps);
        assert_eq!(hf.last_loss(), hp.last_loss());
        assert!(hp.last_loss().is_some_and(f32::is_finite));
        assert_eq!(full.to_bytes(), plain.to_bytes(), "bit-identical weights");
        assert_ne!(
            start.to_bytes(),
            plain.to_bytes(),
            "training moved the weights"
        );
    }

    #[test]
    fn fit_plain_names_each_feature_it_leaves_out() {
        let mut rng = Rng::new(22);
        let data = random_data(&mut rng, 40, 3, 1, false);
        let mut mlp = MlpParams::new(3)
            .layer(1, Activation::Sigmoid)
            .seed(1)
            .init()
            .unwrap();
        let plain = TrainConfig {
            validation: Validation::None,
            epochs: 1,
            ..TrainConfig::default()
        };
        let cases = [
            ("validation", TrainConfig::default()),
            (
                "metrics",
                TrainConfig {
                    metrics: vec![Metric::Accuracy],
                    ..plain.clone()
                },
            ),
            (
                "early_stopping",
                TrainConfig {
                    early_stopping: Some(EarlyStopping::default()),
                    ..plain.clone()
                },
            ),
            (
                "reduce_on_plateau",
                TrainConfig {
                    reduce_on_plateau: Some(ReduceOnPlateau::default()),
                    ..plain.clone()
                },
            ),
            (
                "loss",
                TrainConfig {
                    loss: Loss::SampledSoftmax {
                        negatives: 4,
                        sampler: Sampler::Uniform,
                    },
                    ..plain.clone()
                },
            ),
        ];
        let before = mlp.to_bytes();
        for (field, cfg) in cases {
            let err = mlp
                .fit_plain(&data, &cfg, &mut |_| Control::Continue)
                .unwrap_err()
                .to_string();
            assert!(err.contains(field) && err.contains("fit_plain"), "{err}");
        }
        let frequencies = TrainConfig {
            class_frequencies: Some(vec![1.0]),
            ..plain.clone()
        };
        let full_err = mlp.fit(&data, &frequencies, &mut |_| Control::Continue);
        let plain_err = mlp.fit_plain(&data, &frequencies, &mut |_| Control::Continue);
        assert_eq!(full_err.unwrap_err(), plain_err.unwrap_err());
        assert_eq!(before, mlp.to_bytes(), "a rejected call changes nothing");
        assert!(mlp
            .fit_plain(&data, &plain, &mut |_| Control::Continue)
            .is_ok());
    }

    /// Central differences on every parameter against the analytic gradient.
    fn check_gradients(mlp: &Mlp, data: &Dataset, cfg: &TrainConfig, start: Option<&Mlp>) {
        let (_, grads) = objective_and_gradient(mlp, data, cfg, start).unwrap();
        let eps = 1e-2f32;
        let mut worst = 0.0f64;
        for l in 0..mlp.layers.len() {
            for tensor in 0..2 {
                let len = if tensor == 0 {
                    mlp.layers[l].w.len()
                } else {
                    mlp.layers[l].b.len()
                };
                #[allow(clippy::needless_range_loop)]
                for i in 0..len {
                    let perturbed = |delta: f32| {
                        let mut m = mlp.clone();
                        let layer = &mut m.layers[l];
                        let slot = if tensor == 0 {
                            &mut layer.w.as_slice_memory_order_mut().unwrap()[i]
                        } else {
                            &mut layer.b.as_slice_memory_order_mut().unwrap()[i]
                        };
                        *slot += delta;
                        m.repack();
                        objective_and_gradient(&m, data, cfg, start).unwrap().0
                    };
                    let value = if tensor == 0 {
                        mlp.layers[l].w[[i / mlp.layers[l].outputs(), i % mlp.layers[l].outputs()]]
                    } else {
                        mlp.layers[l].b[i]
                    };
                    if cfg.l1 > 0.0 && value.abs() < 2.0 * eps {
                        continue; // |w| has a kink at 0: central differences straddle it.
                    }
                    let analytic = grads[2 * l + tensor][i] as f64;
                    // A ReLU kink can fall inside ±eps for one example; a smaller step avoids it.
                    let err = [eps, eps / 4.0]
                        .iter()
                        .map(|&e| {
                            let numeric = (perturbed(e) - perturbed(-e)) / (2.0 * e as f64);
                            (numeric - analytic).abs() / (1e-2 + numeric.abs().max(analytic.abs()))
                        })
                        .fold(f64::INFINITY, f64::min);
                    let numeric = (perturbed(eps) - perturbed(-eps)) / (2.0 * eps as f64);
                    worst = worst.max(err);
                    assert!(
                        err < 2e-2,
                        "{:?} {:?} layer {l} tensor {tensor} [{i}]: analytic {analytic} vs numeric {numeric}",
                        cfg.loss,
                        mlp.layers.iter().map(|l| l.activation()).collect::<Vec<_>>()
                    );
                }
            }
        }
        assert!(worst.is_finite());
    }

    #[test]
    fn gradients_match_finite_differences_for_every_layer_activation_and_loss() {
        let mut rng = Rng::new(11);
        let hidden = [
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Identity,
            Activation::Relu,
        ];
        let heads = [
            (Loss::BinaryCrossEntropy, Activation::Sigmoid, 2),
            (Loss::MeanSquaredError, Activation::Identity, 2),
            (Loss::MeanSquaredError, Activation::Tanh, 1),
            (Loss::SoftmaxCrossEntropy, Activation::Softmax, 3),
        ];
        for (i, &act) in hidden.iter().enumerate() {
            for &(loss, head, out) in &heads {
                let mlp = MlpParams::new(3)
                    .layer(5, act)
                    .layer(4, hidden[(i + 1) % hidden.len()])
                    .layer(out, head)
                    .seed(i as u64)
                    .init()
                    .unwrap();
                let data = random_data(&mut rng, 6, 3, out, loss == Loss::SoftmaxCrossEntropy);
                let cfg = TrainConfig {
                    loss,
                    validation: Validation::None,
                    ..TrainConfig::default()
                };
                check_gradients(&mlp, &data, &cfg, None);
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences_with_logit_offsets() {
        let mut rng = Rng::new(13);
        for (loss, out) in [
            (Loss::BinaryCrossEntropy, Activation::Sigmoid),
            (Loss::MeanSquaredError, Activation::Tanh),
            (Loss::MeanSquaredError, Activation::Identity),
        ] {
            let mlp = MlpParams::new(3)
                .layer(5, Activation::Relu)
                .layer(1, out)
                .seed(8)
                .init()
                .unwrap();
            let offsets = Array1::from_shape_simple_fn(6, || 1.5 * rng.normal());
            let data = random_data(&mut rng, 6, 3, 1, false)
                .with_offsets(offsets)
                .unwrap();
            let cfg = TrainConfig {
                loss,
                pull_to_start: 0.3,
                validation: Validation::None,
                ..TrainConfig::default()
            };
            let start = MlpParams::new(3)
                .layer(5, Activation::Relu)
                .layer(1, out)
                .seed(9)
                .init()
                .unwrap();
            check_gradients(&mlp, &data, &cfg, Some(&start));
            // The offset really enters the objective: shifting it changes the loss.
            let (with, _) = objective_and_gradient(&mlp, &data, &cfg, None).unwrap();
            let plain = data.select(&(0..6).collect::<Vec<_>>()).unwrap();
            let plain = Dataset::new(plain.x().clone(), plain.y().clone()).unwrap();
            let (without, _) = objective_and_gradient(&mlp, &plain, &cfg, None).unwrap();
            assert!(
                (with - without).abs() > 1e-3,
                "{loss:?}: {with} vs {without}"
            );
        }
    }

    fn offsets_model() -> Mlp {
        MlpParams::new(4)
            .layer(8, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(21)
            .init()
            .unwrap()
    }

    #[test]
    fn zero_offsets_train_and_predict_bit_identically_to_no_offsets() {
        let mut rng = Rng::new(14);
        let x = Array2::from_shape_simple_fn((50, 4), || rng.normal());
        let y = Array2::from_shape_fn((50, 1), |(i, _)| f32::from(x[[i, 0]] + x[[i, 1]] > 0.0));
        let plain = Dataset::new(x.clone(), y).unwrap();
        let zeros = plain.clone().with_offsets(Array1::zeros(50)).unwrap();
        for optimizer in [Optimizer::adam(0.01), Optimizer::sgd_momentum(0.05, 0.9)] {
            let cfg = TrainConfig {
                optimizer,
                epochs: 3,
                batch_size: 16,
                seed: Some(3),
                metrics: vec![Metric::Accuracy],
                ..TrainConfig::default()
            };
            let (mut a, mut b) = (offsets_model(), offsets_model());
            let ha = a.fit(&plain, &cfg, &mut |_| Control::Continue).unwrap();
            let hb = b.fit(&zeros, &cfg, &mut |_| Control::Continue).unwrap();
            assert_eq!(ha, hb);
            assert_eq!(a, b);
            let pa = a.predict(x.view()).unwrap();
            assert_eq!(pa, b.predict_with_offsets(x.view(), &[0.0; 50]).unwrap());
        }
    }

    #[test]
    fn a_model_trained_with_offsets_learns_the_residual_of_the_prior() {
        // Labels follow σ(prior + 3·x₀): the prior alone explains part of
        // them, the network has to learn the x₀ term on top of it.
        let mut rng = Rng::new(15);
        let n = 400;
        let x = Array2::from_shape_simple_fn((n, 4), || rng.normal());
        let prior = Array1::from_shape_simple_fn(n, || 2.0 * rng.normal());
        let y = Array2::from_shape_fn((n, 1), |(i, _)| {
            let p = crate::nn::activation::sigmoid(prior[i] + 3.0 * x[[i, 0]]);
            f32::from(rng.next_f32() < p)
        });
        let data = Dataset::new(x.clone(), y.clone())
            .unwrap()
            .with_offsets(prior.clone())
            .unwrap();
        let cfg = TrainConfig {
            optimizer: Optimizer::adam(0.02),
            epochs: 30,
            validation: Validation::None,
            seed: Some(4),
            ..TrainConfig::default()
        };
        let mut mlp = offsets_model();
        let h = mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        let p = mlp
            .predict_with_offsets(x.view(), prior.as_slice().unwrap())
            .unwrap();
        let loss = Metric::LogLoss.compute(p.as_slice().unwrap(), y.as_slice().unwrap());
        // The log loss of the true probabilities, for scale.
        let truth: Vec<f32> = (0..n)
            .map(|i| crate::nn::activation::sigmoid(prior[i] + 3.0 * x[[i, 0]]))
            .collect();
        let best = Metric::LogLoss
            .compute(&truth, y.as_slice().unwrap())
            .unwrap();
        let loss = loss.unwrap();
        assert!(loss < best + 0.08, "log loss {loss} vs the truth's {best}");
        assert!((h.last_loss().unwrap() - loss).abs() < 0.1);
        // The logits are the residual: they follow 3·x₀, not the prior.
        let mut logits = vec![0.0f32; n];
        mlp.logits_into(x.view(), &mut logits, &mut crate::nn::Workspace::new())
            .unwrap();
        let corr = |a: &[f32], b: &[f32]| {
            let (ma, mb) = (
                a.iter().sum::<f32>() / a.len() as f32,
                b.iter().sum::<f32>() / b.len() as f32,
            );
            let cov: f32 = a.iter().zip(b).map(|(u, v)| (u - ma) * (v - mb)).sum();
            let va: f32 = a.iter().map(|u| (u - ma) * (u - ma)).sum();
            let vb: f32 = b.iter().map(|v| (v - mb) * (v - mb)).sum();
            cov / (va * vb).sqrt()
        };
        let x0: Vec<f32> = x.column(0).to_vec();
        assert!(corr(&logits, &x0) > 0.9, "{}", corr(&logits, &x0));
        assert!(corr(&logits, prior.as_slice().unwrap()).abs() < 0.2);
    }

    #[test]
    fn offsets_are_rejected_on_a_softmax_output_and_must_match_the_rows() {
        let mlp = MlpParams::new(2)
            .layer(3, Activation::Softmax)
            .seed(1)
            .init()
            .unwrap();
        let data = Dataset::new(
            Array2::zeros((2, 2)),
            Array2::from_shape_vec((2, 3), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]).unwrap(),
        )
        .unwrap()
        .with_offsets(Array1::from(vec![0.5, 1.0]))
        .unwrap();
        let cfg = TrainConfig {
            loss: Loss::SoftmaxCrossEntropy,
            ..TrainConfig::default()
        };
        let e = cfg.validate(&mlp, &data).unwrap_err().to_string();
        assert!(e.contains("offsets"), "{e}");
        let m = offsets_model();
        let x = Array2::zeros((3, 4));
        assert!(m.predict_with_offsets(x.view(), &[0.0; 2]).is_err());
        let e = m
            .predict_with_offsets(x.view(), &[0.0, f32::NAN, 0.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("offsets[1]"), "{e}");
    }

    /// `fit_bce_with` against `fit_bce` with the same settings: the same
    /// history and bit-identical weights, or the same error and no change.
    fn same_as_fit_bce(start: &Mlp, data: &Dataset, fit: &BceFit, stop_after: usize) {
        let (mut public, mut internal) = (start.clone(), start.clone());
        let mut calls = [0usize; 2];
        let mut observer = |i: usize| {
            calls[i] += 1;
            if calls[i] >= stop_after {
                Control::Stop
            } else {
                Control::Continue
            }
        };
        let hp = public.fit_bce(data, &fit.cfg, &mut |_| observer(0));
        let hi = internal.fit_bce_with(data, fit, &mut |_| observer(1));
        match (&hp, &hi) {
            (Ok(hp), Ok(hi)) => {
                assert_eq!(hp, hi);
                assert!(hi.steps > 0);
                assert_ne!(start.to_bytes(), internal.to_bytes(), "trained");
            }
            (Err(ep), Err(ei)) => {
                assert_eq!(ep.to_string(), ei.to_string());
                assert_eq!(start.to_bytes(), internal.to_bytes(), "unchanged");
            }
            _ => panic!("fit_bce {hp:?} but fit_bce_with {hi:?}"),
        }
        assert_eq!(calls[0], calls[1], "same observer calls");
        assert_eq!(public.to_bytes(), internal.to_bytes());
    }

    #[test]
    fn fit_bce_with_trains_and_checks_as_fit_bce_does() {
        let mut rng = Rng::new(23);
        let x = Array2::from_shape_simple_fn((60, 4), || rng.normal());
        let y = Array2::from_shape_fn((60, 1), |(i, _)| f32::from(x[[i, 1]] > 0.2));
        let offsets = Array1::from_shape_simple_fn(60, || rng.normal());
        let weights = Array1::from_shape_simple_fn(60, || 0.5 + rng.next_f32());
        let plain = Dataset::new(x.clone(), y.clone()).unwrap();
        let rich = plain
            .clone()
            .with_offsets(offsets)
            .unwrap()
            .with_weights(weights)
            .unwrap();
        let model = offsets_model();
        let mut other = offsets_model();
        other
            .fit_plain(
                &plain,
                &TrainConfig {
                    validation: Validation::None,
                    seed: Some(2),
                    ..TrainConfig::default()
                },
                &mut |_| Control::Continue,
            )
            .unwrap();
        let fits = [
            BceFit::new(Optimizer::adam(0.05), 8, 3, 1),
            BceFit::new(Optimizer::sgd_momentum(0.1, 0.9), 7, 2, 2).unshuffled(),
            BceFit::new(Optimizer::sgd(0.1), 60, 4, 3).pull(0.5, None),
            BceFit::new(Optimizer::adam(0.01), 5, 2, 4).pull(0.3, Some(other.clone())),
        ];
        for data in [&plain, &rich] {
            for fit in &fits {
                same_as_fit_bce(&model, data, fit, usize::MAX);
                same_as_fit_bce(&model, data, fit, 3);
            }
        }
        // Each check a BceFit's settings can fail, with fit_bce's message.
        let fit = BceFit::new(Optimizer::adam(0.05), 8, 3, 1);
        let tanh = MlpParams::new(4)
            .layer(8, Activation::Tanh)
            .layer(1, Activation::Sigmoid)
            .init()
            .unwrap();
        let linear_out = MlpParams::new(4)
            .layer(8, Activation::Relu)
            .layer(1, Activation::Identity)
            .init()
            .unwrap();
        let narrow = MlpParams::new(3)
            .layer(8, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .init()
            .unwrap();
        let wide = MlpParams::new(4)
            .layer(9, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .init()
            .unwrap();
        let two_columns = Dataset::new(x.clone(), Array2::zeros((60, 2))).unwrap();
        let bad_target = Dataset::new(x, y.mapv(|v| v * 2.0)).unwrap();
        let failures = [
            (&tanh, &plain, fit.clone(), "layer 0 activation"),
            (&linear_out, &plain, fit.clone(), "needs a sigmoid output"),
            (&narrow, &plain, fit.clone(), "x columns"),
            (&model, &two_columns, fit.clone(), "y columns"),
            (&model, &bad_target, fit.clone(), "invalid y["),
            (
                &model,
                &plain,
                BceFit::new(Optimizer::adam(f32::NAN), 8, 3, 1),
                "optimizer.lr",
            ),
            (
                &model,
                &plain,
                BceFit::new(Optimizer::adam(0.1), 0, 3, 1),
                "batch_size",
            ),
            (
                &model,
                &plain,
                fit.clone().pull(-1.0, None),
                "pull_to_start",
            ),
            (
                &model,
                &plain,
                fit.clone().pull(0.1, Some(wide)),
                "pull_anchor",
            ),
        ];
        for (mlp, data, fit, field) in failures {
            let err = mlp
                .clone()
                .fit_bce_with(data, &fit, &mut |_| Control::Continue)
                .unwrap_err()
                .to_string();
            assert!(err.contains(field), "{field}: {err}");
            same_as_fit_bce(mlp, data, &fit, usize::MAX);
        }
    }

    #[test]
    fn the_pull_anchor_holds_across_fit_calls() {
        let mut rng = Rng::new(16);
        let x = Array2::from_shape_simple_fn((40, 4), || rng.normal());
        let y = Array2::from_shape_fn((40, 1), |(i, _)| f32::from(x[[i, 2]] > 0.0));
        let data = Dataset::new(x, y).unwrap();
        let cfg = TrainConfig {
            optimizer: Optimizer::sgd_momentum(0.1, 0.9),
            pull_to_start: 0.5,
            epochs: 2,
            validation: Validation::None,
            seed: Some(5),
            ..TrainConfig::default()
        };
        // Anchoring at the starting weights is what `fit` does by default.
        let (mut a, mut b) = (offsets_model(), offsets_model());
        a.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        let anchored = TrainConfig {
            pull_anchor: Some(offsets_model()),
            ..cfg.clone()
        };
        b.fit(&data, &anchored, &mut |_| Control::Continue).unwrap();
        assert_eq!(a, b);
        // A second call keeps pulling toward the first call's start: the
        // gradient of the pull differs, so the weights do.
        let (mut c, mut d) = (a.clone(), a.clone());
        c.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        d.fit(&data, &anchored, &mut |_| Control::Continue).unwrap();
        assert_ne!(c.layers, d.layers);
        let dist = |m: &Mlp| -> f32 {
            let start = offsets_model();
            m.layers
                .iter()
                .zip(&start.layers)
                .flat_map(|(l, s)| l.w_slice().iter().zip(s.w_slice()))
                .map(|(u, v)| (u - v) * (u - v))
                .sum()
        };
        assert!(dist(&d) < dist(&c), "{} vs {}", dist(&d), dist(&c));
        let wrong = TrainConfig {
            pull_anchor: Some(MlpParams::ranking_head(4).seed(1).init().unwrap()),
            ..cfg
        };
        let e = wrong.validate(&a, &data).unwrap_err().to_string();
        assert!(e.contains("pull_anchor"), "{e}");
    }

    #[test]
    fn gradients_match_finite_differences_for_the_regularizers() {
        let mut rng = Rng::new(12);
        let mlp = MlpParams::new(3)
            .layer(4, Activation::Tanh)
            .layer(1, Activation::Sigmoid)
            .seed(5)
            .init()
            .unwrap();
        let start = MlpParams::new(3)
            .layer(4, Activation::Tanh)
            .layer(1, Activation::Sigmoid)
            .seed(6)
            .init()
            .unwrap();
        let data = random_data(&mut rng, 5, 3, 1, false);
        let cfg = TrainConfig {
            l1: 0.03,
            l2: 0.2,
            pull_to_start: 0.7,
            class_weights: Some(vec![0.5, 2.0]),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        check_gradients(&mlp, &data, &cfg, Some(&start));
    }
}
