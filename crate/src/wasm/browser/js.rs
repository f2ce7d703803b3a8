//! Values crossing to JS: the TypeScript declarations the `.d.ts` carries, and the
//! conversions of the session and the OBO answer to plain JS objects.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::store::{OboSession, Session};
use crate::entra::{AuthorizeOptions, Prompt};
use crate::error::{Error, ErrorCode, Result};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Settings for {@link EntraAuth}. */
export interface EntraAuthConfig {
  /** Directory (tenant) id: a GUID, or "organizations" / "common" for multi-tenant apps. */
  tenantId: string;
  /** Application (client) id of the app registration (platform "Single-page application"). */
  clientId: string;
  /** Exactly as registered under the SPA platform, e.g. "https://app.example.com/auth/callback". */
  redirectUri: string;
  /** Space-separated or a list; "openid" is always added.
   *  Default "openid profile email offline_access". Add your API's scope
   *  (e.g. "api://<api app id>/access_as_user") to get an access token the OBO endpoint accepts. */
  scopes?: string | string[];
  /** The OBO exchange endpoint (seed 003 contract), https (http only on loopback). */
  oboEndpoint?: string;
  /** Default "https://login.microsoftonline.com"; another cloud, or a local test provider. */
  authorityHost?: string;
  /** Where Entra sends the browser after logout; register it on the app. */
  postLogoutRedirectUri?: string;
  /** Where tokens are kept: "memory" (default; gone on reload) or "session" (sessionStorage,
   *  this tab only). Never localStorage. */
  storage?: "memory" | "session";
}

/** Options for {@link EntraAuth.login} and {@link EntraAuth.authorizeUrl}. */
export interface LoginOptions {
  prompt?: "login" | "none" | "consent" | "select_account";
  /** Pre-fills the user name at Entra. */
  loginHint?: string;
  /** Skips home-realm discovery, e.g. "contoso.com". */
  domainHint?: string;
}

/** The signed-in user, from the verified ID token. */
export interface Account {
  /** `preferred_username` (usually the UPN or e-mail). */
  username: string;
  name?: string;
  email?: string;
  /** `oid`: the user's object id in the directory. */
  objectId: string;
  /** `tid`: the directory the user signed in to. */
  tenantId: string;
  /** `sub`: the user's id for this app. */
  subject: string;
  /** `groups`, when the app registration emits them. */
  groups: string[];
  /** Always true: an account exists only after the ID token's signature (WebCrypto),
   *  issuer, audience, nonce, expiry and tenant were checked. */
  verified: true;
  /** ID token expiry, Unix seconds. */
  expiresAt: number;
  /** Every verified ID token claim. */
  claims: Record<string, unknown>;
}

/** What the OBO endpoint answered (seed 003), in JS naming. */
export interface OboResult {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  expiresIn: number;
  /** Unix seconds. */
  expiresAt: number;
  /** `stackflow_user_id`. */
  userId: string;
  roles: string[];
}

/** Every error this package throws or rejects with. Branch on `code`; show `message`. */
export interface EntraAuthError extends Error {
  name: "EntraEdgeAuthError";
  /** Stable snake_case code, e.g. "unknown_state", "nonce_mismatch", "login_required",
   *  "obo_unauthorized", "consent_required", "network_error" (see the README's table). */
  code: string;
  /** The HTTP status, when a server answered (token endpoint, OBO endpoint). */
  status?: number;
}
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawLoginOptions {
    prompt: Option<String>,
    login_hint: Option<String>,
    domain_hint: Option<String>,
}

/// `LoginOptions` from JS (`undefined` means none).
pub fn login_options(value: &JsValue) -> Result<AuthorizeOptions> {
    if value.is_undefined() || value.is_null() {
        return Ok(AuthorizeOptions::default());
    }
    let raw: RawLoginOptions =
        serde_json::from_slice(stringify(value)?.as_bytes()).map_err(|e| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("login options: {e} (expected prompt, loginHint, domainHint)"),
            )
        })?;
    Ok(AuthorizeOptions {
        prompt: raw.prompt.as_deref().map(Prompt::parse).transpose()?,
        login_hint: raw.login_hint,
        domain_hint: raw.domain_hint,
    })
}

/// `JSON.stringify(value)`.
pub fn stringify(value: &JsValue) -> Result<String> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidConfig,
                "the value is not JSON-serializable",
            )
        })
}

/// Sets `name` on a plain JS object. Setting a property on a fresh plain object cannot
/// fail; the impossible case is ignored rather than panicking.
fn set(object: &js_sys::Object, name: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(name), value);
}

/// A JSON value as a JS value (`JSON.parse` of its text). Serialized with
/// `serde_json::to_string`, the same serializer the session store uses: `Value`'s
/// `Display` would add a second copy of it to the wasm.
fn json_to_js(value: &impl serde::Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Sets `name` to a string, or leaves it out when absent (as the TypeScript types say).
fn set_str(object: &js_sys::Object, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        set(object, name, &JsValue::from_str(value));
    }
}

/// Sets `name` to a JSON value, or leaves it out when absent or `null`.
fn set_json(object: &js_sys::Object, name: &str, value: Option<&Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        set(object, name, &json_to_js(value));
    }
}

// Members are set in alphabetical order: the order the objects had when they were built
// as `serde_json::Value` maps.
pub fn account(session: &Session) -> JsValue {
    let claim = |name: &str| session.claim(name);
    let object = js_sys::Object::new();
    set(&object, "claims", &json_to_js(&session.claims));
    set_str(&object, "email", claim("email"));
    set_json(&object, "expiresAt", session.claims.get("exp"));
    match session.claims.get("groups") {
        Some(groups) => set_json(&object, "groups", Some(groups)),
        None => set(&object, "groups", &js_sys::Array::new()),
    }
    set_str(&object, "name", claim("name"));
    set_str(&object, "objectId", Some(claim("oid").unwrap_or_default()));
    set_str(&object, "subject", Some(claim("sub").unwrap_or_default()));
    set_str(&object, "tenantId", Some(claim("tid").unwrap_or_default()));
    let username = claim("preferred_username").or_else(|| claim("email"));
    set_str(&object, "username", Some(username.unwrap_or_default()));
    set(&object, "verified", &JsValue::TRUE);
    object.into()
}

pub fn obo_result(obo: &OboSession) -> JsValue {
    let t = &obo.tokens;
    let object = js_sys::Object::new();
    set_str(&object, "accessToken", Some(t.access_token.secret()));
    // Unix seconds: exact as a JS number up to 2^53.
    set(
        &object,
        "expiresAt",
        &JsValue::from_f64(obo.expires_at as f64),
    );
    set(
        &object,
        "expiresIn",
        &JsValue::from_f64(t.expires_in as f64),
    );
    set_str(&object, "idToken", Some(t.id_token.secret()));
    set_str(
        &object,
        "refreshToken",
        t.refresh_token.as_ref().map(|r| r.secret()),
    );
    let roles = js_sys::Array::new();
    for role in &t.roles {
        roles.push(&JsValue::from_str(role));
    }
    set(&object, "roles", &roles);
    set_str(&object, "userId", Some(&t.stackflow_user_id));
    object.into()
}
