//! The decision tests, and the helpers the path and parse tests share (the seed policy,
//! credentials, deny read-outs).

use super::*;
use crate::json::Map;

/// The brief's example policy over the seed's roles.
const SEED_POLICY: &str = r#"{"rules": [
    {"path": "/health", "public": true},
    {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
    {"path": "/itsm", "match": "prefix", "methods": ["GET", "HEAD"],
     "roles": ["viewer", "itsm_agent", "itsm_manager", "super_admin"]},
    {"path": "/itsm", "match": "prefix", "methods": ["POST", "PUT", "PATCH", "DELETE"],
     "roles": ["itsm_agent", "itsm_manager", "super_admin"], "sources": ["alb", "cognito_access"]}
]}"#;

pub(super) fn policy() -> Policy {
    Policy::from_json(SEED_POLICY).unwrap()
}

fn identity(source: TokenSource, subject: &str, roles: &[&str]) -> Identity {
    Identity {
        source,
        subject: subject.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        scopes: Vec::new(),
        groups_overage: false,
        expires_at: 2_000_000_000,
        claims: Map::new(),
    }
}

pub(super) fn alb(roles: &[&str]) -> Presented {
    Presented {
        source_kind: CredentialKind::Alb,
        outcome: Ok(identity(TokenSource::Alb, "user-1", roles)),
    }
}

fn bearer(source: TokenSource, subject: &str, roles: &[&str]) -> Presented {
    Presented {
        source_kind: CredentialKind::Bearer,
        outcome: Ok(identity(source, subject, roles)),
    }
}

fn failed(kind: CredentialKind, code: ErrorCode, message: &str) -> Presented {
    Presented {
        source_kind: kind,
        outcome: Err(Error::new(code, message)),
    }
}

/// (status, code, WWW-Authenticate) of a deny.
pub(super) fn denied(d: &Decision) -> (u16, ErrorCode, Option<&str>) {
    match d {
        Decision::Deny {
            status,
            error,
            www_authenticate,
        } => (*status, error.code(), www_authenticate.as_deref()),
        Decision::Allow { .. } => panic!("expected a deny, got {d:?}"),
    }
}

pub(super) fn deny_message(d: &Decision) -> &str {
    match d {
        Decision::Deny { error, .. } => error.message(),
        Decision::Allow { .. } => panic!("expected a deny, got {d:?}"),
    }
}

fn allowed_identity(d: &Decision) -> Option<&Identity> {
    match d {
        Decision::Allow { identity } => identity.as_ref(),
        Decision::Deny { .. } => panic!("expected an allow, got {d:?}"),
    }
}

// --- the seed roles against the seed routes ---

#[test]
fn seed_roles_against_seed_routes() {
    let p = policy();
    // (role, method, path, expected status: 200 = allowed)
    let table: &[(&[&str], &str, &str, u16)] = &[
        (&["viewer"], "GET", "/itsm/tickets", 200),
        (&["viewer"], "POST", "/itsm/tickets", 403),
        (&["viewer"], "GET", "/admin", 403),
        (&["viewer"], "GET", "/health", 200),
        (&["itsm_agent"], "GET", "/itsm/tickets", 200),
        (&["itsm_agent"], "POST", "/itsm/tickets", 200),
        (&["itsm_agent"], "GET", "/admin/users", 403),
        (&["itsm_manager"], "POST", "/itsm/tickets", 200),
        (&["itsm_manager"], "DELETE", "/itsm/tickets/7", 200),
        (&["itsm_manager"], "GET", "/admin", 403),
        (&["super_admin"], "GET", "/admin", 200),
        (&["super_admin"], "POST", "/admin/users", 200),
        (&["super_admin"], "POST", "/itsm/tickets", 200),
        (&[], "GET", "/itsm/tickets", 403),
        (&[], "GET", "/admin", 403),
        (&[], "GET", "/health", 200),
    ];
    for (roles, method, path, want) in table {
        let d = p.decide(method, path, &[alb(roles)]);
        let got = if d.is_allowed() { 200 } else { denied(&d).0 };
        assert_eq!(got, *want, "{roles:?} {method} {path}: {d:?}");
        if *want == 403 {
            assert_eq!(
                denied(&d).1,
                ErrorCode::RoleDenied,
                "{roles:?} {method} {path}"
            );
        }
    }
}

#[test]
fn allow_carries_the_identity() {
    let d = policy().decide("GET", "/itsm/tickets", &[alb(&["viewer"])]);
    assert_eq!(
        allowed_identity(&d).map(|i| i.subject.as_str()),
        Some("user-1")
    );
}

// --- matching ---

#[test]
fn prefix_matches_on_segment_boundaries() {
    let p = policy();
    assert!(matches!(p.route("GET", "/admin"), Ok(Route::Protected(_))));
    assert!(matches!(p.route("GET", "/admin/"), Ok(Route::Protected(_))));
    assert!(matches!(
        p.route("GET", "/admin/x/y"),
        Ok(Route::Protected(_))
    ));
    let e = p.route("GET", "/administrator").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NoMatchingRoute);
}

#[test]
fn prefix_with_trailing_slash_covers_only_below() {
    let p =
        Policy::from_json(r#"{"rules": [{"path": "/docs/", "match": "prefix", "public": true}]}"#)
            .unwrap();
    assert_eq!(p.route("GET", "/docs/a"), Ok(Route::Public));
    assert_eq!(p.route("GET", "/docs/"), Ok(Route::Public));
    assert!(p.route("GET", "/docs").is_err());
    assert!(p.route("GET", "/docsx").is_err());
}

#[test]
fn root_prefix_matches_everything() {
    let p = Policy::from_json(r#"{"rules": [{"path": "/", "match": "prefix", "public": true}]}"#)
        .unwrap();
    for path in ["/", "/a", "/a/b/", "/administrator"] {
        assert_eq!(p.route("GET", path), Ok(Route::Public), "{path}");
    }
}

#[test]
fn exact_is_the_default_match() {
    let p = policy();
    assert_eq!(p.route("GET", "/health"), Ok(Route::Public));
    for path in ["/health/", "/health/x", "/healthz"] {
        assert_eq!(
            p.route("GET", path).unwrap_err().code(),
            ErrorCode::NoMatchingRoute,
            "{path}"
        );
    }
}

#[test]
fn first_match_wins() {
    let p = Policy::from_json(
        r#"{"rules": [
            {"path": "/admin/status", "public": true},
            {"path": "/admin", "match": "prefix", "roles": ["super_admin"]},
            {"path": "/admin/open", "public": true}
        ]}"#,
    )
    .unwrap();
    assert_eq!(p.route("GET", "/admin/status"), Ok(Route::Public));
    assert!(
        matches!(p.route("GET", "/admin/open"), Ok(Route::Protected(r)) if r.roles() == ["super_admin"])
    );
}

#[test]
fn no_match_denies() {
    let d = policy().decide("GET", "/elsewhere", &[alb(&["super_admin"])]);
    assert_eq!(denied(&d), (403, ErrorCode::NoMatchingRoute, None));
}

#[test]
fn method_filter() {
    let p = policy();
    // OPTIONS is in neither /itsm rule.
    let d = p.decide("OPTIONS", "/itsm/tickets", &[alb(&["super_admin"])]);
    assert_eq!(denied(&d).1, ErrorCode::NoMatchingRoute);
    // The write rule, not the read rule, applies to POST.
    assert!(
        matches!(p.route("POST", "/itsm/x"), Ok(Route::Protected(r)) if !r.roles().iter().any(|r| r == "viewer"))
    );
    // GET does not imply HEAD, nor the other way round; both are listed here.
    assert!(p
        .decide("HEAD", "/itsm/x", &[alb(&["viewer"])])
        .is_allowed());
}

#[test]
fn methods_are_compared_upper_cased() {
    // `fetch` leaves `patch` lower-case; it must not slip past the PATCH rule.
    let p = policy();
    assert!(
        matches!(p.route("patch", "/itsm/x"), Ok(Route::Protected(r)) if r.methods().is_some_and(|m| m.contains(&"PATCH".to_owned())))
    );
    let d = p.decide("patch", "/itsm/x", &[alb(&["viewer"])]);
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
    let p = Policy::from_json(r#"{"rules": [{"path": "/a", "methods": ["get"], "public": true}]}"#)
        .unwrap();
    assert_eq!(p.rules()[0].methods(), Some(&["GET".to_owned()][..]));
    assert_eq!(p.route("GET", "/a"), Ok(Route::Public));
}

#[test]
fn matching_is_case_sensitive() {
    assert_eq!(
        policy().route("GET", "/ADMIN").unwrap_err().code(),
        ErrorCode::NoMatchingRoute
    );
}

// --- decisions ---

#[test]
fn public_route_ignores_credentials() {
    let p = policy();
    assert_eq!(
        p.decide("GET", "/health", &[]),
        Decision::Allow { identity: None }
    );
    let bad = failed(CredentialKind::Bearer, ErrorCode::TokenExpired, "expired");
    assert_eq!(
        p.decide("GET", "/health", &[bad]),
        Decision::Allow { identity: None }
    );
    assert_eq!(
        p.decide("GET", "/health", &[alb(&["super_admin"])]),
        Decision::Allow { identity: None }
    );
}

#[test]
fn missing_credential_is_401_with_plain_bearer() {
    let d = policy().decide("GET", "/admin", &[]);
    assert_eq!(
        denied(&d),
        (401, ErrorCode::MissingCredential, Some("Bearer"))
    );
}

#[test]
fn failed_credential_passes_its_code_through() {
    let p = policy();
    let d = p.decide(
        "GET",
        "/admin",
        &[failed(
            CredentialKind::Bearer,
            ErrorCode::TokenExpired,
            "the token expired",
        )],
    );
    assert_eq!(
        denied(&d),
        (
            401,
            ErrorCode::TokenExpired,
            Some("Bearer error=\"invalid_token\", error_description=\"the token expired\"")
        )
    );
    let d = p.decide(
        "GET",
        "/admin",
        &[failed(
            CredentialKind::Alb,
            ErrorCode::KeyFetchFailed,
            "key server down",
        )],
    );
    assert_eq!(denied(&d), (503, ErrorCode::KeyFetchFailed, None));
}

#[test]
fn error_description_is_escaped_and_stripped() {
    let d = policy().decide(
        "GET",
        "/admin",
        &[failed(
            CredentialKind::Bearer,
            ErrorCode::IssuerMismatch,
            "iss \"evil\\\" is wrong\r\nSet-Cookie: x=1 \u{e9}\0",
        )],
    );
    assert_eq!(
        denied(&d).2,
        Some(
            "Bearer error=\"invalid_token\", error_description=\"iss \\\"evil\\\\\\\" is wrongSet-Cookie: x=1 \""
        )
    );
    assert_eq!(
        description_for(&"x".repeat(10_000)).len(),
        MAX_DESCRIPTION_LEN
    );
}

#[test]
fn two_disagreeing_credentials_conflict() {
    let d = policy().decide(
        "GET",
        "/admin",
        &[
            alb(&["super_admin"]),
            bearer(TokenSource::CognitoAccess, "someone-else", &["super_admin"]),
        ],
    );
    let (status, code, www) = denied(&d);
    assert_eq!((status, code), (401, ErrorCode::ConflictingCredentials));
    assert!(www.is_some_and(|h| h.starts_with("Bearer error=\"invalid_token\"")));
}

#[test]
fn good_and_bad_credentials_conflict() {
    let p = policy();
    for creds in [
        [
            alb(&["super_admin"]),
            failed(CredentialKind::Bearer, ErrorCode::TokenExpired, "expired"),
        ],
        [
            failed(
                CredentialKind::Alb,
                ErrorCode::BadSignature,
                "bad signature",
            ),
            bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
        ],
    ] {
        let d = p.decide("GET", "/admin", &creds);
        assert_eq!(denied(&d).1, ErrorCode::ConflictingCredentials, "{creds:?}");
    }
}

#[test]
fn two_agreeing_credentials_grant_only_shared_roles() {
    let p = policy();
    let both = [
        alb(&["super_admin", "viewer"]),
        bearer(
            TokenSource::CognitoAccess,
            "user-1",
            &["viewer", "itsm_agent"],
        ),
    ];
    let d = p.decide("GET", "/itsm/x", &both);
    let identity = allowed_identity(&d).unwrap();
    assert_eq!(identity.roles, ["viewer"]);
    assert_eq!(identity.source, TokenSource::Alb);
    assert_eq!(
        denied(&p.decide("GET", "/admin", &both)).1,
        ErrorCode::RoleDenied
    );
    assert_eq!(
        denied(&p.decide("POST", "/itsm/x", &both)).1,
        ErrorCode::RoleDenied
    );
}

#[test]
fn two_credentials_need_both_sources_accepted() {
    let both = [
        alb(&["itsm_agent"]),
        bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"]),
    ];
    let d = policy().decide("POST", "/itsm/x", &both);
    assert_eq!(denied(&d).1, ErrorCode::SourceNotAccepted);
}

#[test]
fn two_credentials_of_one_kind_conflict() {
    let d = policy().decide(
        "GET",
        "/admin",
        &[alb(&["super_admin"]), alb(&["super_admin"])],
    );
    assert_eq!(denied(&d).1, ErrorCode::ConflictingCredentials);
    let three = [
        alb(&["super_admin"]),
        bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
        bearer(TokenSource::CognitoAccess, "user-1", &["super_admin"]),
    ];
    assert_eq!(
        denied(&policy().decide("GET", "/admin", &three)).1,
        ErrorCode::ConflictingCredentials
    );
}

#[test]
fn source_not_accepted() {
    let d = policy().decide(
        "POST",
        "/itsm/tickets",
        &[bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"])],
    );
    let (status, code, www) = denied(&d);
    assert_eq!((status, code), (401, ErrorCode::SourceNotAccepted));
    assert!(www.is_some_and(|h| h.starts_with("Bearer error=\"invalid_token\"")));
    assert!(deny_message(&d).contains("cognito_id"));
    // The same token is fine where every source is accepted.
    assert!(policy()
        .decide(
            "GET",
            "/itsm/tickets",
            &[bearer(TokenSource::CognitoId, "user-1", &["itsm_agent"])]
        )
        .is_allowed());
}

#[test]
fn credential_in_the_wrong_header_is_refused() {
    let p = policy();
    let alb_as_bearer = bearer(TokenSource::Alb, "user-1", &["super_admin"]);
    assert_eq!(
        denied(&p.decide("GET", "/admin", &[alb_as_bearer])).1,
        ErrorCode::SourceNotAccepted
    );
    let cognito_as_alb = Presented {
        source_kind: CredentialKind::Alb,
        outcome: Ok(identity(
            TokenSource::CognitoAccess,
            "user-1",
            &["super_admin"],
        )),
    };
    assert_eq!(
        denied(&p.decide("GET", "/admin", &[cognito_as_alb])).1,
        ErrorCode::SourceNotAccepted
    );
}

#[test]
fn role_denied_is_403_insufficient_scope_naming_the_roles() {
    let d = policy().decide("GET", "/admin", &[alb(&["viewer"])]);
    assert_eq!(
        denied(&d),
        (
            403,
            ErrorCode::RoleDenied,
            Some("Bearer error=\"insufficient_scope\"")
        )
    );
    assert!(deny_message(&d).contains("super_admin"));
    assert!(!deny_message(&d).contains("overflow"));
}

#[test]
fn overage_message() {
    let mut overflowing = alb(&[]);
    if let Ok(i) = &mut overflowing.outcome {
        i.groups_overage = true;
    }
    let d = policy().decide("GET", "/admin", &[overflowing]);
    assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
    assert!(
        deny_message(&d).contains("group list overflowed"),
        "{}",
        deny_message(&d)
    );
    assert!(deny_message(&d).contains("could not be read"));
}

#[test]
fn paths_are_case_sensitive_by_default() {
    let p = policy();
    let viewer = [alb(&["viewer"])];
    // `/ADMIN` is not the `/admin` rule: it falls to no rule (denied), never to a looser one.
    assert_eq!(
        denied(&p.decide("GET", "/ADMIN/users", &viewer)).1,
        ErrorCode::NoMatchingRoute
    );
    assert!(p.decide("GET", "/itsm/x", &viewer).is_allowed());
    assert_eq!(
        denied(&p.decide("GET", "/ITSM/x", &viewer)).1,
        ErrorCode::NoMatchingRoute
    );
}

#[test]
fn case_insensitive_paths_meet_their_rule_in_any_case() {
    let json = SEED_POLICY.replace("\"/admin\"", "\"/Admin\"");
    let p = Policy::from_json_case_insensitive(&json).unwrap();
    let viewer = [alb(&["viewer"])];
    let admin = [alb(&["super_admin"])];
    for path in ["/admin", "/ADMIN/users", "/aDmIn", "/%41dmin/x", "/%61DMIN"] {
        assert_eq!(
            denied(&p.decide("GET", path, &viewer)).1,
            ErrorCode::RoleDenied,
            "{path}"
        );
        assert!(p.decide("GET", path, &admin).is_allowed(), "{path}");
    }
    assert!(p.decide("GET", "/ITSM/Tickets", &viewer).is_allowed());
    // Escapes keep their meaning: %C3%89 is not %c3%a9.
    let json = r#"{"rules":[{"path":"/caf%C3%A9","roles":["viewer"]}]}"#;
    let p = Policy::from_json_case_insensitive(json).unwrap();
    assert!(p.decide("GET", "/CAF%c3%a9", &viewer).is_allowed());
    assert_eq!(
        denied(&p.decide("GET", "/caf%C3%89", &viewer)).1,
        ErrorCode::NoMatchingRoute
    );
    // Letters after an escape are compared lower-cased too (only the escape's two hex
    // digits are left as normalisation wrote them).
    let json = r#"{"rules":[{"path":"/caf%C3%A9/Menu","roles":["viewer"]}]}"#;
    let p = Policy::from_json_case_insensitive(json).unwrap();
    for path in ["/CAF%c3%a9/MENU", "/caf%C3%A9/menu", "/Caf%C3%A9/mEnU"] {
        assert!(p.decide("GET", path, &viewer).is_allowed(), "{path}");
    }
    // Including the letter right after an escape.
    let json = r#"{"rules":[{"path":"/docs%20Menu","roles":["viewer"]}]}"#;
    let p = Policy::from_json_case_insensitive(json).unwrap();
    for path in ["/DOCS%20menu", "/docs%20mENU"] {
        assert!(p.decide("GET", path, &viewer).is_allowed(), "{path}");
    }
    // The refusals still come first.
    assert_eq!(
        denied(&p.decide("GET", "/ADMIN/%2E%2E/x", &viewer)).1,
        ErrorCode::InvalidPath
    );
}

#[test]
fn matched_rule_names_the_first_match_and_its_index() {
    let p = policy();
    let at = |method: &str, path: &str| p.matched_rule(method, path).map(|(i, r)| (i, r.path()));
    assert_eq!(at("GET", "/health"), Some((0, "/health")));
    assert_eq!(at("GET", "/admin/users"), Some((1, "/admin")));
    assert_eq!(at("get", "/itsm/t"), Some((2, "/itsm")));
    assert_eq!(at("POST", "/itsm/t"), Some((3, "/itsm")));
    assert_eq!(at("GET", "/nowhere"), None);
    assert_eq!(at("GET", "/admin/%2f"), None);
}

#[test]
fn matched_rule_follows_path_case() {
    let p = Policy::from_json_case_insensitive(SEED_POLICY).unwrap();
    assert_eq!(p.matched_rule("GET", "/ADMIN").map(|(i, _)| i), Some(1));
    assert_eq!(policy().matched_rule("GET", "/ADMIN"), None);
}

// --- what deny messages and challenges say (mutants crate/mutants.sh found missed) ---

#[test]
fn conflicts_name_the_credential_headers() {
    let two_albs = policy().decide("GET", "/admin", &[alb(&["viewer"]), alb(&["viewer"])]);
    assert_eq!(
        deny_message(&two_albs),
        "two ALB credential (x-amzn-oidc-data)s were presented"
    );
    let alb_as_bearer = bearer(TokenSource::Alb, "user-1", &["super_admin"]);
    let d = policy().decide("GET", "/admin", &[alb_as_bearer]);
    assert!(
        deny_message(&d).starts_with("the Bearer credential (Authorization) holds a "),
        "{}",
        deny_message(&d)
    );
}

/// The `error_description` of a 401 challenge for a credential refused with `message`.
fn description_for(message: &str) -> String {
    let d = policy().decide(
        "GET",
        "/admin",
        &[failed(
            CredentialKind::Bearer,
            ErrorCode::MalformedToken,
            message,
        )],
    );
    let header = denied(&d).2.unwrap().to_owned();
    let start = "Bearer error=\"invalid_token\", error_description=\"";
    assert!(
        header.starts_with(start) && header.ends_with('"'),
        "{header}"
    );
    header[start.len()..header.len() - 1].to_owned()
}

#[test]
fn error_description_fills_its_limit_exactly() {
    assert_eq!(
        description_for(&"x".repeat(300)),
        "x".repeat(MAX_DESCRIPTION_LEN)
    );
    assert_eq!(
        description_for(&"x".repeat(MAX_DESCRIPTION_LEN)),
        "x".repeat(MAX_DESCRIPTION_LEN)
    );
    // An escaped character takes two bytes: it goes in whole or not at all.
    let fits = format!("{}\"", "x".repeat(MAX_DESCRIPTION_LEN - 2));
    assert_eq!(
        description_for(&fits),
        format!("{}\\\"", "x".repeat(MAX_DESCRIPTION_LEN - 2))
    );
    let one_over = format!("{}\"y", "x".repeat(MAX_DESCRIPTION_LEN - 1));
    assert_eq!(
        description_for(&one_over),
        "x".repeat(MAX_DESCRIPTION_LEN - 1)
    );
}

#[test]
fn two_credentials_keep_either_ones_group_overage() {
    let overflowing = |mut p: Presented| {
        if let Ok(i) = &mut p.outcome {
            i.groups_overage = true;
        }
        p
    };
    let cognito = |roles: &[&str]| bearer(TokenSource::CognitoAccess, "user-1", roles);
    for both in [
        [alb(&["viewer"]), overflowing(cognito(&["viewer"]))],
        [overflowing(alb(&["viewer"])), cognito(&["viewer"])],
    ] {
        let d = policy().decide("GET", "/admin", &both);
        assert_eq!(denied(&d).1, ErrorCode::RoleDenied);
        assert!(
            deny_message(&d).contains("group list overflowed"),
            "{}",
            deny_message(&d)
        );
    }
    let neither = [alb(&["viewer"]), cognito(&["viewer"])];
    let d = policy().decide("GET", "/admin", &neither);
    assert!(!deny_message(&d).contains("overflowed"));
}

#[test]
fn a_list_setting_that_is_not_a_list_says_a_list_was_expected() {
    let e = Policy::from_json(r#"{"rules": [{"path": "/a", "roles": "viewer"}]}"#).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidPolicy);
    assert!(
        e.message().contains("expected a list of strings"),
        "{}",
        e.message()
    );
}
