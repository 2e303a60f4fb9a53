//! Fuzz targets for every decoder of stored bytes (the stable toolchain has no cargo-fuzz):
//! valid blobs of each format are mutated (bit flips, byte sets, truncation, insertion,
//! deletion, duplication, splicing, hostile integers and floats over length fields), both
//! as they are (the CRC must catch it) and **re-sealed** with a fresh checksum (the
//! decoder's own validation must catch it). Whatever decodes is then used (predict, rank,
//! similar, recommend, train) and must give finite answers or named errors. Each input
//! runs under a per-thread allocation meter: no allocation may exceed a plausible multiple
//! of the input's size.
//!
//! Short by default (a few thousand inputs per target, seconds); long runs:
//! `LOCALREC_FUZZ_CASES=1000000 cargo test --release --test fuzz_decoders -- --nocapture`
//! (`LOCALREC_FUZZ_SEED=n` replays a run). See docs/FUZZING.md.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use fuzz_support::{fuzz_cases, fuzz_seed, measure, mutate, CountingAlloc, Tally};
use localrec::codec::{open, seal};
use localrec::nn::{
    Activation, Control, Dataset, Mlp, MlpParams, Optimizer, TrainConfig, Validation,
};
use localrec::prep::{Catalog, CatalogItem, FeatureConfig, ItemFeaturizer, RawEvent};
use localrec::rec::{
    pretrain, BaseModel, EmbeddingConfig, HistoryItem, ItemVocab, PretrainConfig, RankScratch,
    MODEL_VERSION,
};
use localrec::recommender::{RecommendOptions, Recommender, RecommenderConfig, TrainOptions};
use localrec::rng::Rng;
use ndarray::Array2;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Allocation budget for decoding `n` bytes: a few copies of the input plus bookkeeping.
fn budget(n: usize) -> usize {
    16 * n + (1 << 20)
}

/// The next input: a mutated copy of one seed blob, re-sealed half of the time.
fn next_input(rng: &mut Rng, seeds: &[Vec<u8>], kind: [u8; 4], version: u16) -> Vec<u8> {
    let seed = &seeds[rng.below(seeds.len())];
    let donor = &seeds[rng.below(seeds.len())];
    let rounds = 1 + rng.below(4);
    let reseal = rng.below(2) == 0;
    let mut bytes = match (reseal, open(seed, kind, version)) {
        (true, Ok((_, payload))) => payload.to_vec(),
        _ => seed.clone(),
    };
    for _ in 0..rounds {
        mutate(&mut bytes, rng, donor);
    }
    if reseal {
        bytes = seal(kind, version, &bytes);
    }
    bytes
}

fn check_budget(name: &str, i: u64, seed: u64, input: &[u8], largest: usize) {
    assert!(
        largest <= budget(input.len()),
        "{name}: input {i} (seed {seed}) of {} bytes made a {largest}-byte allocation",
        input.len()
    );
}

fn mlp_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (s, (inputs, hidden, opt)) in [
        (3usize, vec![4usize], 0u8),
        (5, vec![6, 3], 2),
        (2, vec![], 1),
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = MlpParams::new(inputs);
        for h in &hidden {
            p = p.layer(*h, Activation::Relu);
        }
        let mut mlp = p
            .layer(1, Activation::Sigmoid)
            .seed(s as u64)
            .init()
            .expect("init");
        if opt > 0 {
            let mut rng = Rng::new(s as u64);
            let x = Array2::from_shape_simple_fn((16, inputs), || rng.normal());
            let y = Array2::from_shape_fn((16, 1), |(i, _)| f32::from(x[[i, 0]] > 0.0));
            let cfg = TrainConfig {
                optimizer: if opt == 1 {
                    Optimizer::sgd_momentum(0.01, 0.9)
                } else {
                    Optimizer::adam(0.01)
                },
                epochs: 1,
                seed: Some(1),
                validation: Validation::None,
                ..TrainConfig::default()
            };
            mlp.fit(&Dataset::new(x, y).expect("data"), &cfg, &mut |_| {
                Control::Continue
            })
            .expect("fit");
        }
        out.push(mlp.to_bytes());
    }
    out
}

#[test]
fn fuzz_mlp_decoder() {
    let seed = fuzz_seed(1);
    let seeds = mlp_seeds();
    let mut rng = Rng::new(seed);
    let mut tally = Tally::new("Mlp::from_bytes");
    for i in 0..fuzz_cases(20_000) {
        let input = next_input(&mut rng, &seeds, *b"MLP1", 1);
        let (res, stats) = measure(|| Mlp::from_bytes(&input));
        check_budget(tally.name, i, seed, &input, stats.largest);
        if let Ok(mlp) = &res {
            let x = Array2::from_shape_simple_fn((2, mlp.input_dim()), || rng.normal());
            if let Ok(y) = mlp.predict(x.view()) {
                assert!(
                    y.iter().all(|v| v.is_finite()),
                    "input {i}: non-finite prediction"
                );
            }
        }
        tally.count(&res, stats);
    }
    tally.print(seed);
}

fn base_model_seeds() -> Vec<Vec<u8>> {
    let mut vocab = ItemVocab::new();
    let seqs: Vec<Vec<u32>> = (0..40u32)
        .map(|u| {
            (0..5)
                .map(|t| {
                    vocab
                        .intern(&format!("i{}", (u % 3) * 7 + (u + t) % 7))
                        .expect("id")
                })
                .collect()
        })
        .collect();
    let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let mut attr_vocab = ItemVocab::new();
    let attrs: Vec<Vec<u32>> = (0..vocab.len())
        .map(|i| vec![attr_vocab.intern(&format!("brand{}", i % 4)).expect("attr")])
        .collect();
    let cfg = PretrainConfig {
        epochs: 1,
        hidden: vec![4],
        negatives: 3,
        ..PretrainConfig::default()
    };
    let (model, _) = pretrain(
        &views,
        vocab,
        Some((attr_vocab, attrs)),
        &[],
        &cfg,
        &mut |_| {},
    )
    .expect("pretrain");
    // The second seed has an item embedding (thresholds lowered for its 12 sessions).
    let small = PretrainConfig {
        epochs: 1,
        hidden: vec![],
        embedding: Some(EmbeddingConfig {
            min_interactions: 0,
            min_items: 0,
            epochs: 1,
            ..EmbeddingConfig::default()
        }),
        ..cfg
    };
    let mut v2 = ItemVocab::new();
    let seqs2: Vec<Vec<u32>> = (0..12u32)
        .map(|u| {
            (0..3)
                .map(|t| v2.intern(&format!("x{}", (u + t) % 4)).expect("id"))
                .collect()
        })
        .collect();
    let views2: Vec<&[u32]> = seqs2.iter().map(|s| s.as_slice()).collect();
    let (model2, _) = pretrain(&views2, v2, None, &[], &small, &mut |_| {}).expect("pretrain");
    vec![model.to_bytes(), model2.to_bytes()]
}

#[test]
fn fuzz_base_model_decoder() {
    let seed = fuzz_seed(2);
    let seeds = base_model_seeds();
    let mut rng = Rng::new(seed);
    let mut tally = Tally::new("rec::BaseModel::from_bytes");
    let mut scratch = RankScratch::default();
    for i in 0..fuzz_cases(20_000) {
        let input = next_input(&mut rng, &seeds, *b"LRBM", MODEL_VERSION);
        let (res, stats) = measure(|| BaseModel::from_bytes(&input));
        check_budget(tally.name, i, seed, &input, stats.largest);
        if let Ok(model) = &res {
            // A decoded model must rank, score and find neighbours without a panic or NaN.
            let n = model.item_count() as u32;
            let history: Vec<HistoryItem> = (0..rng.below(5))
                .map(|_| HistoryItem::new(rng.below(n as usize + 1) as u32))
                .collect();
            if let Ok(list) = model.rank(&history, 1 + rng.below(10), &mut scratch) {
                let bad: Vec<(u32, f32)> = list
                    .iter()
                    .filter(|s| !(s.item < n && s.score.is_finite()))
                    .map(|s| (s.item, s.score))
                    .collect();
                assert!(
                    bad.is_empty(),
                    "input {i}: ranking gave {bad:?} for {n} items"
                );
            }
            let mut out = vec![0f32; n as usize];
            let plain: Vec<u32> = history.iter().map(|h| h.item).collect();
            if model.score_all(&plain, &mut scratch, &mut out).is_ok() {
                assert!(
                    out.iter().all(|v| v.is_finite()),
                    "input {i}: non-finite score_all"
                );
            }
            if let Ok(list) = model.similar(rng.below(n as usize + 1) as u32, 1 + rng.below(10)) {
                let bad: Vec<(u32, f32)> = list
                    .iter()
                    .filter(|s| !(s.item < n && s.score.is_finite()))
                    .map(|s| (s.item, s.score))
                    .collect();
                assert!(
                    bad.is_empty(),
                    "input {i}: similar gave {bad:?} for {n} items"
                );
            }
        }
        tally.count(&res, stats);
    }
    tally.print(seed);
}

fn featurizer_seeds() -> Vec<Vec<u8>> {
    let items: Vec<CatalogItem> = (0..12)
        .map(|i| CatalogItem {
            id: format!("p{i}"),
            title: Some(format!("Gentle serum {i}")),
            category: Some(
                if i % 2 == 0 {
                    "Beauty > Serums"
                } else {
                    "Beauty > Creams"
                }
                .into(),
            ),
            brand: Some(format!("brand{}", i % 3)),
            price: Some(5.0 + i as f64 * 3.5),
            rating: (i % 4 != 0).then_some(3.0 + (i % 3) as f64 * 0.5),
            tags: vec![format!("t{}", i % 5)],
            in_stock: Some(i % 5 != 0),
            attributes: [("ml".to_string(), 30.0 + i as f64)].into_iter().collect(),
            ..CatalogItem::default()
        })
        .collect();
    let (catalog, _) = Catalog::from_items(items).expect("catalog");
    let f = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).expect("fit");
    vec![f.to_bytes()]
}

#[test]
fn fuzz_featurizer_decoder() {
    let seed = fuzz_seed(3);
    let seeds = featurizer_seeds();
    let mut rng = Rng::new(seed);
    let mut tally = Tally::new("prep::ItemFeaturizer::from_bytes");
    let probe = CatalogItem {
        id: "probe".into(),
        title: Some("new serum".into()),
        category: Some("Beauty > Oils".into()),
        price: Some(1e9),
        rating: Some(f64::NAN),
        ..CatalogItem::default()
    };
    for i in 0..fuzz_cases(20_000) {
        let input = next_input(&mut rng, &seeds, *b"PREP", 1);
        let (res, stats) = measure(|| ItemFeaturizer::from_bytes(&input));
        check_budget(tally.name, i, seed, &input, stats.largest);
        if let Ok(f) = &res {
            if let Ok(v) = f.transform_raw(probe.clone()) {
                assert_eq!(v.len(), f.dim(), "input {i}: wrong feature length");
                assert!(
                    v.iter().all(|x| x.is_finite()),
                    "input {i}: non-finite feature"
                );
            }
        }
        tally.count(&res, stats);
    }
    tally.print(seed);
}

fn shop() -> Vec<CatalogItem> {
    (0..10)
        .map(|i| CatalogItem {
            id: format!("sku-{i}"),
            category: Some(["Shoes > Running", "Kitchen", "Beauty > Serums"][i % 3].into()),
            price: Some(10.0 + i as f64),
            ..CatalogItem::default()
        })
        .collect()
}

fn trained_recommender() -> Recommender {
    let mut rec = Recommender::new(RecommenderConfig {
        seed: Some(5),
        ..RecommenderConfig::default()
    })
    .expect("config");
    rec.load_catalog(shop()).expect("catalog");
    let kinds = [
        "view",
        "click",
        "add_to_cart",
        "purchase",
        "remove_from_cart",
    ];
    let events: Vec<RawEvent> = (0..60)
        .map(|t| RawEvent {
            item_id: format!("sku-{}", (t * 7) % 10),
            kind: kinds[t % kinds.len()].into(),
            timestamp: 1.7e12 + t as f64 * 60_000.0,
            ..RawEvent::default()
        })
        .collect();
    rec.track(events, 1.7e12 + 1e8).expect("track");
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 1.0);
        t.get()
    };
    let mut p = rec.train_start(&TrainOptions::default()).expect("train");
    while !p.done {
        p = rec.train_chunk(20.0, &clock).expect("chunk");
    }
    rec
}

#[test]
fn fuzz_recommender_model_and_event_imports() {
    let seed = fuzz_seed(4);
    let base = trained_recommender();
    let models = vec![base.export_model().expect("model")];
    let logs = vec![base.export_events(false), base.export_events(true)];
    let mut fresh = Recommender::new(RecommenderConfig {
        seed: Some(5),
        ..RecommenderConfig::default()
    })
    .expect("config");
    fresh.load_catalog(shop()).expect("catalog");
    let opts = RecommendOptions {
        k: 5,
        ..RecommendOptions::default()
    };
    let mut rng = Rng::new(seed);
    let mut model_tally = Tally::new("Recommender::import_model");
    let mut event_tally = Tally::new("Recommender::import_events");
    for i in 0..fuzz_cases(20_000) {
        let mut victim = fresh.clone();
        if i % 2 == 0 {
            let input = next_input(&mut rng, &models, *b"LRMD", 2);
            let (res, stats) = measure(|| victim.import_model(&input));
            check_budget(model_tally.name, i, seed, &input, stats.largest);
            model_tally.count(&res, stats);
        } else {
            let input = next_input(&mut rng, &logs, *b"EVTS", 1);
            let (res, stats) = measure(|| victim.import_events(&input));
            check_budget(event_tally.name, i, seed, &input, stats.largest);
            if let Ok(report) = &res {
                assert_eq!(
                    victim.inspect().events,
                    report.added - report.dropped_oldest,
                    "input {i}"
                );
            }
            event_tally.count(&res, stats);
        }
        // Whatever was accepted, the instance keeps answering with finite scores.
        let list = victim
            .recommend(&opts)
            .unwrap_or_else(|e| panic!("input {i}: recommend failed after an import: {e}"));
        assert!(
            list.items.iter().all(|r| r.score.is_finite()),
            "input {i}: NaN score"
        );
        if i % 16 == 0 {
            let t = std::cell::Cell::new(0.0);
            let clock = || {
                t.set(t.get() + 1.0);
                t.get()
            };
            if let Ok(mut p) = victim.train_start(&TrainOptions {
                max_steps: Some(4),
                ..TrainOptions::default()
            }) {
                while !p.done {
                    match victim.train_chunk(10.0, &clock) {
                        Ok(next) => {
                            assert!(next.loss.is_finite(), "input {i}: NaN loss");
                            p = next;
                        }
                        Err(_) => break,
                    }
                }
            }
        }
    }
    model_tally.print(seed);
    event_tally.print(seed);
}

#[test]
fn fuzz_random_bytes_into_every_decoder() {
    let seed = fuzz_seed(5);
    let mut rng = Rng::new(seed);
    let mut tally = Tally::new("random bytes (all decoders)");
    let mut rec = Recommender::new(RecommenderConfig {
        seed: Some(1),
        ..RecommenderConfig::default()
    })
    .expect("config");
    rec.load_catalog(shop()).expect("catalog");
    let kinds: [[u8; 4]; 5] = [*b"MLP1", *b"LRBM", *b"PREP", *b"LRMD", *b"EVTS"];
    for i in 0..fuzz_cases(20_000) {
        let len = rng.below(200);
        let mut input: Vec<u8> = (0..len).map(|_| (rng.next_u64() & 0xFF) as u8).collect();
        let kind = kinds[rng.below(kinds.len())];
        if rng.below(2) == 0 {
            input = seal(kind, 1, &input);
        }
        let (res, stats) = measure(|| -> Result<(), localrec::Error> {
            match kind {
                k if k == *b"MLP1" => Mlp::from_bytes(&input).map(|_| ()),
                k if k == *b"LRBM" => BaseModel::from_bytes(&input).map(|_| ()),
                k if k == *b"PREP" => ItemFeaturizer::from_bytes(&input).map(|_| ()),
                k if k == *b"LRMD" => rec.clone().import_model(&input).map(|_| ()),
                _ => rec.clone().import_events(&input).map(|_| ()),
            }
        });
        check_budget(tally.name, i, seed, &input, stats.largest);
        tally.count(&res, stats);
    }
    tally.print(seed);
}
