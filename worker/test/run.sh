#!/usr/bin/env bash
# The edge worker's tests, from a fresh machine: installs what it needs (idempotent, fast the
# second time), builds the core to wasm, runs the adapter's unit tests and the workerd tests
# (node --test, Miniflare, servers on 127.0.0.1), then `wrangler deploy --dry-run` and the
# bundle size. Exits non-zero on any failure.
set -euo pipefail
WORKER="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$WORKER/.." && pwd)"
WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=…"` pin in crate/Cargo.toml

step() { printf '\n=== worker: %s\n' "$*"; }

step "toolchain"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! wasm-pack --version 2>/dev/null | grep -q '^wasm-pack 0\.15\.'; then
  cargo install wasm-pack --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Not --locked: one of its locked dependencies is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
cd "$WORKER"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# wasm-opt from npm `binaryen` (Debian's is too old for wasm-bindgen's output).
export PATH="$WORKER/node_modules/.bin:$PATH"

step "build the core to wasm (worker feature)"
# opt-level 3 for the worker build only: the edge trades ~50 KB for speed on every request.
(cd "$ROOT" && CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target/wasm-worker \
  wasm-pack build crate --release --target web --out-dir ../worker/pkg --no-default-features --features worker)

step "adapter unit tests (native)"
(cd "$ROOT" && CARGO_TARGET_DIR=target/worker-native \
  cargo test -p entra-edge-auth --lib --no-default-features --features worker wasm::worker)

step "workerd tests (Miniflare)"
export WYCHEPROOF_DIR="${WYCHEPROOF_DIR:-$ROOT/../shared/vectors/wycheproof}"
node --test --test-concurrency=1 test/*.test.mjs

step "wrangler deploy --dry-run"
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false \
  WRANGLER_SEND_ERROR_REPORTS=false XDG_CONFIG_HOME="$WORKER/.wrangler-config"
rm -rf dist
wrangler deploy --dry-run --outdir dist > /dev/null
raw=$(cat dist/*.js dist/*.wasm | wc -c)
gz=$(cat dist/*.js dist/*.wasm | gzip -9 | wc -c)
wasm=$(cat dist/*.wasm | wc -c)
echo "bundle: ${raw} bytes (${gz} gzipped); wasm ${wasm} bytes"
