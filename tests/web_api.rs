//! Browser tests of the package's API in headless Firefox:
//! `wasm-pack test --headless --firefox -- --test web_api`.
//!
//! The JS layer (js/api.js, storage.js, rpc.js, client.js) is driven by the
//! scenarios in js/tests/scenarios.js against the real wasm core
//! (`LocalRecCore`) and the real IndexedDB of Firefox; the memory test and the
//! façade-level checks are written here in Rust.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use localrec::wasm::LocalRecCore;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/js/tests/scenarios.js")]
extern "C" {
    #[wasm_bindgen(js_name = apiRoundTrip, catch)]
    async fn api_round_trip(core: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = twoTabs, catch)]
    async fn two_tabs(core: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = corruptRecords, catch)]
    async fn corrupt_records(core: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = workerClient, catch)]
    async fn worker_client(core: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn garbage(core: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = runExample, catch)]
    async fn run_example(core: &JsValue, body: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = makeCatalog)]
    fn make_catalog() -> JsValue;
}

// The scenario module imports these relatively; declaring them makes
// wasm-bindgen copy them next to it among the test's snippets.
#[wasm_bindgen(module = "/js/api.js")]
extern "C" {
    #[wasm_bindgen(js_name = yieldToEventLoop)]
    fn yield_to_event_loop() -> js_sys::Promise;
}
#[wasm_bindgen(module = "/js/storage.js")]
extern "C" {
    #[wasm_bindgen(js_name = isValidRecord)]
    fn is_valid_record(v: &JsValue) -> bool;
}
#[wasm_bindgen(module = "/js/rpc.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = METHODS)]
    static RPC_METHODS: JsValue;
}
#[wasm_bindgen(module = "/js/client.js")]
extern "C" {
    #[wasm_bindgen(js_name = LocalRecWorker)]
    type LocalRecWorkerClass;
}

/// The JS class of the wasm core, as the package's glue exports it.
fn core_class() -> JsValue {
    let instance = JsValue::from(LocalRecCore::new(JsValue::UNDEFINED).expect("core"));
    let class = Reflect::get(&instance, &"constructor".into()).expect("constructor");
    let free = Reflect::get(&instance, &"free".into()).expect("free");
    js_sys::Function::from(free)
        .call0(&instance)
        .expect("free works");
    class
}

fn fail(what: &str, e: JsValue) -> ! {
    let msg = Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    panic!("{what}: {msg}")
}

fn get_f64(v: &JsValue, key: &str) -> f64 {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|x| x.as_f64())
        .unwrap_or(f64::NAN)
}

#[wasm_bindgen_test]
async fn snippets_are_loaded() {
    assert!(!is_valid_record(&JsValue::NULL));
    assert!(RPC_METHODS.with(|m| Array::from(m).length()) > 10);
    wasm_bindgen_futures::JsFuture::from(yield_to_event_loop())
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn track_train_recommend_save_load_forget() {
    let out = api_round_trip(&core_class())
        .await
        .unwrap_or_else(|e| fail("apiRoundTrip", e));
    assert!(get_f64(&out, "progressCalls") > 0.0);
    assert_eq!(get_f64(&out, "cancelledAfter"), 3.0);
}

#[wasm_bindgen_test]
async fn two_tabs_never_lose_events() {
    let n = two_tabs(&core_class())
        .await
        .unwrap_or_else(|e| fail("twoTabs", e));
    assert_eq!(n.as_f64(), Some(15.0));
}

#[wasm_bindgen_test]
async fn corrupt_records_are_reported_and_skipped() {
    let n = corrupt_records(&core_class())
        .await
        .unwrap_or_else(|e| fail("corruptRecords", e));
    assert_eq!(n.as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
async fn worker_client_mirrors_the_api() {
    let n = worker_client(&core_class())
        .await
        .unwrap_or_else(|e| fail("workerClient", e));
    assert!(n.as_f64().unwrap_or(0.0) > 0.0);
}

#[wasm_bindgen_test]
async fn garbage_input_gives_errors_and_the_instance_survives() {
    let out = garbage(&core_class())
        .await
        .unwrap_or_else(|e| fail("garbage", e));
    let (calls, errors) = (get_f64(&out, "calls"), get_f64(&out, "errors"));
    web_sys::console::log_1(
        &format!("garbage test: {calls} calls, {errors} errors thrown, 0 panics").into(),
    );
    assert!(
        calls >= 600.0 && errors > calls / 2.0,
        "{calls} calls, {errors} errors"
    );
}

#[wasm_bindgen_test]
async fn readme_example_runs() {
    let md = include_str!("../js/EXAMPLE.md");
    let start = md.find("```js").expect("a js block") + 5;
    let len = md[start..].find("```").expect("end of block");
    let body: String = md[start..start + len]
        .lines()
        .filter(|l| !l.trim_start().starts_with("import "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        body.lines().filter(|l| !l.trim().is_empty()).count() <= 10,
        "the example is ten lines"
    );
    let out = run_example(&core_class(), &body)
        .await
        .unwrap_or_else(|e| fail("README example", e));
    let logs = Array::from(&Reflect::get(&out, &"logs".into()).unwrap());
    assert_eq!(logs.length(), 4, "four recommendations logged");
    for l in logs.iter() {
        let line = l.as_string().unwrap();
        assert!(line.starts_with("sku-") && line.contains(' '), "{line}");
    }
    let reqs = Array::from(&Reflect::get(&out, &"requests".into()).unwrap());
    assert_eq!(reqs.length(), 1, "only the shop's own catalog request");
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn wasm_memory_bytes() -> f64 {
    let mem = wasm_bindgen::memory();
    let buf = Reflect::get(&mem, &"buffer".into()).unwrap();
    get_f64(&buf, "byteLength")
}

/// A few thousand track / train / recommend cycles, and create/free cycles:
/// wasm memory stops growing (the event log is capped, nothing leaks).
///
/// Every step is deterministic, so the test passes or fails the same way on
/// every run: training chunks get 0 ms (exactly one batch each) instead of a
/// wall-clock slice. With a 1 ms slice a chunk did one or two batches depending
/// on the machine's load, so a run was sometimes still alive (its examples and
/// model snapshot allocated) during the following `recommend` calls; the likely
/// cause of the rare failure (not reproduced): when that first happened after
/// the warm-up, the allocator's high-water mark rose, without any leak.
#[wasm_bindgen_test]
fn memory_stops_growing() {
    let config = obj(&[("seed", 5.into()), ("maxEvents", 300.into())]);
    let mut checkpoints = Vec::new();
    let mut core = LocalRecCore::new(config.clone()).unwrap();
    core.load_catalog(make_catalog()).unwrap();
    let opts = obj(&[("k", 8.into())]);
    // A run's time budget (1 hour) never ends it: only its 2 steps do.
    let budget = obj(&[
        ("epochs", 1.into()),
        ("maxSteps", 2.into()),
        ("maxMs", 3.6e6.into()),
    ]);
    let done = |p: JsValue| Reflect::get(&p, &"done".into()).unwrap().as_bool() == Some(true);
    for cycle in 0..3000u32 {
        let ev = obj(&[
            (
                "itemId",
                format!("sku-{}-{}", cycle % 6, (cycle / 6) % 10).into(),
            ),
            (
                "kind",
                if cycle % 7 == 0 {
                    "add_to_cart"
                } else {
                    "view"
                }
                .into(),
            ),
            ("timestamp", (1.7e12 + cycle as f64 * 60_000.0).into()),
        ]);
        core.track(ev, JsValue::UNDEFINED).unwrap();
        if cycle % 10 == 0 && cycle > 0 {
            // One batch per chunk: a run left unfinished (dropped by the next
            // trainStart) every other time, and a run to its 2 steps otherwise.
            // (From cycle 300 the log is full: far more than one batch of examples.)
            core.train_start(budget.clone()).unwrap();
            let first = done(core.train_chunk(JsValue::from(0.0)).unwrap());
            assert!(cycle < 300 || !first, "cycle {cycle}");
            if cycle % 20 == 0 && !first {
                assert!(done(core.train_chunk(JsValue::from(0.0)).unwrap()));
            }
        }
        let recs = core.recommend(opts.clone()).unwrap();
        assert!(Reflect::get(&recs, &"items".into()).is_ok());
        if cycle % 500 == 499 {
            checkpoints.push(wasm_memory_bytes());
        }
    }
    drop(core);
    // Create / use / free cycles.
    for _ in 0..200 {
        let mut c = LocalRecCore::new(config.clone()).unwrap();
        c.load_catalog(make_catalog()).unwrap();
        c.recommend(opts.clone()).unwrap();
    }
    checkpoints.push(wasm_memory_bytes());
    web_sys::console::log_1(&format!("wasm memory at checkpoints (bytes): {checkpoints:?}").into());
    // After warm-up (the first checkpoints), memory is flat.
    let warm = checkpoints[2];
    assert!(
        checkpoints[2..].iter().all(|&m| m == warm),
        "wasm memory kept growing: {checkpoints:?}"
    );
    assert!(warm < 64.0 * 1024.0 * 1024.0, "{warm} bytes");
}

#[wasm_bindgen_test]
fn determinism_in_the_browser_matches_native_shape() {
    // Same seed, same events: identical lists from two instances.
    let run = || {
        let mut c = LocalRecCore::new(obj(&[("seed", 11.into())])).unwrap();
        c.load_catalog(make_catalog()).unwrap();
        let events = Array::new();
        for i in 0..20 {
            events.push(&obj(&[
                ("itemId", format!("sku-{}-{}", i % 3, i % 10).into()),
                ("kind", "view".into()),
                ("timestamp", (1.7e12 + i as f64 * 1000.0).into()),
            ]));
        }
        c.track_many(events.into(), JsValue::UNDEFINED).unwrap();
        c.train_start(obj(&[("epochs", 2.into()), ("maxMs", 1e6.into())]))
            .unwrap();
        loop {
            let p = c.train_chunk(JsValue::from(1e6)).unwrap();
            if Reflect::get(&p, &"done".into()).unwrap().as_bool() == Some(true) {
                break;
            }
        }
        js_sys::JSON::stringify(&c.recommend(obj(&[("k", 10.into())])).unwrap())
            .unwrap()
            .as_string()
            .unwrap()
    };
    assert_eq!(run(), run());
}

/// A 50,000-item catalog: loads, tracks, trains and ranks within the memory
/// budget (wasm memory well under 50 MB). Times are printed, not asserted.
#[wasm_bindgen_test]
fn fifty_thousand_items_fit_the_memory_budget() {
    let items = Array::new();
    for i in 0..50_000u32 {
        items.push(&obj(&[
            ("id", format!("sku-{i}").into()),
            ("title", format!("Product {i}").into()),
            ("category", format!("Dept{} > Cat{}", i % 12, i % 97).into()),
            ("brand", format!("Brand{}", i % 300).into()),
            ("price", (5.0 + (i % 200) as f64).into()),
            ("rating", (3.0 + (i % 5) as f64 * 0.4).into()),
        ]));
    }
    let now = || js_sys::Date::now();
    let t0 = now();
    let mut core = LocalRecCore::new(obj(&[("seed", 1.into())])).unwrap();
    core.load_catalog(items.into()).unwrap();
    let t_load = now() - t0;
    let events = Array::new();
    for i in 0..200u32 {
        events.push(&obj(&[
            ("itemId", format!("sku-{}", (i * 97) % 50_000).into()),
            ("kind", "view".into()),
            ("timestamp", (1.7e12 + i as f64 * 30_000.0).into()),
        ]));
    }
    core.track_many(events.into(), JsValue::UNDEFINED).unwrap();
    core.train_start(obj(&[("epochs", 1.into())])).unwrap();
    core.train_chunk(JsValue::from(50.0)).unwrap();
    let t1 = now();
    let recs = core.recommend(obj(&[("k", 20.into())])).unwrap();
    let t_rank = now() - t1;
    let n = Array::from(&Reflect::get(&recs, &"items".into()).unwrap()).length();
    assert_eq!(n, 20);
    let mem = wasm_memory_bytes();
    web_sys::console::log_1(
        &format!("50k catalog (debug build): load {t_load:.0} ms, recommend {t_rank:.0} ms, wasm memory {:.1} MB", mem / 1048576.0).into(),
    );
    assert!(mem < 50.0 * 1024.0 * 1024.0, "wasm memory {mem} bytes");
}
