//! Origin's side: checking an assertion the gate made, with the gate's JWKS. What the CLI's
//! `verify-assertion` runs; the PyJWT and jose examples in `worker/README.md` do the same.
//!
//! The steps of RFC 7515 §5.2 and RFC 7519 §7.2 with the crate's own checks, in order:
//! shape, `alg` exactly ES256, no `crit`, a `kid` the JWKS holds, the signature, `exp`
//! (required), `nbf`, `iat` (required), `iss` when one is expected, `aud`, then the
//! binding: with an expected request, `htm` and `htu` must name it.

use crate::error::{Error, ErrorCode, Result};
use crate::json::Map;
use crate::jwt::checks;
use crate::jwt::key::{parse_jwks, Algorithm};
use crate::jwt::parse::{Padding, UntrustedToken};
use crate::jwt::signature::{SignatureBackend, SignatureJob};

/// Largest assertion read (the gate's are a few hundred bytes).
const MAX_ASSERTION_BYTES: usize = 16 * 1024;

/// What origin expects of an assertion.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// `aud`: this origin.
    pub audience: String,
    /// `iss`, when checked.
    pub issuer: Option<String>,
    /// The request it arrived on (`htm`, `htu`), when the gate binds assertions.
    pub request: Option<(String, String)>,
    /// Clock skew allowed for `exp`, `nbf`, `iat`.
    pub skew_secs: u64,
}

/// The assertion's claims, once every check passed.
pub fn verify_assertion(
    assertion: &str,
    jwks: &[u8],
    expected: &Expected,
    now: u64,
    backend: &dyn SignatureBackend,
) -> Result<Map> {
    let token = UntrustedToken::parse(assertion, MAX_ASSERTION_BYTES, Padding::Forbidden)?;
    checks::check_algorithm(&token, Algorithm::Es256)?;
    checks::check_no_critical_extensions(&token)?;
    let kid = checks::require_kid(&token)?;
    let key = parse_jwks(jwks, Algorithm::Es256)?
        .into_iter()
        .find(|(id, _)| *id == kid)
        .map(|(_, key)| key)
        .ok_or_else(|| Error::fixed(ErrorCode::UnknownKid, "the JWKS has no key with this kid"))?;
    let signed = SignatureJob::new(token, Algorithm::Es256, &key)?.verify_with(backend)?;
    let claims = signed.claims;
    checks::check_times(&claims, now, expected.skew_secs)?;
    checks::numeric_date(&claims, "iat")?
        .ok_or_else(|| Error::fixed(ErrorCode::MissingClaim, "the assertion has no \"iat\""))?;
    if let Some(issuer) = &expected.issuer {
        checks::check_issuer(&claims, issuer)?;
    }
    checks::check_audience(&claims, std::slice::from_ref(&expected.audience))?;
    if let Some((method, path)) = &expected.request {
        check_binding(&claims, method, path)?;
    }
    Ok(claims)
}

/// RFC 9449 §4.3 steps 8 and 9, as the gate binds: `htm` equal to the method, `htu` equal
/// to the path (no query). An unbound assertion is refused where a bound one is expected.
fn check_binding(claims: &Map, method: &str, path: &str) -> Result<()> {
    let claim = |name: &str| claims.get(name).and_then(|v| v.as_str());
    let (htm, htu) = match (claim("htm"), claim("htu")) {
        (Some(htm), Some(htu)) => (htm, htu),
        _ => {
            return Err(Error::fixed(
                ErrorCode::BindingMismatch,
                "the assertion is not bound to a request (no htm/htu)",
            ))
        }
    };
    if htm != method || htu != path {
        return Err(Error::fixed(
            ErrorCode::BindingMismatch,
            "the assertion was made for another method or path",
        ));
    }
    Ok(())
}
