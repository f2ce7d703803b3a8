//! Reading wrangler `vars` and secrets from the `env` object the runtime hands the worker.
//!
//! Every read goes through [`Env::get`] (or [`Env::list`], [`Env::flag`]), so the rules are the
//! same for every setting: a value that is absent, `undefined` or blank counts as unset
//! (except for lists, where blank is an error); strings are trimmed; an object (a TOML table
//! in `wrangler.toml` arrives as one) is read back as its JSON text.

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
        Ok(self
            .raw(name)?
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty()))
    }

    /// A comma-separated list setting: `None` when unset. Set but naming nothing (blank,
    /// `","`) is an error rather than "unset": for a list that restricts (client ids, ARNs)
    /// an empty list would read as "no restriction", so the gate would fail open.
    pub fn list(&self, name: &str, what: &str) -> Result<Option<Vec<String>>> {
        let Some(text) = self.raw(name)? else {
            return Ok(None);
        };
        let items = split_list(&text);
        if items.is_empty() {
            return Err(invalid(name, &format!("is set but names no {what}")));
        }
        Ok(Some(items))
    }

    /// A `true`/`false` setting (`None` when unset).
    pub fn flag(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name)?.as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(invalid(name, "must be true or false")),
        }
    }

    /// The setting as the runtime holds it: `None` only when absent, `undefined` or `null`.
    fn raw(&self, name: &str) -> Result<Option<String>> {
        if self.0.is_undefined() || self.0.is_null() {
            return Ok(None);
        }
        let value = Reflect::get(&self.0, &name.into()).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match value.as_string() {
            Some(s) => Ok(Some(s)),
            None if value.is_object() => JSON::stringify(&value)
                .ok()
                .and_then(|s| s.as_string())
                .map(Some)
                .ok_or_else(|| invalid(name, "is an object that cannot be read as JSON")),
            None => Err(invalid(name, "must be a string")),
        }
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
