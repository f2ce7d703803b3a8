//! The wasm bindings. Conversions between Rust and `JsValue` happen in this module tree
//! and nowhere else; the core stays free of JS types.
//!
//! - [`webcrypto`]: the asynchronous signature backend both adapters use.
//! - [`js_error`]: crate errors as JS `Error` objects with a stable `code`.
//! - `browser` / `worker`: the two adapters, one per feature.

pub mod js_error;
pub mod webcrypto;

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "worker")]
pub mod worker;
