//! Starting a login and reading its callback: the authorize URL with the pending-login
//! record the JS module keeps in `sessionStorage`, and the authorization code from the
//! redirect back, checked against that record.

use std::borrow::Cow;

use wasm_bindgen::prelude::*;

use super::config::BrowserConfig;
use super::json::{self, Map, Value};
use crate::entra::claims::{claims_parameter, read_claims};
use crate::entra::return_to::check_return_to;
use crate::entra::{
    build_authorize_url, strip_callback_params, AuthorityConfig, AuthorizationCode,
    AuthorizeOptions, LoginSecrets, PendingLogin, Prompt,
};
use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;

#[wasm_bindgen(typescript_custom_section)]
const TS_LOGIN_OPTIONS: &'static str = r#"
/** Options for {@link EntraAuth.login} and {@link EntraAuth.authorizeUrl}. */
export interface LoginOptions {
  prompt?: "login" | "none" | "consent" | "select_account";
  /** Pre-fills the user name at Entra. */
  loginHint?: string;
  /** Skips home-realm discovery, e.g. "contoso.com". */
  domainHint?: string;
  /** A claims request (OIDC Core §5.5): the `claims` of a `claims_challenge` error, as
   *  an object, JSON text or the challenge's base64. */
  claims?: string | Record<string, unknown>;
  /** Where to take the user after sign-in: a path of this app's origin
   *  ("/tickets/42?tab=history"); anything else throws `invalid_return_to`. */
  returnTo?: string;
  /** Small app state (JSON-serialisable, at most 2 KB) handed back by `handleRedirect()`. */
  appState?: unknown;
}
"#;

/// Random bytes one login takes: 32 each for the state, the nonce and the PKCE verifier.
pub const LOGIN_ENTROPY_BYTES: usize = 96;

/// Largest `appState` kept with a pending login (it lives in `sessionStorage`).
const MAX_APP_STATE_BYTES: usize = 2048;

/// `LoginOptions` from the JSON text of the JS object (`null` means none). `claims` is
/// merged with the configured client capabilities; `returnTo` must be a path of the app's
/// origin.
pub fn login_options(text: &str, config: &BrowserConfig) -> Result<AuthorizeOptions> {
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!("login options: {why} (expected prompt, loginHint, domainHint, claims, returnTo, appState)"),
        )
    };
    let options = match json::parse(text) {
        Ok(Value::Null) => Map::new(),
        Ok(Value::Object(options)) => options,
        _ => return Err(invalid("not an object")),
    };
    let mut parsed = AuthorizeOptions::default();
    let mut claims = None;
    for (name, value) in &options {
        match (name.as_str(), value) {
            (_, Value::Null) => continue,
            ("claims", Value::Object(object)) => {
                claims = Some(read_claims(&object.to_json())?);
                continue;
            }
            ("claims", Value::String(text)) => {
                claims = Some(read_claims(text)?);
                continue;
            }
            ("appState", state) => {
                let state = state.to_json();
                if state.len() > MAX_APP_STATE_BYTES {
                    return Err(invalid(&format!(
                        "appState is over {MAX_APP_STATE_BYTES} bytes as JSON: keep it small (it waits in sessionStorage)"
                    )));
                }
                parsed.app_state = Some(state);
                continue;
            }
            _ => {}
        }
        let value = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            _ => return Err(invalid(&format!("{name} must be a string"))),
        };
        match name.as_str() {
            "prompt" => parsed.prompt = Some(Prompt::parse(&value)?),
            "loginHint" => parsed.login_hint = Some(value),
            "domainHint" => parsed.domain_hint = Some(value),
            "returnTo" => parsed.return_to = Some(check_return_to(&value, &config.app_origin)?),
            _ => return Err(invalid(&format!("unknown field {}", quoted(name)))),
        }
    }
    parsed.claims = claims_parameter(claims, &config.client_capabilities);
    Ok(parsed)
}

/// Splits the caller's random bytes into the login's three secrets.
fn secrets(entropy: &[u8]) -> Result<LoginSecrets> {
    let part =
        |i: usize| -> Option<[u8; 32]> { entropy.get(i * 32..(i + 1) * 32)?.try_into().ok() };
    match (entropy.len(), part(0), part(1), part(2)) {
        (LOGIN_ENTROPY_BYTES, Some(state), Some(nonce), Some(verifier)) => {
            Ok(LoginSecrets::from_entropy(state, nonce, verifier))
        }
        _ => Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("a login needs {LOGIN_ENTROPY_BYTES} random bytes from crypto.getRandomValues"),
        )),
    }
}

/// `{"url", "state", "pending"}`: the authorize URL, the state to key the record by, and
/// the pending-login record (JSON text, holding the PKCE verifier: it stays in this tab).
pub fn start(
    authority: &AuthorityConfig,
    options: &AuthorizeOptions,
    entropy: &[u8],
    now: u64,
) -> Result<String> {
    let request = build_authorize_url(authority, secrets(entropy)?, options, now);
    Ok(json::ObjectWriter::new()
        .string("pending", &request.pending.to_json())
        .string("state", request.pending.state.secret())
        .string("url", &request.url)
        .finish())
}

/// Whether a stored pending login is past its ten minutes (or unreadable): drop it.
pub fn is_stale(pending: &str, now: u64) -> bool {
    PendingLogin::from_json(pending).map_or(true, |p| p.is_expired(now))
}

/// The query parameters of a URL (not its fragment).
fn query_pairs(url: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    let before_fragment = url.split('#').next().unwrap_or("");
    let query = before_fragment.split_once('?').map_or("", |(_, q)| q);
    crate::form::pairs(query)
}

/// `""` when `url` is not a callback (no `code` or `error`); else `{"state", "address"}`:
/// the state to look the pending login up by (`null` when absent) and the URL without the
/// callback parameters, for the address bar, so that neither a reload nor the history
/// replays the code.
pub fn callback(url: &str) -> String {
    let mut state = None;
    let mut is_callback = false;
    for (name, value) in query_pairs(url) {
        match name.as_ref() {
            "state" => state = Some(value.into_owned()),
            "code" | "error" => is_callback = true,
            _ => {}
        }
    }
    if !is_callback {
        return String::new();
    }
    json::ObjectWriter::new()
        .string("address", &strip_callback_params(url))
        .optional("state", state.as_deref())
        .finish()
}

/// The authorization code of the callback `url` for the pending login that was stored under
/// its state (`None`: none was, or it was used already). Errors: `state_mismatch`,
/// `unknown_state`, the provider's refusal (`access_denied`, …).
pub fn authorization_code(
    url: &str,
    pending: Option<&str>,
    now: u64,
) -> Result<(AuthorizationCode, PendingLogin)> {
    if !query_pairs(url).any(|(name, _)| name == "state") {
        return Err(Error::fixed(
            ErrorCode::StateMismatch,
            "the callback has no state parameter",
        ));
    }
    let pending = pending.ok_or_else(|| {
        Error::fixed(
            ErrorCode::UnknownState,
            "this callback does not belong to a login started in this tab (unknown, already used or expired state): start the login again",
        )
    })?;
    let pending = PendingLogin::from_json(pending)?;
    let code = pending.complete(url, now)?;
    Ok((code, pending))
}

/// What the login of `pending` was given to hand back: `{"returnTo", "appState"}` (each
/// `null` when not given; `appState` as JSON).
pub fn login_return(pending: &str) -> Result<String> {
    let pending = PendingLogin::from_json(pending)?;
    Ok(json::ObjectWriter::new()
        .raw("appState", pending.app_state.as_deref().unwrap_or("null"))
        .optional("returnTo", pending.return_to.as_deref())
        .finish())
}
