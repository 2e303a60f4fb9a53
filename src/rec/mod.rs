//! The recommender's ranking core (issue 5): item statistics, candidate generation,
//! features, the MLP re-ranker, on-device fine-tuning and the shippable base-model format.
//!
//! Two stages, chosen by measurement (see `localrec eval`):
//! 1. **Candidates**: the union of the top items of item-kNN (co-occurrence cosine of the
//!    recency-weighted history), the Markov chains from the last three items, session kNN,
//!    the history itself and the most popular items.
//! 2. **Re-ranking**: an MLP scores each (history, candidate) pair from a small feature vector
//!    (the neighbourhood scores, their ranks among the candidates, popularity, attribute
//!    affinity, repeat/recency of the candidate in the history, history length).
//!
//! Catalog-facing code (string ids, filters, reasons) sits on top of [`BaseModel`].

pub mod features;
pub mod finetune;
pub mod model;
pub mod neighbours;
pub mod pretrain;
pub mod sknn;
pub mod stats;
pub mod vocab;

pub use features::{CandidateConfig, Candidates, FEATURE_COUNT, FEATURE_NAMES};
pub use finetune::{FineTuneBudget, FineTuneReport};
pub use model::{BaseModel, HistoryItem, RankScratch, Scored, Signals, MODEL_KIND, MODEL_VERSION};
pub use neighbours::{CoocConfig, Neighbours};
pub use pretrain::{
    pretrain, EpochScore, PretrainConfig, PretrainReport, TrainingMode, ValidationCase,
};
pub use sknn::{SessionMemory, SknnConfig, SknnScratch};
pub use stats::{Baseline, ItemStats, ScoreScratch, StatsConfig};
pub use vocab::ItemVocab;
