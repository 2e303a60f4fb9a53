//! The recommender's hyper-parameters (linfa style: kept apart from the fitted state).
//!
//! Every field is optional when it comes from JavaScript or JSON; a missing
//! field takes the default documented on it. Unknown fields are rejected so a
//! typo (`halfLifeDay`) is an error naming the field, not a silent default.
//!
//! ```
//! use localrec::recommender::RecommenderConfig;
//! let cfg = RecommenderConfig { seed: Some(7), ..RecommenderConfig::default() };
//! cfg.validate().unwrap();
//! assert_eq!(cfg.half_life_days, 14.0);
//! ```

use crate::error::{Error, Result};
use crate::fmtnum::Num;
use serde::{Deserialize, Serialize};

/// How the recommender is built and how it learns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct RecommenderConfig {
    /// Seed of every random choice (negative sampling, initial weights).
    /// Default: none, a random seed is drawn. Give one for reproducible lists.
    pub seed: Option<u64>,
    /// Hidden layer widths of the re-ranking MLP. Default `[16]`. Each width in 1..=256, at most 3 layers.
    pub hidden: Vec<usize>,
    /// Budget and settings of on-device fine-tuning.
    pub fine_tune: FineTuneConfig,
    /// Half-life of an event's influence, in days. Default 14.
    pub half_life_days: f64,
    /// Inactivity gap that starts a new session, in minutes. Default 30.
    pub session_gap_minutes: f64,
    /// Events kept locally; the oldest are dropped beyond it. Default 5000, at most 1,000,000.
    pub max_events: usize,
    /// Most items a catalog may have. Default 200,000 (the wasm memory budget).
    pub max_catalog_items: usize,
    /// How much each kind of event says about taste.
    pub kind_weights: KindWeights,
}

impl Default for RecommenderConfig {
    fn default() -> Self {
        RecommenderConfig {
            seed: None,
            hidden: vec![16],
            fine_tune: FineTuneConfig::default(),
            half_life_days: 14.0,
            session_gap_minutes: 30.0,
            max_events: 5000,
            max_catalog_items: 200_000,
            kind_weights: KindWeights::default(),
        }
    }
}

/// The bounded budget of one `train` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FineTuneConfig {
    /// Most gradient steps (mini-batches) per training run. Default 300, at most 1,000,000.
    pub max_steps: usize,
    /// Most milliseconds per training run (summed over chunks). Default 2000.
    pub max_ms: f64,
    /// Passes over the local examples. Default 6, at most 1000 (see
    /// `recommender::train` for why: 4 measured too few, 10 over-fits
    /// a few events).
    pub epochs: usize,
    /// Step size of SGD with momentum. Default 0.05, in (0, 10].
    pub learning_rate: f64,
    /// L2 pull toward the weights training started from (keeps a fine-tuned
    /// model close to its base). Default 0.001, at least 0.
    pub pull: f64,
    /// Sampled negative items per positive. Default 4, in 1..=100.
    pub negatives: usize,
    /// Examples per gradient step. Default 16, in 1..=4096.
    pub batch_size: usize,
    /// Most recent events used to build training examples. Default 500.
    pub max_examples: usize,
    /// Share of the negatives drawn from the prefix's candidates (the base model's
    /// candidates, items co-occurring with the recent ones), the rest
    /// uniform over the catalog. In [0, 1]. Default 0.5 (see the module doc of
    /// `recommender::train` for the measurement).
    pub hard_negatives: f64,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        FineTuneConfig {
            max_steps: 300,
            max_ms: 2000.0,
            epochs: 6,
            learning_rate: 0.05,
            pull: 0.001,
            negatives: 4,
            batch_size: 16,
            max_examples: 500,
            hard_negatives: 0.5,
        }
    }
}

/// Weight of each kind of event in the shopper's profile (remove-from-cart is negative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct KindWeights {
    /// Default 1.
    pub view: f64,
    /// Default 1.5.
    pub click: f64,
    /// Default 3.
    pub add_to_cart: f64,
    /// Default -2.
    pub remove_from_cart: f64,
    /// Default 5.
    pub purchase: f64,
}

impl Default for KindWeights {
    fn default() -> Self {
        KindWeights {
            view: 1.0,
            click: 1.5,
            add_to_cart: 3.0,
            remove_from_cart: -2.0,
            purchase: 5.0,
        }
    }
}

fn check_range(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            v,
            format!("must be a number in [{}, {}]", Num(lo), Num(hi)),
        ))
    }
}

fn check_count(field: &str, v: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            v,
            format!("must be an integer in {lo}..={hi}"),
        ))
    }
}

impl RecommenderConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.hidden.len() > 3 {
            return Err(Error::invalid(
                "hidden",
                // As `{:?}` shows a `Vec<usize>`, without `Debug`.
                format!(
                    "[{}]",
                    self.hidden
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "at most 3 hidden layers",
            ));
        }
        for (i, &w) in self.hidden.iter().enumerate() {
            check_count(&format!("hidden[{i}]"), w, 1, 256)?;
        }
        check_range("halfLifeDays", self.half_life_days, 0.001, 36500.0)?;
        check_range("sessionGapMinutes", self.session_gap_minutes, 0.01, 1e7)?;
        check_count("maxEvents", self.max_events, 1, 1_000_000)?;
        check_count("maxCatalogItems", self.max_catalog_items, 1, 1_000_000)?;
        let k = &self.kind_weights;
        for (name, v) in [
            ("kindWeights.view", k.view),
            ("kindWeights.click", k.click),
            ("kindWeights.addToCart", k.add_to_cart),
            ("kindWeights.removeFromCart", k.remove_from_cart),
            ("kindWeights.purchase", k.purchase),
        ] {
            check_range(name, v, -100.0, 100.0)?;
        }
        self.fine_tune.validate("fineTune")
    }
}

impl FineTuneConfig {
    /// Checks every field; `prefix` names where the budget came from.
    pub fn validate(&self, prefix: &str) -> Result<()> {
        check_count(&format!("{prefix}.maxSteps"), self.max_steps, 0, 1_000_000)?;
        check_range(&format!("{prefix}.maxMs"), self.max_ms, 0.0, 3.6e6)?;
        check_count(&format!("{prefix}.epochs"), self.epochs, 0, 1000)?;
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= 10.0)
        {
            return Err(Error::invalid(
                format!("{prefix}.learningRate"),
                self.learning_rate,
                "must be a number in (0, 10]",
            ));
        }
        check_range(&format!("{prefix}.pull"), self.pull, 0.0, 1e3)?;
        check_count(&format!("{prefix}.negatives"), self.negatives, 1, 100)?;
        check_count(&format!("{prefix}.batchSize"), self.batch_size, 1, 4096)?;
        check_range(
            &format!("{prefix}.hardNegatives"),
            self.hard_negatives,
            0.0,
            1.0,
        )?;
        check_count(
            &format!("{prefix}.maxExamples"),
            self.max_examples,
            1,
            100_000,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_fields_are_named() {
        RecommenderConfig::default().validate().unwrap();
        let bad = RecommenderConfig {
            half_life_days: f64::NAN,
            ..RecommenderConfig::default()
        };
        let msg = bad.validate().unwrap_err().to_string();
        assert!(msg.contains("halfLifeDays") && msg.contains("NaN"), "{msg}");
        let bad = RecommenderConfig {
            hidden: vec![16, 0],
            ..RecommenderConfig::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("hidden[1]"));
        let mut bad = RecommenderConfig::default();
        bad.fine_tune.learning_rate = 0.0;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("fineTune.learningRate"));
    }
}
