//! `GET /api/tickets`: a stand-in for a StackFlow API route, protected by the app access
//! token the exchange issued. It verifies the token with the core's Cognito verifier
//! (RS256 against this service's own key, `iss`, `token_use: access`, `client_id`, times)
//! and lets any StackFlow role read. Later the edge worker sits in front of routes like it.

use entra_edge_auth::jwt::{self, CognitoConfig, CognitoVerifier, TokenUse};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{Error, ErrorCode, Tuning};
use serde_json::{json, Value};

use crate::cognito::CognitoIssuer;
use crate::exchange::Refusal;

pub struct TicketsApi {
    verifier: CognitoVerifier,
}

impl TicketsApi {
    pub fn new(issuer: &CognitoIssuer) -> Result<Self, String> {
        let iss = issuer.issuer();
        let verifier = CognitoVerifier::new(
            CognitoConfig {
                jwks_url: CognitoConfig::default_jwks_url(&iss),
                issuer: iss,
                client_ids: vec![issuer.client_id().to_owned()],
                token_uses: vec![TokenUse::Access],
            },
            Tuning::default(),
        )
        .map_err(|e| e.to_string())?;
        Ok(TicketsApi { verifier })
    }

    /// Answers the route for an `Authorization` header value, as of `now`.
    pub fn handle(
        &self,
        authorization: Option<&str>,
        issuer: &CognitoIssuer,
        now: u64,
    ) -> Result<String, Refusal> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Refusal::from_error(&Error::new(
                    ErrorCode::MissingCredential,
                    "this route needs the StackFlow access token as `Authorization: Bearer …`",
                ))
            })?;
        let verified = jwt::verify_sync(
            &self.verifier,
            token,
            now,
            &mut |key_ref| {
                if key_ref.kid == issuer.kid() {
                    issuer
                        .public_key()
                        .map_err(|e| Error::new(ErrorCode::MalformedKey, e))
                } else {
                    Err(Error::new(
                        ErrorCode::UnknownKid,
                        format!("no key with kid {:?}", key_ref.kid),
                    ))
                }
            },
            &RustCrypto,
        )
        .map_err(|e| Refusal::from_error(&e))?;

        let roles: Vec<String> = verified
            .claims
            .get("cognito:groups")
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if roles.is_empty() {
            return Err(Refusal::from_error(&Error::new(
                ErrorCode::RoleDenied,
                "the token is valid, but the user has no StackFlow role (none of their Entra groups is mapped)",
            )));
        }
        Ok(json!({
            "route": "GET /api/tickets",
            "verified": true,
            "user": verified.subject,
            "username": verified.claims.get("username"),
            "roles": roles,
            "tickets": [
                { "id": "INC-1042", "title": "VPN drops every 20 minutes", "state": "in_progress" },
                { "id": "CHG-311", "title": "Rotate the ALB certificate", "state": "scheduled" },
            ],
        })
        .to_string())
    }
}
