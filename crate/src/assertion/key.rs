//! The assertion's signing key: a P-256 private key from a JWK (RFC 7517, RFC 7518 §6.2.2)
//! or a PKCS#8 PEM (RFC 5208, RFC 5915 inside), its public half as a JWK, and its key id,
//! the RFC 7638 thumbprint.
//!
//! The private scalar is a secret: it never appears in `Debug`, in an error message or in
//! the public JWK. Errors say what is wrong with the key's shape in fixed words, never
//! quoting the text they were given (a half-pasted key is still mostly secret).
//!
//! Whether the public point lies on the curve and matches the scalar is checked by the
//! signing backend when it imports the key (WebCrypto refuses a mismatched JWK); this module
//! has no curve arithmetic, which keeps the worker's wasm small.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::base64url::{self, Padding};
use crate::json::{self, ObjectWriter, Value};

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
const ID_EC_PUBLIC_KEY: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` / `prime256v1` (RFC 5480 §2.1.1.1).
const SECP256R1: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// The order n of P-256's base point (FIPS 186-4 D.1.2.3), big-endian: a private scalar is
/// in `1..n`.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Why a key was refused, in words that quote nothing of it.
pub type KeyProblem = &'static str;

/// A P-256 signing key with its public point and key id.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    d: [u8; 32],
    x: [u8; 32],
    y: [u8; 32],
    kid: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(kid {}, d [redacted])", self.kid)
    }
}

impl SigningKey {
    /// From a setting's text: a JWK object (starts with `{`) or a PKCS#8 PEM.
    pub fn parse(text: &str) -> Result<SigningKey, KeyProblem> {
        let text = text.trim();
        if text.starts_with('{') {
            Self::from_jwk(text)
        } else if text.starts_with("-----BEGIN") {
            Self::from_pkcs8_pem(text)
        } else {
            Err("is neither a JWK (a JSON object) nor a PEM (-----BEGIN PRIVATE KEY-----)")
        }
    }

    /// A private EC JWK: `kty` `EC`, `crv` `P-256`, `d`, `x`, `y` (32 bytes each, base64url
    /// without padding). Other members (`kid`, `alg`, `use`) are ignored: the key id is
    /// always the thumbprint.
    pub fn from_jwk(text: &str) -> Result<SigningKey, KeyProblem> {
        let jwk = json::parse_object(text.as_bytes()).map_err(|_| "is not valid JSON")?;
        let member = |name: &str| jwk.get(name).and_then(Value::as_str);
        if member("kty") != Some("EC") {
            return Err("is not an EC key (kty must be EC)");
        }
        if member("crv") != Some("P-256") {
            return Err("is not a P-256 key (crv must be P-256)");
        }
        let coordinate = |name: &str| -> Option<[u8; 32]> {
            let bytes = base64url::decode(member(name)?, Padding::Forbidden)?;
            bytes.try_into().ok()
        };
        let d = coordinate("d").ok_or("has no private part: d must be 32 bytes of base64url")?;
        let x = coordinate("x").ok_or("has no usable x: 32 bytes of base64url")?;
        let y = coordinate("y").ok_or("has no usable y: 32 bytes of base64url")?;
        Self::new(d, x, y)
    }

    /// A PKCS#8 `PRIVATE KEY` PEM holding an EC P-256 key with its public point (OpenSSL's
    /// `genpkey`, Node's and WebCrypto's `pkcs8` export all include it).
    pub fn from_pkcs8_pem(text: &str) -> Result<SigningKey, KeyProblem> {
        let pem = normalize_pem(text);
        let (label, der) = pem_rfc7468::decode_vec(pem.as_bytes())
            .map_err(|_| "is not a well-formed PEM block")?;
        if label == "EC PRIVATE KEY" {
            return Err(
                "is a SEC1 key (EC PRIVATE KEY): convert it with openssl pkcs8 -topk8 -nocrypt",
            );
        }
        if label != "PRIVATE KEY" {
            return Err("is not a PKCS#8 PRIVATE KEY PEM");
        }
        let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice())
            .map_err(|_| "is not a PKCS#8 PrivateKeyInfo")?;
        if info.algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err("is not an EC key");
        }
        let inner = sec1::EcPrivateKey::try_from(info.private_key)
            .map_err(|_| "holds no SEC1 EC private key")?;
        // RFC 5915 §3: the curve is named in the algorithm, or else in the key itself.
        let curve = info
            .algorithm
            .parameters_oid()
            .ok()
            .or_else(|| inner.parameters.and_then(|p| p.named_curve()));
        if curve != Some(SECP256R1) {
            return Err("is not a P-256 key");
        }
        let d: [u8; 32] = inner
            .private_key
            .try_into()
            .map_err(|_| "has a private scalar that is not 32 bytes")?;
        let point = inner
            .public_key
            .ok_or("has no public key inside (export it with its public key)")?;
        let point: [u8; 65] = point
            .try_into()
            .map_err(|_| "has a public key that is not an uncompressed P-256 point")?;
        if point[0] != 0x04 {
            return Err("has a public key that is not an uncompressed P-256 point");
        }
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        x.copy_from_slice(&point[1..33]);
        y.copy_from_slice(&point[33..]);
        Self::new(d, x, y)
    }

    fn new(d: [u8; 32], x: [u8; 32], y: [u8; 32]) -> Result<SigningKey, KeyProblem> {
        // Big-endian byte arrays of one length compare as the numbers they hold.
        if d == [0u8; 32] || d >= P256_ORDER {
            return Err("has a private scalar outside 1..n of P-256");
        }
        let kid = thumbprint(&x, &y);
        Ok(SigningKey { d, x, y, kid })
    }

    /// The key id: the RFC 7638 SHA-256 thumbprint of the public key, base64url.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (RFC 7517 §4) for the JWKS: no `d`.
    pub fn public_jwk(&self) -> String {
        ObjectWriter::new()
            .string("alg", "ES256")
            .string("crv", "P-256")
            .string("kid", &self.kid)
            .string("kty", "EC")
            .string("use", "sig")
            .string("x", &base64url::encode(&self.x))
            .string("y", &base64url::encode(&self.y))
            .finish()
    }

    /// The private key as a JWK, for WebCrypto's `importKey("jwk")` (the one place `d`
    /// leaves this type; the adapter imports it as non-extractable and drops the text).
    pub fn private_jwk_secret(&self) -> String {
        ObjectWriter::new()
            .string("crv", "P-256")
            .string("d", &base64url::encode(&self.d))
            .string("kty", "EC")
            .string("x", &base64url::encode(&self.x))
            .string("y", &base64url::encode(&self.y))
            .finish()
    }
}

/// RFC 7638 §3.2: SHA-256 over the required members, in lexical order, no white space.
fn thumbprint(x: &[u8; 32], y: &[u8; 32]) -> String {
    let canonical = ObjectWriter::new()
        .string("crv", "P-256")
        .string("kty", "EC")
        .string("x", &base64url::encode(x))
        .string("y", &base64url::encode(y))
        .finish();
    base64url::encode(&Sha256::digest(canonical.as_bytes()))
}

/// A JWKS document (RFC 7517 §5) of the given keys' public halves.
pub fn jwks_document(keys: &[&SigningKey]) -> String {
    let members: Vec<String> = keys.iter().map(|k| k.public_jwk()).collect();
    format!("{{\"keys\":[{}]}}", members.join(","))
}

/// The PEM as settings hold it, made strict: CRLF or `\n` written as two characters (a
/// secret pasted into one line) become line feeds, lines are trimmed.
fn normalize_pem(text: &str) -> String {
    let text = text.replace("\\n", "\n").replace('\r', "");
    let mut out = String::with_capacity(text.len() + 1);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7515 appendix A.3's P-256 key.
    const A3: &str = r#"{"kty":"EC","crv":"P-256",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

    #[test]
    fn reads_a_private_jwk_and_names_it_by_its_thumbprint() {
        let key = SigningKey::parse(A3).unwrap();
        // RFC 7638 over {"crv","kty","x","y"}, cross-checked with jose's
        // calculateJwkThumbprint in worker/test/assertion.test.mjs.
        assert_eq!(key.kid(), thumbprint(&key.x, &key.y));
        assert_eq!(key.kid().len(), 43);
        let public = key.public_jwk();
        assert!(!public.contains("\"d\""), "{public}");
        assert!(public.contains(key.kid()));
        assert!(!format!("{key:?}").contains("jpsQ"));
    }

    #[test]
    fn refuses_keys_of_other_types_and_curves() {
        let cases = [
            A3.replace("\"EC\"", "\"RSA\""),
            A3.replace("P-256", "P-384"),
            A3.replace("\"d\"", "\"e\""),
            A3.replace("jpsQ", "jps"),
            A3.replace("\"x\"", "\"z\""),
            "{".to_owned(),
            "a key".to_owned(),
        ];
        for text in cases {
            let problem = SigningKey::parse(&text).unwrap_err();
            assert!(!problem.contains("jpsQ"), "{problem}");
        }
    }

    #[test]
    fn refuses_a_scalar_outside_the_group_order() {
        let zero = base64url::encode(&[0u8; 32]);
        let order = base64url::encode(&P256_ORDER);
        let mut below = P256_ORDER;
        below[31] -= 1;
        let below = base64url::encode(&below);
        let with = |d: &str| A3.replace("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI", d);
        assert!(SigningKey::parse(&with(&zero)).is_err());
        assert!(SigningKey::parse(&with(&order)).is_err());
        assert!(SigningKey::parse(&with(&below)).is_ok());
        assert!(SigningKey::parse(&with(&base64url::encode(&[0, 0, 0, 1].repeat(8)))).is_ok());
    }

    #[test]
    fn jwks_lists_every_key_without_private_parts() {
        let key = SigningKey::parse(A3).unwrap();
        let doc = jwks_document(&[&key, &key]);
        let parsed = json::parse_object(doc.as_bytes()).unwrap();
        assert_eq!(parsed.get("keys").unwrap().as_array().unwrap().len(), 2);
        assert!(!doc.contains("\"d\""));
        let keys =
            crate::jwt::key::parse_jwks(doc.as_bytes(), crate::jwt::Algorithm::Es256).unwrap();
        assert_eq!(keys[0].0, key.kid());
    }
}
