//! AWS ALB's `x-amzn-oidc-data` token (ES256).
//!
//! ALB signs the user claims with a per-region ECDSA P-256 key and publishes the public
//! key as PEM at `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`. The JWT
//! header carries `signer` (the load balancer's ARN), `client`, `iss` and `exp` besides
//! `alg` and `kid`; the segments may carry `=` padding. Checks, in order:
//!
//! 1. size, three segments, base64url (padding tolerated), JSON objects;
//! 2. `alg` is ES256 (RFC 7515 §4.1.1), no `crit`;
//! 3. `kid` is a UUID, checked before it becomes part of a URL (so `../x` or a full URL
//!    can never steer the key fetch elsewhere);
//! 4. `signer` is one of the configured ARNs; `client` and `iss` equal the configured
//!    values when configured;
//! 5. signature (separate step);
//! 6. `exp` (required), `nbf`, `iat` with skew; `iss` claim when configured, and with
//!    `iss` configured the token must name its issuer in the header or the claims; `sub`
//!    present. The token's lifetime is the earlier of the header's and the claims' `exp`.

use super::checks::{self, required_str};
use super::parse::{Padding, UntrustedToken};
use super::{Algorithm, KeyRef, KeySource, Pending, SignedToken, TokenVerifier, VerifiedToken};
use crate::error::{Error, ErrorCode, Result};
use crate::identity::TokenSource;
use crate::json::Value;
use crate::quote::excerpt;
use crate::tuning::Tuning;

/// What an ALB verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbConfig {
    /// ARNs of the load balancers whose tokens are accepted (header `signer`). Required.
    pub signers: Vec<String>,
    /// OIDC client ids accepted in header `client`; empty means any.
    pub client_ids: Vec<String>,
    /// Expected `iss` (header and claims); `None` means not checked.
    pub issuer: Option<String>,
    /// Where `{kid}` keys are fetched from, without a trailing slash.
    pub keys_base_url: String,
}

impl AlbConfig {
    /// The public key endpoint ALB uses in `region`, e.g. `us-east-1`.
    pub fn default_keys_base_url(region: &str) -> Result<String> {
        let valid = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "ALB_REGION is not an AWS region name (such as us-east-1)",
            ));
        }
        Ok(format!(
            "https://public-keys.auth.elb.{region}.amazonaws.com"
        ))
    }
}

/// Verifies `x-amzn-oidc-data`.
#[derive(Debug, Clone)]
pub struct AlbVerifier {
    config: AlbConfig,
    tuning: Tuning,
}

impl AlbVerifier {
    pub fn new(config: AlbConfig, tuning: Tuning) -> Result<Self> {
        if config.signers.is_empty() || config.signers.iter().any(|s| s.is_empty()) {
            return Err(Error::fixed(
                ErrorCode::InvalidConfig,
                "ALB_ARNS must name at least one load balancer ARN",
            ));
        }
        let base = config.keys_base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(Error::fixed(
                ErrorCode::InvalidConfig,
                "ALB_KEYS_URL must be an http(s) URL",
            ));
        }
        Ok(AlbVerifier {
            config: AlbConfig {
                keys_base_url: base,
                ..config
            },
            tuning,
        })
    }

    pub fn config(&self) -> &AlbConfig {
        &self.config
    }

    /// The URL of the PEM key for `kid`. Only call it with a kid that passed [`is_alb_kid`].
    pub fn key_url(&self, kid: &str) -> String {
        format!("{}/{}", self.config.keys_base_url, kid)
    }

    fn check_signer(&self, token: &UntrustedToken) -> Result<()> {
        let signer = token.header_str("signer").ok_or_else(|| {
            Error::fixed(ErrorCode::SignerMismatch, "the header has no \"signer\"")
        })?;
        if !self.config.signers.iter().any(|s| s == signer) {
            return Err(Error::new(
                ErrorCode::SignerMismatch,
                format!(
                    "signer {} is not a configured load balancer",
                    excerpt(signer)
                ),
            ));
        }
        Ok(())
    }

    fn check_client(&self, token: &UntrustedToken) -> Result<()> {
        if self.config.client_ids.is_empty() {
            return Ok(());
        }
        match token.header_str("client") {
            Some(client) if self.config.client_ids.iter().any(|c| c == client) => Ok(()),
            Some(client) => Err(Error::new(
                ErrorCode::ClientMismatch,
                format!("client {} is not a configured client id", excerpt(client)),
            )),
            None => Err(Error::fixed(
                ErrorCode::ClientMismatch,
                "the header has no \"client\"",
            )),
        }
    }

    /// The header's `iss`, when there is one and an issuer is configured. A token with no
    /// `iss` in the header must carry one in its claims ([`AlbVerifier::check_claims_issuer`]).
    fn check_header_issuer(&self, token: &UntrustedToken) -> Result<()> {
        let Some(expected) = &self.config.issuer else {
            return Ok(());
        };
        match token.header.get("iss") {
            None => Ok(()),
            Some(Value::String(iss)) if iss == expected => Ok(()),
            Some(Value::String(iss)) => Err(Error::new(
                ErrorCode::IssuerMismatch,
                format!("header issuer {} is not the one configured", excerpt(iss)),
            )),
            Some(_) => Err(Error::fixed(
                ErrorCode::MalformedHeader,
                "the header's \"iss\" is not a string",
            )),
        }
    }

    /// With `ALB_ISSUER` set, the claims' `iss` must match when present, and the token
    /// must name its issuer somewhere: header or claims (a token naming none is refused,
    /// not waved through).
    fn check_claims_issuer(&self, signed: &SignedToken) -> Result<()> {
        let Some(issuer) = &self.config.issuer else {
            return Ok(());
        };
        if signed.claims.contains_key("iss") {
            return checks::check_issuer(&signed.claims, issuer);
        }
        if signed.header.contains_key("iss") {
            return Ok(());
        }
        Err(Error::fixed(
            ErrorCode::MissingClaim,
            "ALB_ISSUER is set, but the token names no issuer (\"iss\" in header or claims)",
        ))
    }
}

/// ALB kids are UUIDs. Anything else is refused before it can reach a URL.
pub fn is_alb_kid(kid: &str) -> bool {
    checks::is_uuid(kid)
}

impl TokenVerifier for AlbVerifier {
    fn precheck(&self, token: &str) -> Result<Pending> {
        let token = UntrustedToken::parse(token, self.tuning.max_token_bytes, Padding::Tolerated)?;
        checks::check_algorithm(&token, Algorithm::Es256)?;
        checks::check_no_critical_extensions(&token)?;
        let kid = checks::require_kid(&token)?;
        if !is_alb_kid(&kid) {
            return Err(Error::fixed(
                ErrorCode::InvalidKid,
                "the ALB token's \"kid\" is not a UUID",
            ));
        }
        self.check_signer(&token)?;
        self.check_client(&token)?;
        self.check_header_issuer(&token)?;
        let key = KeyRef {
            source: KeySource::AlbPem {
                base_url: self.config.keys_base_url.clone(),
            },
            kid,
        };
        Ok(Pending::new(token, Algorithm::Es256, key))
    }

    fn validate(&self, signed: SignedToken, now: u64) -> Result<VerifiedToken> {
        let skew = self.tuning.clock_skew_secs;
        // ALB repeats `exp` in the header; when present it must hold too, and the token
        // lives until the earlier of the two (what callers cache it for).
        let header_exp = if signed.header.contains_key("exp") {
            Some(checks::check_expiry(&signed.header, now, skew)?)
        } else {
            None
        };
        let claims_exp = checks::check_times(&signed.claims, now, skew)?;
        let expires_at = header_exp.map_or(claims_exp, |h| h.min(claims_exp));
        self.check_claims_issuer(&signed)?;
        let subject = required_str(&signed.claims, "sub")?.to_owned();
        Ok(VerifiedToken {
            source: TokenSource::Alb,
            subject,
            expires_at,
            claims: signed.claims,
        })
    }
}
