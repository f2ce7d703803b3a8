//! The end-session request (OpenID Connect RP-Initiated Logout 1.0 §2; Entra v2
//! `/oauth2/v2.0/logout`).
//!
//! `post_logout_redirect_uri` is where the provider sends the browser afterwards. The app
//! often takes it from its own URL (`?returnTo=`), which an attacker controls, so only an
//! absolute https URL (http on loopback) is accepted: never a relative path, a
//! `//host` scheme-relative one, or a `javascript:` / `data:` URL (open-redirect and script
//! injection defence; the provider's registration check is a second line, not the only one).

use super::authority::AuthorityConfig;
use super::types::CsrfState;
use super::uri::{self, UrlRule};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;

/// Optional end-session parameters. Empty strings are treated as absent.
#[derive(Debug, Clone, Default)]
pub struct LogoutOptions {
    /// Where to land after sign-out; must be registered as a front-channel logout or
    /// redirect URI of the app.
    pub post_logout_redirect_uri: Option<String>,
    /// Entra `logout_hint` (the ID token's `login_hint` claim): skips the account picker.
    pub logout_hint: Option<String>,
    /// Echoed back on the post-logout redirect (RP-Initiated Logout §2).
    pub state: Option<CsrfState>,
}

/// The URL to send the browser to. `client_id` is always sent: RP-Initiated Logout §2
/// recommends it with `post_logout_redirect_uri` (no `id_token_hint` is sent, so that the
/// ID token does not travel in a URL), and it is known here.
pub fn build_logout_url(config: &AuthorityConfig, options: &LogoutOptions) -> Result<String> {
    let endpoint = config.endpoints().end_session_endpoint.ok_or_else(|| {
        Error::fixed(
            ErrorCode::InvalidConfig,
            "the provider publishes no end_session_endpoint, so there is no logout URL",
        )
    })?;
    let mut query = crate::form::Encoder::new();
    if let Some(target) = non_empty(&options.post_logout_redirect_uri) {
        uri::check(target, UrlRule::RedirectTarget).map_err(|why| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("post_logout_redirect_uri {} {why}", quoted(target)),
            )
        })?;
        query.append_pair("post_logout_redirect_uri", target);
    }
    query.append_pair("client_id", config.client_id().as_str());
    if let Some(hint) = non_empty(&options.logout_hint) {
        query.append_pair("logout_hint", hint);
    }
    if let Some(state) = &options.state {
        query.append_pair("state", state.secret());
    }
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{separator}{}", query.finish()))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use crate::entra::test_config as config;

    fn logout(target: &str) -> Result<String> {
        build_logout_url(
            &config(),
            &LogoutOptions {
                post_logout_redirect_uri: Some(target.to_owned()),
                ..LogoutOptions::default()
            },
        )
    }

    #[test]
    fn builds_entra_end_session_url() {
        let url = build_logout_url(
            &config(),
            &LogoutOptions {
                post_logout_redirect_uri: Some("https://app.example.com/signed-out?x=1".to_owned()),
                logout_hint: Some("hint".to_owned()),
                state: Some(CsrfState::new("st")),
            },
        )
        .unwrap();
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(
            base,
            "https://login.microsoftonline.com/df4d171f-6cca-4c87-84cd-f299e4fca3a9/oauth2/v2.0/logout"
        );
        let p: HashMap<_, _> = crate::form::pairs(query)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            p["post_logout_redirect_uri"],
            "https://app.example.com/signed-out?x=1"
        );
        assert_eq!(p["client_id"], "11111111-2222-3333-4444-555555555555");
        assert_eq!(p["logout_hint"], "hint");
        assert_eq!(p["state"], "st");
        assert_eq!(p.len(), 4);
    }

    #[test]
    fn accepts_loopback_http_post_logout_redirect() {
        assert!(logout("http://localhost:5173/").is_ok());
    }

    #[test]
    fn rejects_open_redirect_targets() {
        for bad in [
            "/signed-out",
            "//evil.example/",
            "javascript:alert(document.cookie)",
            "JavaScript://%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://evil.example/",
            "https://app.example.com@evil.example/",
            "https://app.example.com\\@evil.example/",
            "https://app.example.com/#x",
        ] {
            let err = logout(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig, "{bad}");
            assert!(err.message().contains("post_logout_redirect_uri"));
        }
    }

    #[test]
    fn refuses_logout_without_end_session_endpoint() {
        let mut e = config().endpoints();
        e.end_session_endpoint = None;
        let err =
            build_logout_url(&config().with_endpoints(e), &LogoutOptions::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
    }
}
