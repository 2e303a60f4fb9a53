//! `localrec eval`: evaluates the localrec model and the baselines on one split, same run.
//!
//! `localrec eval --sequences FILE [--attributes FILE] [--protocol full|sampled99|new-shoppers] [--json] [--plot FILE] [--seed N]`
//! `localrec eval --sessions TRAIN --test TSV [--json] [--plot FILE] [--seed N]`

use std::time::Instant;

use localrec::eval::data::parse_prefix_labels;
use localrec::eval::metrics::{
    hit_rate_curve, summarize, RankOutcome, LEAVE_ONE_OUT_METRICS, SESSION_METRICS,
};
use localrec::eval::protocol::{rank_cases, sample_negatives, Case, EvalScratch, Scorer};
use localrec::eval::split::{hold_out_users, LeaveOneOut};
use localrec::rec::{
    BaseModel, Baseline, FineTuneBudget, HistoryItem, ItemStats, ItemVocab, PretrainReport,
    RankScratch, ValidationCase,
};
use serde_json::{json, Map, Value};

use crate::args::Args;
use crate::plot::hit_rate_svg;
use crate::pretrain::{
    dataset_name, load_sequences, load_sessions, read, sequence_config, session_config, subsample,
    train_model, tune, tune_for_sequences, tune_for_sessions, Knobs, Log,
};

pub const HELP: &str = "\
localrec eval — evaluate localrec and baselines (popularity, item-kNN, Markov, session-kNN) on one split

USAGE:
    localrec eval --sequences FILE [--attributes FILE] [--protocol full|sampled99|new-shoppers] [OPTIONS]
    localrec eval --sessions TRAIN --test PREFIX_LABEL_TSV [OPTIONS]

OPTIONS:
    --json          print one JSON object instead of a table
    --plot FILE     write an SVG of HR@K, K = 1..50, one line per model
    --seed N        seed of splits, sampling and training (default 42)
    --threads N     evaluation threads (default 2)

EXPERIMENT OPTIONS (defaults are the measured choice):
    --max-cases N   evaluate a seeded subsample of N test cases
    --pairs N       at most N training histories for the re-ranker
    --negatives N   negatives per positive
    --epochs N      maximum epochs
    --hidden W,W    hidden layer widths (default 64,32)
    --positive-weight W   example weight of positives (default 1)
    --cooc-top N    co-occurrence neighbours kept per item (default 50)
    --keep-sessions N     most recent sessions kept for session kNN (default all)
    --ft-steps N, --ft-pull X, --ft-lr X   fine-tuning budget/settings (new-shoppers)
    --ft-holdout N  most recent events held out to check the fine-tuning (default 1; 0 = no check)
    --ft-unverified keep|base   weights kept when no held-out item is a candidate (default base)
    --ft-min-gain X held-out MRR gain the fine-tuned weights must exceed to be kept (default 0)
    --ft-validate   new-shoppers: score the held-out users' second-to-last item instead (for tuning)
    --candidates N  candidates taken from item-kNN and from session-kNN each (default 150)
    --embedding on|off|both   learn the item embedding (default on, when the data reaches its
                    thresholds); both: also train and evaluate \"localrec (no embedding)\" in the same run
    --emb-dim N, --emb-window N, --emb-epochs N   item embedding settings (default 16, 3, 5)
    --emb-candidates N   candidates from the embedding's nearest items (default 50; 0 = none)
    --emb-features on|off   fill the two embedding features of the re-ranker (default on)
    --emb-min-interactions N, --emb-min-items N   no embedding below N training interactions
                    (default 50000) or N items seen at least twice (default 500)
    --similar       leave-one-out: also rank by the \"similar items\" of the last item, with and
                    without the embedding blended in
";

struct Outcome {
    name: String,
    outcomes: Vec<RankOutcome>,
}

struct Run {
    dataset: String,
    protocol: String,
    users: usize,
    items: usize,
    cases: usize,
    metrics: &'static [&'static str],
    percent: bool,
    models: Vec<Outcome>,
    pretrain_s: f64,
    eval_s: f64,
    model_bytes: usize,
    extra: Map<String, Value>,
}

pub fn run(args: &[String]) -> i32 {
    match run_inner(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("localrec eval: {e}");
            2
        }
    }
}

/// Ranks `cases` on `threads` threads (each with its own scratch).
fn par_rank(
    scorer: &Scorer<'_>,
    cases: &[Case<'_>],
    exclude: bool,
    threads: usize,
) -> Result<Vec<RankOutcome>, String> {
    let chunk = cases.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || rank_cases(scorer, part, exclude, &mut EvalScratch::default()))
            })
            .collect();
        let mut out = Vec::with_capacity(cases.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| "an evaluation thread panicked".to_string())?
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(out)
    })
}

fn evaluate_all(
    scorers: &[(String, Scorer<'_>)],
    cases: &[Case<'_>],
    exclude: bool,
    threads: usize,
    log: &Log,
) -> Result<Vec<Outcome>, String> {
    let mut out = Vec::new();
    for (name, scorer) in scorers {
        let t = Instant::now();
        let outcomes = par_rank(scorer, cases, exclude, threads)?;
        let hr10 =
            outcomes.iter().map(|o| o.hit_rate(10)).sum::<f64>() / outcomes.len().max(1) as f64;
        log.line(&format!(
            "{name}: {} cases in {:.1} s, HR@10 {hr10:.4}",
            outcomes.len(),
            t.elapsed().as_secs_f64()
        ));
        out.push(Outcome {
            name: name.clone(),
            outcomes,
        });
    }
    Ok(out)
}

/// Statistics for the baselines: the model's settings without its download-size pruning
/// (every co-occurrence neighbour and transition kept), so the bar is not weakened.
fn baseline_stats(model: &BaseModel, sequences: &[&[u32]], log: &Log) -> Result<ItemStats, String> {
    let mut cfg = model.stats().config.clone();
    cfg.cooc.top_n = usize::MAX;
    cfg.markov_top_n = usize::MAX;
    let stats =
        ItemStats::build(sequences, model.item_count(), &[], &cfg).map_err(|e| e.to_string())?;
    log.line(&format!(
        "baseline statistics (unpruned): {} co-occurrence entries, {} transitions",
        stats.cooc.nnz(),
        stats.markov.nnz()
    ));
    Ok(stats)
}

fn baselines(s: &ItemStats, with_sknn: bool) -> Vec<(String, Scorer<'_>)> {
    let mut v = vec![
        (
            "popularity".to_string(),
            Scorer::Baseline(s, Baseline::Popularity),
        ),
        (
            "item-kNN".to_string(),
            Scorer::Baseline(s, Baseline::ItemKnn),
        ),
        ("markov".to_string(), Scorer::Baseline(s, Baseline::Markov)),
    ];
    if with_sknn && s.sessions.is_some() {
        v.push((
            "session-kNN".to_string(),
            Scorer::Baseline(s, Baseline::SessionKnn),
        ));
    }
    v
}

fn run_inner(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let mut options = vec![
        "--sequences",
        "--attributes",
        "--sessions",
        "--test",
        "--protocol",
        "--plot",
        "--seed",
        "--threads",
        "--max-cases",
        "--ft-steps",
        "--ft-pull",
        "--ft-lr",
        "--ft-holdout",
        "--ft-unverified",
        "--ft-min-gain",
        "--embedding",
    ];
    options.extend(Knobs::OPTIONS);
    let a = Args::parse(args, &options, &["--json", "--ft-validate", "--similar"])?;
    let knobs = Knobs::from_args(&a)?;
    let max_cases: usize = a.number("--max-cases", usize::MAX)?;
    let ft_steps = a
        .get("--ft-steps")
        .map(|_| a.number("--ft-steps", 0usize))
        .transpose()?;
    let ft_pull = a
        .get("--ft-pull")
        .map(|_| a.number("--ft-pull", 0f32))
        .transpose()?;
    let ft_lr = a
        .get("--ft-lr")
        .map(|_| a.number("--ft-lr", 0f32))
        .transpose()?;
    let ft_holdout = a
        .get("--ft-holdout")
        .map(|_| a.number("--ft-holdout", 0usize))
        .transpose()?;
    let ft_keep_unverified = match a.get("--ft-unverified") {
        None => None,
        Some("keep") => Some(true),
        Some("base") => Some(false),
        Some(other) => return Err(format!("--ft-unverified {other:?}: expected keep or base")),
    };
    let ft_min_gain = a
        .get("--ft-min-gain")
        .map(|_| a.number("--ft-min-gain", 0f64))
        .transpose()?;
    let seed: u64 = a.number("--seed", 42)?;
    let threads: usize = a.number("--threads", 2)?;
    let (with_embedding, without_embedding) = match a.get("--embedding").unwrap_or("on") {
        "on" => (true, false),
        "off" => (false, true),
        "both" => (true, true),
        other => return Err(format!("--embedding {other:?}: expected on, off or both")),
    };
    let ctx = Ctx {
        similar: a.has("--similar"),
        with_embedding,
        without_embedding,
        ft_steps,
        ft_pull,
        ft_lr,
        ft_holdout,
        ft_keep_unverified,
        ft_min_gain,
        ft_validate: a.has("--ft-validate"),
        seed,
        threads,
        knobs,
        max_cases,
    };
    let log = Log::new();
    let run = match (a.get("--sequences"), a.get("--sessions")) {
        (Some(path), None) => {
            if a.get("--test").is_some() {
                return Err("--test goes with --sessions".into());
            }
            match a.get("--protocol").unwrap_or("full") {
                p @ ("full" | "sampled99") => {
                    leave_one_out(path, a.get("--attributes"), p == "sampled99", &ctx, &log)?
                }
                "new-shoppers" => new_shoppers(path, a.get("--attributes"), &ctx, &log)?,
                other => {
                    return Err(format!(
                        "--protocol {other:?}: expected full, sampled99 or new-shoppers"
                    ))
                }
            }
        }
        (None, Some(path)) => {
            if a.get("--protocol").is_some_and(|p| p != "sessions") {
                return Err(
                    "--protocol applies to --sequences (sessions have their own protocol)".into(),
                );
            }
            sessions(path, a.require("--test")?, &ctx, &log)?
        }
        _ => return Err("give exactly one of --sequences FILE or --sessions FILE".into()),
    };
    if let Some(plot) = a.get("--plot") {
        let curves: Vec<(String, Vec<f64>)> = run
            .models
            .iter()
            .map(|m| (m.name.clone(), hit_rate_curve(&m.outcomes, 50)))
            .collect();
        let svg = hit_rate_svg(
            &format!("{} — {} ({} cases)", run.dataset, run.protocol, run.cases),
            &curves,
        );
        std::fs::write(plot, svg).map_err(|e| format!("cannot write {plot}: {e}"))?;
        log.line(&format!("wrote {plot}"));
    }
    report(&run, a.has("--json"), seed)
}

fn report(run: &Run, as_json: bool, seed: u64) -> Result<(), String> {
    let mut models = Map::new();
    let mut rows = Vec::new();
    for m in &run.models {
        let values = summarize(&m.outcomes, run.metrics).map_err(|e| e.to_string())?;
        let mut obj = Map::new();
        for (name, v) in &values {
            obj.insert(name.clone(), json!(v));
        }
        models.insert(m.name.clone(), Value::Object(obj));
        rows.push((m.name.clone(), values));
    }
    if as_json {
        let mut out = json!({
            "dataset": run.dataset, "protocol": run.protocol, "users": run.users, "items": run.items, "cases": run.cases,
            "models": models,
            "seconds": {"pretrain": run.pretrain_s, "eval": run.eval_s},
            "seed": seed, "model_bytes": run.model_bytes,
        });
        if let Some(o) = out.as_object_mut() {
            o.extend(run.extra.clone());
        }
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} — protocol {}: {} users/sessions, {} items, {} cases{}",
        run.dataset,
        run.protocol,
        run.users,
        run.items,
        run.cases,
        if run.percent { " (metrics in %)" } else { "" }
    );
    print!("{:<24}", "model");
    for m in run.metrics {
        print!("{m:>9}");
    }
    println!();
    for (name, values) in rows {
        print!("{name:<24}");
        for (_, v) in values {
            if run.percent {
                print!("{:>9.2}", v * 100.0);
            } else {
                print!("{v:>9.4}");
            }
        }
        println!();
    }
    println!(
        "pretrain {:.1} s, eval {:.1} s, model {} bytes",
        run.pretrain_s, run.eval_s, run.model_bytes
    );
    for (k, v) in &run.extra {
        println!("{k}: {v}");
    }
    Ok(())
}

struct Ctx {
    /// Also rank by `similar` of the last item (the product-page list).
    similar: bool,
    /// Evaluate the model with the item embedding (as "localrec").
    with_embedding: bool,
    /// Evaluate a model trained without it ("localrec (no embedding)", or "localrec" alone).
    without_embedding: bool,
    seed: u64,
    threads: usize,
    knobs: Knobs,
    max_cases: usize,
    /// Fine-tuning overrides (new-shoppers): steps, pull, learning rate.
    ft_steps: Option<usize>,
    ft_pull: Option<f32>,
    ft_lr: Option<f32>,
    /// new-shoppers: rank the held-out users' second-to-last item (for choosing fine-tuning settings).
    ft_holdout: Option<usize>,
    ft_keep_unverified: Option<bool>,
    ft_min_gain: Option<f64>,
    ft_validate: bool,
}

/// A model variant: its row name and the settings to train it with.
struct Variant {
    name: &'static str,
    knobs: Knobs,
}

impl Ctx {
    /// The model variants this run trains (with and/or without the item embedding).
    fn variants(&self, suffix: &'static str) -> Vec<Variant> {
        let mut v = Vec::new();
        let both = self.with_embedding && self.without_embedding;
        if self.with_embedding {
            v.push(Variant {
                name: if suffix.is_empty() {
                    "localrec"
                } else {
                    suffix
                },
                knobs: self.knobs.clone(),
            });
        }
        if self.without_embedding {
            v.push(Variant {
                name: match (both, suffix.is_empty()) {
                    (false, _) if suffix.is_empty() => "localrec",
                    (false, _) => suffix,
                    (true, true) => "localrec (no embedding)",
                    (true, false) => "localrec base (no embedding)",
                },
                knobs: Knobs {
                    embedding_off: true,
                    ..self.knobs.clone()
                },
            });
        }
        v
    }

    fn limit<'a>(&self, cases: Vec<Case<'a>>) -> Vec<Case<'a>> {
        if cases.len() <= self.max_cases {
            return cases;
        }
        subsample(cases.len(), self.max_cases, self.seed ^ 0xCA5E)
            .into_iter()
            .map(|i| cases[i])
            .collect()
    }
}

fn leave_one_out(
    path: &str,
    attrs: Option<&str>,
    sampled: bool,
    ctx: &Ctx,
    log: &Log,
) -> Result<Run, String> {
    let (seed, threads) = (ctx.seed, ctx.threads);
    let t0 = Instant::now();
    let loaded = load_sequences(path, attrs)?;
    let n_items = loaded.vocab.len();
    log.line(&format!(
        "{} users, {} items",
        loaded.sequences.len(),
        n_items
    ));
    let loo = LeaveOneOut::new(&loaded.sequences);
    let train = loo.train_sequences();
    let val: Vec<Case> = loo
        .cases
        .iter()
        .map(|c| Case {
            input: loo.valid_input(c),
            target: c.valid_target,
            negatives: None,
        })
        .collect();
    let tune_cases: Vec<Case> = subsample(val.len(), 5000, seed)
        .into_iter()
        .map(|i| val[i])
        .collect();
    let stats_cfg = tune(&train, n_items, &tune_cases, true, log)?;
    let validation: Vec<ValidationCase> = val
        .iter()
        .map(|c| ValidationCase {
            input: c.input,
            target: c.target,
        })
        .collect();
    let trained = train_variants(ctx, "", log, |knobs| {
        let (model, report) = train_model(
            &train,
            loaded.vocab.clone(),
            loaded.attributes.clone(),
            &validation,
            &knobs.apply(sequence_config(seed, stats_cfg.clone())),
            log,
        )?;
        let model = model
            .with_stats_from(&loo.train_valid_sequences())
            .map_err(|e| e.to_string())?;
        Ok((model, report))
    })?;
    let (_, model, _) = trained.first().ok_or("no model variant to train")?;
    let pretrain_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let negatives = if sampled {
        let all: Vec<&[u32]> = loaded.sequences.iter().map(|s| s.as_slice()).collect();
        Some(sample_negatives(&all, n_items, 99, seed).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let cases: Vec<Case> = loo
        .cases
        .iter()
        .map(|c| Case {
            input: loo.test_input(c),
            target: c.test_target,
            negatives: negatives
                .as_ref()
                .and_then(|n| n.get(c.user))
                .map(|v| v.as_slice()),
        })
        .collect();
    let cases = ctx.limit(cases);
    let full_stats = baseline_stats(model, &loo.train_valid_sequences(), log)?;
    let mut scorers = baselines(&full_stats, true);
    for (name, m, _) in &trained {
        scorers.push((name.to_string(), Scorer::Model(m)));
    }
    // "Similar items" of the last item as a next-item predictor, with and without the
    // embedding blended in (same model otherwise).
    let plain = model
        .clone()
        .with_embedding(None)
        .map_err(|e| e.to_string())?;
    if ctx.similar {
        if model.embedding().is_some() {
            scorers.push(("similar (embedding)".into(), Scorer::Similar(model)));
        }
        scorers.push(("similar (co-occurrence)".into(), Scorer::Similar(&plain)));
    }
    let models = evaluate_all(&scorers, &cases, true, threads, log)?;
    let extra = variant_extra(&trained);
    Ok(Run {
        dataset: dataset_name(path),
        protocol: if sampled { "sampled99" } else { "full" }.into(),
        users: loaded.sequences.len(),
        items: n_items,
        cases: cases.len(),
        metrics: LEAVE_ONE_OUT_METRICS,
        percent: false,
        models,
        pretrain_s,
        eval_s: t1.elapsed().as_secs_f64(),
        model_bytes: model.to_bytes().len(),
        extra,
    })
}

/// Models trained for each variant of the run, by name.
type Trained = Vec<(&'static str, BaseModel, PretrainReport)>;

/// Trains every variant of the run (with and/or without the embedding) with `train`.
fn train_variants(
    ctx: &Ctx,
    suffix: &'static str,
    log: &Log,
    mut train: impl FnMut(&Knobs) -> Result<(BaseModel, PretrainReport), String>,
) -> Result<Trained, String> {
    let mut trained = Vec::new();
    for variant in ctx.variants(suffix) {
        log.line(&format!("training {}", variant.name));
        let (model, report) = train(&variant.knobs)?;
        trained.push((variant.name, model, report));
    }
    Ok(trained)
}

/// Per-variant training facts for the report (candidate recall, selected epoch, embedding, size).
fn variant_extra(trained: &[(&str, BaseModel, PretrainReport)]) -> Map<String, Value> {
    let mut extra = Map::new();
    for (k, (name, model, report)) in trained.iter().enumerate() {
        let key = |what: &str| {
            if k == 0 {
                what.to_string()
            } else {
                format!("{what} [{name}]")
            }
        };
        extra.insert(
            key("candidate_recall_train"),
            json!(report.candidate_recall),
        );
        extra.insert(key("best_epoch"), json!(report.best_epoch + 1));
        extra.insert(key("embedding_dim"), json!(report.embedding_dim));
        extra.insert(key("model_bytes"), json!(model.to_bytes().len()));
    }
    extra
}

fn new_shoppers(path: &str, attrs: Option<&str>, ctx: &Ctx, log: &Log) -> Result<Run, String> {
    let (seed, threads) = (ctx.seed, ctx.threads);
    let t0 = Instant::now();
    let loaded = load_sequences(path, attrs)?;
    let n_items = loaded.vocab.len();
    let (kept, held) = hold_out_users(loaded.sequences.len(), 0.2, seed);
    log.line(&format!(
        "{} users ({} held out as new shoppers), {} items",
        loaded.sequences.len(),
        held.len(),
        n_items
    ));
    let kept_seqs: Vec<&[u32]> = kept
        .iter()
        .map(|&u| loaded.sequences[u].as_slice())
        .collect();
    let stats_cfg = tune_for_sequences(&kept_seqs, n_items, seed, log)?;
    let trained = train_variants(ctx, "localrec base", log, |knobs| {
        train_model(
            &kept_seqs,
            loaded.vocab.clone(),
            loaded.attributes.clone(),
            &[],
            &knobs.apply(sequence_config(seed, stats_cfg.clone())),
            log,
        )
    })?;
    let (_, model, _) = trained.first().ok_or("no model variant to train")?;
    let pretrain_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let users: Vec<usize> = held
        .into_iter()
        .filter(|&u| loaded.sequences[u].len() >= 3)
        .collect();
    let cases: Vec<Case> = users
        .iter()
        .map(|&u| {
            let s = &loaded.sequences[u];
            let end = if ctx.ft_validate {
                s.len() - 1
            } else {
                s.len()
            };
            Case {
                input: &s[..end - 1],
                target: s[end - 1],
                negatives: None,
            }
        })
        .collect();
    let cases = ctx.limit(cases);
    let full_stats = baseline_stats(model, &kept_seqs, log)?;
    let mut scorers = baselines(&full_stats, true);
    // Other variants: the base model alone (the fine-tuning path below runs on the first).
    for (name, m, _) in trained.iter().skip(1) {
        scorers.push((name.to_string(), Scorer::Model(m)));
    }
    let mut models = evaluate_all(&scorers, &cases, true, threads, log)?;
    // The on-device path, per shopper: base model alone, base + fine-tuning, local history alone.
    let clock_start = Instant::now();
    let clock = move || clock_start.elapsed().as_secs_f64() * 1000.0;
    let chunk = cases.len().div_ceil(threads.max(1)).max(1);
    type PerUser = (
        Vec<RankOutcome>,
        Vec<RankOutcome>,
        Vec<RankOutcome>,
        usize,
        f64,
        usize,
        usize,
        usize,
    );
    let results: Vec<Result<PerUser, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                let mut local = model.clone();
                let clock = &clock;
                s.spawn(move || -> Result<PerUser, String> {
                    let mut scratch = RankScratch::default();
                    let mut dense = vec![0f32; n_items];
                    let (mut base, mut tuned, mut alone) = (Vec::new(), Vec::new(), Vec::new());
                    let (mut steps, mut ms, mut exhausted) = (0usize, 0f64, 0usize);
                    let (mut kept, mut checked) = (0usize, 0usize);
                    for case in part {
                        let history: Vec<HistoryItem> =
                            case.input.iter().map(|&i| HistoryItem::new(i)).collect();
                        local.reset_ranker();
                        local
                            .score_all(case.input, &mut scratch, &mut dense)
                            .map_err(|e| e.to_string())?;
                        base.push(
                            RankOutcome::from_scores(&dense, case.target, case.input)
                                .map_err(|e| e.to_string())?,
                        );
                        for from_scratch in [false, true] {
                            let mut budget = FineTuneBudget {
                                from_scratch,
                                ..FineTuneBudget::new(clock)
                            };
                            if let Some(v) = ctx.ft_steps {
                                budget.max_steps = v;
                            }
                            if let Some(v) = ctx.ft_pull {
                                budget.pull = v;
                            }
                            if let Some(v) = ctx.ft_lr {
                                budget.learning_rate = v;
                            }
                            if let Some(v) = ctx.ft_holdout {
                                budget.holdout = v;
                            }
                            if let Some(v) = ctx.ft_keep_unverified {
                                budget.keep_unverified = v;
                            }
                            if let Some(v) = ctx.ft_min_gain {
                                budget.min_gain = v;
                            }
                            let r = local
                                .fine_tune(&history, &budget)
                                .map_err(|e| e.to_string())?;
                            local
                                .score_all(case.input, &mut scratch, &mut dense)
                                .map_err(|e| e.to_string())?;
                            let o = RankOutcome::from_scores(&dense, case.target, case.input)
                                .map_err(|e| e.to_string())?;
                            if from_scratch {
                                alone.push(o);
                            } else {
                                tuned.push(o);
                                steps += r.steps;
                                ms += r.ms;
                                exhausted += r.budget_exhausted as usize;
                                kept += r.kept as usize;
                                checked += (r.held_out > 0) as usize;
                            }
                        }
                    }
                    Ok((base, tuned, alone, steps, ms, exhausted, kept, checked))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let (mut base, mut tuned, mut alone, mut steps, mut ms, mut exhausted) =
        (Vec::new(), Vec::new(), Vec::new(), 0, 0.0, 0);
    let (mut kept, mut checked) = (0usize, 0usize);
    for r in results {
        let r = r?;
        base.extend(r.0);
        tuned.extend(r.1);
        alone.extend(r.2);
        steps += r.3;
        ms += r.4;
        exhausted += r.5;
        kept += r.6;
        checked += r.7;
    }
    let n = cases.len().max(1) as f64;
    // Paired: shoppers whose target enters / leaves the top 10 with the fine-tuned weights.
    let (gained, lost) = base.iter().zip(&tuned).fold((0, 0), |(g, l), (b, t)| {
        let (hb, ht) = (b.hit_rate(10) > 0.5, t.hit_rate(10) > 0.5);
        (g + (ht && !hb) as usize, l + (hb && !ht) as usize)
    });
    log.line(&format!(
        "fine-tuning: {:.1} steps and {:.2} ms per shopper on average, budget hit by {exhausted}; \
         fine-tuned weights kept for {kept} of {} shoppers ({checked} with a held-out item to check); \
         top-10 hits gained {gained}, lost {lost}",
        steps as f64 / n,
        ms / n,
        cases.len()
    ));
    models.push(Outcome {
        name: "localrec base".into(),
        outcomes: base,
    });
    models.push(Outcome {
        name: "localrec fine-tuned".into(),
        outcomes: tuned,
    });
    models.push(Outcome {
        name: "localrec local-only".into(),
        outcomes: alone,
    });
    let mut extra = variant_extra(&trained);
    extra.insert("fine_tune_mean_steps".into(), json!(steps as f64 / n));
    extra.insert("fine_tune_mean_ms".into(), json!(ms / n));
    extra.insert("fine_tune_budget_hit".into(), json!(exhausted));
    extra.insert("fine_tune_kept".into(), json!(kept));
    extra.insert("fine_tune_checked".into(), json!(checked));
    extra.insert("fine_tune_top10_gained".into(), json!(gained));
    extra.insert("fine_tune_top10_lost".into(), json!(lost));
    Ok(Run {
        dataset: dataset_name(path),
        protocol: "new-shoppers".into(),
        users: loaded.sequences.len(),
        items: n_items,
        cases: cases.len(),
        metrics: LEAVE_ONE_OUT_METRICS,
        percent: false,
        models,
        pretrain_s,
        eval_s: t1.elapsed().as_secs_f64(),
        model_bytes: model.to_bytes().len(),
        extra,
    })
}

fn sessions(train_path: &str, test_path: &str, ctx: &Ctx, log: &Log) -> Result<Run, String> {
    let (seed, threads) = (ctx.seed, ctx.threads);
    let t0 = Instant::now();
    let mut vocab = ItemVocab::new();
    let sessions = load_sessions(train_path, &mut vocab)?;
    let trained_items = vocab.len();
    let rows = parse_prefix_labels(&read(test_path)?, &mut vocab)
        .map_err(|e| format!("{test_path}: {e}"))?;
    let n_items = vocab.len();
    log.line(&format!(
        "{} training sessions, {} test rows, {} items ({} only in the test file)",
        sessions.len(),
        rows.len(),
        n_items,
        n_items - trained_items
    ));
    let views: Vec<&[u32]> = sessions.iter().map(|s| s.as_slice()).collect();
    let stats_cfg = tune_for_sessions(&views, n_items, seed, log)?;
    let trained = train_variants(ctx, "", log, |knobs| {
        train_model(
            &views,
            vocab.clone(),
            None,
            &[],
            &knobs.apply(session_config(seed, stats_cfg.clone())),
            log,
        )
    })?;
    let (_, model, _) = trained.first().ok_or("no model variant to train")?;
    let pretrain_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let cases: Vec<Case> = ctx.limit(
        rows.iter()
            .map(|r| Case {
                input: &r.prefix,
                target: r.label,
                negatives: None,
            })
            .collect(),
    );
    let full_stats = baseline_stats(model, &views, log)?;
    let mut scorers = baselines(&full_stats, true);
    for (name, m, _) in &trained {
        scorers.push((name.to_string(), Scorer::Model(m)));
    }
    let models = evaluate_all(&scorers, &cases, false, threads, log)?;
    let extra = variant_extra(&trained);
    Ok(Run {
        dataset: dataset_name(train_path),
        protocol: "sessions".into(),
        users: sessions.len(),
        items: n_items,
        cases: cases.len(),
        metrics: SESSION_METRICS,
        percent: true,
        models,
        pretrain_s,
        eval_s: t1.elapsed().as_secs_f64(),
        model_bytes: model.to_bytes().len(),
        extra,
    })
}
