//! The hand-written readers of JavaScript options (`localrec::wasm::read`) against
//! serde-wasm-bindgen with the serde derives they replace, in headless Firefox:
//! the same value or the same error message for every type on a few thousand
//! inputs (every field set to every kind of garbage, nested garbage, aliases).
//! And `fmtnum` against the standard library's float formatting, in the browser
//! (where its digits come from JavaScript), and `trig`'s cosines against the libm
//! that `f64::cos`/`f32::cos` link into WebAssembly (bit for bit).
#![cfg(target_arch = "wasm32")]

use localrec::fmtnum::{Fixed, Num, Num32};
use localrec::prep::{CatalogItem, RawEvent};
use localrec::recommender::{
    Diversity, Filters, FineTuneConfig, KindWeights, RecommendOptions, RecommenderConfig,
    SimilarOptions, TrainOptions,
};
use localrec::rng::Rng;
use localrec::trig::{cos, cos_f32};
use localrec::wasm::read::{self, Fail};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function garbage() {
  return [
    undefined, null, true, false, 0, -0, 1, -1, 1.5, -2.25, NaN, Infinity, -Infinity,
    9007199254740991, 9007199254740992, 5e9, 4294967295, 4294967296, 1e21, 1e-7, 0.1,
    "", "x", "12", "abc", "\n\"q\"", [], [1], [1, 2], ["a", "b"], [1.5], ["a", 1], [null],
    [[1]], {}, { a: 1 }, { a: "x" }, { a: 1, b: -2.5 }, { a: null }, new Uint8Array([1, 2]),
    new ArrayBuffer(4), 5n, -1n, 18446744073709551616n, Symbol("s"), function f() {},
    new Map([["a", 1]]), new Map([[1, 1]]), new Map([["a", "x"]]), new Set(["a", "b"]),
    new Set([1]), new Date(0), new String("str"), [["a", 1]], [["a", 1], ["b", 2]],
  ];
}
export function hasNullEntry(v) {
  return Array.isArray(v) && v.some((x) => x == null);
}
export function withField(key, value) {
  const o = {};
  o[key] = value;
  return o;
}
export function withFields(a, va, b, vb) {
  const o = {};
  o[a] = va;
  o[b] = vb;
  return o;
}
"#)]
extern "C" {
    fn garbage() -> js_sys::Array;
    #[wasm_bindgen(js_name = hasNullEntry)]
    fn has_null_entry(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = withField)]
    fn with_field(key: &str, value: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = withFields)]
    fn with_fields(a: &str, va: &JsValue, b: &str, vb: &JsValue) -> JsValue;
}

/// What a reader gave, comparable across the two implementations.
fn outcome<T: Debug>(r: Result<T, String>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {e}"),
    }
}

/// Compares `ours` with serde-wasm-bindgen on `v`; returns 1 if they agree.
fn same<T: DeserializeOwned + Debug>(
    what: &str,
    v: &JsValue,
    ours: fn(&JsValue) -> Result<T, Fail>,
) -> usize {
    let theirs = outcome(serde_wasm_bindgen::from_value::<T>(v.clone()).map_err(|e| e.to_string()));
    let mine = outcome(ours(v).map_err(|e| e.0));
    assert_eq!(mine, theirs, "{what}: input {v:?}");
    1
}

/// Every field of `fields` set to every garbage value (and the garbage as the whole value).
fn check_type<T: DeserializeOwned + Debug>(
    name: &str,
    fields: &[&str],
    ours: fn(&JsValue) -> Result<T, Fail>,
) -> usize {
    let values = garbage();
    let mut n = 0;
    for v in values.iter() {
        n += same(name, &v, ours);
        for f in fields {
            let input = with_field(f, &v);
            if *f == "attributes" && has_null_entry(&v) {
                // serde-wasm-bindgen threw a bare TypeError out of the wasm here; ours is an Err.
                assert!(ours(&input).is_err());
                continue;
            }
            n += same(&format!("{name}.{f}"), &input, ours);
        }
    }
    n
}

#[wasm_bindgen_test]
fn readers_match_serde_wasm_bindgen() {
    let mut n = 0;
    n += check_type::<RecommenderConfig>("config", read::CONFIG_FIELDS, read::recommender_config);
    n += check_type::<FineTuneConfig>("fineTune", read::FINE_TUNE_FIELDS, read::fine_tune_config);
    n += check_type::<KindWeights>("kindWeights", read::KIND_WEIGHTS_FIELDS, read::kind_weights);
    n += check_type::<Filters>("filters", read::FILTERS_FIELDS, read::filters);
    n += check_type::<Diversity>("diversity", read::DIVERSITY_FIELDS, read::diversity);
    n += check_type::<RecommendOptions>(
        "recommend",
        read::RECOMMEND_FIELDS,
        read::recommend_options,
    );
    n += check_type::<SimilarOptions>("similar", read::SIMILAR_FIELDS, read::similar_options);
    n += check_type::<TrainOptions>("train", read::TRAIN_FIELDS, read::train_options);
    n += check_type::<CatalogItem>("item", read::CATALOG_ITEM_FIELDS, read::catalog_item);
    n += check_type::<RawEvent>("event", read::RAW_EVENT_FIELDS, read::raw_event);
    // Aliases: one, the other, both (serde: a duplicate field), in both key orders.
    let values = garbage();
    for (a, b) in [("inStock", "in_stock"), ("in_stock", "inStock")] {
        for v in values.iter().take(12) {
            n += same(
                "item alias",
                &with_fields(a, &v, b, &JsValue::TRUE),
                read::catalog_item,
            );
        }
    }
    for (a, b) in [
        ("itemId", "item_id"),
        ("item_id", "itemId"),
        ("dwellMs", "dwell_ms"),
    ] {
        for v in values.iter().take(25) {
            let w = JsValue::from_str("sku");
            n += same("event alias", &with_fields(a, &v, b, &w), read::raw_event);
        }
    }
    // Nested objects whose fields are garbage, and an error in a later field after a good one.
    for v in values.iter() {
        let nested = with_field("minPrice", &v);
        n += same(
            "nested filters",
            &with_field("filters", &nested),
            read::recommend_options,
        );
        let nested = with_field("maxSteps", &v);
        n += same(
            "nested fineTune",
            &with_field("fineTune", &nested),
            read::recommender_config,
        );
        let first = JsValue::from_f64(3.0);
        n += same(
            "two fields",
            &with_fields("k", &first, "filters", &v),
            read::similar_options,
        );
    }
    web_sys::console::log_1(&format!("readers: {n} inputs, all identical to serde").into());
    assert!(n > 2000, "{n}");
}

#[wasm_bindgen_test]
fn fmtnum_matches_std_in_the_browser() {
    let mut values = vec![
        0.0,
        -0.0,
        0.1,
        0.25,
        1.5,
        1e21,
        1e-7,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        2.0 / 3.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        123456789012345680000.0,
        9007199254740993.0,
    ];
    let mut rng = Rng::new(11);
    for _ in 0..4000 {
        let x = f64::from_bits(rng.next_u64());
        if x.is_finite() {
            values.push(x);
        }
        let y = (rng.next_f64() - 0.5) * 10f64.powi(rng.below(14) as i32 - 5);
        values.push(y);
        values.push((y * 100.0).round() / 100.0);
    }
    for x in values {
        assert_eq!(Num(x).to_string(), format!("{x}"), "{x:e}");
        let s = x as f32;
        assert_eq!(Num32(s).to_string(), format!("{s}"), "{s:e}");
        assert_eq!(Fixed(x, 3).to_string(), format!("{x:.3}"), "{x:e}");
    }
}

#[wasm_bindgen_test]
fn trig_is_libm_bit_for_bit() {
    let mut rng = Rng::new(5);
    for i in 0..200_000u32 {
        let x = match i % 4 {
            0 => std::f64::consts::TAU * rng.next_f64(),
            1 => (rng.next_f64() - 0.5) * 20.0,
            2 => (rng.next_f64() - 0.5) * 2e6,
            _ => i as f64 * std::f64::consts::FRAC_PI_2,
        };
        assert_eq!(cos(x).to_bits(), x.cos().to_bits(), "cos({x:e})");
        let xf = x as f32;
        assert_eq!(cos_f32(xf).to_bits(), xf.cos().to_bits(), "cos_f32({xf:e})");
        let t = std::f32::consts::PI * rng.next_f32();
        assert_eq!(cos_f32(t).to_bits(), t.cos().to_bits(), "cos_f32({t:e})");
    }
}
