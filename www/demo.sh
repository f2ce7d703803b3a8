#!/usr/bin/env bash
# The demo on the embedded local stack, one command on a fresh machine:
#   bash www/demo.sh
# installs what is missing (wasm target, wasm-pack, wasm-bindgen-cli, npm packages), builds
# the package and the local OBO service, starts the Entra-shaped provider, the OBO service
# and the static server on 127.0.0.1, prints the URL, and stays in the foreground until
# Ctrl-C. Ports: PROVIDER_PORT (47010), OBO_PORT (47020), WEB_PORT (47030).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../tests/stack/install.sh
source tests/stack/install.sh

echo "== toolchain and packages"
ensure_rust_wasm
ensure_npm www
ensure_npm tests/stack

echo "== building the package (www/pkg-web, www/pkg-bundler) and the local OBO service"
bash www/build.sh
cargo build --quiet -p local-obo-service

echo "== starting the local stack"
export OBO_BIN="$PWD/target/debug/local-obo-service"
exec node tests/stack/stack.mjs
