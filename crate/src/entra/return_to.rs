//! Where to take the user after sign-in (`login({ returnTo })`): a path of the app's own
//! origin, and nothing else. An absolute URL to another origin, a protocol-relative
//! `//host/…`, a backslash that browsers read as a slash, or a `javascript:` URL is
//! refused (`invalid_return_to`) rather than followed: an open redirect after sign-in is
//! how phishing pages borrow a trusted login.

use crate::error::{Error, ErrorCode, Result};
use crate::quote::quoted;

/// Longest `returnTo` kept with a pending login.
const MAX_RETURN_TO_BYTES: usize = 2048;

fn refused(value: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::InvalidReturnTo,
        format!(
            "returnTo {} {why}: give a path of this app's origin, like \"/tickets/42?tab=history\"",
            quoted(crate::entra::excerpt(value, 100).as_str())
        ),
    )
}

/// The origin (`scheme://host[:port]`, as written: compare it ignoring ASCII case) of an
/// absolute `http(s)` URL, and the rest (path, query, fragment) from its first `/`, `?` or
/// `#`.
pub fn split_origin(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = crate::text::split_once(url, "://")?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let origin_end = scheme.len() + 3 + end;
    let (origin, rest) = (url.get(..origin_end)?, url.get(origin_end..)?);
    let authority = origin.get(scheme.len() + 3..)?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some((origin, rest))
}

/// `value` as a path of `app_origin` (the origin of the app's redirect URI): a path that
/// starts with one `/`, or an absolute URL of that same origin (its origin dropped). The
/// result always starts with `/` (an empty path after the origin becomes `/`).
pub fn check_return_to(value: &str, app_origin: &str) -> Result<String> {
    if value.len() > MAX_RETURN_TO_BYTES {
        return Err(refused(value, "is too long"));
    }
    if value.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
        return Err(refused(value, "holds a control character or a backslash"));
    }
    let path = if value.starts_with('/') {
        value
    } else {
        match split_origin(value) {
            Some((origin, rest)) if origin.eq_ignore_ascii_case(app_origin) => rest,
            Some(_) => return Err(refused(value, "is on another origin")),
            None => return Err(refused(value, "is neither a path nor a URL of this app")),
        }
    };
    if path.starts_with("//") {
        return Err(refused(
            value,
            "is a protocol-relative URL (another origin)",
        ));
    }
    Ok(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "https://app.example.com";

    #[test]
    fn keeps_paths_of_the_app() {
        assert_eq!(
            check_return_to("/tickets/42?tab=history", APP).unwrap(),
            "/tickets/42?tab=history"
        );
        assert_eq!(
            check_return_to("https://APP.example.com/tickets/42#notes", APP).unwrap(),
            "/tickets/42#notes"
        );
        assert_eq!(
            check_return_to("https://app.example.com", APP).unwrap(),
            "/"
        );
        assert_eq!(
            check_return_to("https://app.example.com?x=1", APP).unwrap(),
            "/?x=1"
        );
    }

    #[test]
    fn refuses_everything_else() {
        for value in [
            "https://evil.example/",
            "https://app.example.com.evil.example/",
            "https://app.example.com:8443/",
            "http://app.example.com/",
            "https://user@app.example.com/",
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "javascript:alert(1)",
            "tickets/42",
            "/tickets\n/42",
            "",
        ] {
            let err = check_return_to(value, APP).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidReturnTo, "{value:?}");
        }
        let long = format!("/{}", "a".repeat(MAX_RETURN_TO_BYTES));
        assert_eq!(
            check_return_to(&long, APP).unwrap_err().code(),
            ErrorCode::InvalidReturnTo
        );
    }
}
