//! Errors on their way to JS. One shape crosses: the JSON text `{"code", "message"}`,
//! thrown by the export; the package's JS module turns it into an `Error` with `code`,
//! `message` and, where a server answered, `status`.

use wasm_bindgen::prelude::*;

use super::json;
use crate::error::Error;

/// What a failed export throws.
pub fn fault(error: Error) -> JsValue {
    let shape = json::ObjectWriter::new()
        .string("code", error.code().as_str())
        .string("message", error.message())
        .finish();
    JsValue::from_str(&shape)
}

/// The result of an export: the value, or the thrown error text.
pub type Thrown<T> = Result<T, JsValue>;

/// `crate::Result` → [`Thrown`].
pub fn thrown<T>(result: crate::Result<T>) -> Thrown<T> {
    result.map_err(fault)
}

/// Every `code` the package's errors carry: the core's codes (crate/src/error.rs). Kept in
/// step with `ErrorCode::ALL` by a test (tests/browser/wasm).
pub const ERROR_CODES_TS: &str = r#"
/** The stable code of an {@link EntraAuthError}: the core's error codes (see the README's
 *  table). The ones a single-page app meets most: "unknown_state", "nonce_mismatch",
 *  "access_denied", "login_required", "consent_required", "obo_unauthorized",
 *  "network_error", "invalid_config". */
export type EntraAuthErrorCode =
  | "token_too_large" | "malformed_token" | "malformed_header" | "malformed_claims"
  | "unsupported_algorithm" | "unsupported_critical_header" | "invalid_kid"
  | "unknown_kid" | "key_fetch_failed" | "malformed_key" | "bad_signature"
  | "token_expired" | "token_not_yet_valid" | "issued_in_future" | "missing_claim"
  | "issuer_mismatch" | "audience_mismatch" | "client_mismatch" | "signer_mismatch"
  | "tenant_mismatch" | "nonce_mismatch" | "token_use_mismatch" | "binding_mismatch"
  | "graph_token"
  | "missing_credential" | "conflicting_credentials" | "source_not_accepted"
  | "role_denied" | "no_matching_route" | "invalid_path" | "invalid_policy"
  | "invalid_config" | "internal_error" | "cross_site_request"
  | "state_mismatch" | "unknown_state" | "missing_code" | "access_denied"
  | "authorization_failed" | "consent_required" | "redirect_uri_mismatch"
  | "response_type_not_enabled" | "spa_redirect_required" | "mfa_required"
  | "user_not_in_tenant" | "login_required" | "token_request_failed"
  | "invalid_response" | "network_error"
  | "obo_unauthorized" | "obo_failed"
  | "claims_challenge" | "malformed_challenge" | "invalid_return_to" | "api_unauthorized";

/** Every error the package throws or rejects with. Branch on `code`; show `message`. */
export interface EntraAuthError extends Error {
  name: "EntraEdgeAuthError";
  code: EntraAuthErrorCode;
  /** The HTTP status, when a server answered (discovery, token or OBO endpoint). */
  status?: number;
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &'static str = ERROR_CODES_TS;
