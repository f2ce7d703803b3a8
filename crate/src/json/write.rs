//! Compact JSON out: no whitespace, members in name order, numbers as their text.

use super::value::{Map, Value};

impl Value {
    /// Compact JSON text. Non-ASCII stays raw UTF-8 (RFC 8259 §8.1); `"`, `\` and the
    /// control characters are escaped (§7).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(n.as_str()),
            Value::String(s) => write_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(map) => map.write(out),
        }
    }
}

impl Map {
    /// Compact JSON text of this object.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut String) {
        out.push('{');
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(name, out);
            out.push(':');
            value.write(out);
        }
        out.push('}');
    }
}

/// A JSON object written straight to text, member by member: for outputs made of a few
/// known fields (requests for JS to send, stored records, errors), where building a
/// [`Map`] first would cost allocations, a sorted insert per member and the tree's drop
/// code for nothing. Members must come in name order, as a [`Map`] writes them, so the
/// text is exactly what the tree would give (checked in debug builds).
#[derive(Debug)]
pub struct ObjectWriter {
    out: String,
    /// The previous member's name, for the order check.
    #[cfg(debug_assertions)]
    last: Option<String>,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        ObjectWriter::new()
    }
}

impl ObjectWriter {
    pub fn new() -> Self {
        ObjectWriter::with_capacity(0)
    }

    /// A writer whose text has room for `capacity` bytes before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity.max(1));
        out.push('{');
        ObjectWriter {
            out,
            #[cfg(debug_assertions)]
            last: None,
        }
    }

    /// Starts the member `name`; its value follows in `out`.
    fn name(&mut self, name: &str) -> &mut String {
        #[cfg(debug_assertions)]
        {
            assert!(
                self.last.as_deref().map_or(true, |last| last < name),
                "member {name:?} out of name order"
            );
            self.last = Some(name.to_owned());
        }
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(name, &mut self.out);
        self.out.push(':');
        &mut self.out
    }

    /// A string member.
    pub fn string(&mut self, name: &str, value: &str) -> &mut Self {
        write_string(value, self.name(name));
        self
    }

    /// A string member, or `null` for `None`.
    pub fn optional(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(name, value),
            None => self.raw(name, "null"),
        }
    }

    /// An unsigned integer member (Unix seconds, lifetimes).
    pub fn number(&mut self, name: &str, value: u64) -> &mut Self {
        push_digits(self.name(name), value, 10);
        self
    }

    /// An unsigned integer member, or `null` for `None`.
    pub fn optional_number(&mut self, name: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(value) => self.number(name, value),
            None => self.raw(name, "null"),
        }
    }

    /// A member whose value is an object.
    pub fn object(&mut self, name: &str, value: &Map) -> &mut Self {
        value.write(self.name(name));
        self
    }

    /// A member whose value is JSON text already (a literal, or a nested writer's text).
    pub fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.name(name).push_str(json);
        self
    }

    /// The object's text (the writer is left empty).
    pub fn finish(&mut self) -> String {
        self.out.push('}');
        std::mem::take(&mut self.out)
    }
}

/// Lower-case digits up to hex. The helpers below write numbers and hex without
/// `core::fmt`, whose machinery (and `format!`'s allocation per byte) showed in the
/// profile of a decision-log line in wasm.
const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `value`'s digits in `radix` (10 or 16), appended to `out`.
pub(crate) fn push_digits(out: &mut String, mut value: u64, radix: u64) {
    let mut buf = [0u8; 64];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = DIGITS[(value % radix) as usize];
        value /= radix;
        if value == 0 {
            break;
        }
    }
    for &digit in &buf[at..] {
        out.push(char::from(digit));
    }
}

/// Each byte of `bytes` as two hex digits, appended to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// A JSON array of strings.
pub fn string_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(item, &mut out);
    }
    out.push(']');
    out
}

/// A JSON string literal for `s`.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut plain_from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both cuts are on character boundaries (`get`, not
        // indexing: no slice panic code in the wasm).
        out.push_str(s.get(plain_from..i).unwrap_or_default());
        plain_from = i + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            push_hex(out, &[b]);
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(s.get(plain_from..).unwrap_or_default());
    out.push('"');
}
