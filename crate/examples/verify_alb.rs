//! Verifies an AWS ALB `x-amzn-oidc-data` token natively with the pure-Rust backend:
//! `cargo run -p entra-edge-auth --example verify_alb`. Offline: the token and the PEM its
//! key URL would serve are committed beside this file (examples/alb/, a throwaway key), and
//! `now` is an argument (sans-IO), so the token verifies as of the hour it was valid.
use entra_edge_auth::jwt::{key::parse_p256_pem, verify_sync, AlbConfig, AlbVerifier};
use entra_edge_auth::jwt::{KeyRef, PublicKey};
use entra_edge_auth::{rust_crypto::RustCrypto, Result, Tuning};

const ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/example/50dc6c495c0c9188";

fn main() -> Result<()> {
    let config = AlbConfig {
        signers: vec![ARN.into()],
        client_ids: vec!["example-client".into()],
        issuer: Some("https://login.example.com/v2.0".into()),
        keys_base_url: AlbConfig::default_keys_base_url("eu-west-1")?,
    };
    let verifier = AlbVerifier::new(config, Tuning::default())?;
    // The caller fetches keys: a real program GETs `verifier.key_url(kid)` (a checked UUID).
    let mut fetch_key = |key: &KeyRef| -> Result<PublicKey> {
        println!("key: {}", verifier.key_url(&key.kid));
        parse_p256_pem(include_bytes!("alb/key.pem"))
    };
    let token = include_str!("alb/token.txt").trim();
    let now = 1_767_226_000; // the caller's clock, Unix seconds
    let ok = verify_sync(&verifier, token, now, &mut fetch_key, &RustCrypto)?;
    println!("verified: sub {}, exp {}", ok.subject, ok.expires_at);
    // Past `exp` plus the clock skew (60 s), the same token is refused with a stable code.
    let late = ok.expires_at + 61;
    let refused = verify_sync(&verifier, token, late, &mut fetch_key, &RustCrypto);
    let code = refused.expect_err("expired, yet accepted").code();
    println!("at exp + 61 s: {}", code.as_str());
    Ok(())
}
