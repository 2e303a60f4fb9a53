//! Regression tests for bugs the fuzz targets and property tests found in other modules.
//! Each test rebuilds the failing input through the public API (a valid artefact patched
//! at a located field, not a saved blob, so it survives unrelated format changes) and
//! names the fuzz run that found it.
#![cfg(not(target_arch = "wasm32"))]

use localrec::codec::{open, seal, Reader};
use localrec::nn::{Activation, MlpParams};
use localrec::rec::{
    BaseModel, CandidateConfig, ItemStats, ItemVocab, StatsConfig, FEATURE_COUNT, MODEL_KIND,
    MODEL_VERSION,
};

/// A valid two-item base model whose only co-occurrences are a→b and b→a.
fn two_item_model() -> BaseModel {
    let mut vocab = ItemVocab::new();
    for id in ["a", "b"] {
        vocab.intern(id).unwrap();
    }
    let sessions: Vec<Vec<u32>> = vec![vec![0, 1], vec![0, 1]];
    let views: Vec<&[u32]> = sessions.iter().map(|s| s.as_slice()).collect();
    let stats = ItemStats::build(&views, 2, &[], &StatsConfig::default()).unwrap();
    let ranker = MlpParams::new(FEATURE_COUNT)
        .layer(1, Activation::Sigmoid)
        .seed(1)
        .init()
        .unwrap();
    BaseModel::new(
        vocab,
        ItemVocab::new(),
        stats,
        CandidateConfig::default(),
        ranker,
    )
    .unwrap()
}

/// Byte offset (in the payload) of the first co-occurrence weight value.
fn cooc_weights_offset(payload: &[u8]) -> usize {
    let mut r = Reader::new(payload);
    for what in ["item ids", "attribute ids"] {
        let n = r.get_u64(what).unwrap();
        for _ in 0..n {
            r.get_str(what).unwrap();
        }
    }
    r.get_u64("item count").unwrap();
    r.get_f32s("popularity").unwrap();
    r.get_u32s("cooc offsets").unwrap();
    r.get_u32s("cooc items").unwrap();
    let n = r.get_u64("cooc weights").unwrap();
    assert!(n >= 2, "the fixture has co-occurrences");
    payload.len() - r.remaining()
}

/// fuzz_base_model_decoder (seed 2, input 52 829): a re-sealed base model whose
/// co-occurrence weights were overwritten with a large negative number decoded fine, and
/// `BaseModel::similar` then scored a neighbour `-inf` (the row maximum is clamped to
/// 1e-12, and `-1e30 / 1e-12` overflows f32). Co-occurrence weights are positive by
/// construction, so the decoder now refuses negative ones.
#[test]
fn negative_cooccurrence_weights_are_rejected_on_decode() {
    let model = two_item_model();
    assert!(model
        .similar(0, 1)
        .unwrap()
        .iter()
        .all(|s| s.score.is_finite()));
    let blob = model.to_bytes();
    let (_, payload) = open(&blob, MODEL_KIND, MODEL_VERSION).unwrap();
    let mut payload = payload.to_vec();
    let at = cooc_weights_offset(&payload);
    for k in 0..2 {
        payload[at + 4 * k..at + 4 * k + 4].copy_from_slice(&(-1e30f32).to_le_bytes());
    }
    let corrupt = seal(MODEL_KIND, MODEL_VERSION, &payload);
    match BaseModel::from_bytes(&corrupt) {
        Err(e) => assert!(e.to_string().contains("co-occurrence"), "{e}"),
        Ok(m) => {
            for item in 0..2 {
                for s in m.similar(item, 1).unwrap() {
                    assert!(
                        s.score.is_finite(),
                        "similar({item}) scored {} as {}",
                        s.item,
                        s.score
                    );
                }
            }
            panic!("a model with negative co-occurrence weights was accepted");
        }
    }
}
