//! A provider's "no", parsed and mapped to a stable code with a hint a person can act on.
//!
//! OAuth 2.0 error responses (RFC 6749 §4.1.2.1 for the authorize redirect, §5.2 for the
//! token endpoint) carry `error` and `error_description`. Entra adds `error_codes`,
//! `correlation_id` and `trace_id` to token errors, and starts the description with the
//! `AADSTSnnnnn` code in both. The AADSTS number is more specific than the OAuth `error`,
//! so it is looked up first; the message keeps it and the correlation id, which is what
//! Microsoft support and the sign-in logs are searched by.

use super::excerpt;
use crate::error::{Error, ErrorCode};
use crate::json::{self, Value};

/// Which step the provider refused; the same OAuth error means different things in each
/// (`invalid_grant` on a refresh means "sign in again"; on a code exchange it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The authorize redirect (the callback's `error`).
    Authorize,
    /// Redeeming the authorization code (RFC 6749 §4.1.3).
    CodeExchange,
    /// Using a refresh token (RFC 6749 §6).
    Refresh,
}

/// How much of the provider's description a message keeps.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// An OAuth error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub error: String,
    pub description: Option<String>,
    /// The `AADSTS` number, from `error_codes` or the description.
    pub aadsts: Option<u64>,
    pub correlation_id: Option<String>,
    pub trace_id: Option<String>,
}

impl ProviderError {
    /// From the callback's `error` and `error_description` (no `error_codes` there).
    pub fn from_redirect(error: &str, description: Option<&str>) -> Self {
        ProviderError {
            error: error.to_owned(),
            description: description.map(str::to_owned),
            aadsts: description.and_then(aadsts_in),
            correlation_id: None,
            trace_id: None,
        }
    }

    /// From a token endpoint's JSON error body (RFC 6749 §5.2). `None` when the body is
    /// not a JSON object with a string `error`: then it is not an OAuth error at all.
    pub fn from_json(body: &str) -> Option<Self> {
        let Ok(Value::Object(doc)) = json::parse(body.as_bytes()) else {
            return None;
        };
        let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        let error = text("error")?;
        let description = text("error_description");
        let from_codes = doc
            .get("error_codes")
            .and_then(Value::as_array)
            .and_then(|codes| codes.iter().find_map(Value::as_u64));
        Some(ProviderError {
            aadsts: from_codes.or_else(|| description.as_deref().and_then(aadsts_in)),
            error,
            description,
            correlation_id: text("correlation_id"),
            trace_id: text("trace_id"),
        })
    }

    /// The crate error for this refusal in this flow.
    pub fn to_error(&self, flow: Flow) -> Error {
        let (code, hint) = self
            .aadsts
            .and_then(map_aadsts)
            .or_else(|| map_oauth_error(&self.error, flow))
            .unwrap_or_else(|| default_for(flow));
        Error::new(code, self.message(hint))
    }

    /// `hint (error, AADSTSn, correlation id c, trace id t): first line of the description`.
    fn message(&self, hint: &str) -> String {
        let mut message = format!("{hint} ({}", self.error);
        if let Some(n) = self.aadsts {
            message.push_str(&format!(", AADSTS{n}"));
        }
        if let Some(c) = &self.correlation_id {
            message.push_str(&format!(", correlation id {c}"));
        }
        if let Some(t) = &self.trace_id {
            message.push_str(&format!(", trace id {t}"));
        }
        message.push(')');
        // Entra appends "Trace ID: … Correlation ID: … Timestamp: …" on further lines;
        // those are already in `refs` when the body carried them.
        if let Some(first) = self
            .description
            .as_deref()
            // `split('\n')`, not `lines()`: the same first line once trimmed (a `\r` before the
            // `\n` is whitespace), without the `Lines` iterator.
            .and_then(|d| d.split('\n').map(str::trim).find(|l| !l.is_empty()))
        {
            message.push_str(": ");
            message.push_str(&excerpt(first, MAX_DESCRIPTION_CHARS));
        }
        message
    }
}

/// The first `AADSTS` followed by digits in `text`.
pub fn aadsts_in(text: &str) -> Option<u64> {
    let mut rest = text;
    while let Some((_, after)) = crate::text::split_once(rest, "AADSTS") {
        rest = after;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // Real codes have 5–7 digits; the cap keeps the parse from overflowing.
        if (1..=12).contains(&digits) {
            return crate::text::parse_u64(rest.get(..digits)?);
        }
    }
    None
}

/// Entra's AADSTS codes that have a code of their own. The hints say what to do.
fn map_aadsts(code: u64) -> Option<(ErrorCode, &'static str)> {
    Some(match code {
        65001 => (
            ErrorCode::ConsentRequired,
            "an administrator must grant consent to the permissions this app requests (or the user must consent)",
        ),
        50011 => (
            ErrorCode::RedirectUriMismatch,
            "the redirect URI sent does not match one registered for the app: add it, exactly, to the app registration",
        ),
        700054 => (
            ErrorCode::ResponseTypeNotEnabled,
            "the app registration does not enable the requested response type",
        ),
        9002326 => (
            ErrorCode::SpaRedirectRequired,
            "register the redirect URI under the Single-page application platform (not Web), so the browser may redeem the code",
        ),
        50076 | 50079 => (
            ErrorCode::MfaRequired,
            "multi-factor authentication is required: sign in interactively",
        ),
        90072 | 50020 => (
            ErrorCode::UserNotInTenant,
            "the account is not a member of this tenant: sign in with an account of this directory, or have it invited",
        ),
        700084 => (
            ErrorCode::LoginRequired,
            "the single-page app refresh token reached its 24-hour limit: sign in again",
        ),
        700082 => (
            ErrorCode::LoginRequired,
            "the refresh token expired after inactivity: sign in again",
        ),
        _ => return None,
    })
}

/// The OAuth 2.0 / OIDC Core §3.1.2.6 error codes that have a code of their own.
fn map_oauth_error(error: &str, flow: Flow) -> Option<(ErrorCode, &'static str)> {
    Some(match (error, flow) {
        ("access_denied", _) => (
            ErrorCode::AccessDenied,
            "the sign-in was cancelled or access was denied",
        ),
        ("consent_required", _) => (
            ErrorCode::ConsentRequired,
            "consent is required for the permissions this app requests",
        ),
        ("interaction_required", _) => (
            ErrorCode::LoginRequired,
            "the provider needs the user to interact: sign in again",
        ),
        ("login_required", _) => (
            ErrorCode::LoginRequired,
            "there is no signed-in session at the provider: sign in again",
        ),
        ("invalid_grant", Flow::Refresh) => (
            ErrorCode::LoginRequired,
            "the refresh token is expired or revoked: sign in again",
        ),
        _ => return None,
    })
}

fn default_for(flow: Flow) -> (ErrorCode, &'static str) {
    match flow {
        Flow::Authorize => (
            ErrorCode::AuthorizationFailed,
            "the provider refused the authorization request",
        ),
        Flow::CodeExchange | Flow::Refresh => (
            ErrorCode::TokenRequestFailed,
            "the token endpoint refused the request",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_error(aadsts: u64, error: &str, flow: Flow) -> Error {
        let body = serde_json::json!({
            "error": error,
            "error_description": format!("AADSTS{aadsts}: something.\r\nTrace ID: t\r\nCorrelation ID: c"),
            "error_codes": [aadsts],
            "correlation_id": "c0rr",
            "trace_id": "7race",
        })
        .to_string();
        ProviderError::from_json(&body).unwrap().to_error(flow)
    }

    #[test]
    fn maps_every_aadsts_code() {
        let table = [
            (65001, ErrorCode::ConsentRequired),
            (50011, ErrorCode::RedirectUriMismatch),
            (700054, ErrorCode::ResponseTypeNotEnabled),
            (9002326, ErrorCode::SpaRedirectRequired),
            (50076, ErrorCode::MfaRequired),
            (50079, ErrorCode::MfaRequired),
            (90072, ErrorCode::UserNotInTenant),
            (50020, ErrorCode::UserNotInTenant),
            (700084, ErrorCode::LoginRequired),
            (700082, ErrorCode::LoginRequired),
            (54005, ErrorCode::TokenRequestFailed),
        ];
        for (aadsts, code) in table {
            for flow in [Flow::CodeExchange, Flow::Refresh] {
                assert_eq!(
                    token_error(aadsts, "invalid_request", flow).code(),
                    code,
                    "AADSTS{aadsts}"
                );
            }
        }
    }

    #[test]
    fn message_keeps_aadsts_and_correlation_id() {
        let e = token_error(65001, "invalid_grant", Flow::CodeExchange);
        assert!(e.message().contains("AADSTS65001"), "{}", e.message());
        assert!(e.message().contains("c0rr"));
        assert!(e.message().contains("administrator"));
        assert!(!e.message().contains("Trace ID:"), "{}", e.message());
    }

    #[test]
    fn message_takes_the_first_non_blank_line_of_the_description() {
        for (description, first) in [
            ("one\r\nTrace ID: t", Some("one")),
            ("\r\n  \n two \r\nthree", Some("two")),
            ("only\r", Some("only")),
            ("a\rb\nc", Some("a\rb")),
            (" \r\n\n", None),
            ("", None),
        ] {
            let refusal = ProviderError::from_redirect("access_denied", Some(description));
            let message = refusal.message("hint");
            let expected = match first {
                Some(line) => format!("hint (access_denied): {line}"),
                None => "hint (access_denied)".to_owned(),
            };
            assert_eq!(message, expected, "{description:?}");
            // The rule `str::lines` gives, which this keeps.
            let by_lines = description.lines().map(str::trim).find(|l| !l.is_empty());
            assert_eq!(by_lines, first, "{description:?}");
        }
    }

    #[test]
    fn invalid_grant_means_login_required_only_on_refresh() {
        let body = r#"{"error":"invalid_grant","error_description":"expired"}"#;
        let e = ProviderError::from_json(body).unwrap();
        assert_eq!(e.to_error(Flow::Refresh).code(), ErrorCode::LoginRequired);
        assert_eq!(
            e.to_error(Flow::CodeExchange).code(),
            ErrorCode::TokenRequestFailed
        );
    }

    #[test]
    fn maps_oidc_interaction_errors() {
        for (error, code) in [
            ("interaction_required", ErrorCode::LoginRequired),
            ("login_required", ErrorCode::LoginRequired),
            ("consent_required", ErrorCode::ConsentRequired),
            ("access_denied", ErrorCode::AccessDenied),
            ("server_error", ErrorCode::AuthorizationFailed),
        ] {
            assert_eq!(
                ProviderError::from_redirect(error, None)
                    .to_error(Flow::Authorize)
                    .code(),
                code,
                "{error}"
            );
        }
    }

    #[test]
    fn finds_aadsts_in_description() {
        assert_eq!(aadsts_in("AADSTS50011: The redirect URI"), Some(50011));
        assert_eq!(aadsts_in("see AADSTS then AADSTS9002326: x"), Some(9002326));
        assert_eq!(aadsts_in("no code"), None);
        assert_eq!(aadsts_in("AADSTS99999999999999999999"), None);
    }

    #[test]
    fn error_codes_take_precedence_over_description() {
        let body = r#"{"error":"invalid_request","error_description":"AADSTS50011: x","error_codes":[65001]}"#;
        assert_eq!(ProviderError::from_json(body).unwrap().aadsts, Some(65001));
        let odd = r#"{"error":"invalid_request","error_description":"AADSTS50011: x","error_codes":"65001"}"#;
        assert_eq!(ProviderError::from_json(odd).unwrap().aadsts, Some(50011));
    }

    #[test]
    fn not_an_oauth_error_without_string_error() {
        assert!(ProviderError::from_json("<html>").is_none());
        assert!(ProviderError::from_json(r#"{"message":"x"}"#).is_none());
        assert!(ProviderError::from_json(r#"{"error":{"code":1}}"#).is_none());
    }
}
