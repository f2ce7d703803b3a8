//! ALB claims validation on arbitrary claims, each input signed with the test key so it
//! reaches `validate` (see signing.rs). Asserts what an accepted token must have held.
#![no_main]

use entra_edge_auth::json::Value;
use entra_edge_auth::jwt::{verify_sync, AlbConfig, AlbVerifier};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

mod signing;

const NOW: u64 = 1_800_000_000;
const ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";
const ISS: &str = "https://login.example/v2.0";
const HEADER: &str = r#"{"alg":"ES256","kid":"8e0b9b9f-1c3d-4f6a-9b1e-2d3c4b5a6f70","signer":"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188","client":"c","iss":"https://login.example/v2.0"}"#;

fuzz_target!(|claims: &[u8]| {
    static KEY: OnceLock<signing::Es256Key> = OnceLock::new();
    let key = KEY.get_or_init(signing::Es256Key::fixture);
    let verifier = AlbVerifier::new(
        AlbConfig {
            signers: vec![ARN.into()],
            client_ids: vec!["c".into()],
            issuer: Some(ISS.into()),
            keys_base_url: "http://127.0.0.1:9/keys".into(),
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
        assert!(matches!(map.get("sub"), Some(Value::String(s)) if !s.is_empty()));
        assert!(verified.expires_at + 60 > NOW, "accepted an expired token");
        if let Some(iss) = map.get("iss") {
            assert_eq!(iss.as_str(), Some(ISS), "accepted another issuer");
        }
    }
});
