# localrec — the two commands of the README are `make demo` and `make test`.
# Both run scripts/setup.sh first, which installs whatever is missing.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)
PORT ?= 8080
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-simd

.PHONY: setup demo test build build-web build-bundler package test-native test-browser lint clean

setup:
	@bash scripts/setup.sh

## The release package for the web (pkg/), optimised with a current wasm-opt,
## with pkg.json merged into the generated package.json.
build: setup build-web

build-web:
	wasm-pack build --release --target web --out-dir pkg
	wasm-opt $(WASM_OPT_FLAGS) pkg/localrec_bg.wasm -o pkg/localrec_bg.wasm
	python3 scripts/merge_pkg_json.py pkg/package.json pkg.json

build-bundler:
	wasm-pack build --release --target bundler --out-dir pkg-bundler
	wasm-opt $(WASM_OPT_FLAGS) pkg-bundler/localrec_bg.wasm -o pkg-bundler/localrec_bg.wasm
	python3 scripts/merge_pkg_json.py pkg-bundler/package.json pkg.json

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

test-browser:
	wasm-pack test --headless --firefox

test: setup lint test-native test-browser build-web
	python3 tests/browser_smoke.py

clean:
	cargo clean
	rm -rf pkg pkg-bundler
