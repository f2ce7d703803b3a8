#!/usr/bin/env bash
# How small the package could get by trimming messages: builds a probe of the browser wasm
# from a copy of this tree in which every human message is gone (`format!` yields an empty
# string, `Error` keeps only its code), with the shipped build's flags (web target, wasm-opt
# -Oz), and prints `node www/size.mjs` for it. Nothing here is shipped; it measures the
# code that the issue's decisions need on their own (issue 3's size target).
#   bash www/size-floor.sh             stable toolchain, as shipped
#   FLOOR_NIGHTLY=1 bash www/size-floor.sh
#                                       also without panic and formatting code (nightly,
#                                       -Cpanic=immediate-abort with -Zbuild-std; needs
#                                       rustup's rust-src for nightly)
#   FLOOR_SIGNIN_ONLY=1 bash www/size-floor.sh
#                                       messages kept, but without the working day's exports
#                                       (issue 13: auth.fetch, tokens per resource, tabs,
#                                       deep links): what an app calling only the sign-in
#                                       functions would load at best from a split build
# Needs what www/build.sh needs (wasm32 target, wasm-bindgen-cli, `npm ci` in www/).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$root/www/node_modules/.bin:$PATH"
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
tar -C "$root" --exclude=./target --exclude=node_modules --exclude=./.git -cf - \
  Cargo.toml Cargo.lock crate tests/obo-service | tar -C "$copy" -xf -

# Replace `pattern` by `replacement` (perl, literal) in one file, or stop if it is not there:
# a probe that silently edited nothing would report the shipped size as the floor.
edit() {
  local file="$copy/crate/src/$1"
  grep -qF -- "$2" "$file" || { echo "size-floor: '$2' not found in crate/src/$1" >&2; exit 1; }
  FROM="$2" TO="$3" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$file"
}
if [ "${FLOOR_SIGNIN_ONLY:-}" = 1 ]; then
  for call in appToken carriesAppToken apiVerdict denyCode scopeKey resourceToken resourceRequest \
    readResource peerIsNewer loginReturn; do
    edit wasm/browser/mod.rs "#[wasm_bindgen(js_name = $call)]" "#[cfg(any())] #[wasm_bindgen(js_name = $call)]"
  done
else
  edit lib.rs 'pub mod base64url;' \
    'macro_rules! format { ($($t:tt)*) => { ::std::string::String::new() } }
pub mod base64url;'
  edit error.rs 'message: Cow::Owned(message.into()),' 'message: { drop(message); Cow::Borrowed("") },'
  edit error.rs 'message: Cow::Borrowed(message),' 'message: { let _ = message; Cow::Borrowed("") },'
fi

target="$root/target/size-floor"
[ "${FLOOR_SIGNIN_ONLY:-}" = 1 ] && target="$root/target/size-floor-signin"
wasm="$target/wasm32-unknown-unknown/release/entra_edge_auth.wasm"
args=(-p entra-edge-auth --lib --release --target wasm32-unknown-unknown --no-default-features --features browser)
if [ "${FLOOR_NIGHTLY:-}" = 1 ]; then
  target="$root/target/size-floor-nightly"
  wasm="$target/wasm32-unknown-unknown/release/entra_edge_auth.wasm"
  (cd "$copy" && RUSTFLAGS="-Cpanic=immediate-abort -Zunstable-options -Zlocation-detail=none -Zfmt-debug=none" \
    CARGO_TARGET_DIR="$target" cargo +nightly build --quiet -Zbuild-std=std,panic_abort "${args[@]}" 2>/dev/null)
else
  (cd "$copy" && CARGO_TARGET_DIR="$target" cargo build --quiet "${args[@]}" 2>/dev/null)
fi
wasm-bindgen --target web --out-dir "$copy/pkg" "$wasm"
wasm-opt -Oz --strip-producers --strip-target-features "$copy/pkg/entra_edge_auth_bg.wasm" -o "$copy/floor.wasm"
node www/size.mjs "$copy/floor.wasm"
