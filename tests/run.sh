#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs (idempotent, fast the
# second time), then runs every check. README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's wall time, printed as it ends and listed again in the summary: what dominates.
STEP_NAME=""; STEP_START=$SECONDS; TIMES=()
end_step() {
  [ -z "$STEP_NAME" ] || TIMES+=("$(printf '%5ss  %s' $((SECONDS - STEP_START)) "$STEP_NAME")")
}
step() { end_step; STEP_NAME="$*"; STEP_START=$SECONDS; printf '\n=== %s\n' "$*"; }

# Everything is also written to a log, so the summary can count what every runner reported.
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
exec > >(tee "$LOG") 2>&1

step "toolchain"
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

step "the repository stands alone (no test reads outside the checkout)"
bash tests/standalone.sh

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

step "core as a crate: the README example runs, docs build without warnings, cargo package"
cargo run --quiet -p entra-edge-auth --example verify_alb
# Two module docs (jwt::signature, keys) link to private items; the links resolve with
# --document-private-items and are harmless on docs.rs, every other rustdoc lint is an error.
RUSTDOCFLAGS="-Dwarnings -Arustdoc::private-intra-doc-links" cargo doc --quiet --no-deps -p entra-edge-auth
# Verified: the packed crate builds on its own (a file its code includes but `include` leaves
# out fails here). About 50 s of CPU: outside the workspace the dependencies build again.
package_log="$(cargo package -p entra-edge-auth --allow-dirty 2>&1)" || { echo "$package_log"; exit 1; }
grep -E '^ *Packaged ' <<<"$package_log"

step "core: builds for wasm32"
cargo build -p entra-edge-auth --target wasm32-unknown-unknown
cargo build -p entra-edge-auth --lib --no-default-features --features browser,worker \
  --target wasm32-unknown-unknown

step "edge worker: workerd tests, Wycheproof through WebCrypto, dry-run bundle"
bash worker/test/run.sh

step "browser package: end to end in headless Chromium, wasm-bindgen-test (Wycheproof via WebCrypto)"
bash tests/browser/run.sh

step "summary"
printf '%s\n' "${TIMES[@]}"
echo "total: $((SECONDS / 60)) min $((SECONDS % 60)) s (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
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
