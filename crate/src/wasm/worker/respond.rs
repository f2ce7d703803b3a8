//! The answers the worker makes itself: JSON denies and the logout redirect.

use web_sys::{Headers, Response, ResponseInit};

use crate::error::Error;

/// A deny: `{"error": code, "message": text}` with `status`, the policy's RFC 6750
/// challenge when it gave one, `Retry-After` on a 503 (key server or origin trouble), and
/// `Access-Control-Allow-Origin: *`.
pub fn deny(
    status: u16,
    error: &Error,
    www_authenticate: Option<&str>,
    retry_after_secs: u64,
) -> Response {
    let headers = Headers::new().ok();
    if let Some(h) = &headers {
        let _ = h.set("content-type", "application/json");
        let _ = h.set("cache-control", "no-store");
        // A browser app on another origin must be able to read why it was refused (a deny
        // carries no data of origin's). `*` is never honoured for credentialed requests,
        // so a page can read only the denies of requests it made without cookies.
        let _ = h.set("access-control-allow-origin", "*");
        // And why in machine terms: a browser client renews its token on `invalid_token`
        // only if it may read the challenge (CORS hides other headers).
        let _ = h.set("access-control-expose-headers", "www-authenticate");
        if let Some(challenge) = www_authenticate {
            let _ = h.set("www-authenticate", challenge);
        }
        if status == 503 {
            let _ = h.set("retry-after", &retry_after_secs.to_string());
        }
    }
    respond(status, Some(&error.to_json()), headers.as_ref())
}

/// A deny decided outside the policy (configuration, origin down): the code's own status.
pub fn deny_error(error: &Error, retry_after_secs: u64) -> Response {
    deny(error.code().http_status(), error, None, retry_after_secs)
}

/// The assertion keys (RFC 7517 §5, `application/jwk-set+json` per §8.5): public, cached
/// five minutes by browsers and proxies (a rotation publishes the next key as
/// `ASSERTION_KEY_PREVIOUS`'s successor well before it signs), readable from any origin.
pub fn jwks(body: &str, head_only: bool) -> Response {
    let headers = Headers::new().ok();
    if let Some(h) = &headers {
        let _ = h.set("content-type", "application/jwk-set+json");
        let _ = h.set("cache-control", "public, max-age=300");
        let _ = h.set("access-control-allow-origin", "*");
    }
    respond(200, (!head_only).then_some(body), headers.as_ref())
}

/// `302 Location: url` with extra `set-cookie` values.
pub fn redirect(url: &str, cookies: &[String]) -> Response {
    let headers = Headers::new().ok();
    if let Some(h) = &headers {
        let _ = h.set("location", url);
        let _ = h.set("cache-control", "no-store");
        for cookie in cookies {
            let _ = h.append("set-cookie", cookie);
        }
    }
    respond(302, None, headers.as_ref())
}

fn respond(status: u16, body: Option<&str>, headers: Option<&Headers>) -> Response {
    let init = ResponseInit::new();
    init.set_status(status);
    if let Some(h) = headers {
        init.set_headers_headers(h);
    }
    // Building a Response from a string and a valid status cannot fail; the fallback keeps
    // this infallible without a panic path.
    Response::new_with_opt_str_and_init(body, &init).unwrap_or_else(|_| Response::error())
}
