#!/usr/bin/env bash
# CI's mutation step: cargo-mutants on the lines of the security checks that the commit
# under test changed, so a new or changed check arrives with a test that fails without it.
#
#   bash crate/mutants-diff.sh
#
# The diff: HEAD against its first parent (`git diff HEAD^1 HEAD`). CI runs on a fresh clone
# of main, where the commit under test is either the lead's merge of a branch (its first
# parent is main before the merge, so the diff is everything the branch brought) or a plain
# commit (the diff is that commit). No merge-base guessing against a remote is needed, and a
# shallow clone only has to be deepened by one commit.
#
# Only the modules crate/mutants.sh measures count (paths below). No change there: nothing
# is installed or built. Bounded by MUTANTS_DIFF_BUDGET seconds (default 1200): past it,
# the step stops, says so and does not fail (the full measurement is crate/mutants.sh). A
# missed mutant fails the step unless crate/mutants-accepted.txt lists it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUDGET="${MUTANTS_DIFF_BUDGET:-1200}"

PATHS=(
  crate/src/jwt crate/src/keys crate/src/policy crate/src/roles.rs crate/src/scopes.rs
  crate/src/base64url.rs crate/src/json/read.rs crate/src/pkce.rs crate/src/entra/callback.rs
  crate/src/wasm/worker/forward.rs crate/src/wasm/worker/head.rs
  crate/src/wasm/worker/credential.rs crate/src/wasm/worker/token_cache.rs
  crate/src/wasm/worker/config.rs
)

if ! git rev-parse --verify --quiet HEAD^1 >/dev/null; then
  git fetch --quiet --deepen=1 2>/dev/null || true
fi
if ! git rev-parse --verify --quiet HEAD^1 >/dev/null; then
  echo "mutants: HEAD has no parent here; nothing to compare against"
  exit 0
fi

out="$ROOT/target/mutants/diff"
mkdir -p "$out"
git diff HEAD^1 HEAD -- "${PATHS[@]}" >"$out/changes.diff"
if [ ! -s "$out/changes.diff" ]; then
  echo "mutants: no change to the measured security checks in HEAD"
  exit 0
fi
git diff --stat HEAD^1 HEAD -- "${PATHS[@]}"
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked

# The worker modules need the worker feature; the rest run without the CLI (as in
# crate/mutants.sh). Two runs, each only when its files changed.
run() {
  local name="$1" features="$2"; shift 2
  local files=() f
  for f in "$@"; do
    grep -q "^+++ b/$f" "$out/changes.diff" && files+=(--file "$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  # Every test target but cli.rs and assertion.rs, the Wycheproof vectors included (they are
  # in the checkout).
  local tests=(--lib) cargo_args=()
  if [ "$features" = "rust-crypto,alb" ]; then
    for t in crate/tests/*.rs; do
      t="$(basename "$t" .rs)"
      # cli.rs and assertion.rs need features this build leaves out (crate/Cargo.toml).
      [ "$t" = cli ] || [ "$t" = assertion ] || tests+=(--test "$t")
    done
  else
    # The library only, built and tested: crate/tests/*.rs need rust-crypto, so building
    # every target with the worker feature fails the unmutated baseline.
    cargo_args=(--cargo-arg=--lib)
    tests=(wasm::worker)
  fi
  local status=0
  timeout "$BUDGET" nice cargo mutants -p entra-edge-auth --in-diff "$out/changes.diff" "${files[@]}" \
    --no-default-features --features "$features" "${cargo_args[@]}" --jobs 1 --timeout 120 --build-timeout 900 \
    --output "$out/$name" -- "${tests[@]}" || status=$?
  if [ "$status" -eq 124 ]; then
    echo "mutants ($name): stopped after ${BUDGET}s; the result is incomplete (not a failure)"
    return 0
  fi
  # cargo-mutants: 2 = missed mutants (counted below), 3 = timeouts; 1 and 4 (the unmutated
  # tree did not build or pass) mean nothing was measured, which must not read as a pass.
  if [ "$status" -eq 1 ] || [ "$status" -eq 4 ]; then
    echo "mutants ($name): cargo-mutants failed (exit $status) before measuring any mutant"
    return 1
  fi
  local missed
  missed="$(sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' "$out/$name/mutants.out/missed.txt" 2>/dev/null | sort \
    | comm -23 - <(grep -vE '^\s*(#|$)' crate/mutants-accepted.txt | sed -E 's/\s+#.*$//' | sort) || true)"
  if [ -n "$missed" ]; then
    echo "mutants ($name): missed, and not in crate/mutants-accepted.txt:"
    sed 's/^/    /' <<<"$missed"
    return 1
  fi
  echo "mutants ($name): every mutant of the changed lines is caught or accepted"
}

files_under() { git diff --name-only HEAD^1 HEAD -- "$@" | grep '\.rs$' || true; }
status=0
mapfile -t core < <(files_under "${PATHS[@]:0:9}")
mapfile -t worker < <(files_under "${PATHS[@]:9}")
[ ${#core[@]} -eq 0 ] || run core rust-crypto,alb "${core[@]}" || status=1
[ ${#worker[@]} -eq 0 ] || run worker worker "${worker[@]}" || status=1
exit $status
