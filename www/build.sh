#!/usr/bin/env bash
# Builds the package: the core with feature `browser` (no pure-Rust crypto: WebCrypto
# verifies) for bundlers (pkg-bundler/) and for the web (pkg-web/), each through
# wasm-opt -Oz (npm binaryen: Debian's is too old). Needs wasm-pack, wasm-bindgen-cli of
# the pinned version, the wasm32 target and `npm ci` here (www/demo.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/www/node_modules/.bin:$PATH"
# The shadow stack: 64 KiB instead of rustc's 1 MiB default, which the page would otherwise
# hold as wasm memory from instantiation on. The deepest call measured is about 17 KB (a
# token answer whose ID token nests JSON to the reader's limit); `node www/stack-depth.mjs`
# measures it on the built file and fails when it passes half of this (tests/browser/run.sh).
STACK_BYTES="${WASM_STACK_BYTES:-65536}" # a smaller one only to see www/stack-depth.mjs fail
for target in web bundler; do
  out="www/pkg-$target"
  RUSTFLAGS="-C link-arg=-zstack-size=$STACK_BYTES" \
  CARGO_TARGET_DIR="$PWD/target/wasm-browser" wasm-pack --log-level warn build crate --release \
    --target "$target" --out-dir "../$out" --no-pack --no-opt \
    --no-default-features --features browser
  # The shipped file keeps no names, producers or target-features sections: only linkers
  # read those. (Not `strip = "symbols"` in the profile: wasm-opt then fails validation.)
  wasm-opt -Oz --strip-producers --strip-target-features \
    "$out/entra_edge_auth_bg.wasm" -o "$out/entra_edge_auth_bg.wasm"
  # wasm-pack marks its output git-ignored; the package publishes it.
  rm -f "$out/.gitignore"
done
