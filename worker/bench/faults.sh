#!/usr/bin/env bash
# Faults under load (not a test; about 70 s): bash worker/bench/faults.sh
# PHASE_SECONDS (default 12) sets the length of each of the five phases.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
if [ ! -f pkg/entra_edge_auth_bg.wasm ]; then
  (cd .. && CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target/wasm-worker wasm-pack build crate \
    --release --target web --out-dir ../worker/pkg --no-default-features --features worker)
fi
node bench/faults.mjs
