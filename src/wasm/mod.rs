//! The JavaScript façade: a thin `#[wasm_bindgen]` layer over the core.
//!
//! Every exported function returns `Result<_, JsError>`, so bad input becomes
//! a JavaScript `Error` instead of a panic that would kill the instance.

use wasm_bindgen::prelude::*;

pub mod bench;

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Checks that the module works in this browser: seeded RNG, the binary
/// container and (when present) a tiny training run. Returns a short report.
#[wasm_bindgen(js_name = selfCheck)]
pub fn self_check() -> Result<String, JsError> {
    let mut rng = crate::rng::Rng::new(0);
    let first = rng.next_u64();
    let mut w = crate::codec::Writer::new();
    w.put_u64(first);
    let blob = crate::codec::seal(*b"SELF", 1, &w.into_bytes());
    let (_, payload) = crate::codec::open(&blob, *b"SELF", 1).map_err(to_js)?;
    let back = crate::codec::Reader::new(payload)
        .get_u64("first")
        .map_err(to_js)?;
    if back != first {
        return Err(JsError::new(
            "self-check: codec round trip changed the value",
        ));
    }
    Ok(format!(
        "localrec {} ok: rng {first:016x}, crc32 {:08x}",
        crate::VERSION,
        crate::codec::crc32(b"123456789")
    ))
}

/// Converts a core error into a JavaScript `Error` with the same message.
pub(crate) fn to_js(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}
