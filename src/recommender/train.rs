//! On-device training in chunks: `start` builds the examples from the local
//! history once, each `chunk` runs mini-batches until its time slice is used
//! (the clock is passed in: `std::time` panics on wasm32), so JavaScript can
//! yield to the event loop between chunks. Cancelling = not calling `chunk`
//! again; the head keeps what it learned so far.
//!
//! Examples: every event after the first is a positive for its item, given
//! the profile built from the events before it; `negatives` catalog items
//! drawn uniformly (seeded, never the positive) are the negatives.

use super::catalog::ItemTable;
use super::config::{FineTuneConfig, RecommenderConfig};
use super::events::StoredEvent;
use super::features::{prior_score, Context, FEATURES};
use super::head::Head;
use super::profile::Profile;
use crate::error::{Error, Result};
use crate::prep::EventKind;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Per-call overrides of the configured fine-tuning budget (all optional).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TrainOptions {
    pub max_steps: Option<usize>,
    pub max_ms: Option<f64>,
    pub epochs: Option<usize>,
    pub learning_rate: Option<f64>,
    pub pull: Option<f64>,
    pub negatives: Option<usize>,
    pub batch_size: Option<usize>,
}

impl TrainOptions {
    /// The configured budget with these overrides applied, validated.
    pub fn resolve(&self, base: &FineTuneConfig) -> Result<FineTuneConfig> {
        let c = FineTuneConfig {
            max_steps: self.max_steps.unwrap_or(base.max_steps),
            max_ms: self.max_ms.unwrap_or(base.max_ms),
            epochs: self.epochs.unwrap_or(base.epochs),
            learning_rate: self.learning_rate.unwrap_or(base.learning_rate),
            pull: self.pull.unwrap_or(base.pull),
            negatives: self.negatives.unwrap_or(base.negatives),
            batch_size: self.batch_size.unwrap_or(base.batch_size),
            max_examples: base.max_examples,
        };
        c.validate("train")?;
        Ok(c)
    }
}

/// Where a training run is, after a chunk.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainProgress {
    /// No more chunks needed (budget used, epochs done, or nothing to learn).
    pub done: bool,
    /// Epoch in progress (0-based), batch within it.
    pub epoch: usize,
    pub batch: usize,
    /// Gradient steps of this run so far.
    pub steps: usize,
    /// Mean loss of the last chunk's batches (NaN never: training fails instead).
    pub loss: f64,
    /// Mean loss of each finished epoch.
    pub epoch_losses: Vec<f64>,
    /// Milliseconds spent inside chunks (time between chunks not counted).
    pub elapsed_ms: f64,
    pub examples: usize,
    /// Why the run stopped, once done: "epochs", "maxSteps", "maxMs", "noExamples".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

/// A training run in progress.
#[derive(Debug, Clone)]
pub struct TrainingRun {
    budget: FineTuneConfig,
    xs: Vec<f32>,
    prior: Vec<f32>,
    labels: Vec<f32>,
    order: Vec<usize>,
    rng: Rng,
    cursor: usize,
    epoch_loss_sum: f64,
    epoch_batches: usize,
    progress: TrainProgress,
    /// The head before the run, restored if training diverges.
    snapshot: Head,
}

impl TrainingRun {
    /// Builds the examples of a run from the time-ordered events.
    pub fn start(
        table: &ItemTable,
        cfg: &RecommenderConfig,
        base: Option<&super::base::BaseStats>,
        events: &[StoredEvent],
        head: &mut Head,
        budget: FineTuneConfig,
        seed: u64,
    ) -> TrainingRun {
        let mut rng = Rng::new(seed);
        let usable: Vec<(u32, &StoredEvent)> = events
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::RemoveFromCart | EventKind::Search))
            .filter_map(|e| table.index_of(&e.item).map(|i| (i, e)))
            .collect();
        let skip = usable.len().saturating_sub(budget.max_examples);
        let mut profile = Profile::new(cfg);
        let (mut xs, mut prior, mut labels) = (Vec::new(), Vec::new(), Vec::new());
        for (n, &(item, e)) in usable.iter().enumerate() {
            if n > skip && !profile.is_empty() {
                let ctx = Context::new(table, &profile, base);
                let mut push = |i: u32, y: f32| {
                    let x = ctx.features(i);
                    prior.push(prior_score(&x));
                    xs.extend_from_slice(&x);
                    labels.push(y);
                };
                push(item, 1.0);
                if table.len() > 1 {
                    for _ in 0..budget.negatives {
                        let mut neg = rng.below(table.len()) as u32;
                        if neg == item {
                            neg = (neg + 1) % table.len() as u32;
                        }
                        push(neg, 0.0);
                    }
                }
            }
            profile.add(table, item, e.kind, e.ts_ms, e.quantity);
        }
        let examples = labels.len();
        head.reset_optimizer();
        let done = examples == 0 || budget.epochs == 0 || budget.max_steps == 0;
        TrainingRun {
            order: (0..examples).collect(),
            xs,
            prior,
            labels,
            rng,
            cursor: 0,
            epoch_loss_sum: 0.0,
            epoch_batches: 0,
            progress: TrainProgress {
                done,
                examples,
                stop_reason: done.then(|| {
                    if examples == 0 {
                        "noExamples".to_string()
                    } else {
                        "maxSteps".to_string()
                    }
                }),
                ..TrainProgress::default()
            },
            snapshot: head.clone(),
            budget,
        }
    }

    pub fn progress(&self) -> &TrainProgress {
        &self.progress
    }

    /// Runs batches until `max_ms` of this chunk (by `clock`) is used or the
    /// run is done; always at least one batch. Fails (restoring the head to
    /// its state before the run) if the loss stops being finite.
    pub fn chunk(
        &mut self,
        head: &mut Head,
        max_ms: f64,
        clock: &dyn Fn() -> f64,
    ) -> Result<TrainProgress> {
        if !max_ms.is_finite() || max_ms < 0.0 {
            return Err(Error::invalid(
                "maxMs",
                max_ms,
                "must be a finite number ≥ 0",
            ));
        }
        if self.progress.done {
            return Ok(self.progress.clone());
        }
        let t0 = clock();
        let now = || {
            let t = clock() - t0;
            if t.is_finite() {
                t.max(0.0)
            } else {
                0.0
            }
        };
        let (mut chunk_loss, mut chunk_batches) = (0.0f64, 0usize);
        let n = self.labels.len();
        let bs = self.budget.batch_size.min(n).max(1);
        let mut bx = Vec::with_capacity(bs * FEATURES);
        let (mut bp, mut by) = (Vec::with_capacity(bs), Vec::with_capacity(bs));
        loop {
            if self.cursor == 0 && self.epoch_batches == 0 {
                self.rng.shuffle(&mut self.order);
            }
            let end = (self.cursor + bs).min(n);
            bx.clear();
            bp.clear();
            by.clear();
            for &i in &self.order[self.cursor..end] {
                bx.extend_from_slice(&self.xs[i * FEATURES..(i + 1) * FEATURES]);
                bp.push(self.prior[i]);
                by.push(self.labels[i]);
            }
            let loss = head.step(
                &bx,
                &bp,
                &by,
                self.budget.learning_rate as f32,
                self.budget.pull as f32,
            ) as f64;
            if !loss.is_finite() || !head.is_finite() {
                *head = self.snapshot.clone();
                self.progress.done = true;
                return Err(Error::Training(format!(
                    "loss became {loss} at step {} (learning rate {} too high?); the model was restored",
                    self.progress.steps, self.budget.learning_rate
                )));
            }
            chunk_loss += loss;
            chunk_batches += 1;
            self.epoch_loss_sum += loss;
            self.epoch_batches += 1;
            self.progress.steps += 1;
            self.progress.batch = self.epoch_batches;
            self.cursor = end;
            if self.cursor >= n {
                self.progress
                    .epoch_losses
                    .push(self.epoch_loss_sum / self.epoch_batches as f64);
                self.cursor = 0;
                self.epoch_loss_sum = 0.0;
                self.epoch_batches = 0;
                self.progress.epoch += 1;
                self.progress.batch = 0;
            }
            let spent = now();
            let stop = if self.progress.epoch >= self.budget.epochs {
                Some("epochs")
            } else if self.progress.steps >= self.budget.max_steps {
                Some("maxSteps")
            } else if self.progress.elapsed_ms + spent >= self.budget.max_ms {
                Some("maxMs")
            } else {
                None
            };
            if let Some(reason) = stop {
                self.progress.done = true;
                self.progress.stop_reason = Some(reason.to_string());
                break;
            }
            if spent >= max_ms {
                break;
            }
        }
        self.progress.elapsed_ms += now();
        self.progress.loss = chunk_loss / chunk_batches.max(1) as f64;
        Ok(self.progress.clone())
    }
}
