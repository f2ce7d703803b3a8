//! The request origin receives: the client's request with the headers [`strip`](super::strip)
//! rules out removed and the verified identity added.
//!
//! `Authorization` is kept: after a verified ALB request it may carry a token origin itself
//! uses, and after a verified Bearer request it is the verified token.

use wasm_bindgen::prelude::*;
use web_sys::Request;

use super::origin_proof::OriginAuth;
use super::strip::{AlbForward, StripRules, ALB_IDENTITY};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::{Identity, TokenSource};
use crate::wasm::js_error::from_js;

/// The names of the `x-auth-*` headers, in the order [`origin_request`] sets them.
pub const IDENTITY_HEADERS: [&str; 3] = ["x-auth-sub", "x-auth-roles", "x-auth-source"];

// The origin request is built in one call into JS rather than one per header operation
// (it runs on every forward), with its strings packed into one (each string argument is a
// separate UTF-8 decode on the JS side). It only carries out what Rust decided:
// `packed` is `target \n drop \n request id \n sub \n roles \n source \n assertion \n
// auth name \n auth value`, where `drop` lists the headers to delete, `,`-separated (names
// are RFC 9110 tokens: no `,`, no `\n`), the request id replaces any `x-request-id` the
// client sent (see `request_id`), the next three are the identity header values, set when
// `identity` is true, then `x-auth-assertion` and the `ORIGIN_AUTH_HEADER` pair, each set
// when not empty. A value the Headers API refuses throws its index (0 = sub, 1 = roles,
// 2 = source, 3 = assertion, 4 = the secret); any other failure throws the runtime's error.
#[wasm_bindgen(inline_js = r#"
export function build_origin_request(request, packed, identity) {
  const [target, drop, id, sub, roles, source, assertion, authName, authValue] = packed.split('\n');
  const out = new Request(target, request);
  const h = out.headers;
  if (drop) for (const name of drop.split(',')) h.delete(name);
  h.set('x-request-id', id);
  if (identity) {
    const values = [sub, roles, source];
    const names = ['x-auth-sub', 'x-auth-roles', 'x-auth-source'];
    for (let i = 0; i < 3; i++) {
      try { h.set(names[i], values[i]); } catch { throw i; }
    }
  }
  if (assertion) { try { h.set('x-auth-assertion', assertion); } catch { throw 3; } }
  if (authName) { try { h.set(authName, authValue); } catch { throw 4; } }
  return out;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn build_origin_request(
        request: &Request,
        packed: &str,
        identity: bool,
    ) -> std::result::Result<Request, JsValue>;
}

/// What the gate adds to every forward besides the identity headers.
pub struct Added<'a> {
    /// `x-request-id`.
    pub request_id: &'a str,
    /// `x-auth-assertion` (verified requests, with `ASSERTION_KEY`).
    pub assertion: Option<&'a str>,
    /// `ORIGIN_AUTH_HEADER: ORIGIN_AUTH_SECRET` (every forward).
    pub origin_auth: Option<&'a OriginAuth>,
}

/// The request to send to origin: same method, path, query and body; filtered headers; the
/// identity headers when there is an identity (public routes have none). `target` is
/// `ORIGIN_URL` + path + query; `header_names` the request's header names, `,`-separated.
///
/// The copy is made by the runtime (`new Request(target, request)`: headers and body stream
/// natively), then the client's identity headers are deleted from it by name, which keeps
/// the per-request cost near a plain pass-through. `added.request_id` goes to origin as
/// `x-request-id`, in place of any the client sent; the assertion and the origin secret
/// replace any copy the client sent too (the strip rules drop those).
pub fn origin_request(
    request: &Request,
    target: &str,
    header_names: &str,
    identity: Option<&Identity>,
    added: &Added<'_>,
    forward_alb_access_token: bool,
) -> Result<Request> {
    let read = |name: &str| request.headers().get(name).ok().flatten();
    let origin_auth = added.origin_auth.map(|auth| auth.folded.as_str());
    let rules = strip_rules(
        header_names,
        identity,
        forward_alb_access_token,
        origin_auth,
        &read,
    );
    let request_id = added.request_id;
    let drop = header_names
        .split(',')
        .filter(|name| !name.is_empty() && !rules.keep(name))
        .collect::<Vec<_>>()
        .join(",");
    let build_failed = |e: &JsValue| {
        from_js(
            ErrorCode::InvalidConfig,
            "could not build the origin request",
            e,
        )
    };
    // A value the Headers API refuses (a control character in `sub`) must not become a
    // forward without identity: it is an error, so the request is denied.
    let refused = |name: &str| {
        Error::new(
            ErrorCode::MalformedClaims,
            format!("the verified {name} cannot be sent as a header"),
        )
    };
    let roles = identity.map(|i| i.roles.join(",")).unwrap_or_default();
    let values = [
        identity.map_or("", |i| i.subject.as_str()),
        roles.as_str(),
        identity.map_or("", |i| i.source.family()),
    ];
    // `\n` separates the packed fields, and no header value may hold one anyway: `pack`
    // refuses the target or request id holding one; a claim holding one is the token's.
    if let Some(i) = values.iter().position(|v| v.contains('\n')) {
        return Err(refused(IDENTITY_HEADERS[i]));
    }
    // The assertion is base64url and dots, the secret was checked as printable ASCII: a
    // refusal of either is the gate's fault, not the token's.
    let assertion = added.assertion.unwrap_or("");
    let (auth_name, auth_value) = added
        .origin_auth
        .map_or(("", ""), |auth| (auth.header.as_str(), auth.secret()));
    let packed = pack(&[
        target, &drop, request_id, values[0], values[1], values[2], assertion, auth_name,
        auth_value,
    ])
    .ok_or_else(|| build_failed(&JsValue::from_str("a gate header holds a line feed")))?;
    build_origin_request(request, &packed, identity.is_some()).map_err(|e| {
        match e.as_f64().and_then(|i| IDENTITY_HEADERS.get(i as usize)) {
            Some(name) => refused(name),
            None => build_failed(&e),
        }
    })
}

/// `fields` joined by `\n` for `build_origin_request`; `None` when a field holds a `\n`
/// itself (it would shift every field after it into the wrong header).
fn pack(fields: &[&str]) -> Option<String> {
    if fields.iter().any(|field| field.contains('\n')) {
        return None;
    }
    Some(fields.join("\n"))
}

/// What the strip rules need to know of this request; `read` answers a header's value.
/// The two header values are read only when the request carries those names (rare), so
/// the common forward reads none.
fn strip_rules(
    header_names: &str,
    identity: Option<&Identity>,
    forward_alb_access_token: bool,
    origin_auth: Option<&str>,
    read: &dyn Fn(&str) -> Option<String>,
) -> StripRules {
    let carries = |wanted: &str| header_names.split(',').any(|name| name == wanted);
    let connection = if carries("connection") {
        read("connection")
    } else {
        None
    };
    let alb = identity
        .filter(|i| i.source == TokenSource::Alb)
        .map(|i| AlbForward {
            identity_matches: carries(ALB_IDENTITY)
                && read(ALB_IDENTITY).as_deref() == Some(i.subject.as_str()),
            access_token: forward_alb_access_token,
        });
    StripRules {
        alb,
        connection,
        origin_auth: origin_auth.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::TokenSource;

    fn alb_user(subject: &str) -> Identity {
        Identity {
            source: TokenSource::Alb,
            subject: subject.into(),
            roles: vec![],
            scopes: vec![],
            groups_overage: false,
            expires_at: 100,
            claims: Default::default(),
        }
    }

    /// A request's headers, as `strip_rules` reads them.
    fn headers(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn strip_rules_read_what_the_request_carries() {
        let read = headers(&[("connection", "x-custom"), (ALB_IDENTITY, "alice")]);
        let names = "connection,x-amzn-oidc-identity,x-custom";
        let alice = alb_user("alice");
        let rules = strip_rules(names, Some(&alice), true, Some("x-origin-auth"), &read);
        assert_eq!(rules.connection.as_deref(), Some("x-custom"));
        let alb = rules.alb.as_ref().expect("an ALB identity");
        assert!(alb.identity_matches && alb.access_token);
        assert_eq!(rules.origin_auth.as_deref(), Some("x-origin-auth"));
        assert!(!rules.keep("x-custom") && !rules.keep("x_origin_auth"));
        // Another subject's identity header does not match; an unlisted name is not read.
        let bob = alb_user("bob");
        let rules = strip_rules("x-amzn-oidc-identity", Some(&bob), false, None, &read);
        let alb = rules.alb.as_ref().expect("an ALB identity");
        assert!(!alb.identity_matches && !alb.access_token);
        assert_eq!(rules.connection, None);
        assert!(rules.origin_auth.is_none());
        let unlisted = strip_rules("", Some(&alice), false, None, &read);
        assert!(
            !unlisted
                .alb
                .as_ref()
                .expect("an ALB identity")
                .identity_matches
        );
        // No ALB identity: no ALB headers travel.
        assert!(strip_rules(names, None, true, None, &read).alb.is_none());
    }

    #[test]
    fn packing_refuses_a_field_that_would_shift_the_others() {
        assert_eq!(pack(&["a", "", "c"]).as_deref(), Some("a\n\nc"));
        assert_eq!(pack(&["a", "b\nc"]), None);
        assert_eq!(pack(&["a\n", "b"]), None);
        assert_eq!(pack(&["a", "b", "\n"]), None);
    }
}
