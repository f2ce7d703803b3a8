//! entra-edge-auth: one sans-IO core for Entra ID login in the browser and token checks at the edge.
//!
//! Nothing in this crate performs I/O or reads the clock. Callers pass `now` (Unix seconds),
//! randomness-free inputs where possible, and the bodies of the HTTP answers they fetched;
//! the crate returns what to fetch, what to check and what was decided. The thin adapters
//! (the wasm bindings for the browser and the worker, the native CLI) do the fetching.
//!
//! The flow for a token is always: parse and pre-check (cheap, reject early) → signature
//! (a separate step, see [`jwt::signature`]) → claims.
//!
//! Size habits for the wasm builds (the browser package is measured by `www/size.mjs`):
//! untrusted JSON (tokens, key sets, provider answers) is read and written with the small
//! strict [`json`] module, never serde_json or serde derive, and messages never format
//! floats; operator configuration (policy, group table) may use serde_json, read with
//! `from_slice` only (`from_str` would compile the parser a second time); no
//! `#[serde(untagged)]` (it buffers through serde's `Content`); features leave out what an
//! adapter never calls (`alb` for the browser).

pub mod base64url;
pub mod error;
pub mod form;
pub mod quote;
pub mod text;
pub mod tuning;

pub mod entra;
pub mod obo;
pub mod pkce;
pub mod random;

pub mod identity;
pub mod json;
pub mod jwt;
pub mod keys;

pub mod policy;
pub mod roles;
pub mod scopes;

#[cfg(feature = "assertion")]
pub mod assertion;

#[cfg(feature = "rust-crypto")]
pub mod rust_crypto;

pub use error::{Error, ErrorCode, Result};
pub use tuning::Tuning;

#[cfg(any(feature = "wasm", feature = "browser"))]
pub mod wasm;
