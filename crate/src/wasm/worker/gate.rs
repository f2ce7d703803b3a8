//! One request, start to finish: logout, public routes, credential, verification (cached),
//! policy, forward. Every path that is not an explicit allow ends in a deny: the only
//! forward with an identity takes one the verifiers produced (now or, cached, earlier).
//!
//! The common cases stay synchronous on the Rust side: a public route or a token already
//! in the verified-token cache is decided without awaiting anything, and the answer is
//! origin's `fetch` promise itself. Only a token that must be verified goes through the
//! async path (key lookup, WebCrypto). This keeps a cached request close to a plain
//! pass-through in cost.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Request;

use super::config::GateConfig;
use super::credential::Credentials;
use super::forward::origin_request;
use super::head::RequestHead;
use super::keys::KeyStore;
use super::logout::logout;
use super::platform::{self, now_secs};
use super::respond::{deny, deny_error, redirect};
use super::token_cache::{
    CacheKey, CredentialKind, TokenCache, DEFAULT_CAPACITY, DEFAULT_MAX_BYTES,
};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::Identity;
use crate::jwt::TokenVerifier;
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
    pub stats: GateStats,
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
    pub fn new(config: GateConfig) -> Self {
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
        Gate {
            config,
            keys,
            tokens: RefCell::new(TokenCache::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES)),
            origin_failed,
            stats: GateStats::default(),
        }
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
            Step::Verify { mut ready, pending } => {
                let gate = self.clone();
                future_to_promise(async move {
                    for key in pending {
                        let kind = key.kind();
                        let outcome = gate.verify(key, &ctx).await;
                        ready.push(Presented {
                            source_kind: kind,
                            outcome,
                        });
                    }
                    // ALB first, as the synchronous path presents them.
                    ready.sort_by_key(|p| p.source_kind as u8);
                    let decision = gate.config.policy.decide(&head.method, &head.path, &ready);
                    // Resolving with origin's promise adopts it: no await (and no Rust
                    // callback) for the response head.
                    Ok(gate.finish(&request, &head, decision).into())
                })
            }
        }
    }

    /// Everything that needs no waiting: logout, the route, the credentials, the cache.
    fn decide(&self, request: &Request, head: &mut RequestHead) -> Step {
        let (path, method) = (head.path.as_str(), head.method.as_str());

        if let Some(config) = &self.config.logout {
            if path == config.path {
                let cookie = request.headers().get("cookie").ok().flatten();
                let (location, cookies) = logout(config, cookie.as_deref());
                return Step::Respond(redirect(&location, &cookies));
            }
        }

        // A public route (or a refused path) is decided without looking at credentials;
        // identity headers the client sent are still removed by `origin_request`.
        if !matches!(
            self.config.policy.route(method, path),
            Ok(Route::Protected(_))
        ) {
            return Step::Decided(self.config.policy.decide(method, path, &[]));
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
            Step::Decided(self.config.policy.decide(method, path, &ready))
        } else {
            Step::Verify { ready, pending }
        }
    }

    /// The core's three steps: precheck → key (cache or fetch) → WebCrypto signature →
    /// claims as of now, then roles. The result goes into the verified-token cache.
    async fn verify(&self, cache_key: CacheKey, ctx: &JsValue) -> Result<Identity> {
        bump(&self.stats.verifications);
        let token = cache_key.token();
        let verifier: &dyn TokenVerifier = match cache_key.kind() {
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
                })?,
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
                })?,
        };
        let pending = verifier.precheck(token)?;
        let key = self.keys.resolve(pending.key_ref(), ctx).await?;
        let signed = webcrypto::verify_job(pending.signature_job(&key)?).await?;
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
        let outgoing = match origin_request(request, &target, &head.header_names, identity) {
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

/// A promise already settled with `value`.
pub fn resolved(value: JsValue) -> Promise {
    Promise::resolve(&value)
}
