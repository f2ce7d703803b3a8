//! `application/x-www-form-urlencoded` (WHATWG URL Standard §5): the query strings and
//! token request bodies the core writes, and the callback queries it reads.
//!
//! The crate's own rather than the `form_urlencoded` crate because the browser package is
//! measured in bytes (that crate brings `percent-encoding` and a 768-byte escape table) and
//! this is all of it the core needs. `tests/form.rs` checks it against that crate: the same
//! text written, the same pairs read.

use std::borrow::Cow;

/// Writes `name=value` pairs joined by `&`. Every byte except `A-Z a-z 0-9 * - . _` is
/// escaped as `%XX` (upper-case hex), and a space is written as `+`.
#[derive(Debug, Default)]
pub struct Encoder {
    out: String,
}

impl Encoder {
    pub fn new() -> Self {
        Encoder::default()
    }

    pub fn append_pair(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.out.is_empty() {
            self.out.push('&');
        }
        push_escaped(&mut self.out, name);
        self.out.push('=');
        push_escaped(&mut self.out, value);
        self
    }

    /// The text written so far (the encoder is left empty).
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

fn push_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
}

/// The `(name, value)` pairs of a query or form body, decoded: sequences split on `&`
/// (empty ones skipped), each at its first `=`; `+` is a space, `%XX` a byte (a `%` not
/// followed by two hex digits stays as it is), and bytes that are not UTF-8 become U+FFFD.
pub fn pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query
        .split('&')
        .filter(|sequence| !sequence.is_empty())
        .map(|sequence| {
            let (name, value) = sequence.split_once('=').unwrap_or((sequence, ""));
            (unescape(name), unescape(value))
        })
}

fn unescape(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at += 1;
        match byte {
            b'+' => out.push(b' '),
            b'%' => match escaped_byte(bytes, at) {
                Some(value) => {
                    out.push(value);
                    at += 2;
                }
                None => out.push(b'%'),
            },
            _ => out.push(byte),
        }
    }
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|e| lossy(e.as_bytes())))
}

/// `bytes` as text with each invalid sequence replaced by U+FFFD, as
/// `String::from_utf8_lossy` does it: resume after the sequence `Utf8Error::error_len`
/// names, or end at an incomplete one. Not that function itself: its chunk iterator is a
/// kilobyte of the browser's wasm, for what is a misbehaving provider's callback.
fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{fffd}');
                let skip = e.valid_up_to() + e.error_len().unwrap_or(rest.len());
                rest = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

/// The byte a percent-escape's two hex digits at `at` spell (RFC 3986 §2.1; either case),
/// or `None` when they are not two hex digits. Shared with the policy's path rules.
pub(crate) fn escaped_byte(bytes: &[u8], at: usize) -> Option<u8> {
    let digit = |at: usize| char::from(*bytes.get(at)?).to_digit(16);
    Some((digit(at)? << 4 | digit(at + 1)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_a_token_endpoint_reads() {
        let body = Encoder::new()
            .append_pair("grant_type", "authorization_code")
            .append_pair("scope", "openid api://x/a.b")
            .append_pair("redirect_uri", "https://app.example/cb?x=1&y=é")
            .finish();
        assert_eq!(
            body,
            "grant_type=authorization_code&scope=openid+api%3A%2F%2Fx%2Fa.b\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D%C3%A9"
        );
    }

    proptest::proptest! {
        #[test]
        fn lossy_is_from_utf8_lossy(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            proptest::prop_assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn lossy_is_from_utf8_lossy_near_utf8(text in "\\PC{0,12}", cuts in proptest::collection::vec(0usize..48, 0..4)) {
            // Valid text with bytes dropped or flipped: the sequences lossy decoding meets.
            let mut bytes = text.into_bytes();
            for cut in cuts {
                if cut < bytes.len() {
                    if cut % 2 == 0 { bytes.remove(cut); } else { bytes[cut] ^= 0x40; }
                }
            }
            proptest::prop_assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn reads_what_it_writes_and_keeps_broken_escapes() {
        let read: Vec<_> = pairs("a=1+2&&b=%41%zz%4&c&=d&e=%FF")
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let expected = [
            ("a", "1 2"),
            ("b", "A%zz%4"),
            ("c", ""),
            ("", "d"),
            ("e", "\u{fffd}"),
        ];
        assert_eq!(read.len(), expected.len());
        for ((name, value), (n, v)) in read.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (n, v));
        }
    }
}
