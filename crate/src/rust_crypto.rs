//! The pure-Rust signature backend: jwt-compact's ES256 (`p256`) and RS256 (`rsa`).
//!
//! Used natively (CLI, tests, the local OBO service). The wasm builds leave it out
//! (feature `rust-crypto`) and verify with WebCrypto, which is about 5× faster inside
//! workerd and keeps the browser package small.

use jwt_compact::alg::{Es256, Rsa, RsaSignature};
use jwt_compact::{Algorithm as _, AlgorithmSignature as _};

use crate::jwt::key::{Algorithm, PublicKey};
use crate::jwt::signature::SignatureBackend;

/// Verifies with pure-Rust crypto. Stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct RustCrypto;

impl SignatureBackend for RustCrypto {
    fn verify(&self, alg: Algorithm, key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
        match (alg, key) {
            (Algorithm::Es256, PublicKey::P256(key)) => {
                let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.sec1()) else {
                    return false;
                };
                let Ok(signature) = p256::ecdsa::Signature::try_from_slice(signature) else {
                    return false;
                };
                Es256.verify_signature(&signature, &key, message)
            }
            (Algorithm::Rs256, PublicKey::Rsa(key)) => {
                let n = rsa::BigUint::from_bytes_be(key.modulus());
                let e = rsa::BigUint::from_bytes_be(key.exponent());
                let Ok(key) = rsa::RsaPublicKey::new(n, e) else {
                    return false;
                };
                let Ok(signature) = RsaSignature::try_from_slice(signature) else {
                    return false;
                };
                Rsa::rs256().verify_signature(&signature, &key, message)
            }
            // A key of the other type never verifies: the algorithm is not the key's to pick.
            _ => false,
        }
    }
}
