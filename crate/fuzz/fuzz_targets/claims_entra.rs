//! Entra ID-token claims validation on arbitrary claims, each input signed with the test
//! key so it reaches `validate` (see signing.rs). Asserts what an accepted token must have
//! held.
#![no_main]

use entra_edge_auth::json::Value;
use entra_edge_auth::jwt::{
    verify_sync, EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce,
};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

mod signing;

const NOW: u64 = 1_800_000_000;
const HOST: &str = "http://127.0.0.1:4010";
const TENANT: &str = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const HEADER: &str = r#"{"alg":"RS256","kid":"fuzz"}"#;

fuzz_target!(|claims: &[u8]| {
    static KEY: OnceLock<signing::Rs256Key> = OnceLock::new();
    let key = KEY.get_or_init(signing::Rs256Key::fixture);
    let verifier = EntraVerifier::new(
        EntraConfig {
            authority_host: HOST.into(),
            tenant: TENANT.into(),
            audiences: vec![CLIENT.into()],
            jwks_url: EntraConfig::default_jwks_url(HOST, TENANT),
            issuer_template: None,
            kind: EntraTokenKind::IdToken {
                nonce: ExpectedNonce::Value("n".into()),
            },
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
        let tid = map
            .get("tid")
            .and_then(Value::as_str)
            .expect("accepted without tid");
        assert!(tid.eq_ignore_ascii_case(TENANT), "accepted tenant {tid}");
        let iss = format!("{HOST}/{TENANT}/v2.0");
        assert_eq!(map.get("iss").and_then(Value::as_str), Some(iss.as_str()));
        assert_eq!(map.get("nonce").and_then(Value::as_str), Some("n"));
        assert!(verified.expires_at + 60 > NOW, "accepted an expired token");
        match map.get("aud") {
            Some(Value::String(aud)) => assert_eq!(aud, CLIENT),
            Some(Value::Array(auds)) => {
                assert!(auds.iter().any(|a| a.as_str() == Some(CLIENT)));
                if auds.len() > 1 {
                    assert_eq!(map.get("azp").and_then(Value::as_str), Some(CLIENT));
                }
            }
            other => panic!("accepted aud {other:?}"),
        }
    }
});
