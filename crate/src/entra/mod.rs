//! Microsoft Entra ID (identity platform v2) login for a single-page app: the OAuth 2.0
//! authorization code flow (RFC 6749 §4.1) with PKCE (RFC 7636) and OpenID Connect Core.
//!
//! Sans-IO. Each network step is a pair of pure functions: one builds an [`HttpRequest`]
//! (plain data the adapter sends), the other takes the answer's status and body and returns
//! the parsed result or an [`Error`](crate::Error). A provider's refusal is parsed and
//! mapped to a specific code ([`errors`]); an answer that does not parse is
//! `invalid_response`. Nothing here reads the clock or the random source directly: `now`
//! and entropy are passed in (the `new_random` helpers call [`crate::random::random_32`]).
//!
//! The flow, one module per step:
//! 1. [`authority`]: tenant, client id, redirect URI, scopes → [`Endpoints`] (Entra's URL
//!    shapes, or an OIDC discovery document);
//! 2. [`authorize`]: the authorize URL and the [`PendingLogin`] the browser keeps;
//! 3. [`callback`]: the redirect back → the authorization code (state checked);
//! 4. [`token`]: code exchange and refresh requests, and their answers;
//! 5. [`logout`]: the end-session URL.
//!
//! And for calling APIs with the tokens: [`renewal`] (when a token is renewed),
//! [`challenge`] (an API's `WWW-Authenticate` answer), [`claims`] (the `claims` request
//! parameter), [`return_to`] (where a user goes back to after sign-in).

use std::fmt;

pub mod authority;
pub mod authorize;
pub mod callback;
pub mod challenge;
pub mod claims;
pub mod errors;
pub mod logout;
pub mod renewal;
pub mod return_to;
pub mod token;
pub mod types;
pub(crate) mod uri;

pub use authority::{AuthorityConfig, AuthorityHost, Discovery, Endpoints, Scopes};
pub use authorize::{
    build_authorize_url, AuthorizeOptions, AuthorizeRequest, LoginSecrets, PendingLogin, Prompt,
    PENDING_LOGIN_MAX_AGE_SECS,
};
pub use callback::{parse_callback, strip_callback_params};
pub use errors::{Flow, ProviderError};
pub use logout::{build_logout_url, LogoutOptions};
pub use token::{
    build_code_exchange, build_refresh, build_refresh_for, parse_code_exchange_response,
    parse_refresh_response, TokenResponse,
};
pub use types::{
    AccessToken, AuthorizationCode, ClientId, CsrfState, IdToken, Nonce, RedirectUri, RefreshToken,
    TenantId,
};

/// The HTTP methods the core asks adapters to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// A request for an adapter to send, as plain data. The body of a token or OBO request
/// carries secrets (code, verifier, refresh token, access token), so `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    /// The first header with this name (case-insensitive, as HTTP header names are).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn post(url: &str, content_type: &str, body: String) -> Self {
        HttpRequest {
            method: HttpMethod::Post,
            url: url.to_owned(),
            headers: vec![
                ("Content-Type".to_owned(), content_type.to_owned()),
                ("Accept".to_owned(), "application/json".to_owned()),
            ],
            body: Some(body),
        }
    }

    pub(crate) fn get(url: &str) -> Self {
        HttpRequest {
            method: HttpMethod::Get,
            url: url.to_owned(),
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: None,
        }
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &self.body.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// Whether an HTTP status is a success (RFC 9110 §15.3).
pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// At most `max` characters of untrusted text, for messages, without splitting a character.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", trimmed.get(..cut).unwrap_or_default()),
        None => trimmed.to_owned(),
    }
}

/// The app registration the protocol tests share (the seed's tenant, a test client id).
#[cfg(test)]
pub(crate) fn test_config() -> AuthorityConfig {
    AuthorityConfig::new(
        "df4d171f-6cca-4c87-84cd-f299e4fca3a9",
        "11111111-2222-3333-4444-555555555555",
        "https://app.example.com/auth/callback",
    )
    .expect("the test registration is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_request_debug_hides_the_body() {
        let req = HttpRequest::post(
            "https://login.example/token",
            "application/x-www-form-urlencoded",
            "code=secret-code".to_owned(),
        );
        let shown = format!("{req:?}");
        assert!(!shown.contains("secret-code"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert_eq!(
            req.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    proptest::proptest! {
        /// No input, however odd, makes a parser panic.
        #[test]
        fn parsers_never_panic(text in "\\PC{0,200}", status in 0u16..1000) {
            never_panics(&text, status);
        }

        #[test]
        fn url_shaped_input_never_panics(
            text in "(https?|javascript|HTTP)?:?/{0,3}[a-z0-9\\[\\]:@.\\\\/?#%&=+_-]{0,40}",
            status in 0u16..1000,
        ) {
            never_panics(&text, status);
        }
    }

    fn never_panics(text: &str, status: u16) {
        let _ = parse_callback(text, &CsrfState::new("x"));
        let _ = strip_callback_params(text);
        let _ = parse_code_exchange_response(status, text);
        let _ = parse_refresh_response(status, text);
        let _ = Discovery::parse_response(status, text);
        let _ = crate::obo::parse_obo_response(status, text);
        let _ = errors::aadsts_in(text);
        let _ = TenantId::new(text);
        let _ = ClientId::new(text);
        let _ = RedirectUri::new(text);
        let _ = AuthorityHost::new(text);
        let _ = Scopes::parse(text);
        let _ = Prompt::parse(text);
        let _ = PendingLogin::from_json(text);
        let _ = excerpt(text, 7);
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("ééé", 2), "éé…");
        assert_eq!(excerpt(" short ", 10), "short");
    }
}
