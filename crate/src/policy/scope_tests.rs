//! Rules that grant by scope (`"scopes"`), alone or beside roles: a machine client's
//! client-credentials token (no user, no roles, `sub` = its client id) is authorised by
//! scope alone; a rule naming both takes either.

use super::tests::{alb, denied, deny_message};
use super::*;
use crate::json::Map;

const SCOPED: &str = r#"{"rules": [
    {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
    {"path": "/api/tickets", "match": "prefix", "scopes": ["tickets/read", "tickets/admin"]},
    {"path": "/api/reports", "match": "prefix", "roles": ["itsm_manager"], "scopes": ["reports/read"]},
    {"path": "/api/machines", "match": "prefix", "scopes": ["machines/read"], "sources": ["cognito_access"]}
]}"#;

fn policy() -> Policy {
    Policy::from_json(SCOPED).unwrap()
}

fn token(source: TokenSource, roles: &[&str], scopes: &[&str]) -> Presented {
    Presented {
        source_kind: CredentialKind::Bearer,
        outcome: Ok(Identity {
            source,
            subject: "client-or-user".to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            groups_overage: false,
            expires_at: 2_000_000_000,
            claims: Map::new(),
        }),
    }
}

/// A Cognito client-credentials access token: scopes, no roles.
fn machine(scopes: &[&str]) -> Presented {
    token(TokenSource::CognitoAccess, &[], scopes)
}

#[test]
fn a_machine_client_is_authorised_by_scope_alone() {
    let d = policy().decide("GET", "/api/tickets/7", &[machine(&["tickets/read"])]);
    assert!(d.is_allowed(), "{d:?}");
}

#[test]
fn any_one_of_the_rules_scopes_is_enough() {
    let d = policy().decide(
        "GET",
        "/api/tickets",
        &[machine(&["other", "tickets/admin"])],
    );
    assert!(d.is_allowed(), "{d:?}");
}

#[test]
fn a_machine_client_without_the_scope_is_refused() {
    for scopes in [
        &[][..],
        &["tickets/write"],
        &["tickets/read/x"],
        &["TICKETS/READ"],
    ] {
        let d = policy().decide("GET", "/api/tickets", &[machine(scopes)]);
        assert_eq!(
            denied(&d),
            (
                403,
                ErrorCode::RoleDenied,
                Some("Bearer error=\"insufficient_scope\"")
            ),
            "{scopes:?}"
        );
        assert_eq!(
            deny_message(&d),
            "this route needs one of the scopes tickets/read, tickets/admin"
        );
    }
}

#[test]
fn a_machine_client_is_refused_on_a_role_only_route() {
    let d = policy().decide(
        "GET",
        "/admin",
        &[machine(&["tickets/read", "super_admin"])],
    );
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
    assert_eq!(
        deny_message(&d),
        "this route needs one of the roles super_admin"
    );
}

#[test]
fn a_role_does_not_stand_in_for_a_scope() {
    // A user whose role is named like the scope gets nothing on a scope-only rule.
    let d = policy().decide(
        "GET",
        "/api/tickets",
        &[token(TokenSource::CognitoAccess, &["tickets/read"], &[])],
    );
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
}

#[test]
fn roles_and_scopes_together_take_either() {
    let p = policy();
    let role = token(TokenSource::CognitoAccess, &["itsm_manager"], &[]);
    let scope = machine(&["reports/read"]);
    let both = token(TokenSource::Entra, &["itsm_manager"], &["reports/read"]);
    for presented in [role, scope, both] {
        let d = p.decide("GET", "/api/reports", std::slice::from_ref(&presented));
        assert!(d.is_allowed(), "{presented:?}");
    }
    let neither = token(TokenSource::CognitoAccess, &["viewer"], &["tickets/read"]);
    let d = p.decide("GET", "/api/reports", &[neither]);
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
    assert_eq!(
        deny_message(&d),
        "this route needs one of the roles itsm_manager or one of the scopes reports/read"
    );
}

#[test]
fn a_scope_rule_keeps_its_sources() {
    // Entra's scp would match, but the rule takes Cognito access tokens only.
    let d = policy().decide(
        "GET",
        "/api/machines",
        &[token(TokenSource::Entra, &[], &["machines/read"])],
    );
    assert_eq!(denied(&d).1, ErrorCode::SourceNotAccepted);
    let d = policy().decide("GET", "/api/machines", &[machine(&["machines/read"])]);
    assert!(d.is_allowed());
}

#[test]
fn a_scope_rule_still_needs_a_credential() {
    let d = policy().decide("GET", "/api/tickets", &[]);
    assert_eq!(denied(&d).1, ErrorCode::MissingCredential);
}

#[test]
fn the_allowed_identity_carries_its_scopes() {
    let d = policy().decide("GET", "/api/tickets", &[machine(&["tickets/read", "x"])]);
    match d {
        Decision::Allow {
            identity: Some(identity),
        } => assert_eq!(identity.scopes, ["tickets/read", "x"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_credentials_keep_only_the_scopes_both_grant() {
    // An ALB token grants no scope, so the pair has none: the scope rule refuses it even
    // though the Bearer token alone would pass.
    let p = Policy::from_json(
        r#"{"rules": [{"path": "/api", "match": "prefix", "roles": ["viewer"], "scopes": ["tickets/read"]}]}"#,
    )
    .unwrap();
    let mut user = alb(&[]);
    if let Ok(i) = &mut user.outcome {
        i.subject = "client-or-user".to_owned();
    }
    let bearer = machine(&["tickets/read"]);
    assert!(p
        .decide("GET", "/api", std::slice::from_ref(&bearer))
        .is_allowed());
    let d = p.decide("GET", "/api", &[user, bearer]);
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
}

#[test]
fn overage_is_only_mentioned_where_a_role_could_grant() {
    let mut overflowing = token(TokenSource::Entra, &[], &[]);
    if let Ok(i) = &mut overflowing.outcome {
        i.groups_overage = true;
    }
    let d = policy().decide("GET", "/api/tickets", &[overflowing.clone()]);
    assert_eq!(
        deny_message(&d),
        "this route needs one of the scopes tickets/read, tickets/admin"
    );
    let d = policy().decide("GET", "/api/reports", &[overflowing]);
    assert!(deny_message(&d).contains("group list overflowed"));
}

#[test]
fn a_scope_rule_is_not_a_rule_for_any_verified_user() {
    let p = policy();
    let rule = match p.route("GET", "/api/tickets").unwrap() {
        Route::Protected(rule) => rule,
        Route::Public => panic!("public"),
    };
    assert!(!rule.admits_any_verified_user());
    assert!(rule.roles().is_empty());
    assert_eq!(rule.scopes(), ["tickets/read", "tickets/admin"]);
    let admin = match p.route("GET", "/admin").unwrap() {
        Route::Protected(rule) => rule,
        Route::Public => panic!("public"),
    };
    assert!(admin.scopes().is_empty());
}

// --- parsing ---

fn parse_error(json: &str) -> String {
    let e = Policy::from_json(json).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPolicy, "{json}");
    e.message().to_owned()
}

#[test]
fn scopes_are_deduplicated() {
    let p = Policy::from_json(r#"{"rules": [{"path": "/a", "scopes": ["x", "y", "x"]}]}"#).unwrap();
    assert_eq!(p.rules()[0].scopes(), ["x", "y"]);
}

#[test]
fn parse_error_scopes() {
    for (json, want) in [
        (
            r#"{"rules": [{"path": "/a", "scopes": []}]}"#,
            "rules[0].scopes: an empty list",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": "x"}]}"#,
            "rules[0].scopes: invalid type",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": ["x", 1]}]}"#,
            "rules[0].scopes[1]: invalid type",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": null}]}"#,
            "rules[0].scopes: invalid type: null",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": ["ok", "a b"]}]}"#,
            "rules[0].scopes[1]: \"a b\" is not a scope",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": [""]}]}"#,
            "rules[0].scopes[0]: \"\" is not a scope",
        ),
        (
            r#"{"rules": [{"path": "/a", "public": true, "scopes": ["x"]}]}"#,
            "rules[0].scopes: a public rule",
        ),
        (
            r#"{"rules": [{"path": "/a", "authenticated": true, "scopes": ["x"]}]}"#,
            "rules[0].scopes: a rule for any verified user",
        ),
        (
            r#"{"rules": [{"path": "/a", "scopes": ["x"], "sources": ["alb", "cognito_id"]}]}"#,
            "rules[0].scopes: no accepted source carries scopes (alb, cognito_id tokens",
        ),
    ] {
        let m = parse_error(json);
        assert!(m.starts_with(want), "{json}: {m}");
    }
}

#[test]
fn a_scope_only_rule_needs_one_source_with_scopes() {
    for sources in [r#"["entra"]"#, r#"["alb", "cognito_access"]"#] {
        let json =
            format!(r#"{{"rules": [{{"path": "/a", "scopes": ["x"], "sources": {sources}}}]}}"#);
        assert!(Policy::from_json(&json).is_ok(), "{sources}");
    }
    // A rule for any verified user names no scope, so it may take ALB tokens only.
    let json = r#"{"rules": [{"path": "/a", "authenticated": true, "sources": ["alb"]}]}"#;
    assert!(Policy::from_json(json).is_ok());
    // With a role beside them, ALB and ID tokens may still pass by role.
    let json =
        r#"{"rules": [{"path": "/a", "roles": ["r"], "scopes": ["x"], "sources": ["alb"]}]}"#;
    assert!(Policy::from_json(json).is_ok());
}
