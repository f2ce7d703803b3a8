#!/usr/bin/env bash
# Mutation testing of the core's security checks with cargo-mutants: for each module, how
# many mutants the tests catch, miss, cannot build (unviable) or time out on.
#
#   bash crate/mutants.sh                 every module below
#   bash crate/mutants.sh jwt/checks keys only these (names from the table below)
#   MUTANTS_ITERATE=1 bash crate/mutants.sh jwt/checks
#       re-test only what the last run of that module missed or timed out on (after tests
#       were added); caught mutants stay caught
#   MUTANTS_SKIP_TESTS="defences" bash crate/mutants.sh jwt/checks
#       leave these test files (crate/tests/NAME.rs) out: how the score was before them
#
# A measurement, not a test: it takes hours for every module on two cores (one build and
# one test run per mutant), so it runs module by module, at low priority, one job at a time.
# Results: target/mutants/<module>/mutants.out/ (caught.txt, missed.txt, …); caught-all.txt
# and unviable-all.txt add up those of a run and the iterations after it. A missed
# mutant listed in crate/mutants-accepted.txt (an equivalent mutant, with the reason it
# cannot change a decision) is counted as accepted, not missed. Exits 1 when any module has
# a missed mutant that is not accepted.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# name | files (cargo-mutants --file globs, space-separated) | cargo features
MODULES=(
  "jwt/signature|crate/src/jwt/signature.rs|"
  "jwt/checks|crate/src/jwt/checks.rs|"
  "jwt/alb|crate/src/jwt/alb.rs|"
  "jwt/cognito|crate/src/jwt/cognito.rs|"
  "jwt/entra|crate/src/jwt/entra.rs|"
  "jwt/key|crate/src/jwt/key.rs|"
  "jwt/parse|crate/src/jwt/parse.rs|"
  "jwt/numeric_date|crate/src/jwt/numeric_date.rs|"
  "jwt/mod|crate/src/jwt/mod.rs|"
  "keys|crate/src/keys/*.rs|"
  "policy|crate/src/policy/*.rs|"
  "roles|crate/src/roles.rs|"
  "scopes|crate/src/scopes.rs|"
  "base64url|crate/src/base64url.rs|"
  "json_read|crate/src/json/read.rs|"
  "pkce|crate/src/pkce.rs|"
  "callback|crate/src/entra/callback.rs|"
  # The worker adapter's pure parts, through their native unit tests.
  "worker|crate/src/wasm/worker/forward.rs crate/src/wasm/worker/head.rs crate/src/wasm/worker/credential.rs crate/src/wasm/worker/token_cache.rs crate/src/wasm/worker/config.rs|worker"
)
TIMEOUT="${MUTANTS_TIMEOUT:-120}"          # seconds per test run (the baseline takes ~10)
BUILD_TIMEOUT="${MUTANTS_BUILD_TIMEOUT:-900}"
ACCEPTED="$ROOT/crate/mutants-accepted.txt"

command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked

# The native test targets: the library's unit tests and crate/tests/*.rs, less the skipped,
# less cli.rs (it tests the CLI binary, which is not measured and is slow to link) and less
# assertion.rs (the assertion module is not measured), with those features off: cargo
# refuses a test target whose required features are not built (crate/Cargo.toml). The Wycheproof and RFC 7515 vectors run too: they sit in the
# checkout (crate/tests/vectors/), which cargo-mutants copies, and take under a second.
test_args() {
  local features="$1" args=(--lib) skip=" cli assertion ${MUTANTS_SKIP_TESTS:-} " t
  if [ -n "$features" ]; then
    printf '%s\n' wasm::worker  # the worker build's unit tests only (with --cargo-arg=--lib)
    return
  fi
  for t in crate/tests/*.rs; do
    t="$(basename "$t" .rs)"
    [[ "$skip" == *" $t "* ]] || args+=(--test "$t")
  done
  printf '%s\n' "${args[@]}"
}

# A mutant's name without its line and column, so accepted entries survive edits above it.
strip_position() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'; }

accepted_names() {
  [ -f "$ACCEPTED" ] || return 0
  grep -vE '^\s*(#|$)' "$ACCEPTED" | sed -E 's/\s+#.*$//' | strip_position
}

count() { local n=0; [ -f "$1" ] && n=$(grep -c . "$1" || true); echo "${n:-0}"; }

wanted=("$@")
printf '%-18s %7s %7s %9s %9s %8s %8s\n' module caught missed accepted unviable timeout seconds
status=0
for entry in "${MODULES[@]}"; do
  IFS='|' read -r name files features <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $name "* ]]; then continue; fi
  out="$ROOT/target/mutants/$name"
  mkdir -p "$out"
  file_args=()
  for f in $files; do file_args+=(--file "$f"); done
  feature_args=(--no-default-features --features "${features:-rust-crypto,alb}")
  iterate_args=()
  [ -n "${MUTANTS_ITERATE:-}" ] && iterate_args=(--iterate)
  mapfile -t targs < <(test_args "$features")
  # The worker build: the library only (crate/tests/*.rs need rust-crypto, so building every
  # target fails the unmutated baseline and nothing is measured).
  cargo_args=()
  [ -n "$features" ] && cargo_args=(--cargo-arg=--lib)
  start=$(date +%s)
  # Exit status 2 means "some mutants were missed" and 3 "some timed out": the counts below
  # say which. 1 and 4 (bad arguments; the unmutated tree did not build or pass its tests)
  # mean nothing was measured, which must not print as a row of zeros.
  run_status=0
  nice -n 19 cargo mutants -p entra-edge-auth "${file_args[@]}" "${feature_args[@]}" \
    "${iterate_args[@]}" "${cargo_args[@]}" --jobs 1 --timeout "$TIMEOUT" --build-timeout "$BUILD_TIMEOUT" \
    --output "$out" -- "${targs[@]}" >"$out/log.txt" 2>&1 || run_status=$?
  seconds=$(( $(date +%s) - start ))
  if [ "$run_status" -eq 1 ] || [ "$run_status" -eq 4 ]; then
    printf '%-18s nothing measured: cargo-mutants exited %s (see %s)\n' "$name" "$run_status" "$out/log.txt"
    status=1
    continue
  fi
  results="$out/mutants.out"
  # An iteration re-tests only what was missed or timed out, so caught and unviable mutants
  # add up over the first run and the iterations after it.
  for kind in caught unviable; do
    if [ -n "${MUTANTS_ITERATE:-}" ]; then
      sort -u "$out/$kind-all.txt" "$results/$kind.txt" -o "$out/$kind-all.txt" 2>/dev/null || true
    else
      sort -u "$results/$kind.txt" -o "$out/$kind-all.txt" 2>/dev/null || : >"$out/$kind-all.txt"
    fi
  done
  missed_all="$(strip_position <"$results/missed.txt" 2>/dev/null || true)"
  # Not `sort -u`: two mutants can share a name once their positions are stripped, and
  # each line of the accepted list accepts one of them (comm pairs repeated lines).
  unaccepted="$(comm -23 <(sort <<<"$missed_all" | grep . || true) <(accepted_names | sort) || true)"
  n_missed=$(grep -c . <<<"$unaccepted" || true)
  n_accepted=$(( $(grep -c . <<<"$missed_all" || true) - n_missed ))
  printf '%-18s %7s %7s %9s %9s %8s %8s\n' "$name" "$(count "$out/caught-all.txt")" "$n_missed" \
    "$n_accepted" "$(count "$out/unviable-all.txt")" "$(count "$results/timeout.txt")" "$seconds"
  if [ "$n_missed" -gt 0 ]; then
    status=1
    sed 's/^/    missed: /' <<<"$unaccepted"
  fi
done
exit $status
