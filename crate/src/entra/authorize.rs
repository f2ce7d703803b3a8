//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, Microsoft identity
//! platform v2 `/authorize`) and the record the browser keeps until the callback.

use super::authority::AuthorityConfig;
use super::callback::parse_callback;
use super::types::{AuthorizationCode, CsrfState, Nonce, RedirectUri};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::pkce::{Pkce, PkceVerifier, CHALLENGE_METHOD};
use crate::quote::quoted;

/// How long a started login may take before its callback is refused (seconds). Entra's
/// authorization codes live about a minute after issue; ten minutes leaves room for
/// typing a password and MFA without keeping stale verifiers around.
pub const PENDING_LOGIN_MAX_AGE_SECS: u64 = 600;

/// How far in the future a pending login's `created_at` may be before it is treated as
/// bogus (clock adjustments between tabs).
const CREATED_AT_SKEW_SECS: u64 = 60;

/// OIDC Core §3.1.2.1 `prompt`, limited to the values Entra v2 supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Force credentials even with a session.
    Login,
    /// No UI at all; fails with `login_required` / `interaction_required` if needed.
    None,
    /// Show the consent dialog.
    Consent,
    /// Show the account picker.
    SelectAccount,
}

impl Prompt {
    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "login" => Ok(Prompt::Login),
            "none" => Ok(Prompt::None),
            "consent" => Ok(Prompt::Consent),
            "select_account" => Ok(Prompt::SelectAccount),
            _ => Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "prompt {} must be one of login, none, consent, select_account",
                    quoted(value)
                ),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::Login => "login",
            Prompt::None => "none",
            Prompt::Consent => "consent",
            Prompt::SelectAccount => "select_account",
        }
    }
}

/// Optional authorize parameters. Empty hints are treated as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizeOptions {
    pub prompt: Option<Prompt>,
    /// OIDC Core §3.1.2.1 `login_hint`: pre-fills the user name.
    pub login_hint: Option<String>,
    /// Entra `domain_hint`: skips home-realm discovery (e.g. `contoso.com`).
    pub domain_hint: Option<String>,
    /// OIDC Core §5.5 `claims` (JSON text, [`super::claims::claims_parameter`]): what an
    /// API's claims challenge asked for, and the client capabilities.
    pub claims: Option<String>,
    /// Where the app takes the user after sign-in: a path of its own origin
    /// ([`super::return_to::check_return_to`]), kept with the pending login.
    pub return_to: Option<String>,
    /// Small app state (JSON text) kept with the pending login and handed back after it.
    pub app_state: Option<String>,
}

/// The three random values one login needs, each from 32 bytes.
#[derive(Debug)]
pub struct LoginSecrets {
    pub state: CsrfState,
    pub nonce: Nonce,
    pub pkce: Pkce,
}

impl LoginSecrets {
    /// From caller-supplied entropy (tests pass fixed bytes). The three must differ.
    pub fn from_entropy(state: [u8; 32], nonce: [u8; 32], verifier: [u8; 32]) -> Self {
        LoginSecrets {
            state: CsrfState::from_entropy(state),
            nonce: Nonce::from_entropy(nonce),
            pkce: Pkce::from_entropy(verifier),
        }
    }

    pub fn new_random() -> Result<Self> {
        Ok(LoginSecrets {
            state: CsrfState::new_random()?,
            nonce: Nonce::new_random()?,
            pkce: Pkce::new_random()?,
        })
    }
}

/// What the browser keeps (in `sessionStorage`, as JSON) between the redirect to the
/// provider and the callback. It holds the PKCE verifier, so it must never leave the
/// browser or be logged; `Debug` redacts the secrets.
#[derive(Debug)]
pub struct PendingLogin {
    pub state: CsrfState,
    pub nonce: Nonce,
    pub verifier: PkceVerifier,
    /// Unix seconds when the authorize URL was built.
    pub created_at: u64,
    /// RFC 6749 §4.1.3: the token request must repeat the exact `redirect_uri`.
    pub redirect_uri: RedirectUri,
    /// The checked `returnTo` path, if the login was given one.
    pub return_to: Option<String>,
    /// The app's state (JSON text), if the login was given one.
    pub app_state: Option<String>,
}

impl PendingLogin {
    /// Older than [`PENDING_LOGIN_MAX_AGE_SECS`], or dated implausibly far in the future.
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) > PENDING_LOGIN_MAX_AGE_SECS
            || self.created_at > now.saturating_add(CREATED_AT_SKEW_SECS)
    }

    /// The record as JSON text, one member per field.
    pub fn to_json(&self) -> String {
        let mut record = json::ObjectWriter::new();
        record
            .optional("app_state", self.app_state.as_deref())
            .number("created_at", self.created_at)
            .string("nonce", self.nonce.secret())
            .string("redirect_uri", self.redirect_uri.as_str())
            .optional("return_to", self.return_to.as_deref())
            .string("state", self.state.secret())
            .string("verifier", self.verifier.secret())
            .finish()
    }

    /// A stored record that is missing or corrupt is as good as none: `unknown_state`.
    /// Each value is checked again as it is read back (the verifier's RFC 7636 alphabet,
    /// the redirect URI's rules): storage is not trusted to hand back what was put in.
    pub fn from_json(text: &str) -> Result<Self> {
        Self::read(text).map_err(|why| {
            Error::new(
                ErrorCode::UnknownState,
                format!("the stored login could not be read: {why}"),
            )
        })
    }

    fn read(text: &str) -> std::result::Result<Self, String> {
        let doc = json::parse_object(text.as_bytes())?;
        let verifier = PkceVerifier::new(doc.required_str("verifier")?.to_owned())
            .map_err(|e| e.message().to_owned())?;
        let redirect_uri = RedirectUri::new(doc.required_str("redirect_uri")?)
            .map_err(|e| e.message().to_owned())?;
        let created_at = doc
            .get("created_at")
            .and_then(Value::as_u64)
            .ok_or("\"created_at\" is not a whole number of seconds")?;
        Ok(PendingLogin {
            state: CsrfState::new(doc.required_str("state")?),
            nonce: Nonce::new(doc.required_str("nonce")?),
            verifier,
            created_at,
            redirect_uri,
            return_to: doc.optional_str("return_to")?.map(str::to_owned),
            app_state: doc.optional_str("app_state")?.map(str::to_owned),
        })
    }

    /// The callback for this login: refused with `unknown_state` once expired, otherwise
    /// [`parse_callback`] against this login's state.
    pub fn complete(&self, callback: &str, now: u64) -> Result<AuthorizationCode> {
        if self.is_expired(now) {
            return Err(Error::fixed(
                ErrorCode::UnknownState,
                "the login took longer than 10 minutes or its record is stale: start it again",
            ));
        }
        parse_callback(callback, &self.state)
    }
}

/// The URL to send the browser to, and what to keep for the callback.
#[derive(Debug)]
pub struct AuthorizeRequest {
    pub url: String,
    pub pending: PendingLogin,
}

/// RFC 6749 §4.1.1 with PKCE (RFC 7636 §4.3) and OIDC `nonce`, `response_mode=query` so
/// the code arrives in the query string the callback parser reads.
pub fn build_authorize_url(
    config: &AuthorityConfig,
    secrets: LoginSecrets,
    options: &AuthorizeOptions,
    now: u64,
) -> AuthorizeRequest {
    let endpoint = config.endpoints().authorization_endpoint;
    let scope = config.scopes().to_param();
    let mut query = crate::form::Encoder::new();
    query
        .append_pair("client_id", config.client_id().as_str())
        .append_pair("response_type", "code")
        .append_pair("response_mode", "query")
        .append_pair("redirect_uri", config.redirect_uri().as_str())
        .append_pair("scope", &scope)
        .append_pair("state", secrets.state.secret())
        .append_pair("nonce", secrets.nonce.secret())
        .append_pair("code_challenge", secrets.pkce.challenge().as_str())
        .append_pair("code_challenge_method", CHALLENGE_METHOD);
    if let Some(prompt) = options.prompt {
        query.append_pair("prompt", prompt.as_str());
    }
    for (name, value) in [
        ("login_hint", &options.login_hint),
        ("domain_hint", &options.domain_hint),
        ("claims", &options.claims),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(name, value);
        }
    }
    // A discovered endpoint may already carry a query (some providers route by it).
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    let url = format!("{endpoint}{separator}{}", query.finish());
    AuthorizeRequest {
        url,
        pending: PendingLogin {
            state: secrets.state,
            nonce: secrets.nonce,
            verifier: secrets.pkce.into_verifier(),
            created_at: now,
            redirect_uri: config.redirect_uri().clone(),
            return_to: options.return_to.clone(),
            app_state: options.app_state.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkce::PkceChallenge;
    use std::collections::HashMap;

    const NOW: u64 = 1_700_000_000;

    fn config() -> AuthorityConfig {
        AuthorityConfig::new(
            "df4d171f-6cca-4c87-84cd-f299e4fca3a9",
            "11111111-2222-3333-4444-555555555555",
            "https://app.example.com/auth/callback?x=1",
        )
        .unwrap()
    }

    fn build(options: &AuthorizeOptions) -> AuthorizeRequest {
        build_authorize_url(
            &config(),
            LoginSecrets::from_entropy([1; 32], [2; 32], [3; 32]),
            options,
            NOW,
        )
    }

    fn params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        crate::form::pairs(query)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn authorize_url_has_every_required_parameter_once() {
        let req = build(&AuthorizeOptions::default());
        assert!(req.url.starts_with(
            "https://login.microsoftonline.com/df4d171f-6cca-4c87-84cd-f299e4fca3a9/oauth2/v2.0/authorize?"
        ));
        let pairs = params(&req.url);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (k, _) in &pairs {
            *counts.entry(k.as_str()).or_default() += 1;
        }
        assert!(counts.values().all(|&n| n == 1), "{pairs:?}");
        let p: HashMap<_, _> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let challenge = PkceChallenge::s256(&req.pending.verifier);
        let expected = [
            ("client_id", "11111111-2222-3333-4444-555555555555"),
            ("response_type", "code"),
            ("response_mode", "query"),
            ("redirect_uri", "https://app.example.com/auth/callback?x=1"),
            ("scope", "openid profile email offline_access"),
            ("state", req.pending.state.secret()),
            ("nonce", req.pending.nonce.secret()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in expected {
            assert_eq!(p.get(k).copied(), Some(v), "{k}");
        }
        assert_eq!(p.len(), expected.len(), "no optional parameters by default");
        assert!(!req.url.contains(req.pending.verifier.secret()));
    }

    #[test]
    fn authorize_url_carries_prompt_and_hints() {
        let req = build(&AuthorizeOptions {
            prompt: Some(Prompt::SelectAccount),
            login_hint: Some("a+b@contoso.com".to_owned()),
            domain_hint: Some(String::new()),
            ..AuthorizeOptions::default()
        });
        let p: HashMap<_, _> = params(&req.url).into_iter().collect();
        assert_eq!(p["prompt"], "select_account");
        assert_eq!(p["login_hint"], "a+b@contoso.com");
        assert!(!p.contains_key("domain_hint"));
        assert!(!p.contains_key("claims"));
    }

    #[test]
    fn authorize_url_carries_claims_and_the_pending_login_keeps_the_deep_link() {
        let claims = r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#;
        let req = build(&AuthorizeOptions {
            claims: Some(claims.to_owned()),
            return_to: Some("/tickets/42?tab=history".to_owned()),
            app_state: Some(r#"{"draft":7}"#.to_owned()),
            ..AuthorizeOptions::default()
        });
        let p: HashMap<_, _> = params(&req.url).into_iter().collect();
        assert_eq!(p["claims"], claims);
        // The deep link stays in the browser: not in the URL sent to the provider.
        assert!(!req.url.contains("tickets"));
        let back = PendingLogin::from_json(&req.pending.to_json()).unwrap();
        assert_eq!(back.return_to.as_deref(), Some("/tickets/42?tab=history"));
        assert_eq!(back.app_state.as_deref(), Some(r#"{"draft":7}"#));
    }

    #[test]
    fn prompt_accepts_only_entra_values() {
        for ok in ["login", "none", "consent", "select_account"] {
            assert_eq!(Prompt::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "LOGIN", "create", "login consent", "admin_consent"] {
            assert_eq!(
                Prompt::parse(bad).unwrap_err().code(),
                ErrorCode::InvalidConfig
            );
        }
    }

    #[test]
    fn pending_login_round_trips_through_json() {
        let req = build(&AuthorizeOptions::default());
        let json = req.pending.to_json();
        let back = PendingLogin::from_json(&json).unwrap();
        assert_eq!(back.state.secret(), req.pending.state.secret());
        assert_eq!(back.verifier.secret(), req.pending.verifier.secret());
        assert_eq!(back.created_at, NOW);
        assert_eq!(back.redirect_uri, req.pending.redirect_uri);
        assert!(!format!("{back:?}").contains(back.verifier.secret()));
        assert_eq!(
            PendingLogin::from_json("{}").unwrap_err().code(),
            ErrorCode::UnknownState
        );
    }

    #[test]
    fn stored_login_is_checked_again_when_read() {
        let json = build(&AuthorizeOptions::default()).pending.to_json();
        let doc = match json::parse(json.as_bytes()).unwrap() {
            Value::Object(doc) => doc,
            other => panic!("{other:?}"),
        };
        let with = |name: &str, value: Value| {
            let mut changed = doc.clone();
            changed.insert(name, value);
            changed.to_json()
        };
        for bad in [
            with("verifier", "a".repeat(42).into()),
            with("verifier", format!("{}+", "a".repeat(43)).into()),
            with("redirect_uri", "http://app.example.com/cb".into()),
            with("created_at", Value::from(-1i64)),
            with("created_at", "0".into()),
            with("state", Value::Null),
            json.replacen('{', r#"{"state":"x","#, 1),
            "[]".to_owned(),
            String::new(),
        ] {
            let e = PendingLogin::from_json(&bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::UnknownState, "{bad}");
        }
    }

    #[test]
    fn pending_login_expires_after_ten_minutes() {
        let pending = build(&AuthorizeOptions::default()).pending;
        assert!(!pending.is_expired(NOW));
        assert!(!pending.is_expired(NOW + PENDING_LOGIN_MAX_AGE_SECS));
        assert!(pending.is_expired(NOW + PENDING_LOGIN_MAX_AGE_SECS + 1));
        assert!(pending.is_expired(NOW - 3600));
        let query = format!("code=abc&state={}", pending.state.secret());
        assert_eq!(
            pending.complete(&query, NOW + 3600).unwrap_err().code(),
            ErrorCode::UnknownState
        );
        assert_eq!(pending.complete(&query, NOW + 5).unwrap().secret(), "abc");
    }

    #[test]
    fn discovered_endpoint_with_query_gets_ampersand() {
        let mut e = config().endpoints();
        e.authorization_endpoint = "https://idp.example/authorize?p=flow".to_owned();
        let req = build_authorize_url(
            &config().with_endpoints(e),
            LoginSecrets::from_entropy([1; 32], [2; 32], [3; 32]),
            &AuthorizeOptions::default(),
            NOW,
        );
        assert!(req
            .url
            .starts_with("https://idp.example/authorize?p=flow&client_id="));
    }
}
