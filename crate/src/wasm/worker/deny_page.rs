//! The 403 a person sees: a browser navigation (a `GET`/`HEAD` whose `Accept` names
//! `text/html`) that the policy refuses after the user signed in gets an HTML page saying
//! what happened and what to do, instead of the JSON body API clients read. Same status,
//! same code (in the page and in `x-auth-error`), same `WWW-Authenticate` challenge.
//! 401s stay JSON: behind an ALB a browser never reaches the gate without a session.

use web_sys::{Headers, Response, ResponseInit};

use crate::error::Error;

/// Whether a deny for this request should be a page: a navigation that asks for HTML.
pub fn wants_page(method: &str, accept: Option<&str>) -> bool {
    let navigation = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let html = accept.is_some_and(|accept| {
        accept.split(',').any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/html"))
        })
    });
    navigation && html
}

/// The page's HTML: a heading, the policy's message (escaped: it can quote token contents)
/// and the code for support.
pub fn page_html(status: u16, error: &Error) -> String {
    let code = error.code().as_str();
    let (title, advice) = match status {
        403 => (
            "You don't have access to this page",
            "You are signed in, but your account has no role that opens this part of the \
             application. If you need it, ask your administrator to add you to the right \
             group, then sign out and sign in again.",
        ),
        _ => (
            "This request was refused",
            "Sign out and sign in again; if it keeps happening, contact your administrator.",
        ),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{status} {title}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}}\
         code{{background:#eef1f4;padding:0 .3em;border-radius:3px}}</style></head><body>\
         <h1 id=\"deny-title\">{title}</h1><p id=\"deny-advice\">{advice}</p>\
         <p id=\"deny-detail\">{detail}</p>\
         <p>Error code: <code id=\"deny-code\">{code}</code> (HTTP {status})</p>\
         <p><a href=\"/logout\">Sign out</a></p></body></html>",
        detail = escape(error.message()),
    )
}

/// The HTML deny, with the headers the JSON one has (no CORS: a page is not for scripts).
pub fn deny_page(status: u16, error: &Error, www_authenticate: Option<&str>) -> Response {
    let headers = Headers::new().ok();
    if let Some(h) = &headers {
        let _ = h.set("content-type", "text/html; charset=utf-8");
        let _ = h.set("cache-control", "no-store");
        let _ = h.set("x-auth-error", error.code().as_str());
        if let Some(challenge) = www_authenticate {
            let _ = h.set("www-authenticate", challenge);
        }
    }
    let init = ResponseInit::new();
    init.set_status(status);
    if let Some(h) = &headers {
        init.set_headers_headers(h);
    }
    Response::new_with_opt_str_and_init(Some(&page_html(status, error)), &init)
        .unwrap_or_else(|_| Response::error())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_browser_navigation_wants_a_page() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
        assert!(wants_page("GET", Some(chrome)));
        assert!(wants_page("head", Some("TEXT/HTML")));
    }

    #[test]
    fn api_clients_keep_json() {
        assert!(!wants_page("GET", None));
        assert!(!wants_page("GET", Some("*/*")));
        assert!(!wants_page("GET", Some("application/json")));
        assert!(!wants_page("GET", Some("text/htmlx, application/json")));
        assert!(!wants_page("POST", Some("text/html")));
    }

    #[test]
    fn the_message_is_escaped() {
        let e = Error::new(
            ErrorCode::RoleDenied,
            "needs <script>alert('x')</script> & more",
        );
        let html = page_html(403, &e);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(html.contains("<code id=\"deny-code\">role_denied</code>"));
    }
}
