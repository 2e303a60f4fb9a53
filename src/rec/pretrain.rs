//! Pretraining the base model: statistics, training pairs for the re-ranker without
//! leakage, MLP training with model selection on validation cases.
//!
//! Leakage rule: the features of a training pair must come from statistics that never saw
//! its target. [`TrainingMode::LastItem`] (per-user sequences) counts statistics on every
//! sequence minus its last item and trains on predicting that last item;
//! [`TrainingMode::SessionPrefixes`] (anonymous sessions in time order) counts statistics on
//! the earlier sessions and trains on every prefix of the later ones. The item embedding
//! ([`crate::rec::embed`]) follows the same rule: the one behind the training pairs' features is
//! learnt on the statistics' sequences only. The shipped model's statistics and embedding are
//! then recounted / learnt again on all the data.
//!
//! The objective is binary cross-entropy with the real next item as the positive and
//! `negatives` items sampled uniformly from the same history's candidate list as negatives:
//! the re-ranker only ever orders candidates, so those are the informative negatives.
//! Epochs are selected by NDCG@10 on the validation cases.

use ndarray::{Array1, Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::nn::{
    Activation, Control, Dataset, Mlp, MlpParams, Optimizer, TrainConfig, Validation, Workspace,
};
use crate::rec::embed::{EmbeddingConfig, ItemEmbedding};
use crate::rec::features::{CandidateConfig, Candidates, FEATURE_COUNT};
use crate::rec::model::BaseModel;
use crate::rec::stats::{ItemStats, ScoreScratch, StatsConfig};
use crate::rec::vocab::ItemVocab;
use crate::rng::Rng;

/// How training pairs are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingMode {
    /// Per-user sequences: predict each user's last item from the rest.
    LastItem,
    /// Anonymous sessions in time order: predict each next click of the later sessions.
    SessionPrefixes,
}

/// Pretraining hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct PretrainConfig {
    /// Statistics and neighbourhood-scorer settings.
    pub stats: StatsConfig,
    /// Candidate generation.
    pub candidates: CandidateConfig,
    /// Hidden layer widths (ReLU); the output is one sigmoid.
    pub hidden: Vec<usize>,
    /// Negatives per positive.
    pub negatives: usize,
    /// Maximum epochs.
    pub epochs: usize,
    /// Stop after this many epochs without validation improvement.
    pub patience: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// L2 weight decay.
    pub l2: f32,
    /// Seed of sampling and initialisation.
    pub seed: u64,
    /// How training pairs are formed.
    pub mode: TrainingMode,
    /// SessionPrefixes: share of the (latest) sessions used for training pairs.
    pub pair_fraction: f64,
    /// At most this many training pairs (seeded subsample).
    pub max_pairs: usize,
    /// At most this many validation cases are scored per epoch.
    pub max_validation: usize,
    /// Example weight of a positive (1 = plain BCE; measured as good as or better than balancing
    /// the classes on both data sets).
    pub positive_weight: f32,
    /// The item embedding (learnt when the data reaches its thresholds); None: never.
    pub embedding: Option<EmbeddingConfig>,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        PretrainConfig {
            stats: StatsConfig::default(),
            candidates: CandidateConfig::default(),
            hidden: vec![64, 32],
            negatives: 20,
            epochs: 8,
            patience: 2,
            batch_size: 128,
            learning_rate: 2e-3,
            l2: 0.0,
            seed: 42,
            mode: TrainingMode::LastItem,
            pair_fraction: 0.2,
            max_pairs: 60_000,
            max_validation: 3000,
            positive_weight: 1.0,
            embedding: Some(EmbeddingConfig::default()),
        }
    }
}

/// A validation case: the input history and the item that followed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidationCase<'a> {
    /// History, time order.
    pub input: &'a [u32],
    /// The next item.
    pub target: u32,
}

/// Per-epoch log line.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochScore {
    /// Training loss.
    pub loss: f32,
    /// Validation HR@10 / NDCG@10 (over the validation cases, candidates only).
    pub hr10: f64,
    /// Validation NDCG@10.
    pub ndcg10: f64,
}

/// What pretraining did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PretrainReport {
    /// Training histories considered.
    pub histories: usize,
    /// Training pairs (positives) whose target was among the candidates and was used.
    pub positives: usize,
    /// Share of training histories whose target was among the candidates (candidate recall).
    pub candidate_recall: f64,
    /// Mean candidates per history.
    pub mean_candidates: f64,
    /// Validation cases scored.
    pub validation_cases: usize,
    /// Per-epoch scores.
    pub epochs: Vec<EpochScore>,
    /// The selected epoch (0-based).
    pub best_epoch: usize,
    /// Dimension of the learnt item embedding (0: none, the data was below the thresholds).
    pub embedding_dim: usize,
}

/// Feature rows for one history's candidates, with the target's row if present.
struct Scoring {
    features: Vec<f32>,
    n: usize,
    target: Option<usize>,
}

pub(crate) struct PairBuilder<'a> {
    pub stats: &'a ItemStats,
    pub embedding: Option<&'a ItemEmbedding>,
    pub candidates: &'a CandidateConfig,
    pub scratch: ScoreScratch,
    pub cands: Candidates,
}

impl PairBuilder<'_> {
    /// Appends `negatives` sampled candidates and the positive for one history. Returns whether
    /// the target was a candidate (only then are rows appended).
    /// The candidates and features of an unweighted history.
    fn build(&mut self, input: &[u32]) -> Result<()> {
        let hist: Vec<(u32, f32)> = input.iter().map(|&i| (i, 1.0)).collect();
        self.cands.build(
            self.stats,
            self.embedding,
            &hist,
            self.candidates,
            &mut self.scratch,
        )
    }

    pub(crate) fn push_pairs(
        &mut self,
        input: &[u32],
        target: u32,
        negatives: usize,
        rng: &mut Rng,
        x: &mut Vec<f32>,
        y: &mut Vec<f32>,
    ) -> Result<bool> {
        self.build(input)?;
        let Some(pos) = self.cands.items.iter().position(|&j| j == target) else {
            return Ok(false);
        };
        x.extend_from_slice(self.cands.row(pos));
        y.push(1.0);
        let n = self.cands.len();
        if n > 1 {
            for _ in 0..negatives {
                let mut c = rng.below(n - 1);
                if c >= pos {
                    c += 1;
                }
                x.extend_from_slice(self.cands.row(c));
                y.push(0.0);
            }
        }
        Ok(true)
    }

    /// Reciprocal rank of `target` among `input`'s candidates by each of `rankers` (ties count
    /// half), or None when `target` is not a candidate (then every ranker places it alike: below
    /// all candidates).
    pub(crate) fn reciprocal_ranks<const N: usize>(
        &mut self,
        rankers: [&Mlp; N],
        input: &[u32],
        target: u32,
        ws: &mut Workspace,
    ) -> Result<Option<[f64; N]>> {
        self.build(input)?;
        let Some(t) = self.cands.items.iter().position(|&j| j == target) else {
            return Ok(None);
        };
        let n = self.cands.len();
        let x = ArrayView2::from_shape((n, FEATURE_COUNT), &self.cands.features)
            .map_err(|e| Error::shape("held-out features", FEATURE_COUNT, e))?;
        let mut probs = vec![0f32; n];
        let mut out = [0f64; N];
        for (o, mlp) in out.iter_mut().zip(rankers) {
            mlp.predict_into(x, &mut probs[..], ws)?;
            let pt = probs.get(t).copied().unwrap_or(0.0);
            let greater = probs.iter().filter(|&&p| p > pt).count();
            let ties = probs.iter().filter(|&&p| p == pt).count().saturating_sub(1);
            *o = crate::eval::metrics::RankOutcome {
                greater: greater as u32,
                ties: ties as u32,
            }
            .reciprocal_rank(None);
        }
        Ok(Some(out))
    }

    fn scoring(&mut self, input: &[u32], target: u32) -> Result<Scoring> {
        self.build(input)?;
        Ok(Scoring {
            features: self.cands.features.clone(),
            n: self.cands.len(),
            target: self.cands.items.iter().position(|&j| j == target),
        })
    }
}

fn validation_scores(mlp: &Mlp, cases: &[Scoring], total: usize) -> Result<(f64, f64)> {
    let mut ws = Workspace::new();
    let mut probs = Vec::new();
    let (mut hr, mut ndcg) = (0.0, 0.0);
    for case in cases {
        let Some(t) = case.target else { continue };
        let x = ArrayView2::from_shape((case.n, FEATURE_COUNT), &case.features)
            .map_err(|e| Error::shape("validation features", FEATURE_COUNT, e))?;
        probs.clear();
        probs.resize(case.n, 0.0);
        mlp.predict_into(x, &mut probs[..], &mut ws)?;
        let pt = probs[t];
        let greater = probs.iter().filter(|&&p| p > pt).count();
        let ties = probs.iter().filter(|&&p| p == pt).count() - 1;
        let o = crate::eval::metrics::RankOutcome {
            greater: greater as u32,
            ties: ties as u32,
        };
        hr += o.hit_rate(10);
        ndcg += o.ndcg(10);
    }
    let n = total.max(1) as f64;
    Ok((hr / n, ndcg / n))
}

/// Trains a fresh re-ranker on prepared pairs (shared by pretraining and the local-only model).
pub(crate) fn new_ranker(hidden: &[usize], seed: u64) -> Result<Mlp> {
    let mut params = MlpParams::new(FEATURE_COUNT);
    for &h in hidden {
        params = params.layer(h, Activation::Relu);
    }
    params.layer(1, Activation::Sigmoid).seed(seed).init()
}

/// Pretrains a base model from `sequences` (time order within each; for sessions, the order
/// of the slice is time order). `attributes` is an attribute vocabulary with one token list
/// per item. Without `validation` cases, the last (sessions) or a random (users) 10 % of the
/// training histories are held out for model selection.
pub fn pretrain(
    sequences: &[&[u32]],
    vocab: ItemVocab,
    attributes: Option<(ItemVocab, Vec<Vec<u32>>)>,
    validation: &[ValidationCase<'_>],
    cfg: &PretrainConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<(BaseModel, PretrainReport)> {
    let n_items = vocab.len();
    if n_items == 0 {
        return Err(Error::invalid("vocabulary", 0, "no items"));
    }
    if cfg.epochs == 0 {
        return Err(Error::invalid("epochs", 0, "must be at least 1"));
    }
    let (attr_vocab, attrs) = attributes.unwrap_or_default();
    let mut rng = Rng::new(cfg.seed);
    // 1. Training histories and the statistics that did not see their targets.
    type Histories<'s> = Vec<(&'s [u32], u32)>;
    let (pair_stats_seqs, histories): (Vec<&[u32]>, Histories) = match cfg.mode {
        TrainingMode::LastItem => {
            let stats_seqs = sequences
                .iter()
                .map(|s| if s.len() >= 2 { &s[..s.len() - 1] } else { *s })
                .collect();
            let hist = sequences
                .iter()
                .filter(|s| s.len() >= 2)
                .map(|s| (&s[..s.len() - 1], s[s.len() - 1]))
                .collect();
            (stats_seqs, hist)
        }
        TrainingMode::SessionPrefixes => {
            let cut = ((sequences.len() as f64) * (1.0 - cfg.pair_fraction.clamp(0.01, 0.9)))
                .round() as usize;
            let (early, late) = sequences.split_at(cut.min(sequences.len()));
            let mut hist = Vec::new();
            for s in late {
                for p in 1..s.len() {
                    hist.push((&s[..p], s[p]));
                }
            }
            (early.to_vec(), hist)
        }
    };
    progress(&format!(
        "counting statistics for training pairs ({} sequences)",
        pair_stats_seqs.len()
    ));
    let pair_stats = ItemStats::build(&pair_stats_seqs, n_items, &attrs, &cfg.stats)?;
    // The embedding of the training pairs, like their statistics, never saw their targets.
    let learn_embedding = |seqs: &[&[u32]], progress: &mut dyn FnMut(&str)| match &cfg.embedding {
        Some(e) => ItemEmbedding::train(
            seqs,
            n_items,
            &EmbeddingConfig {
                seed: cfg.seed,
                ..e.clone()
            },
            progress,
        ),
        None => Ok(None),
    };
    let pair_embedding = learn_embedding(&pair_stats_seqs, progress)?;
    // 2. Split histories into training and (when no validation is given) held-out ones.
    let mut order: Vec<usize> = (0..histories.len()).collect();
    let mut held_out = Vec::new();
    if validation.is_empty() {
        let n_val = (histories.len() / 10).min(cfg.max_validation);
        match cfg.mode {
            TrainingMode::LastItem => rng.shuffle(&mut order),
            TrainingMode::SessionPrefixes => {} // the latest histories validate
        }
        let split = order.len() - n_val;
        held_out = order.split_off(split);
        if cfg.mode == TrainingMode::LastItem {
            order.sort_unstable();
        }
    }
    if order.len() > cfg.max_pairs {
        rng.shuffle(&mut order);
        order.truncate(cfg.max_pairs);
        order.sort_unstable();
    }
    let mut builder = PairBuilder {
        stats: &pair_stats,
        embedding: pair_embedding.as_ref(),
        candidates: &cfg.candidates,
        scratch: ScoreScratch::default(),
        cands: Candidates::default(),
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut report = PretrainReport {
        histories: order.len(),
        ..PretrainReport::default()
    };
    let mut total_cands = 0usize;
    for (done, &h) in order.iter().enumerate() {
        let (input, target) = histories[h];
        if builder.push_pairs(input, target, cfg.negatives, &mut rng, &mut x, &mut y)? {
            report.positives += 1;
        }
        total_cands += builder.cands.len();
        if done % 5000 == 0 {
            progress(&format!("training pairs {done}/{}", order.len()));
        }
    }
    report.candidate_recall = report.positives as f64 / order.len().max(1) as f64;
    report.mean_candidates = total_cands as f64 / order.len().max(1) as f64;
    if report.positives == 0 {
        return Err(Error::Training(
            "no training history has its target among the candidates".into(),
        ));
    }
    // 3. Final statistics and validation scorings.
    progress("counting statistics on all data");
    let stats = ItemStats::build(sequences, n_items, &attrs, &cfg.stats)?;
    let embedding = if pair_embedding.is_some() {
        progress("learning the item embedding on all data");
        learn_embedding(sequences, progress)?
    } else {
        None
    };
    let mut val_scorings = Vec::new();
    let val_total;
    if validation.is_empty() {
        val_total = held_out.len();
        for &h in &held_out {
            let (input, target) = histories[h];
            val_scorings.push(builder.scoring(input, target)?);
        }
    } else {
        let mut idx: Vec<usize> = (0..validation.len()).collect();
        if idx.len() > cfg.max_validation {
            rng.shuffle(&mut idx);
            idx.truncate(cfg.max_validation);
        }
        val_total = idx.len();
        let mut vb = PairBuilder {
            stats: &stats,
            embedding: embedding.as_ref(),
            candidates: &cfg.candidates,
            scratch: ScoreScratch::default(),
            cands: Candidates::default(),
        };
        for i in idx {
            let case = validation[i];
            val_scorings.push(vb.scoring(case.input, case.target)?);
        }
    }
    report.validation_cases = val_total;
    // 4. Train with per-epoch model selection.
    let rows = y.len();
    let data = Dataset::new(
        Array2::from_shape_vec((rows, FEATURE_COUNT), x)
            .map_err(|e| Error::shape("training features", FEATURE_COUNT, e))?,
        Array2::from_shape_vec((rows, 1), y).map_err(|e| Error::shape("training labels", 1, e))?,
    )?;
    // Optional up-weighting of positives (only the ranking of candidates matters, not calibration).
    if !(cfg.positive_weight.is_finite() && cfg.positive_weight > 0.0) {
        return Err(Error::invalid(
            "positive_weight",
            cfg.positive_weight,
            "must be finite and > 0",
        ));
    }
    let pos_weight = cfg.positive_weight;
    let weights = Array1::from_iter(
        data.y()
            .iter()
            .map(|&l| if l > 0.5 { pos_weight } else { 1.0 }),
    );
    let data = data.with_weights(weights)?;
    let mut mlp = new_ranker(&cfg.hidden, cfg.seed)?;
    let mut best = mlp.clone();
    let mut best_score = f64::NEG_INFINITY;
    let mut since_best = 0;
    for epoch in 0..cfg.epochs {
        let tc = TrainConfig {
            optimizer: Optimizer::adam(cfg.learning_rate),
            batch_size: cfg.batch_size,
            epochs: 1,
            seed: Some(cfg.seed.wrapping_add(epoch as u64 + 1)),
            validation: Validation::None,
            l2: cfg.l2,
            ..TrainConfig::default()
        };
        let hist = mlp.fit(&data, &tc, &mut |_| Control::Continue)?;
        let loss = hist.last_loss().unwrap_or(f32::NAN);
        let (hr10, ndcg10) = validation_scores(&mlp, &val_scorings, val_total)?;
        progress(&format!(
            "epoch {}: loss {loss:.4}, validation HR@10 {hr10:.4} NDCG@10 {ndcg10:.4}",
            epoch + 1
        ));
        report.epochs.push(EpochScore { loss, hr10, ndcg10 });
        if ndcg10 > best_score {
            best_score = ndcg10;
            best = mlp.clone();
            report.best_epoch = epoch;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience.max(1) {
                break;
            }
        }
    }
    report.embedding_dim = embedding.as_ref().map_or(0, |e| e.dim());
    let model = BaseModel::new(vocab, attr_vocab, stats, cfg.candidates.clone(), best)?
        .with_embedding(embedding)?;
    Ok((model, report))
}
