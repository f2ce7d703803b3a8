//! The edge worker adapter: the core's verifiers, key cache, roles and policy behind one
//! `fetch` handler for workerd / Cloudflare Workers.
//!
//! The JS entry (`worker/src/index.js`) builds one [`EdgeGate`] per isolate from `env` and
//! hands it every request. Everything that decides lives here in Rust:
//!
//! - [`config`]: settings from `env`, checked once; errors answer every request with 500;
//! - [`gate`]: the per-request flow (logout, public routes, credential, verify, policy);
//! - [`head`]: what the gate reads of a request (URL, method, header names, credentials);
//! - [`credential`]: which token the request carries;
//! - [`entra_access`]: Entra access tokens as Bearer (told from Cognito's by `iss`);
//! - [`keys`]: fetches for the core's key cache (Cache API, one in flight per URL, deadline);
//! - [`token_cache`]: verified tokens until their `exp` (LRU, bounded);
//! - [`strip`]: which of the client's headers may reach origin;
//! - [`forward`]: the origin request;
//! - [`origin_proof`]: the settings of what proves to origin a request came through the
//!   gate (the signed assertion, the shared secret);
//! - [`signer`]: the assertion's signature (WebCrypto, the key imported once per isolate);
//! - [`assertion_cache`]: unbound assertions reused for a token's later requests;
//! - [`respond`] and [`logout`]: the answers the worker makes itself;
//! - [`deny_page`]: the HTML 403 for a browser navigation (API clients keep the JSON);
//! - [`deny_text`]: what a deny tells the client (a fixed sentence per code by default);
//! - [`decision_log`]: one JSON line per decision (the record; the gate writes it);
//! - [`log_batch`]: decision-log lines held back to be written several at a time;
//! - [`request_id`]: the id a decision is logged under and origin receives;
//! - [`platform`]: the clock, `fetch`, `waitUntil`, the Cache API, logging;
//! - [`vectors`]: a test-only signature check for the Wycheproof run inside workerd.

mod assertion_cache;
mod config;
mod credential;
mod decision_log;
mod deny_page;
mod deny_text;
mod entra_access;
mod env;
mod forward;
mod gate;
mod head;
mod keys;
mod log_batch;
mod logout;
mod origin_proof;
mod platform;
mod request_id;
mod respond;
mod signer;
mod strip;
mod token_cache;
mod vectors;

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::Request;

use crate::error::Error;
use config::GateConfig;
use env::Env;
use gate::Gate;

/// One per isolate: the parsed configuration (or the error it had) and the caches.
#[wasm_bindgen]
pub struct EdgeGate {
    inner: Result<Rc<Gate>, Error>,
}

#[wasm_bindgen]
impl EdgeGate {
    /// Parses and checks the configuration in `env`. Never throws: a bad configuration is
    /// logged here and answered as a 500 naming the setting on every request.
    #[wasm_bindgen(constructor)]
    pub fn new(env: JsValue) -> EdgeGate {
        let inner = GateConfig::from_env(&Env::new(env)).map(Gate::new);
        if let Err(error) = &inner {
            platform::log_error(&format!("entra-edge-auth: configuration error: {error}"));
        }
        EdgeGate { inner }
    }

    /// Handles one request; resolves to the `Response` (never rejects).
    pub fn handle(&self, request: Request, ctx: JsValue) -> Promise {
        match &self.inner {
            Ok(gate) => gate.handle(request, ctx),
            Err(error) => gate::resolved(respond::deny_error(error, 0).into()),
        }
    }

    /// The configuration error as `"<code>: <message>"` (the message starts with the
    /// setting's name), or `None` when the settings are valid. For launchers that refuse to
    /// start a misconfigured gate (`worker/workerd/start.mjs`) rather than serve 500s.
    #[wasm_bindgen(js_name = configError)]
    pub fn config_error(&self) -> Option<String> {
        self.inner
            .as_ref()
            .err()
            .map(|error| format!("{}: {}", error.code().as_str(), error.message()))
    }

    /// Resolves to the assertion key's problem as `"<code>: <message>"`, or `null` (no
    /// problem, no key, or a configuration error `configError` already reports). Imports
    /// `ASSERTION_KEY` into WebCrypto and signs once: a JWK whose `x`/`y` are not `d`'s
    /// public point reads fine but is refused there. For launchers, after `configError`.
    #[wasm_bindgen(js_name = checkAssertionKey)]
    pub fn check_assertion_key(&self) -> Promise {
        let gate = self.inner.as_ref().ok().cloned();
        wasm_bindgen_futures::future_to_promise(async move {
            let problem = match gate {
                Some(gate) => gate.check_signer().await.err(),
                None => None,
            };
            Ok(problem.map_or(JsValue::NULL, |e| {
                format!("{}: {}", e.code().as_str(), e.message()).into()
            }))
        })
    }

    /// How long a decision-log line may wait to be written (`LOG_BATCH_MS`), or 0 when
    /// every line is written as it is made (the default). Read once by the JS entry: it
    /// calls [`EdgeGate::flush_log`] that long after a request left lines waiting.
    #[wasm_bindgen(js_name = logBatchMs)]
    pub fn log_batch_ms(&self) -> u32 {
        match &self.inner {
            Ok(gate) => gate.log_batch_ms(),
            Err(_) => 0,
        }
    }

    /// Whether decision-log lines are waiting to be written.
    #[wasm_bindgen(js_name = logWaiting)]
    pub fn log_waiting(&self) -> bool {
        self.inner.as_ref().is_ok_and(|gate| gate.log_waiting())
    }

    /// Writes the decision-log lines waiting, if any.
    #[wasm_bindgen(js_name = flushLog)]
    pub fn flush_log(&self) {
        if let Ok(gate) = &self.inner {
            gate.flush_log();
        }
    }

    /// Counters as JSON, for tests and operators: requests, verifications, token cache hits,
    /// key fetches.
    pub fn stats(&self) -> String {
        let Ok(gate) = &self.inner else {
            return "{}".to_owned();
        };
        let (s, k) = (&gate.stats, &gate.keys().stats);
        serde_json::json!({
            "requests": s.requests.get(),
            "forwarded": s.forwarded.get(),
            "denied": s.denied.get(),
            "verifications": s.verifications.get(),
            "token_cache_hits": s.token_cache_hits.get(),
            "assertions_signed": s.assertions_signed.get(),
            "cached_tokens": gate.cached_tokens(),
            "cached_assertions": gate.cached_assertions(),
            "key_network_fetches": k.network_fetches.get(),
            "key_shared_cache_hits": k.shared_cache_hits.get(),
            "key_stale_served": k.stale_served.get(),
        })
        .to_string()
    }
}
