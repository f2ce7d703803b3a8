//! Reading wrangler `vars` and secrets from the `env` object the runtime hands the worker.
//!
//! Every read goes through [`Env::get`], so the rules are the same for every setting: a value
//! that is absent, `undefined` or blank counts as unset; strings are trimmed; an object (a
//! TOML table in `wrangler.toml` arrives as one) is read back as its JSON text.

use js_sys::{Reflect, JSON};
use wasm_bindgen::JsValue;

use crate::error::{Error, ErrorCode, Result};

/// The worker's `env`.
pub struct Env(JsValue);

impl Env {
    pub fn new(env: JsValue) -> Self {
        Env(env)
    }

    /// The setting `name` as text, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Result<Option<String>> {
        if self.0.is_undefined() || self.0.is_null() {
            return Ok(None);
        }
        let value = Reflect::get(&self.0, &name.into()).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let text =
            match value.as_string() {
                Some(s) => s,
                None if value.is_object() => JSON::stringify(&value)
                    .ok()
                    .and_then(|s| s.as_string())
                    .ok_or_else(|| invalid(name, "is an object that cannot be read as JSON"))?,
                None => return Err(invalid(name, "must be a string")),
            };
        let trimmed = text.trim();
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }
}

/// An `invalid_config` error whose message starts with the setting's name, so the 500 a
/// misconfigured worker answers with says what to fix.
pub fn invalid(name: &str, why: &str) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("{name} {why}"))
}

/// `a, b,c` → `["a", "b", "c"]`, blanks dropped.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
