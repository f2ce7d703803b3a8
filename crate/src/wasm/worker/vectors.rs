//! A test-only export: one signature through the same shape check and WebCrypto backend
//! the gate uses, so the Wycheproof vectors can run inside workerd
//! (`worker/test/wycheproof.test.mjs` drives it through `worker/test/vectors-worker.js`).
//! The production entry (`worker/src/index.js`) never routes to it; it verifies a signature
//! under a key the caller supplies, so exposing it grants nothing.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::error::{Error, ErrorCode, Result};
use crate::jwt::key::{parse_jwks, parse_p256_pem, Algorithm, PublicKey};
use crate::jwt::signature::check_signature_shape;
use crate::wasm::webcrypto;

/// Verifies `signature` over `message`. `alg` is `ES256` (key: PEM SubjectPublicKeyInfo) or
/// `RS256` (key: one JWK as JSON). Resolves to `{"valid": bool, "code": string|null}`.
#[wasm_bindgen(js_name = testVerifySignature)]
pub fn test_verify_signature(
    alg: String,
    key: String,
    message: Vec<u8>,
    signature: Vec<u8>,
) -> Promise {
    future_to_promise(async move {
        let outcome = verify(&alg, &key, &message, &signature).await;
        let json = match outcome {
            Ok(valid) => serde_json::json!({ "valid": valid, "code": null }),
            Err(e) => serde_json::json!({ "valid": false, "code": e.code().as_str() }),
        };
        Ok(JsValue::from_str(&json.to_string()))
    })
}

async fn verify(alg: &str, key: &str, message: &[u8], signature: &[u8]) -> Result<bool> {
    let (alg, key) = match alg {
        "ES256" => (Algorithm::Es256, parse_p256_pem(key.as_bytes())?),
        "RS256" => (Algorithm::Rs256, rsa_from_jwk(key)?),
        other => {
            return Err(Error::new(
                ErrorCode::UnsupportedAlgorithm,
                other.to_owned(),
            ))
        }
    };
    check_signature_shape(alg, &key, signature)?;
    webcrypto::verify(alg, &key, message, signature).await
}

fn rsa_from_jwk(jwk: &str) -> Result<PublicKey> {
    let jwks = format!("{{\"keys\":[{jwk}]}}");
    parse_jwks(jwks.as_bytes(), Algorithm::Rs256)?
        .pop()
        .map(|(_, key)| key)
        .ok_or_else(|| Error::new(ErrorCode::MalformedKey, "no RSA key"))
}
