//! The re-ranking MLP fine-tuned on the device: features → hidden ReLU
//! layers → one logit, added to the fixed prior (residual learning: an
//! untrained head changes nothing, training only corrects the prior).
//!
//! Explicit forward and backward passes (llm.c style), SGD with momentum and
//! an L2 pull toward the weights training started from. It is tiny (12 → 16 →
//! 1 by default, 225 parameters): a step over a batch of 16 costs microseconds.
//!
//! ```
//! use localrec::recommender::head::Head;
//! use localrec::rng::Rng;
//! let mut h = Head::new(12, &[8], &mut Rng::new(1)).unwrap();
//! let x = vec![0.5f32; 12];
//! let before = h.logit(&x);
//! let prior = [0.0f32];
//! for _ in 0..50 { h.step(&x, &prior, &[1.0], 0.1, 0.0); }
//! assert!(h.logit(&x) > before);
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
struct Layer {
    inputs: usize,
    outputs: usize,
    /// Row-major outputs × inputs.
    w: Vec<f32>,
    b: Vec<f32>,
}

/// The MLP head with its optimizer state.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    layers: Vec<Layer>,
    /// Momentum buffers, same layout as the parameters.
    velocity: Vec<Vec<f32>>,
    /// Parameters when training started (the pull's anchor).
    anchor: Vec<Vec<f32>>,
    /// Gradient steps taken in total.
    pub steps: u64,
}

const MOMENTUM: f32 = 0.9;

impl Head {
    /// Fresh weights: He-initialised hidden layers, a near-zero output layer.
    pub fn new(inputs: usize, hidden: &[usize], rng: &mut Rng) -> Result<Head> {
        if inputs == 0 || inputs > 4096 || hidden.iter().any(|&h| h == 0 || h > 4096) {
            return Err(Error::invalid(
                "hidden",
                format!("{hidden:?}"),
                "widths must be in 1..=4096",
            ));
        }
        let mut layers = Vec::new();
        let mut fan_in = inputs;
        for (i, &width) in hidden.iter().chain(std::iter::once(&1)).enumerate() {
            let last = i == hidden.len();
            let scale = if last {
                0.01
            } else {
                (2.0 / fan_in as f32).sqrt()
            };
            let w = (0..width * fan_in).map(|_| rng.normal() * scale).collect();
            layers.push(Layer {
                inputs: fan_in,
                outputs: width,
                w,
                b: vec![0.0; width],
            });
            fan_in = width;
        }
        let mut h = Head {
            layers,
            velocity: Vec::new(),
            anchor: Vec::new(),
            steps: 0,
        };
        h.reset_optimizer();
        Ok(h)
    }

    /// Zeroes momentum and anchors the pull at the current weights.
    pub fn reset_optimizer(&mut self) {
        self.velocity = self.params().map(|p| vec![0.0; p.len()]).collect();
        self.anchor = self.params().map(|p| p.to_vec()).collect();
    }

    fn params(&self) -> impl Iterator<Item = &Vec<f32>> {
        self.layers.iter().flat_map(|l| [&l.w, &l.b])
    }

    pub fn input_dim(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }
    pub fn hidden(&self) -> Vec<usize> {
        let n = self.layers.len().saturating_sub(1);
        self.layers.iter().take(n).map(|l| l.outputs).collect()
    }
    pub fn param_count(&self) -> usize {
        self.params().map(|p| p.len()).sum()
    }

    /// Forward pass keeping every layer's activations (for backward).
    fn forward(&self, x: &[f32]) -> Vec<Vec<f32>> {
        let mut acts = vec![x.to_vec()];
        for (li, l) in self.layers.iter().enumerate() {
            let input = acts.last().map(|v| v.as_slice()).unwrap_or(&[]);
            let last = li + 1 == self.layers.len();
            let out: Vec<f32> = (0..l.outputs)
                .map(|o| {
                    let row = &l.w[o * l.inputs..(o + 1) * l.inputs];
                    let z = l.b[o] + row.iter().zip(input).map(|(w, a)| w * a).sum::<f32>();
                    if last {
                        z
                    } else {
                        z.max(0.0)
                    }
                })
                .collect();
            acts.push(out);
        }
        acts
    }

    /// The correction logit for one feature vector (0 for a wrong-sized input).
    /// Two stack buffers instead of `forward`'s vectors: `recommend` calls it
    /// for every catalog item.
    pub fn logit(&self, x: &[f32]) -> f32 {
        const MAX_WIDTH: usize = 256;
        if x.len() != self.input_dim() || x.len() > MAX_WIDTH {
            return 0.0;
        }
        if self.layers.iter().any(|l| l.outputs > MAX_WIDTH) {
            return self
                .forward(x)
                .last()
                .and_then(|v| v.first().copied())
                .filter(|z| z.is_finite())
                .unwrap_or(0.0);
        }
        let (mut a, mut b) = ([0.0f32; MAX_WIDTH], [0.0f32; MAX_WIDTH]);
        a[..x.len()].copy_from_slice(x);
        let last = self.layers.len().saturating_sub(1);
        for (li, l) in self.layers.iter().enumerate() {
            for (o, (row, bias)) in l.w.chunks_exact(l.inputs).zip(&l.b).enumerate() {
                let z = bias
                    + row
                        .iter()
                        .zip(&a[..l.inputs])
                        .map(|(w, v)| w * v)
                        .sum::<f32>();
                b[o] = if li == last { z } else { z.max(0.0) };
            }
            std::mem::swap(&mut a, &mut b);
        }
        if a[0].is_finite() {
            a[0]
        } else {
            0.0
        }
    }

    /// [`Head::logit`] of each row of `xs` (rows of `input_dim` features)
    /// written to `out`, equal to it bit for bit: eight rows go through each
    /// weight together (each row's sum in the same order as `logit`), so the
    /// loop over rows is the inner one and the compiler can vectorise it.
    /// Rows past `out.len()` and a ragged tail of `xs` are ignored.
    pub fn logits(&self, xs: &[f32], out: &mut [f32]) {
        const LANES: usize = 8;
        const MAX_WIDTH: usize = 256;
        let n_in = self.input_dim();
        let too_wide = n_in > MAX_WIDTH || self.layers.iter().any(|l| l.outputs > MAX_WIDTH);
        if n_in == 0 || too_wide {
            for (x, o) in xs.chunks_exact(n_in.max(1)).zip(out.iter_mut()) {
                *o = self.logit(x);
            }
            return;
        }
        let last = self.layers.len().saturating_sub(1);
        // Activations feature-major: a[j][r] is feature j of row r.
        let (mut a_buf, mut b_buf) = ([[0.0f32; LANES]; MAX_WIDTH], [[0.0f32; LANES]; MAX_WIDTH]);
        // Swapping the references, not the 8 KiB arrays, between layers.
        let (mut a, mut b) = (&mut a_buf, &mut b_buf);
        for (rows, outs) in xs.chunks(n_in * LANES).zip(out.chunks_mut(LANES)) {
            let used = (rows.len() / n_in).min(outs.len());
            for (r, x) in rows.chunks_exact(n_in).take(used).enumerate() {
                for (j, &v) in x.iter().enumerate() {
                    a[j][r] = v;
                }
            }
            for (li, l) in self.layers.iter().enumerate() {
                for (o, (row, &bias)) in l.w.chunks_exact(l.inputs).zip(&l.b).enumerate() {
                    // `Iterator::sum` of f32 starts at -0.0: so does this one.
                    let mut acc = [-0.0f32; LANES];
                    for (&w, col) in row.iter().zip(&a[..l.inputs]) {
                        for (s, &v) in acc.iter_mut().zip(col) {
                            *s += w * v;
                        }
                    }
                    for (z, s) in b[o].iter_mut().zip(acc) {
                        let v = bias + s;
                        *z = if li == last { v } else { v.max(0.0) };
                    }
                }
                std::mem::swap(&mut a, &mut b);
            }
            for (o, &z) in outs.iter_mut().zip(&a[0]).take(used) {
                *o = if z.is_finite() { z } else { 0.0 };
            }
        }
    }

    /// One SGD step on a batch: `xs` is rows of `input_dim` features,
    /// `prior[i]` the fixed prior logit of row i, `labels[i]` in {0, 1}.
    /// Loss: BCE of sigmoid(prior + head), computed stably from the logit.
    /// Returns the mean loss of the batch (before the step).
    pub fn step(&mut self, xs: &[f32], prior: &[f32], labels: &[f32], lr: f32, pull: f32) -> f32 {
        let d = self.input_dim();
        let n = labels.len().min(prior.len()).min(xs.len() / d.max(1));
        if n == 0 {
            return 0.0;
        }
        let mut grads: Vec<Vec<f32>> = self.params().map(|p| vec![0.0; p.len()]).collect();
        let mut loss = 0.0f32;
        for i in 0..n {
            let x = &xs[i * d..(i + 1) * d];
            let acts = self.forward(x);
            let z = prior[i] + acts.last().and_then(|v| v.first().copied()).unwrap_or(0.0);
            let y = labels[i];
            // BCE with logits: max(z,0) - z*y + ln(1 + e^-|z|).
            loss += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
            let sig = 1.0 / (1.0 + (-z).exp());
            let mut delta = vec![(sig - y) / n as f32];
            for li in (0..self.layers.len()).rev() {
                let l = &self.layers[li];
                let input = &acts[li];
                let (gw, gb) = (li * 2, li * 2 + 1);
                for o in 0..l.outputs {
                    grads[gb][o] += delta[o];
                    for k in 0..l.inputs {
                        grads[gw][o * l.inputs + k] += delta[o] * input[k];
                    }
                }
                if li > 0 {
                    // Back through the weights and the previous layer's ReLU.
                    let mut prev = vec![0.0f32; l.inputs];
                    for (row, &d) in l.w.chunks_exact(l.inputs).zip(&delta) {
                        for (p, &w) in prev.iter_mut().zip(row) {
                            *p += w * d;
                        }
                    }
                    for (k, p) in prev.iter_mut().enumerate() {
                        if input[k] <= 0.0 {
                            *p = 0.0;
                        }
                    }
                    delta = prev;
                }
            }
        }
        let mut gi = 0;
        for l in &mut self.layers {
            for p in [&mut l.w, &mut l.b] {
                let (g, v, a) = (&grads[gi], &mut self.velocity[gi], &self.anchor[gi]);
                for j in 0..p.len() {
                    let grad = g[j] + pull * (p[j] - a[j]);
                    v[j] = MOMENTUM * v[j] + grad;
                    p[j] -= lr * v[j];
                }
                gi += 1;
            }
        }
        self.steps += 1;
        loss / n as f32
    }

    /// True when every parameter is finite.
    pub fn is_finite(&self) -> bool {
        self.params().all(|p| p.iter().all(|v| v.is_finite()))
    }

    /// Appends the weights to a payload.
    pub fn write(&self, w: &mut Writer) {
        w.put_len(self.layers.len());
        for l in &self.layers {
            w.put_len(l.inputs);
            w.put_len(l.outputs);
            w.put_f32s(&l.w);
            w.put_f32s(&l.b);
        }
        w.put_u64(self.steps);
    }

    /// Reads weights written by [`Head::write`], checking every shape.
    pub fn read(r: &mut Reader) -> Result<Head> {
        let n = r.get_len("head.layers", 16)?;
        if n == 0 || n > 8 {
            return Err(Error::decode(format!(
                "head.layers: {n} layers is not plausible"
            )));
        }
        let mut layers = Vec::with_capacity(n);
        let mut expect_in = None;
        for i in 0..n {
            let inputs = r.get_u64("head.inputs")? as usize;
            let outputs = r.get_u64("head.outputs")? as usize;
            if inputs == 0 || outputs == 0 || inputs > 4096 || outputs > 4096 {
                return Err(Error::decode(format!(
                    "head layer {i}: shape {outputs}x{inputs}"
                )));
            }
            if expect_in.is_some_and(|e| e != inputs) {
                return Err(Error::decode(format!(
                    "head layer {i}: input {inputs} does not chain"
                )));
            }
            let w = r.get_f32s("head.weights")?;
            let b = r.get_f32s("head.bias")?;
            if w.len() != inputs * outputs || b.len() != outputs {
                return Err(Error::decode(format!(
                    "head layer {i}: parameter count does not match shape"
                )));
            }
            if w.iter().chain(&b).any(|v| !v.is_finite()) {
                return Err(Error::decode(format!("head layer {i}: non-finite weight")));
            }
            expect_in = Some(outputs);
            layers.push(Layer {
                inputs,
                outputs,
                w,
                b,
            });
        }
        if expect_in != Some(1) {
            return Err(Error::decode("head: the last layer must have one output"));
        }
        let steps = r.get_u64("head.steps")?;
        let mut h = Head {
            layers,
            velocity: Vec::new(),
            anchor: Vec::new(),
            steps,
        };
        h.reset_optimizer();
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central finite differences of the batch loss vs the analytic step.
    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = Rng::new(5);
        let head = Head::new(3, &[4, 3], &mut rng).unwrap();
        // Make the output layer non-trivial so every layer gets gradient.
        let mut head = head;
        for v in &mut head.layers[2].w {
            *v = rng.normal();
        }
        head.reset_optimizer();
        let xs = [0.3f32, -0.2, 0.9, 0.1, 0.5, -0.7];
        let prior = [0.2f32, -0.4];
        let labels = [1.0f32, 0.0];
        let loss_of = |h: &Head| -> f64 {
            let mut s = 0.0f64;
            for i in 0..2 {
                let z = (prior[i] + h.logit(&xs[i * 3..i * 3 + 3])) as f64;
                let y = labels[i] as f64;
                s += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
            }
            s / 2.0
        };
        // With lr = 1, momentum buffers start at 0, pull 0: p_new = p - grad.
        let mut stepped = head.clone();
        stepped.step(&xs, &prior, &labels, 1.0, 0.0);
        for li in 0..head.layers.len() {
            for j in 0..head.layers[li].w.len() {
                let analytic = head.layers[li].w[j] - stepped.layers[li].w[j];
                let eps = 1e-3f32;
                let (mut a, mut b) = (head.clone(), head.clone());
                a.layers[li].w[j] += eps;
                b.layers[li].w[j] -= eps;
                let numeric = ((loss_of(&a) - loss_of(&b)) / (2.0 * eps as f64)) as f32;
                assert!(
                    (analytic - numeric).abs() < 2e-3,
                    "layer {li} w{j}: {analytic} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn logit_matches_the_forward_pass() {
        let mut rng = Rng::new(4);
        for hidden in [vec![], vec![16], vec![8, 5, 3]] {
            let mut h = Head::new(13, &hidden, &mut rng).unwrap();
            // Non-trivial output weights (a fresh head's are near zero).
            for _ in 0..20 {
                let x: Vec<f32> = (0..13).map(|_| rng.normal()).collect();
                h.step(&x, &[0.0], &[1.0], 0.5, 0.0);
            }
            for _ in 0..10 {
                let x: Vec<f32> = (0..13).map(|_| rng.normal()).collect();
                let want = h.forward(&x).last().unwrap()[0];
                assert!((h.logit(&x) - want).abs() <= 1e-5 * (1.0 + want.abs()));
            }
        }
    }

    #[test]
    fn batched_logits_equal_logit_bit_for_bit() {
        let mut rng = Rng::new(6);
        for hidden in [vec![], vec![16], vec![8, 5, 3]] {
            let mut h = Head::new(13, &hidden, &mut rng).unwrap();
            for _ in 0..20 {
                let x: Vec<f32> = (0..13).map(|_| rng.normal()).collect();
                h.step(&x, &[0.0], &[1.0], 0.5, 0.0);
            }
            // 21 rows (two full blocks and a ragged one), some all zero.
            let xs: Vec<f32> = (0..21 * 13)
                .map(|i| if i / 13 % 4 == 0 { 0.0 } else { rng.normal() })
                .collect();
            let mut out = vec![f32::NAN; 21];
            h.logits(&xs, &mut out);
            for (x, got) in xs.chunks_exact(13).zip(&out) {
                assert_eq!(got.to_bits(), h.logit(x).to_bits());
            }
        }
    }

    #[test]
    fn round_trip_and_corrupt_shapes() {
        let h = Head::new(12, &[16], &mut Rng::new(2)).unwrap();
        let mut w = Writer::new();
        h.write(&mut w);
        let bytes = w.into_bytes();
        let back = Head::read(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(back.layers, h.layers);
        assert!(Head::read(&mut Reader::new(&bytes[..bytes.len() - 3])).is_err());
        assert!(Head::new(0, &[4], &mut Rng::new(1)).is_err());
        assert_eq!(h.param_count(), 12 * 16 + 16 + 16 + 1);
        assert_eq!(h.logit(&[1.0; 3]), 0.0); // wrong size: no panic
    }
}
