//! Sampled-softmax training compiled to wasm32 gives the native result,
//! checked in headless Firefox (`make test-browser`).
#![cfg(target_arch = "wasm32")]

use localrec::nn::sampled::{seeded_run, SEEDED_RUN_EXPECTED};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn seeded_sampled_training_matches_the_native_constants() {
    let got = seeded_run().unwrap();
    assert_eq!(got.len(), SEEDED_RUN_EXPECTED.len());
    for (g, e) in got.iter().zip(SEEDED_RUN_EXPECTED.iter()) {
        assert!(
            (g - e).abs() < 1e-5,
            "wasm32 {got:?} vs native {SEEDED_RUN_EXPECTED:?}"
        );
    }
}
