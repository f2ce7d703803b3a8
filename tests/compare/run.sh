#!/usr/bin/env bash
# This package against @azure/msal-browser in the same headless Chromium (bench.mjs says
# what is measured and how). A benchmark, not a test:
#   bash tests/compare/run.sh                  20 interleaved runs per app at CPU 1x and 4x
#   BENCH_RUNS=1 bash tests/compare/run.sh     once each: both apps sign in (tests/browser/run.sh)
# Installs what is missing first (idempotent); builds the package unless www/pkg-bundler is
# there already (tests/browser/run.sh has just built it).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../stack/install.sh
source tests/stack/install.sh
ensure_chromium
ensure_npm www
ensure_npm tests/stack
ensure_npm tests/compare
if [ ! -f www/pkg-bundler/entra_edge_auth_bg.wasm ]; then
  ensure_rust_wasm
  bash www/build.sh
fi
nice node tests/compare/bench.mjs
