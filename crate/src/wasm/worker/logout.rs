//! `/logout`: expire ALB's session cookies and send the browser to Entra's end-session
//! endpoint (seed 000's logout flow: ALB clears its cookie, Entra ends the session).
//!
//! ALB splits its session into `AWSELBAuthSessionCookie-0`, `-1`, … when it is large. Every
//! shard the client sent is expired, and `-0` … `-3` always are (a browser may hold shards
//! a given request did not carry, e.g. for another path).

//!
//! Logging out changes state, so another site must not be able to trigger it (a cross-site
//! `<img src="/logout">` would otherwise sign users out): see [`logout_allowed`].

use super::config::LogoutConfig;

const ALB_COOKIE_PREFIX: &str = "AWSELBAuthSessionCookie-";
const ALWAYS_EXPIRED_SHARDS: u32 = 4;

/// What the browser says about where a request comes from (Fetch Metadata and `Origin`).
#[derive(Debug, Default)]
pub struct RequestSite<'a> {
    pub method: &'a str,
    /// `Sec-Fetch-Mode`, `Sec-Fetch-Dest`, `Sec-Fetch-Site`, `Origin`.
    pub fetch_mode: Option<&'a str>,
    pub fetch_dest: Option<&'a str>,
    pub fetch_site: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// The request URL's own origin (`scheme://host[:port]`).
    pub own_origin: &'a str,
}

/// Whether a logout request may proceed:
/// - `GET` from a top-level navigation: `Sec-Fetch-Mode: navigate` and `Sec-Fetch-Dest:
///   document`, or no Fetch Metadata at all (a client that is not a browser, or an old
///   one); an image, script, frame or `fetch()` from any page is refused;
/// - `POST` from the same origin: `Sec-Fetch-Site: same-origin`, or, without Fetch
///   Metadata, an `Origin` equal to the request's own;
/// - nothing else.
pub fn logout_allowed(site: &RequestSite<'_>) -> bool {
    match site.method {
        "GET" => {
            matches!(site.fetch_mode, None | Some("navigate"))
                && matches!(site.fetch_dest, None | Some("document"))
        }
        "POST" => match site.fetch_site {
            Some(fetch_site) => fetch_site == "same-origin",
            None => site.origin == Some(site.own_origin),
        },
        _ => false,
    }
}

/// `scheme://authority` of a serialized absolute URL (`request.url`), or `""`.
pub fn origin_of(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return "";
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &url[..url.len() - rest.len() + end]
}

/// The ALB session cookie names to expire, given the request's `Cookie` header.
pub fn alb_cookie_names(cookie_header: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = (0..ALWAYS_EXPIRED_SHARDS)
        .map(|i| format!("{ALB_COOKIE_PREFIX}{i}"))
        .collect();
    for pair in cookie_header.unwrap_or("").split(';') {
        let name = pair.split('=').next().unwrap_or("").trim();
        // Only names of ALB's shape are echoed back, so a crafted Cookie header cannot
        // inject attributes or other cookies into the Set-Cookie answer.
        let is_shard = name.strip_prefix(ALB_COOKIE_PREFIX).is_some_and(|n| {
            !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())
        });
        if is_shard && !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// `Set-Cookie` values that expire each cookie (same name and path as ALB sets: `/`).
pub fn expiring_cookies(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|name| format!("{name}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly"))
        .collect()
}

/// The redirect target and the cookies to clear.
pub fn logout(config: &LogoutConfig, cookie_header: Option<&str>) -> (String, Vec<String>) {
    (
        config.end_session_url.clone(),
        expiring_cookies(&alb_cookie_names(cookie_header)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site<'a>(method: &'a str, mode: Option<&'a str>, dest: Option<&'a str>) -> RequestSite<'a> {
        RequestSite {
            method,
            fetch_mode: mode,
            fetch_dest: dest,
            own_origin: "https://app.example",
            ..RequestSite::default()
        }
    }

    #[test]
    fn get_logout_only_from_a_top_level_navigation() {
        assert!(logout_allowed(&site(
            "GET",
            Some("navigate"),
            Some("document")
        )));
        assert!(logout_allowed(&site("GET", None, None)));
        for (mode, dest) in [
            (Some("no-cors"), Some("image")),
            (Some("navigate"), Some("iframe")),
            (Some("cors"), Some("empty")),
            (Some("no-cors"), None),
            (None, Some("image")),
        ] {
            assert!(
                !logout_allowed(&site("GET", mode, dest)),
                "{mode:?} {dest:?}"
            );
        }
        for method in ["HEAD", "PUT", "DELETE", "get"] {
            assert!(!logout_allowed(&site(method, None, None)), "{method}");
        }
    }

    #[test]
    fn post_logout_only_from_the_same_origin() {
        let post = |fetch_site, origin| RequestSite {
            method: "POST",
            fetch_site,
            origin,
            own_origin: "https://app.example",
            ..RequestSite::default()
        };
        assert!(logout_allowed(&post(Some("same-origin"), None)));
        assert!(logout_allowed(&post(None, Some("https://app.example"))));
        assert!(!logout_allowed(&post(
            Some("same-site"),
            Some("https://app.example")
        )));
        assert!(!logout_allowed(&post(Some("cross-site"), None)));
        assert!(!logout_allowed(&post(Some("none"), None)));
        assert!(!logout_allowed(&post(None, Some("https://evil.example"))));
        assert!(!logout_allowed(&post(None, Some("null"))));
        assert!(!logout_allowed(&post(None, None)));
    }

    #[test]
    fn origin_of_a_url() {
        assert_eq!(origin_of("https://a.example/logout?x"), "https://a.example");
        assert_eq!(
            origin_of("http://127.0.0.1:8787/logout"),
            "http://127.0.0.1:8787"
        );
        assert_eq!(origin_of("https://a.example"), "https://a.example");
        assert_eq!(origin_of("https://a.example?q"), "https://a.example");
        assert_eq!(origin_of("nonsense"), "");
    }

    #[test]
    fn expires_sent_shards_and_the_first_four() {
        let names = alb_cookie_names(Some(
            "a=1; AWSELBAuthSessionCookie-0=x; AWSELBAuthSessionCookie-7=y; AWSELBAuthSessionCookie-x; Path=/",
        ));
        assert_eq!(names.len(), 5);
        assert!(names.contains(&"AWSELBAuthSessionCookie-7".to_owned()));
        assert!(!names.iter().any(|n| n.ends_with("-x") || n == "a"));
    }
}
