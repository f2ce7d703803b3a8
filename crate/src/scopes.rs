//! Scopes from verified claims: what an OAuth access token lets its bearer do.
//!
//! The policy ([`crate::policy`]) may grant a route by scope as well as by role (a machine
//! client, signed in with the client-credentials grant, has no user and so no roles). Only
//! access tokens carry scopes, one claim per source:
//!
//! | source | claim | form |
//! |---|---|---|
//! | `cognito_access` | `scope` | space-separated string (`tickets/read tickets/write`) |
//! | `entra` | `scp` | space-separated string (delegated permissions) |
//! | `cognito_id`, `alb` | none | an ID token or ALB's user claims grant no scope, whatever they carry |
//!
//! A claim of another type (a number, an array), an empty string, or a value that is not a
//! scope token (RFC 6749 §3.3) grants nothing: the claim is read as written or not at all,
//! never guessed at. At most [`MAX_SCOPES`] scopes are read, so a token stuffed with them
//! costs the policy a bounded comparison.

use crate::identity::TokenSource;
use crate::json::{Map, Value};

/// The most scopes read from one token; the rest are ignored. Real tokens carry a few.
pub const MAX_SCOPES: usize = 64;
/// The longest scope accepted (longer values are not scopes but garbage).
const MAX_SCOPE_LEN: usize = 256;

/// Whether `s` is a `scope-token` (RFC 6749 §3.3: `%x21 / %x23-5B / %x5D-7E`, so visible
/// ASCII without `"` and `\`), at most 256 bytes.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCOPE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

/// The claim that carries `source`'s scopes, if it has one.
pub fn scope_claim(source: TokenSource) -> Option<&'static str> {
    match source {
        TokenSource::CognitoAccess => Some("scope"),
        TokenSource::Entra => Some("scp"),
        TokenSource::CognitoId | TokenSource::Alb => None,
    }
}

/// The scopes a verified token of `source` grants (see the module doc), de-duplicated, in
/// the order written.
pub fn collect_scopes(source: TokenSource, claims: &Map) -> Vec<String> {
    let Some(Value::String(list)) = scope_claim(source).and_then(|name| claims.get(name)) else {
        return Vec::new();
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in list.split(' ').filter(|s| is_scope_token(s)) {
        if scopes.len() == MAX_SCOPES {
            break;
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scopes(source: TokenSource, claims: serde_json::Value) -> Vec<String> {
        collect_scopes(source, &crate::json::object_from_serde(claims))
    }

    #[test]
    fn cognito_access_tokens_carry_scope() {
        assert_eq!(
            scopes(
                TokenSource::CognitoAccess,
                json!({ "scope": "tickets/read tickets/write" })
            ),
            ["tickets/read", "tickets/write"]
        );
    }

    #[test]
    fn entra_tokens_carry_scp() {
        assert_eq!(
            scopes(
                TokenSource::Entra,
                json!({ "scp": "Tickets.Read access_as_user" })
            ),
            ["Tickets.Read", "access_as_user"]
        );
    }

    #[test]
    fn each_source_reads_its_own_claim_only() {
        // Entra's scopes are in scp, Cognito's in scope: the other name grants nothing.
        assert!(scopes(TokenSource::Entra, json!({ "scope": "a" })).is_empty());
        assert!(scopes(TokenSource::CognitoAccess, json!({ "scp": "a" })).is_empty());
    }

    #[test]
    fn id_tokens_and_alb_grant_no_scope() {
        let claims = json!({ "scope": "tickets/read", "scp": "tickets/read" });
        assert!(scopes(TokenSource::CognitoId, claims.clone()).is_empty());
        assert!(scopes(TokenSource::Alb, claims).is_empty());
    }

    #[test]
    fn wrong_types_grant_nothing() {
        for claim in [
            json!(7),
            json!(["tickets/read"]),
            json!({ "tickets/read": true }),
            json!(true),
            json!(null),
            json!(""),
            json!("   "),
        ] {
            let got = scopes(
                TokenSource::CognitoAccess,
                json!({ "scope": claim.clone() }),
            );
            assert!(got.is_empty(), "{claim}");
        }
    }

    #[test]
    fn values_that_are_not_scope_tokens_are_ignored() {
        let long = "a".repeat(MAX_SCOPE_LEN + 1);
        let at_limit = "b".repeat(MAX_SCOPE_LEN);
        let list = format!("ok  \"q\" back\\slash tab\tx ünï {long} {at_limit} x,y");
        assert_eq!(
            scopes(TokenSource::CognitoAccess, json!({ "scope": list })),
            ["ok", at_limit.as_str(), "x,y"]
        );
    }

    #[test]
    fn scopes_are_deduplicated_and_bounded() {
        assert_eq!(
            scopes(TokenSource::CognitoAccess, json!({ "scope": "a b a" })),
            ["a", "b"]
        );
        let many: Vec<String> = (0..MAX_SCOPES + 10).map(|i| format!("s{i}")).collect();
        let got = scopes(
            TokenSource::CognitoAccess,
            json!({ "scope": format!("{} s0 s1", many.join(" ")) }),
        );
        assert_eq!(got.len(), MAX_SCOPES);
        assert_eq!(got, many[..MAX_SCOPES]);
    }

    #[test]
    fn the_cap_counts_distinct_scopes() {
        // Repeats of one scope do not use up the cap.
        let list = format!("{} last", "a ".repeat(MAX_SCOPES * 2));
        assert_eq!(
            scopes(TokenSource::CognitoAccess, json!({ "scope": list })),
            ["a", "last"]
        );
    }

    #[test]
    fn scope_token_grammar() {
        assert!(is_scope_token("tickets/read"));
        assert!(is_scope_token("!#[]~"));
        for bad in ["", "a b", "a\"", "a\\", "é", "a\u{7f}"] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
    }
}
