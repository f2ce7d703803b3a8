//! The one place that asks the platform for randomness (`crypto.getRandomValues` in wasm,
//! the OS elsewhere). Everything else takes bytes, so tests can pass fixed ones.

use crate::error::{Error, ErrorCode, Result};

/// 32 bytes from the platform's secure random source.
pub fn random_32() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!("no secure random source available: {e}"),
        )
    })?;
    Ok(bytes)
}
