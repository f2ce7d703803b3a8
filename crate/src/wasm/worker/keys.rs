//! Key fetching for the core's sans-IO [`KeyCache`]: the cache decides, this module fetches.
//!
//! Three layers, cheapest first:
//! 1. the isolate's `KeyCache` (TTL, unknown-kid cooldown, negative caching: all core rules);
//! 2. the Workers Cache API (`caches.default`), shared by the isolates of a data centre, so a
//!    cold isolate does not refetch: a document another isolate fetched less than the key
//!    TTL ago is used as is; one up to the stale window (`KEY_STALE_SECONDS`) older still
//!    serves (when it holds the wanted kid) for a short grace while one background fetch
//!    revalidates it. The grace never reaches past the window: a key server that keeps
//!    failing cannot stretch trust in a stale key beyond TTL + window (it fails closed);
//! 3. the key server, with a deadline.
//!
//! One fetch per URL is in flight per isolate: concurrent requests for the same URL await
//! the same promise. When the core asks for a fetch after the isolate already looked at the
//! shared copy (an unknown kid), only the key server can answer, and the core's cooldown
//! has already decided that this refetch is allowed. When the core refuses a fetch (an
//! unknown kid during the cooldown), the shared copy is still looked at once: another
//! isolate may have fetched the rotated key already, and reading it costs the key server
//! nothing.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::platform::{self, now_secs};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::key::{parse_jwks, parse_p256_pem, Algorithm, PublicKey};
use crate::jwt::{KeyRef, KeySource};
use crate::keys::{KeyCache, KeyFetch, KeyLookup, MAX_KEY_DOCUMENT_BYTES};
use crate::quote::excerpt;
use crate::tuning::Tuning;

/// How long an isolate uses a stale shared document before asking again (the background
/// revalidation normally lands well within it).
const STALE_GRACE_SECS: u64 = 30;

/// Counters for tests and operators (see `EdgeGate::stats`).
#[derive(Default)]
pub struct KeyStats {
    pub network_fetches: Cell<u64>,
    pub shared_cache_hits: Cell<u64>,
    pub stale_served: Cell<u64>,
}

pub struct KeyStore {
    cache: RefCell<KeyCache>,
    tuning: Tuning,
    timeout_ms: u32,
    /// How long past the TTL a shared document may still serve while it is revalidated.
    stale_secs: u64,
    /// URL → (id, the fetch in flight for it); the promise resolves to whether it reached
    /// the key server. The id lets a finished fetch remove its own entry and no other.
    in_flight: RefCell<HashMap<String, (u64, Promise)>>,
    next_fetch_id: Cell<u64>,
    /// URL → `fetched_at` of the document this isolate loaded, to tell a newer shared copy.
    loaded_at: RefCell<HashMap<String, u64>>,
    pub stats: KeyStats,
}

impl KeyStore {
    pub fn new(tuning: Tuning, timeout_ms: u32, stale_secs: u64) -> Rc<Self> {
        Rc::new(KeyStore {
            cache: RefCell::new(KeyCache::new(tuning)),
            tuning,
            timeout_ms,
            stale_secs,
            in_flight: RefCell::new(HashMap::new()),
            next_fetch_id: Cell::new(0),
            loaded_at: RefCell::new(HashMap::new()),
            stats: KeyStats::default(),
        })
    }

    /// The key `key` names when this isolate holds it fresh; `None` otherwise. No fetch, no
    /// await, no cooldown started: the caller falls back to [`KeyStore::resolve`].
    pub fn fresh_key(&self, key: &KeyRef) -> Option<PublicKey> {
        self.cache.borrow().fresh_key(key, now_secs()).cloned()
    }

    /// The key `key` names, fetching as the core's cache asks. `client` is the request's
    /// client address when the deployment names one (it ranks unknown kids, see
    /// [`KeyCache::lookup_for`]); `ctx` is the request's execution context (for `waitUntil`).
    pub async fn resolve(
        self: &Rc<Self>,
        key: &KeyRef,
        client: Option<&str>,
        ctx: &JsValue,
    ) -> Result<PublicKey> {
        let mut asked_network = false;
        let mut used_shared = false;
        let mut joined = false;
        loop {
            // The borrow ends with this statement: no RefCell borrow is held across an await.
            let lookup = self.cache.borrow_mut().lookup_for(key, now_secs(), client);
            let fetch = match lookup {
                KeyLookup::Found(found) => return Ok(found),
                KeyLookup::Unavailable(error) => {
                    // The cooldown refuses a fetch because one is under way for this very
                    // URL (concurrent first requests for a new kid): wait for its answer
                    // instead of refusing, then look again.
                    if !joined && error.code() == ErrorCode::UnknownKid {
                        joined = true;
                        if self.join_in_flight(key).await {
                            continue;
                        }
                    }
                    if !used_shared && error.code() == ErrorCode::UnknownKid {
                        used_shared = true;
                        if self.adopt_shared(key).await {
                            continue;
                        }
                    }
                    return Err(error);
                }
                KeyLookup::Fetch(fetch) => fetch,
            };
            if asked_network {
                // The key server was just asked and the kid is still not there.
                return Err(Error::new(
                    ErrorCode::UnknownKid,
                    format!("no key with kid {} in the key set", excerpt(&key.kid)),
                ));
            }
            let allow_shared = !used_shared;
            used_shared = true;
            asked_network = self.fetch_once(fetch, allow_shared, ctx).await;
        }
    }

    /// Waits for the fetch of `key`'s document this isolate has in flight, if any; whether
    /// there was one.
    async fn join_in_flight(&self, key: &KeyRef) -> bool {
        let url = KeyCache::fetch_for(key).url;
        let Some(promise) = self.in_flight.borrow().get(&url).map(|(_, p)| p.clone()) else {
            return false;
        };
        // `load` never rejects; a rejection would only mean the runtime cancelled it.
        let _ = JsFuture::from(promise).await;
        true
    }

    /// A fresh shared copy of `key`'s document that holds its kid, taken into this
    /// isolate's cache; whether there was one.
    async fn adopt_shared(&self, key: &KeyRef) -> bool {
        let Some(cache) = platform::shared_cache() else {
            return false;
        };
        let fetch = KeyCache::fetch_for(key);
        let Some((fetched_at, body)) = platform::shared_cache_get(&cache, &fetch.url).await else {
            return false;
        };
        let fresh = now_secs().saturating_sub(fetched_at) < self.tuning.key_ttl_secs;
        if !fresh || !holds_kid(key, &body) {
            return false;
        }
        self.store(&fetch, 200, &body, fetched_at);
        self.stats
            .shared_cache_hits
            .set(self.stats.shared_cache_hits.get() + 1);
        true
    }

    /// Performs (or joins) the fetch for `fetch.url`; the outcome lands in the key cache.
    /// Answers whether the key server was asked.
    async fn fetch_once(
        self: &Rc<Self>,
        fetch: KeyFetch,
        allow_shared: bool,
        ctx: &JsValue,
    ) -> bool {
        let existing = self
            .in_flight
            .borrow()
            .get(&fetch.url)
            .map(|(_, p)| p.clone());
        let promise = match existing {
            Some(promise) => promise,
            None => {
                let store = self.clone();
                let ctx = ctx.clone();
                self.spawn_fetch(fetch.url.clone(), move |id| async move {
                    let asked_network = store.load(&fetch, allow_shared, &ctx).await;
                    store.finish_fetch(&fetch.url, id);
                    asked_network
                })
            }
        };
        // `load` never rejects; a rejection would only mean the runtime cancelled it.
        JsFuture::from(promise)
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(true)
    }

    async fn load(self: &Rc<Self>, fetch: &KeyFetch, allow_shared: bool, ctx: &JsValue) -> bool {
        let shared = if allow_shared {
            platform::shared_cache()
        } else {
            None
        };
        if let Some(cache) = &shared {
            if let Some((fetched_at, body)) = platform::shared_cache_get(cache, &fetch.url).await {
                if self.use_shared(fetch, fetched_at, &body, ctx) {
                    return false;
                }
            }
        }
        self.fetch_network(fetch, ctx).await;
        true
    }

    /// Takes a document from the shared cache when it is fresh and newer than what this
    /// isolate holds, or stale within the window and holding the wanted kid (then it serves
    /// for a short grace while one background fetch revalidates it).
    fn use_shared(
        self: &Rc<Self>,
        fetch: &KeyFetch,
        fetched_at: u64,
        body: &[u8],
        ctx: &JsValue,
    ) -> bool {
        let now = now_secs();
        let age = now.saturating_sub(fetched_at);
        let ttl = self.tuning.key_ttl_secs;
        let newer = self
            .loaded_at
            .borrow()
            .get(&fetch.url)
            .map_or(true, |&held| fetched_at > held);
        if age < ttl && newer {
            self.store(fetch, 200, body, fetched_at);
            self.stats
                .shared_cache_hits
                .set(self.stats.shared_cache_hits.get() + 1);
            return true;
        }
        let window_end = ttl + self.stale_secs;
        if age >= ttl && age < window_end && holds_kid(fetch.key_ref(), body) {
            // Used for a short grace, and never past the end of the stale window.
            let grace = STALE_GRACE_SECS.min(ttl).min(window_end - age);
            self.store(fetch, 200, body, (now + grace).saturating_sub(ttl));
            self.stats
                .stale_served
                .set(self.stats.stale_served.get() + 1);
            let store = self.clone();
            let revalidate = fetch.clone();
            let background_ctx = ctx.clone();
            // Requests that need this URL meanwhile join the revalidation.
            let promise = self.spawn_fetch(fetch.url.clone(), move |id| async move {
                store.fetch_network(&revalidate, &background_ctx).await;
                store.finish_fetch(&revalidate.url, id);
                true
            });
            platform::wait_until(ctx, &promise);
            return true;
        }
        false
    }

    /// Starts `work` as the in-flight fetch for `url` and returns its promise.
    fn spawn_fetch<F, Fut>(&self, url: String, work: F) -> Promise
    where
        F: FnOnce(u64) -> Fut,
        Fut: std::future::Future<Output = bool> + 'static,
    {
        let id = self.next_fetch_id.get() + 1;
        self.next_fetch_id.set(id);
        let future = work(id);
        let promise = future_to_promise(async move { Ok(JsValue::from_bool(future.await)) });
        self.in_flight
            .borrow_mut()
            .insert(url, (id, promise.clone()));
        promise
    }

    fn finish_fetch(&self, url: &str, id: u64) {
        let mut in_flight = self.in_flight.borrow_mut();
        if in_flight
            .get(url)
            .is_some_and(|(current, _)| *current == id)
        {
            in_flight.remove(url);
        }
    }

    async fn fetch_network(self: &Rc<Self>, fetch: &KeyFetch, ctx: &JsValue) {
        self.stats
            .network_fetches
            .set(self.stats.network_fetches.get() + 1);
        let answer =
            platform::get_with_deadline(&fetch.url, self.timeout_ms, MAX_KEY_DOCUMENT_BYTES).await;
        let now = now_secs();
        match answer {
            Ok((status, body)) => {
                if !(200..300).contains(&status) {
                    // The URL goes to the operator's log only (denies never name it).
                    platform::log_error(&format!(
                        "entra-edge-auth: key server {} answered HTTP {status}",
                        fetch.url
                    ));
                }
                self.store(fetch, status, &body, now);
                if (200..300).contains(&status) && holds_usable_keys(fetch.key_ref(), &body) {
                    self.share(fetch, &body, now, ctx);
                }
            }
            Err(error) => {
                platform::log_error(&format!("entra-edge-auth: {error}"));
                self.cache.borrow_mut().store_failure(fetch, error, now);
            }
        }
    }

    fn store(&self, fetch: &KeyFetch, status: u16, body: &[u8], fetched_at: u64) {
        self.cache
            .borrow_mut()
            .store_response(fetch, status, body, fetched_at);
        if (200..300).contains(&status) {
            self.loaded_at
                .borrow_mut()
                .insert(fetch.url.clone(), fetched_at);
        }
    }

    fn share(&self, fetch: &KeyFetch, body: &[u8], fetched_at: u64, ctx: &JsValue) {
        let Some(cache) = platform::shared_cache() else {
            return;
        };
        let max_age = self.tuning.key_ttl_secs + self.stale_secs;
        if let Some(put) = platform::shared_cache_put(&cache, &fetch.url, body, fetched_at, max_age)
        {
            platform::wait_until(ctx, &put);
        }
    }
}

/// Whether a key document parses as the key set's type, so garbage is never shared.
fn holds_usable_keys(key: &KeyRef, body: &[u8]) -> bool {
    match key.source {
        KeySource::Jwks { .. } => parse_jwks(body, Algorithm::Rs256).is_ok(),
        KeySource::AlbPem { .. } => parse_p256_pem(body).is_ok(),
    }
}

/// Whether a key document holds the kid asked for (an ALB document is the kid's own key).
fn holds_kid(key: &KeyRef, body: &[u8]) -> bool {
    match key.source {
        KeySource::Jwks { .. } => parse_jwks(body, Algorithm::Rs256)
            .map(|keys| keys.iter().any(|(kid, _)| *kid == key.kid))
            .unwrap_or(false),
        KeySource::AlbPem { .. } => parse_p256_pem(body).is_ok(),
    }
}
