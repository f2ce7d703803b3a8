//! Amazon Cognito user pool tokens (RS256 via the pool's JWKS).
//!
//! Checks, in the order AWS documents ("Verifying a JSON Web Token"):
//! 1. size, shape, `alg` RS256, no `crit`, `kid` present;
//! 2. signature against `{issuer}/.well-known/jwks.json` (separate step);
//! 3. `exp` (required), `nbf`, `iat`; `iss` equals the pool's issuer;
//! 4. `token_use` is one of the accepted kinds; for `access` the `client_id` claim, for
//!    `id` the `aud` claim, is one of the configured app client ids.

use super::checks::{self, required_str};
use super::{precheck_jwks_token, Algorithm, Pending, SignedToken, TokenVerifier, VerifiedToken};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::TokenSource;
use crate::quote::excerpt;
use crate::tuning::Tuning;

/// Cognito's `token_use` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    Access,
    Id,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }

    pub fn parse(s: &str) -> Option<TokenUse> {
        match s {
            "access" => Some(TokenUse::Access),
            "id" => Some(TokenUse::Id),
            _ => None,
        }
    }
}

/// What a Cognito verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoConfig {
    /// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`, no trailing slash.
    pub issuer: String,
    /// The JWKS URL; usually [`CognitoConfig::default_jwks_url`].
    pub jwks_url: String,
    /// App client ids accepted (`client_id` of access tokens, `aud` of ID tokens). Required.
    pub client_ids: Vec<String>,
    /// Which kinds of token are accepted. Required.
    pub token_uses: Vec<TokenUse>,
}

impl CognitoConfig {
    /// The issuer of a user pool, from its region and id (`us-east-1_AbC123`).
    pub fn issuer_for_pool(region: &str, user_pool_id: &str) -> String {
        format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
    }

    /// Cognito serves a pool's keys at `{issuer}/.well-known/jwks.json`.
    pub fn default_jwks_url(issuer: &str) -> String {
        format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'))
    }
}

/// Verifies Cognito access and ID tokens.
#[derive(Debug, Clone)]
pub struct CognitoVerifier {
    config: CognitoConfig,
    tuning: Tuning,
}

impl CognitoVerifier {
    pub fn new(config: CognitoConfig, tuning: Tuning) -> Result<Self> {
        let invalid = |what: &str| Err(Error::new(ErrorCode::InvalidConfig, what.to_owned()));
        if config.issuer.is_empty() || config.issuer.ends_with('/') {
            return invalid(
                "COGNITO_ISSUER must be the pool's issuer URL, without a trailing slash",
            );
        }
        if config.client_ids.is_empty() || config.client_ids.iter().any(|c| c.is_empty()) {
            return invalid("COGNITO_CLIENT_IDS must name at least one app client id");
        }
        if config.token_uses.is_empty() {
            return invalid("at least one Cognito token_use must be accepted");
        }
        Ok(CognitoVerifier { config, tuning })
    }

    pub fn config(&self) -> &CognitoConfig {
        &self.config
    }

    fn check_token_use(&self, signed: &SignedToken) -> Result<TokenUse> {
        let raw = required_str(&signed.claims, "token_use")?;
        match TokenUse::parse(raw) {
            Some(token_use) if self.config.token_uses.contains(&token_use) => Ok(token_use),
            _ => Err(Error::new(
                ErrorCode::TokenUseMismatch,
                format!("token_use {} is not accepted here", excerpt(raw)),
            )),
        }
    }

    fn check_client(&self, signed: &SignedToken, token_use: TokenUse) -> Result<()> {
        match token_use {
            TokenUse::Id => checks::check_audience(&signed.claims, &self.config.client_ids)
                .map_err(|e| match e.code() {
                    ErrorCode::AudienceMismatch => {
                        Error::new(ErrorCode::ClientMismatch, e.message().to_owned())
                    }
                    _ => e,
                }),
            TokenUse::Access => {
                let client_id = required_str(&signed.claims, "client_id")?;
                if self.config.client_ids.iter().any(|c| c == client_id) {
                    Ok(())
                } else {
                    Err(Error::new(
                        ErrorCode::ClientMismatch,
                        format!(
                            "client_id {} is not a configured app client",
                            excerpt(client_id)
                        ),
                    ))
                }
            }
        }
    }
}

impl TokenVerifier for CognitoVerifier {
    fn precheck(&self, token: &str) -> Result<Pending> {
        precheck_jwks_token(token, &self.tuning, Algorithm::Rs256, &self.config.jwks_url)
    }

    fn validate(&self, signed: SignedToken, now: u64) -> Result<VerifiedToken> {
        let expires_at = checks::check_times(&signed.claims, now, self.tuning.clock_skew_secs)?;
        checks::check_issuer(&signed.claims, &self.config.issuer)?;
        let token_use = self.check_token_use(&signed)?;
        self.check_client(&signed, token_use)?;
        let subject = required_str(&signed.claims, "sub")?.to_owned();
        Ok(VerifiedToken {
            source: match token_use {
                TokenUse::Access => TokenSource::CognitoAccess,
                TokenUse::Id => TokenSource::CognitoId,
            },
            subject,
            expires_at,
            claims: signed.claims,
        })
    }
}
