//! What the gate signs for origin: the JWS header and claims of one assertion (RFC 7515
//! compact serialization, RFC 7519 claims), built as the signing input; the signature is
//! the caller's (WebCrypto in the worker), and [`compact`] joins the two.
//!
//! Claims, in the order JSON writes them: `aud`, `exp`, `htm`, `htu` (bound only), `iat`,
//! `iss`, `jti` (bound only), `roles`, `source`, `sub`.
//!
//! - `exp` is the earlier of the verified token's `exp` and `iat + ttl`: an assertion never
//!   outlives the token it speaks for.
//! - Unbound ([`Binding::Token`], the default), one assertion serves every request of the
//!   token until [`reusable`] says it is too close to its `exp` (the way Cloudflare Access's
//!   `Cf-Access-Jwt-Assertion` is one per session).
//! - Bound ([`Binding::Request`]), each request gets its own: `htm` (the method) and `htu`
//!   (the path origin receives, without query) as in DPoP (RFC 9449 §4.2), and a `jti`, so
//!   a captured assertion is refused on another route or method.

use crate::base64url;
use crate::error::{Error, ErrorCode, Result};
use crate::identity::Identity;
use crate::json::{string_array, ObjectWriter};

/// The default lifetime of an assertion (`ASSERTION_TTL_SECONDS`).
pub const DEFAULT_TTL_SECS: u64 = 60;
/// An unbound assertion is signed again once fewer than this many seconds of it remain
/// (or half its lifetime, when that is shorter), so origin never receives one about to
/// expire in flight.
pub const REUSE_MARGIN_SECS: u64 = 10;

/// Whether an assertion names the request it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// One assertion per verified token, reused for its requests.
    Token,
    /// One per request, with `htm`, `htu` and `jti`.
    Request,
}

/// What every assertion of this gate carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionSettings {
    /// `iss` (`ASSERTION_ISSUER`).
    pub issuer: String,
    /// `aud`: the origin (`ASSERTION_AUDIENCE`).
    pub audience: String,
    /// The most an assertion lives (`ASSERTION_TTL_SECONDS`).
    pub ttl_secs: u64,
    pub binding: Binding,
}

/// The request a bound assertion is for.
#[derive(Debug, Clone, Copy)]
pub struct BoundRequest<'a> {
    /// `htm`: the request method as origin receives it.
    pub method: &'a str,
    /// `htu`: the path origin receives (ORIGIN_URL's path, then the request path), no query.
    pub path: &'a str,
    /// `jti`: unique per assertion (random, from the caller).
    pub id: &'a str,
}

/// An assertion waiting for its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    /// `BASE64URL(header) "." BASE64URL(claims)`: the bytes to sign.
    pub signing_input: String,
    /// Its `exp`.
    pub expires_at: u64,
}

/// The signing input of an assertion for `identity` as of `now`, under the key `kid`. A
/// bound one needs `request`; an unbound one ignores it. Refused (`token_expired`) when the
/// token has no time left: an assertion must not outlive it.
pub fn unsigned(
    settings: &AssertionSettings,
    kid: &str,
    identity: &Identity,
    now: u64,
    request: Option<BoundRequest<'_>>,
) -> Result<Unsigned> {
    let expires_at = identity
        .expires_at
        .min(now.saturating_add(settings.ttl_secs));
    if expires_at <= now {
        return Err(Error::fixed(
            ErrorCode::TokenExpired,
            "the token expires now: no assertion can be made for it",
        ));
    }
    let bound = match settings.binding {
        Binding::Token => None,
        Binding::Request => Some(request.ok_or_else(|| {
            Error::fixed(
                ErrorCode::InternalError,
                "a request-bound assertion needs its request",
            )
        })?),
    };
    let header = ObjectWriter::new()
        .string("alg", "ES256")
        .string("kid", kid)
        .string("typ", "JWT")
        .finish();
    let mut claims = ObjectWriter::new();
    claims
        .string("aud", &settings.audience)
        .number("exp", expires_at);
    if let Some(bound) = &bound {
        claims.string("htm", bound.method).string("htu", bound.path);
    }
    claims.number("iat", now).string("iss", &settings.issuer);
    if let Some(bound) = &bound {
        claims.string("jti", bound.id);
    }
    let roles = string_array(identity.roles.iter().map(String::as_str));
    let claims = claims
        .raw("roles", &roles)
        .string("source", identity.source.family())
        .string("sub", &identity.subject)
        .finish();
    let signing_input = format!(
        "{}.{}",
        base64url::encode(header.as_bytes()),
        base64url::encode(claims.as_bytes())
    );
    Ok(Unsigned {
        signing_input,
        expires_at,
    })
}

/// The compact JWS: the signing input, `.`, the raw `r ‖ s` signature base64url (RFC 7518
/// §3.4: 64 bytes for ES256).
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", base64url::encode(signature))
}

/// Whether an unbound assertion that expires at `expires_at` may still be sent at `now`:
/// more than the reuse margin ([`REUSE_MARGIN_SECS`], or half of `ttl_secs` when shorter)
/// must remain.
pub fn reusable(expires_at: u64, now: u64, ttl_secs: u64) -> bool {
    let margin = REUSE_MARGIN_SECS.min(ttl_secs / 2);
    now.saturating_add(margin) < expires_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::TokenSource;
    use crate::json::parse_object;

    fn identity(exp: u64) -> Identity {
        Identity {
            source: TokenSource::CognitoAccess,
            subject: "user-1".into(),
            roles: vec!["viewer".into(), "itsm_agent".into()],
            scopes: Vec::new(),
            groups_overage: false,
            expires_at: exp,
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

    fn decode(segment: &str) -> crate::json::Map {
        let bytes = base64url::decode(segment, base64url::Padding::Forbidden).unwrap();
        parse_object(&bytes).unwrap()
    }

    #[test]
    fn unbound_assertion_carries_the_identity_and_no_request() {
        let out = unsigned(
            &settings(Binding::Token),
            "kid-1",
            &identity(2_000),
            1_000,
            None,
        )
        .unwrap();
        let (header, claims) = out.signing_input.split_once('.').unwrap();
        assert_eq!(
            decode(header).to_json(),
            r#"{"alg":"ES256","kid":"kid-1","typ":"JWT"}"#
        );
        assert_eq!(
            decode(claims).to_json(),
            r#"{"aud":"https://origin.example","exp":1060,"iat":1000,"iss":"https://gate.example","roles":["viewer","itsm_agent"],"source":"cognito","sub":"user-1"}"#
        );
        assert_eq!(out.expires_at, 1_060);
    }

    #[test]
    fn exp_is_never_later_than_the_tokens() {
        let at = |token_exp| {
            unsigned(
                &settings(Binding::Token),
                "k",
                &identity(token_exp),
                1_000,
                None,
            )
            .map(|u| u.expires_at)
        };
        assert_eq!(at(1_059).unwrap(), 1_059);
        assert_eq!(at(1_060).unwrap(), 1_060);
        assert_eq!(at(1_061).unwrap(), 1_060);
        assert_eq!(at(1_001).unwrap(), 1_001);
        assert_eq!(at(1_000).unwrap_err().code(), ErrorCode::TokenExpired);
        assert_eq!(at(999).unwrap_err().code(), ErrorCode::TokenExpired);
    }

    #[test]
    fn bound_assertion_names_method_path_and_a_unique_id() {
        let request = BoundRequest {
            method: "POST",
            path: "/itsm/tickets",
            id: "j-1",
        };
        let out = unsigned(
            &settings(Binding::Request),
            "k",
            &identity(2_000),
            1_000,
            Some(request),
        )
        .unwrap();
        let claims = decode(out.signing_input.split_once('.').unwrap().1);
        assert_eq!(claims.get("htm").unwrap().as_str(), Some("POST"));
        assert_eq!(claims.get("htu").unwrap().as_str(), Some("/itsm/tickets"));
        assert_eq!(claims.get("jti").unwrap().as_str(), Some("j-1"));
        let missing = unsigned(
            &settings(Binding::Request),
            "k",
            &identity(2_000),
            1_000,
            None,
        );
        assert_eq!(missing.unwrap_err().code(), ErrorCode::InternalError);
        // An unbound assertion ignores a request it is given.
        let unbound = unsigned(
            &settings(Binding::Token),
            "k",
            &identity(2_000),
            1_000,
            Some(request),
        )
        .unwrap();
        let claims = decode(unbound.signing_input.split_once('.').unwrap().1);
        assert!(!claims.contains_key("htm") && !claims.contains_key("htu"));
        assert!(!claims.contains_key("jti"));
    }

    #[test]
    fn reuse_stops_a_margin_before_exp() {
        // ttl 60: margin 10.
        assert!(reusable(1_060, 1_049, 60));
        assert!(!reusable(1_060, 1_050, 60));
        assert!(!reusable(1_060, 1_060, 60));
        // ttl 6: margin 3.
        assert!(reusable(1_006, 1_002, 6));
        assert!(!reusable(1_006, 1_003, 6));
        // ttl 1: no margin, but never at or past exp.
        assert!(reusable(1_001, 1_000, 1));
        assert!(!reusable(1_001, 1_001, 1));
    }

    #[test]
    fn compact_appends_the_signature() {
        assert_eq!(compact("a.b", &[0xfb, 0xff]), "a.b.-_8");
    }
}
