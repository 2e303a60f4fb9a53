//! Browser tests of the core, run in headless Firefox by `wasm-pack test --headless --firefox`.
//! They check that the core behaves in wasm32 exactly as it does natively.
#![cfg(target_arch = "wasm32")]

use localrec::codec::{open, seal, Reader, Writer};
use localrec::rng::Rng;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn rng_stream_matches_native() {
    // Same pinned value as the native test rng::tests::known_first_values.
    assert_eq!(Rng::new(0).next_u64(), 0x99EC_5F36_CB75_F2B4);
    let mut r = Rng::new(99);
    let mut v: Vec<u32> = (0..10).collect();
    r.shuffle(&mut v);
    let mut native = Rng::new(99);
    let mut w: Vec<u32> = (0..10).collect();
    native.shuffle(&mut w);
    assert_eq!(v, w);
}

#[wasm_bindgen_test]
fn codec_round_trip_and_corruption_in_browser() {
    let mut w = Writer::new();
    w.put_f32s(&[0.5, -1.25, 3.0]);
    w.put_str("serum");
    let blob = seal(*b"TEST", 1, &w.into_bytes());
    let (_, payload) = open(&blob, *b"TEST", 1).unwrap();
    let mut r = Reader::new(payload);
    assert_eq!(r.get_f32s("w").unwrap(), vec![0.5, -1.25, 3.0]);
    assert_eq!(r.get_str("s").unwrap(), "serum");
    let mut bad = blob.clone();
    bad[20] ^= 0x10;
    assert!(open(&bad, *b"TEST", 1).is_err());
}

#[wasm_bindgen_test]
fn random_seed_uses_browser_entropy() {
    // crypto.getRandomValues: two seeds are different (probability of a clash ~2^-64).
    assert_ne!(localrec::rng::random_seed(), localrec::rng::random_seed());
}

#[wasm_bindgen_test]
fn facade_self_check_passes() {
    let report = localrec::wasm::self_check().unwrap_or_else(|_| panic!("self-check failed"));
    assert!(report.contains("ok"), "{report}");
}

#[wasm_bindgen_test]
fn preprocessing_gives_the_native_feature_vectors() {
    // The same catalog and events give the same feature vectors and profile
    // values in Firefox as natively (prep::selftest pins the native output).
    use localrec::prep::selftest::{feature_digest, EXPECTED};
    let got = feature_digest().unwrap_or_else(|e| panic!("feature_digest: {e}"));
    assert_eq!(got.len(), EXPECTED.len());
    for (i, (g, e)) in got.iter().zip(EXPECTED.iter()).enumerate() {
        assert!(
            (g - e).abs() <= 1e-6,
            "value {i}: browser {g} vs native {e}"
        );
    }
}
