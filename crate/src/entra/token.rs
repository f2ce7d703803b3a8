//! Token requests for a public client (RFC 6749 §4.1.3 code exchange, §6 refresh) and
//! their answers (§5.1 success, §5.2 error), as Entra's SPA platform expects them: no
//! client secret (the browser cannot keep one), PKCE instead, and the browser's `Origin`
//! header (which the browser adds itself) marking a cross-origin SPA redemption.

use super::authority::{AuthorityConfig, Scopes};
use super::authorize::PendingLogin;
use super::errors::{Flow, ProviderError};
use super::types::{AccessToken, AuthorizationCode, IdToken, RefreshToken};
use super::{excerpt, is_success, HttpRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Map, Value};

const FORM: &str = "application/x-www-form-urlencoded";

/// RFC 6749 §4.1.3 with the PKCE `code_verifier` (RFC 7636 §4.5). `redirect_uri` is the
/// one the authorize request carried, taken from the pending login, since it must be
/// identical.
pub fn build_code_exchange(
    config: &AuthorityConfig,
    code: &AuthorizationCode,
    pending: &PendingLogin,
) -> HttpRequest {
    let body = crate::form::Encoder::new()
        .append_pair("client_id", config.client_id().as_str())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code.secret())
        .append_pair("redirect_uri", pending.redirect_uri.as_str())
        .append_pair("code_verifier", pending.verifier.secret())
        .append_pair("scope", &config.scopes().to_param())
        .finish();
    HttpRequest::post(&config.endpoints().token_endpoint, FORM, body)
}

/// RFC 6749 §6. Entra rotates the refresh token: keep the new one from the answer.
pub fn build_refresh(config: &AuthorityConfig, refresh_token: &RefreshToken) -> HttpRequest {
    build_refresh_for(config, refresh_token, config.scopes(), None)
}

/// RFC 6749 §6 for `scopes`, which may name another resource than the sign-in's (Entra
/// redeems one refresh token for any resource the app has consent for), with the OIDC
/// Core §5.5 `claims` parameter when given ([`super::claims::claims_parameter`]).
pub fn build_refresh_for(
    config: &AuthorityConfig,
    refresh_token: &RefreshToken,
    scopes: &Scopes,
    claims: Option<&str>,
) -> HttpRequest {
    let mut body = crate::form::Encoder::new();
    body.append_pair("client_id", config.client_id().as_str())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token.secret())
        .append_pair("scope", &scopes.to_param());
    if let Some(claims) = claims {
        body.append_pair("claims", claims);
    }
    HttpRequest::post(&config.endpoints().token_endpoint, FORM, body.finish())
}

/// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3). The ID token is not
/// verified here: that is [`crate::jwt`]'s job, with the pending login's nonce.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    /// Always present after a code exchange with `openid`; optional on refresh.
    pub id_token: Option<IdToken>,
    pub refresh_token: Option<RefreshToken>,
    /// Seconds from the response.
    pub expires_in: u64,
    /// Entra's SPA refresh tokens report their remaining lifetime (at most 24 hours).
    pub refresh_token_expires_in: Option<u64>,
    /// `Bearer` (checked case-insensitively, RFC 6749 §5.1 / §7.1).
    pub token_type: String,
    /// The granted scopes, when the provider says (RFC 6749 §5.1).
    pub scope: Option<String>,
}

impl TokenResponse {
    /// When the access token expires, in Unix seconds, given when the answer arrived.
    pub fn expires_at(&self, now: u64) -> u64 {
        now.saturating_add(self.expires_in)
    }
}

/// RFC 6749 §5.1's members as sent, before the checks.
struct RawTokenResponse {
    access_token: String,
    token_type: String,
    expires_in: u64,
    refresh_token_expires_in: Option<u64>,
    scope: Option<String>,
    refresh_token: Option<String>,
    id_token: Option<String>,
}

impl RawTokenResponse {
    /// Unknown members are ignored (Entra adds `ext_expires_in` and others); a known one
    /// of the wrong type is an error naming it.
    fn read(body: &str) -> std::result::Result<Self, String> {
        let doc = json::parse_object(body.as_bytes())?;
        let text = |name: &str| Ok::<_, String>(doc.optional_str(name)?.map(str::to_owned));
        Ok(RawTokenResponse {
            access_token: doc.required_str("access_token")?.to_owned(),
            token_type: doc.required_str("token_type")?.to_owned(),
            expires_in: seconds(&doc, "expires_in")?
                .ok_or_else(|| "\"expires_in\" is missing".to_owned())?,
            refresh_token_expires_in: seconds(&doc, "refresh_token_expires_in")?,
            scope: text("scope")?,
            refresh_token: text("refresh_token")?,
            id_token: text("id_token")?,
        })
    }
}

/// A lifetime in whole seconds: a non-negative integer, or its decimal text (Entra v1 and
/// some proxies send `"3600"`). Absent or `null` is `None`.
fn seconds(doc: &Map, name: &str) -> std::result::Result<Option<u64>, String> {
    let whole = |n: Option<u64>| {
        n.map(Some)
            .ok_or_else(|| format!("\"{name}\" is not a whole number of seconds"))
    };
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => whole(n.as_u64()),
        Some(Value::String(s)) => whole(crate::text::parse_u64(s)),
        Some(other) => Err(format!(
            "\"{name}\" is {}, not a number of seconds",
            other.kind()
        )),
    }
}

/// The answer to [`build_code_exchange`]: an ID token is required (scope has `openid`).
pub fn parse_code_exchange_response(status: u16, body: &str) -> Result<TokenResponse> {
    let tokens = parse_token_response(status, body, Flow::CodeExchange)?;
    if tokens.id_token.is_none() {
        return Err(invalid("the token response has no id_token"));
    }
    Ok(tokens)
}

/// The answer to [`build_refresh`]. `invalid_grant` here means the refresh token is dead:
/// `login_required`.
pub fn parse_refresh_response(status: u16, body: &str) -> Result<TokenResponse> {
    parse_token_response(status, body, Flow::Refresh)
}

fn parse_token_response(status: u16, body: &str, flow: Flow) -> Result<TokenResponse> {
    if !is_success(status) {
        return Err(match ProviderError::from_json(body) {
            Some(refusal) => refusal.to_error(flow),
            None => Error::new(
                ErrorCode::TokenRequestFailed,
                format!(
                    "the token endpoint answered HTTP {status} without an OAuth error body: {}",
                    excerpt(body, 200)
                ),
            ),
        });
    }
    let raw = RawTokenResponse::read(body)
        .map_err(|e| invalid(&format!("the token response did not parse: {e}")))?;
    if !raw.token_type.eq_ignore_ascii_case("bearer") {
        return Err(invalid(&format!(
            "the token type is {}, not Bearer",
            crate::quote::quoted(&excerpt(&raw.token_type, 40))
        )));
    }
    if raw.access_token.is_empty() {
        return Err(invalid("the access_token is empty"));
    }
    Ok(TokenResponse {
        access_token: AccessToken::new(raw.access_token),
        id_token: raw.id_token.filter(|t| !t.is_empty()).map(IdToken::new),
        refresh_token: raw
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(RefreshToken::new),
        expires_in: raw.expires_in,
        refresh_token_expires_in: raw.refresh_token_expires_in,
        token_type: raw.token_type,
        scope: raw.scope,
    })
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorCode::InvalidResponse, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entra::authorize::{build_authorize_url, AuthorizeOptions, LoginSecrets};
    use std::collections::HashMap;

    use crate::entra::test_config as config;

    fn form(req: &HttpRequest) -> HashMap<String, String> {
        let body = req.body.as_deref().unwrap_or_default();
        let pairs: Vec<_> = crate::form::pairs(body)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let map: HashMap<_, _> = pairs.iter().cloned().collect();
        assert_eq!(map.len(), pairs.len(), "no parameter twice");
        map
    }

    #[test]
    fn code_exchange_body_has_pkce_and_no_secret() {
        let pending = build_authorize_url(
            &config(),
            LoginSecrets::from_entropy([1; 32], [2; 32], [3; 32]),
            &AuthorizeOptions::default(),
            0,
        )
        .pending;
        let req = build_code_exchange(&config(), &AuthorizationCode::new("c+d"), &pending);
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(
            req.url,
            "https://login.microsoftonline.com/df4d171f-6cca-4c87-84cd-f299e4fca3a9/oauth2/v2.0/token"
        );
        assert_eq!(req.header("Content-Type"), Some(FORM));
        let f = form(&req);
        assert_eq!(f["client_id"], "11111111-2222-3333-4444-555555555555");
        assert_eq!(f["grant_type"], "authorization_code");
        assert_eq!(f["code"], "c+d");
        assert_eq!(f["redirect_uri"], "https://app.example.com/auth/callback");
        assert_eq!(f["code_verifier"], pending.verifier.secret());
        assert_eq!(f["scope"], "openid profile email offline_access");
        assert_eq!(f.len(), 6);
        assert!(!f.contains_key("client_secret"));
    }

    #[test]
    fn refresh_body_has_the_refresh_token() {
        let req = build_refresh(&config(), &RefreshToken::new("rt"));
        let f = form(&req);
        assert_eq!(f["grant_type"], "refresh_token");
        assert_eq!(f["refresh_token"], "rt");
        assert_eq!(f["client_id"], "11111111-2222-3333-4444-555555555555");
        assert_eq!(f["scope"], "openid profile email offline_access");
        assert_eq!(f.len(), 4);
    }

    const OK: &str = r#"{"token_type":"Bearer","scope":"openid profile email","expires_in":3599,
        "ext_expires_in":3599,"access_token":"at","refresh_token":"rt","id_token":"it",
        "refresh_token_expires_in":86399}"#;

    #[test]
    fn parses_token_response() {
        let t = parse_code_exchange_response(200, OK).unwrap();
        assert_eq!(t.access_token.secret(), "at");
        assert_eq!(t.id_token.as_ref().unwrap().secret(), "it");
        assert_eq!(t.refresh_token.as_ref().unwrap().secret(), "rt");
        assert_eq!(t.expires_in, 3599);
        assert_eq!(t.expires_at(1_000), 4_599);
        assert_eq!(t.refresh_token_expires_in, Some(86399));
        assert_eq!(t.scope.as_deref(), Some("openid profile email"));
        assert!(!format!("{t:?}").contains("\"at\""));
    }

    #[test]
    fn refresh_response_may_omit_id_token() {
        let body = r#"{"token_type":"bearer","expires_in":"3600","access_token":"at"}"#;
        let t = parse_refresh_response(200, body).unwrap();
        assert!(t.id_token.is_none() && t.refresh_token.is_none());
        assert_eq!(t.expires_in, 3600);
        assert_eq!(
            parse_code_exchange_response(200, body).unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
    }

    #[test]
    fn expires_in_must_be_a_whole_non_negative_number_or_text() {
        for bad in ["-1", "3600.5", "true", "null", "[3600]"] {
            let body =
                format!(r#"{{"token_type":"bearer","expires_in":{bad},"access_token":"at"}}"#);
            assert_eq!(
                parse_refresh_response(200, &body).unwrap_err().code(),
                ErrorCode::InvalidResponse,
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_non_bearer_token_type() {
        let body = OK.replace("\"Bearer\"", "\"pop\"");
        assert_eq!(
            parse_code_exchange_response(200, &body).unwrap_err().code(),
            ErrorCode::InvalidResponse
        );
    }

    #[test]
    fn rejects_unparseable_success_as_invalid_response() {
        for body in [
            "",
            "<html>",
            "{}",
            r#"{"token_type":"Bearer","expires_in":-1,"access_token":"a"}"#,
            r#"{"token_type":"Bearer","expires_in":1,"access_token":7}"#,
            r#"{"token_type":"Bearer","expires_in":1,"access_token":"a","id_token":false}"#,
            r#"{"token_type":"Bearer","expires_in":1,"access_token":"a","access_token":"b"}"#,
            r#"{"token_type":"Bearer","expires_in":1,"access_token":"a","refresh_token_expires_in":-5}"#,
            "[]",
        ] {
            assert_eq!(
                parse_refresh_response(200, body).unwrap_err().code(),
                ErrorCode::InvalidResponse,
                "{body}"
            );
        }
    }

    #[test]
    fn non_json_error_body_is_token_request_failed_with_status() {
        let err = parse_code_exchange_response(502, "<html>Bad gateway</html>").unwrap_err();
        assert_eq!(err.code(), ErrorCode::TokenRequestFailed);
        assert!(err.message().contains("502"));
    }

    #[test]
    fn maps_entra_token_errors_by_flow() {
        let spa = r#"{"error":"invalid_request","error_description":"AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.","error_codes":[9002326],"correlation_id":"cid-1"}"#;
        let err = parse_code_exchange_response(400, spa).unwrap_err();
        assert_eq!(err.code(), ErrorCode::SpaRedirectRequired);
        assert!(err.message().contains("cid-1") && err.message().contains("AADSTS9002326"));

        let expired = r#"{"error":"invalid_grant","error_description":"AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00","error_codes":[700084]}"#;
        assert_eq!(
            parse_refresh_response(400, expired).unwrap_err().code(),
            ErrorCode::LoginRequired
        );

        let plain = r#"{"error":"invalid_grant","error_description":"bad"}"#;
        assert_eq!(
            parse_refresh_response(400, plain).unwrap_err().code(),
            ErrorCode::LoginRequired
        );
        assert_eq!(
            parse_code_exchange_response(400, plain).unwrap_err().code(),
            ErrorCode::TokenRequestFailed
        );
    }
}
