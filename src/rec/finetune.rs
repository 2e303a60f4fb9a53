//! On-device fine-tuning of the re-ranker on the shopper's own history.
//!
//! Each later item of the history is a positive given the items before it; negatives are
//! sampled from that prefix's candidate list (the same pairs as pretraining, see
//! [`crate::rec::pretrain`]). Training always restarts from the pretrained weights and is
//! pulled toward them (`pull`, an L2 penalty on the distance), so a short, noisy history
//! cannot wreck the shop's model. And it checks itself: the most recent event(s) are held out
//! of training, and the fine-tuned weights are kept only if they rank those items better than
//! the base weights do; otherwise (or when no held-out item is among the candidates, so the
//! check has no evidence) the base weights stay, and [`FineTuneReport::verdict`] says why.
//! The budget is counted in optimizer steps and in milliseconds of a clock the caller passes
//! in (`performance.now()` in the browser), since `std::time` panics on wasm32.

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::fmtnum::Num;
use crate::nn::train::BceFit;
use crate::nn::{Control, Dataset, Optimizer, Workspace};
use crate::rec::features::{Candidates, FEATURE_COUNT};
use crate::rec::model::{BaseModel, HistoryItem};
use crate::rec::pretrain::{new_ranker, PairBuilder};
use crate::rec::stats::ScoreScratch;
use crate::rng::Rng;

/// Whether [`FineTuneBudget::new`] keeps fine-tuned weights the held-out check cannot verify.
const KEEP_UNVERIFIED: bool = false;
/// [`FineTuneBudget::new`]'s required held-out gain.
const MIN_GAIN: f64 = 0.0;

/// Limits and settings of one fine-tuning run.
pub struct FineTuneBudget<'a> {
    /// At most this many optimizer steps (mini-batches).
    pub max_steps: usize,
    /// At most this many milliseconds (checked after every step).
    pub max_ms: f64,
    /// The caller's clock in milliseconds.
    pub now_ms: &'a dyn Fn() -> f64,
    /// Negatives per positive.
    pub negatives: usize,
    /// Strength of the L2 pull toward the pretrained weights.
    pub pull: f32,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Seed of the negative sampling and batch order.
    pub seed: u64,
    /// Train a fresh re-ranker instead (the "local history alone" model of the evaluation;
    /// no held-out check: there are no base weights to fall back to).
    pub from_scratch: bool,
    /// The most recent events held out of training to check the fine-tuned weights: they are
    /// kept only if these items rank better than with the base weights (0: no check).
    pub holdout: usize,
    /// Keep the fine-tuned weights when no held-out item is among its prefix's candidates
    /// (then both weights rank it alike and the check has no evidence either way).
    pub keep_unverified: bool,
    /// The held-out check keeps the fine-tuned weights only when their mean reciprocal rank of
    /// the held-out items exceeds the base one by more than this (0: strictly better).
    pub min_gain: f64,
}

impl<'a> FineTuneBudget<'a> {
    /// The browser defaults: 30 steps, 150 ms, 10 negatives, pull 0.01, lr 1e-3, batch 16.
    ///
    /// Chosen on validation items of held-out Beauty shoppers (`localrec eval --protocol
    /// new-shoppers --ft-validate`): 200 steps over-fitted a ~8-item history (NDCG@10 0.0761 vs
    /// 0.0797 for the base re-ranker); 30 steps were neutral (0.0795), so short runs are the default.
    ///
    /// The held-out check (holdout 1, unverified runs and ties fall back to the base weights)
    /// was chosen the same way (seed 42, the 24-feature re-ranker with the embedding; HR@10 /
    /// NDCG@10 / MRR, base re-ranker 0.1290 / 0.0800 / 0.0712): no check 0.1230 / 0.0782 /
    /// 0.0711; holdout 1 keeping unverified runs 0.1254 / 0.0786 / 0.0705; holdout 1 keeping
    /// only verified, no-worse runs 0.1294 / 0.0804 / 0.0714, only strictly better ones
    /// 0.1294 / 0.0805 / 0.0716 (this default); holdout 2 0.1288 / 0.0799 / 0.0712; a learning
    /// rate of 3e-4, 10 steps or pull 0.1 without the check 0.1277, 0.1277 and 0.1239 HR@10.
    pub fn new(now_ms: &'a dyn Fn() -> f64) -> Self {
        FineTuneBudget {
            max_steps: 30,
            max_ms: 150.0,
            now_ms,
            negatives: 10,
            pull: 0.01,
            learning_rate: 1e-3,
            batch_size: 16,
            seed: 7,
            from_scratch: false,
            holdout: 1,
            keep_unverified: KEEP_UNVERIFIED,
            min_gain: MIN_GAIN,
        }
    }
}

/// What fine-tuning did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FineTuneReport {
    /// Training rows (positives + negatives).
    pub rows: usize,
    /// Positives whose item was among their prefix's candidates.
    pub positives: usize,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Milliseconds spent (by the caller's clock), pair building included.
    pub ms: f64,
    /// The step or time budget ended training.
    pub budget_exhausted: bool,
    /// Last training loss (None if no step ran).
    pub loss: Option<f32>,
    /// Held-out events whose item was among its prefix's candidates (the check's evidence).
    pub held_out: usize,
    /// Mean reciprocal rank of those items among the candidates: base and fine-tuned weights.
    pub held_out_base_mrr: f64,
    pub held_out_tuned_mrr: f64,
    /// The fine-tuned weights are in use; false: the base weights are (nothing trained, or the
    /// held-out check found the fine-tuned ranking worse; [`FineTuneReport::verdict`] says which).
    pub kept: bool,
}

impl FineTuneReport {
    /// One sentence on which weights are in use and why.
    pub fn verdict(&self) -> String {
        let check = format!(
            "held-out MRR {:.3} fine-tuned vs {:.3} base over {} item(s)",
            Num(self.held_out_tuned_mrr),
            Num(self.held_out_base_mrr),
            self.held_out
        );
        match (self.kept, self.steps, self.held_out) {
            (_, 0, _) => "base weights kept: nothing to train on".into(),
            (true, _, 0) => "fine-tuned weights kept (no held-out item to check)".into(),
            (true, _, _) => format!("fine-tuned weights kept: {check}"),
            (false, _, 0) => "base weights kept: no held-out item to check the fine-tuning".into(),
            (false, _, _) => format!("base weights kept, fine-tuning ranked worse: {check}"),
        }
    }
}

impl BaseModel {
    /// Fine-tunes the re-ranker on `history` within `budget`. With fewer than two events, or
    /// when no later event is among its prefix's candidates, nothing is trained (the report
    /// says so) and the pretrained re-ranker is used.
    pub fn fine_tune(
        &mut self,
        history: &[HistoryItem],
        budget: &FineTuneBudget<'_>,
    ) -> Result<FineTuneReport> {
        let start = (budget.now_ms)();
        if !start.is_finite() {
            return Err(Error::invalid(
                "now_ms()",
                start,
                "the clock must return finite milliseconds",
            ));
        }
        if !(budget.max_ms.is_finite() || budget.max_ms == f64::INFINITY) || budget.max_ms < 0.0 {
            return Err(Error::invalid("max_ms", budget.max_ms, "must be ≥ 0"));
        }
        if budget.batch_size == 0 {
            return Err(Error::invalid("batch_size", 0, "must be at least 1"));
        }
        for (p, h) in history.iter().enumerate() {
            if h.item as usize >= self.item_count() {
                return Err(Error::invalid(
                    format!("history[{p}].item"),
                    h.item,
                    "unknown item",
                ));
            }
        }
        self.ranker = if budget.from_scratch {
            new_ranker(&hidden_widths(&self.base_ranker), budget.seed)?
        } else {
            self.base_ranker.clone()
        };
        let mut report = FineTuneReport::default();
        let items: Vec<u32> = history.iter().map(|h| h.item).collect();
        let mut rng = Rng::new(budget.seed);
        let mut builder = PairBuilder {
            stats: &self.stats,
            embedding: self.embedding.as_ref(),
            candidates: &self.candidates,
            scratch: ScoreScratch::default(),
            cands: Candidates::default(),
        };
        // Training sees the history without its last `holdout` events; those check the result.
        let checked = !budget.from_scratch && budget.holdout > 0;
        let train_end = if checked {
            items.len().saturating_sub(budget.holdout)
        } else {
            items.len()
        };
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for p in 1..train_end {
            if builder.push_pairs(
                &items[..p],
                items[p],
                budget.negatives,
                &mut rng,
                &mut x,
                &mut y,
            )? {
                report.positives += 1;
            }
            if (budget.now_ms)() - start > budget.max_ms {
                report.budget_exhausted = true;
                break;
            }
        }
        report.rows = y.len();
        if report.positives == 0 || budget.max_steps == 0 {
            report.ms = (budget.now_ms)() - start;
            return Ok(report);
        }
        let rows = y.len();
        let data = Dataset::new(
            Array2::from_shape_vec((rows, FEATURE_COUNT), x)
                .map_err(|e| Error::shape("fine-tune features", FEATURE_COUNT, e))?,
            Array2::from_shape_vec((rows, 1), y)
                .map_err(|e| Error::shape("fine-tune labels", 1, e))?,
        )?;
        let batches_per_epoch = rows.div_ceil(budget.batch_size);
        let epochs = budget.max_steps.div_ceil(batches_per_epoch).max(1);
        let pull = if budget.from_scratch {
            0.0
        } else {
            budget.pull
        };
        let fit = BceFit::new(
            Optimizer::adam(budget.learning_rate),
            budget.batch_size,
            epochs,
            budget.seed,
        )
        .pull(pull, None);
        let mut steps = 0usize;
        let mut exhausted = false;
        let hist = self.ranker.fit_bce_with(&data, &fit, &mut |_| {
            steps += 1;
            if steps >= budget.max_steps || (budget.now_ms)() - start > budget.max_ms {
                exhausted = true;
                Control::Stop
            } else {
                Control::Continue
            }
        })?;
        report.steps = steps;
        report.budget_exhausted |= exhausted;
        report.loss = hist.last_loss();
        report.kept = true;
        if checked {
            let mut ws = Workspace::new();
            let (mut base, mut tuned) = (0.0, 0.0);
            for p in train_end..items.len() {
                let (Some(input), Some(&target)) = (items.get(..p), items.get(p)) else {
                    continue;
                };
                let rankers = [&self.base_ranker, &self.ranker];
                if let Some([b, t]) = builder.reciprocal_ranks(rankers, input, target, &mut ws)? {
                    base += b;
                    tuned += t;
                    report.held_out += 1;
                }
            }
            if report.held_out > 0 {
                report.held_out_base_mrr = base / report.held_out as f64;
                report.held_out_tuned_mrr = tuned / report.held_out as f64;
            }
            report.kept = if report.held_out == 0 {
                budget.keep_unverified
            } else {
                report.held_out_tuned_mrr > report.held_out_base_mrr + budget.min_gain
            };
            if !report.kept {
                self.ranker = self.base_ranker.clone();
            }
        }
        report.ms = (budget.now_ms)() - start;
        Ok(report)
    }
}

fn hidden_widths(mlp: &crate::nn::Mlp) -> Vec<usize> {
    let layers = mlp.layers();
    layers
        .iter()
        .take(layers.len().saturating_sub(1))
        .map(|l| l.outputs())
        .collect()
}
