//! Shared by the 50,000-item scale tests (issue 5): `tests/web_scale.rs` (headless
//! Firefox, asserts the heap budget) and `tests/recommender_memory.rs` (the same path
//! natively): the synthetic shop, its base model, the shopper's events, and a global
//! allocator that counts the heap bytes live and their peak.
#![allow(dead_code)]

use localrec::nn::{Activation, MlpParams};
use localrec::prep::{CatalogItem, RawEvent};
use localrec::rec::{
    BaseModel, CandidateConfig, ItemEmbedding, ItemStats, ItemVocab, StatsConfig, FEATURE_COUNT,
};
use localrec::rng::Rng;

// The crate's counters: in the browser its own allocator counts (a program has one global
// allocator); natively this test installs the counting wrapper around the system's.
pub use localrec::heap::{live, peak, reset_peak};

#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: localrec::heap::Counting<std::alloc::System> =
    localrec::heap::Counting(std::alloc::System);

pub fn mib(bytes: f64) -> f64 {
    bytes / 1_048_576.0
}

pub const ITEMS: u32 = 50_000;
pub const T0: f64 = 1.7e12;

/// Item `i`: 12 departments, 400 categories of 125 items, 300 brands.
pub fn category_of(i: u32) -> u32 {
    i / 125
}

/// Synthetic sessions: each shopper browses one or two categories, popular
/// items (low numbers in a category) more often.
pub fn sessions(count: usize, rng: &mut Rng) -> Vec<Vec<u32>> {
    (0..count)
        .map(|_| {
            let cats = [rng.below(400) as u32, rng.below(400) as u32];
            let len = 3 + rng.below(8);
            (0..len)
                .map(|_| {
                    let c = cats[rng.below(2)];
                    let n = (rng.next_f64().powi(2) * 125.0) as u32;
                    c * 125 + n.min(124)
                })
                .collect()
        })
        .collect()
}

/// The shop's catalog: `sku-0` … `sku-49999`, every tenth item out of stock.
pub fn catalog() -> Vec<CatalogItem> {
    (0..ITEMS)
        .map(|i| {
            let c = category_of(i);
            CatalogItem {
                id: format!("sku-{i}"),
                title: Some(format!("Product {i} of line {c}")),
                category: Some(format!("Dept{} > Cat{c}", c % 12)),
                brand: Some(format!("Brand{}", i % 300)),
                price: Some(5.0 + (i % 200) as f64),
                rating: Some(3.0 + (i % 5) as f64 * 0.4),
                in_stock: Some(i % 10 != 0),
                ..Default::default()
            }
        })
        .collect()
}

/// 200 events of a shopper browsing two categories (every fifth one a cart).
pub fn shopper_events() -> Vec<RawEvent> {
    let mut rng = Rng::new(9);
    let mut out = Vec::new();
    for (k, s) in sessions(40, &mut rng).into_iter().enumerate() {
        for (j, item) in s.into_iter().enumerate() {
            if out.len() < 200 {
                out.push(RawEvent {
                    item_id: format!("sku-{item}"),
                    kind: if j % 5 == 4 { "add_to_cart" } else { "view" }.into(),
                    timestamp: T0 + (k * 20 + j) as f64 * 60_000.0,
                    ..Default::default()
                });
            }
        }
    }
    out
}

/// The shop's statistics (popularity, co-occurrence, Markov, session
/// memory) counted on 20,000 synthetic sessions, and a re-ranker of the
/// shipped shape (24 → 16 → 1) left at its initial weights, and an item
/// embedding of the shipped size (16 dimensions, i8 + a scale per item) whose
/// vectors follow the categories: pretraining them (`rec::pretrain`, done
/// offline by the shop) would only add its own working memory.
pub fn base_model_blob() -> Vec<u8> {
    let mut rng = Rng::new(5);
    let seqs = sessions(20_000, &mut rng);
    let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    let vocab =
        ItemVocab::from_ids((0..ITEMS).map(|i| format!("sku-{i}")).collect()).expect("vocabulary");
    let stats =
        ItemStats::build(&refs, ITEMS as usize, &[], &StatsConfig::default()).expect("statistics");
    let ranker = MlpParams::new(FEATURE_COUNT)
        .layer(16, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(1)
        .init()
        .expect("ranker");
    let dim = 16;
    let mut vectors = vec![0f32; ITEMS as usize * dim];
    for (i, v) in vectors.chunks_exact_mut(dim).enumerate() {
        let c = category_of(i as u32) as usize;
        for (d, x) in v.iter_mut().enumerate() {
            *x = ((c * 7 + d * 13) % 17) as f32 - 8.0 + rng.normal();
        }
    }
    let embedding = ItemEmbedding::from_vectors(dim, &vectors).expect("embedding");
    BaseModel::new(
        vocab,
        ItemVocab::new(),
        stats,
        CandidateConfig::default(),
        ranker,
    )
    .expect("base model")
    .with_embedding(Some(embedding))
    .expect("embedding rows")
    .to_bytes()
}
