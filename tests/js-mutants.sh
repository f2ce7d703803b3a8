#!/usr/bin/env bash
# Hand-written mutation checks for the JavaScript that guards something (issue 14): the
# worker's entry (worker/src/index.js), the browser package's WebCrypto step
# (www/src/webcrypto.js) and its class (www/src/auth.js). cargo-mutants covers the Rust core
# (crate/mutants.sh); these files are small, so each defence in them gets one mutant that
# deletes or inverts it, and the test named for it must fail.
#
#   bash tests/js-mutants.sh            every mutant below (about 20 minutes on 2 cores)
#   bash tests/js-mutants.sh 3 5        only these (numbers from the table)
#
# For each mutant: the file is edited (the exact text must be there, or the script stops: a
# mutant that edits nothing would count as caught), the test runs, the file is restored.
# Each test first runs once unmutated and must pass, so a test broken by something else
# (a busy port, a slow machine) is reported as such, not as a caught mutant. A measurement,
# not part of README's test command: run it after changing these files. Needs what
# tests/browser/run.sh has installed and built (it uses the same fixed ports: not beside it).
# Exits 1 when a mutant survives.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export OBO_BIN="${OBO_BIN:-$root/target/debug/local-obo-service}"

# number | file | text | replacement | test (a key of run_test below) | what the mutant removes
# | why it cannot be caught, for a mutant that is accepted when it survives (else empty)
MUTANTS=(
  "1|worker/src/index.js|return new Response(JSON.stringify({ error: 'internal_error'|return fetch(request); return new Response(JSON.stringify({ error: 'internal_error'|worker-trap|a trap denies instead of forwarding|"
  "2|worker/src/index.js|headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },|headers: { 'content-type': 'application/json' },|worker-trap|the trap's deny is not cacheable|"
  "3|worker/src/index.js|      gate = null;|      // gate = null;|worker-trap|a trapped gate is rebuilt, not reused|the test's trap is a throw at the gate's first read of the request, before any of its state is borrowed, so reusing that gate is harmless; what rebuilding guards against (a trap half-way through a borrow) cannot be provoked without a test hook inside the wasm"
  "10|worker/src/index.js|      if (logWaitMs > 0 && Date.now() >= flushAt && gate.logWaiting()) flushLater(gate, ctx);|      // no timer|worker-log-batch|decision-log lines held back are written within LOG_BATCH_MS|"
  "4|www/src/webcrypto.js|  return crypto.subtle.verify(params, key, signature, data);|  return true;|browser-signature|WebCrypto's verdict decides|"
  "5|www/src/webcrypto.js|  if (!params) throw codedError('unsupported_algorithm', \`no WebCrypto check for \${alg}\`);|  if (!params) return true;|browser-webcrypto|an algorithm without a WebCrypto check is refused|"
  "6|www/src/webcrypto.js|Object.hasOwn(PARAMS, alg) ? PARAMS[alg] : undefined|PARAMS[alg]|browser-webcrypto|only the table's own names are algorithms|"
  "7|www/src/auth.js|    return grant.alg ? verifySignature(grant.alg, grant.jwk, grant.data, grant.signature) : false;|    return true;|browser-signature|the ID token's signature is verified at all|"
  "8|www/src/auth.js|    if (!this.#core.carriesAppToken(new URL(request.url).origin)) return fetch(request);|    if (false) return fetch(request);|browser-origins|the app token goes to apiOrigins only|"
  "9|www/src/auth.js|    store.removeItem(key);|    // store.removeItem(key);|browser-replay|a pending login is used once|"
)

# A mutant that makes its test hang past this is caught (the test failed); the unmutated
# run must finish well within it.
TEST_TIMEOUT="${TEST_TIMEOUT:-300}"
run_test() { timeout "$TEST_TIMEOUT" bash -c "$(declare -f one_test); one_test $1"; }
one_test() {
  case "$1" in
    worker-log-batch)
      (cd worker && node --test --test-name-pattern='LOG_BATCH' test/decision-log.test.mjs) ;;
    worker-trap)
      (cd worker && node --test --test-name-pattern='throws inside the wasm|500 internal_error' test/defences.test.mjs) ;;
    browser-signature)
      (cd tests/browser && node --test --test-concurrency=1 --test-name-pattern='signed with another key' login.test.mjs) ;;
    browser-replay)
      (cd tests/browser && node --test --test-concurrency=1 --test-name-pattern='replayed callback' login.test.mjs) ;;
    browser-origins)
      (cd tests/browser && node --test --test-concurrency=1 --test-name-pattern='outside apiOrigins' workday.test.mjs) ;;
    browser-webcrypto)
      (cd tests/browser && node --test webcrypto.test.mjs) ;;
    *) echo "unknown test $1" >&2; return 2 ;;
  esac
}

wanted=" $* "
selected=()
for row in "${MUTANTS[@]}"; do
  n="${row%%|*}"
  if [ -z "${*:-}" ] || [[ "$wanted" == *" $n "* ]]; then selected+=("$row"); fi
done

backup="$(mktemp -d)"
restore() { [ -z "${current:-}" ] || cp "$backup/current" "$current"; }
trap 'restore; rm -rf "$backup"' EXIT

declare -A baseline=()
caught=0; survived=0; accepted=0; broken=0
for row in "${selected[@]}"; do
  IFS='|' read -r n file from to test what why <<<"$row"
  if [ -z "${baseline[$test]:-}" ]; then
    if run_test "$test" >"$backup/log" 2>&1; then baseline[$test]=ok; else baseline[$test]=failed; fi
  fi
  if [ "${baseline[$test]}" != ok ]; then
    echo "mutant $n ($what): test '$test' fails without any mutant; not measured"
    broken=$((broken + 1)); continue
  fi
  grep -qF -- "$from" "$file" || { echo "mutant $n: text not found in $file; update the table" >&2; exit 2; }
  current="$file"; cp "$file" "$backup/current"
  FROM="$from" TO="$to" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$file"
  if run_test "$test" >"$backup/log" 2>&1; then
    if [ -n "$why" ]; then
      echo "mutant $n survived, accepted ($what): $why"
      accepted=$((accepted + 1))
    else
      echo "mutant $n SURVIVED ($what): $file"
      survived=$((survived + 1))
    fi
  else
    echo "mutant $n caught ($what) by '$test'"
    caught=$((caught + 1))
  fi
  restore; current=""
done
echo "js mutants: $caught caught, $survived survived, $accepted accepted, $broken not measured"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
