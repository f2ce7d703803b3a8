//! The few platform calls the worker makes, each wrapped once: the clock, `fetch` with a
//! deadline, `ctx.waitUntil`, the Workers Cache API and logging.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Cache, Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit,
};

use crate::error::{Error, ErrorCode, Result};
use crate::wasm::js_error::from_js;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (workerd's `ServiceWorkerGlobalScope` has no `window`).
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &Request) -> std::result::Result<Promise, JsValue>;
}

// `fetch(request).catch(handler)` in one crossing instead of two (it runs per forward).
#[wasm_bindgen(inline_js = "export function fetch_catch(r, h) { return fetch(r).catch(h); }")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn fetch_catch(request: &Request, handler: &Function) -> std::result::Result<Promise, JsValue>;
}

// `promise.then(v => f(id, v), e => f(id, e))` in one crossing: the continuation made
// once in Rust, told which request it continues (no closure made in Rust per request).
#[wasm_bindgen(
    inline_js = "export function then_for(p, f, id) { const g = (v) => f(id, v); return p.then(g, g); }"
)]
extern "C" {
    fn then_for(promise: &Promise, continuation: &Function, id: u32) -> Promise;
}

/// `continuation(id, value)` with whatever `promise` settles with (its value or its
/// rejection); the returned promise settles as the continuation's answer does.
pub fn continue_with(promise: &Promise, continuation: &Function, id: u32) -> Promise {
    then_for(promise, continuation, id)
}

/// Sends `request`: the runtime's promise of the response, with a rejection turned into
/// `handler`'s answer. An `Err` is a synchronous throw of `fetch`.
pub fn fetch_or_else(
    request: &Request,
    handler: &Function,
) -> std::result::Result<Promise, JsValue> {
    fetch_catch(request, handler)
}

/// Unix seconds, from `Date.now()`: the only clock the worker reads.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0).floor().max(0.0) as u64
}

/// Sends `request` and awaits the response head.
pub async fn fetch(request: &Request) -> std::result::Result<Response, JsValue> {
    let response = JsFuture::from(global_fetch(request)?).await?;
    response.dyn_into::<Response>()
}

/// A GET of `url` that is abandoned after `timeout_ms` (headers and body alike: the abort
/// signal covers the whole exchange), answering `(status, body)`. Bodies over `max_bytes`
/// are refused before they are read when their length is announced.
pub async fn get_with_deadline(
    url: &str,
    timeout_ms: u32,
    max_bytes: usize,
) -> Result<(u16, Vec<u8>)> {
    let failed = |why: &str, e: &JsValue| {
        from_js(
            ErrorCode::KeyFetchFailed,
            &format!("key fetch from {url} {why}"),
            e,
        )
    };
    let init = RequestInit::new();
    init.set_method("GET");
    // A redirect is not followed: it answers 3xx, which the key cache treats as a failure.
    init.set_redirect(RequestRedirect::Manual);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(timeout_ms)));
    let request =
        Request::new_with_str_and_init(url, &init).map_err(|e| failed("could not start", &e))?;
    let response = fetch(&request)
        .await
        .map_err(|e| failed(&format!("failed or took over {timeout_ms} ms"), &e))?;
    let status = response.status();
    let announced = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|len| len > max_bytes) {
        return Err(Error::new(
            ErrorCode::MalformedKey,
            format!("the key document at {url} is over {max_bytes} bytes"),
        ));
    }
    let body = response
        .array_buffer()
        .map_err(|e| failed("body could not be read", &e))?;
    let body = JsFuture::from(body)
        .await
        .map_err(|e| failed(&format!("body failed or took over {timeout_ms} ms"), &e))?;
    Ok((status, Uint8Array::new(&body).to_vec()))
}

/// `ctx.waitUntil(promise)` when the runtime gave a context; otherwise the promise simply
/// runs on (tests that call the gate without a context).
pub fn wait_until(ctx: &JsValue, promise: &Promise) {
    let wait = Reflect::get(ctx, &"waitUntil".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(wait) = wait {
        let _ = wait.call1(ctx, promise);
    }
}

/// `caches.default`, the Workers Cache API shared by the isolates of a data centre; `None`
/// where the runtime has none.
pub fn shared_cache() -> Option<Cache> {
    let caches = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    if caches.is_undefined() {
        return None;
    }
    Reflect::get(&caches, &"default".into())
        .ok()?
        .dyn_into::<Cache>()
        .ok()
}

/// The header the worker stores a key document's fetch time under in the shared cache.
const FETCHED_AT_HEADER: &str = "x-entra-edge-auth-fetched-at";

/// A key document from the shared cache: `(fetched_at, body)`. Any failure is a miss.
pub async fn shared_cache_get(cache: &Cache, url: &str) -> Option<(u64, Vec<u8>)> {
    let found = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response = found.dyn_into::<Response>().ok()?;
    let fetched_at = response
        .headers()
        .get(FETCHED_AT_HEADER)
        .ok()??
        .parse()
        .ok()?;
    let body = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some((fetched_at, Uint8Array::new(&body).to_vec()))
}

/// Stores a key document in the shared cache for `max_age` seconds. Returns the put's
/// promise (to hand to `waitUntil`), or `None` when the response could not be built.
pub fn shared_cache_put(
    cache: &Cache,
    url: &str,
    body: &[u8],
    fetched_at: u64,
    max_age: u64,
) -> Option<Promise> {
    let headers = Headers::new().ok()?;
    headers
        .set(FETCHED_AT_HEADER, &fetched_at.to_string())
        .ok()?;
    headers
        .set("cache-control", &format!("public, max-age={max_age}"))
        .ok()?;
    let init = ResponseInit::new();
    init.set_status(200);
    init.set_headers_headers(&headers);
    let bytes = Uint8Array::from(body);
    let response = Response::new_with_opt_buffer_source_and_init(Some(&bytes), &init).ok()?;
    Some(cache.put_with_str(url, &response))
}

/// Unix milliseconds, from `Date.now()` (on Workers it advances only across I/O, so a time
/// measured with it is the time spent waiting, not computing).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A uniform draw in [0, 1) (`Math.random()`: for log sampling, not for secrets).
pub fn random_draw() -> f64 {
    js_sys::Math::random()
}

/// One line on the worker's log (`console.log`: stdout under workerd, `wrangler tail`).
pub fn log_line(line: &str) {
    web_sys::console::log_1(&line.into());
}

pub fn log_error(message: &str) {
    web_sys::console::error_1(&message.into());
}
