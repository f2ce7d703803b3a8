//! The WebCrypto signature backend (`crypto.subtle.verify`), native in browsers and in
//! workerd, and several times faster there than pure-Rust crypto compiled to wasm.
//!
//! It plugs into the core's separate signature step: the core hands out a
//! [`SignatureJob`] (algorithm fixed by the verifier, key of the matching type, signing
//! input, signature of the right length); this module imports the key, awaits
//! `crypto.subtle.verify`, and hands the boolean back through [`SignatureJob::finish`].
//!
//! Imported `CryptoKey`s are cached per key, since importing costs about as much as a verify.
//! The `SubtleCrypto` handle and the algorithm-parameter objects are made once per
//! instance too: a verify on a known key then crosses into JS only for the signature and
//! message bytes and the `verify` call itself.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use super::js_error::from_js;
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::key::{Algorithm, PublicKey};
use crate::jwt::{SignatureJob, SignedToken};

/// Most imported keys kept; real deployments have a handful.
const MAX_CACHED_KEYS: usize = 64;

thread_local! {
    static IMPORTED: RefCell<HashMap<Vec<u8>, CryptoKey>> = RefCell::new(HashMap::new());
    static SUBTLE: RefCell<Option<SubtleCrypto>> = const { RefCell::new(None) };
    /// `algorithm_params` for ES256 and RS256, built on first use. WebCrypto reads them
    /// on every call and never keeps or changes them, so one object each serves all calls.
    static PARAMS: [Object; 2] = [build_params(Algorithm::Es256), build_params(Algorithm::Rs256)];
}

/// `globalThis.crypto.subtle`, looked up once and kept.
pub(crate) fn subtle() -> Result<SubtleCrypto> {
    if let Some(found) = SUBTLE.with(|s| s.borrow().clone()) {
        return Ok(found);
    }
    let found = find_subtle()?;
    SUBTLE.with(|s| *s.borrow_mut() = Some(found.clone()));
    Ok(found)
}

/// `globalThis.crypto.subtle`, in a window, a worker or workerd alike.
fn find_subtle() -> Result<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .filter(|c| !c.is_undefined())
        .ok_or_else(|| Error::new(ErrorCode::InvalidConfig, "WebCrypto is not available"))?;
    let subtle = Reflect::get(&crypto, &"subtle".into())
        .ok()
        .filter(|s| !s.is_undefined())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidConfig,
                "crypto.subtle is not available (it needs a secure context: https or localhost)",
            )
        })?;
    Ok(subtle.unchecked_into())
}

fn object(entries: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (name, value) in entries {
        let _ = Reflect::set(&obj, &(*name).into(), value);
    }
    obj
}

fn algorithm_params(alg: Algorithm) -> Object {
    PARAMS.with(|params| match alg {
        Algorithm::Es256 => params[0].clone(),
        Algorithm::Rs256 => params[1].clone(),
    })
}

fn build_params(alg: Algorithm) -> Object {
    match alg {
        Algorithm::Es256 => object(&[
            ("name", "ECDSA".into()),
            ("namedCurve", "P-256".into()),
            ("hash", "SHA-256".into()),
        ]),
        Algorithm::Rs256 => object(&[
            ("name", "RSASSA-PKCS1-v1_5".into()),
            ("hash", "SHA-256".into()),
        ]),
    }
}

fn cache_key(key: &PublicKey) -> Vec<u8> {
    match key {
        PublicKey::P256(k) => k.sec1().to_vec(),
        PublicKey::Rsa(k) => [k.modulus(), b"|", k.exponent()].concat(),
    }
}

/// The `CryptoKey` imported earlier for `key`, if any (no import, no await).
pub fn imported(key: &PublicKey) -> Option<CryptoKey> {
    let id = cache_key(key);
    IMPORTED.with(|c| c.borrow().get(&id).cloned())
}

async fn import(subtle: &SubtleCrypto, key: &PublicKey) -> Result<CryptoKey> {
    if let Some(found) = imported(key) {
        return Ok(found);
    }
    let id = cache_key(key);
    let usages: JsValue = Array::of1(&"verify".into()).into();
    let promise = match key {
        PublicKey::P256(k) => subtle.import_key_with_object(
            "raw",
            &Uint8Array::from(k.sec1()),
            &algorithm_params(Algorithm::Es256),
            false,
            &usages,
        ),
        PublicKey::Rsa(k) => {
            let jwk = object(&[
                ("kty", "RSA".into()),
                ("n", k.n_b64().into()),
                ("e", k.e_b64().into()),
                ("alg", "RS256".into()),
                ("ext", true.into()),
            ]);
            subtle.import_key_with_object(
                "jwk",
                &jwk,
                &algorithm_params(Algorithm::Rs256),
                false,
                &usages,
            )
        }
    }
    .map_err(|e| from_js(ErrorCode::MalformedKey, "WebCrypto refused the key", &e))?;
    let imported: CryptoKey = JsFuture::from(promise)
        .await
        .map_err(|e| from_js(ErrorCode::MalformedKey, "WebCrypto refused the key", &e))?
        .unchecked_into();
    IMPORTED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.insert(id, imported.clone());
    });
    Ok(imported)
}

/// Whether `signature` is a valid `alg` signature of `message` under `key`, per WebCrypto.
/// A key WebCrypto refuses (a point off the curve, say) is an error, not `false`.
pub async fn verify(
    alg: Algorithm,
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool> {
    let crypto_key = import(&subtle()?, key).await?;
    let verdict = JsFuture::from(start_verify(alg, &crypto_key, message, signature)?)
        .await
        .map_err(|e| verify_failed(&e))?;
    Ok(verdict.as_bool() == Some(true))
}

/// Starts `crypto.subtle.verify` with an imported key: the promise of its boolean verdict.
/// For callers that await it their own way (the worker's verified-token path uses `then`).
pub fn start_verify(
    alg: Algorithm,
    crypto_key: &CryptoKey,
    message: &[u8],
    signature: &[u8],
) -> Result<Promise> {
    subtle()?
        .verify_with_object_and_buffer_source_and_buffer_source(
            &algorithm_params(alg),
            crypto_key,
            &Uint8Array::from(signature),
            &Uint8Array::from(message),
        )
        .map_err(|e| verify_failed(&e))
}

/// The error for a verify that WebCrypto refused to run (as opposed to a `false` verdict).
pub fn verify_failed(e: &JsValue) -> Error {
    from_js(ErrorCode::BadSignature, "WebCrypto verify failed", e)
}

/// Runs the signature step of a job with WebCrypto.
pub async fn verify_job(job: SignatureJob) -> Result<SignedToken> {
    let valid = verify(
        job.algorithm(),
        job.key(),
        job.signing_input(),
        job.signature(),
    )
    .await?;
    job.finish(valid)
}
