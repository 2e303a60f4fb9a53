//! The network: hyper-parameters ([`MlpParams`]) apart from the fitted model
//! ([`Mlp`]), and the forward pass used for scoring.
//!
//! ```
//! use localrec::nn::{Activation, MlpParams, Workspace};
//! use ndarray::Array2;
//! let mlp = MlpParams::new(4)
//!     .layer(8, Activation::Relu)
//!     .layer(1, Activation::Sigmoid)
//!     .seed(42)
//!     .init()
//!     .unwrap();
//! let x = Array2::<f32>::zeros((3, 4));
//! let p = mlp.predict(x.view()).unwrap();
//! assert_eq!(p.dim(), (3, 1));
//! // Allocation-free scoring once the workspace has warmed up:
//! let mut ws = Workspace::new();
//! let mut out = vec![0.0f32; 3];
//! mlp.predict_into(x.view(), &mut out, &mut ws).unwrap();
//! assert_eq!(out[0], p[[0, 0]]);
//! ```

use super::activation::Activation;
use super::data::first_non_finite;
use super::dense::Dense;
use super::kernels::{gemm, pack_b, Epilogue, Rhs, Scratch, NR};
use super::optim::OptimizerState;
use crate::error::{Error, Result};
use crate::rng::{random_seed, Rng};
use ndarray::{Array2, ArrayView2, ArrayViewMut2};

/// The largest weight matrix a layer may have (2^26 weights = 256 MiB):
/// anything bigger is a mistake in a browser model.
pub const MAX_LAYER_WEIGHTS: usize = 1 << 26;

/// Rows scored per pass of [`Mlp::predict_into`]: keeps the activations in cache.
const SCORE_CHUNK: usize = 256;

/// The architecture and initialisation of an MLP (builder).
#[derive(Debug, Clone, PartialEq)]
pub struct MlpParams {
    input_dim: usize,
    layers: Vec<(usize, Activation)>,
    seed: Option<u64>,
}

impl MlpParams {
    /// A network taking `input_dim` features; add layers with [`MlpParams::layer`].
    pub fn new(input_dim: usize) -> Self {
        MlpParams {
            input_dim,
            layers: Vec::new(),
            seed: None,
        }
    }
    /// Appends a dense layer of `width` units.
    pub fn layer(mut self, width: usize, activation: Activation) -> Self {
        self.layers.push((width, activation));
        self
    }
    /// Seeds the weight initialisation (without it a random seed is drawn).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// The classic ranking head: `input → 64 ReLU → 64 ReLU → 1 sigmoid`.
    pub fn ranking_head(input_dim: usize) -> Self {
        MlpParams::new(input_dim)
            .layer(64, Activation::Relu)
            .layer(64, Activation::Relu)
            .layer(1, Activation::Sigmoid)
    }

    /// Checks the architecture: at least one layer, no zero width, softmax
    /// only on the output layer, no absurdly large layer.
    pub fn validate(&self) -> Result<()> {
        if self.input_dim == 0 {
            return Err(Error::invalid("input_dim", 0, "must be at least 1"));
        }
        if self.layers.is_empty() {
            return Err(Error::invalid(
                "layers",
                0,
                "add at least one layer (the output layer)",
            ));
        }
        let mut inputs = self.input_dim;
        for (i, &(width, act)) in self.layers.iter().enumerate() {
            if width == 0 {
                return Err(Error::invalid(
                    format!("layers[{i}].width"),
                    0,
                    "must be at least 1",
                ));
            }
            if act == Activation::Softmax && i + 1 != self.layers.len() {
                return Err(Error::invalid(
                    format!("layers[{i}].activation"),
                    "softmax",
                    "only the output layer can be softmax",
                ));
            }
            match inputs.checked_mul(width) {
                Some(n) if n <= MAX_LAYER_WEIGHTS => {}
                _ => {
                    return Err(Error::invalid(
                        format!("layers[{i}].width"),
                        width,
                        format!("{inputs}×{width} weights exceed the limit of {MAX_LAYER_WEIGHTS}"),
                    ))
                }
            }
            inputs = width;
        }
        Ok(())
    }

    /// Builds the network with fresh He (ReLU) / Xavier (others) weights.
    pub fn init(&self) -> Result<Mlp> {
        self.validate()?;
        let mut rng = Rng::new(self.seed.unwrap_or_else(random_seed));
        let mut inputs = self.input_dim;
        let mut layers = Vec::with_capacity(self.layers.len());
        for &(width, act) in &self.layers {
            layers.push(Dense::init(inputs, width, act, &mut rng)?);
            inputs = width;
        }
        Mlp::from_layers(layers)
    }
}

/// A multilayer perceptron: its layers, the optimizer state of its last
/// training run (so training can resume), and its weights packed for the
/// scoring kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub(crate) layers: Vec<Dense>,
    pub(crate) state: Option<OptimizerState>,
    packed: Vec<Vec<[f32; NR]>>,
}

impl Mlp {
    /// A network from given layers; consecutive layers must fit together.
    pub fn from_layers(layers: Vec<Dense>) -> Result<Self> {
        if layers.is_empty() {
            return Err(Error::invalid(
                "layers",
                0,
                "add at least one layer (the output layer)",
            ));
        }
        for (i, pair) in layers.windows(2).enumerate() {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(Error::shape(
                    format!("layers[{}] inputs", i + 1),
                    pair[0].outputs(),
                    pair[1].inputs(),
                ));
            }
            if pair[0].activation() == Activation::Softmax {
                return Err(Error::invalid(
                    format!("layers[{i}].activation"),
                    "softmax",
                    "only the output layer can be softmax",
                ));
            }
        }
        let mut mlp = Mlp {
            layers,
            state: None,
            packed: Vec::new(),
        };
        mlp.repack();
        Ok(mlp)
    }

    /// Re-packs the weights for the scoring kernels (after any weight change).
    pub(crate) fn repack(&mut self) {
        self.packed.resize_with(self.layers.len(), Vec::new);
        for (layer, packed) in self.layers.iter().zip(self.packed.iter_mut()) {
            pack_b(layer.w_slice(), layer.inputs(), layer.outputs(), packed);
        }
    }

    /// Number of input features.
    pub fn input_dim(&self) -> usize {
        self.layers.first().map_or(0, Dense::inputs)
    }
    /// Number of outputs.
    pub fn output_dim(&self) -> usize {
        self.layers.last().map_or(0, Dense::outputs)
    }
    /// Number of trainable parameters (weights and biases).
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(Dense::param_count).sum()
    }
    /// The layers, input first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }
    /// The output layer's activation.
    pub fn output_activation(&self) -> Activation {
        self.layers
            .last()
            .map_or(Activation::Identity, Dense::activation)
    }
    /// The accumulated optimizer state, if the model was trained.
    pub fn optimizer_state(&self) -> Option<&OptimizerState> {
        self.state.as_ref()
    }
    /// Forgets the optimizer state (the next `fit` starts with fresh moments).
    pub fn reset_optimizer(&mut self) {
        self.state = None;
    }
    /// Replaces layer `index`'s weights and biases (same shapes, finite values).
    pub fn set_layer_params(
        &mut self,
        index: usize,
        w: Array2<f32>,
        b: ndarray::Array1<f32>,
    ) -> Result<()> {
        let Some(layer) = self.layers.get(index) else {
            return Err(Error::invalid(
                "layer index",
                index,
                format!("the network has {} layers", self.layers.len()),
            ));
        };
        if w.dim() != layer.w.dim() {
            return Err(Error::shape(
                format!("layers[{index}] weights"),
                crate::quote::integers(&<[usize; 2]>::from(layer.w.dim()), '(', ')'),
                crate::quote::integers(&<[usize; 2]>::from(w.dim()), '(', ')'),
            ));
        }
        let new = Dense::from_parts(w, b, layer.activation())?;
        if let Some(slot) = self.layers.get_mut(index) {
            *slot = new;
        }
        self.repack();
        Ok(())
    }
    /// The widest layer (or the input), for sizing buffers.
    pub(crate) fn max_width(&self) -> usize {
        self.layers
            .iter()
            .map(Dense::outputs)
            .chain([self.input_dim()])
            .max()
            .unwrap_or(0)
    }

    /// Scores `x` (n × input_dim), output activation applied: n × output_dim.
    pub fn predict(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((x.nrows(), self.output_dim()));
        let mut ws = Workspace::new();
        self.predict_into(x, &mut out, &mut ws)?;
        Ok(out)
    }

    /// Scores `x` into `out` (an `&mut [f32]`, `Vec<f32>`, `Array2<f32>` or
    /// `ArrayViewMut2<f32>` of n × output_dim values, row-major), reusing the
    /// buffers in `ws`: no allocation once `ws` has seen a batch this size.
    ///
    /// Fails on a shape mismatch, on non-finite input (naming the cell), and
    /// on non-finite output (rather than returning NaN scores).
    pub fn predict_into<O: OutputBuffer + ?Sized>(
        &self,
        x: ArrayView2<'_, f32>,
        out: &mut O,
        ws: &mut Workspace,
    ) -> Result<()> {
        self.score_into(x, Scores::Outputs, out, ws)
    }

    /// Scores `x` with a fixed logit offset per row (as trained with
    /// [`crate::nn::Dataset::with_offsets`]): the output activation of
    /// `mlp(x) + offsets[i]`, n × output_dim.
    ///
    /// ```
    /// use localrec::nn::{Activation, MlpParams};
    /// use ndarray::Array2;
    /// let mlp = MlpParams::new(2).layer(1, Activation::Sigmoid).seed(3).init().unwrap();
    /// let x = Array2::<f32>::zeros((2, 2));
    /// let p = mlp.predict_with_offsets(x.view(), &[0.0, 2.0]).unwrap();
    /// assert_eq!(p[[0, 0]], mlp.predict(x.view()).unwrap()[[0, 0]]);
    /// assert!(p[[1, 0]] > p[[0, 0]]);
    /// ```
    pub fn predict_with_offsets(
        &self,
        x: ArrayView2<'_, f32>,
        offsets: &[f32],
    ) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((x.nrows(), self.output_dim()));
        self.predict_with_offsets_into(x, offsets, &mut out, &mut Workspace::new())?;
        Ok(out)
    }

    /// [`Mlp::predict_with_offsets`] into a caller's buffer (see [`Mlp::predict_into`]).
    /// Fails when `offsets` is not one finite value per row.
    pub fn predict_with_offsets_into<O: OutputBuffer + ?Sized>(
        &self,
        x: ArrayView2<'_, f32>,
        offsets: &[f32],
        out: &mut O,
        ws: &mut Workspace,
    ) -> Result<()> {
        if offsets.len() != x.nrows() {
            return Err(Error::shape(
                "predict offsets (one per row)",
                x.nrows(),
                offsets.len(),
            ));
        }
        if let Some(pos) = first_non_finite(offsets) {
            return Err(Error::invalid(
                format!("offsets[{pos}]"),
                offsets[pos],
                "must be finite (NaN/Inf found)",
            ));
        }
        self.score_into(x, Scores::WithOffsets(offsets), out, ws)
    }

    /// The output layer's pre-activations (logits) of `x`, n × output_dim,
    /// for callers that add their own prior: `σ(logit + prior)` is what a
    /// model trained with offsets predicts.
    pub fn logits_into<O: OutputBuffer + ?Sized>(
        &self,
        x: ArrayView2<'_, f32>,
        out: &mut O,
        ws: &mut Workspace,
    ) -> Result<()> {
        self.score_into(x, Scores::Logits, out, ws)
    }

    fn score_into<O: OutputBuffer + ?Sized>(
        &self,
        x: ArrayView2<'_, f32>,
        scores: Scores<'_>,
        out: &mut O,
        ws: &mut Workspace,
    ) -> Result<()> {
        let (n, d) = x.dim();
        if d != self.input_dim() {
            return Err(Error::shape("predict input columns", self.input_dim(), d));
        }
        let out_dim = self.output_dim();
        let out = out.output_slice(n, out_dim)?;
        if n == 0 {
            return Ok(());
        }
        let contiguous = x.as_slice();
        let width = self.max_width();
        let chunk = SCORE_CHUNK.min(n);
        ws.ensure(chunk * width, chunk * d);
        let mut start = 0;
        while start < n {
            let rows = chunk.min(n - start);
            let input: &[f32] = match contiguous {
                Some(all) => &all[start * d..(start + rows) * d],
                None => {
                    let dst = &mut ws.input[..rows * d];
                    for (r, row) in x.rows().into_iter().skip(start).take(rows).enumerate() {
                        for (c, &v) in row.iter().enumerate() {
                            dst[r * d + c] = v;
                        }
                    }
                    &ws.input[..rows * d]
                }
            };
            if let Some(pos) = first_non_finite(input) {
                return Err(Error::invalid(
                    format!("x[{}][{}]", start + pos / d, pos % d),
                    input[pos],
                    "must be finite (NaN/Inf found)",
                ));
            }
            let dst = &mut out[start * out_dim..(start + rows) * out_dim];
            forward_rows(
                &self.layers,
                &self.packed,
                input,
                rows,
                &mut ws.ping,
                &mut ws.pong,
                dst,
                &mut ws.scratch,
                matches!(scores, Scores::Outputs),
            );
            if let Scores::WithOffsets(offsets) = scores {
                let offsets = offsets.get(start..start + rows).unwrap_or_default();
                for (row, &o) in dst.chunks_exact_mut(out_dim.max(1)).zip(offsets) {
                    row.iter_mut().for_each(|z| *z += o);
                }
                self.output_activation().apply_rows(dst, out_dim);
            }
            if let Some(pos) = first_non_finite(dst) {
                return Err(Error::Training(format!(
                    "the model produced a non-finite score ({}) for row {}: inputs too large for these weights",
                    crate::fmtnum::Num32(dst[pos]),
                    start + pos / out_dim.max(1)
                )));
            }
            start += rows;
        }
        Ok(())
    }
}

/// What [`Mlp::score_into`] writes per row.
#[derive(Debug, Clone, Copy)]
enum Scores<'a> {
    /// The output activations.
    Outputs,
    /// The output activation of logit + offset (one offset per row).
    WithOffsets(&'a [f32]),
    /// The output layer's pre-activations.
    Logits,
}

/// Runs `rows` rows through all layers, writing the last layer's activations
/// (its pre-activations without `output_activation`) to `out`. `ping`/`pong`
/// hold intermediate activations (≥ rows × widest).
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward_rows(
    layers: &[Dense],
    packed: &[Vec<[f32; NR]>],
    input: &[f32],
    rows: usize,
    ping: &mut [f32],
    pong: &mut [f32],
    out: &mut [f32],
    scratch: &mut Scratch,
    output_activation: bool,
) {
    let last = layers.len().saturating_sub(1);
    let mut src_is_ping = false;
    for (l, (layer, panel)) in layers.iter().zip(packed).enumerate() {
        let (k, n) = (layer.inputs(), layer.outputs());
        let (src, dst): (&[f32], &mut [f32]) = if l == 0 {
            (input, if l == last { &mut *out } else { &mut *ping })
        } else if src_is_ping {
            (&*ping, if l == last { &mut *out } else { &mut *pong })
        } else {
            (&*pong, if l == last { &mut *out } else { &mut *ping })
        };
        let dst = &mut dst[..rows * n];
        let act = if l == last && !output_activation {
            Activation::Identity
        } else {
            layer.activation()
        };
        let epilogue = if act == Activation::Relu {
            Epilogue::BiasRelu(layer.b_slice())
        } else {
            Epilogue::Bias(layer.b_slice())
        };
        gemm(
            rows,
            n,
            k,
            &src[..rows * k],
            false,
            Rhs::Packed(panel),
            dst,
            epilogue,
            scratch,
        );
        if act != Activation::Relu {
            act.apply_rows(dst, n);
        }
        src_is_ping = if l == 0 { true } else { !src_is_ping };
    }
}

/// Reusable scoring buffers for [`Mlp::predict_into`].
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    ping: Vec<f32>,
    pong: Vec<f32>,
    input: Vec<f32>,
    scratch: Scratch,
}

impl Workspace {
    /// An empty workspace; it grows to fit on first use.
    pub fn new() -> Self {
        Self::default()
    }
    fn ensure(&mut self, activations: usize, input: usize) {
        for (buf, len) in [
            (&mut self.ping, activations),
            (&mut self.pong, activations),
            (&mut self.input, input),
        ] {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
        }
    }
}

/// Something [`Mlp::predict_into`] can write rows × cols scores into.
pub trait OutputBuffer {
    /// The buffer as a row-major slice of exactly `rows × cols` values.
    fn output_slice(&mut self, rows: usize, cols: usize) -> Result<&mut [f32]>;
}

impl OutputBuffer for [f32] {
    fn output_slice(&mut self, rows: usize, cols: usize) -> Result<&mut [f32]> {
        if self.len() != rows * cols {
            return Err(Error::shape(
                "predict output length",
                rows * cols,
                self.len(),
            ));
        }
        Ok(self)
    }
}

impl OutputBuffer for Vec<f32> {
    fn output_slice(&mut self, rows: usize, cols: usize) -> Result<&mut [f32]> {
        self.as_mut_slice().output_slice(rows, cols)
    }
}

impl OutputBuffer for ArrayViewMut2<'_, f32> {
    fn output_slice(&mut self, rows: usize, cols: usize) -> Result<&mut [f32]> {
        if self.dim() != (rows, cols) {
            return Err(Error::shape(
                "predict output",
                format!("{rows}×{cols}"),
                format!("{}×{}", self.nrows(), self.ncols()),
            ));
        }
        self.as_slice_mut().ok_or_else(|| {
            Error::invalid(
                "predict output",
                "strided view",
                "must be contiguous (standard layout)",
            )
        })
    }
}

impl OutputBuffer for Array2<f32> {
    fn output_slice(&mut self, rows: usize, cols: usize) -> Result<&mut [f32]> {
        if self.dim() != (rows, cols) {
            return Err(Error::shape(
                "predict output",
                format!("{rows}×{cols}"),
                format!("{}×{}", self.nrows(), self.ncols()),
            ));
        }
        self.as_slice_mut().ok_or_else(|| {
            Error::invalid(
                "predict output",
                "strided array",
                "must be contiguous (standard layout)",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, s};

    fn reference_forward(mlp: &Mlp, x: &Array2<f32>) -> Array2<f32> {
        let mut a = x.clone();
        for layer in mlp.layers() {
            let mut z = a.dot(layer.weights()) + layer.bias();
            let width = z.ncols();
            layer
                .activation()
                .apply_rows(z.as_slice_mut().unwrap(), width);
            a = z;
        }
        a
    }

    #[test]
    fn kernels_agree_with_ndarray_for_every_activation() {
        let mut rng = Rng::new(9);
        for out in [
            Activation::Sigmoid,
            Activation::Softmax,
            Activation::Identity,
        ] {
            let width = if out == Activation::Softmax { 5 } else { 1 };
            let mlp = MlpParams::new(7)
                .layer(13, Activation::Relu)
                .layer(6, Activation::Tanh)
                .layer(9, Activation::Sigmoid)
                .layer(width, out)
                .seed(3)
                .init()
                .unwrap();
            let x = Array2::from_shape_simple_fn((300, 7), || rng.normal());
            let got = mlp.predict(x.view()).unwrap();
            let want = reference_forward(&mlp, &x);
            for (g, w) in got.iter().zip(want.iter()) {
                assert!((g - w).abs() < 1e-5, "{out:?}: {g} vs {w}");
            }
            // Strided input gives the same scores.
            let wide = Array2::from_shape_fn((300, 14), |(i, j)| x[[i, j / 2]]);
            let strided = wide.slice(s![.., ..;2]);
            assert_eq!(mlp.predict(strided).unwrap(), got);
        }
    }

    #[test]
    fn same_seed_same_weights_and_bad_architectures_are_named() {
        let p = MlpParams::ranking_head(5).seed(11);
        assert_eq!(p.init().unwrap(), p.init().unwrap());
        assert_ne!(
            p.init().unwrap(),
            MlpParams::ranking_head(5).seed(12).init().unwrap()
        );
        let e = MlpParams::new(3)
            .layer(0, Activation::Relu)
            .init()
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers[0].width"), "{e}");
        assert!(MlpParams::new(0)
            .layer(1, Activation::Sigmoid)
            .init()
            .is_err());
        assert!(MlpParams::new(3).init().is_err());
        assert!(MlpParams::new(3)
            .layer(4, Activation::Softmax)
            .layer(1, Activation::Sigmoid)
            .init()
            .is_err());
        assert!(MlpParams::new(1 << 20)
            .layer(1 << 20, Activation::Relu)
            .init()
            .is_err());
    }

    #[test]
    fn predict_checks_shapes_and_values() {
        let mlp = MlpParams::new(2)
            .layer(3, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(1)
            .init()
            .unwrap();
        assert_eq!(mlp.input_dim(), 2);
        assert_eq!(mlp.output_dim(), 1);
        assert_eq!(mlp.param_count(), 2 * 3 + 3 + 3 + 1);
        let e = mlp
            .predict(array![[1.0f32, 2.0, 3.0]].view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("columns"), "{e}");
        let e = mlp
            .predict(array![[1.0f32, f32::NAN]].view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("x[0][1]"), "{e}");
        let mut short = vec![0.0f32; 1];
        assert!(mlp
            .predict_into(
                array![[1.0f32, 2.0], [3.0, 4.0]].view(),
                &mut short,
                &mut Workspace::new()
            )
            .is_err());
        let mut out = Array2::zeros((2, 1));
        let mut view = out.view_mut();
        mlp.predict_into(
            array![[1.0f32, 2.0], [3.0, 4.0]].view(),
            &mut view,
            &mut Workspace::new(),
        )
        .unwrap();
        assert!(out.iter().all(|p| (0.0..=1.0).contains(p)));
        assert_eq!(
            mlp.predict(Array2::zeros((0, 2)).view()).unwrap().dim(),
            (0, 1)
        );
    }
}
