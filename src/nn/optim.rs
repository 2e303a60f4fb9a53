//! Optimizers: SGD with (Nesterov) momentum, and Adam.
//!
//! The hyper-parameters ([`Optimizer`]) are apart from the state the
//! optimizer accumulates ([`OptimizerState`]: step count and moments, one
//! buffer per weight tensor). The state lives in the [`crate::nn::Mlp`] and is
//! serialized with it, so training can resume exactly where it stopped.
//!
//! ```
//! use localrec::nn::Optimizer;
//! let adam = Optimizer::adam(1e-3);
//! assert_eq!(adam.learning_rate(), 1e-3);
//! assert!(Optimizer::sgd(-0.1).validate().is_err());
//! ```

use crate::error::{check_finite, Error, Result};

/// How gradients turn into weight updates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// `v ← μ·v + g; θ ← θ − lr·v` (or `θ ← θ − lr·(g + μ·v)` with Nesterov).
    Sgd {
        lr: f32,
        momentum: f32,
        nesterov: bool,
    },
    /// Adam (Kingma & Ba) with bias correction.
    Adam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        eps: f32,
    },
}

impl Optimizer {
    /// Plain SGD.
    pub fn sgd(lr: f32) -> Self {
        Optimizer::Sgd {
            lr,
            momentum: 0.0,
            nesterov: false,
        }
    }
    /// SGD with classical momentum.
    pub fn sgd_momentum(lr: f32, momentum: f32) -> Self {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov: false,
        }
    }
    /// Adam with the usual β₁ = 0.9, β₂ = 0.999, ε = 1e-7 (as Keras).
    pub fn adam(lr: f32) -> Self {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
        }
    }
    /// The base learning rate.
    pub fn learning_rate(&self) -> f32 {
        match *self {
            Optimizer::Sgd { lr, .. } | Optimizer::Adam { lr, .. } => lr,
        }
    }
    /// The same optimizer with another base learning rate.
    pub fn with_learning_rate(mut self, new_lr: f32) -> Self {
        match &mut self {
            Optimizer::Sgd { lr, .. } | Optimizer::Adam { lr, .. } => *lr = new_lr,
        }
        self
    }

    /// Checks every hyper-parameter, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        let lr = self.learning_rate();
        check_finite("optimizer.lr", lr as f64)?;
        if lr <= 0.0 {
            return Err(Error::invalid("optimizer.lr", lr, "must be > 0"));
        }
        match *self {
            Optimizer::Sgd { momentum, .. } => {
                if !(0.0..1.0).contains(&momentum) {
                    return Err(Error::invalid(
                        "optimizer.momentum",
                        momentum,
                        "must be in [0, 1)",
                    ));
                }
            }
            Optimizer::Adam {
                beta1, beta2, eps, ..
            } => {
                if !(0.0..1.0).contains(&beta1) {
                    return Err(Error::invalid(
                        "optimizer.beta1",
                        beta1,
                        "must be in [0, 1)",
                    ));
                }
                if !(0.0..1.0).contains(&beta2) {
                    return Err(Error::invalid(
                        "optimizer.beta2",
                        beta2,
                        "must be in [0, 1)",
                    ));
                }
                if !(eps > 0.0 && eps.is_finite()) {
                    return Err(Error::invalid("optimizer.eps", eps, "must be > 0"));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn kind_code(&self) -> u8 {
        match self {
            Optimizer::Sgd { .. } => 1,
            Optimizer::Adam { .. } => 2,
        }
    }
}

/// What an optimizer has accumulated: the step count and, per weight tensor
/// (w₀, b₀, w₁, b₁, …), the first moment (SGD velocity / Adam m) and the
/// second moment (Adam v; empty for SGD).
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    pub(crate) kind: u8,
    pub(crate) step: u64,
    pub(crate) first: Vec<Vec<f32>>,
    pub(crate) second: Vec<Vec<f32>>,
}

impl OptimizerState {
    /// Zeroed state for tensors of the given sizes.
    pub(crate) fn new(optimizer: &Optimizer, sizes: &[usize]) -> Self {
        let adam = matches!(optimizer, Optimizer::Adam { .. });
        OptimizerState {
            kind: optimizer.kind_code(),
            step: 0,
            first: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            second: if adam {
                sizes.iter().map(|&n| vec![0.0; n]).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// True if this state was built for `optimizer`'s kind and these tensor sizes.
    pub(crate) fn fits(&self, optimizer: &Optimizer, sizes: &[usize]) -> bool {
        let adam = matches!(optimizer, Optimizer::Adam { .. });
        self.kind == optimizer.kind_code()
            && self.first.len() == sizes.len()
            && self.first.iter().zip(sizes).all(|(m, &n)| m.len() == n)
            && (!adam
                || (self.second.len() == sizes.len()
                    && self.second.iter().zip(sizes).all(|(v, &n)| v.len() == n)))
    }

    /// Number of updates applied so far.
    pub fn step(&self) -> u64 {
        self.step
    }
}

/// Per-step constants (bias corrections), computed once per batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepScalars {
    lr: f32,
    correction1: f32,
    correction2: f32,
}

impl StepScalars {
    /// Constants for update number `step` (1-based) at learning rate `lr`.
    pub(crate) fn new(optimizer: &Optimizer, lr: f32, step: u64) -> Self {
        match *optimizer {
            Optimizer::Adam { beta1, beta2, .. } => {
                // powi, not powf: repeated squaring in f64 is within a few f64 ulps of
                // beta^t, invisible once rounded to f32, and it does not bring libm's
                // `pow` and its 4 KB log table into the browser's package. Beyond
                // 2^31 steps beta^t is 0 in f64 for every beta < 1.
                let t = step.min(i32::MAX as u64) as i32;
                StepScalars {
                    lr,
                    correction1: (1.0 - (beta1 as f64).powi(t)) as f32,
                    correction2: (1.0 - (beta2 as f64).powi(t)) as f32,
                }
            }
            Optimizer::Sgd { .. } => StepScalars {
                lr,
                correction1: 1.0,
                correction2: 1.0,
            },
        }
    }
}

/// Applies one update to a tensor. `first`/`second` are its moment buffers.
pub(crate) fn update(
    optimizer: &Optimizer,
    s: StepScalars,
    params: &mut [f32],
    grads: &[f32],
    first: &mut [f32],
    second: &mut [f32],
) {
    match *optimizer {
        Optimizer::Sgd {
            momentum, nesterov, ..
        } => {
            if momentum == 0.0 {
                for (p, &g) in params.iter_mut().zip(grads) {
                    *p -= s.lr * g;
                }
            } else {
                for ((p, &g), v) in params.iter_mut().zip(grads).zip(first.iter_mut()) {
                    *v = momentum * *v + g;
                    let step = if nesterov { g + momentum * *v } else { *v };
                    *p -= s.lr * step;
                }
            }
        }
        Optimizer::Adam {
            beta1, beta2, eps, ..
        } => {
            // lr·m̂/(√v̂ + ε) with m̂ = m/c1, v̂ = v/c2.
            let step_size = s.lr / s.correction1;
            let inv_c2 = 1.0 / s.correction2;
            for (((p, &g), m), v) in params
                .iter_mut()
                .zip(grads)
                .zip(first.iter_mut())
                .zip(second.iter_mut())
            {
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                *p -= step_size * *m / ((*v * inv_c2).sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(opt: Optimizer, steps: u64) -> f32 {
        // f(p) = Σ (p − 3)², gradient 2(p − 3).
        let mut p = vec![0.0f32, 10.0];
        let mut st = OptimizerState::new(&opt, &[2]);
        for t in 1..=steps {
            let g: Vec<f32> = p.iter().map(|v| 2.0 * (v - 3.0)).collect();
            let s = StepScalars::new(&opt, opt.learning_rate(), t);
            let (first, second) = (&mut st.first[0], st.second.get_mut(0));
            let mut none = [];
            update(
                &opt,
                s,
                &mut p,
                &g,
                first,
                second.map(|v| v.as_mut_slice()).unwrap_or(&mut none),
            );
        }
        p.iter().map(|v| (v - 3.0).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn every_optimizer_converges_on_a_quadratic() {
        assert!(minimise(Optimizer::sgd(0.1), 200) < 1e-3);
        assert!(minimise(Optimizer::sgd_momentum(0.05, 0.9), 400) < 1e-3);
        assert!(
            minimise(
                Optimizer::Sgd {
                    lr: 0.05,
                    momentum: 0.9,
                    nesterov: true
                },
                400
            ) < 1e-3
        );
        assert!(minimise(Optimizer::adam(0.1), 1000) < 1e-2);
    }

    #[test]
    fn bad_hyper_parameters_are_named() {
        let e = Optimizer::adam(0.0).validate().unwrap_err().to_string();
        assert!(e.contains("lr"), "{e}");
        assert!(Optimizer::sgd(f32::NAN).validate().is_err());
        assert!(Optimizer::sgd_momentum(0.1, 1.0).validate().is_err());
        assert!(Optimizer::Adam {
            lr: 0.1,
            beta1: 0.9,
            beta2: 1.5,
            eps: 1e-8
        }
        .validate()
        .is_err());
        assert_eq!(
            Optimizer::adam(0.1).with_learning_rate(0.5).learning_rate(),
            0.5
        );
    }

    #[test]
    fn adam_bias_correction_with_powi_rounds_like_powf() {
        // The f32 corrections equal those of powf (what the engine used before) on
        // every 7th of the first million steps for the usual betas, and beyond.
        for (beta1, beta2) in [(0.9f32, 0.999f32), (0.99, 0.5), (0.95, 0.9999)] {
            let adam = Optimizer::Adam {
                lr: 0.01,
                beta1,
                beta2,
                eps: 1e-7,
            };
            for step in (1..=1_000_000u64).step_by(7).chain([1 << 31, u64::MAX]) {
                let s = StepScalars::new(&adam, 0.01, step);
                let powf = |beta: f32| (1.0 - (beta as f64).powf(step as f64)) as f32;
                assert_eq!(s.correction1, powf(beta1), "beta1 {beta1} step {step}");
                assert_eq!(s.correction2, powf(beta2), "beta2 {beta2} step {step}");
            }
        }
    }
}
