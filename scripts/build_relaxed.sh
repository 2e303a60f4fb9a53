#!/usr/bin/env bash
# Builds the relaxed-SIMD twin of a wasm-pack --target web build:
#   scripts/build_relaxed.sh OUT_DIR TARGET_DIR [-- cargo args]
# writes OUT_DIR/localrec_bg_relaxed.wasm (js/load.js loads it where the browser supports relaxed
# SIMD). OUT_DIR must already hold the simd128 build: the glue the relaxed build generates must be
# byte-identical to OUT_DIR/localrec.js (same exports and imports), or one glue could not serve both.
set -euo pipefail
out=$1
target=$2
shift 2
tmp="$target/pkg"
RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd -C llvm-args=-inline-threshold=25" CARGO_TARGET_DIR="$target" \
  wasm-pack build --release --target web --out-dir "$(realpath -m "$tmp")" "$@"
if ! cmp -s "$tmp/localrec.js" "$out/localrec.js"; then
  echo "build_relaxed: $tmp/localrec.js differs from $out/localrec.js: the two builds' exports differ" >&2
  exit 1
fi
wasm-opt ${WASM_OPT_FLAGS:?WASM_OPT_FLAGS must be set (see the Makefile)} --enable-relaxed-simd \
  "$tmp/localrec_bg.wasm" -o "$out/localrec_bg_relaxed.wasm"
