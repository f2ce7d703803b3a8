//! The OBO exchange contract: the app's endpoint that trades an Entra access token for app
//! tokens with role claims (Microsoft identity platform On-Behalf-Of flow, done server-side
//! by that endpoint; this crate only speaks its JSON contract).
//!
//! Request: `POST {endpoint}` with `Content-Type: application/json` and
//! `{"azure_token": "<Entra access token>", "tenant_id": "<tenant GUID>"}`.
//! Answer (2xx): `access_token`, `id_token`, `refresh_token` (optional), `expires_in`,
//! `stackflow_user_id`, `roles` (array of strings).
//!
//! Missing admin consent for `GroupMember.Read.All` (the endpoint reads group membership
//! through Microsoft Graph to map groups to roles) is the most common failure, so any
//! error that smells of consent becomes `consent_required` with that advice.

use crate::entra::types::{AccessToken, IdToken, RefreshToken, TenantId};
use crate::entra::{excerpt, is_success, HttpRequest};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::quote::quoted;

/// The request body. Field order and names are the contract.
#[derive(Debug, Clone)]
pub struct OboRequest {
    pub azure_token: AccessToken,
    pub tenant_id: TenantId,
}

impl OboRequest {
    /// `{"azure_token": …, "tenant_id": …}`.
    pub fn to_json(&self) -> String {
        json::ObjectWriter::new()
            .string("azure_token", self.azure_token.secret())
            .string("tenant_id", self.tenant_id.as_str())
            .finish()
    }

    /// The endpoint's side of the contract (the local OBO service reads requests with
    /// it): both members strings, the tenant a valid tenant id. The message says what is
    /// wrong, never the token.
    pub fn from_json(body: &[u8]) -> std::result::Result<Self, String> {
        let doc = json::parse_object(body)?;
        let tenant_id =
            TenantId::new(doc.required_str("tenant_id")?).map_err(|e| e.message().to_owned())?;
        Ok(OboRequest {
            azure_token: AccessToken::new(doc.required_str("azure_token")?),
            tenant_id,
        })
    }
}

/// The tokens the OBO endpoint returns. `Debug` redacts them.
#[derive(Debug, Clone)]
pub struct OboTokens {
    pub access_token: AccessToken,
    pub id_token: IdToken,
    pub refresh_token: Option<RefreshToken>,
    pub expires_in: u64,
    pub stackflow_user_id: String,
    pub roles: Vec<String>,
}

impl OboTokens {
    /// The 2xx answer's members; unknown members are ignored, a known one of the wrong
    /// type is named.
    fn from_json(body: &str) -> std::result::Result<Self, String> {
        let doc = json::parse_object(body.as_bytes())?;
        let expires_in = match doc.get("expires_in") {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        }
        .ok_or("\"expires_in\" is not a whole number of seconds")?;
        let roles = match doc.get("roles") {
            Some(Value::Array(items)) => {
                let mut roles = Vec::with_capacity(items.len());
                for item in items {
                    let role = item
                        .as_str()
                        .ok_or("\"roles\" holds something other than strings")?;
                    roles.push(role.to_owned());
                }
                roles
            }
            Some(other) => return Err(format!("\"roles\" is {}, not an array", other.kind())),
            None => return Err("\"roles\" is missing".to_owned()),
        };
        Ok(OboTokens {
            access_token: AccessToken::new(doc.required_str("access_token")?),
            id_token: IdToken::new(doc.required_str("id_token")?),
            refresh_token: doc.optional_str("refresh_token")?.map(RefreshToken::new),
            expires_in,
            stackflow_user_id: doc.required_str("stackflow_user_id")?.to_owned(),
            roles,
        })
    }

    /// When the app access token expires, in Unix seconds, given when the answer arrived.
    pub fn expires_at(&self, now: u64) -> u64 {
        now.saturating_add(self.expires_in)
    }
}

/// Words in an error body that point at missing consent.
const CONSENT_MARKERS: &[&str] = &["consent", "aadsts65001", "groupmember.read.all"];

const CONSENT_ADVICE: &str =
    "missing admin consent for GroupMember.Read.All is the most common cause of OBO failures: \
     an Entra administrator must grant admin consent to the app's API permissions";

/// How much of a non-JSON error body a message keeps.
const MAX_BODY_EXCERPT: usize = 200;

/// `POST endpoint_url` with the JSON body. The Entra access token is a bearer credential,
/// so the endpoint must be https (http only on loopback, for local stacks).
pub fn build_obo_request(
    endpoint_url: &str,
    access_token: &AccessToken,
    tenant_id: &TenantId,
) -> Result<HttpRequest> {
    crate::entra::uri::check(endpoint_url, crate::entra::uri::UrlRule::Endpoint).map_err(
        |why| {
            Error::new(
                ErrorCode::InvalidConfig,
                format!("obo_endpoint {} {why}", quoted(endpoint_url)),
            )
        },
    )?;
    let body = OboRequest {
        azure_token: access_token.clone(),
        tenant_id: tenant_id.clone(),
    }
    .to_json();
    Ok(HttpRequest::post(endpoint_url, "application/json", body))
}

/// The answer to [`build_obo_request`]: 2xx → tokens; 401/403 → `obo_unauthorized`; other
/// → `obo_failed`; a consent hint anywhere in an error → `consent_required`; a 2xx that
/// does not match the contract → `invalid_response`.
pub fn parse_obo_response(status: u16, body: &str) -> Result<OboTokens> {
    if is_success(status) {
        let tokens = OboTokens::from_json(body).map_err(|e| {
            if mentions_consent(body) {
                consent_error(status, body)
            } else {
                Error::new(
                    ErrorCode::InvalidResponse,
                    format!("the OBO answer does not match the contract: {e}"),
                )
            }
        })?;
        if tokens.access_token.secret().is_empty() || tokens.id_token.secret().is_empty() {
            return Err(Error::fixed(
                ErrorCode::InvalidResponse,
                "the OBO answer has an empty access_token or id_token",
            ));
        }
        return Ok(tokens);
    }
    if mentions_consent(body) {
        return Err(consent_error(status, body));
    }
    let code = match status {
        401 | 403 => ErrorCode::OboUnauthorized,
        _ => ErrorCode::OboFailed,
    };
    Err(Error::new(
        code,
        format!(
            "the OBO endpoint answered HTTP {status}: {}",
            endpoint_message(body)
        ),
    ))
}

fn mentions_consent(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    CONSENT_MARKERS
        .iter()
        .any(|m| crate::text::contains(&lower, m))
}

fn consent_error(status: u16, body: &str) -> Error {
    Error::new(
        ErrorCode::ConsentRequired,
        format!(
            "the OBO endpoint answered HTTP {status} ({}); {CONSENT_ADVICE}",
            endpoint_message(body)
        ),
    )
}

/// What the endpoint said: the string members `error`, `error_description`, `message` and
/// `detail` of a JSON body (API Gateway, Lambda and FastAPI each use some of them), else
/// the start of the text.
fn endpoint_message(body: &str) -> String {
    if let Ok(Value::Object(doc)) = json::parse(body.as_bytes()) {
        let mut said = String::new();
        for part in ["error", "error_description", "message", "detail"]
            .iter()
            .filter_map(|k| doc.get(k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
        {
            if !said.is_empty() {
                said.push_str(": ");
            }
            said.push_str(part);
        }
        if !said.is_empty() {
            return excerpt(&said, MAX_BODY_EXCERPT * 2);
        }
    }
    match excerpt(body, MAX_BODY_EXCERPT) {
        text if text.is_empty() => "(empty body)".to_owned(),
        text => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://606pvqo245.execute-api.us-east-1.amazonaws.com/obo/exchange";
    const TENANT: &str = "df4d171f-6cca-4c87-84cd-f299e4fca3a9";

    fn request() -> HttpRequest {
        build_obo_request(
            ENDPOINT,
            &AccessToken::new("eyJ.azure.token"),
            &TenantId::new(TENANT).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn obo_request_json_shape_is_exact() {
        let req = request();
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url, ENDPOINT);
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        let body = req.body.clone().unwrap();
        assert_eq!(
            body,
            format!(r#"{{"azure_token":"eyJ.azure.token","tenant_id":"{TENANT}"}}"#)
        );
        let v = json::parse(body.as_bytes()).unwrap();
        assert_eq!(v.as_object().map(crate::json::Map::len), Some(2));
        let back = OboRequest::from_json(body.as_bytes()).unwrap();
        assert_eq!(back.azure_token.secret(), "eyJ.azure.token");
        assert_eq!(back.tenant_id.as_str(), TENANT);
        assert!(!format!("{req:?}").contains("eyJ.azure.token"));
    }

    #[test]
    fn obo_request_refuses_plain_http_endpoint() {
        let err = build_obo_request(
            "http://obo.example.com/exchange",
            &AccessToken::new("t"),
            &TenantId::new(TENANT).unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(build_obo_request(
            "http://127.0.0.1:4020/obo/exchange",
            &AccessToken::new("t"),
            &TenantId::new(TENANT).unwrap()
        )
        .is_ok());
    }

    const OK: &str = r#"{"access_token":"eyJa","id_token":"eyJi","refresh_token":"eyJr",
        "expires_in":3600,"stackflow_user_id":"usr_1","roles":["itsm_agent"]}"#;

    #[test]
    fn parses_obo_tokens() {
        let t = parse_obo_response(200, OK).unwrap();
        assert_eq!(t.access_token.secret(), "eyJa");
        assert_eq!(t.id_token.secret(), "eyJi");
        assert_eq!(t.refresh_token.as_ref().unwrap().secret(), "eyJr");
        assert_eq!(t.expires_in, 3600);
        assert_eq!(t.expires_at(10), 3610);
        assert_eq!(t.stackflow_user_id, "usr_1");
        assert_eq!(t.roles, vec!["itsm_agent"]);
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("eyJa") && !shown.contains("eyJr"),
            "{shown}"
        );
    }

    #[test]
    fn obo_request_reader_refuses_what_the_contract_does_not_allow() {
        for body in [
            "",
            "[]",
            r#"{"azure_token":"t"}"#,
            r#"{"azure_token":"t","tenant_id":"not-a-tenant"}"#,
            r#"{"azure_token":1,"tenant_id":"common"}"#,
            r#"{"azure_token":"t","azure_token":"u","tenant_id":"common"}"#,
        ] {
            assert!(OboRequest::from_json(body.as_bytes()).is_err(), "{body}");
        }
    }

    #[test]
    fn obo_refresh_token_is_optional() {
        let body = r#"{"access_token":"a","id_token":"i","expires_in":1,"stackflow_user_id":"u","roles":[]}"#;
        assert!(parse_obo_response(200, body)
            .unwrap()
            .refresh_token
            .is_none());
    }

    #[test]
    fn unauthorized_is_obo_unauthorized_with_message() {
        for (status, body) in [
            (401, r#"{"message":"Unauthorized"}"#),
            (403, r#"{"detail":"token audience is wrong"}"#),
            (401, "plain text refusal"),
        ] {
            let err = parse_obo_response(status, body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::OboUnauthorized, "{body}");
        }
        let err = parse_obo_response(403, r#"{"detail":"token audience is wrong"}"#).unwrap_err();
        assert!(err.message().contains("token audience is wrong"));
    }

    #[test]
    fn other_failures_are_obo_failed() {
        let err = parse_obo_response(502, &"x".repeat(1000)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::OboFailed);
        assert!(err.message().len() < 300);
        assert_eq!(
            parse_obo_response(500, "").unwrap_err().code(),
            ErrorCode::OboFailed
        );
    }

    #[test]
    fn consent_body_is_consent_required() {
        for (status, body) in [
            (
                500,
                r#"{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented"}"#,
            ),
            (
                403,
                r#"{"message":"Graph call failed: GroupMember.Read.All not granted"}"#,
            ),
            (400, "admin_consent required"),
        ] {
            let err = parse_obo_response(status, body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::ConsentRequired, "{body}");
            assert!(err.message().contains("GroupMember.Read.All"));
        }
    }

    #[test]
    fn malformed_success_is_invalid_response() {
        for body in [
            "",
            "<html>",
            r#"{"access_token":"a","id_token":"i","expires_in":1,"stackflow_user_id":"u","roles":"admin"}"#,
            r#"{"access_token":"a","id_token":"i","expires_in":1,"stackflow_user_id":"u","roles":[1]}"#,
            r#"{"access_token":"a","expires_in":1,"stackflow_user_id":"u","roles":[]}"#,
            r#"{"access_token":"a","id_token":"i","expires_in":-1,"stackflow_user_id":"u","roles":[]}"#,
            r#"{"access_token":"a","id_token":"i","expires_in":1.5,"stackflow_user_id":"u","roles":[]}"#,
            r#"{"access_token":"a","id_token":"i","expires_in":"1","stackflow_user_id":"u","roles":[]}"#,
            r#"{"access_token":7,"id_token":"i","expires_in":1,"stackflow_user_id":"u","roles":[]}"#,
            r#"{"access_token":"a","id_token":"i","expires_in":1,"stackflow_user_id":"u","roles":[],"roles":["super_admin"]}"#,
            "[]",
        ] {
            assert_eq!(
                parse_obo_response(200, body).unwrap_err().code(),
                ErrorCode::InvalidResponse,
                "{body}"
            );
        }
    }
}
