//! Request and rule paths: the refusals and the one spelling listed under "Paths" in the
//! [policy module doc](super).

use crate::form::escaped_byte;

/// The normalised form of `path`, or why it is refused (see the module doc). The reason
/// never quotes the path.
pub(super) fn normalize_path(path: &str) -> std::result::Result<String, &'static str> {
    if !path.starts_with('/') {
        return Err("it does not start with '/'");
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let value = escaped_byte(bytes, i + 1).ok_or("malformed percent-encoding")?;
                check_escape(bytes, i, value)?;
                if is_unreserved(value) {
                    out.push(char::from(value));
                } else {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    out.push('%');
                    out.push(char::from(HEX[usize::from(value >> 4)]));
                    out.push(char::from(HEX[usize::from(value & 0xf)]));
                }
                i += 3;
            }
            b'\\' => return Err("it contains a backslash"),
            b';' => return Err("it contains a ';' path parameter"),
            b'?' | b'#' => return Err("it contains a query or fragment"),
            0x00..=0x20 | 0x7f..=0xff => {
                return Err("it contains a control character, a space or raw non-ASCII")
            }
            _ => {
                out.push(char::from(b));
                i += 1;
            }
        }
    }
    check_segments(&out)?;
    Ok(out)
}

/// A normalised path with its ASCII letters lower-cased, except the hex digits of escapes
/// (normalisation upper-cases them; both sides of a comparison go through this).
pub(super) fn lowercase_outside_escapes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut escape_digits = 0;
    for c in path.chars() {
        if escape_digits > 0 {
            escape_digits -= 1;
            out.push(c);
        } else {
            if c == '%' {
                escape_digits = 2;
            }
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Refusals that depend on what an escape at `bytes[at]` encodes.
fn check_escape(bytes: &[u8], at: usize, value: u8) -> std::result::Result<(), &'static str> {
    match value {
        b'/' | b'\\' => Err("it contains an encoded slash or backslash"),
        0x00..=0x1f | 0x7f => Err("it contains an encoded NUL or control character"),
        // `%25` is `%`: an origin that decodes twice would see the next escape.
        b'%' => match escaped_byte(bytes, at + 3) {
            Some(b'.' | b'/' | b'\\' | 0x00) => Err("it contains a double-encoded character"),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// No dot segments (after decoding, so `%2e%2e` counts) and no empty segment but a
/// trailing one.
fn check_segments(path: &str) -> std::result::Result<(), &'static str> {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (n, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => return Err("it contains a dot segment"),
            "" if n != last => return Err("it contains an empty segment ('//')"),
            _ => {}
        }
    }
    Ok(())
}

/// RFC 3986 §2.3.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::super::tests::{alb, denied, deny_message, policy};
    use crate::error::ErrorCode;
    use crate::policy::{Policy, Route};

    fn assert_invalid_path(path: &str) {
        let d = policy().decide("GET", path, &[alb(&["super_admin"])]);
        assert_eq!(denied(&d), (400, ErrorCode::InvalidPath, None), "{path:?}");
        assert!(
            path.len() < 3 || !deny_message(&d).contains(path),
            "the path is echoed: {path:?}"
        );
    }

    #[test]
    fn rejects_dot_segments() {
        for path in ["/./admin", "/itsm/../admin", "/admin/.", "/admin/..", "/.."] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_dot_segments() {
        for path in [
            "/itsm/%2e%2e/admin",
            "/itsm/%2E%2E/admin",
            "/itsm/%2E./admin",
            "/itsm/.%2e/admin",
            "/itsm/%2e/admin",
            "/admin/%2e%2e",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_slash() {
        for path in ["/itsm%2fadmin", "/itsm%2Fadmin", "/health%2F"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_encoded_backslash() {
        for path in ["/itsm%5cadmin", "/itsm%5C..%5Cadmin"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_raw_backslash() {
        assert_invalid_path("/itsm\\..\\admin");
        assert_invalid_path("\\admin");
    }

    #[test]
    fn rejects_nul() {
        assert_invalid_path("/health\0");
        assert_invalid_path("/health%00");
        assert_invalid_path("/health%00.json");
    }

    #[test]
    fn rejects_path_not_starting_with_slash() {
        for path in ["", "health", "*", "http://x/health", "%2fhealth"] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_empty_segments() {
        assert_invalid_path("//admin");
        assert_invalid_path("/itsm//x");
        // A trailing slash is not an empty segment.
        assert!(policy().route("GET", "/admin/").is_ok());
    }

    #[test]
    fn rejects_path_parameters() {
        assert_invalid_path("/admin;jsessionid=1");
        assert_invalid_path("/health/..;/admin");
    }

    #[test]
    fn rejects_query_and_fragment() {
        assert_invalid_path("/health?x=1");
        assert_invalid_path("/health#x");
    }

    #[test]
    fn rejects_control_characters_spaces_and_raw_non_ascii() {
        for path in [
            "/health\r\n",
            "/he alth",
            "/health%0d%0aX: y",
            "/caf\u{e9}",
            "/a\x7f",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn rejects_malformed_and_double_encoding() {
        for path in [
            "/health%",
            "/health%2",
            "/health%zz",
            "/itsm/%252e%252e/admin",
            "/a%252F",
            "/a%255c",
            "/a%2500",
        ] {
            assert_invalid_path(path);
        }
    }

    #[test]
    fn encoded_unreserved_characters_match_as_decoded() {
        let p = policy();
        assert!(
            matches!(p.route("GET", "/%61dmin/x"), Ok(Route::Protected(r)) if r.path() == "/admin")
        );
        assert_eq!(p.route("GET", "/h%65alth"), Ok(Route::Public));
        // Other escapes stay encoded, hex upper-cased.
        let p =
            Policy::from_json(r#"{"rules": [{"path": "/caf%c3%a9", "public": true}]}"#).unwrap();
        assert_eq!(p.rules()[0].path(), "/caf%C3%A9");
        assert_eq!(p.route("GET", "/caf%C3%a9"), Ok(Route::Public));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_request(
            method in ".{0,8}",
            path in r"/?[/%.a-zA-F0-9;\\?# \x00\x7fé]{0,40}",
        ) {
            let d = policy().decide(&method, &path, &[alb(&["super_admin"])]);
            if d.is_allowed() {
                let lower = path.to_ascii_lowercase();
                for bad in ["/../", "/./", "%2f", "%5c", "%00", "\\", "//", ";"] {
                    proptest::prop_assert!(!lower.contains(bad), "{path:?} passed");
                }
            }
        }
    }
}
