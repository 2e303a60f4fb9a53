//! `localrec pretrain`: trains a base model from interaction logs and writes it.
//!
//! `localrec pretrain --sequences FILE [--attributes FILE] --out MODEL [--seed N] [--embedding on|off]`
//! `localrec pretrain --sessions FILE --out MODEL [--seed N] [--embedding on|off]`

use std::time::Instant;

use localrec::eval::data::{parse_attributes, parse_sequences, parse_sessions};
use localrec::eval::protocol::{tune_item_knn, Case};
use localrec::rec::{
    pretrain, BaseModel, CandidateConfig, ItemVocab, PretrainConfig, PretrainReport, StatsConfig,
    TrainingMode, ValidationCase,
};
use localrec::rng::Rng;

use crate::args::Args;

pub const HELP: &str = "\
localrec pretrain — train a base model (item statistics + MLP re-ranker)

USAGE:
    localrec pretrain --sequences FILE [--attributes FILE] --out MODEL [--seed N]
    localrec pretrain --sessions FILE --out MODEL [--seed N]

    --sequences FILE    one user per line: `user item item ...` in time order
    --attributes FILE   JSON {\"item\": [attribute, ...]}
    --sessions FILE     one anonymous session per line: `item item ...` in click order
    --out MODEL         where to write the model (versioned, checksummed)
    --seed N            seed of sampling and initialisation (default 42)
    --embedding on|off  learn the item embedding (default on: learnt when the training data has
                        at least 50,000 interactions and 500 items seen twice; 16 dimensions)
";

/// Progress lines on stderr, stamped with seconds since start.
pub struct Log {
    start: Instant,
    pub quiet: bool,
}

impl Log {
    pub fn new() -> Self {
        Log {
            start: Instant::now(),
            quiet: false,
        }
    }
    pub fn line(&self, msg: &str) {
        if !self.quiet {
            eprintln!("[{:7.1}s] {msg}", self.start.elapsed().as_secs_f64());
        }
    }
}

/// Loaded interaction data.
pub struct Loaded {
    pub vocab: ItemVocab,
    pub sequences: Vec<Vec<u32>>,
    pub attributes: Option<(ItemVocab, Vec<Vec<u32>>)>,
}

pub fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

pub fn dataset_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

pub fn load_sequences(path: &str, attributes: Option<&str>) -> Result<Loaded, String> {
    let mut vocab = ItemVocab::new();
    let users = parse_sequences(&read(path)?, &mut vocab).map_err(|e| format!("{path}: {e}"))?;
    let sequences = users.into_iter().map(|u| u.items).collect();
    let attributes = match attributes {
        None => None,
        Some(p) => {
            let mut attr_vocab = ItemVocab::new();
            let (attrs, _unknown) = parse_attributes(&read(p)?, &vocab, &mut attr_vocab)
                .map_err(|e| format!("{p}: {e}"))?;
            Some((attr_vocab, attrs))
        }
    };
    Ok(Loaded {
        vocab,
        sequences,
        attributes,
    })
}

pub fn load_sessions(path: &str, vocab: &mut ItemVocab) -> Result<Vec<Vec<u32>>, String> {
    parse_sessions(&read(path)?, vocab).map_err(|e| format!("{path}: {e}"))
}

/// Pretraining settings for per-user purchase sequences (history items are not recommended again).
pub fn sequence_config(seed: u64, stats: StatsConfig) -> PretrainConfig {
    PretrainConfig {
        stats,
        candidates: CandidateConfig {
            exclude_history: true,
            ..CandidateConfig::default()
        },
        mode: TrainingMode::LastItem,
        seed,
        ..PretrainConfig::default()
    }
}

/// Pretraining settings for anonymous browsing sessions (repeat views are candidates).
pub fn session_config(seed: u64, stats: StatsConfig) -> PretrainConfig {
    PretrainConfig {
        stats,
        candidates: CandidateConfig {
            exclude_history: false,
            ..CandidateConfig::default()
        },
        mode: TrainingMode::SessionPrefixes,
        seed,
        ..PretrainConfig::default()
    }
}

/// Optional overrides of the pretraining settings (for experiments).
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    pub pairs: Option<usize>,
    pub negatives: Option<usize>,
    pub epochs: Option<usize>,
    pub hidden: Option<Vec<usize>>,
    pub positive_weight: Option<f32>,
    pub cooc_top: Option<usize>,
    pub keep_sessions: Option<usize>,
    pub candidates: Option<usize>,
    /// Item embedding: off (never learn one), dimension, window, epochs, candidates, features.
    pub embedding_off: bool,
    pub emb_dim: Option<usize>,
    pub emb_window: Option<usize>,
    pub emb_epochs: Option<usize>,
    pub emb_candidates: Option<usize>,
    pub emb_features: Option<bool>,
    pub emb_min_interactions: Option<usize>,
    pub emb_min_items: Option<usize>,
}

impl Knobs {
    pub const OPTIONS: [&'static str; 15] = [
        "--emb-min-items",
        "--emb-dim",
        "--emb-window",
        "--emb-epochs",
        "--emb-candidates",
        "--emb-features",
        "--emb-min-interactions",
        "--pairs",
        "--negatives",
        "--epochs",
        "--hidden",
        "--positive-weight",
        "--cooc-top",
        "--keep-sessions",
        "--candidates",
    ];

    pub fn from_args(a: &Args) -> Result<Knobs, String> {
        let opt = |name: &str| -> Result<Option<usize>, String> {
            a.get(name)
                .map(|v| {
                    v.parse()
                        .map_err(|_| format!("{name} = {v:?} is not a number"))
                })
                .transpose()
        };
        let hidden = match a.get("--hidden") {
            None => None,
            Some(v) => Some(
                v.split(',')
                    .map(|w| {
                        w.trim()
                            .parse()
                            .map_err(|_| format!("--hidden = {v:?}: expected widths like 64,32"))
                    })
                    .collect::<Result<Vec<usize>, String>>()?,
            ),
        };
        let positive_weight = a
            .get("--positive-weight")
            .map(|v| {
                v.parse::<f32>()
                    .map_err(|_| format!("--positive-weight = {v:?} is not a number"))
            })
            .transpose()?;
        Ok(Knobs {
            pairs: opt("--pairs")?,
            negatives: opt("--negatives")?,
            epochs: opt("--epochs")?,
            hidden,
            positive_weight,
            cooc_top: opt("--cooc-top")?,
            keep_sessions: opt("--keep-sessions")?,
            candidates: opt("--candidates")?,
            embedding_off: false,
            emb_dim: opt("--emb-dim")?,
            emb_window: opt("--emb-window")?,
            emb_epochs: opt("--emb-epochs")?,
            emb_candidates: opt("--emb-candidates")?,
            emb_features: match a.get("--emb-features") {
                None => None,
                Some("on") => Some(true),
                Some("off") => Some(false),
                Some(v) => return Err(format!("--emb-features = {v:?}: expected on or off")),
            },
            emb_min_interactions: opt("--emb-min-interactions")?,
            emb_min_items: opt("--emb-min-items")?,
        })
    }

    pub fn apply(&self, mut cfg: PretrainConfig) -> PretrainConfig {
        if let Some(v) = self.pairs {
            cfg.max_pairs = v;
        }
        if let Some(v) = self.negatives {
            cfg.negatives = v;
        }
        if let Some(v) = self.epochs {
            cfg.epochs = v;
        }
        if let Some(v) = self.cooc_top {
            cfg.stats.cooc.top_n = v;
        }
        if let Some(v) = self.keep_sessions {
            cfg.stats.keep_sessions = v;
        }
        if let Some(v) = self.candidates {
            cfg.candidates.from_knn = v;
            cfg.candidates.from_sknn = v;
        }
        if let Some(v) = self.positive_weight {
            cfg.positive_weight = v;
        }
        if let Some(v) = &self.hidden {
            cfg.hidden = v.clone();
        }
        if let Some(v) = self.emb_candidates {
            cfg.candidates.from_embedding = v;
        }
        if let Some(v) = self.emb_features {
            cfg.candidates.embedding_features = v;
        }
        if let Some(e) = cfg.embedding.as_mut() {
            if let Some(v) = self.emb_dim {
                e.dim = v;
            }
            if let Some(v) = self.emb_window {
                e.window = v;
            }
            if let Some(v) = self.emb_epochs {
                e.epochs = v;
            }
            if let Some(v) = self.emb_min_interactions {
                e.min_interactions = v;
            }
            if let Some(v) = self.emb_min_items {
                e.min_items = v;
            }
        }
        if self.embedding_off {
            cfg.embedding = None;
        }
        cfg
    }
}

/// Picks at most `max` indices of `0..n`, seeded, in order.
pub fn subsample(n: usize, max: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    if n > max {
        Rng::new(seed).shuffle(&mut idx);
        idx.truncate(max);
        idx.sort_unstable();
    }
    idx
}

/// Tunes item-kNN for sequences: statistics without each user's last item, cases = last items.
pub fn tune_for_sequences(
    seqs: &[&[u32]],
    n_items: usize,
    seed: u64,
    log: &Log,
) -> Result<StatsConfig, String> {
    let train: Vec<&[u32]> = seqs
        .iter()
        .map(|s| if s.len() >= 2 { &s[..s.len() - 1] } else { *s })
        .collect();
    let all: Vec<Case> = seqs
        .iter()
        .filter(|s| s.len() >= 2)
        .map(|s| Case {
            input: &s[..s.len() - 1],
            target: s[s.len() - 1],
            negatives: None,
        })
        .collect();
    let cases: Vec<Case> = subsample(all.len(), 5000, seed)
        .into_iter()
        .map(|i| all[i])
        .collect();
    tune(&train, n_items, &cases, true, log)
}

/// Tunes item-kNN for sessions: statistics of the first 90 % of sessions, cases = prefixes of the rest.
pub fn tune_for_sessions(
    sessions: &[&[u32]],
    n_items: usize,
    seed: u64,
    log: &Log,
) -> Result<StatsConfig, String> {
    let cut = sessions.len() * 9 / 10;
    let (train, late) = sessions.split_at(cut);
    let mut all = Vec::new();
    for s in late {
        for p in 1..s.len() {
            all.push(Case {
                input: &s[..p],
                target: s[p],
                negatives: None,
            });
        }
    }
    let cases: Vec<Case> = subsample(all.len(), 5000, seed)
        .into_iter()
        .map(|i| all[i])
        .collect();
    tune(train, n_items, &cases, false, log)
}

pub fn tune(
    train: &[&[u32]],
    n_items: usize,
    cases: &[Case],
    exclude: bool,
    log: &Log,
) -> Result<StatsConfig, String> {
    log.line(&format!(
        "tuning item-kNN on {} validation cases",
        cases.len()
    ));
    let (cfg, hr, ndcg) = tune_item_knn(
        train,
        n_items,
        &StatsConfig::default(),
        cases,
        exclude,
        &mut |m| log.line(m),
    )
    .map_err(|e| e.to_string())?;
    log.line(&format!("chosen item-kNN: window {} backward {} alpha {} decay {} (validation HR@10 {hr:.4}, NDCG@10 {ndcg:.4})", if cfg.cooc.window == usize::MAX { "all".into() } else { cfg.cooc.window.to_string() }, cfg.cooc.backward_weight, cfg.cooc.alpha, cfg.knn_decay));
    Ok(cfg)
}

pub fn train_model(
    seqs: &[&[u32]],
    loaded_vocab: ItemVocab,
    attributes: Option<(ItemVocab, Vec<Vec<u32>>)>,
    validation: &[ValidationCase],
    cfg: &PretrainConfig,
    log: &Log,
) -> Result<(BaseModel, PretrainReport), String> {
    let (model, report) = pretrain(seqs, loaded_vocab, attributes, validation, cfg, &mut |m| {
        log.line(m)
    })
    .map_err(|e| e.to_string())?;
    log.line(&format!(
        "re-ranker trained: {} histories, candidate recall {:.3}, {:.0} candidates per history, best epoch {}",
        report.histories,
        report.candidate_recall,
        report.mean_candidates,
        report.best_epoch + 1
    ));
    let parts: Vec<String> = model
        .size_report()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    log.line(&format!("model bytes by part: {}", parts.join(", ")));
    Ok((model, report))
}

pub fn run(args: &[String]) -> i32 {
    match run_inner(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("localrec pretrain: {e}");
            2
        }
    }
}

fn run_inner(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let a = Args::parse(
        args,
        &[
            "--sequences",
            "--attributes",
            "--sessions",
            "--out",
            "--seed",
            "--embedding",
        ],
        &[],
    )?;
    let out = a.require("--out")?;
    let seed: u64 = a.number("--seed", 42)?;
    let knobs = Knobs {
        embedding_off: match a.get("--embedding").unwrap_or("on") {
            "on" => false,
            "off" => true,
            other => return Err(format!("--embedding {other:?}: expected on or off")),
        },
        ..Knobs::default()
    };
    let log = Log::new();
    let start = Instant::now();
    let model = match (a.get("--sequences"), a.get("--sessions")) {
        (Some(path), None) => {
            let loaded = load_sequences(path, a.get("--attributes"))?;
            log.line(&format!(
                "{} users, {} items",
                loaded.sequences.len(),
                loaded.vocab.len()
            ));
            let views: Vec<&[u32]> = loaded.sequences.iter().map(|s| s.as_slice()).collect();
            let stats = tune_for_sequences(&views, loaded.vocab.len(), seed, &log)?;
            train_model(
                &views,
                loaded.vocab,
                loaded.attributes,
                &[],
                &knobs.apply(sequence_config(seed, stats)),
                &log,
            )?
            .0
        }
        (None, Some(path)) => {
            if a.get("--attributes").is_some() {
                return Err("--attributes goes with --sequences".into());
            }
            let mut vocab = ItemVocab::new();
            let sessions = load_sessions(path, &mut vocab)?;
            log.line(&format!(
                "{} sessions, {} items",
                sessions.len(),
                vocab.len()
            ));
            let views: Vec<&[u32]> = sessions.iter().map(|s| s.as_slice()).collect();
            let stats = tune_for_sessions(&views, vocab.len(), seed, &log)?;
            let cfg = knobs.apply(session_config(seed, stats));
            train_model(&views, vocab, None, &[], &cfg, &log)?.0
        }
        _ => return Err("give exactly one of --sequences FILE or --sessions FILE".into()),
    };
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
    println!(
        "wrote {out}: {} bytes ({} items, {:.1} s)",
        bytes.len(),
        model.item_count(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
