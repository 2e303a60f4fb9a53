//! Ensembles: the (weighted) average of several trained models' predictions.
//!
//! ```
//! use localrec::nn::{Activation, Ensemble, MlpParams};
//! use ndarray::Array2;
//! let a = MlpParams::new(2).layer(1, Activation::Sigmoid).seed(1).init().unwrap();
//! let b = MlpParams::new(2).layer(1, Activation::Sigmoid).seed(2).init().unwrap();
//! let x = Array2::from_elem((1, 2), 0.5f32);
//! let want = (a.predict(x.view()).unwrap()[[0, 0]] + b.predict(x.view()).unwrap()[[0, 0]]) / 2.0;
//! let ens = Ensemble::new(vec![a, b]).unwrap();
//! assert!((ens.predict(x.view()).unwrap()[[0, 0]] - want).abs() < 1e-6);
//! ```

use super::data::check_weights;
use super::mlp::{Mlp, OutputBuffer, Workspace};
use crate::codec::{open, seal, Reader, Writer};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};

/// Kind tag of a serialized ensemble.
pub const KIND: [u8; 4] = *b"ENS1";
const VERSION: u16 = 1;
const MAX_MEMBERS: usize = 256;

/// Several models with the same input and output sizes, averaged.
#[derive(Debug, Clone, PartialEq)]
pub struct Ensemble {
    members: Vec<Mlp>,
    weights: Vec<f32>,
}

impl Ensemble {
    /// An equally weighted ensemble (at least one member, matching shapes).
    pub fn new(members: Vec<Mlp>) -> Result<Self> {
        let weights = vec![1.0; members.len()];
        Ensemble::weighted(members, weights)
    }

    /// An ensemble whose members count with the given (≥ 0, not all 0) weights.
    pub fn weighted(members: Vec<Mlp>, weights: Vec<f32>) -> Result<Self> {
        let Some(first) = members.first() else {
            return Err(Error::invalid(
                "ensemble members",
                0,
                "needs at least one model",
            ));
        };
        if members.len() > MAX_MEMBERS {
            return Err(Error::invalid(
                "ensemble members",
                members.len(),
                format!("at most {MAX_MEMBERS}"),
            ));
        }
        let (d, o) = (first.input_dim(), first.output_dim());
        for (i, m) in members.iter().enumerate() {
            if m.input_dim() != d || m.output_dim() != o {
                return Err(Error::shape(
                    format!("ensemble member {i} (inputs, outputs)"),
                    format!("({d}, {o})"),
                    format!("({}, {})", m.input_dim(), m.output_dim()),
                ));
            }
        }
        if weights.len() != members.len() {
            return Err(Error::shape(
                "ensemble weights (one per member)",
                members.len(),
                weights.len(),
            ));
        }
        check_weights("ensemble weights", &weights)?;
        if weights.iter().sum::<f32>() <= 0.0 {
            return Err(Error::invalid(
                "ensemble weights",
                "all 0",
                "at least one must be positive",
            ));
        }
        Ok(Ensemble { members, weights })
    }

    /// The models.
    pub fn members(&self) -> &[Mlp] {
        &self.members
    }
    /// Number of models.
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// Always false: an ensemble has at least one member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// Inputs per example.
    pub fn input_dim(&self) -> usize {
        self.members.first().map_or(0, Mlp::input_dim)
    }
    /// Outputs per example.
    pub fn output_dim(&self) -> usize {
        self.members.first().map_or(0, Mlp::output_dim)
    }

    /// The weighted mean of the members' predictions.
    pub fn predict(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((x.nrows(), self.output_dim()));
        self.predict_into(x, &mut out, &mut Workspace::new(), &mut Vec::new())?;
        Ok(out)
    }

    /// As [`Ensemble::predict`], into `out`, reusing `ws` and `member_out`.
    pub fn predict_into<O: OutputBuffer + ?Sized>(
        &self,
        x: ArrayView2<'_, f32>,
        out: &mut O,
        ws: &mut Workspace,
        member_out: &mut Vec<f32>,
    ) -> Result<()> {
        let out = out.output_slice(x.nrows(), self.output_dim())?;
        member_out.resize(out.len(), 0.0);
        out.iter_mut().for_each(|v| *v = 0.0);
        let total: f32 = self.weights.iter().sum();
        for (m, &w) in self.members.iter().zip(&self.weights) {
            m.predict_into(x, member_out.as_mut_slice(), ws)?;
            let share = w / total;
            for (o, &p) in out.iter_mut().zip(member_out.iter()) {
                *o += share * p;
            }
        }
        Ok(())
    }

    /// Serializes every member (a container of `MLP1` blobs) and the weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.put_f32s(&self.weights);
        for m in &self.members {
            w.put_bytes(&m.to_bytes());
        }
        seal(KIND, VERSION, &w.into_bytes())
    }

    /// Decodes what [`Ensemble::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Ensemble> {
        let (_, payload) = open(bytes, KIND, VERSION)?;
        let mut r = Reader::new(payload);
        let weights = r.get_f32s("ensemble weights")?;
        if weights.len() > MAX_MEMBERS {
            return Err(Error::decode(format!(
                "{} ensemble members is more than {MAX_MEMBERS}",
                weights.len()
            )));
        }
        let mut members = Vec::with_capacity(weights.len());
        for i in 0..weights.len() {
            let blob = r.get_bytes(&format!("ensemble member {i}"))?;
            members.push(
                Mlp::from_bytes(blob)
                    .map_err(|e| Error::decode(format!("ensemble member {i}: {e}")))?,
            );
        }
        r.finish()?;
        Ensemble::weighted(members, weights).map_err(|e| Error::decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, MlpParams};
    use crate::rng::Rng;

    fn member(seed: u64, inputs: usize) -> Mlp {
        MlpParams::new(inputs)
            .layer(4, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(seed)
            .init()
            .unwrap()
    }

    #[test]
    fn weighted_mean_of_members() {
        let mut rng = Rng::new(1);
        let x = Array2::from_shape_simple_fn((20, 3), || rng.normal());
        let (a, b) = (member(1, 3), member(2, 3));
        let (pa, pb) = (a.predict(x.view()).unwrap(), b.predict(x.view()).unwrap());
        let ens = Ensemble::weighted(vec![a, b], vec![1.0, 3.0]).unwrap();
        let p = ens.predict(x.view()).unwrap();
        for i in 0..20 {
            assert!((p[[i, 0]] - (0.25 * pa[[i, 0]] + 0.75 * pb[[i, 0]])).abs() < 1e-6);
        }
        let back = Ensemble::from_bytes(&ens.to_bytes()).unwrap();
        assert_eq!(back, ens);
        let bytes = ens.to_bytes();
        assert!(Ensemble::from_bytes(&bytes[..bytes.len() - 3]).is_err());
    }

    #[test]
    fn mismatched_members_and_weights_are_named() {
        assert!(Ensemble::new(vec![]).is_err());
        let e = Ensemble::new(vec![member(1, 3), member(2, 4)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("member 1"), "{e}");
        assert!(Ensemble::weighted(vec![member(1, 3)], vec![-1.0]).is_err());
        assert!(Ensemble::weighted(vec![member(1, 3)], vec![0.0]).is_err());
        assert!(Ensemble::weighted(vec![member(1, 3)], vec![1.0, 1.0]).is_err());
    }
}
