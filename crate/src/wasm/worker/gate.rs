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

use super::assertion_cache::{self, AssertionCache};
use super::config::GateConfig;
use super::credential::Credentials;
use super::decision_log::{DecisionRecord, Outcome};
use super::deny_page::{deny_page, wants_page};
use super::deny_text::public_error;
use super::forward::{origin_request, Added};
use super::head::{RequestHead, Trace};
use super::keys::KeyStore;
use super::log_batch::LogBatch;
use super::logout::{logout, logout_allowed, origin_of, RequestSite};
use super::platform::{self, now_secs};
use super::request_id;
use super::respond::{deny, deny_error, jwks, redirect};
use super::signer::Signer;
use super::token_cache::{
    CacheKey, CredentialKind, TokenCache, DEFAULT_CAPACITY, DEFAULT_MAX_BYTES,
};
use crate::assertion::{self, Binding, BoundRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::Identity;
use crate::jwt::{SignatureJob, SignedToken, TokenVerifier};
use crate::policy::{challenge, Decision, Presented, Route};
use crate::scopes::collect_scopes;
use crate::wasm::js_error::from_js;
use crate::wasm::webcrypto;

#[derive(Default)]
pub struct GateStats {
    pub requests: Cell<u64>,
    pub forwarded: Cell<u64>,
    pub denied: Cell<u64>,
    pub verifications: Cell<u64>,
    pub token_cache_hits: Cell<u64>,
    /// Assertions signed (an unbound one is reused from `assertions` after that).
    pub assertions_signed: Cell<u64>,
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
    /// This isolate's request-id prefix and the number of the last request (see
    /// `request_id`).
    id_prefix: String,
    next_request: Cell<u64>,
    /// `ASSERTION_KEY`'s WebCrypto signer; `None` without assertions.
    signer: Option<Signer>,
    /// Unbound assertions for reuse (see `assertion_cache`).
    assertions: RefCell<AssertionCache>,
    /// Decision-log lines waiting to be written (see `log_batch`).
    log_batch: RefCell<LogBatch>,
    /// This gate, for the forwards that wait for a signature.
    me: Weak<Gate>,
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
    /// route is public), with those credentials (the decision log names who was denied).
    Decided(Decision, Vec<Presented>),
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
        let expose_detail = config.expose_deny_detail;
        let origin_failed = Closure::wrap(Box::new(move |e: JsValue| -> JsValue {
            let error = from_js(ErrorCode::NetworkError, "origin could not be reached", &e);
            platform::log_error(&format!("entra-edge-auth: {error}"));
            deny_error(&public_error(&error, expose_detail), 0).into()
        }) as Box<dyn FnMut(JsValue) -> JsValue>);
        // Without a random source (never seen in workerd) ids are still unique per isolate,
        // only no longer across isolates.
        let id_prefix = request_id::prefix(&crate::random::random_32().unwrap_or([0; 32]));
        let signer = config
            .assertion
            .as_ref()
            .map(|a| Signer::new(a.key.clone()));
        let log_batch = RefCell::new(LogBatch::new(config.log_batch));
        Rc::new_cyclic(|gate: &Weak<Gate>| {
            let me = gate.clone();
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
                id_prefix,
                next_request: Cell::new(0),
                signer,
                assertions: RefCell::new(AssertionCache::new(assertion_cache::DEFAULT_CAPACITY)),
                log_batch,
                me,
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

    /// Signs once with the assertion key (importing it), so a key WebCrypto refuses is
    /// found before the first request needs it. `Ok` without a key.
    pub async fn check_signer(&self) -> Result<()> {
        match &self.signer {
            Some(signer) => signer.sign(b"entra-edge-auth key check").await.map(|_| ()),
            None => Ok(()),
        }
    }

    pub fn cached_assertions(&self) -> usize {
        self.assertions.borrow().len()
    }

    /// Resolves to the response for `request`; never rejects.
    pub fn handle(self: &Rc<Self>, request: Request, ctx: JsValue) -> Promise {
        bump(&self.stats.requests);
        let started_ms = platform::now_ms();
        let Some(mut head) = RequestHead::read(&request) else {
            let error = Error::new(ErrorCode::InvalidPath, "the request URL does not parse");
            let trace = self.trace(&request, "", started_ms);
            self.log_deny(&request.method(), "", &trace, &error, None);
            return self.denied(error.code().http_status(), &error, None);
        };
        head.trace = self.trace(&request, &head.header_names, started_ms);
        match self.decide(&request, &mut head) {
            Step::Respond(response) => {
                self.log_allow(&head, Some(response.status()), None);
                resolved(response.into())
            }
            Step::Decided(decision, ready) => self.finish(&request, &head, decision, &ready),
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
        self.finish(request, head, decision, &ready)
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
                    let deny = Decision::Deny {
                        status: ErrorCode::CrossSiteRequest.http_status(),
                        error: Error::fixed(
                            ErrorCode::CrossSiteRequest,
                            "logout takes a top-level navigation (GET) or a same-origin POST",
                        ),
                        www_authenticate: None,
                    };
                    return Step::Decided(deny, Vec::new());
                }
                let (location, cookies) = logout(config, header("cookie").as_deref());
                return Step::Respond(redirect(&location, &cookies));
            }
        }

        // The assertion keys are public: served by the gate itself, whatever the policy.
        if let Some(config) = &self.config.assertion {
            if path == config.jwks_path && (method == "GET" || method == "HEAD") {
                return Step::Respond(jwks(&config.jwks, method == "HEAD"));
            }
        }

        // A public route (or a refused path) is decided without looking at credentials;
        // identity headers the client sent are still removed by `origin_request`.
        let route = self.config.policy.route(method, path);
        if !matches!(route, Ok(Route::Protected(_))) {
            return Step::Decided(self.config.policy.decide_on(route, &[]), Vec::new());
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
        // `None` when the request carried no credential (nothing was looked up).
        let looked_up = !ready.is_empty() || !pending.is_empty();
        head.trace.token_cache_hit = looked_up.then_some(pending.is_empty());
        if pending.is_empty() {
            Step::Decided(self.config.policy.decide_on(route, &ready), ready)
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
    /// Bearer token whose `iss` is Entra's goes to the Entra verifier (see `entra_access`);
    /// any other goes to the Cognito pool its `iss` names, and is refused before any key
    /// fetch when it names none (see `CognitoPools`).
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
            CredentialKind::Bearer => match &self.config.cognito {
                Some(pools) => pools
                    .verifier_for(key.token())
                    .map(|v| v as &dyn TokenVerifier),
                None => Err(Error::new(
                    ErrorCode::SourceNotAccepted,
                    "Bearer tokens are not accepted: this worker has no COGNITO_* settings",
                )),
            },
        }
    }

    /// After the signature: the claims as of now, then roles; the identity goes into the
    /// verified-token cache.
    fn identify(&self, cache_key: CacheKey, signed: SignedToken) -> Result<Identity> {
        let verifier = self.verifier(&cache_key)?;
        let now = now_secs();
        let verified = verifier.validate(signed, now)?;
        let roles =
            self.config
                .role_claims
                .collect(verified.source, &verified.claims, &self.config.roles);
        // Only what the gate uses is kept (see `token_cache`): the claims are dropped.
        let identity = Identity {
            source: verified.source,
            subject: verified.subject,
            roles: roles.roles,
            scopes: collect_scopes(verified.source, &verified.claims),
            groups_overage: roles.groups_overage,
            expires_at: verified.expires_at,
            claims: Default::default(),
        };
        self.tokens
            .borrow_mut()
            .insert(cache_key, Rc::new(identity.clone()), now);
        Ok(identity)
    }

    /// Acts on the policy's verdict; `presented` are the credentials it was made on (a
    /// deny's log line names whom it refused).
    fn finish(
        &self,
        request: &Request,
        head: &RequestHead,
        decision: Decision,
        presented: &[Presented],
    ) -> Promise {
        let (status, error, www_authenticate) = match decision {
            Decision::Allow { identity } => return self.forward(request, head, identity.as_ref()),
            Decision::Deny {
                status,
                error,
                www_authenticate,
            } => (status, error, www_authenticate),
        };
        let who = presented.iter().find_map(|p| p.outcome.as_ref().ok());
        self.log_deny(&head.method, &head.path, &head.trace, &error, who);
        // The client sees the fixed sentence for the code (unless EXPOSE_DENY_DETAIL), in
        // the body and in the challenge alike; the detail went to the log line above.
        let www_authenticate = if self.config.expose_deny_detail {
            www_authenticate
        } else {
            www_authenticate.and(challenge(&public_error(&error, false), status))
        };
        if status == 403 && wants_page(&head.method, accept(request).as_deref()) {
            bump(&self.stats.denied);
            let shown = public_error(&error, self.config.expose_deny_detail);
            return resolved(deny_page(status, &shown, www_authenticate.as_deref()).into());
        }
        self.denied(status, &error, www_authenticate.as_deref())
    }

    /// Origin's `fetch` promise (a failed fetch becomes a 503 deny), once the request's
    /// assertion is at hand: from the cache (unbound, still fresh), or signed first.
    fn forward(
        &self,
        request: &Request,
        head: &RequestHead,
        identity: Option<&Identity>,
    ) -> Promise {
        let (Some(config), Some(_), Some(identity)) =
            (&self.config.assertion, &self.signer, identity)
        else {
            return self.send(request, head, identity, None);
        };
        let now = now_secs();
        let settings = &config.settings;
        let cache_key = match settings.binding {
            Binding::Token => {
                let key = assertion_cache::key_for(identity);
                let cached = self.assertions.borrow().get(&key, now, settings.ttl_secs);
                if let Some(jws) = cached {
                    return self.send(request, head, Some(identity), Some(&jws));
                }
                Some(key)
            }
            Binding::Request => None,
        };
        let made = match settings.binding {
            Binding::Token => assertion::unsigned(settings, config.key.kid(), identity, now, None),
            Binding::Request => {
                request_binding(&config.origin_path, &head.path).and_then(|(htu, jti)| {
                    let bound = BoundRequest {
                        method: &head.method,
                        path: &htu,
                        id: &jti,
                    };
                    assertion::unsigned(settings, config.key.kid(), identity, now, Some(bound))
                })
            }
        };
        let (unsigned, gate) = match (made, self.me.upgrade()) {
            (Ok(unsigned), Some(gate)) => (unsigned, gate),
            (Err(error), _) => return self.refuse_forward(head, &error, Some(identity)),
            (_, None) => return self.refuse_forward(head, &gone(), Some(identity)),
        };
        // `Clone::clone` of the handle (web-sys's own `clone` is JS `Request.clone()`,
        // which would tee the body).
        let request = <Request as Clone>::clone(request);
        let (head, identity) = (head.clone(), identity.clone());
        future_to_promise(async move {
            let Some(signer) = &gate.signer else {
                return Ok(gate.refuse_forward(&head, &gone(), Some(&identity)).into());
            };
            let signature = match signer.sign(unsigned.signing_input.as_bytes()).await {
                Ok(signature) => signature,
                Err(error) => {
                    platform::log_error(&format!("entra-edge-auth: {error}"));
                    return Ok(gate.refuse_forward(&head, &error, Some(&identity)).into());
                }
            };
            bump(&gate.stats.assertions_signed);
            let jws: Rc<str> = assertion::compact(&unsigned.signing_input, &signature).into();
            if let Some(key) = cache_key {
                gate.assertions
                    .borrow_mut()
                    .insert(key, jws.clone(), unsigned.expires_at, now);
            }
            // Resolving with origin's promise adopts it.
            Ok(gate
                .send(&request, &head, Some(&identity), Some(&jws))
                .into())
        })
    }

    /// A forward the gate could not prepare: logged and denied with the error's code.
    fn refuse_forward(&self, head: &RequestHead, error: &Error, who: Option<&Identity>) -> Promise {
        self.log_deny(&head.method, &head.path, &head.trace, error, who);
        self.denied(error.code().http_status(), error, None)
    }

    /// Sends the origin request with what the gate adds.
    fn send(
        &self,
        request: &Request,
        head: &RequestHead,
        identity: Option<&Identity>,
        assertion: Option<&str>,
    ) -> Promise {
        let origin = &self.config.origin;
        let mut target = String::with_capacity(origin.len() + head.path.len() + head.search.len());
        target.push_str(origin);
        target.push_str(&head.path);
        target.push_str(&head.search);
        let added = Added {
            request_id: &head.trace.request_id,
            assertion,
            origin_auth: self.config.origin_auth.as_ref(),
        };
        let outgoing = match origin_request(
            request,
            &target,
            &head.header_names,
            identity,
            &added,
            self.config.forward_alb_access_token,
        ) {
            Ok(outgoing) => outgoing,
            Err(error) => return self.refuse_forward(head, &error, identity),
        };
        match platform::fetch_or_else(&outgoing, self.origin_failed.as_ref().unchecked_ref()) {
            Ok(promise) => {
                bump(&self.stats.forwarded);
                self.log_allow(head, None, identity);
                promise
            }
            Err(e) => {
                let error = from_js(ErrorCode::NetworkError, "origin could not be reached", &e);
                self.refuse_forward(head, &error, identity)
            }
        }
    }

    /// The request's id (see `request_id`) and start time. `cf-ray` is read only when the
    /// request carries it (`header_names` lists it).
    fn trace(&self, request: &Request, header_names: &str, started_ms: f64) -> Trace {
        let ray = header_names
            .split(',')
            .any(|name| name == "cf-ray")
            .then(|| request.headers().get("cf-ray").ok().flatten())
            .flatten();
        let request_id = match ray.as_deref().and_then(request_id::from_cf_ray) {
            Some(ray) => ray.to_owned(),
            None => {
                let n = self.next_request.get().wrapping_add(1);
                self.next_request.set(n);
                request_id::generated(&self.id_prefix, n)
            }
        };
        Trace {
            request_id,
            started_ms,
            token_cache_hit: None,
        }
    }

    /// A deny's line: always written. Its status is the code's, as every deny's is (the
    /// policy's included).
    fn log_deny(
        &self,
        method: &str,
        path: &str,
        trace: &Trace,
        error: &Error,
        who: Option<&Identity>,
    ) {
        let status = error.code().http_status();
        self.write_line(
            method,
            path,
            trace,
            Outcome::Deny,
            Some(status),
            Some(error),
            who,
        );
    }

    /// An allow's line, when `LOG_ALLOW_SAMPLE` keeps it (decided before anything of the
    /// line is built).
    fn log_allow(&self, head: &RequestHead, status: Option<u16>, who: Option<&Identity>) {
        let sample = self.config.allow_sample;
        let draw = if sample.needs_draw() {
            platform::random_draw()
        } else {
            0.0
        };
        if sample.keeps(true, draw) {
            let (method, path) = (&head.method, &head.path);
            self.write_line(method, path, &head.trace, Outcome::Allow, status, None, who);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_line(
        &self,
        method: &str,
        path: &str,
        trace: &Trace,
        outcome: Outcome,
        status: Option<u16>,
        error: Option<&Error>,
        who: Option<&Identity>,
    ) {
        let now = platform::now_ms();
        let rule = self.config.policy.matched_rule(method, path);
        let record = DecisionRecord {
            time_ms: now.max(0.0) as u64,
            request_id: &trace.request_id,
            method,
            path,
            rule: rule.map(|(index, rule)| (index, rule.path())),
            source: who.map(|i| i.source.family()),
            subject: who.map(|i| i.subject.as_str()),
            outcome,
            status,
            error: error.map(|e| (e.code().as_str(), e.message())),
            token_cache_hit: trace.token_cache_hit,
            gate_ms: (now - trace.started_ms).max(0.0) as u64,
        };
        let line = record.to_json(self.config.log_subject);
        if !self.config.log_batch.batches() {
            return platform::log_line(&line);
        }
        // A deny is written at once (with the allows before it); allows wait for a batch.
        let ready = self
            .log_batch
            .borrow_mut()
            .push(&line, outcome == Outcome::Deny);
        if let Some(text) = ready {
            platform::log_line(&text);
        }
    }

    pub fn log_batch_ms(&self) -> u32 {
        self.config.log_batch.longest_wait_ms()
    }

    pub fn log_waiting(&self) -> bool {
        !self.log_batch.borrow().is_empty()
    }

    /// Writes every line waiting.
    pub fn flush_log(&self) {
        let waiting = self.log_batch.borrow_mut().take();
        if let Some(text) = waiting {
            platform::log_line(&text);
        }
    }

    /// The JSON deny, with the client's view of `error` (see `deny_text`).
    fn denied(&self, status: u16, error: &Error, www_authenticate: Option<&str>) -> Promise {
        bump(&self.stats.denied);
        let retry_after = self.config.tuning.negative_ttl_secs;
        let shown = public_error(error, self.config.expose_deny_detail);
        resolved(deny(status, &shown, www_authenticate, retry_after).into())
    }
}

/// The request's `Accept` header (for [`wants_page`]).
fn accept(request: &Request) -> Option<String> {
    request.headers().get("accept").ok().flatten()
}

/// A bound assertion's `htu` (the path origin receives: `ORIGIN_URL`'s path, then the
/// request's, no query) and `jti` (16 random bytes, base64url).
fn request_binding(origin_path: &str, path: &str) -> Result<(String, String)> {
    let random = crate::random::random_32()?;
    let jti = crate::base64url::encode(&random[..16]);
    Ok((format!("{origin_path}{path}"), jti))
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
