//! Privacy in a real browser (headless Firefox): nothing leaves the device.
//! `wasm-pack test --headless --firefox -- --test web_privacy`
//!
//! tests/web_privacy.js wraps `fetch`, `XMLHttpRequest`, `WebSocket`, `EventSource`,
//! `navigator.sendBeacon`, `Image`, element creation (img, script, link, iframe, media),
//! `Worker`, `SharedWorker`, `RTCPeerConnection`, `window.open`, form submission and service
//! worker registration with counters, checks that the counters really count, then runs the
//! complete API (create, loadCatalog, loadModel, track, trackMany, train, recommend, similar,
//! exportModel, importModel, exportEvents, save, load, inspect, forget, free) against the real
//! IndexedDB and asserts zero calls — and zero new Resource Timing entries, an independent
//! witness of any request the page made.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use localrec::wasm::LocalRecCore;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_privacy.js")]
extern "C" {
    #[wasm_bindgen(js_name = countersCatchEveryChannel)]
    fn counters_catch_every_channel() -> js_sys::Promise;
    #[wasm_bindgen(js_name = fullApiUnderCounters)]
    fn full_api_under_counters(core: &JsValue, db_name: &str) -> js_sys::Promise;
}

// The scenario imports these relatively; declaring them makes wasm-bindgen ship them beside it.
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

/// The JS class of the wasm core (taken from a throwaway instance).
fn core_class() -> JsValue {
    let instance = JsValue::from(LocalRecCore::new(JsValue::UNDEFINED).expect("core"));
    let class = Reflect::get(&instance, &"constructor".into()).expect("constructor");
    let free = Reflect::get(&instance, &"free".into()).expect("free");
    js_sys::Function::from(free).call0(&instance).expect("free");
    class
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |o, k| {
        Reflect::get(&o, &k.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

fn num(v: &JsValue, path: &str) -> f64 {
    get(v, path).as_f64().unwrap_or(f64::NAN)
}

/// A count by channel name (names contain dots, so no path lookup).
fn count(v: &JsValue, channel: &str) -> f64 {
    Reflect::get(v, &channel.into())
        .ok()
        .and_then(|x| x.as_f64())
        .unwrap_or(f64::NAN)
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

#[wasm_bindgen_test]
async fn the_counters_really_count_each_channel() {
    assert!(!is_valid_record(&JsValue::NULL));
    run(yield_to_event_loop(), "yield").await;
    let c = run(counters_catch_every_channel(), "counters self-test").await;
    for channel in [
        "fetch",
        "XMLHttpRequest.open",
        "navigator.sendBeacon",
        "WebSocket",
        "EventSource",
        "Image",
    ] {
        assert_eq!(count(&c, channel), 1.0, "{channel} was not counted");
    }
    // script + IMG counted, div not.
    assert_eq!(
        count(
            &c,
            "createElement(img|script|link|iframe|audio|video|source|object|embed)"
        ),
        2.0
    );
    assert_eq!(num(&c, "total"), 8.0);
}

#[wasm_bindgen_test]
async fn the_complete_api_makes_zero_network_calls() {
    let out = run(
        full_api_under_counters(&core_class(), "localrec-privacy-test"),
        "full API",
    )
    .await;
    let details: Vec<String> = js_sys::Array::from(&get(&out, "details"))
        .iter()
        .filter_map(|d| d.as_string())
        .collect();
    let resources: Vec<String> = js_sys::Array::from(&get(&out, "resources"))
        .iter()
        .filter_map(|d| d.as_string())
        .collect();
    assert_eq!(num(&out, "total"), 0.0, "network calls: {details:?}");
    assert!(
        resources.is_empty(),
        "resources requested during the scenario: {resources:?}"
    );
    // The scenario really exercised everything.
    assert_eq!(num(&out, "did.catalog"), 40.0);
    assert_eq!(num(&out, "did.tracked"), 121.0);
    assert!(num(&out, "did.trainSteps") > 0.0);
    assert!(num(&out, "did.progressCalls") > 0.0);
    assert_eq!(num(&out, "did.recommended"), 5.0);
    assert!(num(&out, "did.similar") > 0.0);
    assert!(num(&out, "did.modelBytes") > 0.0);
    assert!(num(&out, "did.eventBytes") > 0.0);
    assert_eq!(num(&out, "did.saved"), 121.0);
    assert_eq!(num(&out, "did.loadedEvents"), 121.0);
    assert_eq!(
        get(&out, "did.loadedModel").as_string().as_deref(),
        Some("loaded")
    );
    assert_eq!(num(&out, "did.recommendedAfterLoad"), 5.0);
    assert_ne!(
        get(&out, "did.forgetVerified").as_bool(),
        Some(false),
        "database still exists after forget"
    );
    assert_eq!(num(&out, "did.eventsAfterForget"), 0.0);
    web_sys::console::log_1(
        &format!(
            "PRIVACY network calls: 0 over {} API steps; base model: {:?}",
            17,
            get(&out, "did.baseModel").as_string()
        )
        .into(),
    );
}
