//! Entra access tokens for the app's own API, as `Authorization: Bearer` (issue 12 §4).
//!
//! Enabled by `ENTRA_AUDIENCES` (the API's App ID URI and/or client id, comma-separated);
//! then `ENTRA_TENANT_ID` (a GUID: one tenant) is required. The core's [`EntraVerifier`]
//! checks RS256 against the tenant's JWKS, `iss`, `tid`, `aud` (and `azp` with several
//! audiences), `exp`/`nbf`/`iat`, and that it is an access token (`scp` or `roles`); roles
//! come from `roles` and from `groups` through `GROUP_ROLES`.
//!
//! - **Which verifier**: a Bearer token's source is told by its (unverified) `iss` before
//!   any key is fetched: Entra's v2 issuer `{ENTRA_AUTHORITY}/{tenant}/v2.0` (and, with
//!   `ENTRA_TOKEN_VERSIONS=1,2`, the v1 issuer `https://sts.windows.net/{tenant}/`) goes to
//!   Entra, anything else to Cognito (refused as before when Cognito is not configured).
//!   Choosing by `iss` decides only which checks run: the chosen verifier still checks `iss`
//!   itself after the signature, with its own keys.
//! - **Graph tokens** (a `nonce` in the JOSE header: Graph signs a hash of it, so no one but
//!   Graph can verify them) are refused with `graph_token` before any key fetch.
//! - **Keys**: `ENTRA_JWKS_URL`, default `{ENTRA_AUTHORITY}/{tenant}/discovery/v2.0/keys`
//!   (the `jwks_uri` of the tenant's v2 discovery document; v1 tokens are signed with the
//!   same keys), cached like the other key sets.

use super::env::{split_list, Env};
use crate::error::{Error, ErrorCode, Result};
use crate::jwt::entra::is_guid;
use crate::jwt::{
    EntraConfig, EntraTokenKind, EntraVerifier, Padding, Pending, SignedToken, TokenVerifier,
    UntrustedToken, VerifiedToken,
};
use crate::tuning::Tuning;

/// Microsoft's v1 token issuer, for every cloud tenant (`{tenantid}` filled in).
const V1_ISSUER_TEMPLATE: &str = "https://sts.windows.net/{tenantid}/";

/// The settings, read by `config.rs` from `env` (pure here, so it is tested natively).
pub struct EntraSettings<'a> {
    pub tenant: &'a str,
    pub authority: &'a str,
    pub audiences: Vec<String>,
    pub jwks_url: Option<&'a str>,
    /// `ENTRA_TOKEN_VERSIONS`, e.g. `2` (default) or `1,2`.
    pub versions: Option<&'a str>,
}

/// The Entra source from `env`: `None` when `ENTRA_AUDIENCES` is unset (then Entra Bearer
/// tokens are not read as Entra's: they go to Cognito, or are refused).
pub fn from_env(env: &Env, tuning: Tuning) -> Result<Option<EntraAccess>> {
    let Some(audiences) = env.get("ENTRA_AUDIENCES")? else {
        return Ok(None);
    };
    let tenant = env.get("ENTRA_TENANT_ID")?.unwrap_or_default();
    let authority = env
        .get("ENTRA_AUTHORITY")?
        .unwrap_or_else(|| "https://login.microsoftonline.com".to_owned());
    let jwks_url = env.get("ENTRA_JWKS_URL")?;
    let versions = env.get("ENTRA_TOKEN_VERSIONS")?;
    EntraAccess::new(
        EntraSettings {
            tenant: &tenant,
            authority: &authority,
            audiences: split_list(&audiences),
            jwks_url: jwks_url.as_deref(),
            versions: versions.as_deref(),
        },
        tuning,
    )
    .map(Some)
}

/// An accepted Entra token version, with its issuer and verifier.
struct Version {
    issuer: String,
    verifier: GraphRefusing,
}

/// The Entra verifiers of the edge, one per accepted token version.
pub struct EntraAccess {
    versions: Vec<Version>,
    max_token_bytes: usize,
}

impl EntraAccess {
    /// `Err` names the setting at fault (`invalid_config`).
    pub fn new(settings: EntraSettings<'_>, tuning: Tuning) -> Result<EntraAccess> {
        let invalid =
            |name: &str, why: &str| Error::new(ErrorCode::InvalidConfig, format!("{name} {why}"));
        if !is_guid(settings.tenant) {
            return Err(invalid(
                "ENTRA_TENANT_ID",
                "must be the tenant GUID to accept Entra access tokens (ENTRA_AUDIENCES is set)",
            ));
        }
        if settings.audiences.is_empty() {
            return Err(invalid("ENTRA_AUDIENCES", "names no audience"));
        }
        let authority = settings.authority.trim_end_matches('/');
        let jwks_url = settings
            .jwks_url
            .map(str::to_owned)
            .unwrap_or_else(|| EntraConfig::default_jwks_url(authority, settings.tenant));
        let mut versions = Vec::new();
        for version in settings.versions.unwrap_or("2").split(',').map(str::trim) {
            let (issuer, template) = match version {
                "2" => (format!("{authority}/{}/v2.0", settings.tenant), None),
                "1" => (
                    crate::text::replace(V1_ISSUER_TEMPLATE, "{tenantid}", settings.tenant),
                    Some(V1_ISSUER_TEMPLATE.to_owned()),
                ),
                other => {
                    return Err(invalid(
                        "ENTRA_TOKEN_VERSIONS",
                        &format!("lists {other:?}: only 1 and 2 are Entra token versions"),
                    ))
                }
            };
            if versions.iter().any(|v: &Version| v.issuer == issuer) {
                continue;
            }
            let verifier = EntraVerifier::new(
                EntraConfig {
                    authority_host: authority.to_owned(),
                    tenant: settings.tenant.to_owned(),
                    audiences: settings.audiences.clone(),
                    jwks_url: jwks_url.clone(),
                    issuer_template: template,
                    kind: EntraTokenKind::AccessToken,
                },
                tuning,
            )
            .map_err(|e| invalid("ENTRA_AUDIENCES", &format!("is invalid: {}", e.message())))?;
            versions.push(Version {
                issuer,
                verifier: GraphRefusing(verifier),
            });
        }
        Ok(EntraAccess {
            versions,
            max_token_bytes: tuning.max_token_bytes,
        })
    }

    /// The verifier for a Bearer token whose unverified `iss` is one of the accepted Entra
    /// issuers; `None` for any other token (it goes to Cognito). A token that does not parse
    /// is `None` too: the Cognito verifier (or the "not accepted" deny) names its fault.
    pub fn verifier_for(&self, token: &str) -> Option<&dyn TokenVerifier> {
        let untrusted =
            UntrustedToken::parse(token, self.max_token_bytes, Padding::Forbidden).ok()?;
        let iss = match untrusted.claims_unverified().get("iss") {
            Some(crate::json::Value::String(iss)) => iss.as_str(),
            _ => return None,
        };
        self.versions
            .iter()
            .find(|v| v.issuer == iss)
            .map(|v| &v.verifier as &dyn TokenVerifier)
    }
}

/// The Entra access-token verifier, refusing Graph tokens first.
struct GraphRefusing(EntraVerifier);

impl TokenVerifier for GraphRefusing {
    fn precheck(&self, token: &str) -> Result<Pending> {
        let pending = self.0.precheck(token)?;
        if pending.untrusted().header().contains_key("nonce") {
            return Err(Error::fixed(
                ErrorCode::GraphToken,
                "this is a Microsoft Graph access token (a nonce in its header): only Graph can \
                 verify it; ask Entra for a token for this API's scope",
            ));
        }
        Ok(pending)
    }

    fn validate(&self, signed: SignedToken, now: u64) -> Result<VerifiedToken> {
        self.0.validate(signed, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const TENANT: &str = "0d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
    const AUTHORITY: &str = "https://login.microsoftonline.com";

    fn access(versions: Option<&str>) -> Result<EntraAccess> {
        EntraAccess::new(
            EntraSettings {
                tenant: TENANT,
                authority: AUTHORITY,
                audiences: vec!["api://app".to_owned(), "app-client-id".to_owned()],
                jwks_url: None,
                versions,
            },
            Tuning::default(),
        )
    }

    fn token(header: &str, claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", b64(header), b64(claims), b64("signature"))
    }

    fn with_iss(iss: &str) -> String {
        token(
            r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            &format!(r#"{{"iss":"{iss}","sub":"s","exp":4000000000}}"#),
        )
    }

    #[test]
    fn the_v2_issuer_goes_to_entra_and_others_do_not() {
        let a = access(None).unwrap();
        assert!(a
            .verifier_for(&with_iss(&format!("{AUTHORITY}/{TENANT}/v2.0")))
            .is_some());
        // Another tenant, Cognito, the v1 issuer while only v2 is accepted, no iss.
        for iss in [
            format!("{AUTHORITY}/11111111-2222-3333-4444-555555555555/v2.0"),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X".to_owned(),
            format!("https://sts.windows.net/{TENANT}/"),
        ] {
            assert!(a.verifier_for(&with_iss(&iss)).is_none(), "{iss}");
        }
        assert!(a
            .verifier_for(&token(r#"{"alg":"RS256"}"#, r#"{"sub":"s"}"#))
            .is_none());
        assert!(a.verifier_for("not a token").is_none());
    }

    #[test]
    fn v1_tokens_only_when_configured() {
        let a = access(Some("1,2")).unwrap();
        let v1 = with_iss(&format!("https://sts.windows.net/{TENANT}/"));
        assert!(a.verifier_for(&v1).is_some());
        assert!(a
            .verifier_for(&with_iss(&format!("{AUTHORITY}/{TENANT}/v2.0")))
            .is_some());
        let only_v1 = access(Some("1")).unwrap();
        assert!(only_v1
            .verifier_for(&with_iss(&format!("{AUTHORITY}/{TENANT}/v2.0")))
            .is_none());
    }

    #[test]
    fn a_graph_token_is_refused_before_any_key_is_needed() {
        let a = access(None).unwrap();
        let graph = token(
            r#"{"alg":"RS256","kid":"k1","typ":"JWT","nonce":"abc"}"#,
            &format!(r#"{{"iss":"{AUTHORITY}/{TENANT}/v2.0","sub":"s","exp":4000000000}}"#),
        );
        let verifier = a.verifier_for(&graph).unwrap();
        let err = verifier.precheck(&graph).unwrap_err();
        assert_eq!(err.code(), ErrorCode::GraphToken);
        // The same token without the nonce passes the precheck (to the key step).
        let plain = with_iss(&format!("{AUTHORITY}/{TENANT}/v2.0"));
        assert!(a.verifier_for(&plain).unwrap().precheck(&plain).is_ok());
    }

    #[test]
    fn settings_are_named_when_wrong() {
        let bad_tenant = EntraAccess::new(
            EntraSettings {
                tenant: "common",
                authority: AUTHORITY,
                audiences: vec!["api://app".to_owned()],
                jwks_url: None,
                versions: None,
            },
            Tuning::default(),
        );
        assert!(bad_tenant
            .err()
            .unwrap()
            .message()
            .starts_with("ENTRA_TENANT_ID"));
        let bad_version = access(Some("2,3")).err().unwrap();
        assert_eq!(bad_version.code(), ErrorCode::InvalidConfig);
        assert!(bad_version.message().starts_with("ENTRA_TOKEN_VERSIONS"));
    }
}
