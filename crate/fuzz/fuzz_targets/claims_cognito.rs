//! Cognito claims validation on arbitrary claims, each input signed with the test key so it
//! reaches `validate` (see signing.rs). Asserts what an accepted token must have held.
#![no_main]

use entra_edge_auth::json::Value;
use entra_edge_auth::jwt::{verify_sync, CognitoConfig, CognitoVerifier, TokenUse};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

mod signing;

const NOW: u64 = 1_800_000_000;
const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
const HEADER: &str = r#"{"alg":"RS256","kid":"fuzz"}"#;

fuzz_target!(|claims: &[u8]| {
    static KEY: OnceLock<signing::Rs256Key> = OnceLock::new();
    let key = KEY.get_or_init(signing::Rs256Key::fixture);
    let verifier = CognitoVerifier::new(
        CognitoConfig {
            issuer: ISS.into(),
            jwks_url: CognitoConfig::default_jwks_url(ISS),
            client_ids: vec!["app".into()],
            token_uses: vec![TokenUse::Access, TokenUse::Id],
        },
        Tuning::default(),
    )
    .expect("static config is valid");
    let token = key.token(HEADER, claims);
    let result = verify_sync(
        &verifier,
        &token,
        NOW,
        &mut |_| Ok(key.public.clone()),
        &RustCrypto,
    );
    if let Ok(verified) = result {
        let map = &verified.claims;
        assert_eq!(map.get("iss").and_then(Value::as_str), Some(ISS));
        assert!(matches!(map.get("sub"), Some(Value::String(s)) if !s.is_empty()));
        assert!(verified.expires_at + 60 > NOW, "accepted an expired token");
        match map.get("token_use").and_then(Value::as_str) {
            Some("access") => assert_eq!(map.get("client_id").and_then(Value::as_str), Some("app")),
            Some("id") => match map.get("aud") {
                Some(Value::String(aud)) => assert_eq!(aud, "app"),
                Some(Value::Array(auds)) => assert!(auds.iter().any(|a| a.as_str() == Some("app"))),
                other => panic!("accepted an ID token with aud {other:?}"),
            },
            other => panic!("accepted token_use {other:?}"),
        }
    }
});
