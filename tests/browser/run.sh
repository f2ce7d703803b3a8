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
# The built wasm's 64 KiB shadow stack holds the deepest inputs with half to spare.
if depths="$(node www/stack-depth.mjs)"; then tail -n 1 <<<"$depths"; else echo "$depths"; status_stack=1; fi
ensure_worker_wasm
cargo build --quiet -p local-obo-service
export OBO_BIN="$PWD/target/debug/local-obo-service"

# The end-to-end tests listen on fixed ports (tests/browser/helpers.mjs), 27110-27170 unless
# TEST_*_PORT say otherwise. A port another process holds would fail every test with
# EADDRINUSE, so when one is taken the suite moves to the next free block (28110-28170, …)
# and says who held it.
port_taken() {
  command -v ss >/dev/null || return 1 # iproute2; without it the tests' own errors say it
  ss -Hltn "sport = :$1" | grep -q .
}
choose_test_ports() {
  local base port taken
  [ -z "${TEST_PROVIDER_PORT:-}" ] || return 0 # the caller chose
  for base in 27100 28100 29100 30100 31100; do
    taken=""
    for port in $((base + 10)) $((base + 20)) $((base + 30)) $((base + 40)) $((base + 50)) $((base + 60)) $((base + 70)); do
      if port_taken "$port"; then taken="$port"; break; fi
    done
    if [ -z "$taken" ]; then
      export TEST_PROVIDER_PORT=$((base + 10)) TEST_OBO_PORT=$((base + 20)) TEST_WEB_PORT=$((base + 30)) \
        TEST_EDGE_PORT=$((base + 40)) TEST_ORIGIN_PORT=$((base + 50)) TEST_ALB_PORT=$((base + 60)) \
        TEST_ALB_LISTENER_PORT=$((base + 70))
      return 0
    fi
    echo "port $taken is in use, the end-to-end tests move to other ports:" >&2
    ss -Hltnp "sport = :$taken" >&2 || true
  done
  return 1
}

status=${status_stack:-0}
part "end to end (node --test, headless Chromium)"
mkdir -p tests/artifacts
(choose_test_ports || { echo "no free block of test ports" >&2; exit 1; }
  cd tests/browser && node --test --test-concurrency=1 --test-reporter=tap webcrypto.test.mjs login.test.mjs session.test.mjs flow.test.mjs workday.test.mjs tabs.test.mjs bundler.test.mjs alb-listener.test.mjs seed000.test.mjs) \
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
