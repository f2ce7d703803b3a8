//! The adapter's one door to JSON: everything it reads from JS text and writes back as
//! text goes through [`parse`] and [`write`], both the core's strict reader and writer
//! ([`crate::json`]). Values are built by hand (no serde in the browser build).

pub use crate::json::{Map, Value};

/// A JSON document from JS text; the error says why it did not parse.
pub fn parse(text: &str) -> Result<Value, String> {
    crate::json::parse(text.as_bytes()).map_err(|e| e.to_string())
}

/// A value as JSON text.
pub fn write(value: &Value) -> String {
    value.to_json()
}

/// Unix seconds and other counts as a JSON number.
pub fn number(n: u64) -> Value {
    Value::from(n)
}

/// A string as a JSON value.
pub fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// An object from `(name, value)` members. Inserted one by one: collecting into the map
/// would compile a sort for every call site's array length.
pub fn object(members: Vec<(&str, Value)>) -> Value {
    let mut object = Map::new();
    for (name, value) in members {
        object.insert(name.to_owned(), value);
    }
    Value::Object(object)
}

/// `Some(s)` as a string, `None` as `null`.
pub fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, string)
}
