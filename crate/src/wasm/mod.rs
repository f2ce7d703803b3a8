//! The wasm bindings. Conversions between Rust and `JsValue` happen in this module tree
//! and nowhere else; the core stays free of JS types.
//!
//! - `webcrypto`: the worker's asynchronous signature backend (feature `wasm`).
//! - `js_error`: crate errors as JS `Error` objects with a stable `code` (feature `wasm`).
//! - `browser` / `worker`: the two adapters, one per feature. The browser adapter uses
//!   neither of the above: its exports are synchronous, and the package's JS module does
//!   the I/O and WebCrypto.

#[cfg(feature = "wasm")]
pub mod js_error;
#[cfg(feature = "wasm")]
pub mod webcrypto;

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "worker")]
pub mod worker;
