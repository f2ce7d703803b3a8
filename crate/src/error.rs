//! One error type for the whole crate.
//!
//! Every failure carries a stable snake_case [`ErrorCode`] that callers branch on (and that
//! JavaScript sees as `error.code`), plus a message written for people. Codes are API: the
//! README lists them in one table and each has a test. Messages may change; codes may not.

use std::borrow::Cow;
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $status:literal; )*) => {
        /// Stable, machine-readable error codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order (for docs and tests).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The snake_case string form, e.g. `token_expired`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The HTTP status an edge deny with this code answers with.
            pub fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }
        }
    };
}

error_codes! {
    // --- token shape (parse and pre-checks) ---
    /// The token is larger than the configured limit.
    TokenTooLarge => "token_too_large", 401;
    /// Not three dot-separated base64url segments.
    MalformedToken => "malformed_token", 401;
    /// The JOSE header is not a JSON object of the expected shape.
    MalformedHeader => "malformed_header", 401;
    /// The claims segment is not a JSON object of the expected shape.
    MalformedClaims => "malformed_claims", 401;
    /// `alg` is not in this token source's allow-list (includes `none` and `HS*`).
    UnsupportedAlgorithm => "unsupported_algorithm", 401;
    /// The header lists a `crit` extension this verifier does not understand.
    UnsupportedCritical => "unsupported_critical_header", 401;
    /// The header has no `kid`, or one that cannot name a key of this source.
    InvalidKid => "invalid_kid", 401;

    // --- keys ---
    /// No key with this `kid` in the key set (after any allowed refetch).
    UnknownKid => "unknown_kid", 401;
    /// The key server could not be reached, timed out, or answered non-2xx.
    KeyFetchFailed => "key_fetch_failed", 503;
    /// The key material (JWKS, JWK, PEM) did not parse or is of the wrong type.
    MalformedKey => "malformed_key", 503;

    // --- signature ---
    /// The signature does not verify (includes wrong length and DER-encoded ECDSA).
    BadSignature => "bad_signature", 401;

    // --- claims ---
    /// `exp` is in the past (beyond the allowed clock skew).
    TokenExpired => "token_expired", 401;
    /// `nbf` is in the future (beyond the allowed clock skew).
    TokenNotYetValid => "token_not_yet_valid", 401;
    /// `iat` is in the future (beyond the allowed clock skew).
    IssuedInFuture => "issued_in_future", 401;
    /// A claim the verifier requires is absent or of the wrong type.
    MissingClaim => "missing_claim", 401;
    /// `iss` is not the configured issuer.
    IssuerMismatch => "issuer_mismatch", 401;
    /// `aud` does not contain the configured audience.
    AudienceMismatch => "audience_mismatch", 401;
    /// The token was issued to another client (`client_id`, ALB `client`).
    ClientMismatch => "client_mismatch", 401;
    /// The ALB `signer` is not one of the configured load balancer ARNs.
    SignerMismatch => "signer_mismatch", 401;
    /// `tid` is not the configured tenant.
    TenantMismatch => "tenant_mismatch", 401;
    /// `nonce` does not match the one sent with the authorize request.
    NonceMismatch => "nonce_mismatch", 401;
    /// Cognito `token_use` is not one of the accepted kinds.
    TokenUseMismatch => "token_use_mismatch", 401;
    /// An identity assertion made for another request (method or path) than the one it
    /// arrived on, or an unbound one where a bound one is expected.
    BindingMismatch => "binding_mismatch", 401;
    /// A Microsoft Graph access token (a `nonce` in its header): only Graph can verify it.
    GraphToken => "graph_token", 401;

    // --- route policy ---
    /// A protected route was called without a credential.
    MissingCredential => "missing_credential", 401;
    /// Two credentials were presented and they disagree, or one of them is bad.
    ConflictingCredentials => "conflicting_credentials", 401;
    /// This token source is not accepted on this route.
    SourceNotAccepted => "source_not_accepted", 401;
    /// Valid credential, but none of its roles is allowed on this route.
    RoleDenied => "role_denied", 403;
    /// No policy rule matches the request (policies deny by default).
    NoMatchingRoute => "no_matching_route", 403;
    /// The request path is ambiguous (dot segments, encoded slashes or backslashes), so no
    /// rule can be matched safely.
    InvalidPath => "invalid_path", 400;
    /// The policy document is invalid.
    InvalidPolicy => "invalid_policy", 500;
    /// A configuration value is missing or malformed.
    InvalidConfig => "invalid_config", 500;
    /// The gate itself failed (a wasm trap); the request was not forwarded.
    InternalError => "internal_error", 500;
    /// A state-changing request (the worker's logout) that is neither a top-level
    /// navigation nor a same-origin `POST`: another site's page cannot trigger it.
    CrossSiteRequest => "cross_site_request", 403;

    // --- login protocol (authorize, callback, token endpoint) ---
    /// The callback's `state` does not match the pending login.
    StateMismatch => "state_mismatch", 400;
    /// No pending login for this `state` (unknown, expired or already used).
    UnknownState => "unknown_state", 400;
    /// The callback carried neither a code nor an error.
    MissingCode => "missing_code", 400;
    /// The user cancelled or denied consent at the provider (`access_denied`).
    AccessDenied => "access_denied", 401;
    /// The provider answered the authorize request with another error.
    AuthorizationFailed => "authorization_failed", 400;
    /// Admin or user consent is missing (AADSTS65001).
    ConsentRequired => "consent_required", 403;
    /// The redirect URI does not match the app registration (AADSTS50011).
    RedirectUriMismatch => "redirect_uri_mismatch", 400;
    /// The app registration does not enable this response type (AADSTS700054).
    ResponseTypeNotEnabled => "response_type_not_enabled", 400;
    /// The redirect URI is not registered as a single-page app (AADSTS9002326).
    SpaRedirectRequired => "spa_redirect_required", 400;
    /// Multi-factor authentication is required (AADSTS50076, AADSTS50079).
    MfaRequired => "mfa_required", 401;
    /// The user is not a member of this tenant (AADSTS90072).
    UserNotInTenant => "user_not_in_tenant", 403;
    /// The refresh token expired or was revoked: a new login is needed (AADSTS700084, invalid_grant).
    LoginRequired => "login_required", 401;
    /// The token endpoint said no for another reason.
    TokenRequestFailed => "token_request_failed", 400;
    /// A response (token endpoint, discovery, OBO) did not parse.
    InvalidResponse => "invalid_response", 502;
    /// The request could not be sent or no answer came back.
    NetworkError => "network_error", 503;

    // --- OBO exchange ---
    /// The OBO endpoint refused the Entra token (401/403).
    OboUnauthorized => "obo_unauthorized", 401;
    /// The OBO endpoint failed for another reason.
    OboFailed => "obo_failed", 502;

    // --- calling a protected API from the browser ---
    /// The API asked for more claims (`WWW-Authenticate: Bearer error="insufficient_claims"`,
    /// Conditional Access or CAE): sign in again or get a token with those claims.
    ClaimsChallenge => "claims_challenge", 401;
    /// An API's `WWW-Authenticate` challenge, or its `claims` value, does not parse.
    MalformedChallenge => "malformed_challenge", 502;
    /// A `returnTo` that is not a path of the app's own origin.
    InvalidReturnTo => "invalid_return_to", 400;
    /// The API refused the app token again right after it was renewed.
    ApiUnauthorized => "api_unauthorized", 401;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error: a stable [`ErrorCode`] and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    /// Fixed text stays borrowed ([`Error::fixed`]).
    message: Cow<'static, str>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: Cow::Owned(message.into()),
        }
    }

    /// An error with a fixed message: no allocation, and none of its code at the call
    /// site (the browser build has dozens of such sites).
    pub fn fixed(code: ErrorCode, message: &'static str) -> Self {
        Error {
            code,
            message: Cow::Borrowed(message),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// `{"error": code, "message": message}`, the shape edge denies answer with.
    pub fn to_json(&self) -> String {
        crate::json::ObjectWriter::new()
            .string("error", self.code.as_str())
            .string("message", self.message())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{s} is not snake_case"
            );
        }
    }

    #[test]
    fn every_code_is_documented_in_the_readme() {
        let readme = include_str!("../../README.md");
        for code in ErrorCode::ALL {
            assert!(
                readme.contains(&format!("| `{}` | {} |", code.as_str(), code.http_status())),
                "README's error table lacks {code}"
            );
        }
    }

    #[test]
    fn json_shape() {
        let e = Error::fixed(ErrorCode::TokenExpired, "expired \"now\"");
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["error"], "token_expired");
        assert_eq!(v["message"], "expired \"now\"");
    }
}
