#!/usr/bin/env bash
# The load benchmark (not a test): bash worker/bench/run.sh
# Builds what it needs (the wasm, the jose worker bundle), then runs bench.mjs.
# BENCH_ROUNDS (default 5) interleaved rounds of BENCH_SECONDS (default 5) per worker and case;
# about 6 minutes in all. bench/micro.mjs (node bench/micro.mjs, after this) times the pieces,
# bench/profile.mjs profiles one worker under load. BENCH_FLOOR=1 adds the headers-only
# floor worker; BENCH_ASSERTION=1 adds ours with the identity assertion on (default binding
# and ASSERTION_BIND=request) and prints their ratios to ours and to the floor.
# BENCH_VERIFY_FLOOR=1 adds the unique-token floor (bench/verify-floor-worker.js: the header
# work plus one WebCrypto signature check); BENCH_MODES=unique (or repeated) runs one case.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
export PATH="$PWD/node_modules/.bin:$PATH"
# The wasm is rebuilt whenever a source it is made of is newer than it (or it is missing),
# so a stale pkg/ is never measured.
wasm=pkg/entra_edge_auth_bg.wasm
if [ ! -f "$wasm" ] || [ -n "$(find ../crate/src ../crate/Cargo.toml ../Cargo.toml ../Cargo.lock -newer "$wasm" -print -quit)" ]; then
  (cd .. && CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR=target/wasm-worker wasm-pack build crate --release --target web \
    --out-dir ../worker/pkg --no-default-features --features worker)
fi
esbuild bench/jose-worker.js --bundle --format=esm --platform=neutral --conditions=workerd,worker,browser \
  --main-fields=module,main --outfile=bench/.build/jose-worker.js --log-level=warning
node bench/bench.mjs
