//! The browser adapter: the synchronous half of the `entra-edge-auth` npm package.
//!
//! The package's JS module (`www/src/auth.js`, class `EntraAuth`) does the I/O: `fetch`,
//! `sessionStorage`, the address bar, `BroadcastChannel`, the clock, randomness
//! (`crypto.getRandomValues`) and the signature check (`crypto.subtle.verify`). Everything
//! it decides it asks this module, whose exports are thin, synchronous calls into the
//! core: what to request, how to read the answer, whether a token is valid. Values cross as
//! strings, bytes and JSON text; errors as one thrown shape ([`fault`]).
//!
//! - [`config`]: the constructor's settings;
//! - [`login`]: the authorize URL with its pending-login record, and the callback;
//! - [`grant`]: tokens from the token endpoint, their ID token verified, into a session;
//! - [`session`]: the session record and the `Account` / `OboResult` views;
//! - [`keyset`]: the tenant's signing keys as this page fetched them;
//! - [`jwk`]: keys as JWK text for WebCrypto;
//! - [`json`]: the one place JSON is read and written;
//! - [`fault`]: errors as they cross.

pub mod config;
pub mod fault;
pub mod grant;
pub mod json;
pub mod jwk;
pub mod keyset;
pub mod login;
pub mod session;

use wasm_bindgen::prelude::*;

use crate::entra::challenge::{api_verdict, deny_code, ApiVerdict};
use crate::entra::claims::{claims_parameter, read_claims};
use crate::entra::{
    build_code_exchange, build_logout_url, build_refresh_for, parse_code_exchange_response,
    parse_refresh_response, AccessToken, AuthorityConfig, AuthorizationCode, Discovery,
    HttpRequest, LogoutOptions, PendingLogin, RefreshToken, Scopes, TenantId,
};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::{EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce};
use crate::obo::{build_obo_request, parse_obo_response};
use crate::tuning::Tuning;
use config::{BrowserConfig, TokenStorage};
use fault::{thrown, Thrown};
use grant::{Grant, Purpose};
use json::Value;
use keyset::PageKeys;
use session::Session;

/// Unix seconds from JS's `Date.now() / 1000` (a fraction, or nonsense, floors; `as`
/// saturates, so nothing here panics).
pub(crate) fn seconds(now: f64) -> u64 {
    now as u64
}

/// Scopes an app asks a token for: JSON text of a space-separated string or a list.
fn requested_scopes(scopes: &str) -> Result<Scopes> {
    let invalid = || {
        Error::fixed(
            ErrorCode::InvalidConfig,
            "scopes must be a string or a list of strings",
        )
    };
    match json::parse(scopes) {
        Ok(Value::String(text)) => Scopes::parse(&text),
        Ok(Value::Array(list)) => {
            let mut names = Vec::with_capacity(list.len());
            for item in &list {
                names.push(item.as_str().ok_or_else(invalid)?);
            }
            Scopes::from_list(names)
        }
        _ => Err(invalid()),
    }
}

/// A request for JS to `fetch`: `{"method", "url", "headers": [[name, value]], "body"}`.
fn request_json(request: &HttpRequest) -> String {
    let mut headers = String::from("[");
    for (i, (name, value)) in request.headers.iter().enumerate() {
        if i > 0 {
            headers.push(',');
        }
        headers.push_str(&json::string_array([name.as_str(), value.as_str()]));
    }
    headers.push(']');
    json::ObjectWriter::new()
        .optional("body", request.body.as_deref())
        .raw("headers", &headers)
        .string("method", request.method.as_str())
        .string("url", &request.url)
        .finish()
}

/// The app's settings and what this page learned: the provider's endpoints and keys. One
/// per `EntraAuth`; internal to the package (its JS class wraps it), so it stays out of the
/// generated `.d.ts`, which carries the data shapes only.
#[wasm_bindgen(skip_typescript)]
pub struct Core {
    config: BrowserConfig,
    /// The configured authority with the endpoints its discovery document named, once read
    /// (the authorize URL keeps Entra's shapes: it is built before any fetch).
    discovered: Option<AuthorityConfig>,
    keys: PageKeys,
}

impl Core {
    /// The authority with the discovered endpoints.
    fn discovered(&self) -> Result<&AuthorityConfig> {
        self.discovered.as_ref().ok_or_else(|| {
            Error::fixed(
                ErrorCode::InvalidConfig,
                "the provider's discovery document was not read yet",
            )
        })
    }

    /// The core's Entra verifier for this app's ID tokens.
    fn id_token_verifier(&self, nonce: ExpectedNonce) -> Result<EntraVerifier> {
        let endpoints = self.discovered()?.endpoints();
        EntraVerifier::new(
            EntraConfig {
                authority_host: self.config.authority.authority_host().as_str().to_owned(),
                tenant: self.config.tenant().as_str().to_owned(),
                audiences: vec![self.config.client_id().as_str().to_owned()],
                jwks_url: endpoints.jwks_uri,
                issuer_template: Some(endpoints.issuer),
                kind: EntraTokenKind::IdToken { nonce },
            },
            Tuning::default(),
        )
    }

    /// A refresh request for `scopes` with the `claims` parameter (the app's request merged
    /// with the client capabilities).
    fn refresh_for(
        &self,
        session: &Session,
        scopes: &Scopes,
        claims: Option<&str>,
    ) -> Result<String> {
        let refresh_token = session.refresh_token.as_deref().ok_or_else(|| {
            Error::fixed(
                ErrorCode::LoginRequired,
                "the access token expired and there is no refresh token (ask for offline_access): sign in again",
            )
        })?;
        let claims = claims.map(read_claims).transpose()?;
        let claims = claims_parameter(claims, &self.config.client_capabilities);
        Ok(request_json(&build_refresh_for(
            self.discovered()?,
            &RefreshToken::new(refresh_token),
            scopes,
            claims.as_deref(),
        )))
    }

    /// The tenant to name in the OBO request: the configured GUID, or for a multi-tenant
    /// app the signed-in user's verified `tid`.
    fn obo_tenant(&self, session: &Session) -> Result<TenantId> {
        if self.config.tenant().is_guid() {
            return Ok(self.config.tenant().clone());
        }
        TenantId::new(session.claim("tid").unwrap_or_default())
    }
}

#[wasm_bindgen]
impl Core {
    /// Checks the settings (JSON text of `EntraAuthConfig`); throws `invalid_config`
    /// naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> Thrown<Core> {
        Ok(Core {
            config: thrown(BrowserConfig::from_json(config))?,
            discovered: None,
            keys: PageKeys::default(),
        })
    }

    /// Prefix of the package's `sessionStorage` keys, and the BroadcastChannel's name.
    #[wasm_bindgen(getter, js_name = storagePrefix)]
    pub fn storage_prefix(&self) -> String {
        self.config.storage_prefix()
    }

    /// Whether the session is kept in `sessionStorage` too (`storage: "session"`).
    #[wasm_bindgen(getter, js_name = keepsSession)]
    pub fn keeps_session(&self) -> bool {
        self.config.storage == TokenStorage::Session
    }

    /// `{"url", "state", "pending"}` for a new login: see [`login::start`]. `options`:
    /// JSON text of `LoginOptions` or `null`; `entropy`: 96 bytes from
    /// `crypto.getRandomValues`.
    #[wasm_bindgen(js_name = startLogin)]
    pub fn start_login(&self, options: &str, entropy: &[u8], now: f64) -> Thrown<String> {
        thrown(
            login::login_options(options, &self.config).and_then(|options| {
                login::start(&self.config.authority, &options, entropy, seconds(now))
            }),
        )
    }

    /// Whether a stored pending login is expired or unreadable (to be dropped).
    #[wasm_bindgen(js_name = pendingIsStale)]
    pub fn pending_is_stale(&self, pending: &str, now: f64) -> bool {
        login::is_stale(pending, seconds(now))
    }

    /// `""`, or the callback's `{"state", "address"}`: see [`login::callback`].
    pub fn callback(&self, url: &str) -> String {
        login::callback(url)
    }

    /// The authorization code of the callback `url`, checked against the pending login
    /// stored under its state (`undefined` when none was).
    #[wasm_bindgen(js_name = authorizationCode)]
    pub fn authorization_code(
        &self,
        url: &str,
        pending: Option<String>,
        now: f64,
    ) -> Thrown<String> {
        thrown(login::authorization_code(
            url,
            pending.as_deref(),
            seconds(now),
        ))
        .map(|(code, _)| code.secret().to_owned())
    }

    /// The discovery request, or `""` once the endpoints are known (once per page).
    #[wasm_bindgen(js_name = discoveryRequest)]
    pub fn discovery_request(&self) -> String {
        match self.discovered {
            Some(_) => String::new(),
            None => request_json(&Discovery::request(&self.config.authority.discovery_url())),
        }
    }

    /// Reads the discovery answer (OIDC Discovery 1.0 §4.2) and keeps the endpoints once its
    /// `issuer` is the configured authority's (§4.3; `issuer_mismatch` otherwise).
    #[wasm_bindgen(js_name = readDiscovery)]
    pub fn read_discovery(&mut self, status: u16, body: &str) -> Thrown<()> {
        let endpoints = thrown(Discovery::parse_response(status, body))?;
        thrown(self.config.authority.check_discovered_issuer(&endpoints))?;
        self.discovered = Some(self.config.authority.clone().with_endpoints(endpoints));
        Ok(())
    }

    /// The code exchange (RFC 6749 §4.1.3 with the PKCE verifier of `pending`).
    #[wasm_bindgen(js_name = codeExchange)]
    pub fn code_exchange(&self, code: &str, pending: &str) -> Thrown<String> {
        thrown((|| {
            let pending = PendingLogin::from_json(pending)?;
            let code = AuthorizationCode::new(code);
            Ok(request_json(&build_code_exchange(
                self.discovered()?,
                &code,
                &pending,
            )))
        })())
    }

    /// Reads the code exchange's answer (RFC 6749 §5.1; Entra's refusals mapped) into a
    /// [`Grant`] whose ID token must carry the nonce of `pending`.
    #[wasm_bindgen(js_name = readCodeExchange)]
    pub fn read_code_exchange(&self, status: u16, body: &str, pending: &str) -> Thrown<Grant> {
        thrown((|| {
            let pending = PendingLogin::from_json(pending)?;
            let tokens = parse_code_exchange_response(status, body)?;
            let nonce = ExpectedNonce::Value(pending.nonce.secret().to_owned());
            Grant::new(tokens, Purpose::Login, self.id_token_verifier(nonce)?)
        })())
    }

    /// The request for the key `grant`'s ID token names, or `""` when no fetch is needed
    /// (the key is known, or there is no ID token).
    #[wasm_bindgen(js_name = keyRequest)]
    pub fn key_request(&self, grant: &mut Grant) -> Thrown<String> {
        let request = thrown(grant.key_request(&self.keys))?;
        Ok(request.as_ref().map(request_json).unwrap_or_default())
    }

    /// The answer to [`Core::key_request`]; throws when it holds no usable key set
    /// (`key_fetch_failed`, `malformed_key`).
    #[wasm_bindgen(js_name = storeKeys)]
    pub fn store_keys(&mut self, grant: &Grant, status: u16, body: &str) -> Thrown<()> {
        let url = thrown(grant.key_url())?;
        thrown(self.keys.store(url, status, body))
    }

    /// The session's access token while it has more than the renewal margin (or half its
    /// lifetime) to live; `""` when it needs a refresh. Throws `login_required` without a
    /// session.
    #[wasm_bindgen(js_name = freshAccessToken)]
    pub fn fresh_access_token(&self, session: Option<String>, now: f64) -> Thrown<String> {
        let session = thrown(Session::read(session.as_deref()))?;
        Ok(
            match session.is_fresh(seconds(now), self.config.renewal_margin) {
                true => session.access_token,
                false => String::new(),
            },
        )
    }

    /// The refresh request (RFC 6749 §6) for the sign-in scopes, with the `claims`
    /// parameter when `claims` (an app's claims request, JSON or base64) or client
    /// capabilities are given. Throws `login_required` without a refresh token.
    #[wasm_bindgen(js_name = refreshRequest)]
    pub fn refresh_request(
        &self,
        session: Option<String>,
        claims: Option<String>,
    ) -> Thrown<String> {
        thrown((|| {
            let session = Session::read(session.as_deref())?;
            let scopes = self.config.authority.scopes();
            self.refresh_for(&session, scopes, claims.as_deref())
        })())
    }

    /// The app token (the OBO answer's access token) while it has more than the renewal
    /// margin to live; `""` when there is none yet or it is due (then exchange again).
    #[wasm_bindgen(js_name = appToken)]
    pub fn app_token(&self, session: Option<String>, now: f64) -> String {
        Session::read(session.as_deref())
            .ok()
            .and_then(|s| {
                s.fresh_app_token(seconds(now), self.config.renewal_margin)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }

    /// Whether a request to `origin` (`scheme://host[:port]`) may carry the app token: it is
    /// one of `apiOrigins`.
    #[wasm_bindgen(js_name = carriesAppToken)]
    pub fn carries_app_token(&self, origin: &str) -> bool {
        self.config
            .api_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }

    /// What `auth.fetch` does with an API's answer: `"pass"`, `"renew"` (401
    /// `invalid_token`: renew the app token, retry once), or the JSON text of a claims
    /// request (401 `insufficient_claims`). Throws `malformed_challenge`.
    #[wasm_bindgen(js_name = apiVerdict)]
    pub fn api_verdict(&self, status: u16, www_authenticate: Option<String>) -> Thrown<String> {
        Ok(
            match thrown(api_verdict(status, www_authenticate.as_deref()))? {
                ApiVerdict::Pass => "pass".to_owned(),
                ApiVerdict::Renew => "renew".to_owned(),
                ApiVerdict::Claims(claims) => claims,
            },
        )
    }

    /// The `error` code of an API's refusal (its JSON body's `error`, else the challenge's),
    /// or `""`.
    #[wasm_bindgen(js_name = denyCode)]
    pub fn deny_code(&self, www_authenticate: Option<String>, body: &str) -> String {
        deny_code(www_authenticate.as_deref(), body).unwrap_or_default()
    }

    /// The scope-set key of `scopes` (JSON text: a string or a list), for the per-scope
    /// token cache. Throws `invalid_config` for a malformed scope.
    #[wasm_bindgen(js_name = scopeKey)]
    pub fn scope_key(&self, scopes: &str) -> Thrown<String> {
        thrown(requested_scopes(scopes).map(|s| session::scope_key(&s)))
    }

    /// The access token kept for the scope set `key` while fresh, else `""`.
    #[wasm_bindgen(js_name = resourceToken)]
    pub fn resource_token(&self, session: Option<String>, key: &str, now: f64) -> Thrown<String> {
        let session = thrown(Session::read(session.as_deref()))?;
        Ok(session
            .fresh_resource_token(key, seconds(now), self.config.renewal_margin)
            .unwrap_or_default()
            .to_owned())
    }

    /// The refresh request for another scope set (`scopes`: JSON text, a string or a list),
    /// with `claims` when given.
    #[wasm_bindgen(js_name = resourceRequest)]
    pub fn resource_request(
        &self,
        session: Option<String>,
        scopes: &str,
        claims: Option<String>,
    ) -> Thrown<String> {
        thrown((|| {
            let session = Session::read(session.as_deref())?;
            self.refresh_for(&session, &requested_scopes(scopes)?, claims.as_deref())
        })())
    }

    /// Reads the answer to [`Core::resource_request`] into the session (JSON text): the
    /// token kept under `key`, a rotated refresh token kept. The session's own tokens are
    /// untouched. `consent_required` (AADSTS65001) is this call's alone.
    #[wasm_bindgen(js_name = readResource)]
    pub fn read_resource(
        &self,
        status: u16,
        body: &str,
        session: Option<String>,
        key: &str,
        now: f64,
    ) -> Thrown<String> {
        thrown((|| {
            let mut session = Session::read(session.as_deref())?;
            let tokens = parse_refresh_response(status, body)?;
            let now = seconds(now);
            session.keep_resource_token(
                key,
                tokens.access_token.secret(),
                now,
                tokens.expires_at(now),
            );
            if let Some(rotated) = &tokens.refresh_token {
                session.refresh_token = Some(rotated.secret().to_owned());
            }
            Ok(session.to_json())
        })())
    }

    /// Whether `theirs` (another tab's session) is this tab's sign-in (`mine`: the same
    /// user) with newer tokens (an Entra access token or an app token obtained later), so
    /// that this tab takes it instead of refreshing or exchanging again.
    #[wasm_bindgen(js_name = peerIsNewer)]
    pub fn peer_is_newer(&self, mine: &str, theirs: &str) -> bool {
        let (Ok(mine), Ok(theirs)) = (Session::read(Some(mine)), Session::read(Some(theirs)))
        else {
            return false;
        };
        let app_expiry = |s: &Session| {
            s.obo
                .as_ref()
                .and_then(|o| o.get("expiresAt"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        mine.subject() == theirs.subject()
            && mine.claim("tid") == theirs.claim("tid")
            && (theirs.access_obtained_at > mine.access_obtained_at
                || app_expiry(&theirs) > app_expiry(&mine))
    }

    /// `{"returnTo", "appState"}` of a pending login, for `handleRedirect()` to hand back.
    #[wasm_bindgen(js_name = loginReturn)]
    pub fn login_return(&self, pending: &str) -> Thrown<String> {
        thrown(login::login_return(pending))
    }

    /// Reads the refresh's answer into a [`Grant`] for `session`. A dead refresh token
    /// (AADSTS700084: Entra's SPA refresh tokens live 24 hours) is `login_required`: the
    /// session is over, `login()` starts a new one.
    #[wasm_bindgen(js_name = readRefresh)]
    pub fn read_refresh(&self, status: u16, body: &str, session: Option<String>) -> Thrown<Grant> {
        thrown((|| {
            let session = Session::read(session.as_deref())?;
            let tokens = parse_refresh_response(status, body)?;
            let verifier = self.id_token_verifier(ExpectedNonce::NotRequested)?;
            Grant::new(tokens, Purpose::Refresh(session), verifier)
        })())
    }

    /// The OBO request (seed 003): `{azure_token, tenant_id}` with `access_token`.
    #[wasm_bindgen(js_name = oboRequest)]
    pub fn obo_request(&self, access_token: &str, session: Option<String>) -> Thrown<String> {
        thrown((|| {
            let endpoint = self.config.obo_endpoint.as_deref().ok_or_else(|| {
                Error::fixed(ErrorCode::InvalidConfig, "no oboEndpoint was configured")
            })?;
            let tenant = self.obo_tenant(&Session::read(session.as_deref())?)?;
            let request = build_obo_request(endpoint, &AccessToken::new(access_token), &tenant)?;
            Ok(request_json(&request))
        })())
    }

    /// Reads the OBO answer into an `OboResult` (JSON text). `obo_unauthorized` for 401/403,
    /// `consent_required` with the advice when the endpoint mentions consent.
    #[wasm_bindgen(js_name = readObo)]
    pub fn read_obo(&self, status: u16, body: &str, now: f64) -> Thrown<String> {
        let tokens = thrown(parse_obo_response(status, body))?;
        Ok(session::obo_result(&tokens, seconds(now)))
    }

    /// `session` with the OBO answer `obo` (from [`Core::read_obo`]) kept in it.
    #[wasm_bindgen(js_name = withObo)]
    pub fn with_obo(&self, session: Option<String>, obo: &str) -> Thrown<String> {
        let mut session = thrown(Session::read(session.as_deref()))?;
        session.obo = match json::parse(obo) {
            Ok(Value::Object(obo)) => Some(obo),
            _ => None,
        };
        Ok(session.to_json())
    }

    /// A session record read back from `sessionStorage`, or `""` when it is unreadable.
    pub fn restore(&self, session: &str) -> String {
        Session::read(Some(session))
            .map(|s| s.to_json())
            .unwrap_or_default()
    }

    /// Entra's end-session URL with `post_logout_redirect_uri` and the session's
    /// `logout_hint` (RP-Initiated Logout 1.0 §2).
    #[wasm_bindgen(js_name = logoutUrl)]
    pub fn logout_url(&self, session: Option<String>) -> Thrown<String> {
        let hint = Session::read(session.as_deref())
            .ok()
            .and_then(|s| s.claim("login_hint").map(str::to_owned));
        let authority = self.discovered.as_ref().unwrap_or(&self.config.authority);
        thrown(build_logout_url(
            authority,
            &LogoutOptions {
                post_logout_redirect_uri: self.config.post_logout_redirect_uri.clone(),
                logout_hint: hint,
                state: None,
            },
        ))
    }
}

/// Talc instead of Rust's default dlmalloc: the package's wasm is 2.6 KB smaller gzipped
/// (measured with `www/size.mjs`), and the page's heap is small (tokens and JSON text).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
