//! The security review's findings in the core (issue 16): ALB's header `exp` bounds the
//! token's lifetime, `ALB_ISSUER` requires the token to name an issuer, and denies quote
//! neither configuration nor more than a short excerpt of an unverified token.

mod common;

use common::*;
use entra_edge_auth::jwt::{
    AlbConfig, AlbVerifier, CognitoConfig, CognitoVerifier, TokenUse, TokenVerifier, VerifiedToken,
};
use entra_edge_auth::{Error, ErrorCode, Result, Tuning};
use serde_json::{json, Value};

const ISSUER: &str = "https://login.example/configured-tenant/v2.0";
const CLIENT: &str = "configured-alb-client";
const COGNITO_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Configured";
const COGNITO_CLIENT: &str = "configuredcognitoclient";

fn verify(verifier: &dyn TokenVerifier, token: &str, key_body: &str) -> Result<VerifiedToken> {
    verify_with(verifier, token, NOW, key_body).0
}

fn alb(issuer: Option<&str>) -> AlbVerifier {
    AlbVerifier::new(
        AlbConfig {
            signers: vec![ALB_ARN.into()],
            client_ids: vec![CLIENT.into()],
            issuer: issuer.map(str::to_owned),
            keys_base_url: "http://127.0.0.1:9/keys".into(),
        },
        Tuning::default(),
    )
    .unwrap()
}

fn alb_token(header: Value, claims: Value) -> (String, String) {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, header, claims, true);
    (token, signer.public_pem().to_owned())
}

fn header(extra: Value) -> Value {
    let mut h = json!({"alg": "ES256", "kid": ALB_KID, "signer": ALB_ARN, "client": CLIENT,
                       "iss": ISSUER, "exp": NOW + 120});
    merge(&mut h, extra);
    h
}

fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "alice", "exp": NOW + 3600, "iss": ISSUER});
    merge(&mut c, extra);
    c
}

/// `extra`'s members over `v`'s; a `null` removes the member.
fn merge(v: &mut Value, extra: Value) {
    for (k, e) in extra.as_object().unwrap() {
        if e.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = e.clone();
        }
    }
}

fn alb_check(verifier: &AlbVerifier, h: Value, c: Value) -> Result<VerifiedToken> {
    let (token, pem) = alb_token(h, c);
    verify(verifier, &token, &pem)
}

#[test]
fn alb_lifetime_is_the_earlier_of_header_and_claims_exp() {
    let v = alb(Some(ISSUER));
    let early_header = alb_check(&v, header(json!({"exp": NOW + 30})), claims(json!({}))).unwrap();
    assert_eq!(early_header.expires_at, NOW + 30);
    let early_claims = alb_check(
        &v,
        header(json!({"exp": NOW + 900})),
        claims(json!({"exp": NOW + 40})),
    )
    .unwrap();
    assert_eq!(early_claims.expires_at, NOW + 40);
    let no_header_exp = alb_check(&v, header(json!({"exp": null})), claims(json!({}))).unwrap();
    assert_eq!(no_header_exp.expires_at, NOW + 3600);
}

#[test]
fn alb_issuer_configured_requires_one_in_header_or_claims() {
    let v = alb(Some(ISSUER));
    let none = alb_check(
        &v,
        header(json!({"iss": null})),
        claims(json!({"iss": null})),
    );
    assert_eq!(none.unwrap_err().code(), ErrorCode::MissingClaim);
    assert!(alb_check(&v, header(json!({})), claims(json!({"iss": null}))).is_ok());
    assert!(alb_check(&v, header(json!({"iss": null})), claims(json!({}))).is_ok());
    let wrong_claims = alb_check(
        &v,
        header(json!({"iss": null})),
        claims(json!({"iss": "https://evil/"})),
    );
    assert_eq!(wrong_claims.unwrap_err().code(), ErrorCode::IssuerMismatch);
    let not_a_string = alb_check(&v, header(json!({"iss": 7})), claims(json!({})));
    assert_eq!(not_a_string.unwrap_err().code(), ErrorCode::MalformedHeader);
    // Without ALB_ISSUER, no issuer is required.
    let unset = alb(None);
    assert!(alb_check(
        &unset,
        header(json!({"iss": null})),
        claims(json!({"iss": null}))
    )
    .is_ok());
}

fn assert_discloses_nothing(error: &Error, configured: &[&str]) {
    let text = error.to_string();
    for value in configured {
        assert!(!text.contains(value), "{text} quotes {value}");
    }
    assert!(
        !text.contains(&"z".repeat(40)),
        "{text} quotes a long excerpt"
    );
}

#[test]
fn alb_denies_quote_no_configuration() {
    let v = alb(Some(ISSUER));
    let long = format!("https://evil.example/{}", "z".repeat(300));
    for (h, c) in [
        (header(json!({"iss": long})), claims(json!({}))),
        (header(json!({"iss": null})), claims(json!({"iss": long}))),
        (header(json!({"client": long})), claims(json!({}))),
        (header(json!({"signer": long})), claims(json!({}))),
        (header(json!({"alg": long})), claims(json!({}))),
        (header(json!({"crit": [long]})), claims(json!({}))),
    ] {
        let error = alb_check(&v, h, c).unwrap_err();
        assert_discloses_nothing(&error, &[ISSUER, CLIENT, ALB_ARN, "127.0.0.1:9"]);
    }
}

fn cognito() -> CognitoVerifier {
    CognitoVerifier::new(
        CognitoConfig {
            issuer: COGNITO_ISS.into(),
            jwks_url: format!("{COGNITO_ISS}/.well-known/jwks.json"),
            client_ids: vec![COGNITO_CLIENT.into(), "second-configured-client".into()],
            token_uses: vec![TokenUse::Access, TokenUse::Id],
        },
        Tuning::default(),
    )
    .unwrap()
}

#[test]
fn cognito_denies_quote_no_configuration() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let jwks = signer.jwks("k1");
    let long = "z".repeat(300);
    let h = json!({"alg": "RS256", "kid": "k1"});
    let base = json!({"sub": "u", "iss": COGNITO_ISS, "exp": NOW + 600, "token_use": "id",
                      "aud": COGNITO_CLIENT});
    let cases = [
        json!({"aud": "another-client-of-the-pool"}),
        json!({"aud": [long.clone(), "x"]}),
        json!({"iss": format!("https://other/{long}")}),
        json!({"token_use": long.clone()}),
        json!({"token_use": "access", "client_id": long.clone()}),
    ];
    for extra in cases {
        let mut c = base.clone();
        merge(&mut c, extra.clone());
        let error = verify(&cognito(), &rs256(&signer, h.clone(), c), &jwks).unwrap_err();
        assert_discloses_nothing(
            &error,
            &[
                COGNITO_CLIENT,
                "second-configured-client",
                "us-east-1_Configured",
            ],
        );
        assert_ne!(error.code(), ErrorCode::BadSignature, "{extra}");
    }
}
