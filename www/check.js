// Loads the release package and runs its self-check; the result goes to #status
// (the browser smoke test reads it). By default the .wasm is chosen as the package chooses it
// (pkg/load.js: the relaxed-SIMD build where supported); `?simd=simd128` forces the simd128 build.
import * as glue from "/pkg/localrec.js";
import { readyFor, supportsRelaxedSimd } from "/pkg/load.js";

const status = document.getElementById("status");
try {
  const forced = new URLSearchParams(location.search).get("simd") === "simd128";
  await (forced ? glue.default() : readyFor(glue, new URL("/pkg/localrec_bg_relaxed.wasm", location.href))());
  status.dataset.simd = glue.simdLevel();
  status.dataset.relaxedSupported = String(supportsRelaxedSimd());
  status.textContent = `ok — ${glue.selfCheck()} (package ${glue.version()}, ${glue.simdLevel()} build)`;
  status.dataset.state = "ok";
} catch (e) {
  status.textContent = `error: ${e && e.message ? e.message : e}`;
  status.dataset.state = "error";
}
