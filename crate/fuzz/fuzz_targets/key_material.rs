//! JWKS and PEM parsing on arbitrary input: never panics, and whatever parses is a key
//! of the asked-for type.
#![no_main]

use entra_edge_auth::jwt::key::{parse_jwks, parse_p256_pem};
use entra_edge_auth::jwt::{Algorithm, PublicKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for alg in [Algorithm::Rs256, Algorithm::Es256] {
        if let Ok(keys) = parse_jwks(data, alg) {
            assert!(keys.iter().all(|(_, k)| k.algorithm() == alg));
        }
    }
    if let Ok(key) = parse_p256_pem(data) {
        assert!(matches!(key, PublicKey::P256(_)));
    }
});
