//! Signs fuzz input with the test fixtures' private keys, so claims validation runs on
//! every input instead of only on the seeds (an unsigned input fails at the signature).
//! Test keys only (crate/tests/fixtures/): nothing here is reachable from the product.
#![allow(dead_code)]

use entra_edge_auth::base64url;
use entra_edge_auth::jwt::key::{parse_p256_pem, RsaPublicKey};
use entra_edge_auth::jwt::PublicKey;
use p256::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::traits::PublicKeyParts as _;

const P256_PRIVATE: &str = include_str!("../../tests/fixtures/p256-a.pem");
const P256_PUBLIC: &str = include_str!("../../tests/fixtures/p256-a.pub.pem");
const RSA_PRIVATE: &str = include_str!("../../tests/fixtures/rsa-2048-a.pem");

/// `header.claims.signature` with `claims` taken as the raw claims bytes.
fn token(header: &str, claims: &[u8], sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        base64url::encode(header.as_bytes()),
        base64url::encode(claims)
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", base64url::encode(&signature))
}

pub struct Es256Key {
    signing: p256::ecdsa::SigningKey,
    pub public: PublicKey,
}

impl Es256Key {
    pub fn fixture() -> Self {
        Es256Key {
            signing: p256::ecdsa::SigningKey::from_pkcs8_pem(P256_PRIVATE).expect("fixture"),
            public: parse_p256_pem(P256_PUBLIC.as_bytes()).expect("fixture"),
        }
    }

    pub fn token(&self, header: &str, claims: &[u8]) -> String {
        token(header, claims, |m| {
            let s: p256::ecdsa::Signature = self.signing.sign(m);
            s.to_bytes().to_vec()
        })
    }
}

pub struct Rs256Key {
    signing: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
    pub public: PublicKey,
}

impl Rs256Key {
    pub fn fixture() -> Self {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(RSA_PRIVATE).expect("fixture");
        let public = RsaPublicKey::new(&private.n().to_bytes_be(), &private.e().to_bytes_be())
            .expect("fixture");
        Rs256Key {
            signing: rsa::pkcs1v15::SigningKey::new(private),
            public: PublicKey::Rsa(public),
        }
    }

    pub fn token(&self, header: &str, claims: &[u8]) -> String {
        token(header, claims, |m| self.signing.sign(m).to_vec())
    }
}
