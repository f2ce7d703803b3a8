//! The verifiers' test configuration, shared by the test files that verify tokens of each
//! source (one tenant, one pool, one load balancer; made-up values on loopback).

use entra_edge_auth::jwt::{
    AlbConfig, AlbVerifier, CognitoConfig, CognitoVerifier, EntraConfig, EntraTokenKind,
    EntraVerifier, TokenUse,
};
use entra_edge_auth::Tuning;
use serde_json::{json, Value};

use super::{ALB_ARN, ALB_KID, NOW};

pub const KEYS_BASE: &str = "http://127.0.0.1:9/alb-keys";
pub const ALB_ISSUER: &str = "https://login.example/v2.0";
pub const ALB_CLIENT: &str = "alb-client";
pub const COGNITO_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1";
pub const COGNITO_CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
pub const TENANT: &str = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";
pub const ENTRA_CLIENT: &str = "11111111-2222-3333-4444-555555555555";
pub const ENTRA_HOST: &str = "http://127.0.0.1:4010";

/// `v` with `key` set to `value`.
pub fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// `v` without `key`.
pub fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

pub fn alb_verifier() -> AlbVerifier {
    AlbVerifier::new(
        AlbConfig {
            signers: vec![ALB_ARN.into()],
            client_ids: vec![ALB_CLIENT.into()],
            issuer: Some(ALB_ISSUER.into()),
            keys_base_url: KEYS_BASE.into(),
        },
        Tuning::default(),
    )
    .unwrap()
}

/// The header ALB writes, for the fixture key `p256-a` under [`ALB_KID`].
pub fn alb_header() -> Value {
    json!({"alg": "ES256", "kid": ALB_KID, "signer": ALB_ARN, "iss": ALB_ISSUER,
           "client": ALB_CLIENT, "exp": NOW + 120, "typ": "JWT"})
}

pub fn cognito_verifier(uses: Vec<TokenUse>) -> CognitoVerifier {
    CognitoVerifier::new(
        CognitoConfig {
            issuer: COGNITO_ISS.into(),
            jwks_url: CognitoConfig::default_jwks_url(COGNITO_ISS),
            client_ids: vec![COGNITO_CLIENT.into()],
            token_uses: uses,
        },
        Tuning::default(),
    )
    .unwrap()
}

pub fn cognito_header() -> Value {
    json!({"alg": "RS256", "kid": "cognito-key-1"})
}

pub fn entra_verifier(kind: EntraTokenKind, audience: &str) -> EntraVerifier {
    EntraVerifier::new(
        EntraConfig {
            authority_host: ENTRA_HOST.into(),
            tenant: TENANT.into(),
            audiences: vec![audience.into()],
            jwks_url: EntraConfig::default_jwks_url(ENTRA_HOST, TENANT),
            issuer_template: None,
            kind,
        },
        Tuning::default(),
    )
    .unwrap()
}
