//! Checks on the real data sets in `../shared/data` (research-only, never copied into the repo).
//! Each test prints a message and passes when the data is absent. The full evaluations are
//! run by the CLI (`localrec eval …`); these use the exact file statistics and a subset.

use std::path::PathBuf;

use localrec::eval::data::{
    parse_attributes, parse_prefix_labels, parse_sequences, parse_sessions,
};
use localrec::eval::metrics::RankOutcome;
use localrec::eval::protocol::{rank_cases, Case, EvalScratch, Scorer};
use localrec::eval::split::LeaveOneOut;
use localrec::rec::{
    pretrain, Baseline, CandidateConfig, ItemStats, ItemVocab, PretrainConfig, StatsConfig,
    ValidationCase,
};

fn data(rel: &str) -> Option<String> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "shared", "data", rel]
        .iter()
        .collect();
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} is absent (the real data sets live outside the repo)",
                path.display()
            );
            None
        }
    }
}

fn hr10(outcomes: &[RankOutcome]) -> f64 {
    outcomes.iter().map(|o| o.hit_rate(10)).sum::<f64>() / outcomes.len() as f64
}

#[test]
fn beauty_files_parse_to_the_published_statistics_and_the_model_beats_the_baselines_on_a_subset() {
    let (Some(text), Some(attrs)) = (
        data("amazon-beauty/Beauty.txt"),
        data("amazon-beauty/Beauty_item2attributes.json"),
    ) else {
        return;
    };
    let mut vocab = ItemVocab::new();
    let users = parse_sequences(&text, &mut vocab).unwrap();
    assert_eq!(users.len(), 22_363);
    assert_eq!(vocab.len(), 12_101);
    assert_eq!(users.iter().map(|u| u.items.len()).sum::<usize>(), 198_502);
    let mut attr_vocab = ItemVocab::new();
    let (item_attrs, unknown) = parse_attributes(&attrs, &vocab, &mut attr_vocab).unwrap();
    assert_eq!(unknown, 0);
    assert_eq!(attr_vocab.len(), 637);
    assert!(item_attrs.iter().all(|a| !a.is_empty()));

    // Leave-one-out on the first 4000 users (all items stay in the vocabulary).
    let seqs: Vec<Vec<u32>> = users.into_iter().take(4000).map(|u| u.items).collect();
    let loo = LeaveOneOut::new(&seqs);
    let train = loo.train_sequences();
    let validation: Vec<ValidationCase> = loo
        .cases
        .iter()
        .map(|c| ValidationCase {
            input: loo.valid_input(c),
            target: c.valid_target,
        })
        .collect();
    let cfg = PretrainConfig {
        candidates: CandidateConfig {
            exclude_history: true,
            ..CandidateConfig::default()
        },
        epochs: 3,
        max_validation: 1000,
        ..PretrainConfig::default()
    };
    let (model, _) = pretrain(
        &train,
        vocab,
        Some((attr_vocab, item_attrs)),
        &validation,
        &cfg,
        &mut |_| {},
    )
    .unwrap();
    let model = model.with_stats_from(&loo.train_valid_sequences()).unwrap();
    let cases: Vec<Case> = loo
        .cases
        .iter()
        .map(|c| Case {
            input: loo.test_input(c),
            target: c.test_target,
            negatives: None,
        })
        .collect();
    let stats = ItemStats::build(
        &loo.train_valid_sequences(),
        model.item_count(),
        &[],
        &StatsConfig::default(),
    )
    .unwrap();
    let mut scratch = EvalScratch::default();
    let pop = hr10(
        &rank_cases(
            &Scorer::Baseline(&stats, Baseline::Popularity),
            &cases,
            true,
            &mut scratch,
        )
        .unwrap(),
    );
    let markov = hr10(
        &rank_cases(
            &Scorer::Baseline(&stats, Baseline::Markov),
            &cases,
            true,
            &mut scratch,
        )
        .unwrap(),
    );
    let ours = hr10(&rank_cases(&Scorer::Model(&model), &cases, true, &mut scratch).unwrap());
    eprintln!("Beauty, first 4000 users, full ranking HR@10: popularity {pop:.4}, markov {markov:.4}, localrec {ours:.4}");
    assert!(
        markov > pop && ours > markov,
        "popularity {pop}, markov {markov}, localrec {ours}"
    );
}

#[test]
fn diginetica_files_parse_to_the_published_statistics() {
    let (Some(train), Some(test)) = (
        data("diginetica/train_sessions.txt"),
        data("diginetica/test_prefix_label.tsv"),
    ) else {
        return;
    };
    let mut vocab = ItemVocab::new();
    let sessions = parse_sessions(&train, &mut vocab).unwrap();
    assert_eq!(sessions.len(), 186_670);
    assert_eq!(sessions.iter().map(Vec::len).sum::<usize>(), 906_140);
    assert_eq!(vocab.len(), 43_097);
    let rows = parse_prefix_labels(&test, &mut vocab).unwrap();
    assert_eq!(rows.len(), 60_858);
    assert_eq!(vocab.len(), 43_097, "every test item occurs in training");
    // Repeat clicks are kept: some sessions click the same item twice in a row.
    assert!(sessions.iter().any(|s| s.windows(2).any(|w| w[0] == w[1])));
}
