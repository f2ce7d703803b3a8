//! The individual checks every verifier composes, one function per rule, in the order
//! RFC 7515 §5.2 and RFC 7519 §7.2 give them.

use super::key::Algorithm;
use super::numeric_date::NumericDate;
use super::parse::UntrustedToken;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{Map, Value};
use crate::quote::excerpt;

/// RFC 7515 §4.1.1: `alg` must be exactly the one this source allows. `none`, `HS256`
/// (which would turn a public key into an HMAC secret) and every other value are refused.
pub fn check_algorithm(token: &UntrustedToken, allowed: Algorithm) -> Result<()> {
    match token.header.get("alg") {
        Some(Value::String(alg)) if alg == allowed.as_str() => Ok(()),
        Some(Value::String(alg)) => Err(Error::new(
            ErrorCode::UnsupportedAlgorithm,
            format!(
                "algorithm {} is not accepted here; only {} is",
                excerpt(alg),
                allowed.as_str()
            ),
        )),
        _ => Err(Error::fixed(
            ErrorCode::MalformedHeader,
            "the header has no string \"alg\"",
        )),
    }
}

/// RFC 7515 §4.1.11: a recipient must reject a token whose `crit` names an extension it
/// does not understand. This crate understands none, so any `crit` is refused.
pub fn check_no_critical_extensions(token: &UntrustedToken) -> Result<()> {
    match token.header.get("crit") {
        None => Ok(()),
        Some(_) => Err(Error::fixed(
            ErrorCode::UnsupportedCritical,
            "the header lists critical extensions (\"crit\"); none is supported",
        )),
    }
}

/// The longest `kid` accepted: real ones are under 100 characters.
const MAX_KID_LEN: usize = 256;

/// `kid` (RFC 7515 §4.1.4) must be present, short and printable, since it becomes a cache
/// key and, for ALB, part of a URL. It only selects among keys the verifier already trusts
/// the source of; `jku`, `jwk`, `x5u` and `x5c` in the header are never used.
pub fn require_kid(token: &UntrustedToken) -> Result<String> {
    match token.header.get("kid") {
        Some(Value::String(kid))
            if !kid.is_empty()
                && kid.len() <= MAX_KID_LEN
                && kid.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(kid.clone())
        }
        Some(_) => Err(Error::fixed(
            ErrorCode::InvalidKid,
            "the header's \"kid\" is not a short printable string",
        )),
        None => Err(Error::fixed(
            ErrorCode::InvalidKid,
            "the header has no \"kid\"",
        )),
    }
}

/// A NumericDate claim (RFC 7519 §2): seconds, possibly fractional. Anything else present
/// under that name (including a number beyond `i64` seconds, such as `1e400`) is an error
/// rather than "absent".
pub fn numeric_date(claims: &Map, name: &str) -> Result<Option<NumericDate>> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => NumericDate::from_json_number(n.as_str())
            .map(Some)
            .ok_or_else(|| bad_type(name, "a number of seconds in range")),
        Some(_) => Err(bad_type(name, "a number")),
    }
}

/// RFC 7519 §4.1.4: `exp` is required here (a token that never expires is refused) and must
/// not be past, allowing `skew` seconds of clock difference. Returns `exp` in whole seconds.
pub fn check_expiry(claims: &Map, now: u64, skew: u64) -> Result<u64> {
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| {
        Error::fixed(
            ErrorCode::MissingClaim,
            "the token has no \"exp\"; tokens without an expiry are refused",
        )
    })?;
    // `now` is whole seconds, so `now >= exp + skew` is `now >= ceil(exp) + skew`.
    if i128::from(now) >= i128::from(exp.ceil()) + i128::from(skew) {
        return Err(Error::new(
            ErrorCode::TokenExpired,
            format!(
                "the token expired at {} (now {now}, {skew}s skew allowed)",
                exp.floor()
            ),
        ));
    }
    Ok(u64::try_from(exp.floor()).unwrap_or(0))
}

/// RFC 7519 §4.1.5: when `nbf` is present the token must not be used before it.
pub fn check_not_before(claims: &Map, now: u64, skew: u64) -> Result<()> {
    match numeric_date(claims, "nbf")? {
        Some(nbf) if i128::from(now) + i128::from(skew) < i128::from(nbf.ceil()) => {
            Err(Error::new(
                ErrorCode::TokenNotYetValid,
                format!("the token is not valid before {} (now {now})", nbf.ceil()),
            ))
        }
        _ => Ok(()),
    }
}

/// RFC 7519 §4.1.6: an `iat` further in the future than the skew means a wrong clock or a
/// forged token; either way it is refused.
pub fn check_issued_at(claims: &Map, now: u64, skew: u64) -> Result<()> {
    match numeric_date(claims, "iat")? {
        Some(iat) if i128::from(iat.ceil()) > i128::from(now) + i128::from(skew) => {
            Err(Error::new(
                ErrorCode::IssuedInFuture,
                format!(
                    "the token claims to be issued at {}, in the future (now {now})",
                    iat.ceil()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `exp`, `nbf` and `iat`, in that order (jose's order). Returns `exp`.
pub fn check_times(claims: &Map, now: u64, skew: u64) -> Result<u64> {
    let exp = check_expiry(claims, now, skew)?;
    check_not_before(claims, now, skew)?;
    check_issued_at(claims, now, skew)?;
    Ok(exp)
}

/// A claim that must be a non-empty string.
pub fn required_str<'a>(claims: &'a Map, name: &str) -> Result<&'a str> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(bad_type(name, "a non-empty string")),
        None => Err(Error::new(
            ErrorCode::MissingClaim,
            format!("the token has no \"{name}\""),
        )),
    }
}

/// RFC 7519 §4.1.1: `iss` must equal the configured issuer exactly. The message shows an
/// excerpt of the token's issuer, never the configured one (denies reach the client).
pub fn check_issuer(claims: &Map, expected: &str) -> Result<()> {
    let iss = required_str(claims, "iss")?;
    if iss != expected {
        return Err(Error::new(
            ErrorCode::IssuerMismatch,
            format!("issuer {} is not the one configured", excerpt(iss)),
        ));
    }
    Ok(())
}

/// RFC 7519 §4.1.3: `aud` (a string or an array of strings) must contain one of `expected`.
pub fn check_audience(claims: &Map, expected: &[String]) -> Result<()> {
    let matches = |aud: &str| expected.iter().any(|e| e == aud);
    let ok = match claims.get("aud") {
        Some(Value::String(aud)) => matches(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(matches),
        None => {
            return Err(Error::fixed(
                ErrorCode::MissingClaim,
                "the token has no \"aud\"",
            ))
        }
        Some(_) => return Err(bad_type("aud", "a string or an array of strings")),
    };
    if ok {
        Ok(())
    } else {
        // Neither the token's audience list (unbounded) nor the configured one is shown.
        Err(Error::fixed(
            ErrorCode::AudienceMismatch,
            "the token's audience is not one of those configured",
        ))
    }
}

/// Whether `s` has the 8-4-4-4-12 hex shape of a UUID/GUID (ALB kids, Entra tenant ids).
pub fn is_uuid(s: &str) -> bool {
    crate::entra::types::is_guid(s)
}

fn bad_type(name: &str, expected: &str) -> Error {
    Error::new(
        ErrorCode::MissingClaim,
        format!("the token's \"{name}\" is not {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::object_from_serde as claims;
    use serde_json::json;

    #[test]
    fn expiry_honours_skew() {
        let c = claims(json!({"exp": 1000}));
        assert_eq!(check_expiry(&c, 999, 0).unwrap(), 1000);
        assert_eq!(
            check_expiry(&c, 1000, 0).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
        assert!(check_expiry(&c, 1059, 60).is_ok());
        assert_eq!(
            check_expiry(&c, 1060, 60).unwrap_err().code(),
            ErrorCode::TokenExpired
        );
    }

    #[test]
    fn missing_or_non_numeric_exp_is_refused() {
        let e = check_expiry(&claims(json!({})), 0, 60).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingClaim);
        let e = check_expiry(&claims(json!({"exp": "9999999999"})), 0, 60).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MissingClaim);
    }

    #[test]
    fn fractional_dates_compare_exactly() {
        // exp 1000.5: still valid at 1000, expired at 1001.
        let c = claims(json!({"exp": 1000.5, "nbf": 1000.5, "iat": 1000.5}));
        assert_eq!(check_expiry(&c, 1000, 0).unwrap(), 1000);
        assert!(check_expiry(&c, 1001, 0).is_err());
        // nbf/iat 1000.5: not yet at 1000, fine from 1001.
        assert!(check_not_before(&c, 1000, 0).is_err());
        assert!(check_not_before(&c, 1001, 0).is_ok());
        assert!(check_issued_at(&c, 1000, 0).is_err());
        assert!(check_issued_at(&c, 1001, 0).is_ok());
        // Exponent forms are dates too.
        let c = claims(json!({"exp": 1.7e9}));
        assert_eq!(check_expiry(&c, 1_600_000_000, 0).unwrap(), 1_700_000_000);
    }

    #[test]
    fn messages_give_whole_seconds() {
        let e = check_expiry(&claims(json!({"exp": 1000.75})), 2000, 0).unwrap_err();
        assert!(e.message().contains("expired at 1000 "), "{}", e.message());
        let e = check_not_before(&claims(json!({"nbf": 2000.25})), 1000, 0).unwrap_err();
        assert!(e.message().contains("before 2001 "), "{}", e.message());
        let e = check_issued_at(&claims(json!({"iat": 2000.5})), 1000, 0).unwrap_err();
        assert!(e.message().contains("issued at 2001,"), "{}", e.message());
    }

    #[test]
    fn out_of_range_numeric_date_is_refused() {
        for text in [r#"{"exp":1e400}"#, r#"{"exp":1e19}"#] {
            let c = crate::json::parse(text.as_bytes()).unwrap();
            let e = check_expiry(c.as_object().unwrap(), 0, 60).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MissingClaim, "{text}");
        }
    }

    #[test]
    fn nbf_and_iat_in_future() {
        let c = claims(json!({"nbf": 2000, "iat": 2000}));
        assert_eq!(
            check_not_before(&c, 1000, 60).unwrap_err().code(),
            ErrorCode::TokenNotYetValid
        );
        assert_eq!(
            check_issued_at(&c, 1000, 60).unwrap_err().code(),
            ErrorCode::IssuedInFuture
        );
        assert!(check_not_before(&c, 1950, 60).is_ok());
        assert!(check_issued_at(&c, 1950, 60).is_ok());
    }

    #[test]
    fn audience_string_or_array() {
        let want = vec!["a".to_string()];
        assert!(check_audience(&claims(json!({"aud": "a"})), &want).is_ok());
        assert!(check_audience(&claims(json!({"aud": ["b", "a"]})), &want).is_ok());
        assert_eq!(
            check_audience(&claims(json!({"aud": ["b"]})), &want)
                .unwrap_err()
                .code(),
            ErrorCode::AudienceMismatch
        );
    }
}
