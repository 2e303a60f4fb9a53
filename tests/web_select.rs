//! `sort::select_nth_by` in wasm32 (where it selects on a permutation of
//! positions through one shared instance) leaves every slice exactly as the
//! standard library's `select_nth_unstable_by` does, checked in headless
//! Firefox (`make test-browser`).
#![cfg(target_arch = "wasm32")]

use localrec::rng::Rng;
use localrec::sort::select_nth_by;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn select_nth_by_arranges_as_the_standard_library_in_wasm() {
    let mut rng = Rng::new(29);
    for len in [1, 15, 16, 17, 64, 65, 300, 4000] {
        for pattern in 0..4 {
            let pairs: Vec<(u32, f32)> = (0..len)
                .map(|i| {
                    let s = match pattern {
                        0 => rng.next_f32(),
                        1 => rng.below(5) as f32, // many ties
                        2 => i as f32,
                        _ => -(i as f32),
                    };
                    (i as u32, s)
                })
                .collect();
            for k in [0, len / 2, len - 1] {
                // As rec::sknn (ids descending on ties) and the recommender (ids ascending).
                let by = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0));
                let (mut ours, mut std) = (pairs.clone(), pairs.clone());
                select_nth_by(&mut ours, k, by);
                std.select_nth_unstable_by(k, by);
                assert_eq!(ours, std, "len {len} pattern {pattern} k {k}");
                let wide: Vec<(f32, u32, u64, u64)> =
                    pairs.iter().map(|&(i, s)| (s, i, 7, 9)).collect();
                let by_wide = |a: &(f32, u32, u64, u64), b: &(f32, u32, u64, u64)| {
                    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
                };
                let (mut ours, mut std) = (wide.clone(), wide.clone());
                select_nth_by(&mut ours, k, by_wide);
                std.select_nth_unstable_by(k, by_wide);
                assert_eq!(ours, std, "wide: len {len} pattern {pattern} k {k}");
            }
        }
    }
}
