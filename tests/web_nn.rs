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
    // Every wasm32 path of the kernels (simd128 block, B packed or read in
    // place, A plain or transposed, one-column and k = 1 products, each
    // epilogue) against a naive product.
    use localrec::nn::kernels::{gemm, pack_b, Epilogue, Rhs, Scratch};
    let mut scratch = Scratch::new();
    for &(m, n, k) in &[
        (13, 17, 9),
        (64, 64, 64),
        (64, 32, 1),
        (64, 1, 32),
        (32, 1, 64),
        (5, 8, 3),
    ] {
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7) % 11) as f32 * 0.25 - 1.2)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 5) % 9) as f32 * 0.5 - 2.0)
            .collect();
        let at: Vec<f32> = (0..k * m).map(|idx| a[(idx % m) * k + idx / m]).collect();
        let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.1 - 0.3).collect();
        let mask: Vec<f32> = (0..m * n).map(|i| ((i * 3) % 4) as f32 - 1.5).collect();
        let naive =
            |i: usize, j: usize| -> f32 { (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum() };
        let mut packed = Vec::new();
        pack_b(&b, k, n, &mut packed);
        for epilogue in [
            Epilogue::None,
            Epilogue::Bias(&bias),
            Epilogue::BiasRelu(&bias),
            Epilogue::ReluMask(&mask),
        ] {
            let mut first: Option<Vec<f32>> = None;
            for (rhs, transposed) in [
                (Rhs::Packed(&packed), false),
                (Rhs::RowMajor(&b), false),
                (Rhs::Packed(&packed), true),
                (Rhs::RowMajor(&b), true),
            ] {
                let mut c = vec![f32::NAN; m * n];
                let a_in = if transposed { &at } else { &a };
                gemm(
                    m,
                    n,
                    k,
                    a_in,
                    transposed,
                    rhs,
                    &mut c,
                    epilogue,
                    &mut scratch,
                );
                for i in 0..m {
                    for j in 0..n {
                        let v = naive(i, j);
                        let want = match epilogue {
                            Epilogue::None => v,
                            Epilogue::Bias(_) => v + bias[j],
                            Epilogue::BiasRelu(_) => (v + bias[j]).max(0.0),
                            Epilogue::ReluMask(_) => {
                                if mask[i * n + j] > 0.0 {
                                    v
                                } else {
                                    0.0
                                }
                            }
                        };
                        let got = c[i * n + j];
                        assert!(
                            (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "{m}x{n}x{k} transposed={transposed} {epilogue:?}: C[{i}][{j}] = {got}, want {want}"
                        );
                    }
                }
                // Packed and in-place B give the same bits for one layout of A.
                if !transposed {
                    match &first {
                        None => first = Some(c),
                        Some(f) => {
                            assert_eq!(f, &c, "{m}x{n}x{k} {epilogue:?}: packed vs row-major B")
                        }
                    }
                } else {
                    first = None;
                }
            }
        }
    }
}
