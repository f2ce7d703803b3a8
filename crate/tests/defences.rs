//! Tests that each fail when one named defence is removed (issue 14's gaps): the key type
//! bound to the verifier's algorithm, key-carrying headers ignored, the key-document size
//! limit on a valid document, absent claims, and the exact time boundaries.
//!
//! Each test names the defence it guards; the mutant it was checked against is in the
//! comment above it.

mod common;

use std::cell::Cell;

use common::sources::*;
use common::*;
use entra_edge_auth::jwt::{
    Algorithm, EntraConfig, EntraTokenKind, ExpectedNonce, KeyRef, PublicKey, SignatureBackend,
    TokenUse, TokenVerifier, VerifiedToken,
};
use entra_edge_auth::keys::{KeyCache, KeyLookup, MAX_KEY_DOCUMENT_BYTES};
use entra_edge_auth::{ErrorCode, Result, Tuning};
use serde_json::{json, Value};

const ATTACKER_URL: &str = "http://attacker.example/keys";

/// A backend that counts its calls and answers "valid": any job it sees would pass, so a
/// test that must refuse cannot be rescued by it.
struct CountingBackend(Cell<u32>);

impl SignatureBackend for CountingBackend {
    fn verify(&self, _: Algorithm, _: &PublicKey, _: &[u8], _: &[u8]) -> bool {
        self.0.set(self.0.get() + 1);
        true
    }
}

fn alb_claims() -> Value {
    json!({"sub": "alice-sub", "email": "alice@example.com", "exp": NOW + 120,
           "iss": "https://login.example/v2.0"})
}

fn alb_at(header: Value, claims: Value, now: u64) -> Result<VerifiedToken> {
    let signer = EcSigner::fixture("p256-a");
    let token = es256(&signer, header, claims, true);
    verify_with(&alb_verifier(), &token, now, signer.public_pem()).0
}

fn cognito_access_claims() -> Value {
    json!({"sub": "u-1", "iss": COGNITO_ISS, "token_use": "access", "client_id": COGNITO_CLIENT,
           "exp": NOW + 3600, "iat": NOW - 10})
}

fn cognito_id_claims() -> Value {
    json!({"sub": "u-1", "iss": COGNITO_ISS, "token_use": "id", "aud": COGNITO_CLIENT,
           "exp": NOW + 3600, "iat": NOW - 10})
}

fn cognito_at(header: Value, claims: Value, now: u64) -> Result<VerifiedToken> {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&signer, header, claims);
    verify_with(
        &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
        &token,
        now,
        &signer.jwks("cognito-key-1"),
    )
    .0
}

fn entra_claims() -> Value {
    json!({"iss": format!("{ENTRA_HOST}/{TENANT}/v2.0"), "aud": ENTRA_CLIENT, "tid": TENANT,
           "sub": "entra-sub", "nonce": "n-1", "exp": NOW + 3600, "iat": NOW - 5, "nbf": NOW - 5})
}

fn entra_at(claims: Value, now: u64) -> Result<VerifiedToken> {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let token = rs256(&signer, json!({"alg": "RS256", "kid": "entra-1"}), claims);
    verify_with(
        &entra_verifier(
            EntraTokenKind::IdToken {
                nonce: ExpectedNonce::Value("n-1".into()),
            },
            ENTRA_CLIENT,
        ),
        &token,
        now,
        &signer.jwks("entra-1"),
    )
    .0
}

// ------------------------------------------- the key type is bound to the algorithm
// Mutant: delete `key.algorithm() != algorithm` in `check_signature_shape`. The signatures
// below have the *other* key type's exact length, so only that check can refuse them.

#[test]
fn rs256_job_refuses_a_p256_key_before_any_backend_runs() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let input = signing_input(&cognito_header(), &cognito_access_claims(), false);
    // 64 bytes: the length a P-256 signature has, so the length check passes.
    let token = format!("{input}.{}", b64(&[7; 64], false));
    let pending = cognito_verifier(vec![TokenUse::Access, TokenUse::Id])
        .precheck(&token)
        .unwrap();
    let p256 = EcSigner::fixture("p256-a").public_key();
    let error = pending.signature_job(&p256).unwrap_err();
    assert_eq!(error.code(), ErrorCode::UnsupportedAlgorithm);
    // The right key type with the same bytes gets as far as the length check.
    let pending = cognito_verifier(vec![TokenUse::Access, TokenUse::Id])
        .precheck(&token)
        .unwrap();
    let error = pending.signature_job(&signer.public_key()).unwrap_err();
    assert_eq!(error.code(), ErrorCode::BadSignature);
}

#[test]
fn es256_job_refuses_an_rsa_key_before_any_backend_runs() {
    let input = signing_input(&alb_header(), &alb_claims(), true);
    // 256 bytes: the length an RS256 signature has under a 2048-bit key.
    let token = format!("{input}.{}", b64(&[7; 256], true));
    let rsa = RsaSigner::fixture("rsa-2048-a.pem").public_key();
    let backend = CountingBackend(Cell::new(0));
    let result = alb_verifier()
        .precheck(&token)
        .and_then(|pending| pending.signature_job(&rsa))
        .and_then(|job| job.verify_with(&backend));
    assert_eq!(result.unwrap_err().code(), ErrorCode::UnsupportedAlgorithm);
    assert_eq!(
        backend.0.get(),
        0,
        "no backend may see a key of the wrong type"
    );
}

// ---------------------------------------- jku, jwk, x5u, x5c in the header are ignored
// No code reads them; these tests keep it that way: a verifier that began to follow one
// would fetch the attacker's URL or verify with the attacker's key.

/// The header fields that could carry or point to a key, each naming the attacker's.
fn key_carrying_headers(attacker_jwk: Value) -> [(&'static str, Value); 4] {
    [
        ("jku", json!(ATTACKER_URL)),
        ("x5u", json!(format!("{ATTACKER_URL}/cert.pem"))),
        ("jwk", attacker_jwk),
        // A DER certificate would carry the attacker's key; any base64 stands for it here.
        ("x5c", json!([std_b64(b"attacker certificate")])),
    ]
}

fn attacker_rsa_jwk() -> Value {
    let jwks: Value =
        serde_json::from_str(&RsaSigner::fixture("rsa-2048-b.pem").jwks("cognito-key-1")).unwrap();
    jwks["keys"][0].clone()
}

#[test]
fn cognito_ignores_key_carrying_headers() {
    let configured = format!("{COGNITO_ISS}/.well-known/jwks.json");
    let issuer = RsaSigner::fixture("rsa-2048-a.pem");
    let attacker = RsaSigner::fixture("rsa-2048-b.pem");
    for (name, value) in key_carrying_headers(attacker_rsa_jwk()) {
        let header = with(cognito_header(), name, value);
        // Signed by the attacker, whose key the header carries or points to: refused.
        let forged = rs256(&attacker, header.clone(), cognito_access_claims());
        let (result, fetched) = verify_with(
            &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
            &forged,
            NOW,
            &issuer.jwks("cognito-key-1"),
        );
        assert_eq!(code(result), ErrorCode::BadSignature, "{name}");
        assert_eq!(fetched, vec![configured.clone()], "{name}");
        // Signed by the issuer: the header is ignored, not a reason to refuse.
        let genuine = rs256(&issuer, header, cognito_access_claims());
        let (result, fetched) = verify_with(
            &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
            &genuine,
            NOW,
            &issuer.jwks("cognito-key-1"),
        );
        assert!(result.is_ok(), "{name}: {result:?}");
        assert_eq!(fetched, vec![configured.clone()], "{name}");
    }
}

#[test]
fn entra_ignores_key_carrying_headers() {
    let configured = EntraConfig::default_jwks_url(ENTRA_HOST, TENANT);
    let issuer = RsaSigner::fixture("rsa-2048-a.pem");
    let attacker = RsaSigner::fixture("rsa-2048-b.pem");
    for (name, value) in key_carrying_headers(attacker_rsa_jwk()) {
        let header = with(json!({"alg": "RS256", "kid": "entra-1"}), name, value);
        let forged = rs256(&attacker, header, entra_claims());
        let (result, fetched) = verify_with(
            &entra_verifier(
                EntraTokenKind::IdToken {
                    nonce: ExpectedNonce::Value("n-1".into()),
                },
                ENTRA_CLIENT,
            ),
            &forged,
            NOW,
            &issuer.jwks("entra-1"),
        );
        assert_eq!(code(result), ErrorCode::BadSignature, "{name}");
        assert_eq!(fetched, vec![configured.clone()], "{name}");
    }
}

#[test]
fn alb_ignores_key_carrying_headers() {
    let issuer = EcSigner::fixture("p256-a");
    let attacker = EcSigner::fixture("p256-b");
    let attacker_jwk = json!({"kty": "EC", "crv": "P-256", "x": "attacker", "y": "attacker"});
    let key_url = format!("{KEYS_BASE}/{ALB_KID}");
    for (name, value) in key_carrying_headers(attacker_jwk) {
        let header = with(alb_header(), name, value);
        let forged = es256(&attacker, header.clone(), alb_claims(), true);
        let (result, fetched) = verify_with(&alb_verifier(), &forged, NOW, issuer.public_pem());
        assert_eq!(code(result), ErrorCode::BadSignature, "{name}");
        assert_eq!(fetched, vec![key_url.clone()], "{name}");
        let genuine = es256(&issuer, header, alb_claims(), true);
        let (result, _) = verify_with(&alb_verifier(), &genuine, NOW, issuer.public_pem());
        assert!(result.is_ok(), "{name}: {result:?}");
    }
}

// ------------------------------------------------ the key-document size limit
// Mutants: delete the `body.len() > MAX_KEY_DOCUMENT_BYTES` check, or turn `>` into `>=`.
// The documents are valid JWKS (whitespace is JSON), so only the limit can refuse them.

/// The issuer's JWKS padded with spaces inside the object to exactly `len` bytes.
fn jwks_of_length(signer: &RsaSigner, kid: &str, len: usize) -> Vec<u8> {
    let jwks = signer.jwks(kid);
    let body = jwks.strip_prefix('{').unwrap();
    let padding = len - jwks.len();
    format!("{{{}{body}", " ".repeat(padding)).into_bytes()
}

fn store_key_document(body: &[u8]) -> KeyLookup {
    let key = KeyRef {
        source: entra_edge_auth::jwt::KeySource::Jwks {
            url: "http://127.0.0.1:9/jwks.json".into(),
        },
        kid: "k1".into(),
    };
    let mut cache = KeyCache::new(Tuning::default());
    let KeyLookup::Fetch(fetch) = cache.lookup(&key, NOW) else {
        panic!("a cold cache asks for a fetch");
    };
    cache.store_response(&fetch, 200, body, NOW);
    cache.lookup(&key, NOW)
}

#[test]
fn valid_jwks_at_the_size_limit_is_used() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let body = jwks_of_length(&signer, "k1", MAX_KEY_DOCUMENT_BYTES);
    assert_eq!(body.len(), 65_536);
    assert_eq!(
        store_key_document(&body),
        KeyLookup::Found(signer.public_key())
    );
}

#[test]
fn valid_jwks_one_byte_over_the_size_limit_is_refused() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let body = jwks_of_length(&signer, "k1", MAX_KEY_DOCUMENT_BYTES + 1);
    assert!(serde_json::from_slice::<Value>(&body).is_ok(), "valid JSON");
    match store_key_document(&body) {
        KeyLookup::Unavailable(e) => assert_eq!(e.code(), ErrorCode::MalformedKey),
        other => panic!("expected the document to be refused, got {other:?}"),
    }
}

// ------------------------------------------------------------ absent claims
// Mutants: a `required_str(…)?` or a `check_…` call deleted from a verifier's `validate`.

#[test]
fn alb_refuses_a_token_without_sub() {
    let r = alb_at(alb_header(), without(alb_claims(), "sub"), NOW);
    assert_eq!(code(r), ErrorCode::MissingClaim);
}

#[test]
fn cognito_refuses_absent_sub_iss_token_use_client_id_and_aud() {
    for name in ["sub", "iss", "token_use", "client_id"] {
        let r = cognito_at(
            cognito_header(),
            without(cognito_access_claims(), name),
            NOW,
        );
        assert_eq!(
            code(r),
            ErrorCode::MissingClaim,
            "access token without {name}"
        );
    }
    for name in ["sub", "iss", "token_use", "aud"] {
        let r = cognito_at(cognito_header(), without(cognito_id_claims(), name), NOW);
        assert_eq!(code(r), ErrorCode::MissingClaim, "ID token without {name}");
    }
}

#[test]
fn entra_refuses_absent_tid_iss_sub_and_aud() {
    for name in ["tid", "iss", "sub", "aud"] {
        let r = entra_at(without(entra_claims(), name), NOW);
        assert_eq!(code(r), ErrorCode::MissingClaim, "without {name}");
    }
}

#[test]
fn entra_with_several_audiences_requires_azp() {
    let several = with(entra_claims(), "aud", json!([ENTRA_CLIENT, "other-api"]));
    assert_eq!(
        code(entra_at(several.clone(), NOW)),
        ErrorCode::MissingClaim
    );
    assert!(entra_at(with(several, "azp", json!(ENTRA_CLIENT)), NOW).is_ok());
    // One audience needs no azp.
    assert!(entra_at(entra_claims(), NOW).is_ok());
}

// ---------------------------------------------------------- time boundaries
// jose's rules, with skew s: expired when `exp <= now - s`; not yet valid when
// `nbf > now + s`; issued in the future when `iat > now + s`. Both sides of each edge, for
// each source (each calls the shared checks from its own `validate`).
// Mutants: `>=` ↔ `>`, `<` ↔ `<=`, `+` ↔ `-` in `check_expiry`, `check_not_before`,
// `check_issued_at`, and deleting ALB's header `exp` check.

const SKEW: u64 = 60;

/// `claims` with `name` set to `at`, for each source, verified at NOW.
fn each_source(name: &str, at: u64) -> [(&'static str, Result<VerifiedToken>); 3] {
    let set = |claims: Value| with(claims, name, json!(at));
    [
        ("alb", alb_at(alb_header(), set(alb_claims()), NOW)),
        (
            "cognito",
            cognito_at(cognito_header(), set(cognito_access_claims()), NOW),
        ),
        ("entra", entra_at(set(entra_claims()), NOW)),
    ]
}

#[test]
fn exp_at_now_minus_skew_is_expired_one_second_later_is_not() {
    for (source, r) in each_source("exp", NOW - SKEW) {
        assert_eq!(code(r), ErrorCode::TokenExpired, "{source}");
    }
    for (source, r) in each_source("exp", NOW - SKEW + 1) {
        assert!(r.is_ok(), "{source}: {r:?}");
    }
}

#[test]
fn nbf_at_now_plus_skew_is_valid_one_second_later_is_not() {
    for (source, r) in each_source("nbf", NOW + SKEW) {
        assert!(r.is_ok(), "{source}: {r:?}");
    }
    for (source, r) in each_source("nbf", NOW + SKEW + 1) {
        assert_eq!(code(r), ErrorCode::TokenNotYetValid, "{source}");
    }
}

#[test]
fn iat_at_now_plus_skew_is_valid_one_second_later_is_not() {
    for (source, r) in each_source("iat", NOW + SKEW) {
        assert!(r.is_ok(), "{source}: {r:?}");
    }
    for (source, r) in each_source("iat", NOW + SKEW + 1) {
        assert_eq!(code(r), ErrorCode::IssuedInFuture, "{source}");
    }
}

#[test]
fn alb_header_exp_has_the_same_boundary() {
    let header = |exp: u64| with(alb_header(), "exp", json!(exp));
    let r = alb_at(header(NOW - SKEW), alb_claims(), NOW);
    assert_eq!(code(r), ErrorCode::TokenExpired);
    assert!(alb_at(header(NOW - SKEW + 1), alb_claims(), NOW).is_ok());
}

// ------------------------------------------------------- kid shape before any fetch
// Mutant (found by crate/mutants.sh): `require_kid`'s guard replaced with `true`. A kid
// becomes a cache key (and, for ALB, part of a URL): an empty, overlong or unprintable one is
// refused before the key set is asked for; 256 printable characters still pass.

#[test]
fn jwks_kid_must_be_short_and_printable_before_any_fetch() {
    let signer = RsaSigner::fixture("rsa-2048-a.pem");
    let longest = "k".repeat(256);
    let token = rs256(
        &signer,
        json!({"alg": "RS256", "kid": longest}),
        cognito_access_claims(),
    );
    let (result, fetched) = verify_with(
        &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
        &token,
        NOW,
        &signer.jwks(&longest),
    );
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fetched.len(), 1);
    for kid in [
        "k".repeat(257),
        String::new(),
        "a b".into(),
        "k\u{7f}".into(),
        "ké".into(),
    ] {
        let token = rs256(
            &signer,
            json!({"alg": "RS256", "kid": kid}),
            cognito_access_claims(),
        );
        let (result, fetched) = verify_with(
            &cognito_verifier(vec![TokenUse::Access, TokenUse::Id]),
            &token,
            NOW,
            &signer.jwks(&kid),
        );
        assert_eq!(code(result), ErrorCode::InvalidKid, "{kid:?}");
        assert!(fetched.is_empty(), "{kid:?} caused a fetch");
    }
}

// Mutant (found by crate/mutants.sh): `required_str`'s `!s.is_empty()` guard replaced with
// `true`. An empty `sub` would then verify and name nobody.
#[test]
fn an_empty_sub_is_refused_by_every_source() {
    let r = alb_at(alb_header(), with(alb_claims(), "sub", json!("")), NOW);
    assert_eq!(code(r), ErrorCode::MissingClaim, "alb");
    let r = cognito_at(
        cognito_header(),
        with(cognito_access_claims(), "sub", json!("")),
        NOW,
    );
    assert_eq!(code(r), ErrorCode::MissingClaim, "cognito");
    let r = entra_at(with(entra_claims(), "sub", json!("")), NOW);
    assert_eq!(code(r), ErrorCode::MissingClaim, "entra");
}
