//! The settings of what the gate adds so origin can tell a request came through it: the
//! signed identity assertion (`ASSERTION_*`, see [`crate::assertion`]) and the simpler
//! shared secret (`ORIGIN_AUTH_HEADER` + `ORIGIN_AUTH_SECRET`). Checked once per isolate
//! like every setting; a key that does not read is `invalid_config` naming the setting,
//! never quoting it (it is a secret).

use std::fmt;

use super::env::{invalid, Env};
use super::strip::{folded_eq, folded_starts_with, StripRules, ALB_PREFIX};
use crate::assertion::{jwks_document, AssertionSettings, Binding, SigningKey, DEFAULT_TTL_SECS};
use crate::error::Result;

/// Where the gate publishes its assertion keys by default.
pub const DEFAULT_JWKS_PATH: &str = "/.well-known/edge-auth/jwks.json";
/// The longest `ASSERTION_TTL_SECONDS`: an hour (a token's life bounds it anyway).
const MAX_ASSERTION_TTL_SECS: u64 = 3_600;
/// The shortest `ORIGIN_AUTH_SECRET`: anything shorter is guessable, not a secret.
const MIN_SECRET_CHARS: usize = 16;
/// Names `ORIGIN_AUTH_HEADER` may not take beyond those the strip rules drop: the gate
/// forwards them itself (the credential, cookies, the request id) or the body depends on them.
const RESERVED: [&str; 6] = [
    "authorization",
    "cookie",
    "x-request-id",
    "content-type",
    "content-length",
    "content-encoding",
];

/// `ASSERTION_*`, checked.
pub struct AssertionConfig {
    pub settings: AssertionSettings,
    /// Signs every assertion (`ASSERTION_KEY`).
    pub key: SigningKey,
    /// The public path the JWKS is served on (`ASSERTION_JWKS_PATH`).
    pub jwks_path: String,
    /// The JWKS: the current key, then `ASSERTION_KEY_PREVIOUS` when set.
    pub jwks: String,
    /// `ORIGIN_URL`'s path (no trailing `/`): the start of the `htu` origin receives.
    pub origin_path: String,
}

/// `ORIGIN_AUTH_HEADER` and `ORIGIN_AUTH_SECRET`, checked.
pub struct OriginAuth {
    /// Lower-case, as set on the origin request.
    pub header: String,
    /// Lower-case with `-` for `_`: how the strip rules compare the client's names.
    pub folded: String,
    secret: String,
}

impl OriginAuth {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for OriginAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OriginAuth({}: [redacted])", self.header)
    }
}

/// `ASSERTION_*`: `None` when none is set; `ASSERTION_KEY`, `ASSERTION_ISSUER` and
/// `ASSERTION_AUDIENCE` together or not at all (an assertion without an audience would be
/// good at any origin that trusts the key).
pub fn assertion(env: &Env, origin_url: &str) -> Result<Option<AssertionConfig>> {
    const OTHERS: [&str; 6] = [
        "ASSERTION_ISSUER",
        "ASSERTION_AUDIENCE",
        "ASSERTION_KEY_PREVIOUS",
        "ASSERTION_TTL_SECONDS",
        "ASSERTION_BIND",
        "ASSERTION_JWKS_PATH",
    ];
    let Some(key) = env.get("ASSERTION_KEY")? else {
        for name in OTHERS {
            if env.get(name)?.is_some() {
                return Err(invalid(name, "is set, but ASSERTION_KEY is not"));
            }
        }
        return Ok(None);
    };
    let key = SigningKey::parse(&key).map_err(|problem| invalid("ASSERTION_KEY", problem))?;
    let previous = match env.get("ASSERTION_KEY_PREVIOUS")? {
        Some(text) => Some(
            SigningKey::parse(&text)
                .map_err(|problem| invalid("ASSERTION_KEY_PREVIOUS", problem))?,
        ),
        None => None,
    };
    let required = |name: &str| -> Result<String> {
        env.get(name)?
            .ok_or_else(|| invalid(name, "is not set, but ASSERTION_KEY is"))
    };
    let issuer = required("ASSERTION_ISSUER")?;
    let audience = required("ASSERTION_AUDIENCE")?;
    let ttl_secs = match env.get("ASSERTION_TTL_SECONDS")? {
        Some(secs) => {
            super::config::parse_bounded("ASSERTION_TTL_SECONDS", &secs, 1, MAX_ASSERTION_TTL_SECS)?
        }
        None => DEFAULT_TTL_SECS,
    };
    let binding = match env.get("ASSERTION_BIND")?.as_deref() {
        None | Some("token") => Binding::Token,
        Some("request") => Binding::Request,
        Some(_) => return Err(invalid("ASSERTION_BIND", "must be token or request")),
    };
    let jwks_path = env
        .get("ASSERTION_JWKS_PATH")?
        .unwrap_or_else(|| DEFAULT_JWKS_PATH.to_owned());
    if !jwks_path.starts_with('/') || jwks_path.contains(['?', '#']) {
        return Err(invalid(
            "ASSERTION_JWKS_PATH",
            "must be a path starting with '/'",
        ));
    }
    let mut published = vec![&key];
    published.extend(previous.as_ref());
    let jwks = jwks_document(&published);
    Ok(Some(AssertionConfig {
        settings: AssertionSettings {
            issuer,
            audience,
            ttl_secs,
            binding,
        },
        key,
        jwks_path,
        jwks,
        origin_path: url_path(origin_url),
    }))
}

/// The path of a base URL that has no query or fragment (`ORIGIN_URL`, checked already),
/// without its trailing `/`: `https://o.example/app/` → `/app`, `https://o.example` → ``.
fn url_path(base: &str) -> String {
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(at) => after_scheme[at..].trim_end_matches('/').to_owned(),
        None => String::new(),
    }
}

/// `ORIGIN_AUTH_HEADER` + `ORIGIN_AUTH_SECRET`: both or neither.
pub fn origin_auth(env: &Env) -> Result<Option<OriginAuth>> {
    let header = env.get("ORIGIN_AUTH_HEADER")?;
    let secret = env.get("ORIGIN_AUTH_SECRET")?;
    let (header, secret) = match (header, secret) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(invalid(
                "ORIGIN_AUTH_SECRET",
                "is not set, but ORIGIN_AUTH_HEADER is",
            ))
        }
        (None, Some(_)) => {
            return Err(invalid(
                "ORIGIN_AUTH_HEADER",
                "is not set, but ORIGIN_AUTH_SECRET is",
            ))
        }
        (Some(header), Some(secret)) => (header, secret),
    };
    check_header_name(&header)?;
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(invalid(
            "ORIGIN_AUTH_SECRET",
            &format!("is shorter than {MIN_SECRET_CHARS} characters"),
        ));
    }
    // A header value: visible ASCII and inner spaces (RFC 9110 §5.5), nothing a Headers
    // API would refuse or fold.
    if !secret.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(invalid(
            "ORIGIN_AUTH_SECRET",
            "must be printable ASCII (it is sent as a header value)",
        ));
    }
    Ok(Some(OriginAuth {
        header: header.to_ascii_lowercase(),
        folded: super::strip::folded(&header),
        secret,
    }))
}

/// A header name origin can trust only the gate to set: a token (RFC 9110 §5.1) that the
/// strip rules would not already drop for another reason (`x-auth-*`, hop-by-hop, `host`,
/// `proxy-*`), not ALB's, and not one the gate forwards from the client.
fn check_header_name(name: &str) -> Result<()> {
    if !super::config::is_header_name(name) {
        return Err(invalid("ORIGIN_AUTH_HEADER", "is not a header name"));
    }
    let taken = !StripRules::default().keep(name)
        || folded_starts_with(name, ALB_PREFIX)
        || RESERVED.iter().any(|reserved| folded_eq(name, reserved));
    if taken {
        return Err(invalid(
            "ORIGIN_AUTH_HEADER",
            "names a header the gate sets, strips or forwards itself (x-auth-*, hop-by-hop, host, proxy-*, x-amzn-oidc-*, authorization, cookie, x-request-id, content-*): choose another, e.g. x-origin-auth",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_path_is_the_base_urls_path_without_its_last_slash() {
        assert_eq!(url_path("https://o.example"), "");
        assert_eq!(url_path("https://o.example/"), "");
        assert_eq!(url_path("http://127.0.0.1:8080/app"), "/app");
        assert_eq!(url_path("https://o.example/a/b/"), "/a/b");
    }

    #[test]
    fn origin_auth_header_must_be_one_only_the_gate_sets() {
        for name in [
            "x-auth-secret",
            "X_Auth_Gate",
            "connection",
            "proxy-secret",
            "host",
            "x-amzn-oidc-gate",
            "authorization",
            "Cookie",
            "x-request-id",
            "content-type",
            "bad name",
            "",
        ] {
            assert!(check_header_name(name).is_err(), "{name}");
        }
        for name in ["x-origin-auth", "X-Gate-Secret", "cf-access-token"] {
            assert!(check_header_name(name).is_ok(), "{name}");
        }
    }
}
