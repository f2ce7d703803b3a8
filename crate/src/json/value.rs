//! The tree [`super::parse`] produces, with accessors shaped like serde_json's so code reads
//! the same.

use std::fmt;

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// See [`Number::as_f64`].
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// See [`Number::as_u64`].
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// See [`Number::as_i64`].
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The member `name` of an object; `None` for a missing member or a non-object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_object().and_then(|map| map.get(name))
    }

    /// What kind of value this is, for messages ("a string", "an object", …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Number(Number::from(n))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from(n))
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Self {
        Value::Object(map)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::Array(items)
    }
}

/// Compact JSON, as [`Value::to_json`] writes it.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// A JSON number as it was written (or as an integer formats), validated against the
/// RFC 8259 §6 grammar. Two numbers are equal when their text is: `1.0` and `1` differ,
/// which is what a round trip needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(Box<str>);

impl Number {
    /// Only for text the reader validated (or an integer's decimal form).
    pub(super) fn from_validated(lexeme: &str) -> Self {
        Number(lexeme.into())
    }

    /// The number's text, exactly as read.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Written as an integer. `-0` is not one: serde_json reads it as the float `-0.0`,
    /// and agreeing with it keeps outputs identical.
    fn is_integer(&self) -> bool {
        &*self.0 != "-0" && !self.0.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
    }

    /// The nearest `f64`. Out-of-range magnitudes give an infinity (`1e400`), so callers
    /// that need a real number check `is_finite`.
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok()
    }

    /// For an integer without fraction or exponent that fits in a `u64`; `3.0`, `1e3`,
    /// `-1` and `18446744073709551616` are `None`.
    pub fn as_u64(&self) -> Option<u64> {
        if self.is_integer() {
            crate::text::parse_u64(&self.0)
        } else {
            None
        }
    }

    /// For an integer without fraction or exponent that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(n.to_string().into())
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number(n.to_string().into())
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object: members in name order, each name at most once.
///
/// A sorted `Vec` rather than a `BTreeMap`: claim sets are small, lookups are binary
/// searches, and a B-tree (or a sort) would add kilobytes of code to the wasm builds.
/// Inserting shifts the members after the new one; the reader bounds that cost with
/// [`super::MAX_MEMBERS`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// Room for `members` without reallocating.
    pub fn with_capacity(members: usize) -> Self {
        Map(Vec::with_capacity(members))
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|(member, _)| member.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name`, returning what it held before.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let name = name.into();
        let value = value.into();
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Members in name order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.0.iter())
    }

    /// Member names in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(name, _)| name)
    }

    /// A member that must be a string when present: `Ok(None)` when absent or `null` (as
    /// serde reads an `Option<String>`), else a message naming the member.
    pub fn optional_str(&self, name: &str) -> Result<Option<&str>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("\"{name}\" is {}, not a string", other.kind())),
        }
    }

    /// A member that must be a string.
    pub fn required_str(&self, name: &str) -> Result<&str, String> {
        self.optional_str(name)?
            .ok_or_else(|| format!("\"{name}\" is missing"))
    }

    /// The reader's insert: hands the name back (and changes nothing) when it is already
    /// there.
    pub(super) fn insert_new(&mut self, name: String, value: Value) -> Result<(), String> {
        match self.find(&name) {
            Ok(_) => Err(name),
            Err(i) => {
                self.0.insert(i, (name, value));
                Ok(())
            }
        }
    }
}

/// Iterator over a [`Map`]'s members, in name order.
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, value)| (name, value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Later members replace earlier ones of the same name, as with `insert`.
impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut map = Map::new();
        for (name, value) in iter {
            map.insert(name, value);
        }
        map
    }
}

/// For the serde-based outputs that carry verified claims (the worker's and the CLI's
/// `Identity` JSON): numbers go out as integers when they are ones, else as `f64`.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => s.serialize_u64(u),
                (None, Some(i), _) => s.serialize_i64(i),
                (None, None, Some(f)) => s.serialize_f64(f),
                // Unreachable for a validated lexeme; refuse rather than invent a value.
                (None, None, None) => Err(serde::ser::Error::custom("unreadable number")),
            },
            Value::String(text) => s.serialize_str(text),
            Value::Array(items) => s.collect_seq(items),
            Value::Object(map) => map.serialize(s),
        }
    }
}

impl serde::Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}
