//! The reader: RFC 8259 exactly, plus two limits that only refuse.

use std::fmt;

use super::value::{Map, Number, Value};
use super::write::write_string;

/// How deeply arrays and objects may nest. Tokens and provider answers nest two or three
/// levels; the bound keeps the recursive reader's stack use small and fixed.
pub const MAX_DEPTH: usize = 64;

/// How many members one object may have. Real ones have a few dozen (claim sets, discovery
/// documents); the bound keeps the sorted insert's shifting small on hostile input.
pub const MAX_MEMBERS: usize = 256;

/// Why a text is not accepted, and where (a byte offset into the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    offset: usize,
    reason: &'static str,
    /// The member name, for a duplicate.
    name: Option<String>,
}

impl JsonError {
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => {
                let mut quoted = String::new();
                write_string(name, &mut quoted);
                write!(f, "{} {quoted} at byte {}", self.reason, self.offset)
            }
            None => write!(f, "{} at byte {}", self.reason, self.offset),
        }
    }
}

impl std::error::Error for JsonError {}

/// Reads one JSON text (RFC 8259 §2: any value, surrounded by optional whitespace).
///
/// Refused: invalid UTF-8, comments, trailing commas, leading zeros, `NaN`/`Infinity`,
/// single quotes, unescaped control characters in strings, lone surrogates in `\u`
/// escapes, anything after the value, nesting deeper than [`MAX_DEPTH`], an object with
/// more than [`MAX_MEMBERS`] members, and an object naming one member twice.
///
/// Duplicate names are refused rather than resolved. RFC 8259 §4 leaves their meaning
/// open, and readers disagree (`JSON.parse`, jose and serde_json keep the last, others the
/// first): a claim set with two `aud` or two `sub` could then mean one thing to whoever
/// checked it and another to whoever uses it. A signer never needs to send one, so
/// refusing costs nothing legitimate and takes the ambiguity away.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError {
        offset: e.valid_up_to(),
        reason: "invalid UTF-8",
        name: None,
    })?;
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.pos != reader.bytes.len() {
        return Err(reader.error("unexpected text after the value"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            reason,
            name: None,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// RFC 8259 §2: space, tab, line feed, carriage return; nothing else.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), JsonError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    /// `depth` is how many arrays and objects enclose this value.
    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of input, expected a value")),
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected true, false or null"))
        }
    }

    fn enter(&self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            Err(self.error("arrays and objects nest too deeply"))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.enter(depth)?;
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.enter(depth)?;
        self.pos += 1; // `{`
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Map::new()));
        }
        // Claim sets and provider answers have a dozen or two members: one allocation.
        let mut map = Map::with_capacity(16);
        loop {
            self.skip_whitespace();
            let name_at = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name (a string)"));
            }
            if map.len() == MAX_MEMBERS {
                return Err(self.error("an object has too many members"));
            }
            let name = self.string()?;
            self.skip_whitespace();
            self.expect(b':', "expected ':' after a member name")?;
            let value = self.value(depth)?;
            if let Err(name) = map.insert_new(name, value) {
                return Err(JsonError {
                    offset: name_at,
                    reason: "duplicate member name",
                    name: Some(name),
                });
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.error("a number has a leading zero"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits("expected a digit after the decimal point")?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits("expected a digit in the exponent")?;
        }
        // Every byte from `start` is ASCII, so this cut is on character boundaries.
        let text = self.text.get(start..self.pos);
        Ok(Number::from_validated(
            text.ok_or_else(|| self.error("invalid number"))?,
        ))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self, reason: &'static str) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error(reason));
        }
        self.digits();
        Ok(())
    }

    /// RFC 8259 §7, starting at the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // `"`
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            let run = self.bytes[run_start..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            self.pos = run.map_or(self.bytes.len(), |len| run_start + len);
            // The run stops at an ASCII byte or the end: a character boundary of `text`.
            let run = self.text.get(run_start..self.pos);
            out.push_str(run.ok_or_else(|| self.error("invalid string"))?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("unescaped control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character of an escape, just after its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                return self.unicode_escape();
            }
            _ => return Err(self.error("invalid escape in a string")),
        };
        self.pos += 1;
        Ok(c)
    }

    /// `\uXXXX`, just after the `u`; a UTF-16 surrogate pair is two escapes in a row.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(self.error("a high surrogate without its low surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("a high surrogate without its low surrogate"));
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("a low surrogate without a high one")),
            other => u32::from(other),
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let mut value = 0u16;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("expected four hex digits after \\u")),
            };
            value = (value << 4) | u16::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }
}
