//! Crate errors as JavaScript `Error` objects: `message` for people, `code` for programs.

use wasm_bindgen::JsValue;

use crate::error::{Error, ErrorCode};

/// A JS `Error` with `code` (the stable snake_case code) and `message`.
pub fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(error.message());
    // Setting a property on a fresh Error object cannot fail; ignore the impossible case
    // rather than panic inside error handling.
    let _ = js_sys::Reflect::set(&js, &"code".into(), &error.code().as_str().into());
    let _ = js_sys::Reflect::set(&js, &"name".into(), &"EntraEdgeAuthError".into());
    js.into()
}

/// A JS exception thrown by a platform API (fetch, crypto.subtle) as a crate error.
pub fn from_js(code: ErrorCode, context: &str, value: &JsValue) -> Error {
    let detail = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown JavaScript error".to_owned());
    Error::new(code, format!("{context}: {detail}"))
}

use wasm_bindgen::JsCast;
