//! `POST /obo/exchange` (seed 003): an Entra access token in, app tokens with roles out.
//!
//! In order: the body must be the contract's JSON; `tenant_id` must be the configured
//! tenant; the token is verified with the core (`EntraVerifier` for access tokens: RS256
//! against the tenant JWKS, `iss`, `tid`, `aud` = the API, `exp`/`nbf`/`iat`, and `scp` or
//! `roles`, so an ID token is refused); `groups` are mapped to roles with the configured
//! table; the Cognito-shaped tokens are signed. Every refusal names its reason.

use entra_edge_auth::entra::TenantId;
use entra_edge_auth::json;
use entra_edge_auth::jwt::{
    self, EntraConfig, EntraTokenKind, EntraVerifier, Padding, UntrustedToken,
};
use entra_edge_auth::keys::{HttpAnswer, KeyCache};
use entra_edge_auth::obo::OboRequest;
use entra_edge_auth::roles::{collect_roles, RoleMapping};
use entra_edge_auth::rust_crypto::RustCrypto;
use entra_edge_auth::{Error, ErrorCode, Tuning};
use serde_json::{json, Map, Value};

use crate::cognito::{CognitoIssuer, Subject};
use crate::config::{Config, GroupRole};

/// A refusal: HTTP status and the JSON body `{"error": code, "message": text}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub body: String,
}

impl Refusal {
    /// A core error, with the status the core assigns to its code.
    pub fn from_error(error: &Error) -> Self {
        Refusal {
            status: error.code().http_status(),
            body: error.to_json(),
        }
    }

    /// A refusal for which the core has no code (a malformed request).
    pub fn other(status: u16, code: &str, message: &str) -> Self {
        Refusal {
            status,
            body: json!({ "error": code, "message": message }).to_string(),
        }
    }
}

/// The exchange: verifier, key cache, role table and token issuer.
pub struct Exchange {
    tenant: TenantId,
    verifier: EntraVerifier,
    keys: KeyCache,
    mapping: RoleMapping,
    /// The table's roles in its order, most privileged first.
    role_order: Vec<String>,
    issuer: CognitoIssuer,
    ttl: u64,
}

impl Exchange {
    pub fn new(config: &Config, issuer: CognitoIssuer) -> Result<Self, String> {
        let e = &config.entra;
        let tenant = TenantId::new(&e.tenant_id).map_err(|e| e.to_string())?;
        if !tenant.is_guid() {
            return Err("entra.tenant_id must be the tenant GUID the OBO service serves".into());
        }
        let jwks_url = e
            .jwks_url
            .clone()
            .unwrap_or_else(|| EntraConfig::default_jwks_url(&e.authority_host, &e.tenant_id));
        let verifier = EntraVerifier::new(
            EntraConfig {
                authority_host: e.authority_host.clone(),
                tenant: tenant.as_str().to_owned(),
                audiences: e.audiences.clone(),
                jwks_url,
                issuer_template: None,
                kind: EntraTokenKind::AccessToken,
            },
            Tuning::default(),
        )
        .map_err(|e| e.to_string())?;
        let table: Map<String, Value> = config
            .group_roles
            .iter()
            .map(|GroupRole { group, role }| (group.clone(), json!(role)))
            .collect();
        let mapping =
            RoleMapping::from_json(&Value::Object(table).to_string()).map_err(|e| e.to_string())?;
        Ok(Exchange {
            tenant,
            verifier,
            keys: KeyCache::new(Tuning::default()),
            mapping,
            role_order: config.group_roles.iter().map(|r| r.role.clone()).collect(),
            issuer,
            ttl: config.token_ttl_secs,
        })
    }

    pub fn issuer(&self) -> &CognitoIssuer {
        &self.issuer
    }

    /// Test control: signs from now on with a new key; `publish` says whether the JWKS
    /// serves it (a rotation) or keeps serving the old one (tokens the edge refuses).
    pub fn rotate_key(&mut self, publish: bool) -> Result<(), String> {
        self.issuer.rotate(publish)
    }

    /// Handles one request body as of `now`; `fetch` GETs key documents.
    pub fn handle(
        &mut self,
        body: &[u8],
        now: u64,
        fetch: &mut dyn FnMut(&str) -> entra_edge_auth::Result<HttpAnswer>,
    ) -> Result<String, Refusal> {
        let request = OboRequest::from_json(body).map_err(|e| {
            Refusal::other(
                400,
                "invalid_request",
                &format!(
                    "the body must be JSON {{\"azure_token\": \"<Entra access token>\", \"tenant_id\": \"<tenant GUID>\"}}: {e}"
                ),
            )
        })?;
        if request.tenant_id != self.tenant {
            return Err(Refusal::from_error(&Error::new(
                ErrorCode::TenantMismatch,
                format!(
                    "tenant_id {} is not the tenant this OBO endpoint serves",
                    request.tenant_id
                ),
            )));
        }

        let keys = &mut self.keys;
        let verified = jwt::verify_sync(
            &self.verifier,
            request.azure_token.secret(),
            now,
            &mut |key_ref| keys.resolve_sync(key_ref, now, fetch),
            &RustCrypto,
        )
        .map_err(|e| Refusal::from_error(&explain(e, request.azure_token.secret())))?;

        let claims = &verified.claims;
        // Seed 003 maps groups only: the token's other role claims grant nothing here.
        let group_claims: json::Map = ["groups", "_claim_names", "hasgroups"]
            .iter()
            .filter_map(|k| claims.get(k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        let mut found = collect_roles(&group_claims, &self.mapping);
        if found.groups_overage {
            return Err(Refusal::other(
                502,
                "group_overage",
                "the token says the user is in more groups than fit in it; the real endpoint \
                 reads them from Microsoft Graph (GroupMember.Read.All), which this local service cannot",
            ));
        }
        let order = |role: &String| self.role_order.iter().position(|r| r == role);
        found.roles.sort_by_key(order);
        let subject = Subject {
            tenant_id: self.tenant.as_str().to_owned(),
            oid: string_claim(claims, "oid").unwrap_or_else(|| verified.subject.clone()),
            username: string_claim(claims, "preferred_username")
                .unwrap_or_else(|| verified.subject.clone()),
            name: string_claim(claims, "name"),
            email: string_claim(claims, "email"),
            roles: found.roles,
            // The authentication contexts the user satisfied (a claims challenge's step-up)
            // travel on, so the API behind the edge can see them.
            acrs: claims
                .get("acrs")
                .and_then(json::Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(json::Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let tokens = self
            .issuer
            .issue(&subject, now, self.ttl)
            .map_err(|e| Refusal::other(500, "internal_error", &e))?;
        Ok(json!({
            "access_token": tokens.access_token,
            "id_token": tokens.id_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": self.ttl,
            "stackflow_user_id": tokens.user_id,
            "roles": subject.roles,
        })
        .to_string())
    }
}

/// Adds what the caller most likely did wrong to the core's message for the refusals that
/// come from sending the wrong token. The token's unverified claims only shape the words;
/// the decision was the core's.
fn explain(error: Error, token: &str) -> Error {
    let looks_like_id_token = UntrustedToken::parse(token, usize::MAX, Padding::Forbidden)
        .map(|t| {
            let claims = t.claims_unverified();
            !claims.contains_key("scp") && !claims.contains_key("roles")
        })
        .unwrap_or(false);
    let hint = match error.code() {
        ErrorCode::AudienceMismatch | ErrorCode::TokenUseMismatch if looks_like_id_token => {
            " (this looks like an ID token: send the access token issued for this API's scope)"
        }
        ErrorCode::AudienceMismatch => {
            " (this is an access token for another API, such as Microsoft Graph: request one for this API's scope)"
        }
        _ => return error,
    };
    Error::new(error.code(), format!("{}{hint}", error.message()))
}

fn string_claim(claims: &json::Map, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CognitoSettings, EntraSettings};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use jwt_compact::alg::{Rsa, RsaPrivateKey};
    use jwt_compact::{AlgorithmExt as _, Claims, Header};
    use rsa::traits::PublicKeyParts as _;

    const TENANT: &str = "0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
    const API: &str = "a9b0c1d2-3e4f-4a5b-8c6d-0000000000a9";
    const SPA: &str = "5fa1c0de-7e57-4b1a-9c2d-000000005ba0";
    const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
    const HOST: &str = "http://127.0.0.1:1";
    const NOW: u64 = 1_800_000_000;

    struct Fixture {
        exchange: Exchange,
        key: RsaPrivateKey,
        jwks: String,
    }

    fn fixture() -> Fixture {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
        let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())}]})
        .to_string();
        let config = Config {
            listen: "127.0.0.1:0".into(),
            entra: EntraSettings {
                authority_host: HOST.into(),
                tenant_id: TENANT.into(),
                audiences: vec![API.into()],
                jwks_url: None,
            },
            group_roles: [
                ("SG-StackFlow-Admins", "super_admin"),
                ("SG-StackFlow-Agents", "itsm_agent"),
            ]
            .iter()
            .map(|(g, r)| GroupRole {
                group: (*g).into(),
                role: (*r).into(),
            })
            .collect(),
            cognito: CognitoSettings {
                region: "us-east-1".into(),
                user_pool_id: "us-east-1_Test".into(),
                app_client_id: "client".into(),
            },
            token_ttl_secs: 3600,
            cors_origins: vec![],
            test_controls: false,
        };
        let issuer = CognitoIssuer::new(config.cognito.clone()).unwrap();
        Fixture {
            exchange: Exchange::new(&config, issuer).unwrap(),
            key,
            jwks,
        }
    }

    /// An Entra v2 access token for the API, with `changes` applied to its claims.
    fn token(f: &Fixture, changes: Value) -> String {
        let mut claims = json!({
            "iss": format!("{HOST}/{TENANT}/v2.0"), "tid": TENANT, "aud": API, "azp": SPA,
            "sub": "s", "oid": "o", "preferred_username": "ada@stackflow.test",
            "scp": "access_as_user", "groups": ["SG-StackFlow-Agents", "SG-Other"],
            "iat": NOW - 10, "exp": NOW + 3600,
        });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        let header = Header::empty().with_key_id("k1");
        Rsa::rs256()
            .token(&header, &Claims::new(claims), &f.key)
            .unwrap()
    }

    fn exchange(f: &mut Fixture, azure_token: &str, tenant: &str) -> Result<Value, (u16, Value)> {
        let body = json!({"azure_token": azure_token, "tenant_id": tenant}).to_string();
        let jwks = f.jwks.clone();
        f.exchange
            .handle(body.as_bytes(), NOW, &mut |_| {
                Ok((200, jwks.clone().into_bytes()))
            })
            .map(|ok| serde_json::from_str(&ok).unwrap())
            .map_err(|r| (r.status, serde_json::from_str(&r.body).unwrap()))
    }

    #[test]
    fn answers_the_seed_contract_with_mapped_roles() {
        let mut f = fixture();
        let t = token(&f, json!({}));
        let answer = exchange(&mut f, &t, TENANT).unwrap();
        assert_eq!(answer["roles"], json!(["itsm_agent"]));
        assert_eq!(answer["expires_in"], 3600);
        assert!(answer["stackflow_user_id"]
            .as_str()
            .unwrap()
            .starts_with("usr_"));
        for field in ["access_token", "id_token", "refresh_token"] {
            assert!(answer[field].is_string(), "{field}");
        }
    }

    #[test]
    fn user_in_no_mapped_group_gets_no_roles() {
        let mut f = fixture();
        let t = token(&f, json!({"groups": ["SG-Other"]}));
        assert_eq!(exchange(&mut f, &t, TENANT).unwrap()["roles"], json!([]));
    }

    #[test]
    fn refuses_a_graph_token() {
        let mut f = fixture();
        let t = token(&f, json!({"aud": GRAPH}));
        let (status, body) = exchange(&mut f, &t, TENANT).unwrap_err();
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("audience_mismatch"))
        );
        assert!(body["message"].as_str().unwrap().contains("another API"));
    }

    #[test]
    fn refuses_an_id_token() {
        let mut f = fixture();
        let t = token(&f, json!({"aud": SPA, "scp": null, "nonce": "n"}));
        let (status, body) = exchange(&mut f, &t, TENANT).unwrap_err();
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("token_use_mismatch"))
        );
        assert!(body["message"].as_str().unwrap().contains("ID token"));
        // Even for this API's audience, a token without scp/roles is not an access token.
        let t = token(&f, json!({"scp": null}));
        let (_, body) = exchange(&mut f, &t, TENANT).unwrap_err();
        assert_eq!(body["error"], "token_use_mismatch");
    }

    #[test]
    fn refuses_expired_and_tampered_tokens() {
        let mut f = fixture();
        let t = token(&f, json!({"exp": NOW - 3600, "iat": NOW - 7200}));
        assert_eq!(
            exchange(&mut f, &t, TENANT).unwrap_err().1["error"],
            "token_expired"
        );
        let t = token(&f, json!({}));
        let (head, rest) = t.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(r#"{"groups":["SG-StackFlow-Admins"]}"#);
        let forged = format!("{head}.{forged_claims}.{sig}");
        assert_eq!(
            exchange(&mut f, &forged, TENANT).unwrap_err().1["error"],
            "bad_signature"
        );
    }

    #[test]
    fn refuses_another_tenant_and_a_malformed_body() {
        let mut f = fixture();
        let t = token(&f, json!({}));
        let other = "11111111-2222-4333-8444-555555555555";
        assert_eq!(
            exchange(&mut f, &t, other).unwrap_err().1["error"],
            "tenant_mismatch"
        );
        let refusal = f
            .exchange
            .handle(b"{\"token\": 1}", NOW, &mut |_| unreachable!())
            .unwrap_err();
        assert_eq!(refusal.status, 400);
    }

    #[test]
    fn group_overage_is_not_silently_roleless() {
        let mut f = fixture();
        let t = token(
            &f,
            json!({"groups": null, "_claim_names": {"groups": "src1"}}),
        );
        assert_eq!(exchange(&mut f, &t, TENANT).unwrap_err().0, 502);
    }
}
