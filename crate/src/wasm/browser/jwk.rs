//! Public keys as the JWK text the JS module hands to WebCrypto's `importKey("jwk")`
//! (RFC 7517/7518: RSA `n`/`e`, P-256 `x`/`y`, base64url without padding).

use super::json;
use crate::jwt::PublicKey;

/// The JWK of `key`, restricted to the one algorithm it may verify.
pub fn to_jwk(key: &PublicKey) -> String {
    let b64 = crate::base64url::encode;
    let mut jwk = json::ObjectWriter::new();
    match key {
        PublicKey::Rsa(rsa) => jwk
            .string("alg", "RS256")
            .string("e", &b64(rsa.exponent()))
            .string("kty", "RSA")
            .string("n", &b64(rsa.modulus())),
        PublicKey::P256(p256) => {
            // The uncompressed SEC1 point is 0x04 ‖ x ‖ y, 32 bytes each.
            let point = p256.sec1();
            jwk.string("crv", "P-256")
                .string("kty", "EC")
                .string("x", &b64(&point[1..33]))
                .string("y", &b64(&point[33..65]))
        }
    };
    jwk.finish()
}
