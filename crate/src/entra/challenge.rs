//! What a protected API's answer asks of the client: the `Bearer` challenge in its
//! `WWW-Authenticate` header (RFC 6750 §3, auth-params as RFC 9110 §11.2 writes them), and
//! Entra's claims challenges (`error="insufficient_claims", claims="<base64 JSON>"`, sent
//! by APIs under Conditional Access authentication context or Continuous Access
//! Evaluation).
//!
//! [`api_verdict`] is the one decision the package's `auth.fetch` asks for each answer:
//! hand it to the app, renew the app token and retry once, or surface a claims challenge.

use crate::base64url::{self, Padding};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};

/// Longest `WWW-Authenticate` value read: real challenges are a few hundred bytes.
const MAX_CHALLENGE_BYTES: usize = 8 * 1024;

/// The `Bearer` challenge's parameters this client acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// RFC 6750 §3.1 `error` (`invalid_token`, `insufficient_scope`, …) or Entra's
    /// `insufficient_claims`.
    pub error: Option<String>,
    /// The `claims` parameter as sent (base64 of a claims request, OIDC Core §5.5).
    pub claims: Option<String>,
}

/// What `auth.fetch` does with an API's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiVerdict {
    /// Hand the response to the app as it is.
    Pass,
    /// `401` with `invalid_token`: renew the app token and send the request once more.
    Renew,
    /// `401` with `insufficient_claims`: the decoded claims request (compact JSON text) to
    /// pass to `login({ claims })` or `accessToken({ claims })`.
    Claims(String),
}

fn malformed(why: &str) -> Error {
    Error::new(
        ErrorCode::MalformedChallenge,
        format!("the API's WWW-Authenticate challenge does not parse: {why}"),
    )
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7235 `token68` characters (a scheme's single credential-like value).
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

/// A cursor over the header value.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn skip_space(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| *b == b' ' || *b == b'\t')
        {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        &self.bytes[start..self.at]
    }

    /// A quoted-string (RFC 9110 §5.6.4), the opening `"` already seen.
    fn quoted(&mut self) -> Result<String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(malformed("a quoted value is not closed")),
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b) if b != b'\r' && b != b'\n' => out.push(b),
                        _ => return Err(malformed("a quoted value ends in a backslash")),
                    }
                    self.at += 1;
                }
                Some(b) if b == b'\t' || b >= b' ' && b != 0x7f => {
                    out.push(b);
                    self.at += 1;
                }
                Some(_) => return Err(malformed("a quoted value holds a control character")),
            }
        }
        String::from_utf8(out).map_err(|_| malformed("a quoted value is not UTF-8"))
    }
}

/// The `Bearer` challenge of a `WWW-Authenticate` value (several challenges may be listed;
/// the others are skipped). `None` when there is no `Bearer` challenge; `malformed_challenge`
/// when the value does not follow the RFC 9110 §11.6.1 grammar.
pub fn parse_bearer(header: &str) -> Result<Option<BearerChallenge>> {
    if header.len() > MAX_CHALLENGE_BYTES {
        return Err(malformed("it is too long"));
    }
    let mut r = Reader {
        bytes: header.as_bytes(),
        at: 0,
    };
    let mut found: Option<BearerChallenge> = None;
    let mut in_bearer = false;
    let mut seen_scheme = false;
    loop {
        r.skip_space();
        match r.peek() {
            None => break,
            Some(b',') => {
                r.at += 1;
                continue;
            }
            Some(_) => {}
        }
        let name = r.token();
        if name.is_empty() {
            return Err(malformed("expected a scheme or a parameter name"));
        }
        let after_name = r.at;
        r.skip_space();
        if r.peek() != Some(b'=') {
            // A new challenge: `scheme [token68 | params]`.
            r.at = after_name;
            in_bearer = name.eq_ignore_ascii_case(b"bearer");
            if in_bearer && found.is_none() {
                found = Some(BearerChallenge::default());
            }
            seen_scheme = true;
            // An optional token68 right after the scheme, unless the next word is the first
            // parameter's name (`name=` followed by a value, not by more `=` or the end).
            r.skip_space();
            let start = r.at;
            r.token();
            let word_end = r.at;
            r.skip_space();
            if word_end > start && r.peek() == Some(b'=') {
                let mut after = r.at + 1;
                while matches!(r.bytes.get(after), Some(b' ' | b'\t')) {
                    after += 1;
                }
                if !matches!(r.bytes.get(after), None | Some(b',' | b'=')) {
                    r.at = start;
                    continue;
                }
            }
            r.at = word_end;
            while r.peek().is_some_and(is_token68) {
                r.at += 1;
            }
            r.skip_space();
            if r.at > start && !matches!(r.peek(), None | Some(b',')) {
                return Err(malformed(
                    "a scheme is followed by something other than parameters",
                ));
            }
            continue;
        }
        if !seen_scheme {
            return Err(malformed("parameters before any scheme"));
        }
        r.at += 1;
        r.skip_space();
        let value = match r.peek() {
            Some(b'"') => r.quoted()?,
            _ => {
                let value = r.token();
                if value.is_empty() {
                    return Err(malformed("a parameter has no value"));
                }
                // tchar bytes: ASCII, so this never fails.
                core::str::from_utf8(value).unwrap_or_default().to_owned()
            }
        };
        r.skip_space();
        if !matches!(r.peek(), None | Some(b',')) {
            return Err(malformed("parameters must be separated by commas"));
        }
        if in_bearer {
            if let Some(challenge) = found.as_mut() {
                let slot = if name.eq_ignore_ascii_case(b"error") {
                    &mut challenge.error
                } else if name.eq_ignore_ascii_case(b"claims") {
                    &mut challenge.claims
                } else {
                    continue;
                };
                if slot.is_some() {
                    return Err(malformed("a parameter is given twice"));
                }
                *slot = Some(value);
            }
        }
    }
    Ok(found)
}

/// The claims request a challenge's `claims` value carries: base64 (Entra sends the
/// standard alphabet with padding; the URL-safe one is read too) of a JSON object, returned
/// as compact JSON text. Anything else is `malformed_challenge`.
pub fn decode_claims(claims: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::new(
            ErrorCode::MalformedChallenge,
            format!("the challenge's claims value is not base64 of a JSON object: {why}"),
        )
    };
    let url_safe: String = claims
        .trim()
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    let bytes =
        base64url::decode(&url_safe, Padding::Tolerated).ok_or_else(|| bad("not base64"))?;
    match json::parse(&bytes) {
        Ok(Value::Object(object)) if !object.is_empty() => Ok(object.to_json()),
        Ok(_) => Err(bad("not a non-empty object")),
        Err(_) => Err(bad("not JSON")),
    }
}

/// What to do with an API's answer (`status`, its `WWW-Authenticate` value if any).
/// Only a `401` is looked at: `invalid_token` → [`ApiVerdict::Renew`];
/// `insufficient_claims` with a claims value → [`ApiVerdict::Claims`]; anything else,
/// `403` included, goes to the app. A 401 challenge that does not parse is
/// `malformed_challenge` (the request is not retried on a guess).
pub fn api_verdict(status: u16, www_authenticate: Option<&str>) -> Result<ApiVerdict> {
    if status != 401 {
        return Ok(ApiVerdict::Pass);
    }
    let Some(header) = www_authenticate else {
        return Ok(ApiVerdict::Pass);
    };
    let Some(challenge) = parse_bearer(header)? else {
        return Ok(ApiVerdict::Pass);
    };
    match challenge.error.as_deref() {
        Some("invalid_token") => Ok(ApiVerdict::Renew),
        Some("insufficient_claims") => match challenge.claims.as_deref() {
            Some(claims) => Ok(ApiVerdict::Claims(decode_claims(claims)?)),
            None => Err(malformed("insufficient_claims without a claims value")),
        },
        _ => Ok(ApiVerdict::Pass),
    }
}

/// The `error` code of an API's refusal, for the app to branch on: the JSON body's string
/// `error` member (the edge worker's denies), else the `Bearer` challenge's `error`, else
/// `None`.
pub fn deny_code(www_authenticate: Option<&str>, body: &str) -> Option<String> {
    if let Ok(Value::Object(doc)) = json::parse(body.as_bytes()) {
        if let Some(code) = doc.get("error").and_then(Value::as_str) {
            return Some(code.to_owned());
        }
    }
    parse_bearer(www_authenticate?).ok()??.error
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Microsoft's documented example (claims-challenge article): `{"access_token":
    /// {"acrs":{"essential":true,"value":"cp1"}}}` in standard, padded base64.
    const ENTRA_EXAMPLE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==""#;

    #[test]
    fn reads_entras_claims_challenge() {
        let verdict = api_verdict(401, Some(ENTRA_EXAMPLE)).unwrap();
        assert_eq!(
            verdict,
            ApiVerdict::Claims(
                r#"{"access_token":{"acrs":{"essential":true,"value":"cp1"}}}"#.to_owned()
            )
        );
    }

    #[test]
    fn invalid_token_means_renew() {
        let header = r#"Bearer error="invalid_token", error_description="the token expired""#;
        assert_eq!(api_verdict(401, Some(header)).unwrap(), ApiVerdict::Renew);
        assert_eq!(
            api_verdict(401, Some("Bearer error=invalid_token")).unwrap(),
            ApiVerdict::Renew
        );
        // Among other challenges, in any case of the scheme.
        let listed = r#"Basic realm="x", bearer error="invalid_token""#;
        assert_eq!(api_verdict(401, Some(listed)).unwrap(), ApiVerdict::Renew);
    }

    #[test]
    fn other_answers_pass_to_the_app() {
        let invalid = Some(r#"Bearer error="invalid_token""#);
        // Only a 401 is acted on: a 403 is the app's to handle, even with a challenge.
        assert_eq!(api_verdict(403, invalid).unwrap(), ApiVerdict::Pass);
        assert_eq!(api_verdict(200, invalid).unwrap(), ApiVerdict::Pass);
        // A 401 with no header, a bare `Bearer` (no credential sent), another scheme, or
        // another error.
        for header in [
            None,
            Some("Bearer"),
            Some(r#"Basic realm="x", error="invalid_token""#),
            Some(r#"Bearer error="insufficient_scope""#),
        ] {
            assert_eq!(
                api_verdict(401, header).unwrap(),
                ApiVerdict::Pass,
                "{header:?}"
            );
        }
    }

    #[test]
    fn malformed_challenges_are_typed_errors() {
        for header in [
            r#"Bearer error="invalid_token"#,
            r#"Bearer error="a" error="b""#,
            r#"Bearer realm="x", error=, claims="x""#,
            r#"Bearer error="invalid_token", error="invalid_token""#,
            "Bearer abc def",
            "=x",
        ] {
            let err = api_verdict(401, Some(header)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedChallenge, "{header}");
        }
        let err = api_verdict(401, Some(&"x".repeat(MAX_CHALLENGE_BYTES + 1))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedChallenge);
        let err = api_verdict(401, Some(r#"Bearer error="insufficient_claims""#)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedChallenge);
    }

    #[test]
    fn claims_must_be_base64_of_a_json_object() {
        assert_eq!(
            decode_claims("eyJhIjoxfQ").unwrap(),
            r#"{"a":1}"#,
            "unpadded is read too"
        );
        for claims in ["not base64!", "bm90IGpzb24=", "WzFd", "e30=", ""] {
            let err = decode_claims(claims).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedChallenge, "{claims}");
        }
    }

    #[test]
    fn deny_code_prefers_the_body() {
        let body = r#"{"error":"role_denied","message":"…"}"#;
        let header = Some(r#"Bearer error="insufficient_scope""#);
        assert_eq!(deny_code(header, body).as_deref(), Some("role_denied"));
        assert_eq!(
            deny_code(header, "<html>").as_deref(),
            Some("insufficient_scope")
        );
        assert_eq!(deny_code(None, "{}"), None);
        assert_eq!(deny_code(Some("Bearer error="), ""), None);
    }
}
