//! What a deny tells the client: its code and, by default, one fixed sentence per code.
//!
//! The core's messages are written for the people debugging a deployment: they can quote a
//! short excerpt of what an unverified token says, or describe the configuration (which
//! token sources the worker has). That detail goes to the decision log; a client sees it
//! only with `EXPOSE_DENY_DETAIL=true` (the local demo stack). `invalid_config` and
//! `invalid_policy` keep theirs: the message names the setting to fix, and no value.
//!
//! The table lives in the worker adapter, not in the core: the browser build never
//! answers denies and its wasm size is counted.

use crate::error::{Error, ErrorCode};

/// The sentence a client sees for `code` when detail is not exposed.
pub fn fixed_message(code: ErrorCode) -> &'static str {
    use ErrorCode::*;
    match code {
        TokenTooLarge => "The token is larger than this gate accepts.",
        MalformedToken => "The token is not a well-formed JWT.",
        MalformedHeader => "The token's header is not valid.",
        MalformedClaims => "The token's claims are not valid.",
        UnsupportedAlgorithm => "The token's signing algorithm is not accepted.",
        UnsupportedCritical => "The token names a critical header extension that is not supported.",
        InvalidKid => "The token's key id is missing or not valid.",
        UnknownKid => "The token was signed with a key this gate does not know.",
        KeyFetchFailed => "The signing keys could not be fetched; try again later.",
        MalformedKey => "The signing keys could not be read; try again later.",
        BadSignature => "The token's signature does not verify.",
        TokenExpired => "The token has expired.",
        TokenNotYetValid => "The token is not valid yet.",
        IssuedInFuture => "The token was issued in the future.",
        MissingClaim => "The token lacks a required claim.",
        IssuerMismatch => "The token was issued by an issuer this gate does not accept.",
        AudienceMismatch => "The token is meant for another audience.",
        ClientMismatch => "The token was issued to another client.",
        SignerMismatch => "The token was signed by a load balancer this gate does not accept.",
        TenantMismatch => "The token comes from another tenant.",
        TokenUseMismatch => "This kind of token is not accepted here.",
        GraphToken => "A Microsoft Graph token cannot be used for this API.",
        MissingCredential => "This route needs a credential.",
        ConflictingCredentials => "The credentials presented do not agree.",
        SourceNotAccepted => "This token source is not accepted here.",
        RoleDenied => {
            "Your account has no role, and your token no scope, that allows this request."
        }
        NoMatchingRoute => "No route allows this request.",
        InvalidPath => "The request path is not accepted.",
        InternalError => "The edge gate failed.",
        CrossSiteRequest => "Logout takes a top-level navigation or a same-origin POST.",
        NetworkError => "The origin could not be reached; try again later.",
        _ => "The request was refused.",
    }
}

/// Whether a code's own message reaches clients whatever the setting: configuration
/// errors name the setting to fix (operators need it) and never its value.
fn always_detailed(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::InvalidConfig | ErrorCode::InvalidPolicy)
}

/// The error as the client sees it: `error` itself when `expose_detail` (or for a
/// configuration error), otherwise its code with the fixed message.
pub fn public_error(error: &Error, expose_detail: bool) -> Error {
    if expose_detail || always_detailed(error.code()) {
        error.clone()
    } else {
        Error::fixed(error.code(), fixed_message(error.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code an edge deny can carry (README's worker table).
    const EDGE_CODES: &[ErrorCode] = &[
        ErrorCode::TokenTooLarge,
        ErrorCode::MalformedToken,
        ErrorCode::MalformedHeader,
        ErrorCode::MalformedClaims,
        ErrorCode::UnsupportedAlgorithm,
        ErrorCode::UnsupportedCritical,
        ErrorCode::InvalidKid,
        ErrorCode::UnknownKid,
        ErrorCode::KeyFetchFailed,
        ErrorCode::MalformedKey,
        ErrorCode::BadSignature,
        ErrorCode::TokenExpired,
        ErrorCode::TokenNotYetValid,
        ErrorCode::IssuedInFuture,
        ErrorCode::MissingClaim,
        ErrorCode::IssuerMismatch,
        ErrorCode::AudienceMismatch,
        ErrorCode::ClientMismatch,
        ErrorCode::SignerMismatch,
        ErrorCode::TenantMismatch,
        ErrorCode::TokenUseMismatch,
        ErrorCode::GraphToken,
        ErrorCode::MissingCredential,
        ErrorCode::ConflictingCredentials,
        ErrorCode::SourceNotAccepted,
        ErrorCode::RoleDenied,
        ErrorCode::NoMatchingRoute,
        ErrorCode::InvalidPath,
        ErrorCode::InternalError,
        ErrorCode::CrossSiteRequest,
        ErrorCode::NetworkError,
    ];

    #[test]
    fn every_edge_code_has_its_own_sentence() {
        let fallback = fixed_message(ErrorCode::ApiUnauthorized);
        for code in EDGE_CODES {
            let text = fixed_message(*code);
            assert_ne!(text, fallback, "{code} has no sentence of its own");
            assert!(text.ends_with('.') && text.len() < 100, "{code}: {text}");
        }
    }

    #[test]
    fn by_default_the_detail_is_replaced() {
        let detail = Error::new(ErrorCode::IssuerMismatch, "iss \"https://evil\" is not ...");
        let shown = public_error(&detail, false);
        assert_eq!(shown.code(), ErrorCode::IssuerMismatch);
        assert_eq!(shown.message(), fixed_message(ErrorCode::IssuerMismatch));
    }

    #[test]
    fn expose_detail_keeps_the_message() {
        let detail = Error::new(ErrorCode::TokenExpired, "expired 12 s ago");
        assert_eq!(public_error(&detail, true), detail);
    }

    #[test]
    fn configuration_errors_keep_naming_the_setting() {
        let e = Error::new(ErrorCode::InvalidConfig, "ORIGIN_URL is not set");
        assert_eq!(public_error(&e, false), e);
        let e = Error::new(ErrorCode::InvalidPolicy, "POLICY rule 2: ...");
        assert_eq!(public_error(&e, false), e);
    }
}
