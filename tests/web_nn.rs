//! The MLP engine compiled to wasm32 trains exactly like the native build,
//! checked in headless Firefox (`make test-browser`).
#![cfg(target_arch = "wasm32")]

use localrec::nn::selftest::{seeded_run, EXPECTED};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn seeded_training_matches_the_native_constants() {
    let got = seeded_run().unwrap();
    assert_eq!(got.len(), EXPECTED.len());
    for (g, e) in got.iter().zip(EXPECTED.iter()) {
        assert!(
            (g - e).abs() < 1e-5,
            "wasm32 {got:?} vs native {EXPECTED:?}"
        );
    }
}

#[wasm_bindgen_test]
fn kernels_match_the_naive_product_in_wasm() {
    use localrec::nn::kernels::{gemm, pack_b, Epilogue};
    let (m, n, k) = (13, 17, 9);
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5).collect();
    let mut packed = Vec::new();
    pack_b(&b, k, n, &mut packed);
    let mut c = vec![0.0f32; m * n];
    gemm(
        m,
        n,
        k,
        &a,
        false,
        &packed,
        &mut c,
        Epilogue::None,
        &mut Vec::new(),
    );
    for i in 0..m {
        for j in 0..n {
            let want: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            assert_eq!(c[i * n + j], want);
        }
    }
}
