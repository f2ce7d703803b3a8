//! A string in double quotes for error messages, so that an offending value shows where it
//! starts and ends. Not `{:?}`: `str`'s `Debug` brings Unicode printability tables into the
//! wasm builds (kilobytes); this escapes only what could blur the quotes or the line.

use std::fmt::{self, Write};

/// `value` in double quotes, with `"`, `\` and control characters escaped
/// (`\"`, `\\`, `\n`, `\r`, `\t`, `\u{..}`).
pub fn quoted(value: &str) -> Quoted<'_> {
    Quoted(value)
}

/// The longest part of an untrusted value an error message shows.
pub const EXCERPT_CHARS: usize = 32;

/// A short, sanitised excerpt of a value from an unverified token, for messages that go
/// back to the client: in double quotes, at most [`EXCERPT_CHARS`] characters, anything
/// but printable ASCII shown as `?`, and `…` when cut. A message never carries more of
/// what an unverified sender wrote than that.
pub fn excerpt(value: &str) -> Excerpt<'_> {
    Excerpt(value)
}

/// See [`excerpt`].
pub struct Excerpt<'a>(&'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars().take(EXCERPT_CHARS) {
            match c {
                '"' | '\\' => f.write_char('?')?,
                ' '..='~' => f.write_char(c)?,
                _ => f.write_char('?')?,
            }
        }
        if self.0.chars().nth(EXCERPT_CHARS).is_some() {
            f.write_char('…')?;
        }
        f.write_char('"')
    }
}

/// `values` as `["a", "b"]`, each [`quoted`].
pub fn quoted_list(values: &[String]) -> QuotedList<'_> {
    QuotedList(values)
}

/// See [`quoted_list`].
pub struct QuotedList<'a>(&'a [String]);

impl fmt::Display for QuotedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        for (i, value) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            quoted(value).fmt(f)?;
        }
        f.write_char(']')
    }
}

/// See [`quoted`].
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::{quoted, quoted_list};

    #[test]
    fn quotes_plain_text_as_is() {
        assert_eq!(quoted("kid-1 é").to_string(), "\"kid-1 é\"");
        assert_eq!(quoted("").to_string(), "\"\"");
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(
            quoted("a\"b\\c\nd\re\tf\u{0}g\u{7f}").to_string(),
            r#""a\"b\\c\nd\re\tf\u{0}g\u{7f}""#
        );
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        use super::excerpt;
        assert_eq!(excerpt("RS256").to_string(), "\"RS256\"");
        assert_eq!(excerpt("").to_string(), "\"\"");
        assert_eq!(excerpt("a\"b\\c\nd é\u{0}").to_string(), "\"a?b?c?d ??\"");
        let long = "x".repeat(100);
        let shown = excerpt(&long).to_string();
        assert_eq!(shown, format!("\"{}…\"", "x".repeat(super::EXCERPT_CHARS)));
        // exactly the limit: not cut
        let exact = "y".repeat(super::EXCERPT_CHARS);
        assert_eq!(excerpt(&exact).to_string(), format!("\"{exact}\""));
    }

    #[test]
    fn lists_like_debug() {
        let list = ["a".to_owned(), "b\"c".to_owned()];
        assert_eq!(quoted_list(&list).to_string(), format!("{list:?}"));
        assert_eq!(quoted_list(&[]).to_string(), "[]");
    }

    #[test]
    fn matches_debug_for_printable_ascii() {
        for s in ["abc", "a\"b", "c\\d", "x\ny", "tab\there", "kid/1+2=3"] {
            assert_eq!(quoted(s).to_string(), format!("{s:?}"));
        }
    }
}
