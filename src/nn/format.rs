//! The model format: architecture, weights and optimizer state in a
//! [`crate::codec`] container of kind `MLP1` (checksummed, versioned).
//!
//! Payload (version 1), all little-endian:
//!
//! ```text
//! layer count: u64 | per layer: inputs u64, outputs u64, activation u8, W f32s (in·out), b f32s (out)
//! has optimizer state: bool | kind u8, step u64, first-moment tensors, second-moment tensors
//! ```
//!
//! Every count is checked against the bytes that remain *before* anything is
//! allocated, so a corrupt or hostile blob fails with a named error.
//!
//! ```
//! use localrec::nn::{Activation, Mlp, MlpParams};
//! let mlp = MlpParams::new(3).layer(2, Activation::Sigmoid).seed(1).init().unwrap();
//! let bytes = mlp.to_bytes();
//! assert_eq!(Mlp::from_bytes(&bytes).unwrap(), mlp);
//! assert!(Mlp::from_bytes(&bytes[..bytes.len() - 1]).is_err());
//! ```

use super::activation::Activation;
use super::dense::Dense;
use super::mlp::{Mlp, MAX_LAYER_WEIGHTS};
use super::optim::OptimizerState;
use crate::codec::{open, seal, Reader, Writer};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};

/// The container kind of a serialized MLP.
pub const KIND: [u8; 4] = *b"MLP1";
/// The newest format version this build writes and reads.
pub const VERSION: u16 = 1;
/// More layers than this is not a model this crate made.
const MAX_LAYERS: usize = 1024;

impl Mlp {
    /// Serializes architecture, weights and optimizer state.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.put_len(self.layers.len());
        for layer in &self.layers {
            w.put_len(layer.inputs());
            w.put_len(layer.outputs());
            w.put_u8(layer.activation().code());
            w.put_f32s(layer.w_slice());
            w.put_f32s(layer.b_slice());
        }
        match &self.state {
            None => w.put_bool(false),
            Some(s) => {
                w.put_bool(true);
                w.put_u8(s.kind);
                w.put_u64(s.step);
                for group in [&s.first, &s.second] {
                    w.put_len(group.len());
                    for t in group {
                        w.put_f32s(t);
                    }
                }
            }
        }
        seal(KIND, VERSION, &w.into_bytes())
    }

    /// Decodes what [`Mlp::to_bytes`] wrote; never panics, names what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Mlp> {
        let (_, payload) = open(bytes, KIND, VERSION)?;
        let mut r = Reader::new(payload);
        // Each layer takes at least 8 + 8 + 1 + 8 + 8 bytes.
        let count = r.get_len("layer count", 33)?;
        if count == 0 || count > MAX_LAYERS {
            return Err(Error::decode(format!(
                "layer count {count} is not in 1..={MAX_LAYERS}"
            )));
        }
        let mut layers = Vec::with_capacity(count);
        for i in 0..count {
            let inputs = r.get_u64(&format!("layers[{i}].inputs"))? as usize;
            let outputs = r.get_u64(&format!("layers[{i}].outputs"))? as usize;
            match inputs.checked_mul(outputs) {
                Some(n) if n > 0 && n <= MAX_LAYER_WEIGHTS => {}
                _ => {
                    return Err(Error::decode(format!(
                        "layers[{i}] claims {inputs}×{outputs} weights"
                    )))
                }
            }
            let activation = Activation::from_code(r.get_u8(&format!("layers[{i}].activation"))?)?;
            let w = r.get_f32s(&format!("layers[{i}].weights"))?;
            let b = r.get_f32s(&format!("layers[{i}].bias"))?;
            if w.len() != inputs * outputs || b.len() != outputs {
                return Err(Error::decode(format!(
                    "layers[{i}]: {} weights and {} biases for a {inputs}×{outputs} layer",
                    w.len(),
                    b.len()
                )));
            }
            let w = Array2::from_shape_vec((inputs, outputs), w)
                .map_err(|e| Error::decode(format!("layers[{i}]: {e}")))?;
            let layer = Dense::from_parts(w, Array1::from(b), activation)
                .map_err(|e| Error::decode(format!("layers[{i}]: {e}")))?;
            layers.push(layer);
        }
        let mut mlp = Mlp::from_layers(layers).map_err(|e| Error::decode(e.to_string()))?;
        if r.get_bool("has optimizer state")? {
            let kind = r.get_u8("optimizer kind")?;
            let step = r.get_u64("optimizer step")?;
            let sizes: Vec<usize> = mlp
                .layers
                .iter()
                .flat_map(|l| [l.w.len(), l.b.len()])
                .collect();
            let mut groups = Vec::with_capacity(2);
            for name in ["first moments", "second moments"] {
                let n = r.get_len(name, 8)?;
                if n != 0 && n != sizes.len() {
                    return Err(Error::decode(format!(
                        "{name}: {n} tensors for {} parameters tensors",
                        sizes.len()
                    )));
                }
                let mut group = Vec::with_capacity(n);
                for (t, &size) in sizes.iter().enumerate().take(n) {
                    let v = r.get_f32s(name)?;
                    if v.len() != size {
                        return Err(Error::decode(format!(
                            "{name}[{t}]: {} values, expected {size}",
                            v.len()
                        )));
                    }
                    group.push(v);
                }
                groups.push(group);
            }
            let second = groups.pop().unwrap_or_default();
            let first = groups.pop().unwrap_or_default();
            if !matches!(kind, 1 | 2)
                || first.len() != sizes.len()
                || (kind == 2 && second.len() != sizes.len())
            {
                return Err(Error::decode(format!(
                    "optimizer state of kind {kind} is incomplete"
                )));
            }
            mlp.state = Some(OptimizerState {
                kind,
                step,
                first,
                second,
            });
        }
        r.finish()?;
        Ok(mlp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Control, Dataset, MlpParams, Optimizer, TrainConfig, Validation};
    use crate::rng::Rng;

    fn trained() -> (Mlp, Dataset) {
        let mut rng = Rng::new(4);
        let x = Array2::from_shape_simple_fn((64, 5), || rng.normal());
        let y = Array2::from_shape_fn((64, 1), |(i, _)| f32::from(x[[i, 0]] > 0.0));
        let data = Dataset::new(x, y).unwrap();
        let mut mlp = MlpParams::new(5)
            .layer(6, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(2)
            .init()
            .unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            seed: Some(3),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        (mlp, data)
    }

    #[test]
    fn round_trip_is_bit_exact_and_resumes_identically() {
        let (mlp, data) = trained();
        let bytes = mlp.to_bytes();
        let back = Mlp::from_bytes(&bytes).unwrap();
        assert_eq!(back, mlp);
        assert_eq!(back.to_bytes(), bytes);
        // Training resumes from the stored optimizer state exactly as the original would.
        let cfg = TrainConfig {
            optimizer: Optimizer::adam(1e-2),
            epochs: 2,
            seed: Some(9),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        let (mut a, mut b) = (mlp.clone(), back);
        a.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        b.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_rejected() {
        let (mlp, _) = trained();
        let bytes = mlp.to_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            assert!(Mlp::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
        }
        for byte in (0..bytes.len()).step_by(3) {
            let mut b = bytes.clone();
            b[byte] ^= 1 << (byte % 8);
            assert!(Mlp::from_bytes(&b).is_err(), "flip {byte}");
        }
    }

    #[test]
    fn absurd_sizes_are_rejected_before_allocating() {
        // A well-formed container whose payload claims a gigantic layer.
        let mut w = Writer::new();
        w.put_len(1);
        w.put_u64(1 << 40);
        w.put_u64(1 << 40);
        w.put_f32s(&[0.0; 16]);
        let e = Mlp::from_bytes(&seal(KIND, VERSION, &w.into_bytes()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("layers[0]"), "{e}");
        let mut w = Writer::new();
        w.put_u64(u64::MAX);
        assert!(Mlp::from_bytes(&seal(KIND, VERSION, &w.into_bytes())).is_err());
        // Weights that claim more values than the blob holds.
        let mut w = Writer::new();
        w.put_len(1);
        w.put_u64(100);
        w.put_u64(100);
        w.put_u8(0);
        w.put_u64(10_000);
        w.put_f32s(&[0.0; 4]);
        let e = Mlp::from_bytes(&seal(KIND, VERSION, &w.into_bytes()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("weights"), "{e}");
        assert!(Mlp::from_bytes(b"not a model at all, definitely not").is_err());
    }
}
