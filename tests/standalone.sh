#!/usr/bin/env bash
# The repository stands on its own: no tracked test, script or manifest reads a path outside
# the checkout (tests/standalone/paths.mjs), and the Rust vector tests pass from a copy of the
# tracked files in a fresh temporary folder, where nothing from this machine sits beside the
# checkout (the Wycheproof vectors used to be read from the shared folder beside it). tests/run.sh runs
# this early. Reuses the checkout's target/ for the dependencies, so the copy compiles only
# the crate. Cargo names path packages by their place in the workspace, so the copy could
# reuse a test binary built elsewhere (which reads that place's files): fresh file times
# make cargo rebuild it, and a profile override for the crate alone gives its artifacts
# their own names, leaving the checkout's in place.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

node tests/standalone/paths.mjs

copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
git ls-files -z | tar --null -T - -cf - | tar -xmf - -C "$copy/"  # -m: fresh times, so cargo rebuilds from the copy
(cd "$copy" && CARGO_TARGET_DIR="$ROOT/target" cargo test --quiet -p entra-edge-auth --test vectors \
  --config 'profile.dev.package.entra-edge-auth.debug="line-tables-only"')
echo "standalone: the vector tests pass from a copy of the tracked files ($copy)"
