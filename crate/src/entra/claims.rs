//! The `claims` request parameter (OIDC Core §5.5) an app sends on authorize and token
//! requests: the claims an API's challenge asked for ([`super::challenge`]) and the client
//! capabilities the app declares (`xms_cc`, e.g. `CP1` for Continuous Access Evaluation),
//! merged into one JSON object the way Entra reads them.

use super::challenge::decode_claims;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Map, Value};

/// Longest claims request accepted from the app or a challenge.
const MAX_CLAIMS_BYTES: usize = 4 * 1024;

/// A claims request as the app hands it over: JSON text of an object, or the challenge's
/// base64 value as it came. Anything else is `malformed_challenge`.
pub fn read_claims(claims: &str) -> Result<Map> {
    if claims.len() > MAX_CLAIMS_BYTES {
        return Err(Error::fixed(
            ErrorCode::MalformedChallenge,
            "the claims request is too long",
        ));
    }
    let text = match json::parse(claims.as_bytes()) {
        Ok(_) => claims.to_owned(),
        Err(_) => decode_claims(claims)?,
    };
    match json::parse(text.as_bytes()) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(Error::fixed(
            ErrorCode::MalformedChallenge,
            "the claims request is not a JSON object",
        )),
    }
}

/// The `claims` parameter: `claims` (from [`read_claims`]) with
/// `access_token.xms_cc.values` set to `capabilities`, or `None` when both are empty
/// (then no parameter is sent).
pub fn claims_parameter(claims: Option<Map>, capabilities: &[String]) -> Option<String> {
    let mut request = claims.unwrap_or_default();
    if !capabilities.is_empty() {
        let mut access_token = match request.remove("access_token") {
            Some(Value::Object(object)) => object,
            _ => Map::new(),
        };
        let mut xms_cc = Map::new();
        xms_cc.insert(
            "values",
            Value::Array(capabilities.iter().cloned().map(Value::String).collect()),
        );
        access_token.insert("xms_cc", Value::Object(xms_cc));
        request.insert("access_token", Value::Object(access_token));
    }
    (!request.is_empty()).then(|| request.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACRS: &str = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;

    #[test]
    fn capabilities_alone_make_xms_cc() {
        assert_eq!(
            claims_parameter(None, &["CP1".to_owned()]).as_deref(),
            Some(r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#)
        );
        assert_eq!(claims_parameter(None, &[]), None);
    }

    #[test]
    fn challenge_and_capabilities_merge_under_access_token() {
        let merged = claims_parameter(Some(read_claims(ACRS).unwrap()), &["CP1".to_owned()]);
        assert_eq!(
            merged.as_deref(),
            Some(
                r#"{"access_token":{"acrs":{"essential":true,"value":"c1"},"xms_cc":{"values":["CP1"]}}}"#
            )
        );
        assert_eq!(
            claims_parameter(Some(read_claims(ACRS).unwrap()), &[]).as_deref(),
            Some(ACRS)
        );
    }

    #[test]
    fn reads_json_or_the_challenges_base64() {
        let from_base64 = read_claims(
            "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==",
        )
        .unwrap();
        assert!(from_base64.get("access_token").is_some());
        for bad in [
            "[1]",
            "\"x\"",
            "not base64 either",
            &"e".repeat(MAX_CLAIMS_BYTES + 1),
        ] {
            assert_eq!(
                read_claims(bad).unwrap_err().code(),
                ErrorCode::MalformedChallenge,
                "{bad}"
            );
        }
    }
}
