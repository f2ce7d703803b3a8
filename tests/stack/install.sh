# Sourced by www/demo.sh and tests/browser/run.sh: installs what the demo and the browser
# tests need on a fresh machine, skipping whatever is already there (a second run is fast).
# Everything comes from the package registries (crates.io, npm, Debian).

# The wasm-bindgen version the crate pins (Cargo.lock); the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_rust_wasm() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || rustup target add wasm32-unknown-unknown
  command -v wasm-pack >/dev/null || cargo install wasm-pack --locked
  local want
  want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    # Not --locked: the CLI's own lock file does not build here.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# npm ci in a folder unless its node_modules was installed from the current lock file.
ensure_npm() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] \
    || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null; then
    apt-get update && apt-get install -y chromium chromium-driver
  fi
}

# The edge worker's wasm (worker/pkg), built as worker/test/run.sh builds it, when it is
# missing or older than the core's sources. wasm-pack runs cargo inside crate/, so the
# target folder is given as an absolute path. wasm-opt comes from the worker's npm
# `binaryen` (Debian's is too old).
ensure_worker_wasm() {
  ensure_npm worker
  local wasm=worker/pkg/entra_edge_auth_bg.wasm
  # The workspace Cargo.toml too: it holds the release profile (opt-level, LTO).
  if [ -f "$wasm" ] && [ -z "$(find crate/src crate/Cargo.toml Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]; then
    return 0
  fi
  (
    export PATH="$PWD/worker/node_modules/.bin:$PATH"
    CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR="$PWD/target/wasm-worker" \
      wasm-pack build crate --release --target web --out-dir ../worker/pkg \
      --no-default-features --features worker
  )
}
