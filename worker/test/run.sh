#!/usr/bin/env bash
# The edge worker's tests, from a fresh machine: installs what it needs (idempotent, fast the
# second time), builds the core to wasm, runs the adapter's unit tests and the workerd tests
# (node --test, Miniflare, servers on 127.0.0.1), then `wrangler deploy --dry-run` from what
# `npm pack` ships, and the bundle size. Exits non-zero on any failure.
set -euo pipefail
WORKER="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "$WORKER/.." && pwd)"
WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=…"` pin in crate/Cargo.toml

# Each step's wall time when it ends (tests/run.sh lists the suites' totals).
STEP_NAME=""; STEP_START=$SECONDS
step_time() { [ -z "$STEP_NAME" ] || echo "(worker: ${STEP_NAME}: $((SECONDS - STEP_START)) s)"; }
step() { step_time; STEP_NAME="$*"; STEP_START=$SECONDS; printf '\n=== worker: %s\n' "$*"; }

step "toolchain"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! wasm-pack --version 2>/dev/null | grep -q '^wasm-pack 0\.15\.'; then
  cargo install wasm-pack --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Not --locked: one of its locked dependencies is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
# The WSGI origin in test/origins/ (a real CGI-style header merge) runs on Python 3.
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3; }
# The assertion-verifying Python origin (test/origins/assertion_origin.py) needs PyJWT with
# its ES256 support: Debian's python3-jwt and python3-cryptography, for the system Python
# (a python3 earlier on PATH, pyenv's say, may lack them; it is used when it has them).
if python3 -c 'import jwt, cryptography' 2>/dev/null; then
  PYTHON_WITH_PYJWT=python3
else
  /usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null \
    || { apt-get update -qq && apt-get install -y -qq python3-jwt python3-cryptography; }
  PYTHON_WITH_PYJWT=/usr/bin/python3
fi
export PYTHON_WITH_PYJWT
cd "$WORKER"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# wasm-opt from npm `binaryen` (Debian's is too old for wasm-bindgen's output).
export PATH="$WORKER/node_modules/.bin:$PATH"

step "build the core to wasm (worker feature), unless worker/pkg is newer than its sources"
# opt-level 3 for the worker build only: the edge trades ~50 KB for speed on every request.
# One function builds it for this suite and tests/browser/run.sh (tests/stack/install.sh's
# ensure_worker_wasm), so README's test command builds it once and a second run not at all.
(cd "$ROOT" && source tests/stack/install.sh && ensure_worker_wasm)

step "adapter unit tests (native)"
(cd "$ROOT" && CARGO_TARGET_DIR=target/worker-native \
  cargo test -p entra-edge-auth --lib --no-default-features --features worker wasm::worker)

step "the CLI, for the origin-side checks of the assertion tests (verify-assertion)"
(cd "$ROOT" && cargo build --quiet -p entra-edge-auth --bin entra-edge-auth)
export ENTRA_EDGE_AUTH_CLI="$ROOT/target/debug/entra-edge-auth"

step "workerd tests (Miniflare)"
export WYCHEPROOF_DIR="${WYCHEPROOF_DIR:-$ROOT/crate/tests/vectors/wycheproof}"
node --test --test-concurrency=1 test/*.test.mjs

step "wrangler deploy --dry-run, from what npm pack ships"
# Deployed the way a user deploys: from a folder holding only what `npm pack` ships (the
# package.json `files`), not from this checkout, so a file the worker needs but the package
# leaves out fails here (it caught pkg/snippets/, which the wasm glue imports). wasm-pack
# writes pkg/.gitignore ("*"), which npm pack honours inside folders even under `files`;
# the repository's own .gitignore keeps pkg/ out of git.
rm -f pkg/.gitignore
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false \
  WRANGLER_SEND_ERROR_REPORTS=false XDG_CONFIG_HOME="$WORKER/.wrangler-config"
shipped="$(mktemp -d)"
trap 'rm -rf "$shipped"' EXIT
tarball="$(npm pack --silent --pack-destination "$shipped")"
tar -xzf "$shipped/$tarball" -C "$shipped"   # into $shipped/package
echo "npm pack: $(cd "$shipped/package" && find . -type f | sort | tr '\n' ' ')"
rm -rf dist
(cd "$shipped/package" && "$WORKER/node_modules/.bin/wrangler" deploy --dry-run --outdir "$WORKER/dist" > /dev/null)
raw=$(cat dist/*.js dist/*.wasm | wc -c)
gz=$(cat dist/*.js dist/*.wasm | gzip -9 | wc -c)
wasm=$(cat dist/*.wasm | wc -c)
echo "bundle: ${raw} bytes (${gz} gzipped); wasm ${wasm} bytes"
step_time
