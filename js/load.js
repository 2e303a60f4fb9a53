// Which .wasm the package runs, decided in this one place (used by index.js and worker.js).
//
// The package ships two builds of the same core with the same exports: localrec_bg_relaxed.wasm
// uses relaxed SIMD (a fused multiply-add in the matrix kernels: training about 1.3–1.5× faster in
// Firefox and Chromium) and localrec_bg.wasm plain simd128 for browsers without relaxed SIMD. A
// browser downloads only one of them. The relaxed build's numbers differ from the simd128 build in
// the last bits (one rounding instead of two per multiply-add), far below the 1e-5 tolerance of the
// native-vs-browser checks.

// A minimal module whose one function is `f32x4.relaxed_madd`: it validates exactly where relaxed
// SIMD is supported.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // magic, version
  1, 8, 1, 96, 3, 123, 123, 123, 1, 123, // type: (v128, v128, v128) -> v128
  3, 2, 1, 0, // one function of that type
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11, // local.get ×3, f32x4.relaxed_madd, end
]);

/** True when this browser's WebAssembly has relaxed SIMD. */
export function supportsRelaxedSimd() {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Returns `ready(wasm)`, the initialiser of a wasm-bindgen glue module: `wasm` (URL, Response, bytes
 * or WebAssembly.Module) when given wins; otherwise the relaxed-SIMD build at `relaxedUrl` where the
 * browser supports it (falling back to the simd128 build if it cannot be loaded), else the glue's
 * default .wasm. Bundler glue initialises itself: nothing to do.
 */
export function readyFor(glue, relaxedUrl) {
  return async (wasm) => {
    if (typeof glue.default !== "function") return undefined;
    if (wasm) return glue.default({ module_or_path: wasm });
    if (relaxedUrl && supportsRelaxedSimd()) {
      try {
        return await glue.default({ module_or_path: relaxedUrl });
      } catch {
        // Missing or rejected (an old copy of the package without it): the simd128 build below.
      }
    }
    return glue.default();
  };
}
