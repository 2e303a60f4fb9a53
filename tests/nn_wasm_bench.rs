//! The reference workload timed in wasm32 (simd128), for a quick look at the
//! browser-side speed without a browser:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --release --target wasm32-unknown-unknown --test nn_wasm_bench -- --include-ignored --nocapture
//! ```
//!
//! Timing uses Node's `process.cpuUsage()` (user CPU time) when present, so
//! other jobs on a shared machine distort it less; otherwise `Date.now()`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Reflect};
use localrec::nn::bench::{run_reference, BenchOptions};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

fn cpu_ms() -> Option<f64> {
    let process = Reflect::get(&js_sys::global(), &JsValue::from_str("process")).ok()?;
    let cpu_usage: Function = Reflect::get(&process, &JsValue::from_str("cpuUsage"))
        .ok()?
        .into();
    let usage = cpu_usage.call0(&process).ok()?;
    let user = Reflect::get(&usage, &JsValue::from_str("user"))
        .ok()?
        .as_f64()?;
    Some(user / 1000.0)
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run explicitly with --include-ignored (and --release)"]
fn reference_workload_speed() {
    let use_cpu = cpu_ms().is_some();
    let mut clock = || {
        if use_cpu {
            cpu_ms().unwrap_or(0.0)
        } else {
            js_sys::Date::now()
        }
    };
    let report = run_reference(&BenchOptions::default(), &mut clock).unwrap();
    console_log!(
        "wasm32 ({} clock): train {:.0} samples/s (runs {:?}), loss {:.4}, test accuracy {:.4}, score 1k {:.3} ms, 10k {:.3} ms",
        if use_cpu { "process cpu" } else { "wall" },
        report.train_samples_per_sec,
        report.train_samples_per_sec_runs.iter().map(|v| v.round()).collect::<Vec<_>>(),
        report.final_loss,
        report.test_accuracy,
        report.score_1k_ms,
        report.score_10k_ms
    );
    assert!(report.test_accuracy > 0.9);
}
