//! The results' writer (`localrec::wasm::write`) against serde-wasm-bindgen 0.6
//! (`serialize_maps_as_objects(true)`, what the package used before), in headless
//! Firefox: for every result type — config, catalog/base/model/import reports,
//! track reports, training progress, recommendations, similar items, inspection —
//! real values from a recommender run and hand-made edge cases (absent and `None`
//! fields, NaN and infinite numbers, empty lists, unsafe integers) give the same
//! JavaScript value: the same keys in the same order, the same types (number,
//! BigInt, undefined, null, arrays, `Uint8Array`), the same numbers (`Object.is`),
//! or the same error message.
#![cfg(target_arch = "wasm32")]

use localrec::prep::{CatalogItem, RawEvent};
use localrec::recommender::{
    CatalogReport, ImportReport, Inspection, ModelReport, ReasonKind, RecommendOptions,
    Recommendation, Recommendations, Recommender, RecommenderConfig, Rejection, SimilarOptions,
    TrackReport, TrainOptions, TrainProgress,
};
use localrec::wasm::write::to_value;
use serde::Serialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
function kind(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "uint8array";
  return typeof v;
}
// The first difference between two values, as a path and a description, or "".
export function difference(a, b, path) {
  const ka = kind(a), kb = kind(b);
  if (ka !== kb) return `${path}: ${ka} vs ${kb}`;
  if (ka === "array" || ka === "uint8array") {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      if (ka === "array" && (i in a) !== (i in b)) return `${path}[${i}]: hole`;
      const d = difference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return "";
  }
  if (ka === "object") {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototype`;
    const keysA = Reflect.ownKeys(a), keysB = Reflect.ownKeys(b);
    if (keysA.join("\u0000") !== keysB.join("\u0000"))
      return `${path}: keys [${keysA.join(",")}] vs [${keysB.join(",")}]`;
    for (const k of keysA) {
      const d = difference(a[k], b[k], `${path}.${String(k)}`);
      if (d) return d;
    }
    return "";
  }
  return Object.is(a, b) ? "" : `${path}: ${String(a)} vs ${String(b)}`;
}
export function keyCount(v) {
  return v !== null && typeof v === "object" ? Reflect.ownKeys(v).length : -1;
}
"#)]
extern "C" {
    fn difference(a: &JsValue, b: &JsValue, path: &str) -> String;
    #[wasm_bindgen(js_name = keyCount)]
    fn key_count(v: &JsValue) -> i32;
}

fn serde_wasm_bindgen<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, String> {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser).map_err(|e| e.to_string())
}

/// Both writers give the same value, or the same error; returns the value.
fn same<T: Serialize + ?Sized>(what: &str, v: &T) -> Option<JsValue> {
    let ours = to_value(v).map_err(|e| e.to_string());
    let theirs = serde_wasm_bindgen(v);
    match (ours, theirs) {
        (Ok(a), Ok(b)) => {
            let d = difference(&a, &b, what);
            assert!(d.is_empty(), "{d}");
            Some(a)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "{what}: errors");
            None
        }
        (a, b) => panic!("{what}: ours {a:?}, serde-wasm-bindgen {b:?}"),
    }
}

fn shop() -> Vec<CatalogItem> {
    let mut items = Vec::new();
    for c in 0..4 {
        for n in 0..10 {
            items.push(CatalogItem {
                id: format!("{c}-{n}"),
                title: Some(format!("Item {c} {n} — Crème")),
                category: Some(format!("Dept {c} > Sub {}", n % 2)),
                brand: Some(format!("Brand {}", n % 3)),
                price: Some(10.0 + n as f64),
                rating: (n % 2 == 0).then_some(4.5),
                in_stock: Some(n != 9),
                tags: vec![format!("t{}", n % 4)],
                ..Default::default()
            });
        }
    }
    // Rejected rows for the report: a duplicate and a missing id.
    items.push(CatalogItem {
        id: "0-0".into(),
        ..Default::default()
    });
    items.push(CatalogItem::default());
    items
}

fn event(item: &str, kind: &str, minute: f64) -> RawEvent {
    RawEvent {
        item_id: item.into(),
        kind: kind.into(),
        timestamp: 1.7e12 + minute * 60_000.0,
        ..Default::default()
    }
}

#[wasm_bindgen_test]
fn results_of_a_recommender_run_are_written_as_serde_wasm_bindgen_did() {
    let mut r = Recommender::new(RecommenderConfig {
        seed: Some(3),
        ..Default::default()
    })
    .unwrap();
    same("config", r.config());
    same("defaultConfig", &RecommenderConfig::default());
    let catalog = r.load_catalog(shop()).unwrap();
    assert!(!catalog.rejected.is_empty());
    same("loadCatalog", &catalog);
    same("inspect (empty)", &r.inspect());

    let mut events = Vec::new();
    for (i, id) in ["0-1", "0-2", "1-3", "0-4", "2-5", "0-1", "0-6"]
        .iter()
        .enumerate()
    {
        let kind = ["view", "click", "add_to_cart", "purchase"][i % 4];
        events.push(event(id, kind, i as f64));
    }
    events.push(event("unknown", "view", 9.0));
    events.push(event("0-1", "bogus \"kind\"\n", 9.0));
    let track = r.track(events, 1.7e12 + 3_600_000.0).unwrap();
    assert!(track.accepted > 0 && !track.rejected.is_empty());
    same("track", &track);

    let start = r.train_start(&TrainOptions::default()).unwrap();
    same("trainStart", &start);
    let t = std::cell::Cell::new(0.0);
    let clock = move || {
        t.set(t.get() + 1.0);
        t.get()
    };
    let mut last = start;
    for _ in 0..50 {
        last = r.train_chunk(1e9, &clock).unwrap();
        same("trainChunk", &last);
        if last.done {
            break;
        }
    }
    assert!(last.done && last.stop_reason.is_some());

    let recs = r
        .recommend(&RecommendOptions {
            k: 8,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recs.items.len(), 8);
    same("recommend", &recs);
    let similar = r.similar("0-1", &SimilarOptions::default()).unwrap();
    same("similar", &similar);
    let inspection = r.inspect();
    assert!(!inspection.by_kind.is_empty());
    same("inspect", &inspection);
    let model = r.export_model().unwrap();
    let mut other = Recommender::new(RecommenderConfig {
        seed: Some(3),
        ..Default::default()
    })
    .unwrap();
    other.load_catalog(shop()).unwrap();
    same("importModel", &other.import_model(&model).unwrap());
    let blob = r.export_events(false);
    same("importEvents", &other.import_events(&blob).unwrap());
}

#[wasm_bindgen_test]
fn edge_values_are_written_as_serde_wasm_bindgen_did() {
    // None fields kept as undefined, skipped ones absent, NaN/∞, empty lists.
    let progress = TrainProgress {
        loss: f64::NAN,
        elapsed_ms: f64::INFINITY,
        epoch_losses: vec![f64::NEG_INFINITY, -0.0, 1e-300, 0.1],
        stop_reason: None,
        ..Default::default()
    };
    let written = same("progress", &progress).unwrap();
    let skipped = key_count(&written);
    let with_reason = TrainProgress {
        stop_reason: Some("maxMs".into()),
        ..progress
    };
    let written = same("progress with reason", &with_reason).unwrap();
    assert_eq!(key_count(&written), skipped + 1, "skip_serializing_if");

    let recs = Recommendations {
        items: vec![
            Recommendation {
                item_id: "a\u{0}\"é🙂".into(),
                score: -0.0,
                reason: String::new(),
                reason_kind: ReasonKind::LearnedSimilarity,
                reason_item_id: None,
            },
            Recommendation {
                item_id: "b".into(),
                score: f64::MAX,
                reason: "r".into(),
                reason_kind: ReasonKind::BoughtTogether,
                reason_item_id: Some("a".into()),
            },
        ],
        note: Some("note".into()),
        candidates: usize::MAX,
        model: "prior".into(),
    };
    same("recommendations", &recs);
    same("empty recommendations", &Recommendations::default());

    let mut by_kind = localrec::prep::Counts::default();
    by_kind.add("view", 3);
    by_kind.add("", 0);
    let inspection = Inspection {
        by_kind,
        first_event_ms: Some(1.5),
        last_event_ms: None,
        trained_steps: (1 << 53) - 1,
        base_fine_tune: Some("kept".into()),
        ..Default::default()
    };
    same("inspection", &inspection);
    // u64 beyond 2^53: both fail with the same message.
    let too_big = Inspection {
        trained_steps: 1 << 53 | 1,
        ..Default::default()
    };
    assert!(same("inspection (unsafe integer)", &too_big).is_none());
    same(
        "model report",
        &ModelReport {
            params: 12,
            trained_steps: 7,
            hidden: vec![32, 16],
            base_ranker: "none".into(),
        },
    );
    same("import report", &ImportReport::default());
    same(
        "track report",
        &TrackReport {
            accepted: 0,
            rejected: vec![Rejection {
                index: 3,
                reason: "x".into(),
            }],
        },
    );
    same("catalog report", &CatalogReport::default());

    // Primitive shapes the derives can produce.
    same("unit", &());
    same("none", &Option::<u32>::None);
    same("tuple", &(1u8, -2i64, 'x', "s", true));
    same("i64 min", &i64::MIN);
    same("i64 safe", &-((1i64 << 53) - 1));
    same("u128", &u128::MAX);
    same("i128", &i128::MIN);
    same("f32", &0.1f32);
    same("bytes", &serde_bytes_like(&[1, 2, 255]));
    same("map with non-string key", &BTreeMap::from([(1u32, 2u32)]));
}

/// A value that serializes as bytes (serde's `serialize_bytes`).
fn serde_bytes_like(b: &[u8]) -> impl Serialize + '_ {
    struct Bytes<'a>(&'a [u8]);
    impl Serialize for Bytes<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    Bytes(b)
}

#[wasm_bindgen(inline_js = r#"
export function samples() {
  return [
    [{ a: 1, b: 2 }, { b: 2, a: 1 }],
    [{ a: undefined }, {}],
    [{ a: undefined }, { a: null }],
    [0, -0],
    [1, 1n],
    [[1, 2], [1, 2, 3]],
    [[1, , 3], [1, undefined, 3]],
    [new Uint8Array([1]), [1]],
    [{ a: [{ b: "x" }] }, { a: [{ b: "y" }] }],
  ];
}
"#)]
extern "C" {
    fn samples() -> js_sys::Array;
}

/// The comparison itself tells apart what the tests above rely on it to.
#[wasm_bindgen_test]
fn the_comparison_finds_every_kind_of_difference() {
    for pair in samples().iter() {
        let pair: js_sys::Array = pair.into();
        let (a, b) = (pair.get(0), pair.get(1));
        assert!(!difference(&a, &b, "v").is_empty(), "{a:?} vs {b:?}");
        assert!(difference(&a, &a, "v").is_empty(), "{a:?}");
    }
    assert!(difference(&JsValue::from(f64::NAN), &JsValue::from(f64::NAN), "v").is_empty());
}
