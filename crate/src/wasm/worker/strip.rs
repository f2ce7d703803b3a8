//! Which of the client's headers may reach origin. Pure rules, tested natively; the
//! [`forward`](super::forward) module applies them to the request.
//!
//! Header names are compared the way the origin's stack may read them, not only the way the
//! Headers API does: ASCII case-insensitively **and with `_` equal to `-`**. CGI, WSGI and
//! Rack servers (wsgiref, Werkzeug, uWSGI, older Gunicorn and Puma) map both `X-Auth-Roles`
//! and `X_Auth_Roles` to the one variable `HTTP_X_AUTH_ROLES` and join their values, so a
//! client's `X_Auth_Roles: super_admin` would ride along with the verified `x-auth-roles`.
//!
//! Dropped:
//! - every `x-auth-*` name (only this worker sets them) and `host` (`fetch` sets it);
//! - hop-by-hop headers (RFC 9110 §7.6.1): `Connection` and every name it nominates,
//!   `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-*`. A client's
//!   `Connection: x-auth-roles` would otherwise make the next proxy delete the identity
//!   headers this worker set;
//! - every `x-amzn-oidc-*` name, except, when the ALB token in `x-amzn-oidc-data` is the
//!   credential this worker verified, ALB's own spellings of:
//!   - `x-amzn-oidc-data` itself;
//!   - `x-amzn-oidc-identity` when it equals the verified `sub` (AWS documents it as the
//!     plain-text `sub`; anyone holding a valid ALB token of their own could otherwise
//!     send a victim's);
//!   - `x-amzn-oidc-accesstoken` only with `ALB_FORWARD_ACCESS_TOKEN=true`: nothing binds it
//!     to the verified token, so it is the client's word until origin verifies it.

/// Names only this worker may set.
pub const AUTH_PREFIX: &str = "x-auth-";
/// ALB's OIDC headers.
pub const ALB_PREFIX: &str = "x-amzn-oidc-";
pub const ALB_DATA: &str = "x-amzn-oidc-data";
pub const ALB_IDENTITY: &str = "x-amzn-oidc-identity";
pub const ALB_ACCESS_TOKEN: &str = "x-amzn-oidc-accesstoken";

/// Hop-by-hop names (RFC 9110 §7.6.1, RFC 9112 §6.1, RFC 9110 §6.6.2 for `Trailer`).
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];
const PROXY_PREFIX: &str = "proxy-";

/// One byte as the origin's stack may read it in a header name.
fn fold(b: u8) -> u8 {
    match b {
        b'_' => b'-',
        b => b.to_ascii_lowercase(),
    }
}

/// Whether `name` begins with `prefix` (lower-case, `-` for `_`), read as [`fold`] does.
pub fn folded_starts_with(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len() && name.bytes().zip(prefix.bytes()).all(|(a, b)| fold(a) == b)
}

/// Whether `name` is `other` (lower-case, `-` for `_`), read as [`fold`] does.
pub fn folded_eq(name: &str, other: &str) -> bool {
    name.len() == other.len() && folded_starts_with(name, other)
}

/// What the filter knows about the request.
#[derive(Debug, Default)]
pub struct StripRules {
    /// Set when the credential verified is the request's ALB token.
    pub alb: Option<AlbForward>,
    /// The client's `Connection` header value, if any.
    pub connection: Option<String>,
    /// `ORIGIN_AUTH_HEADER`, folded (see [`folded`]): only the gate sets it.
    pub origin_auth: Option<String>,
}

/// ALB's headers that may travel on with a verified ALB token.
#[derive(Debug)]
pub struct AlbForward {
    /// The client's `x-amzn-oidc-identity` value matches the verified `sub`.
    pub identity_matches: bool,
    /// `ALB_FORWARD_ACCESS_TOKEN`.
    pub access_token: bool,
}

impl StripRules {
    /// Whether the client-sent header `name` may reach origin.
    pub fn keep(&self, name: &str) -> bool {
        if folded_starts_with(name, AUTH_PREFIX)
            || folded_eq(name, "host")
            || folded_starts_with(name, PROXY_PREFIX)
            || HOP_BY_HOP.iter().any(|hop| folded_eq(name, hop))
            || self.nominated_by_connection(name)
            || self
                .origin_auth
                .as_deref()
                .is_some_and(|own| folded_eq(name, own))
        {
            return false;
        }
        if !folded_starts_with(name, ALB_PREFIX) {
            return true;
        }
        // Only ALB's own spelling (lower-case from the Headers API, hyphens) can be ALB's.
        let Some(alb) = &self.alb else {
            return false;
        };
        if name.contains('_') {
            return false;
        }
        if name.eq_ignore_ascii_case(ALB_DATA) {
            true
        } else if name.eq_ignore_ascii_case(ALB_IDENTITY) {
            alb.identity_matches
        } else if name.eq_ignore_ascii_case(ALB_ACCESS_TOKEN) {
            alb.access_token
        } else {
            false
        }
    }

    fn nominated_by_connection(&self, name: &str) -> bool {
        self.connection.as_deref().is_some_and(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|nominated| !nominated.is_empty() && folded_eq(name, &folded(nominated)))
        })
    }
}

/// `name` lower-cased with `-` for `_` (for the rare `Connection` list, and for
/// `ORIGIN_AUTH_HEADER` once per isolate).
pub fn folded(name: &str) -> String {
    name.bytes().map(|b| char::from(fold(b))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alb(identity_matches: bool, access_token: bool) -> StripRules {
        StripRules {
            alb: Some(AlbForward {
                identity_matches,
                access_token,
            }),
            connection: None,
            origin_auth: None,
        }
    }

    #[test]
    fn the_origin_auth_header_is_only_the_gates_in_every_spelling() {
        let rules = StripRules {
            origin_auth: Some(folded("X_Origin-Auth")),
            ..StripRules::default()
        };
        for name in [
            "x-origin-auth",
            "X-ORIGIN-AUTH",
            "x_origin_auth",
            "x-origin_auth",
        ] {
            assert!(!rules.keep(name), "{name}");
            assert!(StripRules::default().keep(name), "{name}");
        }
        for name in ["x-origin-authx", "x-origin-aut", "x-origin"] {
            assert!(rules.keep(name), "{name}");
        }
    }

    #[test]
    fn identity_headers_are_dropped_in_every_spelling() {
        let none = StripRules::default();
        for name in [
            "x-auth-roles",
            "X-Auth-Sub",
            "X-AUTH-whatever",
            "X_Auth_Roles",
            "x_auth_sub",
            "x-auth_roles",
            "x_auth-source",
            "x-auth-assertion",
            "host",
            "HOST",
        ] {
            assert!(!none.keep(name), "{name}");
            assert!(!alb(true, true).keep(name), "{name}");
        }
        for name in [
            "authorization",
            "cookie",
            "content-type",
            "x-authx",
            "x_authx",
            "x-auth",
        ] {
            assert!(none.keep(name), "{name}");
        }
    }

    #[test]
    fn alb_headers_travel_only_with_their_verified_token() {
        let none = StripRules::default();
        for name in [
            ALB_DATA,
            ALB_IDENTITY,
            ALB_ACCESS_TOKEN,
            "x-amzn-oidc-other",
        ] {
            assert!(!none.keep(name), "{name}");
        }
        assert!(alb(false, false).keep(ALB_DATA));
        assert!(alb(false, false).keep("X-Amzn-Oidc-Data"));
        // identity: only when it equals the verified sub
        assert!(!alb(false, true).keep(ALB_IDENTITY));
        assert!(alb(true, false).keep(ALB_IDENTITY));
        // access token: only when configured
        assert!(!alb(true, false).keep(ALB_ACCESS_TOKEN));
        assert!(alb(true, true).keep(ALB_ACCESS_TOKEN));
        // names ALB never sends
        assert!(!alb(true, true).keep("x-amzn-oidc-other"));
        // underscore spellings are never ALB's
        for name in [
            "x_amzn_oidc_identity",
            "x_amzn_oidc_data",
            "x-amzn-oidc_accesstoken",
        ] {
            assert!(!alb(true, true).keep(name), "{name}");
        }
    }

    #[test]
    fn hop_by_hop_headers_and_the_names_connection_nominates_are_dropped() {
        let mut rules = StripRules::default();
        for name in [
            "connection",
            "Keep-Alive",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "proxy-authorization",
            "Proxy-Connection",
            "proxy_authorization",
        ] {
            assert!(!rules.keep(name), "{name}");
        }
        assert!(rules.keep("x-custom"));
        rules.connection = Some("close, X_Custom , ,x-other".to_owned());
        assert!(!rules.keep("x-custom"));
        assert!(!rules.keep("X-Other"));
        assert!(rules.keep("x-kept"));
        assert!(rules.keep("cookie"));
    }

    #[test]
    fn folding_compares_case_and_underscores_only() {
        assert!(folded_starts_with("X_AUTH_x", "x-auth-"));
        assert!(!folded_starts_with("x-aut", "x-auth-"));
        assert!(!folded_starts_with("y-auth-", "x-auth-"));
        assert!(folded_eq("Keep_Alive", "keep-alive"));
        assert!(!folded_eq("keep-alives", "keep-alive"));
        assert!(!folded_eq("keep-aliv", "keep-alive"));
        assert_eq!(folded("X_Custom"), "x-custom");
    }
}
