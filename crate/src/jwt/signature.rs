//! The signature step, kept apart from parsing and claims so that any backend can do it.
//!
//! A verifier's pre-check yields an [`UntrustedToken`]; given the key the caller looked up,
//! [`SignatureJob::new`] packs what must be checked: the algorithm (fixed by the verifier,
//! never by the header), the key, the signing input and the signature bytes. The caller
//! checks it with whatever it has:
//!
//! - natively and in tests, synchronously: [`SignatureJob::verify_with`] and the pure-Rust
//!   backend in [`crate::rust_crypto`];
//! - in wasm, asynchronously: the WebCrypto backend in `crate::wasm::webcrypto` imports the
//!   key (`importKey("jwk")` for RSA, `importKey("raw")` for P-256), awaits
//!   `crypto.subtle.verify`, and hands the boolean back through [`SignatureJob::finish`].
//!
//! Only `finish` turns a token into a [`SignedToken`], the one input claims validation takes.

use super::key::{Algorithm, PublicKey};
use super::parse::UntrustedToken;
use super::SignedToken;
use crate::error::{Error, ErrorCode, Result};

/// Something that can check a signature synchronously.
pub trait SignatureBackend {
    /// Whether `signature` is a valid `alg` signature of `message` under `key`. The job has
    /// already checked that `key` is of `alg`'s type and that the length is right.
    fn verify(&self, alg: Algorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool;
}

/// The checks made before any backend sees a signature: the key is of `algorithm`'s type
/// (so an RSA key can never be fed to an ES256 check, or the reverse) and the signature has
/// the exact length. ES256 signatures in JWS are raw `r ‖ s` (RFC 7518 §3.4), so a
/// DER-encoded one is refused here, before any backend that might accept DER sees it.
pub fn check_signature_shape(
    algorithm: Algorithm,
    key: &PublicKey,
    signature: &[u8],
) -> Result<()> {
    if key.algorithm() != algorithm {
        return Err(Error::new(
            ErrorCode::UnsupportedAlgorithm,
            format!("the key for this kid is not a {} key", algorithm.as_str()),
        ));
    }
    let expected_len = match key {
        PublicKey::P256(_) => 64,
        PublicKey::Rsa(rsa) => rsa.size_bytes(),
    };
    if signature.len() != expected_len {
        return Err(Error::new(
            ErrorCode::BadSignature,
            format!(
                "{} signature must be {expected_len} bytes, got {}",
                algorithm.as_str(),
                signature.len()
            ),
        ));
    }
    Ok(())
}

/// Everything a backend needs to check one signature.
#[derive(Debug)]
pub struct SignatureJob {
    token: UntrustedToken,
    algorithm: Algorithm,
    key: PublicKey,
}

impl SignatureJob {
    /// Binds `token` to `key` for `algorithm`, after [`check_signature_shape`].
    pub(crate) fn new(
        token: UntrustedToken,
        algorithm: Algorithm,
        key: &PublicKey,
    ) -> Result<Self> {
        check_signature_shape(algorithm, key, &token.signature)?;
        Ok(SignatureJob {
            token,
            algorithm,
            key: key.clone(),
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The ASCII bytes `BASE64URL(header) "." BASE64URL(payload)` exactly as received.
    pub fn signing_input(&self) -> &[u8] {
        self.token.signing_input.as_bytes()
    }

    pub fn signature(&self) -> &[u8] {
        &self.token.signature
    }

    /// Takes the backend's verdict back.
    pub fn finish(self, signature_valid: bool) -> Result<SignedToken> {
        if !signature_valid {
            return Err(Error::fixed(
                ErrorCode::BadSignature,
                "the token's signature does not verify with the issuer's key",
            ));
        }
        Ok(SignedToken {
            header: self.token.header,
            claims: self.token.claims,
        })
    }

    /// Checks the signature with a synchronous backend.
    pub fn verify_with(self, backend: &dyn SignatureBackend) -> Result<SignedToken> {
        let valid = backend.verify(
            self.algorithm,
            &self.key,
            self.signing_input(),
            self.signature(),
        );
        self.finish(valid)
    }
}
