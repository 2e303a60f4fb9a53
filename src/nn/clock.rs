//! A millisecond clock that works natively and in the browser.
//!
//! `std::time::Instant` panics on `wasm32-unknown-unknown`, so the browser
//! build reads JavaScript's `Date.now()` instead. Only used for the optional
//! training time budget; benchmarks pass their own clock.

/// Milliseconds since an arbitrary fixed origin (monotonic natively).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Milliseconds since the Unix epoch (JavaScript `Date.now()`).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_does_not_go_backwards() {
        let a = super::now_ms();
        let b = super::now_ms();
        assert!(b >= a && a.is_finite());
    }
}
