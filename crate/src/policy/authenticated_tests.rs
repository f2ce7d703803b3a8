//! Rules for any verified user (`"authenticated": true`) beside role rules: seed 000, where
//! Entra's user assignment is the group gate and only an admin area needs a role.

use super::tests::{alb, denied};
use super::*;

const SEED_000: &str = r#"{"rules": [
    {"path": "/health", "public": true},
    {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
    {"path": "/", "match": "prefix", "authenticated": true}
]}"#;

fn policy() -> Policy {
    Policy::from_json(SEED_000).unwrap()
}

#[test]
fn any_verified_user_passes_without_roles() {
    let d = policy().decide("GET", "/gifts", &[alb(&[])]);
    assert!(d.is_allowed(), "{d:?}");
}

#[test]
fn any_verified_user_still_needs_a_credential() {
    let d = policy().decide("GET", "/gifts", &[]);
    assert_eq!(denied(&d).0, 401);
    assert_eq!(denied(&d).1, ErrorCode::MissingCredential);
}

#[test]
fn a_refused_credential_is_refused_on_an_authenticated_rule() {
    let failed = Presented {
        source_kind: CredentialKind::Alb,
        outcome: Err(Error::new(ErrorCode::BadSignature, "no")),
    };
    let d = policy().decide("GET", "/gifts", &[failed]);
    assert_eq!(denied(&d).1, ErrorCode::BadSignature);
}

#[test]
fn role_rules_beside_it_still_need_their_role() {
    let d = policy().decide("GET", "/admin/users", &[alb(&[])]);
    assert_eq!(denied(&d).0, 403);
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
    assert!(policy()
        .decide("GET", "/admin/users", &[alb(&["super_admin"])])
        .is_allowed());
}

#[test]
fn authenticated_rule_keeps_its_sources() {
    let p = Policy::from_json(
        r#"{"rules": [{"path": "/", "match": "prefix", "authenticated": true, "sources": ["cognito_access"]}]}"#,
    )
    .unwrap();
    let d = p.decide("GET", "/x", &[alb(&[])]);
    assert_eq!(denied(&d).1, ErrorCode::SourceNotAccepted);
}

#[test]
fn authenticated_with_roles_or_public_is_refused() {
    for (json, field) in [
        (
            r#"{"rules": [{"path": "/a", "authenticated": true, "roles": ["x"]}]}"#,
            "rules[0].roles",
        ),
        (
            r#"{"rules": [{"path": "/a", "authenticated": true, "public": true}]}"#,
            "rules[0].authenticated",
        ),
        (
            r#"{"rules": [{"path": "/a", "authenticated": "yes"}]}"#,
            "rules[0].authenticated: invalid type",
        ),
    ] {
        let e = Policy::from_json(json).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPolicy);
        assert!(e.message().starts_with(field), "{json}: {}", e.message());
    }
}

#[test]
fn authenticated_false_is_no_shortcut_past_roles() {
    let e =
        Policy::from_json(r#"{"rules": [{"path": "/a", "authenticated": false}]}"#).unwrap_err();
    assert!(e.message().starts_with("rules[0].roles"), "{}", e.message());
}
