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
