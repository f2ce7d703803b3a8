//! The assertion's signature, by WebCrypto: `crypto.subtle.sign` (ECDSA P-256, SHA-256)
//! with the `ASSERTION_KEY` imported once per isolate as a non-extractable `CryptoKey`.
//!
//! What to sign comes from the core (`assertion::unsigned`); this module only imports the
//! key and runs the signature. WebCrypto's ECDSA signature is already JWS's raw `r ‖ s`
//! (64 bytes), so it is used as it comes.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use crate::assertion::SigningKey;
use crate::error::{Error, ErrorCode, Result};
use crate::wasm::webcrypto::subtle;

/// The signing key, imported on first use and kept for the isolate's life.
pub struct Signer {
    key: SigningKey,
    imported: RefCell<Option<CryptoKey>>,
    /// `{name: "ECDSA", hash: "SHA-256"}`, made once.
    params: Object,
}

impl Signer {
    pub fn new(key: SigningKey) -> Self {
        let params = Object::new();
        let _ = Reflect::set(&params, &"name".into(), &"ECDSA".into());
        let _ = Reflect::set(&params, &"hash".into(), &"SHA-256".into());
        Signer {
            key,
            imported: RefCell::new(None),
            params,
        }
    }

    /// The 64-byte ES256 signature of `message`.
    pub async fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let key = self.crypto_key().await?;
        let promise = subtle()?
            .sign_with_object_and_u8_array(&self.params, &key, message)
            .map_err(|e| failed("WebCrypto sign could not start", &e))?;
        let signature = JsFuture::from(promise)
            .await
            .map_err(|e| failed("WebCrypto sign failed", &e))?;
        let signature = Uint8Array::new(&signature).to_vec();
        if signature.len() != 64 {
            return Err(Error::fixed(
                ErrorCode::InternalError,
                "WebCrypto's ECDSA signature is not 64 bytes",
            ));
        }
        Ok(signature)
    }

    /// The imported key, importing it first when this isolate has not yet. WebCrypto
    /// checks the point is on the curve and is the scalar's (a JWK whose `x`/`y` belong to
    /// another key is refused here, as `invalid_config`).
    async fn crypto_key(&self) -> Result<CryptoKey> {
        if let Some(key) = self.imported.borrow().clone() {
            return Ok(key);
        }
        let jwk = JSON::parse(&self.key.private_jwk_secret())
            .map_err(|_| Error::fixed(ErrorCode::InternalError, "the key JWK did not parse"))?;
        let algorithm = Object::new();
        let _ = Reflect::set(&algorithm, &"name".into(), &"ECDSA".into());
        let _ = Reflect::set(&algorithm, &"namedCurve".into(), &"P-256".into());
        let usages: JsValue = Array::of1(&"sign".into()).into();
        let refused = |_: JsValue| {
            // WebCrypto's message could describe the key; none of it is repeated.
            Error::fixed(
                ErrorCode::InvalidConfig,
                "ASSERTION_KEY was refused by WebCrypto (is x/y the public half of d?)",
            )
        };
        let promise = subtle()?
            .import_key_with_object("jwk", jwk.unchecked_ref(), &algorithm, false, &usages)
            .map_err(refused)?;
        let key: CryptoKey = JsFuture::from(promise)
            .await
            .map_err(refused)?
            .unchecked_into();
        *self.imported.borrow_mut() = Some(key.clone());
        Ok(key)
    }
}

fn failed(what: &str, e: &JsValue) -> Error {
    crate::wasm::js_error::from_js(ErrorCode::InternalError, what, e)
}
