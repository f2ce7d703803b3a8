//! Parsing a compact JWS (RFC 7515 §7.1) into an [`UntrustedToken`].
//!
//! Nothing here is trusted yet: the header and claims are read so that the pre-checks can
//! reject early and the right key can be looked up, but only a [`super::SignedToken`]
//! (which exists only after the signature step) can have its claims validated.

pub use crate::base64url::Padding;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Map, Value};

pub(crate) fn decode_segment(segment: &str, padding: Padding) -> Option<Vec<u8>> {
    crate::base64url::decode(segment, padding)
}

/// A token split and decoded, with nothing checked but its shape.
#[derive(Debug, Clone)]
pub struct UntrustedToken {
    pub(crate) header: Map,
    pub(crate) claims: Map,
    pub(crate) signing_input: String,
    pub(crate) signature: Vec<u8>,
}

impl UntrustedToken {
    /// Splits and decodes `token`, refusing anything over `max_bytes` before decoding.
    pub fn parse(token: &str, max_bytes: usize, padding: Padding) -> Result<Self> {
        if token.len() > max_bytes {
            return Err(Error::new(
                ErrorCode::TokenTooLarge,
                format!(
                    "token is {} bytes, over the {max_bytes}-byte limit",
                    token.len()
                ),
            ));
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::fixed(
                ErrorCode::MalformedToken,
                "a JWS in compact form has exactly three dot-separated segments",
            ));
        };

        let header = decode_object(header_b64, padding, ErrorCode::MalformedHeader, "header")?;
        let claims = decode_object(claims_b64, padding, ErrorCode::MalformedClaims, "claims")?;
        let signature = decode_segment(signature_b64, padding).ok_or_else(|| {
            Error::fixed(
                ErrorCode::MalformedToken,
                "the signature segment is not base64url",
            )
        })?;

        Ok(UntrustedToken {
            header,
            claims,
            signing_input: format!("{header_b64}.{claims_b64}"),
            signature,
        })
    }

    /// The JOSE header, unverified.
    pub fn header(&self) -> &Map {
        &self.header
    }

    /// The claims, unverified. Named so that nobody mistakes them for checked ones.
    pub fn claims_unverified(&self) -> &Map {
        &self.claims
    }

    /// A header parameter as a string, if it is one.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

fn decode_object(segment: &str, padding: Padding, code: ErrorCode, what: &str) -> Result<Map> {
    let bytes = decode_segment(segment, padding)
        .ok_or_else(|| Error::new(code, format!("the {what} segment is not base64url")))?;
    match json::parse(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(
            code,
            format!("the {what} is JSON but not an object"),
        )),
        Err(e) => Err(Error::new(code, format!("the {what} is not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        crate::base64url::encode(s.as_bytes())
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), b64("sig"))
    }

    #[test]
    fn rejects_wrong_segment_counts() {
        for t in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e"] {
            let e = UntrustedToken::parse(t, 16384, Padding::Forbidden).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MalformedToken, "{t}");
        }
    }

    #[test]
    fn the_size_limit_admits_a_token_of_exactly_that_size() {
        let t = token(r#"{"alg":"RS256"}"#, "{}");
        assert!(UntrustedToken::parse(&t, t.len(), Padding::Forbidden).is_ok());
        let e = UntrustedToken::parse(&t, t.len() - 1, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::TokenTooLarge);
    }

    #[test]
    fn shows_the_header_and_claims_as_sent() {
        // Public accessors: callers read the `kid` or an unverified `iss` to pick a verifier.
        let t = token(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"sub":"alice"}"#);
        let t = UntrustedToken::parse(&t, 16384, Padding::Forbidden).unwrap();
        assert_eq!(t.header().get("kid").and_then(Value::as_str), Some("k1"));
        assert_eq!(t.header_str("alg"), Some("RS256"));
        let sub = t.claims_unverified().get("sub").and_then(Value::as_str);
        assert_eq!(sub, Some("alice"));
    }

    #[test]
    fn rejects_oversized_before_decoding() {
        let t = "a".repeat(20_000);
        let e = UntrustedToken::parse(&t, 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::TokenTooLarge);
    }

    #[test]
    fn rejects_non_json_and_non_object() {
        let e =
            UntrustedToken::parse(&token("not json", "{}"), 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedHeader);
        let e = UntrustedToken::parse(&token("[1]", "{}"), 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedHeader);
        let e =
            UntrustedToken::parse(&token("{}", "\"s\""), 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedClaims);
    }

    #[test]
    fn rejects_duplicate_members() {
        // Two `aud` (or two `alg`) could be read either way by another reader: neither is.
        let t = token(r#"{"alg":"RS256"}"#, r#"{"aud":"a","aud":"b"}"#);
        let e = UntrustedToken::parse(&t, 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedClaims);
        assert!(e.message().contains("duplicate"), "{}", e.message());
        let t = token(r#"{"alg":"none","alg":"RS256"}"#, "{}");
        let e = UntrustedToken::parse(&t, 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedHeader);
    }

    #[test]
    fn padding_only_where_tolerated() {
        // `{"a":1}` is 7 bytes: its base64url needs one `=` when padded.
        let padded = format!("{}=.{}=.{}", b64("{\"a\":1}"), b64("{\"b\":1}"), b64("sig"));
        let e = UntrustedToken::parse(&padded, 16384, Padding::Forbidden).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedHeader);
        let t = UntrustedToken::parse(&padded, 16384, Padding::Tolerated).unwrap();
        assert_eq!(t.header.get("a").and_then(Value::as_u64), Some(1));
        // The signing input keeps the padding: it is what the signer signed.
        assert!(t.signing_input.ends_with("=") && t.signing_input.contains("=."));
    }

    #[test]
    fn rejects_standard_alphabet() {
        let t = format!("{}.{}.ab+/", b64("{}"), b64("{}"));
        let e = UntrustedToken::parse(&t, 16384, Padding::Tolerated).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedToken);
    }
}
