//! The login flow as the browser runs it. Every decision is the core's (authorize URL,
//! callback, token requests and answers, ID token verification, OBO contract); this module
//! sequences the steps and performs their requests.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::config::BrowserConfig;
use super::platform::{self, now, send};
use super::store::{stored_claims, OboSession, PendingStore, Session, SessionStore};
use crate::entra::{
    build_authorize_url, build_code_exchange, build_logout_url, build_refresh,
    parse_code_exchange_response, parse_refresh_response, strip_callback_params, AccessToken,
    AuthorityConfig, AuthorizeOptions, Discovery, Endpoints, IdToken, LoginSecrets, LogoutOptions,
    TenantId, TokenResponse,
};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::{
    EntraConfig, EntraTokenKind, EntraVerifier, ExpectedNonce, KeyRef, PublicKey, TokenVerifier,
    VerifiedToken,
};
use crate::keys::{KeyCache, KeyLookup};
use crate::obo::{build_obo_request, parse_obo_response};
use crate::tuning::Tuning;
use crate::wasm::{js_error, webcrypto};

/// Refresh when less than this is left of the access token's life (MSAL uses the same five
/// minutes), or half its lifetime for tokens shorter than ten minutes.
const REFRESH_MARGIN_SECS: u64 = 300;

/// A failure on its way to JS: a crate error (with the HTTP status when a server answered),
/// or a JS error passed through unchanged (from a shared refresh).
pub enum Failure {
    Core { error: Error, status: Option<u16> },
    Js(JsValue),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Core {
            error,
            status: None,
        }
    }
}

impl Failure {
    fn with_status(error: Error, status: u16) -> Self {
        Failure::Core {
            error,
            status: Some(status),
        }
    }

    /// The JS `Error`: `code`, `message`, and `status` when a server answered.
    pub fn into_js(self) -> JsValue {
        match self {
            Failure::Js(value) => value,
            Failure::Core { error, status } => {
                let js = js_error::to_js(&error);
                if let Some(status) = status {
                    let _ = js_sys::Reflect::set(&js, &"status".into(), &status.into());
                }
                js
            }
        }
    }
}

pub type Outcome<T> = std::result::Result<T, Failure>;

/// The adapter's state: settings, discovered endpoints, keys, session, pending logins.
pub struct Client {
    pub config: BrowserConfig,
    endpoints: RefCell<Option<Endpoints>>,
    keys: RefCell<KeyCache>,
    pub session: RefCell<SessionStore>,
    pub pending: PendingStore,
    refreshing: RefCell<Option<Promise>>,
}

impl Client {
    pub fn new(config: BrowserConfig) -> Self {
        let prefix = config.storage_prefix();
        Client {
            session: RefCell::new(SessionStore::new(config.storage, &prefix)),
            pending: PendingStore::new(&prefix),
            endpoints: RefCell::new(None),
            keys: RefCell::new(KeyCache::new(Tuning::default())),
            refreshing: RefCell::new(None),
            config,
        }
    }

    /// The authority with discovered endpoints when known, else Entra's fixed shapes.
    fn authority(&self) -> AuthorityConfig {
        match self.endpoints.borrow().as_ref() {
            Some(endpoints) => self
                .config
                .authority
                .clone()
                .with_endpoints(endpoints.clone()),
            None => self.config.authority.clone(),
        }
    }

    /// Starts a login: fresh state, nonce and PKCE verifier (`crypto.getRandomValues`),
    /// kept in `sessionStorage` under the state; returns the authorize URL.
    pub fn start_login(&self, options: &AuthorizeOptions) -> Result<String> {
        let now = now();
        self.pending.prune(now);
        let request =
            build_authorize_url(&self.authority(), LoginSecrets::new_random()?, options, now);
        self.pending.save(&request.pending)?;
        Ok(request.url)
    }

    /// The provider's endpoints from its discovery document, fetched once per page.
    async fn discover(&self) -> Outcome<Endpoints> {
        if let Some(found) = self.endpoints.borrow().clone() {
            return Ok(found);
        }
        let request = Discovery::request(&self.config.authority.discovery_url());
        let answer = send(&request).await?;
        let endpoints = Discovery::parse_response(answer.status, &answer.body)
            .map_err(|e| Failure::with_status(e, answer.status))?;
        *self.endpoints.borrow_mut() = Some(endpoints.clone());
        Ok(endpoints)
    }

    /// The signing key a token names, through the core's key cache.
    async fn key(&self, key_ref: &KeyRef) -> Result<PublicKey> {
        // Two rounds: a lookup may ask for one fetch, after which the key is known or not.
        for _ in 0..2 {
            let lookup = self.keys.borrow_mut().lookup(key_ref, now());
            match lookup {
                KeyLookup::Found(key) => return Ok(key),
                KeyLookup::Unavailable(error) => return Err(error),
                KeyLookup::Fetch(fetch) => {
                    let request = crate::entra::HttpRequest {
                        method: crate::entra::HttpMethod::Get,
                        url: fetch.url.clone(),
                        headers: vec![("Accept".to_owned(), "application/json".to_owned())],
                        body: None,
                    };
                    match send(&request).await {
                        Ok(answer) => self.keys.borrow_mut().store_response(
                            &fetch,
                            answer.status,
                            answer.body.as_bytes(),
                            now(),
                        ),
                        Err(error) => self.keys.borrow_mut().store_failure(
                            &fetch,
                            Error::new(ErrorCode::KeyFetchFailed, error.message().to_owned()),
                            now(),
                        ),
                    }
                }
            }
        }
        Err(Error::new(
            ErrorCode::UnknownKid,
            format!("the tenant's key set has no key {:?}", key_ref.kid),
        ))
    }

    /// OIDC Core §3.1.3.7 through the core's Entra verifier; the signature with WebCrypto.
    async fn verify_id_token(
        &self,
        token: &IdToken,
        nonce: ExpectedNonce,
        endpoints: &Endpoints,
    ) -> Result<VerifiedToken> {
        let verifier = EntraVerifier::new(
            EntraConfig {
                authority_host: self.config.authority.authority_host().as_str().to_owned(),
                tenant: self.config.tenant().as_str().to_owned(),
                audiences: vec![self.config.client_id().as_str().to_owned()],
                jwks_url: endpoints.jwks_uri.clone(),
                issuer_template: Some(endpoints.issuer.clone()),
                kind: EntraTokenKind::IdToken { nonce },
            },
            Tuning::default(),
        )?;
        let pending = verifier.precheck(token.secret())?;
        let key = self.key(pending.key_ref()).await?;
        let signed = webcrypto::verify_job(pending.signature_job(&key)?).await?;
        verifier.validate(signed, now())
    }

    /// The callback: `None` when the page URL is not one. See `EntraAuth::handle_redirect`.
    pub async fn handle_redirect(&self) -> Outcome<Option<Session>> {
        let url = platform::current_url()?;
        let query = url.split('#').next().unwrap_or("");
        let query = query.split_once('?').map(|(_, q)| q).unwrap_or("");
        let mut state = None;
        let mut is_callback = false;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "state" => state = Some(value.into_owned()),
                "code" | "error" => is_callback = true,
                _ => {}
            }
        }
        if !is_callback {
            return Ok(None);
        }
        // First of all, so that neither a reload nor the history replays the code.
        platform::replace_url(&strip_callback_params(&url))?;
        let state = state.ok_or_else(|| {
            Error::new(
                ErrorCode::StateMismatch,
                "the callback has no state parameter",
            )
        })?;
        let pending = self.pending.take(&state)?;
        let now = now();
        let code = pending.complete(&url, now)?;

        let endpoints = self.discover().await?;
        let authority = self
            .config
            .authority
            .clone()
            .with_endpoints(endpoints.clone());
        let answer = send(&build_code_exchange(&authority, &code, &pending)).await?;
        let tokens = parse_code_exchange_response(answer.status, &answer.body)
            .map_err(|e| Failure::with_status(e, answer.status))?;
        let id_token = tokens.id_token.clone().ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidResponse,
                "the token response has no id_token",
            )
        })?;
        let nonce = ExpectedNonce::Value(pending.nonce.secret().to_owned());
        let verified = self.verify_id_token(&id_token, nonce, &endpoints).await?;

        let session = new_session(tokens, id_token, verified, now);
        self.session.borrow_mut().set(session.clone())?;
        Ok(Some(session))
    }

    /// A valid access token, refreshed first when it is about to expire. Concurrent
    /// callers share one refresh.
    pub async fn access_token(self: &Rc<Self>) -> Outcome<String> {
        let now = now();
        {
            let store = self.session.borrow();
            let session = store.get().ok_or_else(not_signed_in)?;
            if is_fresh(session, now) {
                return Ok(session.access_token.secret().to_owned());
            }
        }
        let existing = self.refreshing.borrow().clone();
        let promise = match existing {
            Some(promise) => promise,
            None => {
                let this = Rc::clone(self);
                let promise = super::promise(async move {
                    let result = this.refresh().await;
                    this.refreshing.borrow_mut().take();
                    result
                        .map(|token| JsValue::from_str(&token))
                        .map_err(Failure::into_js)
                });
                *self.refreshing.borrow_mut() = Some(promise.clone());
                promise
            }
        };
        match JsFuture::from(promise).await {
            Ok(token) => Ok(token.as_string().unwrap_or_default()),
            Err(error) => Err(Failure::Js(error)),
        }
    }

    /// RFC 6749 §6 with the stored refresh token; a refreshed ID token is verified and
    /// must name the same user (OIDC Core §12.2).
    async fn refresh(&self) -> Outcome<String> {
        let (refresh_token, old_id_token) = {
            let store = self.session.borrow();
            let session = store.get().ok_or_else(not_signed_in)?;
            let refresh_token = session.refresh_token.clone().ok_or_else(|| {
                Error::new(
                    ErrorCode::LoginRequired,
                    "the access token expired and there is no refresh token (ask for offline_access): sign in again",
                )
            })?;
            (refresh_token, session.id_token.secret().to_owned())
        };
        let endpoints = self.discover().await?;
        let authority = self
            .config
            .authority
            .clone()
            .with_endpoints(endpoints.clone());
        let answer = send(&build_refresh(&authority, &refresh_token)).await?;
        let tokens = match parse_refresh_response(answer.status, &answer.body) {
            Ok(tokens) => tokens,
            Err(error) => {
                if error.code() == ErrorCode::LoginRequired {
                    // The refresh token is dead (Entra's SPA tokens live 24 hours): the
                    // session is over; login() starts a new one.
                    self.session.borrow_mut().clear();
                }
                return Err(Failure::with_status(error, answer.status));
            }
        };
        let verified = match &tokens.id_token {
            Some(id_token) => Some(
                self.verify_id_token(id_token, ExpectedNonce::NotRequested, &endpoints)
                    .await?,
            ),
            None => None,
        };

        let now = now();
        let mut store = self.session.borrow_mut();
        let Some(old) = store.get().filter(|s| s.id_token.secret() == old_id_token) else {
            // Signed out (or signed in again) while the refresh was on its way.
            return Err(Error::new(
                ErrorCode::LoginRequired,
                "the session ended while its token was being refreshed",
            )
            .into());
        };
        let mut session = old.clone();
        if let Some(verified) = verified {
            if verified.subject != old.claims.get("sub").and_then(|v| v.as_str()).unwrap_or("") {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    "the refreshed ID token names another user than the signed-in one",
                )
                .into());
            }
            session.claims = stored_claims(&verified.claims);
            if let Some(id_token) = &tokens.id_token {
                session.id_token = id_token.clone();
            }
        }
        session.access_token = tokens.access_token.clone();
        session.access_obtained_at = now;
        session.access_expires_at = tokens.expires_at(now);
        if let Some(rotated) = tokens.refresh_token {
            session.refresh_token = Some(rotated);
        }
        let token = session.access_token.secret().to_owned();
        store.set(session)?;
        Ok(token)
    }

    /// Seed 003's exchange with the current Entra access token. A failure leaves the Entra
    /// session as it was.
    pub async fn exchange_obo(self: &Rc<Self>) -> Outcome<OboSession> {
        let endpoint =
            self.config.obo_endpoint.clone().ok_or_else(|| {
                Error::new(ErrorCode::InvalidConfig, "no oboEndpoint was configured")
            })?;
        let token = self.access_token().await?;
        let tenant = self.obo_tenant()?;
        let request = build_obo_request(&endpoint, &AccessToken::new(token), &tenant)?;
        let answer = send(&request).await.map_err(|e| {
            Error::new(
                e.code(),
                format!("the OBO endpoint is unreachable (down, or not allowing this origin by CORS): {}", e.message()),
            )
        })?;
        let tokens = parse_obo_response(answer.status, &answer.body)
            .map_err(|e| Failure::with_status(e, answer.status))?;
        let obo = OboSession {
            expires_at: tokens.expires_at(now()),
            tokens,
        };
        let mut store = self.session.borrow_mut();
        if let Some(session) = store.get() {
            let mut session = session.clone();
            session.obo = Some(obo.clone());
            store.set(session)?;
        }
        Ok(obo)
    }

    /// The tenant to name in the OBO request: the configured GUID, or for a multi-tenant
    /// app the signed-in user's verified `tid`.
    fn obo_tenant(&self) -> Result<TenantId> {
        if self.config.tenant().is_guid() {
            return Ok(self.config.tenant().clone());
        }
        let store = self.session.borrow();
        let tid = store.get().and_then(|s| s.claim("tid")).unwrap_or_default();
        TenantId::new(tid)
    }

    /// Forgets every token and pending login of this app in this tab.
    pub fn forget(&self) {
        self.session.borrow_mut().clear();
        self.pending.clear_all();
        self.refreshing.borrow_mut().take();
    }

    /// Entra's end-session URL with `post_logout_redirect_uri` and `logout_hint`.
    pub fn logout_url(&self) -> Result<String> {
        let hint = self
            .session
            .borrow()
            .get()
            .and_then(|s| s.claim("login_hint").map(str::to_owned));
        build_logout_url(
            &self.authority(),
            &LogoutOptions {
                post_logout_redirect_uri: self.config.post_logout_redirect_uri.clone(),
                logout_hint: hint,
                state: None,
            },
        )
    }
}

fn new_session(
    tokens: TokenResponse,
    id_token: IdToken,
    verified: VerifiedToken,
    now: u64,
) -> Session {
    Session {
        access_expires_at: tokens.expires_at(now),
        access_obtained_at: now,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        id_token,
        claims: stored_claims(&verified.claims),
        obo: None,
    }
}

fn is_fresh(session: &Session, now: u64) -> bool {
    let lifetime = session
        .access_expires_at
        .saturating_sub(session.access_obtained_at);
    let margin = REFRESH_MARGIN_SECS.min(lifetime / 2);
    now.saturating_add(margin) < session.access_expires_at
}

fn not_signed_in() -> Error {
    Error::new(
        ErrorCode::LoginRequired,
        "nobody is signed in: call login() first",
    )
}
