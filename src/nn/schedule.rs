//! Learning-rate schedules, warm-up and reduce-on-plateau.
//!
//! The learning rate of a batch is
//! `base_lr × schedule(epoch) × warm-up(step) × plateau factor`.
//!
//! ```
//! use localrec::nn::Schedule;
//! let s = Schedule::Step { every: 2, factor: 0.5 };
//! assert_eq!(s.factor(0), 1.0);
//! assert_eq!(s.factor(2), 0.5);
//! assert_eq!(s.factor(5), 0.25);
//! let c = Schedule::Cosine { epochs: 10, min_factor: 0.0 };
//! assert!((c.factor(5) - 0.5).abs() < 1e-6);
//! ```

use crate::error::{Error, Result};

/// How the learning rate changes from epoch to epoch (0-based epochs).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Schedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// Multiply by `factor` every `every` epochs.
    Step { every: usize, factor: f32 },
    /// Multiply by `factor` each epoch.
    Exponential { factor: f32 },
    /// Cosine from 1 down to `min_factor` over `epochs` epochs, then flat.
    Cosine { epochs: usize, min_factor: f32 },
}

impl Schedule {
    /// The multiplier of the base learning rate at `epoch`.
    pub fn factor(&self, epoch: usize) -> f32 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Step { every, factor } => {
                factor.powi((epoch / every.max(1)).min(i32::MAX as usize) as i32)
            }
            Schedule::Exponential { factor } => factor.powi(epoch.min(i32::MAX as usize) as i32),
            Schedule::Cosine { epochs, min_factor } => {
                let t = (epoch as f32 / epochs.max(1) as f32).min(1.0);
                min_factor
                    + (1.0 - min_factor)
                        * 0.5
                        * (1.0 + crate::trig::cos_f32(std::f32::consts::PI * t))
            }
        }
    }

    /// Checks the schedule's parameters.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every, factor } => {
                if every == 0 {
                    return Err(Error::invalid(
                        "schedule.every",
                        every,
                        "must be at least 1",
                    ));
                }
                check_factor("schedule.factor", factor)
            }
            Schedule::Exponential { factor } => check_factor("schedule.factor", factor),
            Schedule::Cosine { epochs, min_factor } => {
                if epochs == 0 {
                    return Err(Error::invalid(
                        "schedule.epochs",
                        epochs,
                        "must be at least 1",
                    ));
                }
                if !(0.0..=1.0).contains(&min_factor) {
                    return Err(Error::invalid(
                        "schedule.min_factor",
                        min_factor,
                        "must be in [0, 1]",
                    ));
                }
                Ok(())
            }
        }
    }
}

fn check_factor(field: &str, factor: f32) -> Result<()> {
    if factor > 0.0 && factor <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(field, factor, "must be in (0, 1]"))
    }
}

/// Linear warm-up: the factor for update `step` (0-based) over `warmup_steps`.
pub fn warmup_factor(step: u64, warmup_steps: usize) -> f32 {
    if warmup_steps == 0 {
        1.0
    } else {
        ((step + 1) as f32 / warmup_steps as f32).min(1.0)
    }
}

/// Multiply the learning rate by `factor` when the monitored value has not
/// improved by `min_delta` for `patience` epochs (never below `min_lr`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReduceOnPlateau {
    pub factor: f32,
    pub patience: usize,
    pub min_delta: f32,
    pub min_lr: f32,
}

impl Default for ReduceOnPlateau {
    fn default() -> Self {
        ReduceOnPlateau {
            factor: 0.5,
            patience: 2,
            min_delta: 1e-4,
            min_lr: 1e-6,
        }
    }
}

impl ReduceOnPlateau {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(Error::invalid(
                "reduce_on_plateau.factor",
                self.factor,
                "must be in (0, 1)",
            ));
        }
        if !(self.min_delta >= 0.0 && self.min_delta.is_finite()) {
            return Err(Error::invalid(
                "reduce_on_plateau.min_delta",
                self.min_delta,
                "must be >= 0",
            ));
        }
        if !(self.min_lr >= 0.0 && self.min_lr.is_finite()) {
            return Err(Error::invalid(
                "reduce_on_plateau.min_lr",
                self.min_lr,
                "must be >= 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_decay_as_documented() {
        assert_eq!(Schedule::Constant.factor(100), 1.0);
        assert!((Schedule::Exponential { factor: 0.9 }.factor(2) - 0.81).abs() < 1e-6);
        let c = Schedule::Cosine {
            epochs: 4,
            min_factor: 0.2,
        };
        assert!((c.factor(0) - 1.0).abs() < 1e-6);
        assert!((c.factor(4) - 0.2).abs() < 1e-6);
        assert!((c.factor(9) - 0.2).abs() < 1e-6);
        assert_eq!(warmup_factor(0, 4), 0.25);
        assert_eq!(warmup_factor(3, 4), 1.0);
        assert_eq!(warmup_factor(0, 0), 1.0);
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(Schedule::Step {
            every: 0,
            factor: 0.5
        }
        .validate()
        .is_err());
        assert!(Schedule::Exponential { factor: 1.5 }.validate().is_err());
        assert!(Schedule::Cosine {
            epochs: 3,
            min_factor: 2.0
        }
        .validate()
        .is_err());
        let e = ReduceOnPlateau {
            factor: 1.0,
            ..Default::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("reduce_on_plateau.factor"), "{e}");
    }
}
