# localrec — the two commands of the README are `make demo` and `make test`.
# Both run scripts/setup.sh first, which installs whatever is missing.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)
PORT ?= 8080
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-simd --strip-debug --strip-producers \
	--strip-target-features --reorder-functions-by-name
# The shipped JavaScript (glue, API, worker, client) is minified file by file in place: the same
# ES modules, imports and `new URL(..., import.meta.url)` references, only smaller (17.6 -> 9.6 KB
# gzip). The .d.ts files are copied as they are. esbuild comes from the npm registry (scripts/setup.sh).
MINIFY_JS := esbuild --minify --format=esm --target=es2022 --log-level=warning --allow-overwrite

.PHONY: assets setup demo test build build-web build-bundler package size test-native test-browser test-browser-relaxed lint clean

setup:
	@bash scripts/setup.sh

## The release package for the web (pkg/), optimised with a current wasm-opt,
## with pkg.json merged into the generated package.json.
build: setup build-web

build-web:
	wasm-pack build --release --target web --out-dir pkg
	wasm-opt $(WASM_OPT_FLAGS) pkg/localrec_bg.wasm -o pkg/localrec_bg.wasm
	WASM_OPT_FLAGS="$(WASM_OPT_FLAGS)" scripts/build_relaxed.sh pkg target/relaxed
	WASM_OPT_FLAGS="$(WASM_OPT_FLAGS)" python3 scripts/minify_names.py pkg
	cp js/*.js js/*.d.ts js/EXAMPLE.md pkg/
	$(MINIFY_JS) pkg/*.js --outdir=pkg
	python3 scripts/merge_pkg_json.py pkg/package.json pkg.json

build-bundler: build-web
	wasm-pack build --release --target bundler --out-dir pkg-bundler
	wasm-opt $(WASM_OPT_FLAGS) pkg-bundler/localrec_bg.wasm -o pkg-bundler/localrec_bg.wasm
	# Bundler glue initialises the simd128 build itself; the relaxed file is there because index.js
	# names it (bundlers resolve `new URL(..., import.meta.url)` at build time). Made again from
	# build-web's relaxed build: pkg/'s copy has the short names of pkg/'s glue (minify_names.py).
	wasm-opt $(WASM_OPT_FLAGS) --enable-relaxed-simd target/relaxed/pkg/localrec_bg.wasm -o pkg-bundler/localrec_bg_relaxed.wasm
	cp js/*.js js/*.d.ts js/EXAMPLE.md pkg-bundler/
	$(MINIFY_JS) pkg-bundler/*.js --outdir=pkg-bundler
	python3 scripts/merge_pkg_json.py pkg-bundler/package.json pkg.json

## The download size of pkg/ (every shipped .wasm and .js, raw and gzip -9), after build-web.
size:
	python3 scripts/package_size.py pkg

## npm tarball of the web build.
package: setup build-web build-bundler
	cd pkg && npm pack --silent

demo: setup build-web
	@echo "localrec demo: http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	python3 tools/serve.py --port $(PORT)

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

test-native:
	cargo test

## Browser tests are the files tests/web*.rs (wasm_bindgen_test_configure!(run_in_browser)).
## Only they are built for wasm32: the other test files are native (files, threads, proptest).
BROWSER_TESTS := $(foreach f,$(sort $(wildcard tests/web*.rs)),--test $(basename $(notdir $(f))))

test-browser:
	wasm-pack test --headless --firefox -- $(BROWSER_TESTS)

## The engine's browser tests again on the relaxed-SIMD build (fused multiply-add kernels): kernel
## paths against a naive product, and seeded training against the native figures, within 1e-5.
RELAXED_TESTS := --test web_nn --test web_sampled --test web
test-browser-relaxed:
	RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd -C llvm-args=-inline-threshold=25" CARGO_TARGET_DIR=target/relaxed-test \
	  wasm-pack test --headless --firefox -- $(RELAXED_TESTS)

## The demo shop's static assets (catalog, simulated shoppers, base model); committed, rebuilt on demand.
assets:
	bash tools/build_assets.sh

test: setup lint test-native test-browser test-browser-relaxed build-web
	tsc --noEmit -p examples/ts
	python3 tests/browser_smoke.py
	python3 tests/e2e/test_tools.py
	$(MAKE) bench-smoke
	python3 tests/e2e/test_shop.py

clean:
	cargo clean
	rm -rf pkg pkg-bundler

## ---- Benchmarks (issue 9): bench/run.py, bench/index.html. `make bench` measures (minutes, not part
## ---- of `make test`); `make bench-smoke` runs the page with tiny sizes and fails if anything breaks.
## The bench build has the `bench` cargo feature (src/wasm/bench.rs) and its own target dir, so it
## never invalidates the release build of pkg/ (whose size the report quotes).
BENCH_PKG := target/bench/pkg
BENCH_ARGS ?=

.PHONY: bench bench-build bench-smoke

bench/node_modules/.package-lock.json: bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --silent

bench-build:
	CARGO_TARGET_DIR=target/bench/cargo wasm-pack build --release --target web --out-dir $(BENCH_PKG) -- --features bench
	wasm-opt $(WASM_OPT_FLAGS) $(BENCH_PKG)/localrec_bg.wasm -o $(BENCH_PKG)/localrec_bg.wasm
	WASM_OPT_FLAGS="$(WASM_OPT_FLAGS)" scripts/build_relaxed.sh $(BENCH_PKG) target/bench/relaxed -- --features bench

bench: setup build-web bench-build bench/node_modules/.package-lock.json
	python3 bench/run.py $(BENCH_ARGS)

bench-smoke: bench-build bench/node_modules/.package-lock.json
	python3 bench/run.py --smoke
