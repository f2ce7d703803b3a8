//! Just enough URL checking to refuse what must not be used as an endpoint or a redirect
//! target, without the `url` crate (kept out to keep the wasm small).
//!
//! The checks are deliberately narrow: absolute `https://` (or `http://` on a loopback host,
//! RFC 8252 §7.3 / §8.3), printable ASCII only, no backslash (browsers read `\` as `/` in
//! http(s) URLs, which lets `https://good\@evil` mean different hosts to different parsers),
//! no user info, no fragment. Anything unusual is refused rather than interpreted.
use crate::text;

/// What a URL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlRule {
    /// Where the provider sends the browser back to (`redirect_uri`,
    /// `post_logout_redirect_uri`): a query is allowed, a fragment is not (RFC 6749 §3.1.2).
    RedirectTarget,
    /// A provider endpoint: a query is allowed (some providers route by it), a fragment not.
    Endpoint,
    /// A base that paths are appended to: neither query nor fragment.
    Base,
}

const MAX_URL_LEN: usize = 2048;

/// Checks `value` against `rule`; the error completes a sentence starting with the value.
pub(crate) fn check(value: &str, rule: UrlRule) -> Result<(), &'static str> {
    if value.is_empty() || value.len() > MAX_URL_LEN {
        return Err("must be an absolute URL of at most 2048 characters");
    }
    if !value.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err("must be printable ASCII without spaces or backslashes");
    }
    let (scheme, rest) = text::split_once(value, "://").ok_or("must be an absolute http(s) URL")?;
    let https = scheme.eq_ignore_ascii_case("https");
    if !https && !scheme.eq_ignore_ascii_case("http") {
        return Err("must be an absolute http(s) URL");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest
        .split_at_checked(authority_end)
        .ok_or("has no valid host")?;
    if authority.contains('@') {
        return Err("must not contain user info ('@' before the host)");
    }
    let host = host_of(authority).ok_or("has no valid host")?;
    if !https && !is_loopback(host) {
        return Err("must use https (http only on localhost, 127.0.0.1 or [::1])");
    }
    if tail.contains('#') {
        return Err("must not contain a fragment");
    }
    if rule == UrlRule::Base && tail.contains('?') {
        return Err("must not contain a query");
    }
    Ok(())
}

/// The host of `host[:port]`, checked for shape: a DNS name, an IPv4 address, or a
/// bracketed IPv6 literal.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, after) = authority.split_at_checked(close + 1)?;
        let inner = host.get(1..close)?;
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let dns_or_ipv4 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
        if host.is_empty() || !host.bytes().all(dns_or_ipv4) {
            return None;
        }
        (host, port)
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if text::parse_u64(port)? > 65535 {
            return None;
        }
    }
    Some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for good in [
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/common/v2.0?p=x",
            "http://127.0.0.1:4010",
            "http://localhost/cb",
            "HTTP://[::1]:65535/x",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
        ] {
            assert_eq!(check(good, UrlRule::Endpoint), Ok(()), "{good}");
        }
    }

    #[test]
    fn refuses_what_could_redirect_elsewhere() {
        for bad in [
            "",
            "javascript:alert(1)",
            "//evil.example/cb",
            "/cb",
            "ftp://host/x",
            "http://evil.example/cb",
            "http://127.0.0.1.evil.example/cb",
            "https://good.example\\@evil.example/",
            "https://good.example@evil.example/",
            "https://good.example/cb#x",
            "https://good example/",
            "https://:443/",
            "https://host:99999/",
            "https://host:/",
            "https://[::1/",
            "https://host/é",
        ] {
            assert!(check(bad, UrlRule::RedirectTarget).is_err(), "{bad}");
        }
        assert!(check("https://host/?q", UrlRule::Base).is_err());
    }
}
