//! A small, strict JSON (RFC 8259) reader and writer for untrusted input: token headers and
//! claims, JWKS documents, discovery documents and provider answers.
//!
//! Why not serde_json here: it is the largest piece of the browser package's wasm, and these
//! paths only ever need a tree to look members up in. Operator configuration (policies, the
//! group→role table, worker and CLI settings) still uses serde_json; it never reaches the
//! browser build.
//!
//! Stricter than `JSON.parse` and serde_json in one way that matters for tokens: an object
//! with the same member name twice is refused (see [`parse`]).
//!
//! Numbers keep their text ([`Number`]), so writing a value back is exact and nothing here
//! ever formats a float.

mod read;
mod value;
pub(crate) mod write;

pub use read::{parse, JsonError, MAX_DEPTH, MAX_MEMBERS};
pub use value::{Map, Number, Value};
pub use write::{string_array, ObjectWriter};

/// A document that must be a JSON object (every provider answer and stored record is one);
/// the error says why it is not, in words that fit after "… is not readable: ".
pub fn parse_object(bytes: &[u8]) -> Result<Map, String> {
    match parse(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("it is {}, not an object", other.kind())),
        Err(e) => Err(e.to_string()),
    }
}

/// Tests build claims with `serde_json::json!`; this turns one into the tree read here.
#[cfg(test)]
pub(crate) fn object_from_serde(value: serde_json::Value) -> Map {
    match parse(value.to_string().as_bytes()) {
        Ok(Value::Object(map)) => map,
        other => panic!("not a JSON object: {other:?}"),
    }
}

#[cfg(test)]
mod tests;
