//! The browser build in headless Chromium: the adapter's exports as the package's JS
//! module calls them (login entropy from `crypto.getRandomValues`, errors as one thrown
//! shape), and the package's WebCrypto signature step (`www/src/webcrypto.js`, imported as
//! it ships) against Project Wycheproof: every `valid` accepted, every `invalid` rejected,
//! through the same shape check (`check_signature_shape`) production runs before it.
//!
//! `js/webcrypto.js` is a symbolic link to the package's file: wasm-bindgen copies a local
//! JS module into the test build only from inside this crate.

use entra_edge_auth::entra::PendingLogin;
use entra_edge_auth::error::ErrorCode;
use entra_edge_auth::jwt::key::{P256PublicKey, RsaPublicKey};
use entra_edge_auth::jwt::signature::check_signature_shape;
use entra_edge_auth::jwt::{Algorithm, PublicKey};
use entra_edge_auth::pkce::{Pkce, PkceChallenge};
use entra_edge_auth::wasm::browser::fault::ERROR_CODES_TS;
use entra_edge_auth::wasm::browser::jwk::to_jwk;
use entra_edge_auth::wasm::browser::Core;
use js_sys::{Function, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/js/webcrypto.js")]
extern "C" {
    /// The package's signature step, exactly as it ships.
    #[wasm_bindgen(js_name = verifySignature, catch)]
    fn verify_signature(
        alg: &str,
        jwk: &str,
        data: &[u8],
        signature: &[u8],
    ) -> Result<Promise, JsValue>;
}

const TENANT: &str = "0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const CLIENT: &str = "5fa1c0de-7e57-4b1a-9c2d-000000005ba0";

/// Wraps `crypto.getRandomValues` with a counter; returns a function reading the count.
fn count_get_random_values() -> Function {
    Function::new_no_args(
        "const c = globalThis.crypto; const original = c.getRandomValues.bind(c);
         globalThis.__grvCalls = 0;
         c.getRandomValues = (a) => { globalThis.__grvCalls++; return original(a); };",
    )
    .call0(&JsValue::NULL)
    .expect("wrap getRandomValues");
    Function::new_no_args("return globalThis.__grvCalls")
}

fn calls(counter: &Function) -> f64 {
    counter.call0(&JsValue::NULL).unwrap().as_f64().unwrap()
}

/// 96 bytes from `crypto.getRandomValues`, as the package's JS module draws them per login.
fn login_entropy() -> Vec<u8> {
    let mut bytes = vec![0u8; 96];
    web_sys::window()
        .unwrap()
        .crypto()
        .unwrap()
        .get_random_values_with_u8_array(&mut bytes)
        .unwrap();
    bytes
}

#[wasm_bindgen_test]
fn pkce_verifier_comes_from_get_random_values() {
    let counter = count_get_random_values();
    let before = calls(&counter);
    let a = Pkce::new_random().unwrap();
    let b = Pkce::new_random().unwrap();
    assert!(calls(&counter) >= before + 2.0);
    assert_eq!(a.verifier().secret().len(), 43);
    assert_ne!(a.verifier().secret(), b.verifier().secret());
    assert_eq!(a.challenge(), &PkceChallenge::s256(a.verifier()));
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| js_sys::decode_uri_component(v).ok()?.as_string())?
    })
}

fn config(extra: &[(&str, &str)]) -> String {
    let mut config = serde_json::json!({
        "tenantId": TENANT,
        "clientId": CLIENT,
        "redirectUri": "http://127.0.0.1:27130/demo/",
    });
    for (k, v) in extra {
        config[*k] = Value::from(*v);
    }
    config.to_string()
}

/// A thrown export's `{code, message}`.
fn thrown(error: JsValue) -> (String, String) {
    let shape: Value = serde_json::from_str(&error.as_string().expect("thrown as text")).unwrap();
    (
        shape["code"].as_str().unwrap().to_owned(),
        shape["message"].as_str().unwrap().to_owned(),
    )
}

#[wasm_bindgen_test]
fn start_login_builds_the_authorize_url_and_its_pending_record() {
    let core = Core::new(&config(&[])).unwrap();
    let login: Value =
        serde_json::from_str(&core.start_login("null", &login_entropy(), 1.7e9).unwrap()).unwrap();
    let url = login["url"].as_str().unwrap();
    assert!(url.starts_with(&format!(
        "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize?"
    )));
    assert_eq!(
        query_param(url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let pending = PendingLogin::from_json(login["pending"].as_str().unwrap()).unwrap();
    assert_eq!(login["state"].as_str().unwrap(), pending.state.secret());
    assert_eq!(query_param(url, "state").unwrap(), pending.state.secret());
    assert_eq!(
        query_param(url, "code_challenge").unwrap(),
        PkceChallenge::s256(&pending.verifier).as_str()
    );
    assert_eq!(query_param(url, "nonce").unwrap(), pending.nonce.secret());
    assert!(!url.contains(pending.verifier.secret()));
    assert_eq!(pending.created_at, 1_700_000_000);
    assert!(!core.pending_is_stale(login["pending"].as_str().unwrap(), 1.7e9 + 600.0));
    assert!(core.pending_is_stale(login["pending"].as_str().unwrap(), 1.7e9 + 601.0));
    assert!(core.pending_is_stale("not a record", 1.7e9));

    // Other bytes, other secrets; too few bytes, no login.
    let again: Value =
        serde_json::from_str(&core.start_login("null", &login_entropy(), 1.7e9).unwrap()).unwrap();
    assert_ne!(again["state"], login["state"]);
    let (code, message) = thrown(core.start_login("null", &[7; 64], 1.7e9).unwrap_err());
    assert_eq!(code, "invalid_config");
    assert!(message.contains("96 random bytes"), "{message}");
}

#[wasm_bindgen_test]
fn the_package_draws_login_entropy_from_get_random_values() {
    let counter = count_get_random_values();
    let before = calls(&counter);
    let entropy = login_entropy();
    assert_eq!(calls(&counter), before + 1.0);
    assert!(entropy.iter().any(|&b| b != 0));
}

#[wasm_bindgen_test]
fn errors_cross_as_one_shape_with_a_code() {
    let Err(error) = Core::new(&config(&[("storage", "localStorage")])) else {
        panic!("localStorage must be refused for tokens");
    };
    let (code, message) = thrown(error);
    assert_eq!(code, "invalid_config");
    assert!(message.contains("localStorage"), "{message}");
    let Err(error) = Core::new(&config(&[("redirectUri", "http://evil.example/cb")])) else {
        panic!("plain http redirect URI must be refused");
    };
    assert!(thrown(error).1.contains("redirect_uri"));
    let Err(error) = Core::new(&config(&[("tenantID", TENANT)])) else {
        panic!("an unknown setting must be refused");
    };
    assert!(thrown(error).1.contains("tenantID"));
    let core = Core::new(&config(&[])).unwrap();
    let (code, _) = thrown(core.fresh_access_token(None, 1.7e9).unwrap_err());
    assert_eq!(code, "login_required");
}

/// The settings with `extra` members of any JSON type.
fn config_with(extra: Value) -> String {
    let mut config: Value = serde_json::from_str(&config(&[])).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config.to_string()
}

#[wasm_bindgen_test]
fn the_app_token_goes_to_the_configured_api_origins_only() {
    let core = Core::new(&config_with(serde_json::json!({
        "apiOrigins": ["https://API.example.com", "http://127.0.0.1:8787/"]
    })))
    .unwrap();
    assert!(core.carries_app_token("https://api.example.com"));
    assert!(core.carries_app_token("http://127.0.0.1:8787"));
    for other in [
        "https://api.example.com:8443",
        "http://api.example.com",
        "https://api.example.com.evil.example",
        "https://evil.example",
        "null",
        "",
    ] {
        assert!(!core.carries_app_token(other), "{other}");
    }
    // None configured: no origin gets it.
    assert!(!Core::new(&config(&[]))
        .unwrap()
        .carries_app_token("https://api.example.com"));
}

#[wasm_bindgen_test]
fn the_new_settings_are_checked_and_named() {
    for (name, value) in [
        ("apiOrigins", serde_json::json!(["https://api.example.com/v1"])),
        ("apiOrigins", serde_json::json!(["http://api.example.com"])),
        ("apiOrigins", serde_json::json!(["api.example.com"])),
        ("apiOrigins", serde_json::json!(["https://api.example.com:443"])),
        ("apiOrigins", serde_json::json!("https://api.example.com")),
        ("renewalMargin", serde_json::json!(3601)),
        ("renewalMargin", serde_json::json!(-1)),
        ("renewalMargin", serde_json::json!("300")),
        ("clientCapabilities", serde_json::json!(["CP 1"])),
        ("clientCapabilities", serde_json::json!([""])),
    ] {
        let Err(error) = Core::new(&config_with(serde_json::json!({ name: value.clone() }))) else {
            panic!("{name} {value} must be refused");
        };
        let (code, message) = thrown(error);
        assert_eq!(code, "invalid_config");
        assert!(message.contains(name), "{message}");
    }
    Core::new(&config_with(serde_json::json!({
        "renewalMargin": 0, "clientCapabilities": ["CP1"], "apiOrigins": []
    })))
    .unwrap();
}

#[wasm_bindgen_test]
fn the_callback_is_read_against_its_pending_login() {
    let core = Core::new(&config(&[])).unwrap();
    assert_eq!(core.callback("http://127.0.0.1:27130/demo/?x=1"), "");
    let login: Value =
        serde_json::from_str(&core.start_login("null", &login_entropy(), 1.7e9).unwrap()).unwrap();
    let (state, pending) = (
        login["state"].as_str().unwrap(),
        login["pending"].as_str().unwrap().to_owned(),
    );
    let url = format!("http://127.0.0.1:27130/demo/?code=the-code&state={state}&x=1");
    let callback: Value = serde_json::from_str(&core.callback(&url)).unwrap();
    assert_eq!(callback["state"], state);
    assert_eq!(callback["address"], "http://127.0.0.1:27130/demo/?x=1");
    let code = core
        .authorization_code(&url, Some(pending.clone()), 1.7e9 + 5.0)
        .unwrap();
    assert_eq!(code, "the-code");
    // A replay finds no pending login; a late callback finds a stale one.
    let (code, _) = thrown(core.authorization_code(&url, None, 1.7e9).unwrap_err());
    assert_eq!(code, "unknown_state");
    let (code, _) = thrown(
        core.authorization_code(&url, Some(pending.clone()), 1.7e9 + 3600.0)
            .unwrap_err(),
    );
    assert_eq!(code, "unknown_state");
    let tampered = url.replace(state, "tampered");
    let (code, _) = thrown(
        core.authorization_code(&tampered, Some(pending), 1.7e9)
            .unwrap_err(),
    );
    assert_eq!(code, "state_mismatch");
}

#[wasm_bindgen_test]
fn the_error_code_type_lists_every_code() {
    for code in ErrorCode::ALL {
        assert!(
            ERROR_CODES_TS.contains(&format!("\"{}\"", code.as_str())),
            "EntraAuthErrorCode lacks {code}"
        );
    }
    assert_eq!(
        ERROR_CODES_TS.matches("| \"").count(),
        ErrorCode::ALL.len(),
        "EntraAuthErrorCode lists a code the core does not have"
    );
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// The package's WebCrypto step on one case: `Ok(verdict)`, or `Err` when WebCrypto
/// refused the key (the package rejects then rather than answering false).
async fn package_verify(
    alg: Algorithm,
    key: &PublicKey,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, JsValue> {
    let promise = verify_signature(alg.as_str(), &to_jwk(key), msg, sig)?;
    Ok(JsFuture::from(promise).await?.as_bool() == Some(true))
}

/// Runs one Wycheproof file through the shape check and the package's WebCrypto step.
/// Returns the number of cases and the `acceptable` ones' verdicts (either way is allowed).
async fn wycheproof(json: &str, alg: Algorithm) -> (usize, Vec<(u64, bool)>) {
    let doc: Value = serde_json::from_str(json).unwrap();
    let mut checked = 0;
    let mut acceptable = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        let key = match alg {
            Algorithm::Es256 => PublicKey::P256(
                P256PublicKey::from_sec1(&hex(&group["publicKey"]["uncompressed"])).unwrap(),
            ),
            Algorithm::Rs256 => PublicKey::Rsa(
                RsaPublicKey::new(
                    &hex(&group["publicKey"]["modulus"]),
                    &hex(&group["publicKey"]["publicExponent"]),
                )
                .unwrap(),
            ),
        };
        for case in group["tests"].as_array().unwrap() {
            let id = case["tcId"].as_u64().unwrap();
            let (msg, sig) = (hex(&case["msg"]), hex(&case["sig"]));
            let accepted = check_signature_shape(alg, &key, &sig).is_ok()
                && package_verify(alg, &key, &msg, &sig).await.unwrap_or(false);
            match case["result"].as_str().unwrap() {
                "valid" => assert!(accepted, "tcId {id} is valid but WebCrypto rejected it"),
                "invalid" => assert!(!accepted, "tcId {id} is invalid but was accepted"),
                _ => acceptable.push((id, accepted)),
            }
            checked += 1;
        }
    }
    (checked, acceptable)
}

macro_rules! vectors {
    ($file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../crate/tests/vectors/wycheproof/",
            $file
        ))
    };
}

#[wasm_bindgen_test]
async fn wycheproof_es256_p1363_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("ecdsa_secp256r1_sha256_p1363_test.json"),
        Algorithm::Es256,
    )
    .await;
    assert_eq!(checked, 262);
    assert!(acceptable.is_empty());
}

#[wasm_bindgen_test]
async fn wycheproof_rs256_2048_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("rsa_signature_2048_sha256_test.json"),
        Algorithm::Rs256,
    )
    .await;
    assert!(checked > 250, "{checked}");
    // README: the one acceptable case (tcId 8, "Missing NULL") is rejected.
    assert_eq!(acceptable, vec![(8, false)], "RS256-2048 acceptable (tcId, accepted)");
}

#[wasm_bindgen_test]
async fn wycheproof_rs256_3072_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("rsa_signature_3072_sha256_test.json"),
        Algorithm::Rs256,
    )
    .await;
    assert!(checked > 200, "{checked}");
    // README: the one acceptable case (tcId 8, "Missing NULL") is rejected.
    assert_eq!(acceptable, vec![(8, false)], "RS256-3072 acceptable (tcId, accepted)");
}

#[wasm_bindgen_test]
async fn wycheproof_rs256_4096_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("rsa_signature_4096_sha256_test.json"),
        Algorithm::Rs256,
    )
    .await;
    assert!(checked > 200, "{checked}");
    // README: the one acceptable case (tcId 8, "Missing NULL") is rejected.
    assert_eq!(acceptable, vec![(8, false)], "RS256-4096 acceptable (tcId, accepted)");
}

#[wasm_bindgen_test]
async fn a_key_webcrypto_refuses_is_an_error_not_false() {
    // A point off the curve: the shape is right, WebCrypto's import refuses it.
    let mut point = [0u8; 65];
    point[0] = 0x04;
    point[64] = 1;
    let key = PublicKey::P256(P256PublicKey::from_sec1(&point).unwrap());
    let promise = verify_signature("ES256", &to_jwk(&key), b"m", &[1; 64]).unwrap();
    let error = JsFuture::from(promise).await.unwrap_err();
    let code = js_sys::Reflect::get(&error, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("malformed_key"));
}
