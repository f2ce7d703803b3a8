//! Test-only token minting with the fixture keys in `tests/fixtures/`.
#![allow(dead_code)]

pub mod sources;

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use entra_edge_auth::jwt::key::{parse_jwks, parse_p256_pem};
use entra_edge_auth::jwt::{
    verify_sync, Algorithm, KeyRef, PublicKey, TokenVerifier, VerifiedToken,
};
use entra_edge_auth::keys::KeyCache;
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{ErrorCode, Result, Tuning};
use jwt_compact::alg::{Es256, Rsa};
use jwt_compact::{Algorithm as _, AlgorithmSignature as _};
use p256::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

pub const NOW: u64 = 1_800_000_000;
pub const ALB_KID: &str = "8e0b9b9f-1c3d-4f6a-9b1e-2d3c4b5a6f70";
pub const ALB_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub struct RsaSigner {
    key: rsa::RsaPrivateKey,
}

impl RsaSigner {
    pub fn fixture(name: &str) -> Self {
        RsaSigner {
            key: rsa::RsaPrivateKey::from_pkcs8_pem(&fixture(name)).unwrap(),
        }
    }

    pub fn jwks(&self, kid: &str) -> String {
        let public = self.key.to_public_key();
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]})
        .to_string()
    }

    pub fn public_key(&self) -> PublicKey {
        parse_jwks(self.jwks("k").as_bytes(), Algorithm::Rs256)
            .unwrap()
            .remove(0)
            .1
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        Rsa::rs256().sign(&self.key, message).as_bytes().to_vec()
    }
}

pub struct EcSigner {
    key: p256::ecdsa::SigningKey,
    public_pem: String,
}

impl EcSigner {
    pub fn fixture(name: &str) -> Self {
        EcSigner {
            key: p256::ecdsa::SigningKey::from_pkcs8_pem(&fixture(&format!("{name}.pem"))).unwrap(),
            public_pem: fixture(&format!("{name}.pub.pem")),
        }
    }

    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    pub fn public_key(&self) -> PublicKey {
        parse_p256_pem(self.public_pem.as_bytes()).unwrap()
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        Es256.sign(&self.key, message).as_bytes().to_vec()
    }

    /// The same signature in ASN.1 DER, as a non-JOSE signer would emit it.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        Es256.sign(&self.key, message).to_der().as_bytes().to_vec()
    }
}

pub fn b64(bytes: &[u8], padded: bool) -> String {
    if padded {
        URL_SAFE.encode(bytes)
    } else {
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// `header.claims` as the signer signs it.
pub fn signing_input(header: &Value, claims: &Value, padded: bool) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes(), padded),
        b64(claims.to_string().as_bytes(), padded)
    )
}

pub fn rs256(signer: &RsaSigner, header: Value, claims: Value) -> String {
    let input = signing_input(&header, &claims, false);
    format!("{input}.{}", b64(&signer.sign(input.as_bytes()), false))
}

pub fn es256(signer: &EcSigner, header: Value, claims: Value, padded: bool) -> String {
    let input = signing_input(&header, &claims, padded);
    format!("{input}.{}", b64(&signer.sign(input.as_bytes()), padded))
}

pub fn std_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Verifies with a key server that serves `key_body` for every URL the real sans-IO
/// [`KeyCache`] asks for, and records the URLs.
pub fn verify_with(
    verifier: &dyn TokenVerifier,
    token: &str,
    now: u64,
    key_body: &str,
) -> (Result<VerifiedToken>, Vec<String>) {
    let mut cache = KeyCache::new(Tuning::default());
    let mut fetched = Vec::new();
    let result = verify_sync(
        verifier,
        token,
        now,
        &mut |key: &KeyRef| -> Result<PublicKey> {
            cache.resolve_sync(key, now, &mut |url: &str| {
                fetched.push(url.to_owned());
                Ok((200, key_body.as_bytes().to_vec()))
            })
        },
        &RustCrypto,
    );
    (result, fetched)
}

/// The code of a rejection (a test bug when the token was accepted).
pub fn code(result: Result<VerifiedToken>) -> ErrorCode {
    match result {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e.code(),
    }
}
