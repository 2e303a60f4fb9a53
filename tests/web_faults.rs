//! IndexedDB faults in a real browser (headless Firefox), each with a defined outcome:
//! `wasm-pack test --headless --firefox -- --test web_faults`
//!
//! The scenarios live in tests/web_faults.js and drive the package's own JS layer
//! (js/api.js + js/storage.js) over the real wasm core and Firefox's real IndexedDB:
//! corrupt records, models for another catalog or version, a database of a foreign or
//! newer schema, two instances writing at once while a third compacts, quota exceeded and
//! storage disabled (shimmed), a transaction aborted mid-write (real abort), and a seeded
//! random run of tabs tracking, saving, loading and closing. The invariant everywhere:
//! no event that `track` accepted is lost once `save()` resolved.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use localrec::wasm::LocalRecCore;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_faults.js")]
extern "C" {
    #[wasm_bindgen(js_name = corruptRecords)]
    fn corrupt_records(core: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = foreignModels)]
    fn foreign_models(core: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = schemaMismatch)]
    fn schema_mismatch(core: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = twoWriters)]
    fn two_writers(core: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = failedWrites)]
    fn failed_writes(core: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = randomizedNoLoss)]
    fn randomized_no_loss(core: &JsValue, seed: u32, steps: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = trackThenLoadThenSave)]
    fn track_then_load_then_save(core: &JsValue) -> js_sys::Promise;
    fn ledger() -> JsValue;
}

// The scenarios import these relatively; declaring them makes wasm-bindgen ship them beside it.
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

fn core_class() -> JsValue {
    assert!(!is_valid_record(&JsValue::NULL));
    let instance = JsValue::from(LocalRecCore::new(JsValue::UNDEFINED).expect("core"));
    let class = Reflect::get(&instance, &"constructor".into()).expect("constructor");
    let free = Reflect::get(&instance, &"free".into()).expect("free");
    js_sys::Function::from(free).call0(&instance).expect("free");
    class
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}
fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or(f64::NAN)
}
fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

async fn run(p: js_sys::Promise, what: &str) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => v,
        Err(e) => {
            let msg = get(&e, "message")
                .as_string()
                .unwrap_or_else(|| format!("{e:?}"));
            panic!("{what}: {msg}")
        }
    }
}

fn report(what: &str, out: &JsValue) {
    let l = ledger();
    web_sys::console::log_1(
        &format!(
            "FAULTS {what}: {:?}; faults injected so far {}, events accepted so far {}",
            js_sys::JSON::stringify(out)
                .ok()
                .and_then(|s| s.as_string()),
            num(&l, "faults"),
            num(&l, "accepted")
        )
        .into(),
    );
}

#[wasm_bindgen_test]
async fn corrupt_records_are_reported_skipped_and_removed() {
    run(yield_to_event_loop(), "yield").await;
    let out = run(corrupt_records(&core_class()), "corruptRecords").await;
    report("corrupt", &out);
    // Every good event survives; the 5 bad event records are reported, then deleted.
    assert_eq!(
        num(&out, "events"),
        num(&out, "kept"),
        "events lost next to corrupt records"
    );
    assert!(num(&out, "kept") > 0.0);
    assert_eq!(num(&out, "corrupt"), 5.0, "{:?}", get(&out, "reasons"));
    assert_eq!(num(&out, "corruptOnSecondLoad"), 0.0);
    assert_eq!(num(&out, "eventsOnSecondLoad"), num(&out, "kept"));
    // The corrupt model record is detected (not loaded) and reported.
    let model = text(&out, "model");
    assert!(
        model == "corrupt" || model == "rejected",
        "model outcome {model}"
    );
    assert!(!text(&out, "modelError").is_empty());
}

#[wasm_bindgen_test]
async fn models_for_another_catalog_or_version_are_refused() {
    let out = run(foreign_models(&core_class()), "foreignModels").await;
    report("models", &out);
    assert!(
        text(&out, "otherCatalog").contains("another catalog"),
        "{}",
        text(&out, "otherCatalog")
    );
    let v = text(&out, "otherVersion");
    assert!(v.contains("version 3") || v.contains("checksum"), "{v}");
    assert_eq!(
        get(&out, "unchanged").as_bool(),
        Some(true),
        "a refused import changed the model"
    );
    // Stored for another catalog: reported on load, the events still load, lists still work.
    assert_eq!(text(&out, "loadedModel"), "rejected");
    assert!(
        text(&out, "loadedModelError").contains("another catalog"),
        "{}",
        text(&out, "loadedModelError")
    );
    assert!(num(&out, "loadedEvents") > 0.0);
    assert_eq!(num(&out, "listAfterRejectedModel"), 5.0);
}

#[wasm_bindgen_test]
async fn foreign_and_newer_schemas_fail_clearly_and_keep_events_in_memory() {
    let out = run(schema_mismatch(&core_class()), "schemaMismatch").await;
    report("schema", &out);
    assert!(
        text(&out, "foreignError").contains("unknown schema"),
        "{}",
        text(&out, "foreignError")
    );
    assert!(
        text(&out, "newerError").contains("VersionError"),
        "{}",
        text(&out, "newerError")
    );
    for key in ["foreign", "newer"] {
        assert_eq!(
            num(&out, &format!("{key}Recommend")),
            3.0,
            "{key}: instance stopped working"
        );
        assert_eq!(
            num(&out, &format!("{key}Unsaved")),
            10.0,
            "{key}: unsaved events dropped"
        );
        assert_ne!(
            get(&out, &format!("{key}ExistsAfterForget")).as_bool(),
            Some(true),
            "{key}: forget left the database"
        );
    }
}

#[wasm_bindgen_test]
async fn two_tabs_saving_at_once_lose_nothing() {
    let out = run(two_writers(&core_class()), "twoWriters").await;
    report("two tabs", &out);
    assert_eq!(num(&out, "total"), 96.0);
    assert_eq!(
        num(&out, "stored"),
        num(&out, "total"),
        "events lost between two writers"
    );
}

#[wasm_bindgen_test]
async fn quota_abort_and_disabled_storage_keep_events_for_the_next_save() {
    let out = run(failed_writes(&core_class()), "failedWrites").await;
    report("failed writes", &out);
    assert!(
        text(&out, "quota").contains("quota"),
        "{}",
        text(&out, "quota")
    );
    assert_eq!(num(&out, "unsavedAfterQuota"), 12.0);
    assert!(
        text(&out, "aborted").contains("Abort"),
        "{}",
        text(&out, "aborted")
    );
    assert_eq!(num(&out, "unsavedAfterAbort"), 21.0);
    assert!(
        text(&out, "disabled").contains("not available"),
        "{}",
        text(&out, "disabled")
    );
    assert_eq!(num(&out, "disabledStillRecommends"), 3.0);
    assert_eq!(num(&out, "disabledUnsaved"), 4.0);
    assert_eq!(get(&out, "indexedDbRestored").as_bool(), Some(true));
    assert_eq!(num(&out, "savedAfterFailures"), num(&out, "expected"));
    assert_eq!(
        num(&out, "stored"),
        num(&out, "expected"),
        "events lost after failed writes"
    );
}

#[wasm_bindgen_test]
async fn randomized_tabs_never_lose_a_saved_event() {
    let mut lost = 0.0;
    let mut injected = 0.0;
    for seed in [1u32, 7, 42] {
        let out = run(
            randomized_no_loss(&core_class(), seed, 60),
            "randomizedNoLoss",
        )
        .await;
        report(&format!("random seed {seed}"), &out);
        assert!(num(&out, "saves") > 0.0);
        lost += num(&out, "durable") - num(&out, "stored");
        injected += num(&out, "injected");
        assert_eq!(
            num(&out, "stored"),
            num(&out, "durable"),
            "seed {seed}: saved events lost"
        );
    }
    web_sys::console::log_1(
        &format!("FAULTS randomized: events lost {lost}, quota faults injected {injected}").into(),
    );
}

#[wasm_bindgen_test]
async fn events_tracked_before_a_load_are_still_saved() {
    let out = run(
        track_then_load_then_save(&core_class()),
        "trackThenLoadThenSave",
    )
    .await;
    report("load before save", &out);
    assert_eq!(
        num(&out, "stored0"),
        num(&out, "expected0"),
        "empty store: events lost"
    );
    assert_eq!(
        num(&out, "stored1"),
        num(&out, "expected1"),
        "one stored record: events lost"
    );
    assert_eq!(num(&out, "expected0"), 7.0);
    assert_eq!(num(&out, "expected1"), 12.0);
}
