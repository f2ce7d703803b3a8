//! The browser APIs the adapter uses, each wrapped once: the clock, `fetch`,
//! `sessionStorage`, the address bar and navigation. Every failure becomes a crate error.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Headers, RequestCredentials, RequestInit, RequestRedirect, Response, Storage,
    Window,
};

use crate::entra::HttpRequest;
use crate::error::{Error, ErrorCode, Result};
use crate::wasm::js_error::from_js;

/// How long one request may take before it counts as a network error.
const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// An HTTP answer: status and body text.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

fn window() -> Result<Window> {
    web_sys::window().ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidConfig,
            "EntraAuth runs in a browser window (no `window` here)",
        )
    })
}

/// Unix seconds, from `Date.now()`.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Sends `request` with `fetch`: no cookies, no redirects followed, bounded in time.
pub async fn send(request: &HttpRequest) -> Result<Answer> {
    let unreachable = |e: &JsValue| {
        from_js(
            ErrorCode::NetworkError,
            &format!("{} could not be reached", origin_of(&request.url)),
            e,
        )
    };
    let headers = Headers::new().map_err(|e| unreachable(&e))?;
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(|e| unreachable(&e))?;
    }
    let init = RequestInit::new();
    init.set_method(request.method.as_str());
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_credentials(RequestCredentials::Omit);
    init.set_redirect(RequestRedirect::Error);
    init.set_signal(Some(&AbortSignal::timeout_with_u32(REQUEST_TIMEOUT_MS)));
    let promise = window()?.fetch_with_str_and_init(&request.url, &init);
    let response: Response = JsFuture::from(promise)
        .await
        .map_err(|e| unreachable(&e))?
        .unchecked_into();
    let text = response.text().map_err(|e| unreachable(&e))?;
    let body = JsFuture::from(text)
        .await
        .map_err(|e| unreachable(&e))?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        status: response.status(),
        body,
    })
}

/// `scheme://host:port` of a URL, for messages (never the query: it may hold secrets).
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map(|i| i + after_scheme)
        .unwrap_or(url.len());
    &url[..end]
}

/// `sessionStorage`, or an error saying why not (blocked by privacy settings, sandboxed).
pub fn session_storage() -> Result<Storage> {
    window()?.session_storage().ok().flatten().ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidConfig,
            "sessionStorage is not available, so a login cannot be carried across the redirect",
        )
    })
}

/// The keys in `storage` that start with `prefix`.
pub fn keys_with_prefix(storage: &Storage, prefix: &str) -> Vec<String> {
    let len = storage.length().unwrap_or(0);
    (0..len)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(prefix))
        .collect()
}

/// The page's full URL.
pub fn current_url() -> Result<String> {
    window()?
        .location()
        .href()
        .map_err(|e| from_js(ErrorCode::InvalidConfig, "cannot read the page URL", &e))
}

/// Replaces the address bar's URL without navigating or adding a history entry.
pub fn replace_url(url: &str) -> Result<()> {
    let history = window()?
        .history()
        .map_err(|e| from_js(ErrorCode::InvalidConfig, "no history API", &e))?;
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(url))
        .map_err(|e| from_js(ErrorCode::InvalidConfig, "history.replaceState failed", &e))
}

/// Navigates the page to `url`.
pub fn navigate(url: &str) -> Result<()> {
    window()?
        .location()
        .assign(url)
        .map_err(|e| from_js(ErrorCode::InvalidConfig, "cannot navigate", &e))
}
