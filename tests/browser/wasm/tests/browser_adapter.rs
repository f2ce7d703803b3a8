//! The browser build in headless Chromium: PKCE, state and nonce from
//! `crypto.getRandomValues`, and the WebCrypto signature backend against Project
//! Wycheproof (every `valid` accepted, every `invalid` rejected), through the same shape
//! check (`check_signature_shape`) production runs before any backend.

use entra_edge_auth::entra::PendingLogin;
use entra_edge_auth::jwt::key::{P256PublicKey, RsaPublicKey};
use entra_edge_auth::jwt::signature::check_signature_shape;
use entra_edge_auth::jwt::{Algorithm, PublicKey};
use entra_edge_auth::pkce::{Pkce, PkceChallenge};
use entra_edge_auth::wasm::browser::EntraAuth;
use entra_edge_auth::wasm::webcrypto;
use js_sys::{Function, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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

fn config(extra: &[(&str, &str)]) -> JsValue {
    let obj = js_sys::Object::new();
    for (k, v) in [
        ("tenantId", TENANT),
        ("clientId", CLIENT),
        ("redirectUri", "http://127.0.0.1:47130/demo/"),
    ]
    .iter()
    .chain(extra)
    {
        Reflect::set(&obj, &(*k).into(), &(*v).into()).unwrap();
    }
    obj.into()
}

#[wasm_bindgen_test]
fn authorize_url_keeps_a_one_use_pending_login_under_its_state() {
    let counter = count_get_random_values();
    let before = calls(&counter);
    let auth = EntraAuth::new(config(&[])).unwrap();
    let url = auth.authorize_url(JsValue::UNDEFINED).unwrap();
    // state, nonce and verifier: three draws of 32 bytes.
    assert!(calls(&counter) >= before + 3.0);
    assert!(url.starts_with(&format!(
        "https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize?"
    )));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let state = query_param(&url, "state").unwrap();
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    let key = format!("entra-edge-auth:{CLIENT}:pending:{state}");
    let pending = PendingLogin::from_json(&storage.get_item(&key).unwrap().unwrap()).unwrap();
    assert_eq!(
        query_param(&url, "code_challenge").unwrap(),
        PkceChallenge::s256(&pending.verifier).as_str()
    );
    assert_eq!(query_param(&url, "nonce").unwrap(), pending.nonce.secret());
    assert!(!url.contains(pending.verifier.secret()));
    storage.remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
fn constructor_error_is_a_js_error_with_a_code() {
    let Err(error) = EntraAuth::new(config(&[("storage", "localStorage")])) else {
        panic!("localStorage must be refused for tokens");
    };
    assert!(error.is_instance_of::<js_sys::Error>());
    let code = Reflect::get(&error, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("invalid_config"));
    let Err(error) = EntraAuth::new(config(&[("redirectUri", "http://evil.example/cb")])) else {
        panic!("plain http redirect URI must be refused");
    };
    let message: js_sys::Error = error.unchecked_into();
    assert!(String::from(message.message()).contains("redirect_uri"));
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// Runs one Wycheproof file through the shape check and WebCrypto. Returns the number of
/// cases and the `acceptable` ones' verdicts (which may go either way).
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
                && webcrypto::verify(alg, &key, &msg, &sig)
                    .await
                    .unwrap_or(false);
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
            "/../../../../shared/vectors/wycheproof/",
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
    console_log!("RS256-2048 acceptable (tcId, accepted): {acceptable:?}");
}

#[wasm_bindgen_test]
async fn wycheproof_rs256_3072_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("rsa_signature_3072_sha256_test.json"),
        Algorithm::Rs256,
    )
    .await;
    assert!(checked > 200, "{checked}");
    console_log!("RS256-3072 acceptable (tcId, accepted): {acceptable:?}");
}

#[wasm_bindgen_test]
async fn wycheproof_rs256_4096_with_webcrypto() {
    let (checked, acceptable) = wycheproof(
        vectors!("rsa_signature_4096_sha256_test.json"),
        Algorithm::Rs256,
    )
    .await;
    assert!(checked > 200, "{checked}");
    console_log!("RS256-4096 acceptable (tcId, accepted): {acceptable:?}");
}
