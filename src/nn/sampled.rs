//! Sampled softmax cross-entropy for a wide output layer (next-item
//! classification over thousands of classes).
//!
//! With [`Loss::SampledSoftmax`](super::Loss::SampledSoftmax), each training
//! batch computes the output layer only for its *candidate* columns: the
//! batch's true classes plus `negatives` classes drawn (with replacement) from
//! a proposal distribution Q — uniform, or proportional to class frequencies
//! ([`Sampler`]). A 50,000-class output then costs about `negatives + batch`
//! columns per step instead of 50,000, in the forward pass, the backward pass
//! and the optimizer update.
//!
//! For an example of class t with logits z, the full loss is
//! `ln(e^z_t + Σ_{j≠t} e^z_j) − z_t`. The sampled loss replaces the sum over the
//! other classes by an importance-sampling estimate from the example's
//! negatives: the S draws from Q, and the classes of the batch's B − 1 other
//! rows (whose columns are computed anyway; they are draws from the training
//! labels' class shares P). A class j that occurs `count_j` times among them
//! contributes `count_j · e^z_j / E_j`, with `E_j = S·Q(j) + (B−1)·P(j)` its
//! expected count — in logit terms `z_j + ln(count_j) − ln(E_j)` (the logQ
//! correction). Occurrences of the example's own class ("accidental hits")
//! are dropped. The estimate of the partition function is unbiased (for
//! shuffled batches), so the sampled loss and its gradient converge to the full
//! ones as S grows (consistent; tested). Unlike TensorFlow's
//! `sampled_softmax_loss`, the true class's logit is left uncorrected, so the
//! sampled loss estimates the full loss itself. The per-epoch training `loss`
//! of the history is this (slightly low) estimate; `val_loss` is exact.
//!
//! Targets are **class indices**: `y` has one column holding the class
//! (0 ≤ y < classes, an integer), never a one-hot row 50,000 wide. Validation
//! loss, metrics and `predict` use the exact full softmax. Columns that are not
//! candidates in a step are not updated in that step ("lazy" updates, as for
//! sparse embeddings: Adam moments, momentum and the l1/l2/pull penalties of
//! the output layer move only for the candidate columns).
//!
//! ```
//! use localrec::nn::{Activation, Control, Dataset, Loss, MlpParams, Optimizer, TrainConfig, Validation};
//! use localrec::nn::sampled::Sampler;
//! use ndarray::Array2;
//! // 200 classes; the class is a function of the one-hot-ish input.
//! let classes = 200;
//! let x = Array2::from_shape_fn((2000, 20), |(i, j)| f32::from((i * 7 % classes) % 20 == j));
//! let y = Array2::from_shape_fn((2000, 1), |(i, _)| (i * 7 % classes) as f32);
//! let data = Dataset::new(x, y).unwrap();
//! let mut mlp = MlpParams::new(20)
//!     .layer(32, Activation::Relu)
//!     .layer(classes, Activation::Softmax)
//!     .seed(1)
//!     .init()
//!     .unwrap();
//! let cfg = TrainConfig {
//!     loss: Loss::SampledSoftmax { negatives: 32, sampler: Sampler::Uniform },
//!     optimizer: Optimizer::adam(1e-2),
//!     epochs: 3,
//!     validation: Validation::Split(0.1),
//!     seed: Some(3),
//!     ..TrainConfig::default()
//! };
//! let history = mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
//! // val_loss is the exact full-softmax cross-entropy; it fell below ln(200) ≈ 5.3.
//! assert!(history.last_val_loss().unwrap() < 5.0);
//! ```

use super::dense::Dense;
use super::kernels::{column_sums, gemm, pack_b_transposed, Epilogue, Rhs, Scratch, NR};
use super::metrics::Metric;
use super::optim::{update, Optimizer, StepScalars};
use crate::error::{Error, Result};
use crate::rng::Rng;

/// Where the negative classes of a sampled-softmax batch are drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sampler {
    /// Every class equally likely.
    #[default]
    Uniform,
    /// Proportional to class frequencies: `TrainConfig::class_frequencies`
    /// when given, else the training labels' counts plus one (so every class
    /// can be drawn). Popular classes are the hard negatives; the logQ
    /// correction keeps the estimate consistent.
    Frequency,
}

/// More draws than this per batch is a configuration mistake, not a workload.
pub const MAX_NEGATIVES: usize = 1 << 24;

/// No candidate in this slot.
const EMPTY: u32 = u32::MAX;

/// The proposal distribution Q, sampled in O(1) per draw (Walker's alias method).
#[derive(Debug, Clone)]
pub(crate) struct Proposal {
    classes: usize,
    /// ln Q(c) per class (empty for uniform).
    log_q: Vec<f64>,
    /// Alias table: keep class u with probability `keep[u]`, else take `alias[u]`.
    keep: Vec<f32>,
    alias: Vec<u32>,
}

impl Proposal {
    pub(crate) fn uniform(classes: usize) -> Self {
        Proposal {
            classes,
            log_q: Vec::new(),
            keep: Vec::new(),
            alias: Vec::new(),
        }
    }

    /// Q(c) ∝ `weights[c]`; every weight must be finite and > 0.
    pub(crate) fn from_weights(weights: &[f32], field: &str) -> Result<Self> {
        let classes = weights.len();
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w > 0.0))
        {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                w,
                "must be finite and > 0 (every class needs a chance to be drawn)",
            ));
        }
        let total: f64 = weights.iter().map(|&w| w as f64).sum();
        let q: Vec<f64> = weights.iter().map(|&w| w as f64 / total).collect();
        // Vose's alias method: split scaled probabilities into small and large.
        let mut scaled: Vec<f64> = q.iter().map(|p| p * classes as f64).collect();
        let mut keep = vec![1.0f32; classes];
        let mut alias: Vec<u32> = (0..classes as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..classes).partition(|&c| scaled[c] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            keep[s] = scaled[s] as f32;
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        Ok(Proposal {
            classes,
            log_q: q.iter().map(|p| p.ln()).collect(),
            keep,
            alias,
        })
    }

    pub(crate) fn draw(&self, rng: &mut Rng) -> usize {
        let u = rng.below(self.classes);
        match (self.keep.get(u), self.alias.get(u)) {
            (Some(&keep), Some(&alias)) if rng.next_f32() >= keep => alias as usize,
            _ => u,
        }
    }

    pub(crate) fn log_q(&self, class: usize) -> f64 {
        self.log_q
            .get(class)
            .copied()
            .unwrap_or(-(self.classes.max(1) as f64).ln())
    }
}

/// Where a batch's negatives come from: fresh draws, or a fixed list (gradient checks).
pub(crate) enum Negatives<'a> {
    Draw(&'a mut Rng),
    Fixed(&'a [usize]),
}

/// The sampled output layer's working set, sized once per `fit`.
pub(crate) struct SampledOutput {
    negatives: usize,
    proposal: Proposal,
    /// Class → candidate index (EMPTY when not a candidate this batch).
    slot: Vec<u32>,
    /// The candidate classes of the batch: true classes first, then drawn ones.
    pub(crate) classes: Vec<u32>,
    /// Correction added to a candidate's logit when it is a row's negative:
    /// `ln(count) − ln(expected count)`, or −∞ when it is no row's negative.
    negative_shift: Vec<f32>,
    /// Share of each class among the training labels (in-batch negatives' proposal).
    label_share: Vec<f64>,
    /// Per row: the candidate index of its class.
    labels: Vec<u32>,
    /// Reused while sorting the candidates by class.
    order: Vec<u32>,
    sorted_classes: Vec<u32>,
    sorted_shift: Vec<f32>,
    /// Gathered parameters of the candidate columns: k×U weights, then U biases.
    params: Vec<f32>,
    /// Their gradient, same layout.
    pub(crate) grad: Vec<f32>,
    first: Vec<f32>,
    second: Vec<f32>,
    /// The candidate weights transposed and packed, for ∂L/∂input.
    packed_t: Vec<[f32; NR]>,
    logits: Vec<f32>,
    delta: Vec<f32>,
}

impl SampledOutput {
    /// The working set of a training run: the proposal (uniform, the given
    /// `frequencies`, or the training labels' counts plus one) and the labels'
    /// class shares.
    pub(crate) fn for_training(
        classes: usize,
        negatives: usize,
        sampler: Sampler,
        frequencies: Option<&[f32]>,
        labels: impl Iterator<Item = f32>,
    ) -> Result<Self> {
        let mut counts = vec![0.0f64; classes];
        let mut total = 0usize;
        for y in labels {
            if let Some(c) = counts.get_mut(y as usize) {
                *c += 1.0;
                total += 1;
            }
        }
        let proposal = match (sampler, frequencies) {
            (Sampler::Uniform, _) => Proposal::uniform(classes),
            (Sampler::Frequency, Some(f)) => Proposal::from_weights(f, "class_frequencies")?,
            (Sampler::Frequency, None) => {
                let smoothed: Vec<f32> = counts.iter().map(|&c| (c + 1.0) as f32).collect();
                Proposal::from_weights(&smoothed, "class counts")?
            }
        };
        let share = counts.iter().map(|c| c / total.max(1) as f64).collect();
        Ok(Self::new(classes, negatives, proposal, share))
    }

    pub(crate) fn new(
        classes: usize,
        negatives: usize,
        proposal: Proposal,
        label_share: Vec<f64>,
    ) -> Self {
        SampledOutput {
            negatives,
            proposal,
            label_share,
            slot: vec![EMPTY; classes],
            classes: Vec::new(),
            negative_shift: Vec::new(),
            labels: Vec::new(),
            order: Vec::new(),
            sorted_classes: Vec::new(),
            sorted_shift: Vec::new(),
            params: Vec::new(),
            grad: Vec::new(),
            first: Vec::new(),
            second: Vec::new(),
            packed_t: Vec::new(),
            logits: Vec::new(),
            delta: Vec::new(),
        }
    }

    /// Number of candidate columns of the current batch.
    pub(crate) fn width(&self) -> usize {
        self.classes.len()
    }

    fn add_candidate(&mut self, class: usize) -> Result<u32> {
        let Some(slot) = self.slot.get_mut(class) else {
            return Err(Error::invalid(
                "sampled class",
                class,
                format!("the output layer has {} classes", self.proposal.classes),
            ));
        };
        if *slot == EMPTY {
            *slot = self.classes.len() as u32;
            self.classes.push(class as u32);
            self.negative_shift.push(0.0);
        }
        Ok(*slot)
    }

    /// Picks the batch's candidates: the rows' classes (`labels`, validated
    /// class indices), then the negatives, with their logQ corrections.
    pub(crate) fn choose(&mut self, labels: &[f32], negatives: Negatives<'_>) -> Result<()> {
        for &c in &self.classes {
            if let Some(s) = self.slot.get_mut(c as usize) {
                *s = EMPTY;
            }
        }
        self.classes.clear();
        self.negative_shift.clear();
        self.labels.clear();
        // Count in-batch labels and draws per candidate in `negative_shift`,
        // then turn counts into shifts.
        for &y in labels {
            let slot = self.add_candidate(y as usize)?;
            self.labels.push(slot);
            if let Some(c) = self.negative_shift.get_mut(slot as usize) {
                *c += 1.0;
            }
        }
        let count = |me: &mut Self, class: usize| -> Result<()> {
            let slot = me.add_candidate(class)? as usize;
            if let Some(c) = me.negative_shift.get_mut(slot) {
                *c += 1.0;
            }
            Ok(())
        };
        let draws = match negatives {
            Negatives::Draw(rng) => {
                for _ in 0..self.negatives {
                    let class = self.proposal.draw(rng);
                    count(self, class)?;
                }
                self.negatives
            }
            Negatives::Fixed(list) => {
                for &class in list {
                    count(self, class)?;
                }
                list.len()
            }
        };
        self.sort_by_class();
        // A row's negatives: the other B−1 rows' classes (drawn from the
        // label distribution) and the S draws from Q.
        let others = labels.len().saturating_sub(1) as f64;
        for (shift, &class) in self.negative_shift.iter_mut().zip(&self.classes) {
            let class = class as usize;
            let share = self.label_share.get(class).copied().unwrap_or(0.0);
            let expected = others * share + draws as f64 * self.proposal.log_q(class).exp();
            *shift = if *shift > 0.0 && expected > 0.0 {
                ((*shift as f64).ln() - expected.ln()) as f32
            } else {
                f32::NEG_INFINITY
            };
        }
        Ok(())
    }

    /// Puts the candidates in class order, so that gathering and scattering
    /// columns walks each row of the weight matrix forward (cache-friendly).
    fn sort_by_class(&mut self) {
        self.order.clear();
        self.order.extend(0..self.classes.len() as u32);
        let classes = &self.classes;
        // Candidates are distinct classes, so the shared stable sort gives the
        // unstable sort's order (without another copy of it in the wasm).
        crate::sort::sort_by_key(&mut self.order, |&i| {
            classes.get(i as usize).copied().unwrap_or(0)
        });
        self.sorted_classes.clear();
        self.sorted_shift.clear();
        for (new, &old) in self.order.iter().enumerate() {
            let (Some(&class), Some(&shift)) = (
                self.classes.get(old as usize),
                self.negative_shift.get(old as usize),
            ) else {
                continue;
            };
            self.sorted_classes.push(class);
            self.sorted_shift.push(shift);
            if let Some(s) = self.slot.get_mut(class as usize) {
                *s = new as u32;
            }
        }
        std::mem::swap(&mut self.classes, &mut self.sorted_classes);
        std::mem::swap(&mut self.negative_shift, &mut self.sorted_shift);
        for label in &mut self.labels {
            let class = self
                .sorted_classes
                .get(*label as usize)
                .copied()
                .unwrap_or(0);
            *label = self.slot.get(class as usize).copied().unwrap_or(0);
        }
    }

    /// Copies the candidate columns (k×U weights, then U biases) of
    /// `w` (k×n) and `b` (n) into `dst`.
    fn gather_columns(&self, dst: &mut Vec<f32>, w: &[f32], b: &[f32], k: usize, n: usize) {
        let u = self.classes.len();
        dst.clear();
        if w.len() < k * n || b.len() < n {
            dst.resize(k * u + u, 0.0); // no such state yet (e.g. SGD has no second moments)
            return;
        }
        for row in w.chunks_exact(n.max(1)).take(k) {
            dst.extend(self.classes.iter().map(|&c| row[c as usize]));
        }
        dst.extend(self.classes.iter().map(|&c| b[c as usize]));
    }

    /// Writes `src` (k×U weights, then U biases) back into the candidate
    /// columns of `w` (k×n) and `b` (n).
    fn scatter_columns(&self, src: &[f32], w: &mut [f32], b: &mut [f32], k: usize, n: usize) {
        let u = self.classes.len();
        if w.len() < k * n || b.len() < n || src.len() < k * u + u {
            return;
        }
        for (row, values) in w
            .chunks_exact_mut(n.max(1))
            .zip(src.chunks_exact(u.max(1)))
            .take(k)
        {
            for (&c, &v) in self.classes.iter().zip(values) {
                row[c as usize] = v;
            }
        }
        for (&c, &v) in self.classes.iter().zip(&src[k * u..]) {
            b[c as usize] = v;
        }
    }

    /// Copies the candidate columns out of the output layer and packs them
    /// for the kernels.
    pub(crate) fn gather(&mut self, layer: &Dense) {
        let (k, n, u) = (layer.inputs(), layer.outputs(), self.classes.len());
        let mut params = std::mem::take(&mut self.params);
        self.gather_columns(&mut params, layer.w_slice(), layer.b_slice(), k, n);
        self.params = params;
        pack_b_transposed(&self.params[..k * u], k, u, &mut self.packed_t);
    }

    /// Candidate logits for `rows` rows of `input` (rows×k), the sampled loss
    /// Σ wᵢ·lᵢ, and its gradient (scaled by `scale`) with respect to them.
    pub(crate) fn forward_loss(
        &mut self,
        input: &[f32],
        rows: usize,
        k: usize,
        weights: &[f32],
        scale: f32,
        scratch: &mut Scratch,
    ) -> f64 {
        let u = self.classes.len();
        self.logits.resize(rows * u, 0.0);
        self.delta.resize(rows * u, 0.0);
        gemm(
            rows,
            u,
            k,
            input,
            false,
            Rhs::RowMajor(&self.params[..k * u]),
            &mut self.logits,
            Epilogue::Bias(&self.params[k * u..]),
            scratch,
        );
        candidate_loss_and_grad(
            &mut self.logits,
            &self.labels,
            &self.negative_shift,
            weights,
            scale,
            &mut self.delta,
        )
    }

    /// Gradient of the candidate columns, and ∂L/∂input into `below` (rows×k)
    /// when given, masked by `relu_mask` (the input's ReLU outputs) if given.
    pub(crate) fn backward(
        &mut self,
        input: &[f32],
        rows: usize,
        k: usize,
        below: Option<(&mut [f32], Option<&[f32]>)>,
        scratch: &mut Scratch,
    ) {
        let u = self.classes.len();
        self.grad.resize(k * u + u, 0.0);
        let (gw, gb) = self.grad.split_at_mut(k * u);
        gemm(
            k,
            u,
            rows,
            input,
            true,
            Rhs::RowMajor(&self.delta),
            gw,
            Epilogue::None,
            scratch,
        );
        column_sums(&self.delta, u, gb);
        if let Some((below, relu_mask)) = below {
            let epilogue = relu_mask.map_or(Epilogue::None, Epilogue::ReluMask);
            gemm(
                rows,
                k,
                u,
                &self.delta,
                false,
                Rhs::Packed(&self.packed_t),
                below,
                epilogue,
                scratch,
            );
        }
    }

    /// Adds the l1/l2 penalties and the pull toward `start` of the candidate
    /// weights (biases: pull only) to `grad`; returns their value.
    pub(crate) fn regularize(
        &mut self,
        k: usize,
        l1: f32,
        l2: f32,
        pull: f32,
        start: Option<&Dense>,
    ) -> f64 {
        let u = self.classes.len();
        let mut value = 0.0f64;
        let (w, b) = self.params.split_at(k * u);
        let (gw, gb) = self.grad.split_at_mut(k * u);
        if l1 > 0.0 || l2 > 0.0 {
            for (g, &w) in gw.iter_mut().zip(w) {
                *g += l2 * w + l1 * w.signum() * f32::from(w != 0.0);
                value += 0.5 * l2 as f64 * (w * w) as f64 + l1 as f64 * w.abs() as f64;
            }
        }
        if let Some(start) = start.filter(|_| pull > 0.0) {
            let n = start.outputs();
            let (w0, b0) = (start.w_slice(), start.b_slice());
            for p in 0..k {
                for (j, &c) in self.classes.iter().enumerate() {
                    let (i, s) = (
                        p * u + j,
                        w0.get(p * n + c as usize).copied().unwrap_or(0.0),
                    );
                    let d = w[i] - s;
                    gw[i] += pull * d;
                    value += 0.5 * pull as f64 * (d * d) as f64;
                }
            }
            for ((g, &b), &c) in gb.iter_mut().zip(b).zip(&self.classes) {
                let d = b - b0.get(c as usize).copied().unwrap_or(0.0);
                *g += pull * d;
                value += 0.5 * pull as f64 * (d * d) as f64;
            }
        }
        value
    }

    /// One optimizer step on the candidate columns, written back into the
    /// layer; `moments` are the output layer's full-size optimizer state
    /// (first w, first b, second w, second b; empty when the optimizer has none).
    pub(crate) fn update(
        &mut self,
        optimizer: &Optimizer,
        scalars: StepScalars,
        layer: &mut Dense,
        moments: [&mut [f32]; 4],
    ) {
        let (k, n) = (layer.inputs(), layer.outputs());
        let [first_w, first_b, second_w, second_b] = moments;
        let (mut first, mut second) = (
            std::mem::take(&mut self.first),
            std::mem::take(&mut self.second),
        );
        self.gather_columns(&mut first, first_w, first_b, k, n);
        self.gather_columns(&mut second, second_w, second_b, k, n);
        update(
            optimizer,
            scalars,
            &mut self.params,
            &self.grad,
            &mut first,
            &mut second,
        );
        if let (Some(w), Some(b)) = (
            layer.w.as_slice_memory_order_mut(),
            layer.b.as_slice_memory_order_mut(),
        ) {
            self.scatter_columns(&self.params, w, b, k, n);
        }
        self.scatter_columns(&first, first_w, first_b, k, n);
        self.scatter_columns(&second, second_w, second_b, k, n);
        (self.first, self.second) = (first, second);
    }

    /// The candidate gradient scattered into full-size tensors (k×n, n).
    pub(crate) fn dense_gradient(&self, k: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
        let u = self.classes.len();
        let (mut gw, mut gb) = (vec![0.0; k * n], vec![0.0; n]);
        for (p, row) in self.grad.chunks_exact(u.max(1)).take(k).enumerate() {
            for (&c, &g) in self.classes.iter().zip(row) {
                gw[p * n + c as usize] = g;
            }
        }
        for (&c, &g) in self.classes.iter().zip(&self.grad[k * u..]) {
            gb[c as usize] = g;
        }
        (gw, gb)
    }
}

/// The sampled loss over candidate logits (rows×U, overwritten by the
/// probabilities): row i's softmax runs over its own class (`labels[i]`,
/// uncorrected) and every other candidate shifted by `negative_shift`.
/// Returns Σ wᵢ·lᵢ; `grad` gets ∂(scale·Σ wᵢ·lᵢ)/∂logits.
pub(crate) fn candidate_loss_and_grad(
    logits: &mut [f32],
    labels: &[u32],
    negative_shift: &[f32],
    weights: &[f32],
    scale: f32,
    grad: &mut [f32],
) -> f64 {
    let u = negative_shift.len();
    if u == 0 {
        return 0.0;
    }
    let mut total = 0.0f64;
    for (i, (row, g)) in logits
        .chunks_exact_mut(u)
        .zip(grad.chunks_exact_mut(u))
        .enumerate()
    {
        let t = labels.get(i).map_or(0, |&t| t as usize);
        let w = weights.get(i).copied().unwrap_or(1.0);
        let true_logit = row.get(t).copied().unwrap_or(0.0);
        for (z, &shift) in row.iter_mut().zip(negative_shift) {
            *z += shift;
        }
        if let Some(z) = row.get_mut(t) {
            *z = true_logit; // accidental hits of the true class are dropped
        }
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f64;
        for z in row.iter_mut() {
            let e = ((*z - max) as f64).exp();
            sum += e;
            *z = e as f32;
        }
        let lse = max as f64 + sum.ln();
        total += w as f64 * (lse - true_logit as f64);
        let inv = (1.0 / sum) as f32;
        let s = w * scale;
        for (gk, p) in g.iter_mut().zip(row.iter_mut()) {
            *p *= inv;
            *gk = *p * s;
        }
        if let Some(gt) = g.get_mut(t) {
            *gt -= s;
        }
    }
    total
}

/// Checks class-index targets: one column of integers in [0, classes).
pub(crate) fn check_class_labels(
    y: &ndarray::Array2<f32>,
    classes: usize,
    name: &str,
) -> Result<()> {
    if y.ncols() != 1 {
        return Err(Error::shape(
            format!("{name} columns (sampled softmax takes one class index per row)"),
            1,
            y.ncols(),
        ));
    }
    if let Some(((i, _), v)) = y
        .indexed_iter()
        .find(|(_, v)| !(**v >= 0.0 && v.fract() == 0.0 && (**v as usize) < classes))
    {
        return Err(Error::invalid(
            format!("{name}[{i}][0]"),
            v,
            format!("must be a class index: an integer in [0, {classes})"),
        ));
    }
    Ok(())
}

/// A metric of full-softmax `outputs` (rows×width) against class indices.
pub(crate) fn class_index_metric(
    metric: Metric,
    outputs: &[f32],
    width: usize,
    labels: &[f32],
) -> Result<f32> {
    let rows = outputs.chunks_exact(width.max(1)).zip(labels);
    let n = labels.len().max(1) as f64;
    match metric {
        Metric::Accuracy => {
            let hits = rows
                .filter(|(p, &y)| super::data::argmax(p.iter().copied()) == y as usize)
                .count();
            Ok((hits as f64 / n) as f32)
        }
        Metric::LogLoss => {
            let total: f64 = rows
                .map(|(p, &y)| -(p.get(y as usize).copied().unwrap_or(0.0).max(1e-7) as f64).ln())
                .sum();
            Ok((total / n) as f32)
        }
        other => Err(Error::invalid(
            "metrics",
            format!("{other:?}"),
            "sampled softmax (class-index targets) supports Accuracy and LogLoss",
        )),
    }
}

/// The full-softmax probabilities of the true class for the 8 held-out rows of
/// [`seeded_run`], as computed natively (x86_64) — pinned so that the browser
/// build can check that sampled-softmax training is the same there (within 1e-5).
pub const SEEDED_RUN_EXPECTED: [f32; 8] = [
    0.167_105_93,
    0.185_652_43,
    0.993_646_6,
    0.915_809_5,
    0.963_903,
    0.279_178_2,
    0.667_770_6,
    0.710_558_1,
];

/// Trains 6 → 16 ReLU → 40 softmax with sampled softmax (8 negatives, class
/// frequency sampler, Adam) on 160 seeded rows, 6 epochs of batch 16, and
/// returns the probability of the true class of 8 held-out rows.
pub fn seeded_run() -> Result<Vec<f32>> {
    use super::{Activation, Control, Dataset, Loss, MlpParams, TrainConfig, Validation};
    let (classes, rows, dim) = (40usize, 168usize, 6usize);
    let mut rng = Rng::new(2026);
    let protos: Vec<f32> = (0..classes * dim).map(|_| rng.normal()).collect();
    let labels: Vec<usize> = (0..rows).map(|i| (i * i + 3 * i) % classes).collect();
    let x = ndarray::Array2::from_shape_fn((rows, dim), |(i, j)| {
        protos[labels[i] * dim + j] + 0.3 * rng.normal()
    });
    let y = ndarray::Array2::from_shape_fn((rows, 1), |(i, _)| labels[i] as f32);
    let train = Dataset::new(
        x.slice(ndarray::s![..160, ..]).to_owned(),
        y.slice(ndarray::s![..160, ..]).to_owned(),
    )?;
    let mut mlp = MlpParams::new(dim)
        .layer(16, Activation::Relu)
        .layer(classes, Activation::Softmax)
        .seed(5)
        .init()?;
    let cfg = TrainConfig {
        loss: Loss::SampledSoftmax {
            negatives: 8,
            sampler: Sampler::Frequency,
        },
        optimizer: Optimizer::adam(0.02),
        batch_size: 16,
        epochs: 6,
        seed: Some(9),
        validation: Validation::None,
        ..TrainConfig::default()
    };
    mlp.fit(&train, &cfg, &mut |_| Control::Continue)?;
    let p = mlp.predict(x.slice(ndarray::s![160.., ..]))?;
    Ok(p.rows()
        .into_iter()
        .zip(&labels[160..])
        .map(|(row, &t)| row.get(t).copied().unwrap_or(0.0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::nn::loss::class_index_loss_and_grad;

    fn full_loss(z: &[f32], t: usize) -> f64 {
        class_index_loss_and_grad(z, &[t as f32], &[], z.len(), 1.0, None)
    }

    #[test]
    fn seeded_run_matches_the_pinned_probabilities() {
        let got = seeded_run().unwrap();
        assert_eq!(got.len(), SEEDED_RUN_EXPECTED.len());
        for (g, e) in got.iter().zip(SEEDED_RUN_EXPECTED.iter()) {
            assert!((g - e).abs() < 1e-5, "got {got:?}");
        }
        assert_eq!(seeded_run().unwrap(), got, "same seed, same result");
    }

    #[test]
    fn alias_table_draws_match_the_distribution() {
        let weights = [1.0f32, 2.0, 3.0, 10.0, 0.5];
        let p = Proposal::from_weights(&weights, "w").unwrap();
        let mut rng = Rng::new(9);
        let mut counts = [0usize; 5];
        let n = 200_000;
        for _ in 0..n {
            counts[p.draw(&mut rng)] += 1;
        }
        let total: f32 = weights.iter().sum();
        for c in 0..5 {
            let want = weights[c] / total;
            let got = counts[c] as f32 / n as f32;
            assert!((got - want).abs() < 0.005, "class {c}: {got} vs {want}");
            assert!((p.log_q(c) - (want as f64).ln()).abs() < 1e-6);
        }
        let e = Proposal::from_weights(&[1.0, 0.0], "class_frequencies")
            .unwrap_err()
            .to_string();
        assert!(e.contains("class_frequencies[1]"), "{e}");
    }

    #[test]
    fn candidate_gradient_matches_finite_differences() {
        // 2 rows, 5 candidates; candidate 4 was never drawn (masked), 2 drawn twice.
        let labels = [1u32, 3];
        let shift = [-1.0f32, -0.5, 0.3 + 2f32.ln(), -0.2, f32::NEG_INFINITY];
        let z = [0.2f32, -0.4, 1.1, 0.5, 0.9, -1.0, 0.3, 0.7, 1.5, 2.0];
        let w = [0.7f32, 1.6];
        let eval = |z: &[f32], grad: &mut [f32]| {
            let mut z = z.to_vec();
            candidate_loss_and_grad(&mut z, &labels, &shift, &w, 0.5, grad)
        };
        let mut g = vec![0.0; 10];
        eval(&z, &mut g);
        for k in 0..10 {
            let eps = 1e-3f32;
            let (mut zp, mut zm) = (z, z);
            zp[k] += eps;
            zm[k] -= eps;
            let mut scratch = vec![0.0; 10];
            let numeric =
                0.5 * (eval(&zp, &mut scratch) - eval(&zm, &mut scratch)) / (2.0 * eps as f64);
            assert!(
                (g[k] as f64 - numeric).abs() < 1e-3,
                "z[{k}]: {} vs {numeric}",
                g[k]
            );
        }
        assert_eq!(g[4], 0.0, "a masked candidate gets no gradient");
    }

    #[test]
    fn sampled_loss_is_consistent_with_the_full_loss() {
        let classes = 50;
        let mut rng = Rng::new(4);
        let z: Vec<f32> = (0..classes).map(|_| 2.0 * rng.normal()).collect();
        let t = 7;
        let full = full_loss(&z, t);
        let freq: Vec<f32> = (0..classes).map(|c| 1.0 / (1.0 + c as f32)).collect();
        for proposal in [
            Proposal::uniform(classes),
            Proposal::from_weights(&freq, "f").unwrap(),
        ] {
            let mut errors = Vec::new();
            for negatives in [20, 200, 20_000] {
                let mut out = SampledOutput::new(classes, negatives, proposal.clone(), Vec::new());
                let mut mean = 0.0f64;
                let trials = 40;
                for _ in 0..trials {
                    out.choose(&[t as f32], Negatives::Draw(&mut rng)).unwrap();
                    let mut cand: Vec<f32> = out.classes.iter().map(|&c| z[c as usize]).collect();
                    let mut g = vec![0.0; cand.len()];
                    mean += candidate_loss_and_grad(
                        &mut cand,
                        &out.labels,
                        &out.negative_shift,
                        &[],
                        1.0,
                        &mut g,
                    );
                }
                errors.push((mean / trials as f64 - full).abs());
            }
            assert!(
                errors[2] < 0.01 * full.abs().max(1.0),
                "{errors:?} (full {full})"
            );
            assert!(errors[2] < errors[0], "{errors:?}");
        }
    }

    #[test]
    fn class_labels_are_checked() {
        let y = ndarray::array![[0.0f32], [2.0], [3.0]];
        let e = check_class_labels(&y, 3, "y").unwrap_err().to_string();
        assert!(e.contains("y[2][0]"), "{e}");
        let y = ndarray::array![[0.5f32]];
        assert!(check_class_labels(&y, 3, "y").is_err());
        assert!(check_class_labels(&ndarray::array![[0.0f32, 1.0]], 3, "y").is_err());
        assert!(check_class_labels(&ndarray::array![[2.0f32]], 3, "y").is_ok());
    }
}
