//! `/logout`: expire ALB's session cookies and send the browser to Entra's end-session
//! endpoint (seed 000's logout flow: ALB clears its cookie, Entra ends the session).
//!
//! ALB splits its session into `AWSELBAuthSessionCookie-0`, `-1`, … when it is large. Every
//! shard the client sent is expired, and `-0` … `-3` always are (a browser may hold shards
//! a given request did not carry, e.g. for another path).

use super::config::LogoutConfig;

const ALB_COOKIE_PREFIX: &str = "AWSELBAuthSessionCookie-";
const ALWAYS_EXPIRED_SHARDS: u32 = 4;

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
