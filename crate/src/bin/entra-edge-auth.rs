//! `entra-edge-auth`: decode and verify tokens from the command line (native only).
//!
//! ```text
//! entra-edge-auth decode <jwt>
//! entra-edge-auth verify <jwt> [--source alb|cognito|entra] [--jwks FILE|URL]
//!     [--alb-key FILE|URL] [--region REGION] [--issuer ISS] [--audience AUD]
//!     [--client-id ID] [--signer ARN] [--token-use access|id] [--tenant TENANT]
//!     [--nonce NONCE] [--at UNIX_SECONDS] [--skew SECONDS]
//! entra-edge-auth verify-assertion <jws> --jwks FILE|URL --audience AUD [--issuer ISS]
//!     [--method M --path P] [--at UNIX_SECONDS] [--skew SECONDS]
//! ```
//!
//! This binary is the native adapter: it reads the clock and files and does the HTTP
//! fetches; every decision comes from the library.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run(std::env::args().skip(1).collect()));
}

#[cfg(target_arch = "wasm32")]
fn main() {}
