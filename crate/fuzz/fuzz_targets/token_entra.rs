//! Entra token parsing, pre-checks, signature step and claims on arbitrary input.
#![no_main]

use entra_edge_auth::jwt::{
    EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce, TokenVerifier,
};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;

mod rsa_key;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let host = "http://127.0.0.1:4010";
    let tenant = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";
    let verifier = EntraVerifier::new(
        EntraConfig {
            authority_host: host.into(),
            tenant: tenant.into(),
            audiences: vec!["11111111-2222-3333-4444-555555555555".into()],
            jwks_url: EntraConfig::default_jwks_url(host, tenant),
            issuer_template: None,
            kind: EntraTokenKind::IdToken { nonce: ExpectedNonce::Value("n".into()) },
        },
        Tuning::default(),
    )
    .expect("static config is valid");
    let Ok(pending) = verifier.precheck(token) else { return };
    let Ok(job) = pending.signature_job(&rsa_key::key()) else { return };
    if let Ok(signed) = job.verify_with(&RustCrypto) {
        let _ = verifier.validate(signed, 1_800_000_000);
    }
});
