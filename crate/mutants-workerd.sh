#!/usr/bin/env bash
# The second stage of the worker module's mutation score: the mutants of
# crate/src/wasm/worker/*.rs that its native unit tests miss (crate/mutants.sh worker), each
# built into the worker and run against the worker's own tests in workerd.
#
#   bash crate/mutants.sh worker && bash crate/mutants-workerd.sh
#   MUTANTS_LIMIT=2 bash crate/mutants-workerd.sh     the first two only (a trial)
#
# Why: much of the adapter reads the runtime's `env` object or calls into JS (settings, URL
# parsing, the request), which no native test can reach; those checks are tested in workerd
# (worker/test/*.test.mjs). cargo-mutants only runs cargo tests, so it counts them as missed.
#
# For each mutant cargo-mutants listed as missed: a clean copy of HEAD (a git worktree under
# target/), the mutant's diff applied, the worker built (wasm-pack, no wasm-opt: the tests
# need behaviour, not speed), then the worker's test files one at a time, the ones about
# settings first, stopping at the first that fails (caught); only files that pass on the
# unmutated build count. A mutant no file fails is
# missed; one crate/mutants-accepted.txt lists (an equivalent mutant) is not run. Prints caught / missed / accepted and
# exits 1 on a missed one. A measurement, not part of README's test command: about a minute
# per caught mutant on two cores, several for a missed one.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RESULTS="${MUTANTS_RESULTS:-$ROOT/target/mutants/worker/mutants.out}"
TREE="$ROOT/target/mutants/workerd-tree"
OUT="$ROOT/target/mutants/workerd"
# Settings and refusals first: most mutants here break a setting's check.
FILES=(config hardening defences gate workerd entra pools keys decision-log assertion smoke wycheproof)

[ -f "$RESULTS/outcomes.json" ] || { echo "no $RESULTS/outcomes.json: run bash crate/mutants.sh worker first" >&2; exit 2; }
# As worker/test/run.sh: an empty or stale node_modules (a fresh checkout leaves the folder
# empty) is installed again, or every test file would fail its unmutated run.
if [ ! -f worker/node_modules/.package-lock.json ] || [ worker/package-lock.json -nt worker/node_modules/.package-lock.json ]; then
  (cd worker && npm ci --no-audit --no-fund)
fi
# The Python origin of the assertion tests needs PyJWT, as worker/test/run.sh arranges it.
if python3 -c 'import jwt, cryptography' 2>/dev/null; then
  export PYTHON_WITH_PYJWT=python3
elif /usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null; then
  export PYTHON_WITH_PYJWT=/usr/bin/python3
fi
mkdir -p "$OUT"

# name<TAB>file<TAB>diff path, for every missed mutant.
python3 - "$RESULTS" >"$OUT/missed.tsv" <<'EOF'
import json, sys, os
results = sys.argv[1]
for o in json.load(open(os.path.join(results, "outcomes.json")))["outcomes"]:
    if o["summary"] != "MissedMutant":
        continue
    m = o["scenario"]["Mutant"]
    print(f'{m["name"]}\t{m["file"]}\t{os.path.join(results, o["diff_path"])}')
EOF
if [ -n "${MUTANTS_LIMIT:-}" ]; then
  head -n "$MUTANTS_LIMIT" "$OUT/missed.tsv" >"$OUT/missed.tsv.part" && mv "$OUT/missed.tsv.part" "$OUT/missed.tsv"
fi
total=$(grep -c . "$OUT/missed.tsv" || true)
echo "worker mutants missed by the native tests: $total"

git worktree remove --force "$TREE" 2>/dev/null || rm -rf "$TREE"
git worktree prune
git worktree add --quiet --detach "$TREE" HEAD
trap 'git worktree remove --force "$TREE" 2>/dev/null || true' EXIT
ln -s "$ROOT/worker/node_modules" "$TREE/worker/node_modules"

build() {
  (cd "$TREE" && CARGO_TARGET_DIR="$ROOT/target/wasm-worker-mutants" nice wasm-pack build crate --release \
    --no-opt --target web --out-dir ../worker/pkg --no-default-features --features worker)
}

# Each test file first runs once unmutated and must pass: a file that fails without any
# mutant (a missing tool, a busy machine) would count every mutant as caught.
build >"$OUT/baseline.log" 2>&1 || { echo "the unmutated worker does not build: $OUT/baseline.log" >&2; exit 1; }
passing=()
for f in "${FILES[@]}"; do
  if (cd "$TREE/worker" && timeout 600 node --test --test-concurrency=1 "test/$f.test.mjs") >>"$OUT/baseline.log" 2>&1; then
    passing+=("$f")
  else
    echo "test/$f.test.mjs fails without any mutant: left out (see $OUT/baseline.log)"
  fi
done
# No file passing unmutated means nothing can be measured (not "every mutant missed").
[ ${#passing[@]} -gt 0 ] || { echo "no worker test file passes without a mutant: nothing measured (see $OUT/baseline.log)" >&2; exit 1; }
FILES=("${passing[@]}")

accepted_names() {
  grep -vE '^\s*(#|$)' crate/mutants-accepted.txt | sed -E 's/\s+#.*$//'
}
strip_position() { sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'; }

caught=0; missed=0; accepted=0; n=0
: >"$OUT/caught.txt"; : >"$OUT/missed.txt"
while IFS=$'\t' read -r name file diff; do
  n=$((n + 1))
  # Listed as equivalent (with why): nothing for a test to catch.
  if accepted_names | grep -qxF -- "$(strip_position <<<"$name")"; then
    accepted=$((accepted + 1))
    echo "[$n/$total] accepted as equivalent: $name"
    continue
  fi
  git -C "$TREE" checkout --quiet -- .
  # cargo-mutants' diff names the mutation where the new file's path would be.
  sed -e "1s|^--- .*|--- a/$file|" -e "2s|^+++ .*|+++ b/$file|" "$diff" | git -C "$TREE" apply -
  log="$OUT/$n.log"
  if ! build >"$log" 2>&1; then
    echo "[$n/$total] unviable (does not build): $name"
    continue
  fi
  by=""
  for f in "${FILES[@]}"; do
    if ! (cd "$TREE/worker" && timeout 600 node --test --test-concurrency=1 "test/$f.test.mjs") >>"$log" 2>&1; then
      by="$f"; break
    fi
  done
  if [ -n "$by" ]; then
    caught=$((caught + 1)); echo "$name" >>"$OUT/caught.txt"
    echo "[$n/$total] caught by test/$by.test.mjs: $name"
  else
    missed=$((missed + 1)); echo "$name" >>"$OUT/missed.txt"
    echo "[$n/$total] MISSED: $name"
  fi
done <"$OUT/missed.tsv"
git -C "$TREE" checkout --quiet -- .
echo "worker mutants in workerd: $caught caught, $missed missed, $accepted accepted (of $total the native tests missed)"
[ "$missed" -eq 0 ]
