//! The ranking core end to end on synthetic data with known structure: leakage, the model
//! format, ranking, similar items and on-device fine-tuning.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::eval::split::LeaveOneOut;
use localrec::rec::{
    pretrain, BaseModel, CandidateConfig, FineTuneBudget, HistoryItem, ItemStats, ItemVocab,
    PretrainConfig, RankScratch, StatsConfig, TrainingMode,
};

/// `users` users walking +1 chains over `n` items (item ids "i0".."i{n-1}").
fn chains(users: usize, n: u32, len: u32) -> (ItemVocab, Vec<Vec<u32>>) {
    let mut vocab = ItemVocab::new();
    for i in 0..n {
        vocab.intern(&format!("i{i}")).unwrap();
    }
    let seqs = (0..users as u32)
        .map(|u| (0..len).map(|t| (u * 7 + t) % n).collect())
        .collect();
    (vocab, seqs)
}

fn views(seqs: &[Vec<u32>]) -> Vec<&[u32]> {
    seqs.iter().map(|s| s.as_slice()).collect()
}

fn small_cfg(mode: TrainingMode) -> PretrainConfig {
    PretrainConfig {
        epochs: 3,
        mode,
        max_validation: 200,
        ..PretrainConfig::default()
    }
}

#[test]
fn leave_one_out_statistics_never_see_the_held_out_items() {
    // Every user's validation and test items are unique to that user: any leak shows up as a count.
    let mut seqs = Vec::new();
    for u in 0..50u32 {
        seqs.push(vec![
            u % 10,
            (u + 1) % 10,
            (u + 2) % 10,
            100 + 2 * u,
            101 + 2 * u,
        ]);
    }
    let loo = LeaveOneOut::new(&seqs);
    let train =
        ItemStats::build(&loo.train_sequences(), 200, &[], &StatsConfig::default()).unwrap();
    let train_valid = ItemStats::build(
        &loo.train_valid_sequences(),
        200,
        &[],
        &StatsConfig::default(),
    )
    .unwrap();
    for case in &loo.cases {
        assert_eq!(train.popularity[case.valid_target as usize], 0.0);
        assert_eq!(train.popularity[case.test_target as usize], 0.0);
        assert_eq!(train_valid.popularity[case.valid_target as usize], 1.0);
        assert_eq!(train_valid.popularity[case.test_target as usize], 0.0);
        assert!(!train_valid
            .cooc
            .row(case.valid_target)
            .items()
            .contains(&case.test_target));
        assert!(train.cooc.row(case.valid_target).is_empty());
        assert_eq!(
            train_valid
                .markov
                .weight(case.valid_target, case.test_target),
            0.0
        );
        let input = loo.test_input(case);
        assert!(!input.contains(&case.test_target) && input.contains(&case.valid_target));
    }
}

#[test]
fn training_pairs_are_built_from_statistics_that_never_saw_their_targets() {
    // The last item of every sequence (LastItem) / every item of the later sessions (SessionPrefixes)
    // occurs nowhere else. Without leakage none of them can be a candidate, and pretraining must
    // refuse ("no training history has its target among the candidates"); with a leak it would train.
    let no_pop = CandidateConfig {
        popular: 0,
        ..CandidateConfig::default()
    };
    let mut vocab = ItemVocab::new();
    for i in 0..400 {
        vocab.intern(&format!("i{i}")).unwrap();
    }
    let seqs: Vec<Vec<u32>> = (0..60u32)
        .map(|u| vec![u % 20, (u + 1) % 20, (u + 2) % 20, 200 + u])
        .collect();
    let cfg = PretrainConfig {
        candidates: no_pop.clone(),
        ..small_cfg(TrainingMode::LastItem)
    };
    let err = pretrain(&views(&seqs), vocab.clone(), None, &[], &cfg, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("no training history"), "{err}");

    let mut sessions: Vec<Vec<u32>> = (0..80u32)
        .map(|s| vec![s % 20, (s + 1) % 20, (s + 2) % 20])
        .collect();
    sessions.extend((0..20u32).map(|s| vec![300 + 3 * s, 301 + 3 * s, 302 + 3 * s]));
    let cfg = PretrainConfig {
        candidates: no_pop,
        pair_fraction: 0.2,
        ..small_cfg(TrainingMode::SessionPrefixes)
    };
    let err = pretrain(&views(&sessions), vocab, None, &[], &cfg, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("no training history"), "{err}");
}

fn trained() -> BaseModel {
    let (vocab, seqs) = chains(120, 60, 6);
    pretrain(
        &views(&seqs),
        vocab,
        None,
        &[],
        &small_cfg(TrainingMode::SessionPrefixes),
        &mut |_| {},
    )
    .unwrap()
    .0
}

#[test]
fn the_model_learns_the_chain_and_explains_itself() {
    let model = trained();
    let mut scratch = RankScratch::default();
    let history: Vec<HistoryItem> = [10, 11, 12].iter().map(|&i| HistoryItem::new(i)).collect();
    let ranked = model.rank(&history, 5, &mut scratch).unwrap();
    assert_eq!(ranked.len(), 5);
    assert_eq!(ranked[0].item, 13, "{ranked:?}");
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    let top = ranked[0].signals;
    assert_eq!(top.after, Some(12));
    assert!(top.because_of.is_some_and(|h| [10, 11, 12].contains(&h)));
    assert_eq!(
        model
            .rank(&history, 5, &mut RankScratch::default())
            .unwrap(),
        ranked,
        "deterministic"
    );
    // Cold start: an empty history still ranks (popularity prior).
    assert!(!model.rank(&[], 3, &mut scratch).unwrap().is_empty());
    // Errors, not panics.
    assert!(model.rank(&history, 0, &mut scratch).is_err());
    assert!(model
        .rank(&[HistoryItem::new(999)], 3, &mut scratch)
        .is_err());
    let bad = HistoryItem {
        weight: f32::NAN,
        ..HistoryItem::new(1)
    };
    assert!(model.rank(&[bad], 3, &mut scratch).is_err());
    let similar = model.similar(20, 4).unwrap();
    assert!(similar.iter().all(|s| s.item != 20));
    assert!(
        similar.iter().any(|s| s.item == 21 || s.item == 19),
        "{similar:?}"
    );
    assert!(model.similar(999, 4).is_err() && model.similar(1, 0).is_err());
}

#[test]
fn model_bytes_round_trip_and_corruption_is_rejected() {
    let model = trained();
    let bytes = model.to_bytes();
    let back = BaseModel::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    let history = [HistoryItem::new(3), HistoryItem::new(4)];
    let mut scratch = RankScratch::default();
    assert_eq!(
        back.rank(&history, 10, &mut scratch).unwrap(),
        model.rank(&history, 10, &mut scratch).unwrap()
    );
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(BaseModel::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
    }
    for pos in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let mut b = bytes.clone();
        b[pos] ^= 0x10;
        assert!(BaseModel::from_bytes(&b).is_err(), "flip at {pos}");
    }
}

#[test]
fn fine_tuning_learns_a_shoppers_own_habit() {
    // The population never revisits items; this shopper always returns to a hub item (0) after
    // each new item. The base re-ranker has learned that history items are bad bets; a few
    // fine-tuning steps on the shopper's own pairs must move the hub up for the held-out step.
    let (vocab, seqs) = chains(200, 80, 6);
    let cfg = PretrainConfig {
        candidates: CandidateConfig {
            exclude_history: false,
            ..CandidateConfig::default()
        },
        ..small_cfg(TrainingMode::SessionPrefixes)
    };
    let (mut model, _) = pretrain(&views(&seqs), vocab, None, &[], &cfg, &mut |_| {}).unwrap();
    let mut items = Vec::new();
    for k in 0..10u32 {
        items.push(0);
        items.push(30 + 3 * k);
    }
    // The shopper's history goes on to the hub once more: that last event is what fine-tuning
    // holds out to check itself (and what `rank_of_hub` measures after `items`).
    let history: Vec<HistoryItem> = items
        .iter()
        .chain(&[0])
        .map(|&i| HistoryItem::new(i))
        .collect();
    let mut scratch = RankScratch::default();
    let mut dense = vec![0f32; model.item_count()];
    let rank_of_hub = |m: &BaseModel, scratch: &mut RankScratch, dense: &mut Vec<f32>| {
        m.score_all(&items, scratch, dense).unwrap();
        dense.iter().filter(|&&s| s > dense[0]).count()
    };
    let before = rank_of_hub(&model, &mut scratch, &mut dense);
    let ticks = std::cell::Cell::new(0.0);
    let clock = || {
        ticks.set(ticks.get() + 1.0);
        ticks.get()
    };
    let budget = FineTuneBudget {
        max_steps: 300,
        max_ms: f64::INFINITY,
        ..FineTuneBudget::new(&clock)
    };
    let report = model.fine_tune(&history, &budget).unwrap();
    assert!(report.positives >= 9 && report.steps > 0, "{report:?}");
    assert!(report.kept && report.held_out == 1, "{report:?}");
    assert!(
        report.held_out_tuned_mrr > report.held_out_base_mrr,
        "{report:?}"
    );
    assert!(report.verdict().starts_with("fine-tuned weights kept"));
    let after = rank_of_hub(&model, &mut scratch, &mut dense);
    assert!(after < before, "hub rank before {before}, after {after}");
    assert!(after < 3, "hub rank after fine-tuning: {after}");

    // The same habit, but the shopper's latest event follows the population's chain (57 → 58)
    // instead: the fine-tuned weights rank it worse than the base ones, so the base ones stay.
    let mut broke_habit: Vec<HistoryItem> = items.iter().map(|&i| HistoryItem::new(i)).collect();
    broke_habit.push(HistoryItem::new(58));
    let report = model.fine_tune(&broke_habit, &budget).unwrap();
    assert!(report.steps > 0 && report.held_out == 1, "{report:?}");
    assert!(!report.kept, "{report:?}");
    assert!(
        report.held_out_tuned_mrr < report.held_out_base_mrr,
        "{report:?}"
    );
    assert!(report
        .verdict()
        .starts_with("base weights kept, fine-tuning ranked worse"));
    let mut reset = model.clone();
    reset.reset_ranker();
    assert_eq!(model.ranker(), reset.ranker());
    assert_eq!(rank_of_hub(&model, &mut scratch, &mut dense), before);
    // Without the check (holdout 0) the same run keeps its weights.
    let unchecked = FineTuneBudget {
        holdout: 0,
        ..budget
    };
    let report = model.fine_tune(&broke_habit, &unchecked).unwrap();
    assert!(report.kept && report.held_out == 0, "{report:?}");
    assert!(rank_of_hub(&model, &mut scratch, &mut dense) < before);
    // The budget is honoured: a clock that jumps 1000 ms per call stops at once.
    let fast = std::cell::Cell::new(0.0);
    let jumpy = || {
        fast.set(fast.get() + 1000.0);
        fast.get()
    };
    let r = model
        .fine_tune(
            &history,
            &FineTuneBudget {
                max_ms: 10.0,
                ..FineTuneBudget::new(&jumpy)
            },
        )
        .unwrap();
    assert!(r.budget_exhausted && r.steps <= 1, "{r:?}");
    model.reset_ranker();
    assert_eq!(rank_of_hub(&model, &mut scratch, &mut dense), before);
}
