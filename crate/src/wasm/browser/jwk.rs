//! Public keys as the JWK text the JS module hands to WebCrypto's `importKey("jwk")`
//! (RFC 7517/7518: RSA `n`/`e`, P-256 `x`/`y`, base64url without padding).

use super::json;
use crate::jwt::PublicKey;

/// The JWK of `key`, restricted to the one algorithm it may verify.
pub fn to_jwk(key: &PublicKey) -> String {
    let b64 = |bytes: &[u8]| json::string(&crate::base64url::encode(bytes));
    let jwk = match key {
        PublicKey::Rsa(rsa) => json::object(vec![
            ("kty", json::string("RSA")),
            ("alg", json::string("RS256")),
            ("n", b64(rsa.modulus())),
            ("e", b64(rsa.exponent())),
        ]),
        PublicKey::P256(p256) => {
            // The uncompressed SEC1 point is 0x04 ‖ x ‖ y, 32 bytes each.
            let point = p256.sec1();
            json::object(vec![
                ("kty", json::string("EC")),
                ("crv", json::string("P-256")),
                ("x", b64(&point[1..33])),
                ("y", b64(&point[33..65])),
            ])
        }
    };
    json::write(&jwk)
}
