//! The identity assertion end to end in the core: a key read from PKCS#8 and JWK alike,
//! claims built by `assertion::unsigned`, signed with p256 (the role WebCrypto plays in the
//! worker), and checked the way origin checks them (`verify_assertion`): one test per rule,
//! each with the case that passes beside the one that must not.

use entra_edge_auth::assertion::{
    compact, jwks_document, unsigned, verify_assertion, AssertionSettings, Binding, BoundRequest,
    Expected, SigningKey,
};
use entra_edge_auth::identity::{Identity, TokenSource};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::ErrorCode;
use p256::ecdsa::signature::Signer;
use p256::pkcs8::{EncodePrivateKey, LineEnding};

const NOW: u64 = 1_700_000_000;
/// RFC 7515 A.3's private scalar, x and y.
const D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

fn jwk() -> String {
    format!(r#"{{"kty":"EC","crv":"P-256","d":"{D}","x":"{X}","y":"{Y}"}}"#)
}

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn p256_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&b64(D)).unwrap()
}

fn identity() -> Identity {
    Identity {
        source: TokenSource::Alb,
        subject: "alb-user-1".into(),
        roles: vec!["viewer".into()],
        scopes: Vec::new(),
        groups_overage: false,
        expires_at: NOW + 600,
        claims: Default::default(),
    }
}

fn settings(binding: Binding) -> AssertionSettings {
    AssertionSettings {
        issuer: "https://gate.example".into(),
        audience: "https://origin.example".into(),
        ttl_secs: 60,
        binding,
    }
}

/// An assertion as the worker makes it: the core's signing input, an ES256 signature.
fn sign(binding: Binding, request: Option<BoundRequest<'_>>) -> String {
    let key = SigningKey::parse(&jwk()).unwrap();
    let out = unsigned(&settings(binding), key.kid(), &identity(), NOW, request).unwrap();
    let signature: p256::ecdsa::Signature = p256_key().sign(out.signing_input.as_bytes());
    compact(&out.signing_input, &signature.to_bytes())
}

fn jwks() -> String {
    jwks_document(&[&SigningKey::parse(&jwk()).unwrap()])
}

fn expected() -> Expected {
    Expected {
        audience: "https://origin.example".into(),
        issuer: Some("https://gate.example".into()),
        request: None,
        skew_secs: 0,
    }
}

fn check(assertion: &str, expected: &Expected, now: u64) -> Result<(), ErrorCode> {
    verify_assertion(assertion, jwks().as_bytes(), expected, now, &RustCrypto)
        .map(|_| ())
        .map_err(|e| e.code())
}

#[test]
fn pkcs8_pem_and_jwk_are_the_same_key() {
    let pem = p256::SecretKey::from_slice(&b64(D))
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
    let from_pem = SigningKey::parse(&pem).unwrap();
    assert_eq!(from_pem, SigningKey::parse(&jwk()).unwrap());
    // CRLF, and `\n` written as two characters (a secret pasted into one line).
    assert_eq!(
        SigningKey::parse(&pem.replace('\n', "\r\n")).unwrap(),
        from_pem
    );
    assert_eq!(
        SigningKey::parse(&pem.replace('\n', "\\n")).unwrap(),
        from_pem
    );
}

#[test]
fn pkcs8_of_another_kind_or_curve_is_refused_without_quoting_it() {
    let pem = p256::SecretKey::from_slice(&b64(D))
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let sec1 = pem.replace("PRIVATE KEY", "EC PRIVATE KEY");
    let public = pem.replace("PRIVATE KEY", "PUBLIC KEY");
    let truncated = pem.replace(&body[40..60], "");
    let rsa = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string();
    let p384 = "-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBmLmxbZ5E2fN/ufBpQ\ncCBQ5iHYx2K7TeJ+z8g1F1kq8g3OlbN+8o9jJu5d5bJ8rYShZANiAAQWuD6m2X/G\nvY6rJ4I3t8M5dQW9JUp3i5C6oZ2cXGy0d4vKvlUK1z8KJ+Q3M2Nn2rUu4pY7gq9a\nIZX8bq4C7Q6pQqK4yW4pV3Ezm1Q7s8DQ4yXwD4gP6p0f9a0a6m1m7y9n3d8l7mQ=\n-----END PRIVATE KEY-----";
    for text in [sec1, public, truncated, rsa, p384.to_owned()] {
        let problem = SigningKey::parse(&text).unwrap_err();
        assert!(!problem.contains(&body[10..30]), "{problem}");
    }
}

#[test]
fn a_valid_assertion_verifies() {
    let claims = verify_assertion(
        &sign(Binding::Token, None),
        jwks().as_bytes(),
        &expected(),
        NOW,
        &RustCrypto,
    )
    .unwrap();
    assert_eq!(claims.get("sub").unwrap().as_str(), Some("alb-user-1"));
    assert_eq!(claims.get("source").unwrap().as_str(), Some("alb"));
}

#[test]
fn audience_must_be_this_origin() {
    let mut other = expected();
    other.audience = "https://other.example".into();
    assert_eq!(
        check(&sign(Binding::Token, None), &other, NOW),
        Err(ErrorCode::AudienceMismatch)
    );
}

#[test]
fn issuer_is_checked_when_expected() {
    let mut other = expected();
    other.issuer = Some("https://gate.example/".into());
    assert_eq!(
        check(&sign(Binding::Token, None), &other, NOW),
        Err(ErrorCode::IssuerMismatch)
    );
    other.issuer = None;
    assert_eq!(check(&sign(Binding::Token, None), &other, NOW), Ok(()));
}

#[test]
fn expires_after_its_ttl() {
    let assertion = sign(Binding::Token, None);
    assert_eq!(check(&assertion, &expected(), NOW + 59), Ok(()));
    assert_eq!(
        check(&assertion, &expected(), NOW + 60),
        Err(ErrorCode::TokenExpired)
    );
    let mut skewed = expected();
    skewed.skew_secs = 5;
    assert_eq!(check(&assertion, &skewed, NOW + 64), Ok(()));
    assert_eq!(
        check(&assertion, &skewed, NOW + 65),
        Err(ErrorCode::TokenExpired)
    );
}

#[test]
fn a_forged_or_altered_assertion_is_refused() {
    let assertion = sign(Binding::Token, None);
    let (input, signature) = assertion.rsplit_once('.').unwrap();
    // Another key's signature over the same input.
    let other = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let forged: p256::ecdsa::Signature = other.sign(input.as_bytes());
    assert_eq!(
        check(&compact(input, &forged.to_bytes()), &expected(), NOW),
        Err(ErrorCode::BadSignature)
    );
    // The claims changed after signing (another subject).
    let (header, _) = input.split_once('.').unwrap();
    let claims = String::from_utf8(b64(input.split_once('.').unwrap().1)).unwrap();
    let altered = claims.replace("alb-user-1", "alb-admin-1");
    use base64::Engine;
    let altered = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(altered);
    assert_eq!(
        check(&format!("{header}.{altered}.{signature}"), &expected(), NOW),
        Err(ErrorCode::BadSignature)
    );
}

#[test]
fn only_es256_under_a_kid_of_the_jwks() {
    let assertion = sign(Binding::Token, None);
    let (_, rest) = assertion.split_once('.').unwrap();
    use base64::Engine;
    let enc = |h: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h);
    let kid = SigningKey::parse(&jwk()).unwrap().kid().to_owned();
    let none = format!(r#"{{"alg":"none","kid":"{kid}"}}"#);
    let hs = format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#);
    for header in [none, hs] {
        assert_eq!(
            check(&format!("{}.{rest}", enc(&header)), &expected(), NOW),
            Err(ErrorCode::UnsupportedAlgorithm)
        );
    }
    let unknown = r#"{"alg":"ES256","kid":"another-key"}"#;
    assert_eq!(
        check(&format!("{}.{rest}", enc(unknown)), &expected(), NOW),
        Err(ErrorCode::UnknownKid)
    );
}

#[test]
fn a_bound_assertion_holds_only_for_its_method_and_path() {
    let request = BoundRequest {
        method: "GET",
        path: "/itsm/tickets",
        id: "jti-1",
    };
    let assertion = sign(Binding::Request, Some(request));
    let on = |method: &str, path: &str| {
        let mut e = expected();
        e.request = Some((method.into(), path.into()));
        check(&assertion, &e, NOW)
    };
    assert_eq!(on("GET", "/itsm/tickets"), Ok(()));
    assert_eq!(on("POST", "/itsm/tickets"), Err(ErrorCode::BindingMismatch));
    assert_eq!(on("GET", "/admin/users"), Err(ErrorCode::BindingMismatch));
    assert_eq!(on("GET", "/itsm/tickets/"), Err(ErrorCode::BindingMismatch));
    // Origin that expects bound assertions refuses an unbound one.
    let unbound = sign(Binding::Token, None);
    let mut e = expected();
    e.request = Some(("GET".into(), "/itsm/tickets".into()));
    assert_eq!(check(&unbound, &e, NOW), Err(ErrorCode::BindingMismatch));
}
