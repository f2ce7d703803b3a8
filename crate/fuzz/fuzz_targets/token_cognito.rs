//! Cognito token parsing, pre-checks, signature step and claims on arbitrary input.
#![no_main]

use entra_edge_auth::jwt::{CognitoConfig, CognitoVerifier, TokenUse, TokenVerifier};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::Tuning;
use libfuzzer_sys::fuzz_target;

mod rsa_key;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else { return };
    let iss = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
    let verifier = CognitoVerifier::new(
        CognitoConfig {
            issuer: iss.into(),
            jwks_url: CognitoConfig::default_jwks_url(iss),
            client_ids: vec!["app".into()],
            token_uses: vec![TokenUse::Access, TokenUse::Id],
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
