#!/usr/bin/env bash
# The browser package's tests, one command on a fresh machine:
#   bash tests/browser/run.sh
# 1. end to end in headless Chromium (Debian's chromium, playwright-core) against the local
#    stack, with Node's test runner: sign-in for each demo user, bad callbacks, OBO
#    failures, refresh, logout, and the whole chain through the edge worker under workerd
#    to the origin API, ALB-style requests included (tests/browser/*.test.mjs),
#    the package README's Vite example built with Vite (tests/bundler), and seed 000:
#    the ALB listener stand-in signing users in, in front of the self-hosted workerd gate
#    (alb-listener.test.mjs, seed000.test.mjs);
#    then the MSAL.js comparison benchmark once, as a check that it still runs (tests/compare);
# 2. wasm-bindgen-test in headless Chromium: PKCE from crypto.getRandomValues and the
#    WebCrypto backend against Project Wycheproof (tests/browser/wasm).
# Installs what is missing first (idempotent). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../stack/install.sh
source tests/stack/install.sh

# Each part's wall time when it ends (tests/run.sh lists the suites' totals).
PART=""; PART_START=$SECONDS
part() {
  [ -z "$PART" ] || echo "(browser: ${PART}: $((SECONDS - PART_START)) s)"
  PART="$*"; PART_START=$SECONDS
  [ -z "$PART" ] || echo "== $PART"
}

cleanup() {
  # The stacks live inside the test processes and stop with them; this catches anything
  # still running from this script (e.g. after Ctrl-C).
  local pids
  pids="$(jobs -p)"
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
}
trap cleanup EXIT

part "toolchain and packages"
ensure_chromium
ensure_rust_wasm
ensure_npm www
ensure_npm tests/stack
ensure_npm tests/browser
ensure_npm tests/bundler

part "build: the package, the edge worker's wasm and the local OBO service"
bash www/build.sh
ensure_worker_wasm
cargo build --quiet -p local-obo-service
export OBO_BIN="$PWD/target/debug/local-obo-service"

# The end-to-end tests listen on fixed ports (tests/browser/helpers.mjs, tests/compare/bench.mjs).
# A port someone else holds would fail every test with EADDRINUSE; say up front who holds it.
ports_free() {
  local port busy=0
  command -v ss >/dev/null || return 0 # iproute2; without it the tests' own errors say it
  for port in "$@"; do
    if ss -Hltn "sport = :$port" | grep -q .; then
      echo "port $port is already in use:" >&2
      ss -Hltnp "sport = :$port" >&2 || true
      busy=1
    fi
  done
  return "$busy"
}

status=0
part "end to end (node --test, headless Chromium)"
ports_free "${TEST_PROVIDER_PORT:-27110}" "${TEST_OBO_PORT:-27120}" "${TEST_WEB_PORT:-27130}" \
  "${TEST_EDGE_PORT:-27140}" "${TEST_ORIGIN_PORT:-27150}" "${TEST_ALB_PORT:-27160}" \
  "${TEST_ALB_LISTENER_PORT:-27170}" || status=1
mkdir -p tests/artifacts
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=tap login.test.mjs session.test.mjs flow.test.mjs workday.test.mjs tabs.test.mjs bundler.test.mjs alb-listener.test.mjs seed000.test.mjs) \
  || status=1

part "the MSAL.js comparison runs end to end once (both apps sign in; tests/compare)"
BENCH_RUNS=1 bash tests/compare/run.sh || status=1

part "browser adapter in headless Chromium (wasm-bindgen-test)"
(
  cd tests/browser/wasm
  CARGO_TARGET_DIR="$OLDPWD/target/wasm-browser-tests" \
    WASM_BINDGEN_TEST_TIMEOUT=120 wasm-pack test --headless --chrome
) || status=1

part ""
for shot in tests/artifacts/demo-signed-in.png tests/artifacts/demo-through-worker.png; do
  if [ -f "$shot" ]; then echo "screenshot: $shot"; fi
done
exit "$status"
