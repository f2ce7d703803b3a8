//! One test per rule, per verifier, each asserting the error code. Tokens are minted per
//! test with the fixture keys; keys are resolved through the real sans-IO [`KeyCache`].

mod common;

use common::sources::*;
use common::*;
use entra_edge_auth::jwt::{
    AlbConfig, EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce, TokenUse, VerifiedToken,
};
use entra_edge_auth::{ErrorCode, Result, Tuning};
use serde_json::{json, Value};

// ---------------------------------------------------------------- ALB

fn alb_claims() -> Value {
    json!({"sub": "alice-sub", "email": "alice@example.com", "exp": NOW + 120,
           "iss": "https://login.example/v2.0", "groups": ["SG-StackFlow-Agents"]})
}

fn alb_check(header: Value, claims: Value, padded: bool) -> Result<VerifiedToken> {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, header, claims, padded);
    verify_with(&alb_verifier(), &token, NOW, signer.public_pem()).0
}

#[test]
fn alb_accepts_padded_segments() {
    let v = alb_check(alb_header(), alb_claims(), true).unwrap();
    assert_eq!(v.subject, "alice-sub");
    assert_eq!(v.expires_at, NOW + 120);
}

#[test]
fn alb_accepts_unpadded_segments() {
    assert!(alb_check(alb_header(), alb_claims(), false).is_ok());
}

#[test]
fn alb_fetches_key_from_base_and_kid() {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, alb_header(), alb_claims(), true);
    let (result, fetched) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
    assert!(result.is_ok());
    assert_eq!(fetched, vec![format!("{KEYS_BASE}/{ALB_KID}")]);
}

#[test]
fn alb_rejects_alg_none() {
    let r = alb_check(with(alb_header(), "alg", json!("none")), alb_claims(), true);
    assert_eq!(code(r), ErrorCode::UnsupportedAlgorithm);
}

#[test]
fn alb_rejects_rs256_and_hs256() {
    for alg in ["RS256", "HS256", "ES384", "es256"] {
        let r = alb_check(with(alb_header(), "alg", json!(alg)), alb_claims(), true);
        assert_eq!(code(r), ErrorCode::UnsupportedAlgorithm, "{alg}");
    }
}

#[test]
fn alb_rejects_unknown_crit() {
    let h = with(alb_header(), "crit", json!(["exp"]));
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::UnsupportedCritical
    );
}

#[test]
fn alb_rejects_missing_exp() {
    let r = alb_check(alb_header(), without(alb_claims(), "exp"), true);
    assert_eq!(code(r), ErrorCode::MissingClaim);
}

#[test]
fn alb_rejects_expired() {
    let h = with(alb_header(), "exp", json!(NOW - 3600));
    let c = with(alb_claims(), "exp", json!(NOW - 3600));
    assert_eq!(code(alb_check(h, c, true)), ErrorCode::TokenExpired);
}

#[test]
fn alb_rejects_expired_header_exp() {
    let h = with(alb_header(), "exp", json!(NOW - 3600));
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::TokenExpired
    );
}

#[test]
fn alb_rejects_iat_in_future() {
    let c = with(alb_claims(), "iat", json!(NOW + 600));
    assert_eq!(
        code(alb_check(alb_header(), c, true)),
        ErrorCode::IssuedInFuture
    );
}

#[test]
fn alb_rejects_nbf_in_future() {
    let c = with(alb_claims(), "nbf", json!(NOW + 600));
    assert_eq!(
        code(alb_check(alb_header(), c, true)),
        ErrorCode::TokenNotYetValid
    );
}

#[test]
fn alb_rejects_wrong_signer() {
    let h = with(
        alb_header(),
        "signer",
        json!("arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/evil/1"),
    );
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::SignerMismatch
    );
    let h = without(alb_header(), "signer");
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::SignerMismatch
    );
}

#[test]
fn alb_rejects_wrong_client() {
    let h = with(alb_header(), "client", json!("other-client"));
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::ClientMismatch
    );
}

#[test]
fn alb_rejects_wrong_issuer() {
    let h = with(alb_header(), "iss", json!("https://evil.example/v2.0"));
    assert_eq!(
        code(alb_check(h, alb_claims(), true)),
        ErrorCode::IssuerMismatch
    );
    let c = with(alb_claims(), "iss", json!("https://evil.example/v2.0"));
    assert_eq!(
        code(alb_check(alb_header(), c, true)),
        ErrorCode::IssuerMismatch
    );
}

#[test]
fn alb_rejects_kid_that_is_not_a_uuid_before_any_fetch() {
    let signer = EcSigner::fixture("p256-a");
    for kid in [
        "../x",
        "..%2F..%2Fevil",
        "https://evil.example/key",
        "",
        "8e0b9b9f-1c3d-4f6a-9b1e-2d3c4b5a6f70/../x",
    ] {
        let token = es256(
            &signer,
            with(alb_header(), "kid", json!(kid)),
            alb_claims(),
            true,
        );
        let (result, fetched) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
        assert_eq!(code(result), ErrorCode::InvalidKid, "{kid}");
        assert!(fetched.is_empty(), "{kid} caused a fetch: {fetched:?}");
    }
}

#[test]
fn alb_rejects_der_encoded_signature() {
    let signer = EcSigner::fixture("p256-a");
    let input = signing_input(&alb_header(), &alb_claims(), true);
    let der = signer.sign_der(input.as_bytes());
    let token = format!("{input}.{}", b64(&der, true));
    let (result, _) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
    assert_eq!(code(result), ErrorCode::BadSignature);
}

#[test]
fn alb_rejects_signature_by_another_key() {
    let other = EcSigner::fixture("p256-b");
    let served = EcSigner::fixture("p256-a");
    let token = es256(&other, alb_header(), alb_claims(), true);
    let (result, _) = verify_with(&alb_verifier(), &token, NOW, served.public_pem());
    assert_eq!(code(result), ErrorCode::BadSignature);
}

#[test]
fn alb_rejects_tampered_claims() {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, alb_header(), alb_claims(), false);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = b64(
        with(alb_claims(), "sub", json!("mallory"))
            .to_string()
            .as_bytes(),
        false,
    );
    let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
    let (result, _) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
    assert_eq!(code(result), ErrorCode::BadSignature);
}

#[test]
fn alb_rejects_oversized_token() {
    let c = with(alb_claims(), "pad", json!("x".repeat(20_000)));
    assert_eq!(
        code(alb_check(alb_header(), c, true)),
        ErrorCode::TokenTooLarge
    );
}

#[test]
fn alb_rejects_wrong_segment_counts() {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, alb_header(), alb_claims(), true);
    for bad in [
        token.replacen('.', "", 1),
        format!("{token}.x"),
        "a.b".into(),
    ] {
        let (result, _) = verify_with(&alb_verifier(), &bad, NOW, signer.public_pem());
        let c = code(result);
        assert!(
            matches!(c, ErrorCode::MalformedToken | ErrorCode::MalformedHeader),
            "{c:?}"
        );
    }
}

#[test]
fn alb_rejects_non_json_header_and_non_object_claims() {
    let signer = EcSigner::fixture("p256-a");
    let token = format!(
        "{}.{}.{}",
        b64(b"not json", true),
        b64(b"{}", true),
        b64(&[0; 64], true)
    );
    let (result, _) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
    assert_eq!(code(result), ErrorCode::MalformedHeader);
    let token = format!(
        "{}.{}.{}",
        b64(alb_header().to_string().as_bytes(), true),
        b64(b"[1,2]", true),
        b64(&[0; 64], true)
    );
    let (result, _) = verify_with(&alb_verifier(), &token, NOW, signer.public_pem());
    assert_eq!(code(result), ErrorCode::MalformedClaims);
}

#[test]
fn alb_rejects_key_that_is_not_p256() {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, alb_header(), alb_claims(), true);
    let (result, _) = verify_with(
        &alb_verifier(),
        &token,
        NOW,
        &RsaSigner::fixture("rsa-2048-a.pem").jwks("k"),
    );
    assert_eq!(code(result), ErrorCode::MalformedKey);
}

#[test]
fn alb_region_names_the_key_endpoint_and_nothing_else_does() {
    assert_eq!(
        AlbConfig::default_keys_base_url("us-east-1").unwrap(),
        "https://public-keys.auth.elb.us-east-1.amazonaws.com"
    );
    assert!(AlbConfig::default_keys_base_url(&"a".repeat(32)).is_ok());
    // The region becomes part of a host name: anything but an AWS region's shape is refused.
    let too_long = "a".repeat(33);
    for region in [
        "",
        &too_long,
        "US-EAST-1",
        "us_east_1",
        "us-east-1.evil.example/x",
        "us east",
    ] {
        assert_eq!(
            AlbConfig::default_keys_base_url(region).unwrap_err().code(),
            ErrorCode::InvalidConfig,
            "{region:?}"
        );
    }
}

#[test]
fn alb_key_url_is_the_base_and_the_kid() {
    assert_eq!(
        alb_verifier().key_url(ALB_KID),
        format!("{KEYS_BASE}/{ALB_KID}")
    );
}

// ---------------------------------------------------------------- Cognito

#[test]
fn cognito_pool_issuer_is_built_from_region_and_pool_id() {
    // The shape Cognito puts in `iss` (and serves keys under): an exact match is required.
    assert_eq!(
        entra_edge_auth::jwt::CognitoConfig::issuer_for_pool("eu-west-1", "eu-west-1_AbC123"),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );
}

#[test]
fn cognito_token_use_names_read_back() {
    for token_use in [TokenUse::Access, TokenUse::Id] {
        assert_eq!(TokenUse::parse(token_use.as_str()), Some(token_use));
    }
    assert_eq!(TokenUse::Access.as_str(), "access");
    assert_eq!(TokenUse::Id.as_str(), "id");
}

fn cognito_access_claims() -> Value {
    json!({"sub": "u-1", "iss": COGNITO_ISS, "token_use": "access", "client_id": COGNITO_CLIENT,
           "exp": NOW + 3600, "iat": NOW - 10, "cognito:groups": ["itsm_agent"], "scope": "openid"})
}

fn cognito_id_claims() -> Value {
    json!({"sub": "u-1", "iss": COGNITO_ISS, "token_use": "id", "aud": COGNITO_CLIENT,
           "exp": NOW + 3600, "iat": NOW - 10, "custom:role": "viewer"})
}

fn cognito_check(header: Value, claims: Value) -> Result<VerifiedToken> {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&signer, header, claims);
    verify_with(
        &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
        &token,
        NOW,
        &signer.jwks("cognito-key-1"),
    )
    .0
}

#[test]
fn cognito_accepts_access_and_id_tokens() {
    let access = cognito_check(cognito_header(), cognito_access_claims()).unwrap();
    assert_eq!(access.source.as_str(), "cognito_access");
    let id = cognito_check(cognito_header(), cognito_id_claims()).unwrap();
    assert_eq!(id.source.as_str(), "cognito_id");
}

#[test]
fn cognito_fetches_the_pool_jwks() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&signer, cognito_header(), cognito_access_claims());
    let (result, fetched) = verify_with(
        &cognito_verifier(vec![TokenUse::Access]),
        &token,
        NOW,
        &signer.jwks("cognito-key-1"),
    );
    assert!(result.is_ok());
    assert_eq!(
        fetched,
        vec![format!("{COGNITO_ISS}/.well-known/jwks.json")]
    );
}

#[test]
fn cognito_rejects_alg_none_hs256_es256() {
    for alg in ["none", "HS256", "ES256", "PS256"] {
        let r = cognito_check(
            with(cognito_header(), "alg", json!(alg)),
            cognito_access_claims(),
        );
        assert_eq!(code(r), ErrorCode::UnsupportedAlgorithm, "{alg}");
    }
}

#[test]
fn cognito_rejects_hs256_signed_with_the_public_key() {
    // The classic confusion: HMAC keyed with the RSA public key's bytes.
    use hmac_sha256::hmac;
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let header = with(cognito_header(), "alg", json!("HS256"));
    let input = signing_input(&header, &cognito_access_claims(), false);
    let mac = hmac(signer.jwks("cognito-key-1").as_bytes(), input.as_bytes());
    let token = format!("{input}.{}", b64(&mac, false));
    let (result, fetched) = verify_with(
        &cognito_verifier(vec![TokenUse::Access]),
        &token,
        NOW,
        &signer.jwks("cognito-key-1"),
    );
    assert_eq!(code(result), ErrorCode::UnsupportedAlgorithm);
    assert!(fetched.is_empty());
}

mod hmac_sha256 {
    use sha2::{Digest, Sha256};
    /// HMAC-SHA256 (RFC 2104), just enough to forge the confusion token above.
    pub fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let ih = Sha256::new()
            .chain_update(&inner)
            .chain_update(msg)
            .finalize();
        Sha256::new()
            .chain_update(&outer)
            .chain_update(ih)
            .finalize()
            .to_vec()
    }
}

#[test]
fn cognito_rejects_unknown_crit() {
    let h = with(cognito_header(), "crit", json!(["b64"]));
    assert_eq!(
        code(cognito_check(h, cognito_access_claims())),
        ErrorCode::UnsupportedCritical
    );
}

#[test]
fn cognito_rejects_missing_kid() {
    let h = without(cognito_header(), "kid");
    assert_eq!(
        code(cognito_check(h, cognito_access_claims())),
        ErrorCode::InvalidKid
    );
}

#[test]
fn cognito_rejects_unknown_kid() {
    let h = with(cognito_header(), "kid", json!("not-in-jwks"));
    assert_eq!(
        code(cognito_check(h, cognito_access_claims())),
        ErrorCode::UnknownKid
    );
}

#[test]
fn cognito_rejects_missing_exp() {
    let r = cognito_check(cognito_header(), without(cognito_access_claims(), "exp"));
    assert_eq!(code(r), ErrorCode::MissingClaim);
}

#[test]
fn cognito_rejects_expired() {
    let c = with(cognito_access_claims(), "exp", json!(NOW - 61));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::TokenExpired
    );
}

#[test]
fn cognito_allows_expiry_within_skew() {
    let c = with(cognito_access_claims(), "exp", json!(NOW - 30));
    assert!(cognito_check(cognito_header(), c).is_ok());
}

#[test]
fn cognito_rejects_iat_in_future() {
    let c = with(cognito_access_claims(), "iat", json!(NOW + 61));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::IssuedInFuture
    );
}

#[test]
fn cognito_rejects_wrong_issuer() {
    let c = with(
        cognito_access_claims(),
        "iss",
        json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
    );
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::IssuerMismatch
    );
}

#[test]
fn cognito_rejects_wrong_client_id_and_audience() {
    let c = with(cognito_access_claims(), "client_id", json!("someone-else"));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::ClientMismatch
    );
    let c = with(cognito_id_claims(), "aud", json!("someone-else"));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::ClientMismatch
    );
}

#[test]
fn cognito_rejects_token_use_not_accepted() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&signer, cognito_header(), cognito_id_claims());
    let (result, _) = verify_with(
        &cognito_verifier(vec![TokenUse::Access]),
        &token,
        NOW,
        &signer.jwks("cognito-key-1"),
    );
    assert_eq!(code(result), ErrorCode::TokenUseMismatch);
    let c = with(cognito_access_claims(), "token_use", json!("refresh"));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::TokenUseMismatch
    );
}

#[test]
fn cognito_rejects_padded_segments() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    // Only ALB pads; a padded Cognito token is malformed.
    let header = json!({"alg": "RS256", "kid": "cognito-key-1", "x": "y"});
    let input = signing_input(&header, &cognito_access_claims(), true);
    assert!(input.contains('='), "fixture must need padding");
    let token = format!("{input}.{}", b64(&signer.sign(input.as_bytes()), false));
    let (result, _) = verify_with(
        &cognito_verifier(vec![TokenUse::Access]),
        &token,
        NOW,
        &signer.jwks("cognito-key-1"),
    );
    let c = code(result);
    assert!(
        matches!(c, ErrorCode::MalformedHeader | ErrorCode::MalformedClaims),
        "{c:?}"
    );
}

#[test]
fn cognito_rejects_signature_by_another_key() {
    let attacker = RsaSigner::fixture("rsa-2048-b.pem");
    let served = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&attacker, cognito_header(), cognito_access_claims());
    let (result, _) = verify_with(
        &cognito_verifier(vec![TokenUse::Access]),
        &token,
        NOW,
        &served.jwks("cognito-key-1"),
    );
    assert_eq!(code(result), ErrorCode::BadSignature);
}

#[test]
fn cognito_rejects_oversized_token() {
    let c = with(cognito_access_claims(), "pad", json!("x".repeat(17_000)));
    assert_eq!(
        code(cognito_check(cognito_header(), c)),
        ErrorCode::TokenTooLarge
    );
}

// ---------------------------------------------------------------- Entra

fn id_token_claims() -> Value {
    json!({"iss": format!("{ENTRA_HOST}/{TENANT}/v2.0"), "aud": ENTRA_CLIENT, "tid": TENANT,
           "sub": "entra-sub", "oid": "oid-1", "nonce": "n-0S6_WzA2Mj", "exp": NOW + 3600,
           "iat": NOW - 5, "nbf": NOW - 5, "preferred_username": "alice@contoso.example",
           "groups": ["SG-StackFlow-Admins"]})
}

fn entra_id_check(claims: Value, nonce: &str) -> Result<VerifiedToken> {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "entra-1", "typ": "JWT"}),
        claims,
    );
    let verifier = entra_verifier(
        EntraTokenKind::IdToken {
            nonce: ExpectedNonce::Value(nonce.into()),
        },
        ENTRA_CLIENT,
    );
    verify_with(&verifier, &token, NOW, &signer.jwks("entra-1")).0
}

#[test]
fn entra_accepts_id_token() {
    let v = entra_id_check(id_token_claims(), "n-0S6_WzA2Mj").unwrap();
    assert_eq!(v.subject, "entra-sub");
}

#[test]
fn entra_rejects_nonce_mismatch_and_missing_nonce() {
    assert_eq!(
        code(entra_id_check(id_token_claims(), "other")),
        ErrorCode::NonceMismatch
    );
    let c = without(id_token_claims(), "nonce");
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::NonceMismatch
    );
}

#[test]
fn entra_nonce_must_match_byte_for_byte() {
    // One byte off; two bytes swapped (their differences would cancel in a XOR sum); the
    // sent nonce cut short; the sent nonce with more after it.
    for nonce in [
        "n-0S6_WzA2Mk",
        "n-S06_WzA2Mj",
        "n-0S6_WzA2M",
        "n-0S6_WzA2Mj0",
    ] {
        let c = with(id_token_claims(), "nonce", json!(nonce));
        assert_eq!(
            code(entra_id_check(c, "n-0S6_WzA2Mj")),
            ErrorCode::NonceMismatch,
            "{nonce}"
        );
    }
}

#[test]
fn entra_rejects_wrong_audience() {
    let c = with(
        id_token_claims(),
        "aud",
        json!("00000003-0000-0000-c000-000000000000"),
    );
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::AudienceMismatch
    );
}

#[test]
fn entra_rejects_several_audiences_without_matching_azp() {
    let c = with(id_token_claims(), "aud", json!([ENTRA_CLIENT, "other"]));
    let c = with(c, "azp", json!("other"));
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::AudienceMismatch
    );
}

#[test]
fn entra_rejects_wrong_tenant() {
    let c = with(
        id_token_claims(),
        "tid",
        json!("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
    );
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::TenantMismatch
    );
}

#[test]
fn entra_rejects_wrong_issuer() {
    let c = with(
        id_token_claims(),
        "iss",
        json!(format!("https://login.microsoftonline.com/{TENANT}/v2.0")),
    );
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::IssuerMismatch
    );
}

#[test]
fn entra_rejects_expired_and_future() {
    let c = with(id_token_claims(), "exp", json!(NOW - 100));
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::TokenExpired
    );
    let c = with(id_token_claims(), "nbf", json!(NOW + 100));
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::TokenNotYetValid
    );
    let c = with(id_token_claims(), "iat", json!(NOW + 100));
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::IssuedInFuture
    );
    let c = without(id_token_claims(), "exp");
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::MissingClaim
    );
}

/// An ID-token verifier for a multi-tenant app (`organizations`): the issuer comes from the
/// token's own `tid`.
fn entra_multi_tenant_verifier() -> EntraVerifier {
    EntraVerifier::new(
        EntraConfig {
            authority_host: ENTRA_HOST.into(),
            tenant: "organizations".into(),
            audiences: vec![ENTRA_CLIENT.into()],
            jwks_url: EntraConfig::default_jwks_url(ENTRA_HOST, "organizations"),
            issuer_template: None,
            kind: EntraTokenKind::IdToken {
                nonce: ExpectedNonce::NotRequested,
            },
        },
        Tuning::default(),
    )
    .unwrap()
}

#[test]
fn entra_multi_tenant_builds_issuer_from_tid() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let verifier = entra_multi_tenant_verifier();
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "entra-1"}),
        id_token_claims(),
    );
    assert!(verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"))
        .0
        .is_ok());
    // A token whose iss names another tenant than its tid is refused.
    let c = with(
        id_token_claims(),
        "tid",
        json!("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
    );
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), c);
    assert_eq!(
        code(verify_with(&verifier, &token, NOW, &signer.jwks("entra-1")).0),
        ErrorCode::IssuerMismatch
    );
}

#[test]
fn entra_multi_tenant_refuses_a_tid_that_is_not_a_guid() {
    // The issuer is built from the tid: a made-up tenant name with an issuer to match must
    // not get that far.
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let c = with(id_token_claims(), "tid", json!("contoso"));
    let c = with(c, "iss", json!(format!("{ENTRA_HOST}/contoso/v2.0")));
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), c);
    let result = verify_with(
        &entra_multi_tenant_verifier(),
        &token,
        NOW,
        &signer.jwks("entra-1"),
    );
    assert_eq!(code(result.0), ErrorCode::TenantMismatch);
}

#[test]
fn entra_asks_for_azp_only_when_there_are_several_audiences() {
    // OIDC Core §3.1.3.7 steps 4–5: one audience in an array needs no azp...
    let c = with(id_token_claims(), "aud", json!([ENTRA_CLIENT]));
    assert_eq!(
        entra_id_check(c, "n-0S6_WzA2Mj").unwrap().subject,
        "entra-sub"
    );
    // ...two do.
    let c = with(id_token_claims(), "aud", json!([ENTRA_CLIENT, "other"]));
    assert_eq!(
        code(entra_id_check(c, "n-0S6_WzA2Mj")),
        ErrorCode::MissingClaim
    );
}

#[test]
fn entra_jwks_url_is_the_tenants_discovery_keys() {
    assert_eq!(
        EntraConfig::default_jwks_url("https://login.microsoftonline.com/", TENANT),
        format!("https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys")
    );
}

#[test]
fn entra_access_token_verifier_refuses_id_tokens() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let verifier = entra_verifier(EntraTokenKind::AccessToken, ENTRA_CLIENT);
    let id_token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "entra-1"}),
        id_token_claims(),
    );
    let (result, _) = verify_with(&verifier, &id_token, NOW, &signer.jwks("entra-1"));
    assert_eq!(code(result), ErrorCode::TokenUseMismatch);
    let access = with(
        without(id_token_claims(), "nonce"),
        "scp",
        json!("access_as_user"),
    );
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), access);
    assert!(verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"))
        .0
        .is_ok());
}

#[test]
fn entra_rejects_alg_none_and_hs256() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let verifier = entra_verifier(EntraTokenKind::AccessToken, ENTRA_CLIENT);
    for alg in ["none", "HS256", "ES256"] {
        let input = signing_input(
            &json!({"alg": alg, "kid": "entra-1"}),
            &id_token_claims(),
            false,
        );
        let token = format!("{input}.");
        let (result, _) = verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"));
        assert_eq!(code(result), ErrorCode::UnsupportedAlgorithm, "{alg}");
    }
}

#[test]
fn verified_alb_token_becomes_an_identity_with_mapped_roles() {
    use entra_edge_auth::roles::RoleMapping;
    let mapping = RoleMapping::from_json(
        r#"{"SG-StackFlow-Admins": "super_admin", "SG-StackFlow-ITSM-Managers": "itsm_manager",
            "SG-StackFlow-Agents": "itsm_agent", "SG-StackFlow-ReadOnly": "viewer"}"#,
    )
    .unwrap();
    let identity = alb_check(alb_header(), alb_claims(), true)
        .unwrap()
        .into_identity(&mapping);
    assert_eq!(identity.subject, "alice-sub");
    assert_eq!(identity.roles, vec!["itsm_agent".to_string()]);
    assert!(!identity.groups_overage);
    assert_eq!(identity.source.family(), "alb");
}

#[test]
fn entra_names_an_id_token_sent_for_an_api_as_the_wrong_kind() {
    // The ID token is for the SPA's client id; the API verifier expects its own audience.
    // What kind of token it is is reported before whom it is for.
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let verifier = entra_verifier(EntraTokenKind::AccessToken, "api://stackflow-obo");
    let id_token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "entra-1"}),
        id_token_claims(),
    );
    let (result, _) = verify_with(&verifier, &id_token, NOW, &signer.jwks("entra-1"));
    assert_eq!(code(result), ErrorCode::TokenUseMismatch);
    // An access token for another API (Microsoft Graph) is an audience mismatch.
    let graph = with(
        with(
            without(id_token_claims(), "nonce"),
            "scp",
            json!("User.Read"),
        ),
        "aud",
        json!("00000003-0000-0000-c000-000000000000"),
    );
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), graph);
    let (result, _) = verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"));
    assert_eq!(code(result), ErrorCode::AudienceMismatch);
}

#[test]
fn entra_consumers_accepts_only_the_microsoft_account_tenant() {
    use entra_edge_auth::jwt::entra::MICROSOFT_ACCOUNT_TENANT;
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let verifier = EntraVerifier::new(
        EntraConfig {
            authority_host: ENTRA_HOST.into(),
            tenant: "consumers".into(),
            audiences: vec![ENTRA_CLIENT.into()],
            jwks_url: EntraConfig::default_jwks_url(ENTRA_HOST, "consumers"),
            issuer_template: None,
            kind: EntraTokenKind::IdToken {
                nonce: ExpectedNonce::NotRequested,
            },
        },
        Tuning::default(),
    )
    .unwrap();
    let msa = with(
        with(id_token_claims(), "tid", json!(MICROSOFT_ACCOUNT_TENANT)),
        "iss",
        json!(format!("{ENTRA_HOST}/{MICROSOFT_ACCOUNT_TENANT}/v2.0")),
    );
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), msa);
    assert!(verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"))
        .0
        .is_ok());
    // A work account's token is refused by a consumers-only app.
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": "entra-1"}),
        id_token_claims(),
    );
    let (result, _) = verify_with(&verifier, &token, NOW, &signer.jwks("entra-1"));
    assert_eq!(code(result), ErrorCode::TenantMismatch);
}
