//! One request, start to finish: logout, public routes, credential, verification (cached),
//! policy, forward. Every path that is not an explicit allow ends in a deny: the only
//! forward with an identity takes one the verifiers produced (now or, cached, earlier).
//!
//! The common cases stay synchronous on the Rust side: a public route or a token already
//! in the verified-token cache is decided without awaiting anything, and the answer is
//! origin's `fetch` promise itself. A new token whose key this isolate already holds (and
//! has imported into WebCrypto) is prechecked now, and WebCrypto's verdict is taken with a
//! plain `then` back into [`Gate`]: no Rust future, task or per-request closure. Only a
//! token whose key must first be fetched or imported goes through the async path. This
//! keeps a cached request close to a plain pass-through in cost, and a new one close to
//! the cost of its signature check.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Request;

use super::config::GateConfig;
use super::credential::Credentials;
use super::deny_page::{deny_page, wants_page};
use super::forward::origin_request;
use super::head::RequestHead;
use super::keys::KeyStore;
use super::logout::{logout, logout_allowed, origin_of, RequestSite};
use super::platform::{self, now_secs};
use super::respond::{deny, deny_error, redirect};
use super::token_cache::{
    CacheKey, CredentialKind, TokenCache, DEFAULT_CAPACITY, DEFAULT_MAX_BYTES,
};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::Identity;
use crate::jwt::{SignatureJob, SignedToken, TokenVerifier};
use crate::policy::{Decision, Presented, Route};
use crate::roles::collect_roles;
use crate::wasm::js_error::from_js;
use crate::wasm::webcrypto;

#[derive(Default)]
pub struct GateStats {
    pub requests: Cell<u64>,
    pub forwarded: Cell<u64>,
    pub denied: Cell<u64>,
    pub verifications: Cell<u64>,
    pub token_cache_hits: Cell<u64>,
}

pub struct Gate {
    config: GateConfig,
    keys: Rc<KeyStore>,
    tokens: RefCell<TokenCache>,
    /// Turns a failed origin fetch into a 503 `network_error` deny (made once, reused).
    origin_failed: Closure<dyn FnMut(JsValue) -> JsValue>,
    /// Requests whose signature WebCrypto is checking, by id (see [`Gate::verify_now`]).
    verifying: RefCell<HashMap<u32, Verifying>>,
    next_verifying: Cell<u32>,
    /// `(id, verdict)`: takes WebCrypto's answer for `verifying[id]` (made once; bound to
    /// the id per request).
    on_verdict: Closure<dyn FnMut(u32, JsValue) -> JsValue>,
    pub stats: GateStats,
}

/// A request waiting for WebCrypto's verdict on its one unverified credential.
struct Verifying {
    request: Request,
    head: RequestHead,
    /// The request's other credentials (cache hits).
    ready: Vec<Presented>,
    key: CacheKey,
    job: SignatureJob,
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

/// What the synchronous part decided.
enum Step {
    /// An answer the worker makes itself (logout redirect).
    Respond(web_sys::Response),
    /// The policy's verdict (every credential came from the verified-token cache, or the
    /// route is public).
    Decided(Decision),
    /// Some credentials must be verified first; `ready` were cache hits. Each pending one
    /// is its cache key (kind and token), used for the lookup and reused for the insert.
    Verify {
        ready: Vec<Presented>,
        pending: Vec<CacheKey>,
    },
}

impl Gate {
    pub fn new(config: GateConfig) -> Rc<Self> {
        let keys = KeyStore::new(
            config.tuning,
            config.key_fetch_timeout_ms,
            config.key_stale_secs,
        );
        let origin_failed = Closure::wrap(Box::new(|e: JsValue| -> JsValue {
            let error = from_js(ErrorCode::NetworkError, "origin could not be reached", &e);
            platform::log_error(&format!("entra-edge-auth: {error}"));
            deny_error(&error, 0).into()
        }) as Box<dyn FnMut(JsValue) -> JsValue>);
        Rc::new_cyclic(|gate: &Weak<Gate>| {
            let gate = gate.clone();
            let on_verdict = Closure::wrap(Box::new(move |id: u32, verdict: JsValue| -> JsValue {
                match gate.upgrade() {
                    Some(gate) => gate.verdict(id, verdict).into(),
                    // The gate was dropped (the isolate's gate was reset): deny.
                    None => deny_error(&gone(), 0).into(),
                }
            })
                as Box<dyn FnMut(u32, JsValue) -> JsValue>);
            Gate {
                config,
                keys,
                tokens: RefCell::new(TokenCache::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES)),
                origin_failed,
                verifying: RefCell::new(HashMap::new()),
                next_verifying: Cell::new(0),
                on_verdict,
                stats: GateStats::default(),
            }
        })
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    pub fn cached_tokens(&self) -> usize {
        self.tokens.borrow().len()
    }

    /// Resolves to the response for `request`; never rejects.
    pub fn handle(self: &Rc<Self>, request: Request, ctx: JsValue) -> Promise {
        bump(&self.stats.requests);
        let Some(mut head) = RequestHead::read(&request) else {
            let error = Error::new(ErrorCode::InvalidPath, "the request URL does not parse");
            return self.denied(error.code().http_status(), &error, None);
        };
        match self.decide(&request, &mut head) {
            Step::Respond(response) => resolved(response.into()),
            Step::Decided(decision) => self.finish(&request, &head, decision),
            Step::Verify { ready, pending } => match <[CacheKey; 1]>::try_from(pending) {
                Ok([key]) => self.verify_now(request, head, ready, key, ctx),
                Err(pending) => self.verify_later(request, head, ready, pending, ctx),
            },
        }
    }

    /// One credential to verify: when its key is at hand, the signature check starts now
    /// and its verdict comes back through `on_verdict`; otherwise the async path.
    fn verify_now(
        self: &Rc<Self>,
        request: Request,
        head: RequestHead,
        mut ready: Vec<Presented>,
        key: CacheKey,
        ctx: JsValue,
    ) -> Promise {
        let (job, verdict) = match self.start_verify(&key) {
            None => return self.verify_later(request, head, ready, vec![key], ctx),
            Some(Ok(started)) => started,
            Some(Err(error)) => {
                ready.push(Presented {
                    source_kind: key.kind(),
                    outcome: Err(error),
                });
                return self.conclude(&request, &head, ready);
            }
        };
        let id = self.next_verifying.get().wrapping_add(1);
        self.next_verifying.set(id);
        self.verifying.borrow_mut().insert(
            id,
            Verifying {
                request,
                head,
                ready,
                key,
                job,
            },
        );
        // A fulfilled verify is a boolean; a rejection is the runtime's error object.
        platform::continue_with(&verdict, self.on_verdict.as_ref().unchecked_ref(), id)
    }

    /// Everything up to WebCrypto's verdict, synchronously: the precheck, the key from this
    /// isolate's cache, its imported `CryptoKey`, and `crypto.subtle.verify` started.
    /// `None` when the key must be fetched or imported first (the async path does that);
    /// `Some(Err)` when the token is refused before any signature check.
    fn start_verify(&self, key: &CacheKey) -> Option<Result<(SignatureJob, Promise)>> {
        let pending = match self
            .verifier(key)
            .and_then(|verifier| verifier.precheck(key.token()))
        {
            Ok(pending) => pending,
            Err(error) => {
                bump(&self.stats.verifications);
                return Some(Err(error));
            }
        };
        let public_key = self.keys.fresh_key(pending.key_ref())?;
        let started = pending.signature_job(&public_key).and_then(|job| {
            let Some(crypto_key) = webcrypto::imported(job.key()) else {
                return Ok(None);
            };
            let verdict = webcrypto::start_verify(
                job.algorithm(),
                &crypto_key,
                job.signing_input(),
                job.signature(),
            )?;
            Ok(Some((job, verdict)))
        });
        let started = started.transpose()?;
        bump(&self.stats.verifications);
        Some(started)
    }

    /// Takes WebCrypto's verdict for the request `id` and answers it (origin's promise or
    /// a deny).
    fn verdict(&self, id: u32, verdict: JsValue) -> Promise {
        let Some(waiting) = self.verifying.borrow_mut().remove(&id) else {
            return self.denied(500, &gone(), None);
        };
        let Verifying {
            request,
            head,
            mut ready,
            key,
            job,
        } = waiting;
        let kind = key.kind();
        let outcome = match verdict.as_bool() {
            Some(valid) => job
                .finish(valid)
                .and_then(|signed| self.identify(key, signed)),
            None => Err(webcrypto::verify_failed(&verdict)),
        };
        ready.push(Presented {
            source_kind: kind,
            outcome,
        });
        self.conclude(&request, &head, ready)
    }

    /// The async path: keys fetched (or imported) as needed, each credential in turn.
    fn verify_later(
        self: &Rc<Self>,
        request: Request,
        head: RequestHead,
        mut ready: Vec<Presented>,
        pending: Vec<CacheKey>,
        ctx: JsValue,
    ) -> Promise {
        let gate = self.clone();
        let client = gate.client_address(&request);
        future_to_promise(async move {
            for key in pending {
                let kind = key.kind();
                let outcome = gate.verify(key, client.as_deref(), &ctx).await;
                ready.push(Presented {
                    source_kind: kind,
                    outcome,
                });
            }
            // Resolving with origin's promise adopts it: no await (and no Rust callback)
            // for the response head.
            Ok(gate.conclude(&request, &head, ready).into())
        })
    }

    /// The policy's verdict on every credential now verified (or refused), acted on.
    fn conclude(
        &self,
        request: &Request,
        head: &RequestHead,
        mut ready: Vec<Presented>,
    ) -> Promise {
        // ALB first, as the synchronous path presents them.
        ready.sort_by_key(|p| p.source_kind as u8);
        let decision = self.config.policy.decide(&head.method, &head.path, &ready);
        self.finish(request, head, decision)
    }

    /// Everything that needs no waiting: logout, the route, the credentials, the cache.
    fn decide(&self, request: &Request, head: &mut RequestHead) -> Step {
        let (path, method) = (head.path.as_str(), head.method.as_str());

        if let Some(config) = &self.config.logout {
            if path == config.path {
                let headers = request.headers();
                let header = |name: &str| headers.get(name).ok().flatten();
                let (mode, dest, site, origin) = (
                    header("sec-fetch-mode"),
                    header("sec-fetch-dest"),
                    header("sec-fetch-site"),
                    header("origin"),
                );
                let url = request.url();
                let allowed = logout_allowed(&RequestSite {
                    method,
                    fetch_mode: mode.as_deref(),
                    fetch_dest: dest.as_deref(),
                    fetch_site: site.as_deref(),
                    origin: origin.as_deref(),
                    own_origin: origin_of(&url),
                });
                if !allowed {
                    return Step::Decided(Decision::Deny {
                        status: ErrorCode::CrossSiteRequest.http_status(),
                        error: Error::fixed(
                            ErrorCode::CrossSiteRequest,
                            "logout takes a top-level navigation (GET) or a same-origin POST",
                        ),
                        www_authenticate: None,
                    });
                }
                let (location, cookies) = logout(config, header("cookie").as_deref());
                return Step::Respond(redirect(&location, &cookies));
            }
        }

        // A public route (or a refused path) is decided without looking at credentials;
        // identity headers the client sent are still removed by `origin_request`.
        let route = self.config.policy.route(method, path);
        if !matches!(route, Ok(Route::Protected(_))) {
            return Step::Decided(self.config.policy.decide_on(route, &[]));
        }

        let credentials =
            Credentials::from_headers(head.alb_data.take(), head.authorization.as_deref())
                .presented(self.config.cognito.is_some());
        let now = now_secs();
        let mut ready = Vec::with_capacity(credentials.len());
        let mut pending = Vec::new();
        for (kind, token) in credentials {
            let key = CacheKey::new(kind, token);
            let cached = self.tokens.borrow_mut().get(&key, now);
            match cached {
                Some(identity) => {
                    bump(&self.stats.token_cache_hits);
                    ready.push(Presented {
                        source_kind: kind,
                        outcome: Ok((*identity).clone()),
                    });
                }
                None => pending.push(key),
            }
        }
        if pending.is_empty() {
            Step::Decided(self.config.policy.decide_on(route, &ready))
        } else {
            Step::Verify { ready, pending }
        }
    }

    /// The core's three steps: precheck → key (cache or fetch) → WebCrypto signature →
    /// claims as of now, then roles. The result goes into the verified-token cache.
    async fn verify(
        &self,
        cache_key: CacheKey,
        client: Option<&str>,
        ctx: &JsValue,
    ) -> Result<Identity> {
        bump(&self.stats.verifications);
        let pending = self.verifier(&cache_key)?.precheck(cache_key.token())?;
        let key = self.keys.resolve(pending.key_ref(), client, ctx).await?;
        let signed = webcrypto::verify_job(pending.signature_job(&key)?).await?;
        self.identify(cache_key, signed)
    }

    /// The client's address from `CLIENT_ADDRESS_HEADER` (its last entry, for a list such
    /// as `X-Forwarded-For`, where the nearest proxy appends the address it saw; earlier
    /// entries are the client's own word). Read only on the key-fetch path.
    fn client_address(&self, request: &Request) -> Option<String> {
        let name = self.config.client_address_header.as_deref()?;
        let value = request.headers().get(name).ok().flatten()?;
        let last = value.rsplit(',').next().unwrap_or("").trim();
        (!last.is_empty()).then(|| last.to_owned())
    }

    /// The verifier for a credential; a kind this worker has no settings for is refused. A
    /// Bearer token whose `iss` is Entra's goes to the Entra verifier (see `entra_access`).
    fn verifier(&self, key: &CacheKey) -> Result<&dyn TokenVerifier> {
        let entra = (key.kind() == CredentialKind::Bearer)
            .then_some(self.config.entra.as_ref())
            .flatten()
            .and_then(|entra| entra.verifier_for(key.token()));
        if let Some(entra) = entra {
            return Ok(entra);
        }
        match key.kind() {
            CredentialKind::Alb => self
                .config
                .alb
                .as_ref()
                .map(|v| v as &dyn TokenVerifier)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::SourceNotAccepted,
                        "ALB tokens are not accepted: this worker has no ALB_* settings",
                    )
                }),
            CredentialKind::Bearer => self
                .config
                .cognito
                .as_ref()
                .map(|v| v as &dyn TokenVerifier)
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::SourceNotAccepted,
                        "Bearer tokens are not accepted: this worker has no COGNITO_* settings",
                    )
                }),
        }
    }

    /// After the signature: the claims as of now, then roles; the identity goes into the
    /// verified-token cache.
    fn identify(&self, cache_key: CacheKey, signed: SignedToken) -> Result<Identity> {
        let verifier = self.verifier(&cache_key)?;
        let now = now_secs();
        let verified = verifier.validate(signed, now)?;
        let roles = collect_roles(&verified.claims, &self.config.roles);
        // Only what the gate uses is kept (see `token_cache`): the claims are dropped.
        let identity = Identity {
            source: verified.source,
            subject: verified.subject,
            roles: roles.roles,
            groups_overage: roles.groups_overage,
            expires_at: verified.expires_at,
            claims: Default::default(),
        };
        self.tokens
            .borrow_mut()
            .insert(cache_key, Rc::new(identity.clone()), now);
        Ok(identity)
    }

    /// Acts on the policy's verdict.
    fn finish(&self, request: &Request, head: &RequestHead, decision: Decision) -> Promise {
        match decision {
            Decision::Allow { identity } => self.forward(request, head, identity.as_ref()),
            Decision::Deny {
                status,
                error,
                www_authenticate,
            } if status == 403 && wants_page(&head.method, accept(request).as_deref()) => {
                bump(&self.stats.denied);
                resolved(deny_page(status, &error, www_authenticate.as_deref()).into())
            }
            Decision::Deny {
                status,
                error,
                www_authenticate,
            } => self.denied(status, &error, www_authenticate.as_deref()),
        }
    }

    /// Origin's `fetch` promise (a failed fetch becomes a 503 deny).
    fn forward(
        &self,
        request: &Request,
        head: &RequestHead,
        identity: Option<&Identity>,
    ) -> Promise {
        let target = format!("{}{}{}", self.config.origin, head.path, head.search);
        let outgoing = match origin_request(
            request,
            &target,
            &head.header_names,
            identity,
            self.config.forward_alb_access_token,
        ) {
            Ok(outgoing) => outgoing,
            Err(error) => return self.denied(error.code().http_status(), &error, None),
        };
        match platform::fetch_or_else(&outgoing, self.origin_failed.as_ref().unchecked_ref()) {
            Ok(promise) => {
                bump(&self.stats.forwarded);
                promise
            }
            Err(e) => {
                let error = from_js(ErrorCode::NetworkError, "origin could not be reached", &e);
                self.denied(error.code().http_status(), &error, None)
            }
        }
    }

    fn denied(&self, status: u16, error: &Error, www_authenticate: Option<&str>) -> Promise {
        bump(&self.stats.denied);
        let retry_after = self.config.tuning.negative_ttl_secs;
        resolved(deny(status, error, www_authenticate, retry_after).into())
    }
}

/// The request's `Accept` header (for [`wants_page`]).
fn accept(request: &Request) -> Option<String> {
    request.headers().get("accept").ok().flatten()
}

/// The deny for a verification whose state is gone (cannot happen while the gate lives).
fn gone() -> Error {
    Error::new(
        ErrorCode::InternalError,
        "the verification of this request was lost",
    )
}

/// A promise already settled with `value`.
pub fn resolved(value: JsValue) -> Promise {
    Promise::resolve(&value)
}
