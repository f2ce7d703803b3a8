//! ALB token parsing, pre-checks, signature step and claims on arbitrary input.
#![no_main]

use entra_edge_auth::jwt::{AlbConfig, AlbVerifier, TokenVerifier};
use entra_edge_auth::jwt::key::parse_p256_pem;
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;

const ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";
const KEY: &str = include_str!("../../tests/fixtures/p256-a.pub.pem");

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let verifier = AlbVerifier::new(
        AlbConfig {
            signers: vec![ARN.into()],
            client_ids: vec![],
            issuer: None,
            keys_base_url: "http://127.0.0.1:9/keys".into(),
        },
        Tuning::default(),
    )
    .expect("static config is valid");
    let Ok(pending) = verifier.precheck(token) else { return };
    // A kid that passed the pre-check must be safe to put in a URL path.
    let kid = &pending.key_ref().kid;
    assert!(kid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'), "{kid}");
    let key = parse_p256_pem(KEY.as_bytes()).expect("fixture key parses");
    let Ok(job) = pending.signature_job(&key) else { return };
    if let Ok(signed) = job.verify_with(&RustCrypto) {
        let _ = verifier.validate(signed, 1_800_000_000);
    }
});
