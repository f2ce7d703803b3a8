//! Microsoft Entra ID v2 tokens (RS256 via the tenant's JWKS).
//!
//! ID tokens follow OpenID Connect Core §3.1.3.7; the steps below carry its numbers:
//! 1. size, shape, `alg` RS256 (step 6: the algorithm is the one registered, not the
//!    header's choice), no `crit`, `kid` present;
//! 2. signature against the tenant's JWKS (step 6, separate step);
//! 3. `iss` equals `{authority}/{tid}/v2.0` (step 2), where `tid` is the configured tenant
//!    or, for `organizations`/`common`, the token's own `tid` (which must be a GUID), and
//!    for `consumers` the Microsoft-account tenant;
//! 4. `tid` equals the configured tenant when that is a GUID;
//! 5. `aud` contains the client id (step 3); with several audiences `azp` must be the
//!    client id (steps 4–5);
//! 6. `exp` (required, step 9), `nbf`, `iat` (step 10) with skew;
//! 7. `nonce` equals the one sent (step 11).
//!
//! The same verifier checks Entra *access tokens* for an API (the local OBO service uses
//! that): there `aud` is the API's id, a delegated `scp` or app `roles` claim is required
//! (which an ID token never has, so an ID token is refused as an access token), and no
//! nonce is checked.

use super::checks::{self, required_str};
use super::{precheck_jwks_token, Algorithm, Pending, SignedToken, TokenVerifier, VerifiedToken};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::TokenSource;
use crate::json::Value;
use crate::quote::excerpt;
use crate::tuning::Tuning;

/// Which Entra token is being verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntraTokenKind {
    /// An ID token from the login, with the nonce the authorize request carried.
    IdToken { nonce: ExpectedNonce },
    /// An access token for an API.
    AccessToken,
}

/// What the ID token's `nonce` must be. Opting out is explicit (oauth4webapi's
/// `expectNoNonce`): a refresh's ID token carries no nonce to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedNonce {
    Value(String),
    NotRequested,
}

/// What an Entra verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraConfig {
    /// e.g. `https://login.microsoftonline.com`, or a local provider's origin; no trailing slash.
    pub authority_host: String,
    /// A tenant GUID, `organizations` / `common` for multi-tenant apps, or `consumers`.
    pub tenant: String,
    /// Accepted audiences: the client id for ID tokens, the API's id(s) for access tokens.
    pub audiences: Vec<String>,
    /// The JWKS URL; usually [`EntraConfig::default_jwks_url`].
    pub jwks_url: String,
    /// Issuer template with `{tenantid}`, e.g. from discovery; `None` means
    /// `{authority_host}/{tenantid}/v2.0`.
    pub issuer_template: Option<String>,
    pub kind: EntraTokenKind,
}

impl EntraConfig {
    /// `{authority_host}/{tenant}/discovery/v2.0/keys`.
    pub fn default_jwks_url(authority_host: &str, tenant: &str) -> String {
        format!(
            "{}/{tenant}/discovery/v2.0/keys",
            authority_host.trim_end_matches('/')
        )
    }
}

/// The tenant of personal Microsoft accounts: `consumers` tokens carry it as `tid`.
pub const MICROSOFT_ACCOUNT_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Whether `s` has the shape of a GUID (Entra tenant and object ids).
pub fn is_guid(s: &str) -> bool {
    checks::is_uuid(s)
}

/// Verifies Entra ID tokens or access tokens.
#[derive(Debug, Clone)]
pub struct EntraVerifier {
    config: EntraConfig,
    tuning: Tuning,
}

impl EntraVerifier {
    pub fn new(config: EntraConfig, tuning: Tuning) -> Result<Self> {
        let invalid = |what: &str| Err(Error::new(ErrorCode::InvalidConfig, what.to_owned()));
        let named = matches!(
            config.tenant.as_str(),
            "organizations" | "common" | "consumers"
        );
        if !named && !is_guid(&config.tenant) {
            return invalid(
                "the Entra tenant must be a GUID, \"organizations\", \"common\" or \"consumers\"",
            );
        }
        if config.audiences.is_empty() || config.audiences.iter().any(|a| a.is_empty()) {
            return invalid("the Entra verifier needs the client id (or API id) it accepts");
        }
        if config.authority_host.is_empty() {
            return invalid("the Entra authority host is empty");
        }
        let authority_host = config.authority_host.trim_end_matches('/').to_owned();
        Ok(EntraVerifier {
            config: EntraConfig {
                authority_host,
                ..config
            },
            tuning,
        })
    }

    pub fn config(&self) -> &EntraConfig {
        &self.config
    }

    /// The same verifier expecting another nonce (one per login).
    pub fn expecting_nonce(&self, nonce: ExpectedNonce) -> EntraVerifier {
        let mut v = self.clone();
        v.config.kind = EntraTokenKind::IdToken { nonce };
        v
    }

    /// The one tenant whose tokens are accepted, if the configuration names one: a GUID,
    /// or `consumers`, which stands for the Microsoft-account tenant.
    fn fixed_tenant(&self) -> Option<&str> {
        match self.config.tenant.as_str() {
            "consumers" => Some(MICROSOFT_ACCOUNT_TENANT),
            guid if is_guid(guid) => Some(guid),
            _ => None,
        }
    }

    /// Step 3 and 4: `tid` and `iss` agree with the configured tenant.
    fn check_tenant_and_issuer(&self, signed: &SignedToken) -> Result<()> {
        let tid = required_str(&signed.claims, "tid")?;
        match self.fixed_tenant() {
            Some(fixed) if !tid.eq_ignore_ascii_case(fixed) => {
                return Err(Error::new(
                    ErrorCode::TenantMismatch,
                    format!("tenant {} is not the configured tenant", excerpt(tid)),
                ));
            }
            None if !is_guid(tid) => {
                return Err(Error::new(
                    ErrorCode::TenantMismatch,
                    format!("tid {} is not a tenant GUID", excerpt(tid)),
                ));
            }
            _ => {}
        }
        let tenant_for_issuer = self.fixed_tenant().unwrap_or(tid);
        let expected = match &self.config.issuer_template {
            Some(template) => crate::text::replace(template, "{tenantid}", tenant_for_issuer),
            None => format!("{}/{tenant_for_issuer}/v2.0", self.config.authority_host),
        };
        checks::check_issuer(&signed.claims, &expected)
    }

    /// Steps 3 to 5: audience, and `azp` when there are several audiences.
    fn check_audience(&self, signed: &SignedToken) -> Result<()> {
        checks::check_audience(&signed.claims, &self.config.audiences)?;
        if let Some(Value::Array(auds)) = signed.claims.get("aud") {
            if auds.len() > 1 {
                let azp = required_str(&signed.claims, "azp")?;
                if !self.config.audiences.iter().any(|a| a == azp) {
                    return Err(Error::new(
                        ErrorCode::AudienceMismatch,
                        format!("azp {} is not this client", excerpt(azp)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Step 11.
    fn check_nonce(&self, signed: &SignedToken, expected: &ExpectedNonce) -> Result<()> {
        let ExpectedNonce::Value(expected) = expected else {
            return Ok(());
        };
        match signed.claims.get("nonce") {
            Some(Value::String(nonce))
                if constant_time_eq(nonce.as_bytes(), expected.as_bytes()) =>
            {
                Ok(())
            }
            Some(_) => Err(Error::fixed(
                ErrorCode::NonceMismatch,
                "the ID token's nonce is not the one this login sent",
            )),
            None => Err(Error::fixed(
                ErrorCode::NonceMismatch,
                "the ID token carries no nonce, but this login sent one",
            )),
        }
    }

    /// An access token must say what it grants; an ID token never does.
    fn check_is_access_token(&self, signed: &SignedToken) -> Result<()> {
        if signed.claims.contains_key("scp") || signed.claims.contains_key("roles") {
            Ok(())
        } else {
            Err(Error::fixed(
                ErrorCode::TokenUseMismatch,
                "this is not an access token (no \"scp\" or \"roles\"); an ID token cannot be used to call an API",
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl TokenVerifier for EntraVerifier {
    fn precheck(&self, token: &str) -> Result<Pending> {
        precheck_jwks_token(token, &self.tuning, Algorithm::Rs256, &self.config.jwks_url)
    }

    fn validate(&self, signed: SignedToken, now: u64) -> Result<VerifiedToken> {
        self.check_tenant_and_issuer(&signed)?;
        // What kind of token it is comes before whom it is for, so an ID token sent as an
        // access token is named as such rather than as a token for another audience.
        if self.config.kind == EntraTokenKind::AccessToken {
            self.check_is_access_token(&signed)?;
        }
        self.check_audience(&signed)?;
        let expires_at = checks::check_times(&signed.claims, now, self.tuning.clock_skew_secs)?;
        if let EntraTokenKind::IdToken { nonce } = &self.config.kind {
            self.check_nonce(&signed, nonce)?;
        }
        let subject = required_str(&signed.claims, "sub")?.to_owned();
        Ok(VerifiedToken {
            source: TokenSource::Entra,
            subject,
            expires_at,
            claims: signed.claims,
        })
    }
}
