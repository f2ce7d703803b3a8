#!/usr/bin/env bash
# The demo on the embedded local stack, one command on a fresh machine:
#   bash www/demo.sh
# installs what is missing (wasm target, wasm-pack, wasm-bindgen-cli, npm packages), builds
# the package, the edge worker's wasm (when missing or stale) and the local OBO service,
# starts the Entra-shaped provider, the OBO service, one edge gate (the workerd binary) in
# front of the origin (the API, and seed 000's app), the ALB listener and key endpoint, and
# the static server on 127.0.0.1 (the page's API calls and the ALB path reach that gate), prints
# the URLs, and stays in the foreground until Ctrl-C. Ports: PROVIDER_PORT (27010),
# OBO_PORT (27020), WEB_PORT (27030), EDGE_PORT (27040), ORIGIN_PORT (27050), ALB_PORT (27060).
# Short lifetimes to watch renewals (step 7 of the page): ACCESS_TOKEN_TTL and APP_TOKEN_TTL
# (seconds, default 3600); REQUIRE_ACRS=c1 makes the API answer a claims challenge until a
# step-up sign-in satisfied that authentication context.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../tests/stack/install.sh
source tests/stack/install.sh

echo "== toolchain and packages"
ensure_rust_wasm
ensure_npm www
ensure_npm tests/stack

echo "== building the package (www/pkg-web, www/pkg-bundler), the edge worker (worker/pkg) and the local OBO service"
bash www/build.sh
ensure_worker_wasm
cargo build --quiet -p local-obo-service

echo "== starting the local stack"
export OBO_BIN="$PWD/target/debug/local-obo-service"
exec node tests/stack/stack.mjs
