#!/usr/bin/env bash
# Installs what localrec's build and tests need, on a fresh Debian/Ubuntu machine.
# Idempotent and quick when everything is there; prints what it installs; fails
# loudly, naming the missing piece, when something can't be had.
#
# Needs: apt-get (run as root, or with sudo available), rustup + cargo, node + npm, python3.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TOOLS="$ROOT/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo" || say "not root and no sudo: apt installs will fail"
fi
APT_UPDATED=0
apt_install() {
  if [ $APT_UPDATED = 0 ]; then
    say "apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

# --- the basics that must already be there ---
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup first (https://rustup.rs)"
command -v rustup >/dev/null 2>&1 || die "rustup not found: the wasm32 target is installed with rustup"
command -v python3 >/dev/null 2>&1 || apt_install python3
if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
command -v curl >/dev/null 2>&1 || true

# --- Rust: the wasm32 target, rustfmt and clippy ---
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown || die "rustup could not add the wasm32-unknown-unknown target"
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    say "rustup component add $comp"
    rustup component add "$comp" || die "rustup could not add $comp"
  fi
done

# --- Firefox ESR (the test browser) ---
if ! command -v firefox-esr >/dev/null 2>&1 && ! command -v firefox >/dev/null 2>&1; then
  apt_install firefox-esr
fi
command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || die "firefox-esr is not installed"

# --- cargo-installed tools (prebuilt downloads do not work here, so build them) ---
cargo_tool() { # binary, crate, version-requirement (exact or empty), extra args
  local bin=$1 crate=$2 want=$3
  if command -v "$bin" >/dev/null 2>&1; then
    local have
    have=$("$bin" --version 2>/dev/null || true)
    if [ -z "$want" ] || [[ "$have" == *" $want"* ]]; then return 0; fi
    say "$bin is ${have%%$'\n'*}, need $want"
  fi
  say "cargo install $crate ${want:+--version =$want} (a few minutes)"
  cargo install -q "$crate" ${want:+--version "=$want"} --force || die "cargo install $crate failed"
}

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly: read it from there.
[ -f Cargo.lock ] || cargo generate-lockfile -q
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WB_VERSION" ] || die "could not read the wasm-bindgen version from Cargo.lock"
cargo_tool wasm-pack wasm-pack ""
cargo_tool wasm-bindgen wasm-bindgen-cli "$WB_VERSION"
cargo_tool geckodriver geckodriver ""

# --- npm tools: a current wasm-opt (Debian's 108 breaks wasm-bindgen output), TypeScript, and
# --- esbuild (minifies the package's JavaScript in `make build-web`) ---
if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ] || [ ! -x "$TOOLS/node_modules/.bin/tsc" ] \
  || [ ! -x "$TOOLS/node_modules/.bin/esbuild" ]; then
  say "npm install binaryen@132 typescript@5 esbuild@0.28.2 into .tools/"
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && [ -f package.json ] || echo '{"private": true}' > package.json)
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent binaryen@132 typescript@5 esbuild@0.28.2 \
    || die "npm install of binaryen/typescript/esbuild failed"
fi
"$TOOLS/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1 || die "wasm-opt from binaryen@132 does not run"
"$TOOLS/node_modules/.bin/esbuild" --version >/dev/null 2>&1 || die "esbuild from the npm registry does not run"

# (Capture versions whole: `geckodriver --version | head -1` makes geckodriver panic on the closed pipe.)
GD_VERSION=$(geckodriver --version 2>/dev/null); GD_VERSION=${GD_VERSION%%$'\n'*}
FF_VERSION=$( (firefox-esr --version || firefox --version) 2>/dev/null); FF_VERSION=${FF_VERSION%%$'\n'*}
say "ready: $(rustc --version | cut -d' ' -f1-2), wasm-pack $(wasm-pack --version | cut -d' ' -f2), wasm-bindgen $WB_VERSION, $GD_VERSION, $FF_VERSION"
