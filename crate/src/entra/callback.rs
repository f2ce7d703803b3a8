//! The authorization response (RFC 6749 §4.1.2, errors §4.1.2.1; OIDC Core §3.1.2.5–6),
//! read from the redirect back to the app with `response_mode=query`.
//!
//! Order of checks, as oauth4webapi's `validateAuthResponse`:
//! 1. no parameter may appear twice (RFC 6749 §3.1: "MUST NOT be included more than
//!    once"). A duplicate means the URL was tampered with or assembled by someone else,
//!    and which copy a server meant cannot be known, so nothing in it is used:
//!    `authorization_failed`;
//! 2. `state` must be present and equal the one sent (§10.12): otherwise `state_mismatch`,
//!    also for error responses, so a forged error cannot be injected into a login;
//! 3. `error` → the provider's refusal, mapped ([`super::errors`]);
//! 4. `code` → the authorization code; neither → `missing_code`.
//!
//! `iss` (RFC 9207, added by some providers), `session_state` and `client_info` (Entra)
//! are not used.
//!
//! The parameters are kept in a `Vec` sorted by name (a callback has a handful; a
//! `BTreeMap` costs the browser's wasm kilobytes), at most [`MAX_CALLBACK_PARAMS`] of them,
//! so that a hostile URL with thousands cannot make the sorted inserts quadratic.

use std::borrow::Cow;

use super::errors::{Flow, ProviderError};
use super::types::{AuthorizationCode, CsrfState};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;

/// Parameters the callback consumes; removed from the address bar afterwards.
const CALLBACK_PARAMS: &[&str] = &[
    "code",
    "state",
    "session_state",
    "error",
    "error_description",
    "error_uri",
    "iss",
    "client_info",
];

/// More parameters than any provider sends (Entra sends up to five): `authorization_failed`.
pub const MAX_CALLBACK_PARAMS: usize = 64;

/// The query of a callback URL, or the query itself. A fragment is never part of it.
fn query_of(callback: &str) -> &str {
    let without_fragment = callback.split('#').next().unwrap_or("");
    match without_fragment.split_once('?') {
        Some((_, query)) => query,
        // A URL without a query has no parameters; anything else is a bare query.
        None if crate::text::contains(without_fragment, "://") => "",
        None => without_fragment,
    }
}

/// The authorization code from a callback (full URL or query string) for a login that
/// sent `expected_state`. See the module docs for the order of checks.
pub fn parse_callback(callback: &str, expected_state: &CsrfState) -> Result<AuthorizationCode> {
    let mut params = Vec::new();
    for (name, value) in crate::form::pairs(query_of(callback)) {
        let Err(at) = params.binary_search_by(|(known, _)| Cow::cmp(known, &name)) else {
            return Err(Error::new(
                ErrorCode::AuthorizationFailed,
                format!(
                    "the callback repeats the parameter {}, so it cannot be trusted",
                    quoted(&name)
                ),
            ));
        };
        if params.len() == MAX_CALLBACK_PARAMS {
            return Err(Error::new(
                ErrorCode::AuthorizationFailed,
                format!("the callback has over {MAX_CALLBACK_PARAMS} parameters"),
            ));
        }
        params.insert(at, (name, value));
    }
    let get = |name: &str| {
        let at = params
            .binary_search_by(|(known, _)| known.as_ref().cmp(name))
            .ok()?;
        Some(params[at].1.as_ref())
    };

    match get("state") {
        None => {
            return Err(Error::fixed(
                ErrorCode::StateMismatch,
                "the callback has no state parameter",
            ))
        }
        Some(state) if !expected_state.ct_eq(state) => {
            return Err(Error::fixed(
                ErrorCode::StateMismatch,
                "the callback's state does not match the login started in this browser",
            ))
        }
        Some(_) => {}
    }

    if let Some(error) = get("error") {
        return Err(
            ProviderError::from_redirect(error, get("error_description")).to_error(Flow::Authorize),
        );
    }

    match get("code") {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code)),
        _ => Err(Error::fixed(
            ErrorCode::MissingCode,
            "the callback carries neither a code nor an error",
        )),
    }
}

/// The callback URL without the parameters the login consumed (code, state,
/// session_state, error, error_description, error_uri, iss, client_info), for
/// `history.replaceState`, so the single-use code does not stay in the address bar,
/// history or a bookmark. Other parameters and the fragment are kept.
pub fn strip_callback_params(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    let Some((base, query)) = before_fragment.split_once('?') else {
        return url.to_owned();
    };
    let mut kept = crate::form::Encoder::new();
    let mut any = false;
    for (name, value) in crate::form::pairs(query) {
        if !CALLBACK_PARAMS.contains(&name.as_ref()) {
            kept.append_pair(&name, &value);
            any = true;
        }
    }
    let mut out = base.to_owned();
    if any {
        out.push('?');
        out.push_str(&kept.finish());
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> CsrfState {
        CsrfState::new("s7ate")
    }

    fn code_of(query: &str) -> Result<AuthorizationCode> {
        parse_callback(query, &state())
    }

    #[test]
    fn accepts_code_with_matching_state() {
        let code =
            code_of("https://app.example.com/cb?code=0.AX-y&state=s7ate&session_state=abc#x")
                .unwrap();
        assert_eq!(code.secret(), "0.AX-y");
        assert_eq!(code_of("?code=c&state=s7ate").unwrap().secret(), "c");
        assert_eq!(code_of("code=c&state=s7ate").unwrap().secret(), "c");
    }

    #[test]
    fn ignores_iss_and_entra_extras() {
        let q = "code=c&state=s7ate&iss=http%3A%2F%2F127.0.0.1%3A4010&client_info=eyJ1aWQ&session_state=x";
        assert_eq!(code_of(q).unwrap().secret(), "c");
    }

    #[test]
    fn rejects_state_mismatch() {
        let err = code_of("code=c&state=other").unwrap_err();
        assert_eq!(err.code(), ErrorCode::StateMismatch);
        assert_eq!(
            code_of("code=c&state=").unwrap_err().code(),
            ErrorCode::StateMismatch
        );
    }

    #[test]
    fn rejects_missing_state() {
        assert_eq!(
            code_of("code=c").unwrap_err().code(),
            ErrorCode::StateMismatch
        );
        assert_eq!(
            code_of("https://app.example.com/cb").unwrap_err().code(),
            ErrorCode::StateMismatch
        );
    }

    #[test]
    fn rejects_error_with_wrong_state_as_state_mismatch() {
        let err = code_of("error=access_denied&state=forged").unwrap_err();
        assert_eq!(err.code(), ErrorCode::StateMismatch);
    }

    #[test]
    fn maps_access_denied() {
        let err = code_of(
            "error=access_denied&error_description=AADSTS65004%3A+User+declined&state=s7ate",
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::AccessDenied);
        assert!(err.message().contains("AADSTS65004"));
    }

    #[test]
    fn maps_aadsts_in_error_description() {
        let cases = [
            (
                "AADSTS50011: The redirect URI",
                ErrorCode::RedirectUriMismatch,
            ),
            ("AADSTS65001: not consented", ErrorCode::ConsentRequired),
            (
                "AADSTS700054: response_type 'id_token' is not enabled",
                ErrorCode::ResponseTypeNotEnabled,
            ),
            (
                "AADSTS90072: User account does not exist",
                ErrorCode::UserNotInTenant,
            ),
            ("AADSTS50076: MFA", ErrorCode::MfaRequired),
            (
                "AADSTS12345: something else",
                ErrorCode::AuthorizationFailed,
            ),
        ];
        for (description, code) in cases {
            let query = crate::form::Encoder::new()
                .append_pair("error", "invalid_request")
                .append_pair("error_description", description)
                .append_pair("state", "s7ate")
                .finish();
            assert_eq!(code_of(&query).unwrap_err().code(), code, "{description}");
        }
    }

    #[test]
    fn rejects_callback_without_code() {
        assert_eq!(
            code_of("state=s7ate").unwrap_err().code(),
            ErrorCode::MissingCode
        );
        assert_eq!(
            code_of("state=s7ate&code=").unwrap_err().code(),
            ErrorCode::MissingCode
        );
    }

    #[test]
    fn rejects_duplicate_parameters() {
        for q in [
            "code=a&code=b&state=s7ate",
            "code=a&state=s7ate&state=s7ate",
            "code=a&state=s7ate&iss=x&iss=y",
        ] {
            assert_eq!(
                code_of(q).unwrap_err().code(),
                ErrorCode::AuthorizationFailed,
                "{q}"
            );
        }
    }

    #[test]
    fn rejects_more_parameters_than_any_provider_sends() {
        let extras = |n: usize| (0..n).map(|i| format!("&x{i}=1")).collect::<String>();
        let at_cap = format!("code=a&state=s7ate{}", extras(MAX_CALLBACK_PARAMS - 2));
        assert!(code_of(&at_cap).is_ok());
        let over = format!("code=a&state=s7ate{}", extras(MAX_CALLBACK_PARAMS - 1));
        assert_eq!(
            code_of(&over).unwrap_err().code(),
            ErrorCode::AuthorizationFailed
        );
    }

    #[test]
    fn never_reads_the_fragment() {
        assert_eq!(
            code_of("https://app/cb?state=s7ate#code=c")
                .unwrap_err()
                .code(),
            ErrorCode::MissingCode
        );
    }

    #[test]
    fn strips_callback_params_for_replace_state() {
        assert_eq!(
            strip_callback_params(
                "https://app.example.com/cb?tab=2&code=c&state=s&session_state=x&iss=i#/home"
            ),
            "https://app.example.com/cb?tab=2#/home"
        );
        assert_eq!(
            strip_callback_params("https://app.example.com/cb?error=e&error_description=d&state=s"),
            "https://app.example.com/cb"
        );
        assert_eq!(
            strip_callback_params("https://app.example.com/cb"),
            "https://app.example.com/cb"
        );
    }
}
