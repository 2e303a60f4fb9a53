//! Losses, computed from the output layer's logits where that is more stable.
//!
//! * [`Loss::BinaryCrossEntropy`] needs a sigmoid output and is evaluated from
//!   the logit z as `max(z, 0) − z·y + ln(1 + e^−|z|)`, so it never takes the
//!   log of 0; its gradient with respect to z is simply `σ(z) − y`.
//! * [`Loss::SoftmaxCrossEntropy`] needs a softmax output: `logsumexp(z)·Σy − Σ y·z`
//!   (targets may be one-hot or soft), gradient `softmax(z)·Σy − y`.
//! * [`Loss::MeanSquaredError`] works with any non-softmax output.
//! * [`Loss::SampledSoftmax`] needs a softmax output and class-index targets
//!   (one column): training computes only the batch's true classes plus sampled
//!   negatives (see [`super::sampled`]); evaluation uses the exact full softmax.
//!
//! Each example's loss is the mean over its outputs; a batch's loss is
//! `Σ wᵢ·lᵢ / n` (per-example weights `wᵢ`, default 1), as in Keras.
//!
//! With per-example logit offsets ([`crate::nn::Dataset::with_offsets`]) the
//! logits given here are already shifted (`z = mlp(x) + oᵢ`): the formulas
//! and their gradient with respect to z are unchanged, and since
//! ∂z/∂mlp(x) = 1 so is the gradient flowing back into the network.
//!
//! ```
//! use localrec::nn::{Activation, Loss};
//! assert!(Loss::BinaryCrossEntropy.check_output(Activation::Sigmoid).is_ok());
//! assert!(Loss::BinaryCrossEntropy.check_output(Activation::Relu).is_err());
//! ```

use super::activation::Activation;
use crate::error::{Error, Result};

/// The training objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loss {
    /// Binary (or multi-label) cross-entropy; sigmoid output.
    BinaryCrossEntropy,
    /// Mean squared error; any output except softmax.
    MeanSquaredError,
    /// Categorical cross-entropy; softmax output.
    SoftmaxCrossEntropy,
    /// Categorical cross-entropy over a wide softmax output, trained on the
    /// batch's true classes plus `negatives` classes drawn per batch by
    /// `sampler` (logQ-corrected); targets are class indices (one column).
    SampledSoftmax {
        negatives: usize,
        sampler: super::sampled::Sampler,
    },
}

impl Loss {
    /// The loss as `{:?}` shows it (`BinaryCrossEntropy`, `SampledSoftmax { negatives: 8,
    /// sampler: Uniform }`), for messages, without `Debug`'s builders in the browser.
    // Inlined (as `check_output`): with a constant loss, as in the browser's
    // fine-tuning (`Mlp::fit_bce_with`), only that loss's branch is compiled (no
    // sampled-softmax formatting in the WebAssembly: 290 B gzip, measured).
    #[inline(always)]
    pub fn describe(self) -> String {
        match self {
            Loss::BinaryCrossEntropy => "BinaryCrossEntropy".into(),
            Loss::MeanSquaredError => "MeanSquaredError".into(),
            Loss::SoftmaxCrossEntropy => "SoftmaxCrossEntropy".into(),
            Loss::SampledSoftmax { negatives, sampler } => {
                let sampler = match sampler {
                    super::sampled::Sampler::Uniform => "Uniform",
                    super::sampled::Sampler::Frequency => "Frequency",
                };
                format!("SampledSoftmax {{ negatives: {negatives}, sampler: {sampler} }}")
            }
        }
    }

    /// Checks that the loss can be used with this output activation.
    #[inline(always)] // see `describe`
    pub fn check_output(self, output: Activation) -> Result<()> {
        let ok = match self {
            Loss::BinaryCrossEntropy => output == Activation::Sigmoid,
            Loss::SoftmaxCrossEntropy | Loss::SampledSoftmax { .. } => {
                output == Activation::Softmax
            }
            Loss::MeanSquaredError => output != Activation::Softmax,
        };
        if ok {
            Ok(())
        } else {
            let need = match self {
                Loss::BinaryCrossEntropy => "needs a sigmoid output layer",
                Loss::SoftmaxCrossEntropy | Loss::SampledSoftmax { .. } => {
                    "needs a softmax output layer"
                }
                Loss::MeanSquaredError => "cannot be used with a softmax output layer",
            };
            Err(Error::invalid(
                "loss",
                format!("{} with {} output", self.describe(), output.name()),
                need,
            ))
        }
    }

    /// Columns of `y` this loss expects for an output layer `output_width` wide:
    /// the width itself, or 1 (a class index) for sampled softmax.
    pub fn target_columns(self, output_width: usize) -> usize {
        match self {
            Loss::SampledSoftmax { .. } => 1,
            _ => output_width,
        }
    }
}

/// Σ wᵢ·lᵢ over a batch, and (when `grad` is given) ∂(Σ wᵢ·lᵢ · scale)/∂z.
///
/// `logits` are the output layer's pre-activations, `outputs` its activations
/// (both n×width row-major), `targets` n×width, `weights` n or empty (all 1).
#[allow(clippy::too_many_arguments)]
pub(crate) fn loss_and_grad(
    loss: Loss,
    output_activation: Activation,
    logits: &[f32],
    outputs: &[f32],
    targets: &[f32],
    weights: &[f32],
    width: usize,
    scale: f32,
    mut grad: Option<&mut [f32]>,
) -> f64 {
    if width == 0 {
        return 0.0;
    }
    if let Loss::SampledSoftmax { .. } = loss {
        // Evaluation is exact; `targets` holds one class index per row.
        return class_index_loss_and_grad(logits, targets, weights, width, scale, grad);
    }
    if loss == Loss::BinaryCrossEntropy {
        return bce_loss_and_grad(logits, outputs, targets, weights, width, scale, grad);
    }
    let per_output = 1.0 / width as f32;
    let mut total = 0.0f64;
    let rows = logits
        .chunks_exact(width)
        .zip(outputs.chunks_exact(width))
        .zip(targets.chunks_exact(width))
        .enumerate();
    for (i, ((z, a), y)) in rows {
        let w = weights.get(i).copied().unwrap_or(1.0);
        let mut example = 0.0f64;
        let g_row = grad
            .as_deref_mut()
            .map(|g| &mut g[i * width..(i + 1) * width]);
        match loss {
            Loss::MeanSquaredError => {
                for k in 0..width {
                    let d = a[k] - y[k];
                    example += (d * d) as f64;
                }
                example *= per_output as f64;
                if let Some(g) = g_row {
                    let s = 2.0 * w * scale * per_output;
                    for k in 0..width {
                        g[k] = (a[k] - y[k]) * s;
                    }
                    output_activation.backprop_in_place(a, g);
                }
            }
            // Softmax cross-entropy (binary cross-entropy and sampled softmax returned above).
            _ => {
                let lse = log_sum_exp(z);
                let y_sum: f32 = y.iter().sum();
                let yz: f64 = y.iter().zip(z).map(|(&yk, &zk)| (yk * zk) as f64).sum();
                example = lse * y_sum as f64 - yz;
                if let Some(g) = g_row {
                    let s = w * scale;
                    for k in 0..width {
                        g[k] = (a[k] * y_sum - y[k]) * s;
                    }
                }
            }
        }
        total += w as f64 * example;
    }
    total
}

/// [`loss_and_grad`] for [`Loss::BinaryCrossEntropy`] (sigmoid outputs), which
/// it calls: the on-device fine-tuning ([`crate::nn::Mlp::fit_bce`]) links
/// this without the other losses' code.
pub(crate) fn bce_loss_and_grad(
    logits: &[f32],
    outputs: &[f32],
    targets: &[f32],
    weights: &[f32],
    width: usize,
    scale: f32,
    mut grad: Option<&mut [f32]>,
) -> f64 {
    if width == 0 {
        return 0.0;
    }
    let per_output = 1.0 / width as f32;
    let mut total = 0.0f64;
    let rows = logits
        .chunks_exact(width)
        .zip(outputs.chunks_exact(width))
        .zip(targets.chunks_exact(width))
        .enumerate();
    for (i, ((z, a), y)) in rows {
        let w = weights.get(i).copied().unwrap_or(1.0);
        let mut example = 0.0f64;
        for k in 0..width {
            let (zk, yk) = (z[k], y[k]);
            // max(z, 0) as a compare-and-select: `f32::max` is a libm
            // call in wasm32 (a NaN z is caught by the finite check).
            let relu = if zk > 0.0 { zk } else { 0.0 };
            example += (relu - zk * yk + (-zk.abs()).exp().ln_1p()) as f64;
        }
        example *= per_output as f64;
        if let Some(g) = grad.as_deref_mut() {
            let g = &mut g[i * width..(i + 1) * width];
            let s = w * scale * per_output;
            for k in 0..width {
                g[k] = (a[k] - y[k]) * s;
            }
        }
        total += w as f64 * example;
    }
    total
}

/// ln Σ e^z, max-shifted so that it never overflows.
fn log_sum_exp(z: &[f32]) -> f64 {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = z.iter().map(|&v| ((v - max) as f64).exp()).sum();
    max as f64 + sum.ln()
}

/// The exact full-softmax cross-entropy with class-index targets (one per
/// row, `logits` rows×width): Σ wᵢ·(logsumexp(zᵢ) − zᵢ[yᵢ]), and its gradient.
pub(crate) fn class_index_loss_and_grad(
    logits: &[f32],
    labels: &[f32],
    weights: &[f32],
    width: usize,
    scale: f32,
    mut grad: Option<&mut [f32]>,
) -> f64 {
    if width == 0 {
        return 0.0;
    }
    let mut total = 0.0f64;
    for (i, z) in logits.chunks_exact(width).enumerate() {
        let t = labels.get(i).map_or(0, |&y| y as usize).min(width - 1);
        let w = weights.get(i).copied().unwrap_or(1.0);
        let lse = log_sum_exp(z);
        total += w as f64 * (lse - z[t] as f64);
        if let Some(g) = grad
            .as_deref_mut()
            .and_then(|g| g.get_mut(i * width..(i + 1) * width))
        {
            let s = w * scale;
            for (gk, &zk) in g.iter_mut().zip(z) {
                *gk = (((zk as f64 - lse).exp()) as f32) * s;
            }
            g[t] -= s;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::{sigmoid, softmax_in_place};

    fn outputs(act: Activation, z: &[f32], width: usize) -> Vec<f32> {
        let mut a = z.to_vec();
        act.apply_rows(&mut a, width);
        a
    }

    #[test]
    fn bce_matches_the_textbook_formula_and_is_finite_at_extremes() {
        let z = [0.3f32, -2.0];
        let y = [1.0f32, 0.0];
        let a = outputs(Activation::Sigmoid, &z, 1);
        let l = loss_and_grad(
            Loss::BinaryCrossEntropy,
            Activation::Sigmoid,
            &z,
            &a,
            &y,
            &[],
            1,
            1.0,
            None,
        );
        let want = -(sigmoid(0.3) as f64).ln() - (1.0 - sigmoid(-2.0) as f64).ln();
        assert!((l - want).abs() < 1e-5, "{l} vs {want}");
        let z = [200.0f32, -200.0];
        let a = outputs(Activation::Sigmoid, &z, 1);
        let l = loss_and_grad(
            Loss::BinaryCrossEntropy,
            Activation::Sigmoid,
            &z,
            &a,
            &[0.0, 1.0],
            &[],
            1,
            1.0,
            None,
        );
        assert!(l.is_finite() && (l - 400.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn gradients_match_finite_differences_for_every_loss() {
        let cases = [
            (Loss::BinaryCrossEntropy, Activation::Sigmoid),
            (Loss::MeanSquaredError, Activation::Identity),
            (Loss::MeanSquaredError, Activation::Tanh),
            (Loss::MeanSquaredError, Activation::Sigmoid),
            (Loss::SoftmaxCrossEntropy, Activation::Softmax),
        ];
        let z = [0.4f32, -1.2, 2.0, 0.1, -0.3, 0.9];
        let y = [0.0f32, 1.0, 0.0, 0.3, 0.7, 0.0];
        let w = [0.5f32, 2.0];
        for (loss, act) in cases {
            let width = 3;
            let a = outputs(act, &z, width);
            let mut g = vec![0.0f32; 6];
            loss_and_grad(loss, act, &z, &a, &y, &w, width, 1.0, Some(&mut g));
            for k in 0..6 {
                let eps = 1e-3f32;
                let mut zp = z;
                zp[k] += eps;
                let mut zm = z;
                zm[k] -= eps;
                let lp = loss_and_grad(
                    loss,
                    act,
                    &zp,
                    &outputs(act, &zp, width),
                    &y,
                    &w,
                    width,
                    1.0,
                    None,
                );
                let lm = loss_and_grad(
                    loss,
                    act,
                    &zm,
                    &outputs(act, &zm, width),
                    &y,
                    &w,
                    width,
                    1.0,
                    None,
                );
                let numeric = (lp - lm) / (2.0 * eps as f64);
                assert!(
                    (g[k] as f64 - numeric).abs() < 2e-3,
                    "{loss:?}/{act:?} z[{k}]: {} vs {numeric}",
                    g[k]
                );
            }
        }
        let mut row = [1.0f32, 2.0];
        softmax_in_place(&mut row);
        assert!(row[1] > row[0]);
    }

    #[test]
    fn incompatible_outputs_are_named() {
        let e = Loss::SoftmaxCrossEntropy
            .check_output(Activation::Sigmoid)
            .unwrap_err()
            .to_string();
        assert!(e.contains("softmax"), "{e}");
        assert!(Loss::MeanSquaredError
            .check_output(Activation::Softmax)
            .is_err());
    }

    #[test]
    fn describe_reads_as_debug() {
        use crate::nn::sampled::Sampler;
        for loss in [
            Loss::BinaryCrossEntropy,
            Loss::MeanSquaredError,
            Loss::SoftmaxCrossEntropy,
            Loss::SampledSoftmax {
                negatives: 8,
                sampler: Sampler::Uniform,
            },
            Loss::SampledSoftmax {
                negatives: 1,
                sampler: Sampler::Frequency,
            },
        ] {
            assert_eq!(loss.describe(), format!("{loss:?}"));
        }
    }
}
