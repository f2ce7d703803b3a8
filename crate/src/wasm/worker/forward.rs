//! The request origin receives: the client's request with every identity header it sent
//! removed and the verified identity added.
//!
//! Removed, whatever their case (the Headers API lower-cases names):
//! - every `x-auth-*` header: only this worker sets them;
//! - every `x-amzn-oidc-*` header (`-data`, `-identity`, `-accesstoken`), unless the ALB token
//!   in `x-amzn-oidc-data` is the credential this worker verified, in which case ALB's
//!   headers travel on together (origin may want the access token);
//! - `host`: `fetch` sets it from `ORIGIN_URL`.
//!
//! `Authorization` is kept: after a verified ALB request it may carry a token origin itself
//! uses, and after a verified Bearer request it is the verified token.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Request, RequestInit};

use crate::error::{Error, ErrorCode, Result};
use crate::identity::{Identity, TokenSource};
use crate::wasm::js_error::from_js;

pub const AUTH_PREFIX: &str = "x-auth-";
pub const ALB_PREFIX: &str = "x-amzn-oidc-";

/// Whether a client-sent header named `name` may reach origin.
pub fn keep_header(name: &str, alb_verified: bool) -> bool {
    let name = name.to_ascii_lowercase();
    if name.starts_with(AUTH_PREFIX) || name == "host" {
        return false;
    }
    !name.starts_with(ALB_PREFIX) || alb_verified
}

/// The `x-auth-*` headers for a verified identity.
pub fn identity_headers(identity: &Identity) -> [(&'static str, String); 3] {
    [
        ("x-auth-sub", identity.subject.clone()),
        ("x-auth-roles", identity.roles.join(",")),
        ("x-auth-source", identity.source.family().to_owned()),
    ]
}

/// The request to send to origin: same method, path, query and body; filtered headers; the
/// identity headers when there is an identity (public routes have none). `target` is
/// `ORIGIN_URL` + path + query.
///
/// The copy is made by the runtime (`new Request(target, request)`: headers and body stream
/// natively), then the client's identity headers are deleted from it by name, which keeps
/// the per-request cost near a plain pass-through.
pub fn origin_request(
    request: &Request,
    target: &str,
    identity: Option<&Identity>,
) -> Result<Request> {
    let alb_verified = identity.is_some_and(|i| i.source == TokenSource::Alb);
    let failed = |e: JsValue| {
        from_js(
            ErrorCode::InvalidConfig,
            "could not build the origin request",
            &e,
        )
    };
    let outgoing = Request::new_with_str_and_init(target, request.unchecked_ref::<RequestInit>())
        .map_err(failed)?;
    let headers = outgoing.headers();
    // One crossing for the whole list (`Array.from(headers.keys())`) rather than one per
    // step of the iterator.
    let names: Vec<String> = js_sys::Array::from(&headers.keys())
        .iter()
        .filter_map(|name| name.as_string())
        .collect();
    for name in names.iter().filter(|name| !keep_header(name, alb_verified)) {
        headers.delete(name).map_err(failed)?;
    }
    if let Some(identity) = identity {
        for (name, value) in identity_headers(identity) {
            // A value the Headers API refuses (a control character in `sub`) must not
            // become a forward without identity: it is an error, so the request is denied.
            headers.set(name, &value).map_err(|_| {
                Error::new(
                    ErrorCode::MalformedClaims,
                    format!("the verified {name} cannot be sent as a header"),
                )
            })?;
        }
    }
    Ok(outgoing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_identity_headers_whatever_the_case() {
        for name in ["x-auth-roles", "X-Auth-Sub", "X-AUTH-whatever", "host"] {
            assert!(!keep_header(name, true), "{name}");
        }
        for name in [
            "x-amzn-oidc-data",
            "X-Amzn-Oidc-Identity",
            "x-amzn-oidc-accesstoken",
        ] {
            assert!(!keep_header(name, false), "{name}");
            assert!(keep_header(name, true), "{name}");
        }
        for name in ["authorization", "cookie", "content-type", "x-authx"] {
            assert!(keep_header(name, false), "{name}");
        }
    }
}
