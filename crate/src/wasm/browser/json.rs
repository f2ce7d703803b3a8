//! The adapter's one door to JSON: everything it reads from JS text and writes back as
//! text goes through the core's strict reader ([`parse`]) and writer ([`ObjectWriter`],
//! straight to text). No serde in the browser build.

pub use crate::json::{string_array, Map, ObjectWriter, Value};

/// A JSON document from JS text; the error says why it did not parse.
pub fn parse(text: &str) -> Result<Value, String> {
    crate::json::parse(text.as_bytes()).map_err(|e| e.to_string())
}

/// Unix seconds and other counts as a JSON number.
pub fn number(n: u64) -> Value {
    Value::from(n)
}

/// A string as a JSON value.
pub fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}
