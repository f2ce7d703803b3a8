//! The fixture RSA key the token targets verify against (a JWKS built from the test key).

use entra_edge_auth::jwt::key::parse_jwks;
use entra_edge_auth::jwt::{Algorithm, PublicKey};

pub fn key() -> PublicKey {
    let jwks = include_str!("../corpus_seed_jwks.json");
    parse_jwks(jwks.as_bytes(), Algorithm::Rs256)
        .expect("fixture JWKS parses")
        .remove(0)
        .1
}
