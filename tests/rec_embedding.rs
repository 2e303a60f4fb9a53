//! The learned item embedding inside the base model: planted structure, the blob format
//! (round trip, version 1 refused), a model without an embedding, and `similar`.
#![cfg(not(target_arch = "wasm32"))] // native test: pretraining on synthetic data

use localrec::codec::{open, seal};
use localrec::rec::{
    pretrain, BaseModel, Candidates, EmbeddingConfig, HistoryItem, ItemVocab, PretrainConfig,
    RankScratch, ScoreScratch, TrainingMode, FEATURE_COUNT, MODEL_KIND, MODEL_VERSION,
};
use localrec::rng::Rng;

const CLUSTERS: u32 = 6;
const PER_CLUSTER: u32 = 30;

/// Sessions that each browse one cluster of 30 items in random order (ids "c{cluster}-{k}").
fn clustered_sessions(count: usize, seed: u64) -> (ItemVocab, Vec<Vec<u32>>) {
    let mut vocab = ItemVocab::new();
    for c in 0..CLUSTERS {
        for k in 0..PER_CLUSTER {
            vocab.intern(&format!("c{c}-{k}")).unwrap();
        }
    }
    let mut rng = Rng::new(seed);
    let seqs = (0..count)
        .map(|_| {
            let c = rng.below(CLUSTERS as usize) as u32;
            (0..5)
                .map(|_| c * PER_CLUSTER + rng.below(PER_CLUSTER as usize) as u32)
                .collect()
        })
        .collect();
    (vocab, seqs)
}

fn cfg(embedding: bool) -> PretrainConfig {
    PretrainConfig {
        epochs: 2,
        hidden: vec![8],
        mode: TrainingMode::SessionPrefixes,
        max_pairs: 2000,
        max_validation: 200,
        embedding: embedding.then(|| EmbeddingConfig {
            min_interactions: 1000,
            min_items: 100,
            ..EmbeddingConfig::default()
        }),
        ..PretrainConfig::default()
    }
}

fn train(embedding: bool) -> BaseModel {
    let (vocab, seqs) = clustered_sessions(2500, 5);
    let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    pretrain(&views, vocab, None, &[], &cfg(embedding), &mut |_| {})
        .unwrap()
        .0
}

#[test]
fn pretrained_embedding_separates_the_planted_clusters_and_round_trips() {
    let model = train(true);
    let emb = model
        .embedding()
        .expect("12,500 interactions reach the thresholds");
    assert_eq!(emb.n_items(), model.item_count());
    let (mut same, mut other, mut n_same, mut n_other) = (0f32, 0f32, 0, 0);
    for a in 0..model.item_count() as u32 {
        for b in (a + 1)..model.item_count() as u32 {
            if a / PER_CLUSTER == b / PER_CLUSTER {
                same += emb.cosine(a, b);
                n_same += 1;
            } else {
                other += emb.cosine(a, b);
                n_other += 1;
            }
        }
    }
    let (same, other) = (same / n_same as f32, other / n_other as f32);
    assert!(
        same > other + 0.3,
        "mean cosine same cluster {same}, other {other}"
    );

    let bytes = model.to_bytes();
    let back = BaseModel::from_bytes(&bytes).unwrap();
    assert_eq!(back.embedding(), model.embedding());
    assert_eq!(back.to_bytes(), bytes, "decode + encode is the identity");
    let history = [HistoryItem::new(3), HistoryItem::new(17)];
    let (mut s1, mut s2) = (RankScratch::default(), RankScratch::default());
    assert_eq!(
        model.rank(&history, 10, &mut s1).unwrap(),
        back.rank(&history, 10, &mut s2).unwrap()
    );
    // The embedding costs 16 bytes of codes and a 4-byte scale per item in the blob.
    let without = model.clone().with_embedding(None).unwrap().to_bytes();
    let extra = bytes.len() - without.len();
    let n = model.item_count();
    assert!(
        extra >= 20 * n && extra <= 20 * n + 64,
        "{extra} bytes for {n} items"
    );
}

#[test]
fn a_model_without_an_embedding_ranks_with_zero_embedding_features() {
    let model = train(false);
    assert!(model.embedding().is_none());
    let back = BaseModel::from_bytes(&model.to_bytes()).unwrap();
    assert!(back.embedding().is_none());
    let history = [HistoryItem::new(40), HistoryItem::new(41)];
    let top = back
        .rank(&history, 10, &mut RankScratch::default())
        .unwrap();
    assert_eq!(top.len(), 10);
    let in_cluster = top.iter().filter(|s| s.item / PER_CLUSTER == 1).count();
    assert!(
        in_cluster >= 8,
        "{in_cluster} of 10 from the history's cluster"
    );
    assert_eq!(FEATURE_COUNT, 24);
    let mut c = Candidates::default();
    let hist = [(40, 1.0), (41, 1.0)];
    let cc = back.candidate_config();
    c.build(back.stats(), None, &hist, cc, &mut ScoreScratch::default())
        .unwrap();
    assert!((0..c.len()).all(|i| c.row(i)[22] == 0.0 && c.row(i)[23] == 0.0));
    // With an embedding the same columns carry cosines.
    let with = train(true);
    c.build(
        with.stats(),
        with.embedding(),
        &hist,
        cc,
        &mut ScoreScratch::default(),
    )
    .unwrap();
    assert!((0..c.len()).any(|i| c.row(i)[22] > 0.5 && c.row(i)[23] > 0.5));
    // Same data, embedding thresholds unreachable: no embedding either.
    let (vocab, seqs) = clustered_sessions(100, 6);
    let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let small = PretrainConfig {
        embedding: Some(EmbeddingConfig::default()),
        ..cfg(false)
    };
    let (m, report) = pretrain(&views, vocab, None, &[], &small, &mut |_| {}).unwrap();
    assert!(m.embedding().is_none());
    assert_eq!(report.embedding_dim, 0);
}

#[test]
fn version_1_blobs_are_refused_with_a_clear_error() {
    let model = train(false);
    let bytes = model.to_bytes();
    let (_, payload) = open(&bytes, MODEL_KIND, MODEL_VERSION).unwrap();
    let old = seal(MODEL_KIND, 1, payload);
    let err = BaseModel::from_bytes(&old).unwrap_err().to_string();
    assert!(err.contains("pretrain it again"), "{err}");
    let newer = seal(MODEL_KIND, MODEL_VERSION + 1, payload);
    assert!(BaseModel::from_bytes(&newer).is_err());
}

#[test]
fn similar_uses_the_embedding_beyond_co_occurrence() {
    let model = train(true);
    let item = 2 * PER_CLUSTER + 4;
    let list = model.similar(item, 20).unwrap();
    assert_eq!(list.len(), 20);
    assert!(list.iter().all(|s| s.item != item));
    let same = list
        .iter()
        .filter(|s| s.item / PER_CLUSTER == item / PER_CLUSTER)
        .count();
    assert!(same >= 19, "{same} of 20 similar items share the cluster");
    // Without the embedding, only co-occurring items can be similar (no attributes here).
    let plain = model.clone().with_embedding(None).unwrap();
    let co = plain.similar(item, 100).unwrap();
    assert!(co.iter().all(|s| s.signals.cooccurrence > 0.0));
}

#[test]
fn items_reached_only_through_the_embedding_are_flagged_for_an_honest_reason() {
    let model = train(true);
    let (q, t) = (PER_CLUSTER + 2, PER_CLUSTER + 9);
    // The same sessions without t wherever q is: q and t never co-occur in the statistics,
    // but the embedding (trained on all sessions) still places them close.
    let (_, seqs) = clustered_sessions(2500, 5);
    let apart: Vec<Vec<u32>> = seqs
        .iter()
        .map(|s| {
            let has_q = s.contains(&q);
            s.iter().copied().filter(|&j| !(has_q && j == t)).collect()
        })
        .collect();
    let refs: Vec<&[u32]> = apart.iter().map(|s| s.as_slice()).collect();
    let model = model.with_stats_from(&refs).unwrap();
    let emb = model.embedding().unwrap();
    assert!(emb.cosine(q, t) > 0.3, "cosine {}", emb.cosine(q, t));

    let similar = model.similar(q, 40).unwrap();
    let via_embedding = similar.iter().find(|s| s.item == t).expect("t is similar");
    assert_eq!(via_embedding.signals.cooccurrence, 0.0);
    assert!(via_embedding.signals.embedding_dominates());
    assert_eq!(via_embedding.signals.similar_to, Some(q));
    let strongest = similar
        .iter()
        .max_by(|a, b| a.signals.cooccurrence.total_cmp(&b.signals.cooccurrence))
        .unwrap();
    assert!(strongest.signals.cooccurrence > 0.0);
    assert!(!strongest.signals.embedding_dominates());

    let history = [HistoryItem::new(q)];
    let ranked = model
        .rank(&history, 300, &mut RankScratch::default())
        .unwrap();
    let via_embedding = ranked
        .iter()
        .find(|s| s.item == t)
        .expect("t is a candidate");
    assert_eq!(via_embedding.signals.because_of, None);
    assert!(via_embedding.signals.embedding_dominates());
    assert_eq!(via_embedding.signals.similar_to, Some(q));
    let co = ranked
        .iter()
        .find(|s| s.signals.cooccurrence_share == 1.0)
        .expect("the strongest item-kNN candidate");
    assert_eq!(co.signals.because_of, Some(q));
    assert!(!co.signals.embedding_dominates());
    // Without an embedding nothing is flagged.
    let plain = model.clone().with_embedding(None).unwrap();
    let ranked = plain
        .rank(&history, 300, &mut RankScratch::default())
        .unwrap();
    assert!(ranked.iter().all(|s| !s.signals.embedding_dominates()));
}

/// Times `BaseModel::rank` (the storefront's call, 300 candidates) on 50,000 items with and
/// without the embedding (prints, asserts nothing about time):
/// `cargo test --release --test rec_embedding -- --ignored --nocapture rank_speed`.
#[test]
#[ignore]
fn rank_speed_on_50k_items_with_the_embedding() {
    use localrec::nn::{Activation, MlpParams};
    use localrec::rec::{CandidateConfig, ItemEmbedding, ItemStats, StatsConfig};
    const ITEMS: usize = 50_000;
    let mut rng = Rng::new(5);
    // 20,000 sessions inside categories of 125 items, as in tests/web_scale.rs.
    let seqs: Vec<Vec<u32>> = (0..20_000)
        .map(|_| {
            let c = rng.below(ITEMS / 125) as u32;
            (0..2 + rng.below(8))
                .map(|_| c * 125 + rng.below(125) as u32)
                .collect()
        })
        .collect();
    let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let vocab = ItemVocab::from_ids((0..ITEMS).map(|i| format!("sku-{i}")).collect()).unwrap();
    let stats = ItemStats::build(&views, ITEMS, &[], &StatsConfig::default()).unwrap();
    let ranker = MlpParams::new(FEATURE_COUNT)
        .layer(64, Activation::Relu)
        .layer(32, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(1)
        .init()
        .unwrap();
    let mut vectors = vec![0f32; ITEMS * 16];
    for (i, v) in vectors.chunks_exact_mut(16).enumerate() {
        for (d, x) in v.iter_mut().enumerate() {
            *x = ((i / 125 * 7 + d * 13) % 17) as f32 - 8.0 + rng.normal();
        }
    }
    let embedding = ItemEmbedding::from_vectors(16, &vectors).unwrap();
    let base = BaseModel::new(
        vocab,
        ItemVocab::new(),
        stats,
        CandidateConfig::default(),
        ranker,
    )
    .unwrap();
    let history: Vec<HistoryItem> = seqs[7].iter().map(|&i| HistoryItem::new(i)).collect();
    let variants = [
        ("no embedding", base.clone()),
        ("embedding, features only", {
            let mut m = base
                .clone()
                .with_embedding(Some(embedding.clone()))
                .unwrap();
            m.set_candidate_config(CandidateConfig {
                from_embedding: 0,
                ..CandidateConfig::default()
            });
            m
        }),
        (
            "embedding, features + 50 candidates",
            base.clone().with_embedding(Some(embedding)).unwrap(),
        ),
    ];
    for (name, model) in &variants {
        let mut scratch = RankScratch::default();
        let mut ms: Vec<f64> = (0..15)
            .map(|_| {
                let t = std::time::Instant::now();
                drop(model.rank(&history, 300, &mut scratch).unwrap());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "50k items, rank 300 ({name}): min {:.2} ms, median {:.2} ms",
            ms[0],
            ms[ms.len() / 2]
        );
    }
}
