#!/usr/bin/env bash
# Fuzzes each target for a fixed budget and reports execs and findings.
#   bash crate/fuzz/run.sh [SECONDS_PER_TARGET]   (default 60)
# Needs the nightly toolchain and cargo-fuzz (both installed if missing).
# tests/run.sh runs it for a few seconds per target (FUZZ_SECONDS, default 5), so every
# target at least builds and starts in CI; longer runs are by hand. A crash found here
# becomes a regression test in crate/tests/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

# Seed the corpora with real tokens and keys from the test fixtures.
FUZZ_CORPUS_DIR="$PWD/corpus" cargo test --manifest-path ../Cargo.toml --test fuzz_seeds \
  -- --ignored --quiet >/dev/null

targets=$(cargo +nightly fuzz list)
printf '%-16s %12s %10s %s\n' target execs exec/s findings
status=0
for target in $targets; do
  log="$(mktemp)"
  if cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    findings=none
  else
    findings="CRASH (see crate/fuzz/artifacts/$target)"
    status=1
  fi
  execs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  rate=$(grep -aoE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  printf '%-16s %12s %10s %s\n' "$target" "$execs" "$rate" "$findings"
  rm -f "$log"
done
exit $status
