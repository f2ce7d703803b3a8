#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs (idempotent, fast the
# second time), then runs every check. README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

# Everything is also written to a log, so the summary can count what every runner reported.
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
exec > >(tee "$LOG") 2>&1

step "toolchain"
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p entra-edge-auth --lib --no-default-features --features browser,worker \
  --target wasm32-unknown-unknown -- -D warnings
# The browser package alone: without the `alb` feature (which `worker` turns on).
cargo clippy -p entra-edge-auth --lib --no-default-features --features browser \
  --target wasm32-unknown-unknown -- -D warnings

step "core: native tests (vectors, verifiers, key cache, protocol, policy, CLI)"
cargo test --workspace
# The browser adapter's native unit tests (its refresh rule): its own feature set and target
# directory, as the worker adapter's are in worker/test/run.sh.
CARGO_TARGET_DIR=target/browser-native \
  cargo test -p entra-edge-auth --lib --no-default-features --features browser wasm::browser

step "core: mutation testing of the security checks HEAD changed (crate/mutants-diff.sh)"
# HEAD against its first parent; nothing to do (and nothing installed) when no measured
# module changed. Bounded by MUTANTS_DIFF_BUDGET seconds.
bash crate/mutants-diff.sh

step "core: fuzz targets built and run ${FUZZ_SECONDS:=5} s each (nightly, cargo-fuzz)"
bash crate/fuzz/run.sh "$FUZZ_SECONDS"

step "core: builds for wasm32"
cargo build -p entra-edge-auth --target wasm32-unknown-unknown
cargo build -p entra-edge-auth --lib --no-default-features --features browser,worker \
  --target wasm32-unknown-unknown

step "edge worker: workerd tests, Wycheproof through WebCrypto, dry-run bundle"
bash worker/test/run.sh

step "browser package: end to end in headless Chromium, wasm-bindgen-test (Wycheproof via WebCrypto)"
bash tests/browser/run.sh

step "summary"
# One plain closing line over every runner above (cargo's per-binary lines are in the log).
passed=0; failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
  grep -hoE 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$LOG" \
    | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed/\1 \2/')
# node --test closes with "# pass N" and "# fail N".
while read -r p; do passed=$((passed + p)); done < <(grep -hoE '^# pass [0-9]+' "$LOG" | grep -oE '[0-9]+')
while read -r f; do failed=$((failed + f)); done < <(grep -hoE '^# fail [0-9]+' "$LOG" | grep -oE '[0-9]+')
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
